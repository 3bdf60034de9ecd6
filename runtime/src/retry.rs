//! A retry policy that is safe for payments.
//!
//! * A request that never reached the gateway (the connection was not established) may always be
//!   repeated.
//! * Query operations are also retried on timeouts and 5xx answers, with capped exponential
//!   backoff and jitter.
//! * Creating operations (payments, refunds, payouts) are never repeated after an outcome that
//!   may have been processed (timeout after sending, 5xx) — the caller must query first — unless
//!   the gateway itself says the same request may be sent again (Ksher: an error envelope,
//!   `code` ≠ 0; Alipay+: `U` with `UNKNOWN_EXCEPTION`). Repeats reuse the same merchant order /
//!   request id, so a replay is idempotent at the gateway.
//!
//! Every refusal to retry carries its reason.

use std::time::Duration;

/// What happened to one attempt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AttemptOutcome {
    /// No connection: the request certainly did not reach the gateway.
    ConnectFailed,
    /// The request may have been sent (timeout, connection lost mid-way).
    MaybeSent,
    /// The gateway answered with a non-success HTTP status.
    Status(u16),
    /// The gateway answered and says the same request may be repeated.
    GatewaySaysRetry,
}

/// The policy's decision after a failed attempt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Send the same request again after this delay.
    Retry {
        /// Delay before the next attempt.
        after: Duration,
    },
    /// Do not retry.
    Stop {
        /// Why not.
        reason: String,
    },
}

/// Capped exponential backoff with jitter, bounded attempts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included (1 = never retry).
    pub max_attempts: u32,
    /// Delay before the second attempt.
    pub base_delay: Duration,
    /// Upper bound of any delay.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(2),
        }
    }
}

impl RetryPolicy {
    /// A policy that never retries.
    pub fn never() -> Self {
        RetryPolicy {
            max_attempts: 1,
            ..RetryPolicy::default()
        }
    }

    /// Decides after attempt number `attempt` (1-based) of an operation that `creates` something
    /// (or only queries) ended with `outcome`. `jitter` in `[0, 1)` spreads the delay over
    /// `[delay / 2, delay]` (pass a random number; tests pass a fixed one).
    pub fn decide(
        &self,
        attempt: u32,
        creates: bool,
        outcome: &AttemptOutcome,
        jitter: f64,
    ) -> Decision {
        let allowed = match outcome {
            AttemptOutcome::ConnectFailed => Ok(()),
            AttemptOutcome::GatewaySaysRetry => Ok(()),
            AttemptOutcome::Status(code) if (400..500).contains(code) => Err(format!(
                "HTTP {code} is a client error: repeating the same request cannot help"
            )),
            AttemptOutcome::MaybeSent | AttemptOutcome::Status(_) if creates => Err(format!(
                "{} of a creating operation may have been processed: query its status before \
                 sending it again",
                describe(outcome)
            )),
            AttemptOutcome::MaybeSent | AttemptOutcome::Status(_) => Ok(()),
        };
        if let Err(reason) = allowed {
            return Decision::Stop { reason };
        }
        if attempt >= self.max_attempts {
            return Decision::Stop {
                reason: format!(
                    "gave up after {attempt} attempt(s); last: {}",
                    describe(outcome)
                ),
            };
        }
        let exp = self
            .base_delay
            .saturating_mul(1u32 << attempt.saturating_sub(1).min(16));
        let capped = exp.min(self.max_delay);
        let factor = 0.5 + 0.5 * jitter.clamp(0.0, 1.0);
        Decision::Retry {
            after: capped.mul_f64(factor),
        }
    }
}

/// How to settle a payment whose outcome is unknown (Ksher `NOTSURE`, Alipay+ `U`): query it up
/// to `attempts` times, `interval` apart, until the outcome is final; if it never is, cancel or
/// reverse it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PollPolicy {
    /// Queries in all.
    pub attempts: u32,
    /// Delay before each query.
    pub interval: Duration,
}

impl Default for PollPolicy {
    fn default() -> Self {
        PollPolicy {
            attempts: 6,
            interval: Duration::from_secs(5),
        }
    }
}

/// How an unknown outcome was settled.
#[derive(Clone, Debug)]
pub enum Settlement<Q, C> {
    /// A query returned a final outcome.
    Final {
        /// Success or failure.
        outcome: crate::Outcome,
        /// The query's verified answer.
        answer: Q,
    },
    /// No query gave a final outcome; the payment was cancelled / reversed.
    Cancelled {
        /// The last query's answer, if any query was answered.
        last_query: Option<Q>,
        /// The cancel operation's verified answer.
        cancel: C,
    },
}

/// Why the request of an attempt could not be built or sent (nothing reached the gateway).
#[derive(Debug, thiserror::Error)]
pub enum RequestError {
    /// The request breaks a rule of the spec.
    #[error(transparent)]
    Invalid(#[from] crate::ValidationError),
    /// The request body could not be serialized.
    #[error("request body: {0}")]
    Body(String),
    /// The RSA operation failed.
    #[error(transparent)]
    Crypto(#[from] crate::SignError),
    /// The HTTP request could not be built (e.g. a base URL that is not a URL).
    #[error("cannot build the HTTP request: {0}")]
    Http(#[from] http::Error),
    /// The HTTP client cannot send this request (e.g. an unsupported URL scheme).
    #[cfg(feature = "client")]
    #[error("cannot send the request: {0}")]
    Unsendable(#[source] reqwest::Error),
}

/// One call of one operation, as the sans-IO halves a transport needs: build the (freshly signed)
/// HTTP request of an attempt, and judge the HTTP answer. Generated crates implement it; the
/// transport (`transport::HttpTransport`, feature `client`) does the IO and the retries.
pub trait Exchange {
    /// The verified, typed answer.
    type Output;
    /// A rejected answer.
    type Error: std::error::Error + 'static;
    /// Whether the operation creates something (payments, refunds): decides what may be retried.
    fn creates(&self) -> bool;
    /// The request of one attempt, signed afresh (same order / request id, new nonce or time).
    fn request(&self) -> Result<http::Request<Vec<u8>>, RequestError>;
    /// Judges one answer: the verified output, a failure the retry policy judges, or a final
    /// rejection.
    fn response(
        &self,
        response: http::Response<Vec<u8>>,
    ) -> Result<Self::Output, AttemptError<Self::Error>>;
}

/// A gateway that turns a request of type `R` into one call ([`Exchange`]). Generated crates
/// implement it for their `Gateway` and every operation, so the runtime's generic client
/// (`transport::Client`, feature `client`) serves every generated crate the same way.
pub trait MakeExchange<R> {
    /// One call of the operation.
    type Call<'a>: Exchange
    where
        Self: 'a,
        R: 'a;
    /// The sans-IO halves of one call of `request`.
    fn make_exchange<'a>(&'a self, request: &'a R) -> Self::Call<'a>;
}

/// The result of one attempt, as an [`Exchange`] classifies it.
#[derive(Debug)]
pub enum AttemptError<E> {
    /// Failed before sending.
    Request(RequestError),
    /// A failure the retry policy judges (`detail` describes it).
    Retryable {
        /// Classification for the policy.
        outcome: AttemptOutcome,
        /// What happened.
        detail: String,
        /// The rejected answer, if the gateway answered.
        response: Option<E>,
    },
    /// A final answer that is an error (not retried).
    Response(E),
}

/// Why a call failed for good.
#[derive(Debug, thiserror::Error)]
pub enum ClientError<E: std::error::Error + 'static> {
    /// The request could not be built or signed (nothing was sent).
    #[error("request not sent: {0}")]
    Request(RequestError),
    /// The gateway's answer was rejected (bad signature, error envelope, undecodable body...).
    #[error(transparent)]
    Response(E),
    /// The policy refused another attempt; `reason` says why, `last` what happened last.
    #[error("call failed after {attempts} attempt(s): {last}; not retried: {reason}")]
    GaveUp {
        /// Attempts made.
        attempts: u32,
        /// The last failure.
        last: String,
        /// Why no further attempt was made.
        reason: String,
    },
}

fn describe(outcome: &AttemptOutcome) -> String {
    match outcome {
        AttemptOutcome::ConnectFailed => "connection failed".to_owned(),
        AttemptOutcome::MaybeSent => "a timeout or broken connection".to_owned(),
        AttemptOutcome::Status(code) => format!("HTTP {code}"),
        AttemptOutcome::GatewaySaysRetry => "the gateway asked for a repeat".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(attempt: u32, creates: bool, outcome: AttemptOutcome, expected: Result<u64, &str>) {
        let policy = RetryPolicy {
            max_attempts: 4,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(300),
        };
        match (policy.decide(attempt, creates, &outcome, 1.0), expected) {
            (Decision::Retry { after }, Ok(ms)) => {
                assert_eq!(after, Duration::from_millis(ms), "{outcome:?}")
            }
            (Decision::Stop { reason }, Err(part)) => assert!(reason.contains(part), "{reason}"),
            (got, want) => panic!(
                "{outcome:?} attempt {attempt} creates {creates}: got {got:?}, want {want:?}"
            ),
        }
    }

    #[test]
    fn payment_safe_decisions() {
        // Queries: network trouble and 5xx are retried with capped exponential backoff.
        check(1, false, AttemptOutcome::MaybeSent, Ok(100));
        check(2, false, AttemptOutcome::Status(503), Ok(200));
        check(3, false, AttemptOutcome::Status(500), Ok(300));
        check(
            4,
            false,
            AttemptOutcome::Status(500),
            Err("gave up after 4"),
        );
        check(1, false, AttemptOutcome::Status(404), Err("client error"));
        // Creating operations: only when the request surely did not arrive, or the gateway says so.
        check(1, true, AttemptOutcome::ConnectFailed, Ok(100));
        check(1, true, AttemptOutcome::GatewaySaysRetry, Ok(100));
        check(
            1,
            true,
            AttemptOutcome::MaybeSent,
            Err("may have been processed"),
        );
        check(
            1,
            true,
            AttemptOutcome::Status(502),
            Err("query its status"),
        );
        check(4, true, AttemptOutcome::ConnectFailed, Err("gave up"));
    }

    #[test]
    fn jitter_spreads_over_the_upper_half() {
        let policy = RetryPolicy::default();
        let low = policy.decide(1, false, &AttemptOutcome::MaybeSent, 0.0);
        let high = policy.decide(1, false, &AttemptOutcome::MaybeSent, 0.999);
        assert_eq!(
            low,
            Decision::Retry {
                after: Duration::from_millis(100)
            }
        );
        assert!(matches!(high, Decision::Retry { after } if after > Duration::from_millis(199)));
        assert!(matches!(
            RetryPolicy::never().decide(1, false, &AttemptOutcome::ConnectFailed, 0.5),
            Decision::Stop { .. }
        ));
    }
}
