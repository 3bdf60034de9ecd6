//! The async HTTP transport of generated clients (cargo feature `client`: reqwest with rustls).
//!
//! A thin adapter: signing and verification stay sans-IO in the generated crates; this module
//! only sends `http::Request`s, classifies failures for the [`RetryPolicy`] and sleeps between
//! attempts.

use std::future::Future;
use std::time::Duration;

use crate::retry::{AttemptOutcome, Decision, RetryPolicy};

/// Waits `duration` (tokio timer).
pub async fn sleep(duration: Duration) {
    tokio::time::sleep(duration).await;
}

/// Why a call failed for good.
#[derive(Debug, thiserror::Error)]
pub enum ClientError<E: std::error::Error + 'static> {
    /// The request could not be built or signed (nothing was sent).
    #[error("request not sent: {0}")]
    Request(String),
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

/// The result of one attempt, as the generated client classifies it.
#[derive(Debug)]
pub enum AttemptError<E> {
    /// Failed before sending.
    Request(String),
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

/// Sends requests over HTTPS (rustls) with timeouts.
#[derive(Clone, Debug)]
pub struct HttpTransport {
    client: reqwest::Client,
    policy: RetryPolicy,
}

impl HttpTransport {
    /// A transport with a total per-attempt `timeout` and the given retry policy.
    pub fn new(timeout: Duration, policy: RetryPolicy) -> Result<Self, String> {
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(10)))
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
        Ok(HttpTransport { client, policy })
    }

    /// The retry policy.
    pub fn policy(&self) -> &RetryPolicy {
        &self.policy
    }

    /// Sends one request; transport failures come back classified for the retry policy.
    pub async fn send<E>(
        &self,
        request: http::Request<Vec<u8>>,
    ) -> Result<http::Response<Vec<u8>>, AttemptError<E>> {
        let request = reqwest::Request::try_from(request)
            .map_err(|e| AttemptError::Request(e.to_string()))?;
        let response = self.client.execute(request).await.map_err(|e| {
            let outcome = if e.is_connect() {
                AttemptOutcome::ConnectFailed
            } else {
                AttemptOutcome::MaybeSent
            };
            AttemptError::Retryable {
                outcome,
                detail: e.to_string(),
                response: None,
            }
        })?;
        let mut builder = http::Response::builder().status(response.status());
        for (name, value) in response.headers() {
            builder = builder.header(name, value);
        }
        let body = response
            .bytes()
            .await
            .map_err(|e| AttemptError::Retryable {
                outcome: AttemptOutcome::MaybeSent,
                detail: format!("reading the body: {e}"),
                response: None,
            })?;
        builder
            .body(body.to_vec())
            .map_err(|e| AttemptError::Request(e.to_string()))
    }

    /// Runs `attempt` until it succeeds or the policy stops; `creates` tells the policy whether
    /// the operation creates something. Each attempt builds (and signs) its request afresh.
    pub async fn run<T, E, F, Fut>(
        &self,
        creates: bool,
        mut attempt: F,
    ) -> Result<T, ClientError<E>>
    where
        E: std::error::Error + 'static,
        F: FnMut(u32) -> Fut,
        Fut: Future<Output = Result<T, AttemptError<E>>>,
    {
        let mut n = 0;
        loop {
            n += 1;
            match attempt(n).await {
                Ok(value) => return Ok(value),
                Err(AttemptError::Request(e)) => return Err(ClientError::Request(e)),
                Err(AttemptError::Response(e)) => return Err(ClientError::Response(e)),
                Err(AttemptError::Retryable {
                    outcome,
                    detail,
                    response,
                }) => match self
                    .policy
                    .decide(n, creates, &outcome, rand::random::<f64>())
                {
                    Decision::Retry { after } => tokio::time::sleep(after).await,
                    Decision::Stop { reason } => {
                        // When the gateway answered, its (rejected) answer is the error to report.
                        return Err(match response {
                            Some(e) => ClientError::Response(e),
                            None => ClientError::GaveUp {
                                attempts: n,
                                last: detail,
                                reason,
                            },
                        });
                    }
                },
            }
        }
    }
}
