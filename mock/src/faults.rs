//! Fault injection (`payspec mock --faults SPEC --seed N`): latency, dropped connections, 5xx
//! answers, answers after the client's timeout, unknown outcomes, and duplicate, late or
//! reordered notifications. Decisions come from one RNG seeded with `--seed`, drawn in a fixed
//! order per request, so a given seed and request sequence inject the same faults; every
//! injected fault is logged (mock log, dashboard, [`crate::Running::injected_faults`]).
//!
//! SPEC is a comma list of `name=value`, each optionally scoped to one operation with
//! `@operation`: `latency=200ms`, `latency=50..500ms`, `drop=0.1`, `http5xx=0.05`,
//! `timeout=0.05`, `timeout-after=2s` (how late a timed-out answer comes; default 30s),
//! `unknown=0.2` (creating operations: processed, but answered as unknown: Ksher `NOTSURE`,
//! Alipay+/Antom `U`), `notify-duplicate=1`, `notify-late=5s`, `notify-out-of-order=1`.

use std::fmt;
use std::str::FromStr;
use std::sync::Mutex;
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// One fault.
#[derive(Clone, Debug, PartialEq)]
pub enum Fault {
    /// Wait this long (a fixed value, or uniform in a range) before handling.
    Latency {
        /// Shortest wait.
        min: Duration,
        /// Longest wait.
        max: Duration,
    },
    /// With this probability, close the connection without an answer (nothing is processed).
    Drop(f64),
    /// With this probability, answer 503 (nothing is processed).
    Http5xx(f64),
    /// With this probability, process the request but answer after `timeout-after`.
    Timeout(f64),
    /// With this probability, process a creating request but answer with an unknown outcome.
    Unknown(f64),
    /// With this probability, deliver a notification twice.
    NotifyDuplicate(f64),
    /// Hold every notification back this long.
    NotifyLate(Duration),
    /// With this probability, hold a notification back a random extra time (so later ones may
    /// overtake it).
    NotifyOutOfOrder(f64),
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fault::Latency { min, max } if min == max => write!(f, "latency={}ms", min.as_millis()),
            Fault::Latency { min, max } => {
                write!(f, "latency={}..{}ms", min.as_millis(), max.as_millis())
            }
            Fault::Drop(p) => write!(f, "drop={p}"),
            Fault::Http5xx(p) => write!(f, "http5xx={p}"),
            Fault::Timeout(p) => write!(f, "timeout={p}"),
            Fault::Unknown(p) => write!(f, "unknown={p}"),
            Fault::NotifyDuplicate(p) => write!(f, "notify-duplicate={p}"),
            Fault::NotifyLate(d) => write!(f, "notify-late={}ms", d.as_millis()),
            Fault::NotifyOutOfOrder(p) => write!(f, "notify-out-of-order={p}"),
        }
    }
}

/// A fault, for every operation or one.
#[derive(Clone, Debug, PartialEq)]
pub struct FaultRule {
    /// The fault.
    pub fault: Fault,
    /// Only requests of this operation (wire name); `None`: every operation.
    pub operation: Option<String>,
}

impl fmt::Display for FaultRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.operation {
            Some(op) => write!(f, "{}@{op}", self.fault),
            None => write!(f, "{}", self.fault),
        }
    }
}

/// The faults to inject.
#[derive(Clone, Debug, PartialEq)]
pub struct Faults {
    /// The rules, in the order given.
    pub rules: Vec<FaultRule>,
    /// How late a timed-out answer comes.
    pub timeout_after: Duration,
}

impl Default for Faults {
    fn default() -> Self {
        Faults {
            rules: Vec::new(),
            timeout_after: Duration::from_secs(30),
        }
    }
}

/// Why a fault spec does not parse.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("fault `{item}`: {reason}")]
pub struct FaultSpecError {
    /// The item at fault.
    pub item: String,
    /// What is wrong.
    pub reason: String,
}

/// Longest latency, timeout or notification delay a spec may ask for.
const MAX_DELAY: Duration = Duration::from_secs(300);

fn duration(text: &str) -> Option<Duration> {
    let (number, unit) = match text.strip_suffix("ms") {
        Some(n) => (n, 1),
        None => (text.strip_suffix('s')?, 1000),
    };
    let value: u64 = number.parse().ok()?;
    let d = Duration::from_millis(value.checked_mul(unit)?);
    (d <= MAX_DELAY).then_some(d)
}

fn probability(text: &str) -> Option<f64> {
    let p: f64 = text.parse().ok()?;
    (0.0..=1.0).contains(&p).then_some(p)
}

impl FromStr for Faults {
    type Err = FaultSpecError;

    fn from_str(spec: &str) -> Result<Self, Self::Err> {
        let mut faults = Faults::default();
        for item in spec.split(',').map(str::trim).filter(|i| !i.is_empty()) {
            let fail = |reason: &str| FaultSpecError {
                item: item.to_owned(),
                reason: reason.to_owned(),
            };
            let (rule, operation) = match item.split_once('@') {
                Some((rule, op)) if !op.is_empty() => (rule, Some(op.to_owned())),
                Some(_) => return Err(fail("`@` needs an operation name")),
                None => (item, None),
            };
            let (name, value) = rule
                .split_once('=')
                .ok_or_else(|| fail("expected name=value"))?;
            let p = || probability(value).ok_or_else(|| fail("expected a probability from 0 to 1"));
            let d = || {
                duration(value)
                    .ok_or_else(|| fail("expected a duration such as 200ms or 5s (at most 300s)"))
            };
            let fault = match name {
                "latency" => match value.split_once("..") {
                    Some((lo, hi)) => {
                        // `50..500ms`: the unit of the upper bound applies to both.
                        let unit = if hi.ends_with("ms") { "ms" } else { "s" };
                        let lo = if lo.ends_with('s') { lo.to_owned() } else { format!("{lo}{unit}") };
                        let (Some(min), Some(max)) = (duration(&lo), duration(hi)) else {
                            return Err(fail("expected a range such as 50..500ms"));
                        };
                        if min > max {
                            return Err(fail("the range is empty"));
                        }
                        Fault::Latency { min, max }
                    }
                    None => {
                        let d = d()?;
                        Fault::Latency { min: d, max: d }
                    }
                },
                "drop" => Fault::Drop(p()?),
                "http5xx" => Fault::Http5xx(p()?),
                "timeout" => Fault::Timeout(p()?),
                "unknown" => Fault::Unknown(p()?),
                "notify-duplicate" => Fault::NotifyDuplicate(p()?),
                "notify-late" => Fault::NotifyLate(d()?),
                "notify-out-of-order" => Fault::NotifyOutOfOrder(p()?),
                "timeout-after" => {
                    if operation.is_some() {
                        return Err(fail("`timeout-after` applies to every operation"));
                    }
                    faults.timeout_after = d()?;
                    continue;
                }
                _ => return Err(fail("unknown fault (latency, drop, http5xx, timeout, timeout-after, unknown, notify-duplicate, notify-late, notify-out-of-order)")),
            };
            if operation.is_some() && name.starts_with("notify") {
                return Err(fail("notification faults apply to every notification"));
            }
            faults.rules.push(FaultRule { fault, operation });
        }
        Ok(faults)
    }
}

/// What happens to one request.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct RequestPlan {
    pub latency: Option<Duration>,
    pub drop: bool,
    pub http5xx: bool,
    pub unknown: bool,
    pub timeout: Option<Duration>,
}

/// What happens to one notification.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct NotifyPlan {
    pub delay: Option<Duration>,
    pub duplicate: bool,
}

/// The faults with their RNG and the log of what was injected.
pub(crate) struct Injector {
    faults: Faults,
    rng: Mutex<StdRng>,
    log: Mutex<Vec<String>>,
    requests: Mutex<u64>,
}

/// Most log lines kept.
const MAX_LOG: usize = 1000;

impl Injector {
    pub fn new(faults: Faults, seed: u64) -> Self {
        Injector {
            faults,
            rng: Mutex::new(StdRng::seed_from_u64(seed)),
            log: Mutex::new(Vec::new()),
            requests: Mutex::new(0),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.faults.rules.is_empty()
    }

    pub fn rules(&self) -> &[FaultRule] {
        &self.faults.rules
    }

    fn record(&self, line: String) {
        let mut log = self
            .log
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if log.len() < MAX_LOG {
            log.push(line);
        }
    }

    pub fn log(&self) -> Vec<String> {
        self.log
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// The plan for a request of `operation` (`creates`: it creates a payment or refund). Every
    /// rule draws from the RNG in rule order whether it applies or not, so the sequence of
    /// draws depends only on the number of requests.
    pub fn plan_request(&self, operation: &str, creates: bool, line: &str) -> RequestPlan {
        if self.is_empty() {
            return RequestPlan::default();
        }
        let mut plan = RequestPlan::default();
        let number = {
            let mut n = self
                .requests
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            *n += 1;
            *n
        };
        let mut injected = Vec::new();
        {
            let mut rng = self
                .rng
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            for rule in &self.faults.rules {
                let draw: f64 = rng.gen();
                let pick: f64 = rng.gen();
                let applies = rule.operation.as_deref().is_none_or(|op| op == operation);
                if !applies {
                    continue;
                }
                match &rule.fault {
                    Fault::Latency { min, max } => {
                        let span = max.saturating_sub(*min);
                        let wait = *min + span.mul_f64(pick);
                        plan.latency = Some(plan.latency.unwrap_or_default() + wait);
                        injected.push(format!("latency {}ms", wait.as_millis()));
                    }
                    Fault::Drop(p) if draw < *p => {
                        plan.drop = true;
                        injected.push("drop".to_owned());
                    }
                    Fault::Http5xx(p) if draw < *p => {
                        plan.http5xx = true;
                        injected.push("http5xx".to_owned());
                    }
                    Fault::Timeout(p) if draw < *p => {
                        plan.timeout = Some(self.faults.timeout_after);
                        injected.push(format!(
                            "timeout (answer after {}ms)",
                            self.faults.timeout_after.as_millis()
                        ));
                    }
                    Fault::Unknown(p) if creates && draw < *p => {
                        plan.unknown = true;
                        injected.push("unknown".to_owned());
                    }
                    _ => {}
                }
            }
        }
        if !injected.is_empty() {
            self.record(format!("request {number} {line}: {}", injected.join(", ")));
        }
        plan
    }

    /// The plan for a notification of `kind` about `order`.
    pub fn plan_notification(&self, kind: &str, order: &str) -> NotifyPlan {
        if self.is_empty() {
            return NotifyPlan::default();
        }
        let mut plan = NotifyPlan::default();
        let mut injected = Vec::new();
        {
            let mut rng = self
                .rng
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            for rule in &self.faults.rules {
                let draw: f64 = rng.gen();
                let pick: f64 = rng.gen();
                match &rule.fault {
                    Fault::NotifyLate(d) => {
                        plan.delay = Some(plan.delay.unwrap_or_default() + *d);
                        injected.push(format!("late {}ms", d.as_millis()));
                    }
                    Fault::NotifyOutOfOrder(p) if draw < *p => {
                        let extra = Duration::from_millis(500).mul_f64(pick);
                        plan.delay = Some(plan.delay.unwrap_or_default() + extra);
                        injected.push(format!("held back {}ms", extra.as_millis()));
                    }
                    Fault::NotifyDuplicate(p) if draw < *p => {
                        plan.duplicate = true;
                        injected.push("duplicate".to_owned());
                    }
                    _ => {}
                }
            }
        }
        if !injected.is_empty() {
            self.record(format!("{kind} for {order}: {}", injected.join(", ")));
        }
        plan
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(spec: &str, expected: Result<&str, &str>) {
        match (spec.parse::<Faults>(), expected) {
            (Ok(f), Ok(shown)) => {
                let listed: Vec<String> = f.rules.iter().map(ToString::to_string).collect();
                assert_eq!(listed.join(","), shown, "{spec}");
            }
            (Err(e), Err(part)) => assert!(e.to_string().contains(part), "{spec}: {e}"),
            (got, want) => panic!("{spec}: got {got:?}, want {want:?}"),
        }
    }

    #[test]
    fn specs_parse_or_say_why_not() {
        check("latency=200ms", Ok("latency=200ms"));
        check("latency=50..500ms", Ok("latency=50..500ms"));
        check("latency=1..2s", Ok("latency=1000..2000ms"));
        check(
            "drop=0.1, http5xx=0.05,timeout=0.05",
            Ok("drop=0.1,http5xx=0.05,timeout=0.05"),
        );
        check(
            "unknown=0.2@pay,notify-duplicate=1",
            Ok("unknown=0.2@pay,notify-duplicate=1"),
        );
        check(
            "notify-late=5s,notify-out-of-order=1",
            Ok("notify-late=5000ms,notify-out-of-order=1"),
        );
        check("timeout-after=2s", Ok(""));
        check("drop=2", Err("probability"));
        check("latency=fast", Err("duration"));
        check("latency=500..50ms", Err("empty"));
        check("latency=301s", Err("at most 300s"));
        check("melt=1", Err("unknown fault"));
        check("drop", Err("name=value"));
        check("drop=0.5@", Err("operation"));
        check("notify-late=1s@pay", Err("every notification"));
    }

    #[test]
    fn the_same_seed_injects_the_same_faults() {
        let faults: Faults = "drop=0.3,http5xx=0.3,latency=0..10ms,unknown=0.5@pay"
            .parse()
            .unwrap();
        let run = |seed| {
            let injector = Injector::new(faults.clone(), seed);
            (0..50)
                .map(|i| {
                    injector.plan_request(
                        if i % 2 == 0 { "pay" } else { "inquiry" },
                        i % 2 == 0,
                        "POST /x",
                    )
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(run(7), run(7));
        assert_ne!(run(7), run(8));
        let plans = run(7);
        assert!(plans.iter().any(|p| p.drop) && plans.iter().any(|p| !p.drop));
        // `unknown` only on creating requests of the named operation.
        assert!(plans.iter().skip(1).step_by(2).all(|p| !p.unknown));
    }
}
