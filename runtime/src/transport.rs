//! The async HTTP transport of generated clients (cargo feature `client`: reqwest with rustls).
//!
//! A thin adapter: signing and verification stay sans-IO in the generated crates; this module
//! only sends `http::Request`s, classifies failures for the [`RetryPolicy`] and sleeps between
//! attempts.

use std::future::Future;
use std::time::Duration;

pub use crate::retry::{AttemptError, ClientError, Exchange, MakeExchange, RequestError};

/// Why an [`HttpTransport`] could not be made.
#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    /// The HTTP client (TLS set-up) could not be built.
    #[error("cannot build the HTTP client: {0}")]
    Client(#[source] reqwest::Error),
}
use crate::retry::{AttemptOutcome, Decision, PollPolicy, RetryPolicy, Settlement};

/// Waits `duration` (tokio timer).
pub async fn sleep(duration: Duration) {
    tokio::time::sleep(duration).await;
}

/// Sends requests over HTTPS (rustls) with timeouts.
#[derive(Clone, Debug)]
pub struct HttpTransport {
    client: reqwest::Client,
    policy: RetryPolicy,
}

impl HttpTransport {
    /// A transport with a total per-attempt `timeout` and the given retry policy.
    pub fn new(timeout: Duration, policy: RetryPolicy) -> Result<Self, TransportError> {
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(10)))
            .build()
            .map_err(TransportError::Client)?;
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
            .map_err(|e| AttemptError::Request(RequestError::Unsendable(e)))?;
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
            .map_err(|e| AttemptError::Request(RequestError::Http(e)))
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

    /// Performs one operation call: signs, sends, verifies, and retries when the policy allows.
    pub async fn call<X: Exchange>(
        &self,
        exchange: &X,
    ) -> Result<X::Output, ClientError<X::Error>> {
        self.run(exchange.creates(), |_| async move {
            let request = exchange.request().map_err(AttemptError::Request)?;
            let response = self.send(request).await?;
            exchange.response(response)
        })
        .await
    }

    /// Settles a payment whose outcome is unknown (Ksher `NOTSURE`, Alipay+ `U`): calls `query`
    /// up to `poll.attempts` times until `outcome` of its answer is final, and if it never is,
    /// calls `cancel` (reverse / cancel the payment).
    pub async fn settle<Q: Exchange, C: Exchange>(
        &self,
        query: &Q,
        cancel: &C,
        poll: &PollPolicy,
        outcome: impl Fn(&Q::Output) -> crate::Outcome,
    ) -> Result<Settlement<Q::Output, C::Output>, ClientError<C::Error>> {
        let mut last = None;
        for _ in 0..poll.attempts {
            sleep(poll.interval).await;
            // A failed query settles nothing; keep polling, then cancel.
            if let Ok(answer) = self.call(query).await {
                let o = outcome(&answer);
                if o != crate::Outcome::Unknown {
                    return Ok(Settlement::Final { outcome: o, answer });
                }
                last = Some(answer);
            }
        }
        let cancel = self.call(cancel).await?;
        Ok(Settlement::Cancelled {
            last_query: last,
            cancel,
        })
    }
}

/// A generated crate's `Gateway` with the HTTP transport: each generated crate exports it as
/// `Client` (its `client` feature). `call` signs each attempt afresh, sends it, retries only when
/// that is safe for payments, and returns the verified, typed answer.
#[derive(Clone, Debug)]
pub struct Client<G> {
    gateway: G,
    transport: HttpTransport,
}

impl<G> Client<G> {
    /// A client over `gateway` and `transport`.
    pub fn new(gateway: G, transport: HttpTransport) -> Self {
        Client { gateway, transport }
    }

    /// Calls the operation of `request`.
    pub async fn call<'a, R>(
        &'a self,
        request: &'a R,
    ) -> Result<<G::Call<'a> as Exchange>::Output, ClientError<<G::Call<'a> as Exchange>::Error>>
    where
        G: MakeExchange<R>,
    {
        self.transport
            .call(&self.gateway.make_exchange(request))
            .await
    }

    /// The gateway (the sans-IO halves, e.g. for [`HttpTransport::settle`]).
    pub fn gateway(&self) -> &G {
        &self.gateway
    }

    /// The transport.
    pub fn transport(&self) -> &HttpTransport {
        &self.transport
    }
}
