//! Shared test support: keys, a blocking HTTP adapter for the sans-IO generated clients, and a
//! notification receiver on 127.0.0.1 that verifies what it receives.

#![allow(dead_code)]

pub mod webdriver;

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use payspec_alipayplus::VerifyNotifications as _;
use payspec_antom::VerifyNotifications as _;
use payspec_ksher::VerifyNotifications as _;
use payspec_mock::{Api, Config, MockGateway, Running};
use payspec_runtime::http;
use payspec_runtime::{PrivateKey, PublicKey};

pub const KSHER_APPID: &str = "mch35005";
pub const ALIPAY_CLIENT_ID: &str = "SANDBOX_5YBX2B2ZKQYE04562";
pub const ANTOM_CLIENT_ID: &str = "SANDBOX_5YHX3F2ZKQYE01234";

pub fn key_text(name: &str) -> String {
    let path = format!(
        "{}/../conformance/vectors/keys/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

pub fn private_key(name: &str) -> PrivateKey {
    PrivateKey::from_pem(&key_text(name)).expect("private key")
}

pub fn public_key(name: &str) -> PublicKey {
    PublicKey::from_pem(&key_text(name)).expect("public key")
}

/// A test configuration with short notification retries.
pub fn config(api: Api) -> Config {
    let (merchant, gateway) = match api {
        Api::Ksher => ("ksher-merchant-1024", "ksher-gateway-mock-1024"),
        Api::AlipayPlus => ("alipayplus-merchant-2048", "alipayplus-gateway-mock-2048"),
        Api::Antom => ("antom-merchant-2048", "antom-gateway-mock-2048"),
    };
    let mut config = Config::new(
        api,
        public_key(&format!("{merchant}.pub.pem")),
        private_key(&format!("{gateway}.pkcs8.pem")),
    );
    config.notify_retry_delays = vec![
        Duration::from_millis(20),
        Duration::from_millis(40),
        Duration::from_millis(80),
    ];
    config
}

pub fn start(api: Api) -> Running {
    MockGateway::start(config(api)).expect("mock starts")
}

/// A blocking agent for loopback calls (no proxy from the environment, any status returned).
pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .proxy(None)
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(10)))
        .build()
        .new_agent()
}

/// Sends an `http::Request` and reads the whole answer: the transport the sans-IO clients need.
pub fn send(agent: &ureq::Agent, request: http::Request<Vec<u8>>) -> http::Response<Vec<u8>> {
    let response = agent.run(request).expect("request sent");
    let (parts, mut body) = response.into_parts();
    let bytes = body.read_to_vec().expect("body read");
    http::Response::from_parts(parts, bytes)
}

/// A raw POST.
pub fn post(
    agent: &ureq::Agent,
    url: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> http::Response<Vec<u8>> {
    let mut builder = http::Request::post(url);
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    send(agent, builder.body(body.to_vec()).expect("request"))
}

/// The generated Ksher client over the adapter; records every operation answered with
/// verified data.
pub struct KsherClient {
    pub signer: payspec_ksher::Signer,
    pub verifier: payspec_ksher::Verifier,
    pub base_url: String,
    pub agent: ureq::Agent,
    pub exercised: Mutex<BTreeSet<&'static str>>,
}

impl KsherClient {
    pub fn new(running: &Running) -> Self {
        KsherClient {
            signer: payspec_ksher::Signer::new(
                KSHER_APPID,
                private_key("ksher-merchant-1024.pkcs1.pem"),
            ),
            verifier: payspec_ksher::Verifier::new(public_key("ksher-gateway-mock-1024.pub.pem")),
            base_url: running.base_url(),
            agent: agent(),
            exercised: Mutex::new(BTreeSet::new()),
        }
    }

    pub fn http<O: payspec_ksher::Operation>(&self, request: &O) -> http::Response<Vec<u8>> {
        let signed = self.signer.sign(request).expect("request is valid");
        send(
            &self.agent,
            signed.to_http(&self.base_url).expect("http request"),
        )
    }

    pub fn call<O: payspec_ksher::Operation>(
        &self,
        request: &O,
    ) -> Result<payspec_ksher::Response<O::Response>, payspec_ksher::ResponseError> {
        let response = self.http(request);
        let verified = self.verifier.verify_http_response::<O, _>(&response)?;
        self.exercised.lock().unwrap().insert(O::NAME);
        Ok(verified.into_inner())
    }
}

/// A generated header-rsa client (Alipay+, Antom) over the adapter.
pub struct HeaderClient<A: header_rsa::Api> {
    pub signer: header_rsa::Signer<A>,
    pub verifier: header_rsa::Verifier<A>,
    pub base_url: String,
    pub agent: ureq::Agent,
    pub exercised: Mutex<BTreeSet<&'static str>>,
}

use payspec_runtime::scheme::header_rsa;

/// The generated Alipay+ client over the adapter.
pub type AlipayClient = HeaderClient<payspec_alipayplus::Api>;
/// The generated Antom client over the adapter.
pub type AntomClient = HeaderClient<payspec_antom::Api>;

impl AlipayClient {
    pub fn new(running: &Running) -> Self {
        HeaderClient::with_keys(
            running,
            ALIPAY_CLIENT_ID,
            "alipayplus-merchant-2048.pkcs1.pem",
            alipay_verifier(),
        )
    }
}

impl AntomClient {
    pub fn new(running: &Running) -> Self {
        HeaderClient::with_keys(
            running,
            ANTOM_CLIENT_ID,
            "antom-merchant-2048.pkcs8.pem",
            antom_verifier(),
        )
    }
}

impl<A: header_rsa::Api> HeaderClient<A> {
    fn with_keys(
        running: &Running,
        client_id: &str,
        merchant_key: &str,
        verifier: header_rsa::Verifier<A>,
    ) -> Self {
        HeaderClient {
            signer: header_rsa::Signer::new(client_id, private_key(merchant_key)),
            verifier,
            base_url: running.base_url(),
            agent: agent(),
            exercised: Mutex::new(BTreeSet::new()),
        }
    }

    pub fn http<O: header_rsa::Operation<Api = A>>(&self, request: &O) -> http::Response<Vec<u8>> {
        let signed = self.signer.sign(request).expect("request is valid");
        send(
            &self.agent,
            signed.to_http(&self.base_url).expect("http request"),
        )
    }

    pub fn call<O: header_rsa::Operation<Api = A>>(
        &self,
        request: &O,
    ) -> Result<
        payspec_runtime::header_signature::JsonMessage<O::Response>,
        payspec_runtime::header_signature::JsonMessageError,
    > {
        let response = self.http(request);
        let verified = self.verifier.verify_http_response::<O, _>(&response)?;
        let message = verified.into_inner();
        assert_eq!(
            message.trust,
            payspec_runtime::header_signature::Trust::Signed,
            "the mock signs every answer"
        );
        self.exercised.lock().unwrap().insert(O::NAME);
        Ok(message)
    }
}

pub fn alipay_verifier() -> payspec_alipayplus::Verifier {
    payspec_alipayplus::Verifier::new(
        ALIPAY_CLIENT_ID,
        public_key("alipayplus-gateway-mock-2048.pub.pem"),
    )
}

pub fn antom_verifier() -> payspec_antom::Verifier {
    payspec_antom::Verifier::new(
        ANTOM_CLIENT_ID,
        public_key("antom-gateway-mock-2048.pub.pem"),
    )
}

/// What the receiver got: the notification's path and its verified order number, or why it
/// did not verify.
#[derive(Clone, Debug)]
pub struct Received {
    pub path: String,
    pub verified: Result<String, String>,
}

/// Verifies one received notification (path, headers, exact body); `Ok(order number)`.
pub type Check = Box<dyn Fn(&http::Request<Vec<u8>>) -> Result<String, String> + Send + Sync>;

/// A notification receiver on 127.0.0.1: verifies each notification, replies with the spec's
/// reply constant, except that the first `fail_first` requests get `failure_reply`.
pub struct Receiver {
    pub addr: SocketAddr,
    pub received: Arc<Mutex<Vec<Received>>>,
    server: Arc<tiny_http::Server>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Receiver {
    pub fn start(
        check: Check,
        reply: &'static str,
        failure_reply: &'static str,
        fail_first: usize,
    ) -> Self {
        let server = Arc::new(tiny_http::Server::http("127.0.0.1:0").expect("receiver binds"));
        let addr = server.server_addr().to_ip().expect("ip address");
        let received = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let count = AtomicUsize::new(0);
        let thread = {
            let server = Arc::clone(&server);
            let received = Arc::clone(&received);
            let stop = Arc::clone(&stop);
            std::thread::spawn(move || {
                while !stop.load(Ordering::SeqCst) {
                    let Ok(Some(mut request)) = server.recv_timeout(Duration::from_millis(50))
                    else {
                        continue;
                    };
                    let mut body = Vec::new();
                    let _ = request.as_reader().read_to_end(&mut body);
                    let mut builder = http::Request::builder()
                        .method(request.method().as_str())
                        .uri(request.url());
                    for h in request.headers() {
                        builder = builder.header(h.field.as_str().as_str(), h.value.as_str());
                    }
                    let verified = match builder.body(body) {
                        Ok(req) => check(&req),
                        Err(e) => Err(e.to_string()),
                    };
                    let path = request.url().split('?').next().unwrap_or("").to_owned();
                    received.lock().unwrap().push(Received { path, verified });
                    let n = count.fetch_add(1, Ordering::SeqCst);
                    let text = if n < fail_first { failure_reply } else { reply };
                    let _ = request.respond(tiny_http::Response::from_string(text));
                }
            })
        };
        Receiver {
            addr,
            received,
            server,
            stop,
            thread: Some(thread),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    /// Waits until `n` notifications arrived (at most 5 s).
    pub fn wait_for(&self, n: usize) -> Vec<Received> {
        let end = Instant::now() + Duration::from_secs(5);
        loop {
            let got = self.received();
            if got.len() >= n || Instant::now() > end {
                return got;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        self.server.unblock();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// A Ksher receiver: `notify_url` and `mch_notify_url` (by path) verified with the mock's key.
pub fn ksher_receiver(fail_first: usize) -> Receiver {
    let verifier = payspec_ksher::Verifier::new(public_key("ksher-gateway-mock-1024.pub.pem"));
    Receiver::start(
        Box::new(move |req| {
            let body = req.body().as_slice();
            if req.uri().path().ends_with("/mch_notify") {
                let v = verifier
                    .verify_mch_notify_url(body)
                    .map_err(|e| e.to_string())?;
                Ok(v.into_inner().data.mch_order_no.unwrap_or_default())
            } else {
                let v = verifier
                    .verify_notify_url(body)
                    .map_err(|e| e.to_string())?;
                let data = v.into_inner().data;
                if data.result != Some(payspec_ksher::types::OrderResult::Success) {
                    return Err(format!("result {:?}", data.result));
                }
                Ok(data.mch_order_no.unwrap_or_default())
            }
        }),
        payspec_ksher::NOTIFY_URL_REPLY,
        r#"{"result":"FAIL","msg":"try again"}"#,
        fail_first,
    )
}

/// An Alipay+ receiver: `notifyPayment` (and `notifyRegistrationStatus` at a path ending
/// `/registration`) verified over its own path and `request-time`.
pub fn alipay_receiver(fail_first: usize) -> Receiver {
    let verifier = alipay_verifier();
    Receiver::start(
        Box::new(move |req| {
            if req.uri().path().ends_with("/registration") {
                let v = verifier
                    .verify_http_notify_registration_status(req)
                    .map_err(|e| e.to_string())?;
                return Ok(v
                    .into_inner()
                    .data
                    .registration_request_id
                    .unwrap_or_default());
            }
            let v = verifier
                .verify_http_notify_payment(req)
                .map_err(|e| e.to_string())?;
            let data = v.into_inner().data;
            let status = data
                .payment_result
                .as_ref()
                .and_then(|r| r.result_status.as_ref())
                .map(|s| s.as_str().to_owned());
            if status.as_deref() != Some("S") {
                return Err(format!("paymentResult status {status:?}"));
            }
            Ok(data.payment_request_id.unwrap_or_default())
        }),
        payspec_alipayplus::NOTIFY_PAYMENT_REPLY,
        r#"{"result":{"resultCode":"PROCESS_FAIL","resultStatus":"F","resultMessage":"later"}}"#,
        fail_first,
    )
}

/// An Antom receiver: notifyPayment (path ending `/notify`) and notifyRefund (path ending
/// `/refund-notify`), each verified over its own path and `request-time`; `Ok` carries the
/// merchant's payment or refund id.
pub fn antom_receiver(fail_first: usize) -> Receiver {
    let verifier = antom_verifier();
    Receiver::start(
        Box::new(move |req| {
            let success = |r: Option<&payspec_antom::types::ApiResult>| {
                let status = r
                    .and_then(|r| r.result_status.as_ref())
                    .map(|s| s.as_str().to_owned());
                if status.as_deref() == Some("S") {
                    Ok(())
                } else {
                    Err(format!("result status {status:?}"))
                }
            };
            if req.uri().path().ends_with("/refund-notify") {
                let v = verifier
                    .verify_http_notify_refund(req)
                    .map_err(|e| e.to_string())?;
                let data = v.into_inner().data;
                success(data.result.as_ref())?;
                Ok(data.refund_request_id.unwrap_or_default())
            } else {
                let v = verifier
                    .verify_http_notify_payment(req)
                    .map_err(|e| e.to_string())?;
                let data = v.into_inner().data;
                success(data.result.as_ref())?;
                Ok(data.payment_request_id.unwrap_or_default())
            }
        }),
        payspec_antom::NOTIFY_PAYMENT_REPLY,
        r#"{"result":{"resultCode":"PROCESS_FAIL","resultStatus":"F","resultMessage":"later"}}"#,
        fail_first,
    )
}
