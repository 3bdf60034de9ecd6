//! The HTTP side: hyper (HTTP/1.1) on a tokio runtime of its own, on a loopback address.
//!
//! Hostile clients are bounded (issue 9, defect 3): at most `max_connections` connections at
//! once (more are closed on accept), a request head must arrive within `read_timeout` (hyper's
//! header timeout, also closing idle keep-alive connections), the body within `read_timeout`
//! (`408` otherwise) and at most [`MAX_BODY`] bytes (`413`, refused from `Content-Length` before
//! anything is read). Requests are handled on the blocking pool, so RSA work never stalls the
//! reactor.

use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Bytes;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::sync::{watch, Semaphore};

use crate::gateway::Gateway;
use crate::http::{Incoming, Outgoing};
use crate::{Config, Running, StartError};

/// Largest request body read; larger bodies are answered 413.
pub const MAX_BODY: usize = 1 << 20;

/// Longest a single connection may stay open, however active it is.
const MAX_CONNECTION_LIFETIME: Duration = Duration::from_secs(300);

/// The server thread of a running mock.
pub(crate) struct ServerHandle {
    shutdown: watch::Sender<bool>,
    thread: Option<JoinHandle<()>>,
}

impl ServerHandle {
    /// Stops accepting, then waits (a few seconds at most) for requests in progress.
    pub fn stop(mut self) {
        let _ = self.shutdown.send(true);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

pub(crate) fn start(config: Config) -> Result<Running, StartError> {
    if !config.listen.ip().is_loopback() {
        return Err(StartError::NotLoopback(config.listen));
    }
    let bind_error = |message: String| StartError::Bind {
        addr: config.listen,
        message,
    };
    let listener =
        std::net::TcpListener::bind(config.listen).map_err(|e| bind_error(e.to_string()))?;
    listener
        .set_nonblocking(true)
        .map_err(|e| bind_error(e.to_string()))?;
    let addr = listener
        .local_addr()
        .map_err(|e| bind_error(e.to_string()))?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .max_blocking_threads(16)
        .thread_name("payspec-mock")
        .enable_all()
        .build()
        .map_err(|e| bind_error(e.to_string()))?;
    let limits = Limits {
        max_connections: config.max_connections.max(1),
        read_timeout: config.read_timeout,
    };
    let handler = config.api.handler();
    let gateway = Gateway::new(config, addr, handler);
    let (shutdown, stopped) = watch::channel(false);
    let thread = {
        let gateway = Arc::clone(&gateway);
        std::thread::Builder::new()
            .name("payspec-mock-server".into())
            .spawn(move || {
                runtime.block_on(serve(listener, gateway, limits, stopped));
                runtime.shutdown_timeout(Duration::from_secs(5));
            })
            .map_err(|e| StartError::Bind {
                addr,
                message: e.to_string(),
            })?
    };
    gateway.log(&format!(
        "{} mock gateway listening on http://{addr}",
        gateway.api.name()
    ));
    Ok(Running {
        addr,
        gateway,
        server: Some(ServerHandle {
            shutdown,
            thread: Some(thread),
        }),
    })
}

#[derive(Clone, Copy)]
struct Limits {
    max_connections: usize,
    read_timeout: Duration,
}

async fn serve(
    listener: std::net::TcpListener,
    gateway: Arc<Gateway>,
    limits: Limits,
    mut stopped: watch::Receiver<bool>,
) {
    let listener = match tokio::net::TcpListener::from_std(listener) {
        Ok(listener) => listener,
        Err(e) => {
            gateway.log(&format!("cannot serve: {e}"));
            return;
        }
    };
    let permits = Arc::new(Semaphore::new(limits.max_connections));
    loop {
        let accepted = tokio::select! {
            _ = stopped.changed() => return,
            accepted = listener.accept() => accepted,
        };
        let Ok((stream, _)) = accepted else {
            continue;
        };
        // Over the limit: close at once rather than queue (an idle flood cannot pile up).
        let Ok(permit) = Arc::clone(&permits).try_acquire_owned() else {
            drop(stream);
            continue;
        };
        let gateway = Arc::clone(&gateway);
        let mut stopped = stopped.clone();
        tokio::spawn(async move {
            let _permit = permit;
            let service = service_fn(move |request| {
                let gateway = Arc::clone(&gateway);
                async move { respond(&gateway, request, limits).await }
            });
            let connection = http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(limits.read_timeout)
                .max_buf_size(64 * 1024)
                .serve_connection(TokioIo::new(stream), service);
            tokio::pin!(connection);
            tokio::select! {
                _ = tokio::time::timeout(MAX_CONNECTION_LIFETIME, connection.as_mut()) => {}
                _ = stopped.changed() => {
                    connection.as_mut().graceful_shutdown();
                    let _ = tokio::time::timeout(Duration::from_secs(5), connection).await;
                }
            }
        });
    }
}

/// Answers one request, with the injected faults: an `Err` closes the connection without an
/// answer (the `drop` fault).
async fn respond(
    gateway: &Arc<Gateway>,
    request: hyper::Request<hyper::body::Incoming>,
    limits: Limits,
) -> Result<hyper::Response<Full<Bytes>>, std::io::Error> {
    let outgoing = match read(request, limits).await {
        Ok(incoming) => {
            let plan = gateway.fault_plan(&incoming);
            if let Some(wait) = plan.latency {
                tokio::time::sleep(wait).await;
            }
            if plan.drop {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::ConnectionAborted,
                    "injected fault: connection dropped",
                ));
            }
            if plan.http5xx {
                Outgoing::text(503, "injected fault: service unavailable")
            } else {
                let worker = Arc::clone(gateway);
                let line = format!("{} {}", incoming.method, incoming.path);
                let unknown = plan.unknown;
                let out = tokio::task::spawn_blocking(move || {
                    let out = worker.handle(&incoming);
                    // Processed; the answer says the outcome is unknown.
                    if unknown && out.status == 200 {
                        worker.unknown_answer(&incoming)
                    } else {
                        out
                    }
                })
                .await
                .unwrap_or_else(|_| Outgoing::text(500, "the request handler failed"));
                gateway.log(&format!("{line} -> {}", out.status));
                if let Some(late) = plan.timeout {
                    tokio::time::sleep(late).await;
                }
                out
            }
        }
        Err(out) => out,
    };
    let mut response = hyper::Response::new(Full::new(Bytes::from(outgoing.body)));
    *response.status_mut() = hyper::StatusCode::from_u16(outgoing.status)
        .unwrap_or(hyper::StatusCode::INTERNAL_SERVER_ERROR);
    for (name, value) in &outgoing.headers {
        if let (Ok(name), Ok(value)) = (
            hyper::header::HeaderName::from_bytes(name.as_bytes()),
            hyper::header::HeaderValue::from_str(value),
        ) {
            response.headers_mut().append(name, value);
        }
    }
    Ok(response)
}

async fn read(
    request: hyper::Request<hyper::body::Incoming>,
    limits: Limits,
) -> Result<Incoming, Outgoing> {
    let (parts, body) = request.into_parts();
    let announced = parts
        .headers
        .get(hyper::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if announced.is_some_and(|n| n > MAX_BODY as u64) {
        return Err(Outgoing::text(413, "body too large"));
    }
    let collected =
        tokio::time::timeout(limits.read_timeout, Limited::new(body, MAX_BODY).collect())
            .await
            .map_err(|_| Outgoing::text(408, "the body did not arrive in time"))?;
    let body = match collected {
        Ok(body) => body.to_bytes().to_vec(),
        Err(e)
            if e.downcast_ref::<http_body_util::LengthLimitError>()
                .is_some() =>
        {
            return Err(Outgoing::text(413, "body too large"))
        }
        Err(e) => return Err(Outgoing::text(400, &format!("cannot read the body: {e}"))),
    };
    let headers = parts
        .headers
        .iter()
        .map(|(name, value)| {
            (
                name.as_str().to_owned(),
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            )
        })
        .collect();
    Ok(Incoming {
        method: parts.method.as_str().to_owned(),
        path: parts.uri.path().to_owned(),
        headers,
        body,
    })
}
