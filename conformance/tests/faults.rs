//! The generated Alipay+ client (`Gateway` + the runtime's transport, `call` and `settle`)
//! against the mock with injected faults: no payment is created or paid twice, no refund
//! exceeds the order, and every unknown outcome is settled. Faults are seeded and scoped to
//! one operation where a test needs a fault to hit for sure.

use std::time::Duration;

use payspec_alipayplus::types::{
    CancelPaymentRequest, InquiryPaymentRequest, InquiryPaymentResponse, PayRequest, RefundRequest,
};
use payspec_mock::{Api, Config, MockGateway, Running};
use payspec_runtime::retry::{PollPolicy, RetryPolicy, Settlement};
use payspec_runtime::transport::HttpTransport;
use payspec_runtime::{Backend, Outcome, PrivateKey};

struct Setup {
    mock: Running,
    gateway: payspec_alipayplus::Gateway,
    gateway_key: payspec_runtime::PublicKey,
}

fn setup(faults: &str, seed: u64) -> Setup {
    let merchant = PrivateKey::generate(Backend::default(), 2048).unwrap();
    let key = PrivateKey::generate(Backend::default(), 2048).unwrap();
    let mut config = Config::new(Api::AlipayPlus, merchant.public_key(), key.clone());
    config.faults = faults.parse().expect("fault spec");
    config.fault_seed = seed;
    config.notify_retry_delays = vec![Duration::from_millis(20); 3];
    let mock = MockGateway::start(config).unwrap();
    let gateway = payspec_alipayplus::Gateway::new(
        payspec_alipayplus::Signer::new("CLIENT_1", merchant),
        payspec_alipayplus::Verifier::new("CLIENT_1", key.public_key()),
    )
    .with_base_url(mock.base_url());
    Setup {
        mock,
        gateway,
        gateway_key: key.public_key(),
    }
}

fn transport(timeout: Duration, attempts: u32) -> HttpTransport {
    HttpTransport::new(
        timeout,
        RetryPolicy {
            max_attempts: attempts,
            base_delay: Duration::from_millis(5),
            max_delay: Duration::from_millis(20),
        },
    )
    .unwrap()
}

fn pay(id: &str, notify: Option<&str>) -> PayRequest {
    let notify = notify.map_or(String::new(), |u| format!(r#","paymentNotifyUrl":"{u}""#));
    serde_json::from_str(&format!(
        r#"{{"paymentRequestId":"{id}","paymentAmount":{{"currency":"USD","value":"100"}},
            "order":{{"referenceOrderId":"o-{id}","orderDescription":"Cappuccino","orderAmount":{{"currency":"USD","value":"100"}},
                     "env":{{"terminalType":"MINI_APP"}}}},
            "paymentMethod":{{"paymentMethodType":"GCASH"}}{notify}}}"#
    ))
    .unwrap()
}

fn inquiry(id: &str) -> InquiryPaymentRequest {
    InquiryPaymentRequest::new().payment_request_id(id)
}

fn cancel(id: &str) -> CancelPaymentRequest {
    CancelPaymentRequest::new().payment_request_id(id)
}

/// Only signed answers settle anything; the payment's own status decides.
fn payment_outcome(
    answer: &payspec_alipayplus::Verified<payspec_alipayplus::JsonMessage<InquiryPaymentResponse>>,
) -> Outcome {
    if answer.trust != payspec_alipayplus::Trust::Signed {
        return Outcome::Unknown;
    }
    answer.data.outcome().unwrap_or(Outcome::Unknown)
}

fn poll() -> PollPolicy {
    PollPolicy {
        attempts: 10,
        interval: Duration::from_millis(20),
    }
}

/// Dropped connections and 5xx answers on queries are retried until a verified answer comes;
/// latency only slows things down.
#[tokio::test(flavor = "current_thread")]
async fn drops_and_5xx_on_queries_are_retried() {
    let s = setup(
        "http5xx=0.4@inquiryPayment,drop=0.3@inquiryPayment,latency=0..20ms",
        3,
    );
    let t = transport(Duration::from_secs(5), 12);
    t.call(&s.gateway.exchange(&pay("p-1", None)))
        .await
        .expect("pay");
    s.mock.pay("p-1").unwrap();
    for _ in 0..5 {
        let answer = t
            .call(&s.gateway.exchange(&inquiry("p-1")))
            .await
            .expect("answered in the end");
        assert_eq!(payment_outcome(&answer), Outcome::Success);
    }
    let injected = s.mock.injected_faults();
    assert!(
        injected.iter().any(|l| l.contains("http5xx")),
        "{injected:?}"
    );
    assert!(injected.iter().any(|l| l.contains("drop")), "{injected:?}");
    assert_eq!(s.mock.order("p-1").unwrap().amount, 100);
}

/// A pay whose answer comes after the client's timeout was processed: the client does not send
/// it again (it may have been processed), settles it by query, and the payment exists once.
#[tokio::test(flavor = "current_thread")]
async fn a_timed_out_pay_is_settled_not_repeated() {
    let s = setup("timeout=1@pay,timeout-after=1500ms", 1);
    let t = transport(Duration::from_millis(300), 5);
    let err = t
        .call(&s.gateway.exchange(&pay("p-2", None)))
        .await
        .expect_err("the answer comes too late");
    assert!(
        err.to_string().contains("query"),
        "a creating call is not retried blindly: {err}"
    );
    // Processed anyway: the payer pays, and settling by query finds the success.
    s.mock.pay("p-2").unwrap();
    let settled = t
        .settle(
            &s.gateway.exchange(&inquiry("p-2")),
            &s.gateway.exchange(&cancel("p-2")),
            &poll(),
            payment_outcome,
        )
        .await
        .unwrap();
    assert!(
        matches!(
            settled,
            Settlement::Final {
                outcome: Outcome::Success,
                ..
            }
        ),
        "{settled:?}"
    );
    assert_eq!(s.mock.injected_faults().len(), 1, "one pay, one timeout");
}

/// A refund answered as unknown (`U`) every time: retries with the same refundRequestId refund
/// once; settling by query finds exactly one refund.
#[tokio::test(flavor = "current_thread")]
async fn unknown_refunds_are_settled_never_doubled() {
    let s = setup("unknown=1@refund", 9);
    let t = transport(Duration::from_secs(5), 4);
    t.call(&s.gateway.exchange(&pay("p-3", None)))
        .await
        .expect("pay");
    s.mock.pay("p-3").unwrap();
    let refund: RefundRequest = serde_json::from_str(
        r#"{"refundRequestId":"r-1","paymentRequestId":"p-3","refundAmount":{"currency":"USD","value":"40"}}"#,
    )
    .unwrap();
    let answer = t.call(&s.gateway.exchange(&refund)).await;
    let status = answer
        .as_ref()
        .ok()
        .and_then(|a| a.data.result.as_ref())
        .and_then(|r| r.result_status.as_ref())
        .map(|s| s.outcome());
    assert_ne!(
        status,
        Some(Outcome::Success),
        "the answer says unknown: {answer:?}"
    );
    // Sent again (the same refund id): still one refund.
    let _ = t.call(&s.gateway.exchange(&refund)).await;
    let settled = t
        .settle(
            &s.gateway.exchange(&inquiry("p-3")),
            &s.gateway.exchange(&cancel("p-3")),
            &poll(),
            |a| {
                let refunds = a.data.transactions.as_ref().map_or(0, Vec::len);
                if refunds > 0 {
                    Outcome::Success
                } else {
                    Outcome::Unknown
                }
            },
        )
        .await
        .unwrap();
    let Settlement::Final { answer, .. } = settled else {
        panic!("the refund was found");
    };
    let transactions = answer.data.transactions.clone().unwrap_or_default();
    assert_eq!(transactions.len(), 1, "{transactions:?}");
    let order = s.mock.order("p-3").unwrap();
    assert_eq!(order.refunded, 40);
    assert!(order.refunded <= order.amount);
}

/// Late and duplicated notifications: the first arrives after the delay, the duplicate after
/// it; both are the genuine signed notification.
#[tokio::test(flavor = "current_thread")]
async fn late_and_duplicate_notifications() {
    use std::sync::{Arc, Mutex};
    let server = tiny_http::Server::http("127.0.0.1:0").unwrap();
    let url = format!("http://{}/notify", server.server_addr().to_ip().unwrap());
    let s = setup("notify-late=300ms,notify-duplicate=1", 5);
    let verifier = payspec_alipayplus::Verifier::new("CLIENT_1", s.gateway_key.clone());
    let received: Arc<Mutex<Vec<(std::time::Instant, bool)>>> = Arc::default();
    let seen = Arc::clone(&received);
    let receiver = std::thread::spawn(move || {
        use payspec_alipayplus::VerifyNotifications as _;
        for _ in 0..2 {
            let mut request = match server.recv_timeout(Duration::from_secs(5)) {
                Ok(Some(r)) => r,
                other => {
                    eprintln!("receiver stopped: {:?}", other.map(|_| ()));
                    return;
                }
            };
            let mut body = Vec::new();
            let _ = request.as_reader().read_to_end(&mut body);
            let mut builder = payspec_runtime::http::Request::post(request.url());
            for h in request.headers() {
                builder = builder.header(h.field.as_str().as_str(), h.value.as_str());
            }
            let ok = builder
                .body(body)
                .ok()
                .is_some_and(|r| verifier.verify_http_notify_payment(&r).is_ok());
            seen.lock().unwrap().push((std::time::Instant::now(), ok));
            let _ = request.respond(tiny_http::Response::from_string(
                payspec_alipayplus::NOTIFY_PAYMENT_REPLY,
            ));
        }
    });
    let t = transport(Duration::from_secs(5), 3);
    t.call(&s.gateway.exchange(&pay("p-4", Some(&url))))
        .await
        .expect("pay");
    let paid_at = std::time::Instant::now();
    s.mock.pay("p-4").unwrap();
    receiver.join().unwrap();
    let got = received.lock().unwrap().clone();
    assert_eq!(got.len(), 2, "delivered twice");
    assert!(got.iter().all(|(_, ok)| *ok), "both verify");
    assert!(
        got[0].0.duration_since(paid_at) >= Duration::from_millis(300),
        "held back"
    );
    assert!(s.mock.wait_notifications_idle(Duration::from_secs(5)));
    let records = s.mock.notifications();
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].attempts, 2, "the try and its injected duplicate");
}

/// The same seed and the same requests inject the same faults; another seed does not.
#[tokio::test(flavor = "current_thread")]
async fn faults_are_deterministic_for_a_seed() {
    async fn run(seed: u64) -> Vec<String> {
        let s = setup("http5xx=0.5,latency=0..5ms", seed);
        let t = transport(Duration::from_secs(5), 1);
        for i in 0..12 {
            let _ = t
                .call(&s.gateway.exchange(&inquiry(&format!("q-{i}"))))
                .await;
        }
        s.mock.injected_faults()
    }
    let first = run(11).await;
    assert!(!first.is_empty());
    assert_eq!(first, run(11).await);
    assert_ne!(first, run(12).await);
}

/// Ksher: a refund answered `NOTSURE` (an injected unknown outcome) reads as unknown through the
/// typed answer; the refund query shows it happened exactly once.
#[tokio::test(flavor = "current_thread")]
async fn ksher_unknown_refund_reads_unknown_and_happened_once() {
    use payspec_ksher::operations::{
        native_pay::NativePayRequest, order_refund::OrderRefundRequest,
        refund_query::RefundQueryRequest,
    };
    use payspec_ksher::types::{Channel, FeeType};
    let merchant = PrivateKey::generate(Backend::default(), 1024).unwrap();
    let key = PrivateKey::generate(Backend::default(), 1024).unwrap();
    let mut config = Config::new(Api::Ksher, merchant.public_key(), key.clone());
    config.faults = "unknown=1@order_refund".parse().unwrap();
    let mock = MockGateway::start(config).unwrap();
    let ksher = payspec_ksher::Gateway::new(
        payspec_ksher::Signer::new("mch35000", merchant),
        payspec_ksher::Verifier::new(key.public_key()),
    )
    .with_base_url(mock.base_url());
    let t = transport(Duration::from_secs(5), 1);
    let order = NativePayRequest::new(Channel::Promptpay, FeeType::Thb, "NP-9", 10_000);
    t.call(&ksher.exchange(&order)).await.expect("native_pay");
    mock.pay("NP-9").unwrap();
    let refund = OrderRefundRequest::new(FeeType::Thb, "R-9", 2_500, 10_000).mch_order_no("NP-9");
    let answer = t
        .call(&ksher.exchange(&refund))
        .await
        .expect("a signed answer");
    assert_eq!(
        answer.data.outcome(),
        Some(Outcome::Unknown),
        "{:?}",
        answer.data
    );
    let refunds = t
        .call(&ksher.exchange(&RefundQueryRequest::new().mch_order_no("NP-9")))
        .await
        .expect("refund_query");
    assert_eq!(refunds.data.refund_orders.as_ref().map(Vec::len), Some(1));
    assert_eq!(mock.order("NP-9").unwrap().refunded, 2_500);
    assert_eq!(
        mock.injected_faults().len(),
        1,
        "{:?}",
        mock.injected_faults()
    );
}
