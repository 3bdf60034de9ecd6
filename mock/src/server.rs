//! The HTTP side: a small synchronous `tiny_http` server on a loopback address, one worker
//! thread per request (at most `max_workers` at once; further requests wait for a slot).

use std::io::Read;
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use crate::gateway::Gateway;
use crate::{Config, Running, StartError};

/// Largest request body read; larger bodies are answered 413.
const MAX_BODY: u64 = 1 << 20;

/// A received request, read completely.
#[derive(Clone, Debug)]
pub(crate) struct Incoming {
    pub method: String,
    /// Path without the query.
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Incoming {
    /// A header value by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// An answer to send.
#[derive(Clone, Debug)]
pub(crate) struct Outgoing {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Outgoing {
    pub fn json(status: u16, body: impl Into<Vec<u8>>) -> Self {
        Outgoing {
            status,
            headers: vec![(
                "Content-Type".into(),
                "application/json; charset=UTF-8".into(),
            )],
            body: body.into(),
        }
    }

    pub fn text(status: u16, body: &str) -> Self {
        Outgoing {
            status,
            headers: vec![("Content-Type".into(), "text/plain; charset=UTF-8".into())],
            body: body.as_bytes().to_vec(),
        }
    }

    pub fn with_header(mut self, name: &str, value: String) -> Self {
        self.headers.push((name.to_owned(), value));
        self
    }
}

/// Counts running workers; `acquire` waits while all slots are taken.
struct Slots {
    busy: Mutex<usize>,
    changed: Condvar,
    max: usize,
}

impl Slots {
    fn acquire(self: &Arc<Self>) -> SlotGuard {
        let mut busy = self.busy.lock().unwrap_or_else(PoisonError::into_inner);
        while *busy >= self.max {
            busy = self
                .changed
                .wait(busy)
                .unwrap_or_else(PoisonError::into_inner);
        }
        *busy += 1;
        SlotGuard(Arc::clone(self))
    }

    fn wait_idle(&self, timeout: Duration) {
        let busy = self.busy.lock().unwrap_or_else(PoisonError::into_inner);
        let _ = self
            .changed
            .wait_timeout_while(busy, timeout, |b| *b > 0)
            .unwrap_or_else(PoisonError::into_inner);
    }
}

struct SlotGuard(Arc<Slots>);

impl Drop for SlotGuard {
    fn drop(&mut self) {
        let mut busy = self.0.busy.lock().unwrap_or_else(PoisonError::into_inner);
        *busy = busy.saturating_sub(1);
        self.0.changed.notify_all();
    }
}

/// The accept loop of a running server.
pub(crate) struct ServerHandle {
    server: Arc<tiny_http::Server>,
    acceptor: Option<JoinHandle<()>>,
    slots: Arc<Slots>,
}

impl ServerHandle {
    pub fn stop(mut self) {
        self.server.unblock();
        if let Some(acceptor) = self.acceptor.take() {
            let _ = acceptor.join();
        }
        self.slots.wait_idle(Duration::from_secs(5));
    }
}

pub(crate) fn start(config: Config) -> Result<Running, StartError> {
    if !config.listen.ip().is_loopback() {
        return Err(StartError::NotLoopback(config.listen));
    }
    let server = tiny_http::Server::http(config.listen).map_err(|e| StartError::Bind {
        addr: config.listen,
        message: e.to_string(),
    })?;
    let addr: SocketAddr = server
        .server_addr()
        .to_ip()
        .ok_or_else(|| StartError::Bind {
            addr: config.listen,
            message: "not an IP socket".into(),
        })?;
    let slots = Arc::new(Slots {
        busy: Mutex::new(0),
        changed: Condvar::new(),
        max: config.max_workers.max(1),
    });
    let gateway = Gateway::new(config, addr);
    let server = Arc::new(server);
    let acceptor = {
        let server = Arc::clone(&server);
        let gateway = Arc::clone(&gateway);
        let slots = Arc::clone(&slots);
        std::thread::Builder::new()
            .name("payspec-mock-accept".into())
            .spawn(move || accept_loop(&server, &gateway, &slots))
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
            server,
            acceptor: Some(acceptor),
            slots,
        }),
    })
}

fn accept_loop(server: &tiny_http::Server, gateway: &Arc<Gateway>, slots: &Arc<Slots>) {
    loop {
        if gateway.shutdown.load(Ordering::SeqCst) {
            return;
        }
        let request = match server.recv_timeout(Duration::from_millis(100)) {
            Ok(Some(request)) => request,
            Ok(None) => continue,
            Err(_) => {
                if gateway.shutdown.load(Ordering::SeqCst) {
                    return;
                }
                continue;
            }
        };
        let guard = slots.acquire();
        let worker = Arc::clone(gateway);
        let spawned = std::thread::Builder::new()
            .name("payspec-mock-worker".into())
            .spawn(move || {
                let _guard = guard;
                serve(&worker, request);
            });
        if spawned.is_err() {
            gateway.log("could not start a worker thread; request dropped");
        }
    }
}

fn serve(gateway: &Arc<Gateway>, mut request: tiny_http::Request) {
    let outgoing = match read(&mut request) {
        Ok(incoming) => {
            let out = gateway.handle(&incoming);
            gateway.log(&format!(
                "{} {} -> {}",
                incoming.method, incoming.path, out.status
            ));
            out
        }
        Err(out) => out,
    };
    let mut response =
        tiny_http::Response::from_data(outgoing.body).with_status_code(outgoing.status);
    for (name, value) in &outgoing.headers {
        if let Ok(header) = tiny_http::Header::from_bytes(name.as_bytes(), value.as_bytes()) {
            response = response.with_header(header);
        }
    }
    // The client may have gone away; nothing to do then.
    let _ = request.respond(response);
}

fn read(request: &mut tiny_http::Request) -> Result<Incoming, Outgoing> {
    let url = request.url();
    let path = url.split(['?', '#']).next().unwrap_or("").to_owned();
    let method = request.method().as_str().to_owned();
    let headers = request
        .headers()
        .iter()
        .map(|h| {
            (
                h.field.as_str().as_str().to_owned(),
                h.value.as_str().to_owned(),
            )
        })
        .collect();
    let mut body = Vec::new();
    if let Err(e) = request
        .as_reader()
        .take(MAX_BODY + 1)
        .read_to_end(&mut body)
    {
        return Err(Outgoing::text(400, &format!("cannot read the body: {e}")));
    }
    if body.len() as u64 > MAX_BODY {
        return Err(Outgoing::text(413, "body too large"));
    }
    Ok(Incoming {
        method,
        path,
        headers,
        body,
    })
}
