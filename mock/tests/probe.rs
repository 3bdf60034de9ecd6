//! The notify-endpoint probe against two endpoints per API on 127.0.0.1: one that verifies with
//! the generated crate (every check passes) and one that accepts anything (every forgery is
//! named as a failed check).

mod support;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use payspec_alipayplus::VerifyNotifications as _;
use payspec_antom::VerifyNotifications as _;
use payspec_ksher::VerifyNotifications as _;
use payspec_mock::probe::{probe, ProbeConfig, ProbeError};
use payspec_mock::Api;
use payspec_runtime::http;

type Handler = Box<dyn Fn(&http::Request<Vec<u8>>) -> &'static str + Send>;

/// A notify endpoint on 127.0.0.1 answering with what `handler` says.
struct Endpoint {
    addr: SocketAddr,
    server: Arc<tiny_http::Server>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Endpoint {
    fn start(handler: Handler) -> Self {
        let server = Arc::new(tiny_http::Server::http("127.0.0.1:0").expect("binds"));
        let addr = server.server_addr().to_ip().expect("ip");
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (server, stop) = (Arc::clone(&server), Arc::clone(&stop));
            std::thread::spawn(move || {
                while !stop.load(Ordering::SeqCst) {
                    let Ok(Some(mut request)) = server.recv_timeout(Duration::from_millis(50))
                    else {
                        continue;
                    };
                    let mut body = Vec::new();
                    let _ = request.as_reader().read_to_end(&mut body);
                    let mut builder = http::Request::post(request.url());
                    for h in request.headers() {
                        builder = builder.header(h.field.as_str().as_str(), h.value.as_str());
                    }
                    let reply = builder.body(body).map(|r| handler(&r)).unwrap_or("bad");
                    let _ = request.respond(tiny_http::Response::from_string(reply));
                }
            })
        };
        Endpoint {
            addr,
            server,
            stop,
            thread: Some(thread),
        }
    }

    fn url(&self) -> String {
        format!("http://{}/notify", self.addr)
    }
}

impl Drop for Endpoint {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        self.server.unblock();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

const HEADER_FAILURE: &str =
    r#"{"result":{"resultCode":"PROCESS_FAIL","resultStatus":"F","resultMessage":"rejected"}}"#;
const KSHER_FAILURE: &str = r#"{"result":"FAIL","msg":"rejected"}"#;

/// Probes `url` with `api`'s mock gateway key; the names of the failed checks.
fn failed_checks(api: Api, gateway_key: &str, url: String) -> Vec<&'static str> {
    let config = ProbeConfig {
        api,
        url,
        gateway_key: support::private_key(gateway_key),
        client_id: None,
        allow_non_loopback: false,
        timeout: Duration::from_secs(5),
    };
    let results = probe(&config).expect("probe runs");
    assert!(results.len() >= 7 && results.len() <= 11, "{results:?}");
    assert_eq!(results.first().map(|r| r.check), Some("genuine"));
    assert_eq!(results.last().map(|r| r.check), Some("duplicate"));
    results
        .iter()
        .filter(|r| !r.pass)
        .map(|r| r.check)
        .collect()
}

const FORGERIES: &[&str] = &[
    "bad-signature",
    "other-key",
    "tampered-amount",
    "missing-signature",
    "unsigned",
];

fn check(api: Api, gateway_key: &str, correct: Handler, naive: Handler) {
    let safe = Endpoint::start(correct);
    assert_eq!(
        failed_checks(api, gateway_key, safe.url()),
        Vec::<&str>::new(),
        "{api:?}: a verifying endpoint passes every check"
    );
    let unsafe_endpoint = Endpoint::start(naive);
    let mut expected: Vec<&str> = FORGERIES.to_vec();
    if api != Api::Ksher {
        expected.extend(["stale-time", "future-time"]);
    }
    assert_eq!(
        failed_checks(api, gateway_key, unsafe_endpoint.url()),
        expected,
        "{api:?}: an endpoint that accepts anything fails every forged check"
    );
}

#[test]
fn ksher_endpoints() {
    let verifier =
        payspec_ksher::Verifier::new(support::public_key("ksher-gateway-mock-1024.pub.pem"));
    check(
        Api::Ksher,
        "ksher-gateway-mock-1024.pkcs8.pem",
        Box::new(move |req| match verifier.verify_notify_url(req.body()) {
            Ok(_) => payspec_ksher::NOTIFY_URL_REPLY,
            Err(_) => KSHER_FAILURE,
        }),
        Box::new(|_| payspec_ksher::NOTIFY_URL_REPLY),
    );
}

#[test]
fn alipayplus_endpoints() {
    let verifier = payspec_alipayplus::Verifier::new(
        "PROBE_CLIENT",
        support::public_key("alipayplus-gateway-mock-2048.pub.pem"),
    );
    check(
        Api::AlipayPlus,
        "alipayplus-gateway-mock-2048.pkcs8.pem",
        Box::new(move |req| match verifier.verify_http_notify_payment(req) {
            Ok(_) => payspec_alipayplus::NOTIFY_PAYMENT_REPLY,
            Err(_) => HEADER_FAILURE,
        }),
        Box::new(|_| payspec_alipayplus::NOTIFY_PAYMENT_REPLY),
    );
}

#[test]
fn antom_endpoints() {
    let verifier = payspec_antom::Verifier::new(
        "PROBE_CLIENT",
        support::public_key("antom-gateway-mock-2048.pub.pem"),
    );
    check(
        Api::Antom,
        "antom-gateway-mock-2048.pkcs8.pem",
        Box::new(move |req| match verifier.verify_http_notify_payment(req) {
            Ok(_) => payspec_antom::NOTIFY_PAYMENT_REPLY,
            Err(_) => HEADER_FAILURE,
        }),
        Box::new(|_| payspec_antom::NOTIFY_PAYMENT_REPLY),
    );
}

#[test]
fn only_loopback_unless_allowed() {
    let config = ProbeConfig {
        api: Api::AlipayPlus,
        url: "http://192.0.2.1/notify".into(),
        gateway_key: support::private_key("alipayplus-gateway-mock-2048.pkcs8.pem"),
        client_id: None,
        allow_non_loopback: false,
        timeout: Duration::from_secs(1),
    };
    assert!(matches!(
        probe(&config),
        Err(ProbeError::NotLoopback { .. })
    ));
    let bad = ProbeConfig {
        url: "not a url".into(),
        ..config
    };
    assert!(matches!(probe(&bad), Err(ProbeError::BadUrl(_))));
}
