//! Payment notifications: POSTed to the notify URL of the request, retried on a non-success
//! reply after each delay of the schedule. Only loopback URLs (`127.0.0.1`, `localhost`, `[::1]`)
//! over plain `http` are contacted; any other URL is logged and skipped.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::time::{Duration, Instant};

use payspec_runtime::http;

use crate::faults::NotifyPlan;
use serde::Serialize;

/// Largest reply body read from a notification receiver.
const MAX_REPLY: u64 = 64 * 1024;

/// How a delivery ended (or that it is still going on).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum DeliveryState {
    /// Tries are still going on.
    Pending,
    /// The receiver replied success.
    Delivered,
    /// Every try failed (or the gateway shut down first).
    GaveUp,
    /// The URL is not a loopback `http` URL; nothing was sent.
    Refused,
}

/// One notification delivery.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NotificationRecord {
    /// The notification's wire name (`notify_url`, `mch_notify_url`, `notifyPayment`).
    pub kind: &'static str,
    /// The merchant's order number.
    pub order: String,
    /// The notify URL.
    pub url: String,
    /// Tries made so far.
    pub attempts: u32,
    /// Current state.
    pub state: DeliveryState,
    /// Why the last try failed or the URL was refused.
    pub last_error: Option<String>,
}

/// One notification request: headers and body, built afresh for every try (Alipay+ signs a new
/// `request-time` each time).
pub(crate) struct Message {
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// What to deliver.
pub(crate) struct Delivery {
    pub kind: &'static str,
    pub order: String,
    pub url: String,
    /// Builds the request of one try; `Err` is logged and counts as a failed try.
    pub build: Box<dyn Fn() -> Result<Message, String> + Send>,
    /// Whether a reply body means success.
    pub accepted: fn(&[u8]) -> bool,
}

pub(crate) struct Notifier {
    delays: Vec<Duration>,
    records: Mutex<Vec<NotificationRecord>>,
    idle: Condvar,
    agent: ureq::Agent,
    shutdown: Arc<AtomicBool>,
    log: bool,
}

/// `Ok(())` if `url` is `http://` to a loopback host.
pub(crate) fn check_loopback(url: &str) -> Result<(), String> {
    let uri: http::Uri = url.parse().map_err(|e| format!("not a valid URL: {e}"))?;
    if uri.scheme_str() != Some("http") {
        return Err("only http:// notify URLs are contacted by the mock".into());
    }
    match uri.host() {
        Some("127.0.0.1") | Some("localhost") | Some("[::1]") => Ok(()),
        Some(host) => Err(format!(
            "host {host} is not a loopback address; the mock only notifies 127.0.0.1 / localhost"
        )),
        None => Err("the URL has no host".into()),
    }
}

/// The path of a URL (the part that is signed in Alipay+ notifications).
pub(crate) fn url_path(url: &str) -> String {
    url.parse::<http::Uri>()
        .map(|u| u.path().to_owned())
        .unwrap_or_else(|_| "/".into())
}

/// An HTTP agent for loopback calls: no proxy from the environment, status codes are answers.
pub(crate) fn loopback_agent(timeout: Duration) -> ureq::Agent {
    ureq::Agent::config_builder()
        .proxy(None)
        .http_status_as_error(false)
        .timeout_global(Some(timeout))
        .build()
        .new_agent()
}

impl Notifier {
    pub fn new(delays: Vec<Duration>, shutdown: Arc<AtomicBool>, log: bool) -> Self {
        Notifier {
            delays,
            records: Mutex::new(Vec::new()),
            idle: Condvar::new(),
            agent: loopback_agent(Duration::from_secs(5)),
            shutdown,
            log,
        }
    }

    pub fn records(&self) -> Vec<NotificationRecord> {
        self.records
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    pub fn wait_idle(&self, timeout: Duration) -> bool {
        let records = self.records.lock().unwrap_or_else(PoisonError::into_inner);
        let (records, _) = self
            .idle
            .wait_timeout_while(records, timeout, |r| {
                r.iter().any(|x| x.state == DeliveryState::Pending)
            })
            .unwrap_or_else(PoisonError::into_inner);
        !records.iter().any(|x| x.state == DeliveryState::Pending)
    }

    fn log(&self, line: &str) {
        if self.log {
            eprintln!("[payspec-mock] {line}");
        }
    }

    fn update(&self, index: usize, f: impl FnOnce(&mut NotificationRecord)) {
        let mut records = self.records.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(record) = records.get_mut(index) {
            f(record);
        }
        self.idle.notify_all();
    }

    /// Starts delivering on a background thread.
    /// Dispatches with injected faults: held back `plan.delay`, delivered twice if
    /// `plan.duplicate`.
    pub(crate) fn dispatch_planned(self: &Arc<Self>, delivery: Delivery, plan: NotifyPlan) {
        let refused = check_loopback(&delivery.url).err();
        let index = {
            let mut records = self.records.lock().unwrap_or_else(PoisonError::into_inner);
            records.push(NotificationRecord {
                kind: delivery.kind,
                order: delivery.order.clone(),
                url: delivery.url.clone(),
                attempts: 0,
                state: if refused.is_some() {
                    DeliveryState::Refused
                } else {
                    DeliveryState::Pending
                },
                last_error: refused.clone(),
            });
            records.len() - 1
        };
        if let Some(reason) = refused {
            self.log(&format!(
                "{} for order {}: not sent to {}: {reason}",
                delivery.kind, delivery.order, delivery.url
            ));
            self.idle.notify_all();
            return;
        }
        let notifier = Arc::clone(self);
        let spawned = std::thread::Builder::new()
            .name("payspec-mock-notify".into())
            .spawn(move || {
                if let Some(delay) = plan.delay {
                    if !notifier.sleep(delay) {
                        return;
                    }
                }
                notifier.deliver(index, &delivery, plan.duplicate);
            });
        if spawned.is_err() {
            self.update(index, |r| {
                r.state = DeliveryState::GaveUp;
                r.last_error = Some("could not start the delivery thread".into());
            });
        }
    }

    fn deliver(&self, index: usize, delivery: &Delivery, duplicate: bool) {
        let tries = self.delays.len() + 1;
        for attempt in 0..tries {
            if attempt > 0 && !self.sleep(self.delays[attempt - 1]) {
                break;
            }
            let outcome = self.try_once(delivery);
            let attempts = u32::try_from(attempt + 1).unwrap_or(u32::MAX);
            self.log(&format!(
                "{} for order {} to {}: try {attempts}: {}",
                delivery.kind,
                delivery.order,
                delivery.url,
                outcome
                    .as_ref()
                    .map_or_else(|e| e.as_str(), |()| "delivered")
            ));
            match outcome {
                Ok(()) => {
                    // An injected duplicate: the same notification once more, as a gateway
                    // retry would send it.
                    let attempts = if duplicate {
                        let again = self.try_once(delivery);
                        self.log(&format!(
                            "{} for order {}: duplicate sent: {}",
                            delivery.kind,
                            delivery.order,
                            again.as_ref().map_or_else(|e| e.as_str(), |()| "delivered")
                        ));
                        attempts.saturating_add(1)
                    } else {
                        attempts
                    };
                    self.update(index, |r| {
                        r.attempts = attempts;
                        r.state = DeliveryState::Delivered;
                        r.last_error = None;
                    });
                    return;
                }
                Err(e) => self.update(index, |r| {
                    r.attempts = attempts;
                    r.last_error = Some(e);
                }),
            }
        }
        self.update(index, |r| r.state = DeliveryState::GaveUp);
    }

    /// Sleeps `d`; `false` if the gateway shut down meanwhile.
    fn sleep(&self, d: Duration) -> bool {
        let end = Instant::now() + d;
        loop {
            if self.shutdown.load(Ordering::SeqCst) {
                return false;
            }
            let now = Instant::now();
            if now >= end {
                return true;
            }
            std::thread::sleep((end - now).min(Duration::from_millis(10)));
        }
    }

    fn try_once(&self, delivery: &Delivery) -> Result<(), String> {
        if self.shutdown.load(Ordering::SeqCst) {
            return Err("gateway shut down".into());
        }
        let message = (delivery.build)()?;
        let mut builder = http::Request::post(delivery.url.as_str());
        for (name, value) in &message.headers {
            builder = builder.header(name.as_str(), value.as_str());
        }
        let request = builder
            .body(message.body)
            .map_err(|e| format!("cannot build the request: {e}"))?;
        let mut response = self
            .agent
            .run(request)
            .map_err(|e| format!("not delivered: {e}"))?;
        let status = response.status();
        let body = response
            .body_mut()
            .with_config()
            .limit(MAX_REPLY)
            .read_to_vec()
            .map_err(|e| format!("reply unreadable: {e}"))?;
        if !status.is_success() {
            return Err(format!("receiver answered HTTP {}", status.as_u16()));
        }
        if (delivery.accepted)(&body) {
            Ok(())
        } else {
            Err(format!(
                "reply is not the success reply: {}",
                String::from_utf8_lossy(&body[..body.len().min(200)])
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_http_urls() {
        assert!(check_loopback("http://127.0.0.1:8080/notify").is_ok());
        assert!(check_loopback("http://localhost/n?x=1").is_ok());
        assert!(check_loopback("http://[::1]:1/n").is_ok());
        assert!(check_loopback("https://127.0.0.1/n").is_err());
        assert!(check_loopback("http://example.com/n").is_err());
        assert!(check_loopback("http://10.0.0.1/n").is_err());
        assert!(check_loopback("http://127.0.0.1.example.com/n").is_err());
        assert!(check_loopback("not a url").is_err());
        assert_eq!(url_path("http://127.0.0.1:1/a/b?c=d"), "/a/b");
    }
}
