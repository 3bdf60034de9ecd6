//! The async clients against scripted loopback servers: payment-safe retries, fresh signatures per
//! attempt, verification of the final answer.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use payspec_runtime::retry::RetryPolicy;
use payspec_runtime::scheme::sorted_params;
use payspec_runtime::sorted_params::sign_data_document;
use payspec_runtime::transport::{ClientError, HttpTransport};
use payspec_runtime::{DigestAlgorithm, PrivateKey};

fn key(name: &str) -> PrivateKey {
    let path = payspec_conformance::vectors_dir().join("keys").join(name);
    PrivateKey::from_pem(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// A scripted answer: status, extra headers, body.
type Answer = (u16, Vec<(String, String)>, Vec<u8>);

/// A received request: path, lower-cased headers, body.
type Seen = (String, Vec<(String, String)>, Vec<u8>);

/// Serves `answers` in order on 127.0.0.1, one per connection; records each request
/// (path, headers, body).
struct Scripted {
    base: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

fn serve(answers: Vec<Answer>) -> Scripted {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    std::thread::spawn(move || {
        for answer in answers {
            let Ok((stream, _)) = listener.accept() else {
                return;
            };
            handle(stream, answer, &log);
        }
    });
    Scripted { base, seen }
}

#[allow(clippy::type_complexity)]
fn handle(
    mut stream: TcpStream,
    (status, headers, body): Answer,
    log: &Mutex<Vec<(String, Vec<(String, String)>, Vec<u8>)>>,
) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut line = String::new();
    reader.read_line(&mut line).unwrap();
    let path = line.split_whitespace().nth(1).unwrap_or("").to_owned();
    let mut req_headers = Vec::new();
    let mut length = 0;
    loop {
        let mut h = String::new();
        reader.read_line(&mut h).unwrap();
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((n, v)) = h.split_once(':') {
            if n.eq_ignore_ascii_case("content-length") {
                length = v.trim().parse().unwrap();
            }
            req_headers.push((n.to_ascii_lowercase(), v.trim().to_owned()));
        }
    }
    let mut req_body = vec![0; length];
    reader.read_exact(&mut req_body).unwrap();
    log.lock().unwrap().push((path, req_headers, req_body));
    let mut out = format!(
        "HTTP/1.1 {status} X\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for (n, v) in headers {
        out.push_str(&format!("{n}: {v}\r\n"));
    }
    out.push_str("\r\n");
    stream.write_all(out.as_bytes()).unwrap();
    stream.write_all(&body).unwrap();
}

fn transport(attempts: u32) -> HttpTransport {
    HttpTransport::new(
        Duration::from_secs(5),
        RetryPolicy {
            max_attempts: attempts,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(5),
        },
    )
    .unwrap()
}

/// A generated crate's sans-IO `Gateway` driven by the runtime's HTTP transport.
struct Client<G> {
    gateway: G,
    transport: HttpTransport,
}

impl Client<payspec_ksher::Gateway> {
    async fn call<O: payspec_ksher::Operation>(
        &self,
        request: &O,
    ) -> Result<
        payspec_ksher::Verified<payspec_ksher::Response<O::Response>>,
        ClientError<payspec_ksher::ResponseError>,
    > {
        self.transport.call(&self.gateway.exchange(request)).await
    }

    async fn settle<Q: payspec_ksher::Operation, C: payspec_ksher::Operation>(
        &self,
        query: &Q,
        cancel: &C,
        poll: &payspec_runtime::retry::PollPolicy,
        outcome: impl Fn(&Q::Response) -> payspec_runtime::Outcome,
    ) -> Result<
        payspec_runtime::retry::Settlement<
            payspec_ksher::Verified<payspec_ksher::Response<Q::Response>>,
            payspec_ksher::Verified<payspec_ksher::Response<C::Response>>,
        >,
        ClientError<payspec_ksher::ResponseError>,
    > {
        self.transport
            .settle(
                &self.gateway.exchange(query),
                &self.gateway.exchange(cancel),
                poll,
                |r| outcome(&r.data),
            )
            .await
    }
}

impl Client<payspec_alipayplus::Gateway> {
    async fn call<O: payspec_alipayplus::Operation>(
        &self,
        request: &O,
    ) -> Result<
        payspec_alipayplus::Verified<payspec_alipayplus::JsonMessage<O::Response>>,
        ClientError<payspec_alipayplus::JsonMessageError>,
    > {
        self.transport.call(&self.gateway.exchange(request)).await
    }

    /// Only signed answers settle anything: an unsigned F/U stays unknown.
    async fn settle<Q: payspec_alipayplus::Operation, C: payspec_alipayplus::Operation>(
        &self,
        query: &Q,
        cancel: &C,
        poll: &payspec_runtime::retry::PollPolicy,
        outcome: impl Fn(&Q::Response) -> payspec_runtime::Outcome,
    ) -> Result<
        payspec_runtime::retry::Settlement<
            payspec_alipayplus::Verified<payspec_alipayplus::JsonMessage<Q::Response>>,
            payspec_alipayplus::Verified<payspec_alipayplus::JsonMessage<C::Response>>,
        >,
        ClientError<payspec_alipayplus::JsonMessageError>,
    > {
        self.transport
            .settle(
                &self.gateway.exchange(query),
                &self.gateway.exchange(cancel),
                poll,
                |r| {
                    if r.trust == payspec_alipayplus::Trust::Signed {
                        outcome(&r.data)
                    } else {
                        payspec_runtime::Outcome::Unknown
                    }
                },
            )
            .await
    }
}

fn alipay_client(
    signer: payspec_alipayplus::Signer,
    verifier: payspec_alipayplus::Verifier,
    transport: HttpTransport,
    base: &str,
) -> Client<payspec_alipayplus::Gateway> {
    Client {
        gateway: payspec_alipayplus::Gateway::new(signer, verifier).with_base_url(base),
        transport,
    }
}

fn ksher_client(base: &str, attempts: u32) -> Client<payspec_ksher::Gateway> {
    let signer = payspec_ksher::Signer::new("mch35000", key("ksher-merchant-1024.pkcs8.pem"));
    let verifier =
        payspec_ksher::Verifier::new(key("ksher-gateway-mock-1024.pkcs8.pem").public_key());
    Client {
        gateway: payspec_ksher::Gateway::new(signer, verifier)
            .with_host_url(payspec_ksher::Host::Main, base)
            .with_host_url(payspec_ksher::Host::Gateway, base),
        transport: transport(attempts),
    }
}

fn ksher_ok(result: &str) -> Answer {
    let mut data = serde_json::Map::new();
    data.insert("mch_order_no".into(), "A1".into());
    data.insert("result".into(), result.into());
    let body = sign_data_document(
        &data,
        &[],
        None,
        &key("ksher-gateway-mock-1024.pkcs8.pem"),
        DigestAlgorithm::Md5,
    )
    .unwrap();
    (200, vec![], body.into_bytes())
}

fn ksher_error_envelope() -> Answer {
    (
        200,
        vec![],
        br#"{"code":1,"msg":"system busy","data":{},"sign":""}"#.to_vec(),
    )
}

fn form(body: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(body).into_owned().collect()
}

fn param<'a>(form: &'a [(String, String)], name: &str) -> &'a str {
    form.iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
        .unwrap_or("")
}

#[tokio::test(flavor = "current_thread")]
async fn ksher_query_is_retried_after_5xx_with_a_fresh_signature() {
    let server = serve(vec![(503, vec![], b"busy".to_vec()), ksher_ok("SUCCESS")]);
    let client = ksher_client(&server.base, 3);
    let query = payspec_ksher::operations::order_query::OrderQueryRequest::new().mch_order_no("A1");
    let answer = client.call(&query).await.expect("second attempt succeeds");
    assert_eq!(
        answer.data.result,
        Some(payspec_ksher::types::OrderResult::Success)
    );
    let seen = server.seen.lock().unwrap();
    assert_eq!(seen.len(), 2);
    let (a, b) = (form(&seen[0].2), form(&seen[1].2));
    assert_eq!(seen[0].0, "/order_query");
    assert_eq!(param(&a, "mch_order_no"), param(&b, "mch_order_no"));
    assert_ne!(
        param(&a, "nonce_str"),
        param(&b, "nonce_str"),
        "each attempt is signed afresh"
    );
}

fn quick_pay() -> payspec_ksher::operations::quick_pay::QuickPayRequest {
    payspec_ksher::operations::quick_pay::QuickPayRequest::new(
        "134567890123456789",
        payspec_ksher::types::FeeType::Thb,
        "A1",
        100,
    )
    .channel(payspec_ksher::types::Channel::Wechat)
}

#[tokio::test(flavor = "current_thread")]
async fn ksher_payment_is_not_repeated_after_a_5xx() {
    let server = serve(vec![
        (502, vec![], b"bad gateway".to_vec()),
        ksher_ok("SUCCESS"),
    ]);
    let err = ksher_client(&server.base, 3)
        .call(&quick_pay())
        .await
        .unwrap_err();
    match err {
        ClientError::GaveUp {
            attempts: 1,
            reason,
            ..
        } => assert!(reason.contains("may have been processed"), "{reason}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(server.seen.lock().unwrap().len(), 1);
}

/// Ksher's spec lists no transient envelope code, so an error envelope is final: a payment is
/// never sent again because of one (a wrong appid or a bad signature fails the same way).
#[tokio::test(flavor = "current_thread")]
async fn ksher_error_envelope_is_not_repeated() {
    let server = serve(vec![ksher_error_envelope(), ksher_ok("SUCCESS")]);
    let err = ksher_client(&server.base, 3)
        .call(&quick_pay())
        .await
        .unwrap_err();
    assert!(matches!(err, ClientError::Response(_)), "{err:?}");
    assert!(err.to_string().contains("system busy"), "{err}");
    assert_eq!(server.seen.lock().unwrap().len(), 1);
}

/// The retry decision on an error envelope comes from the spec's `retryable_codes`, judged
/// sans-IO by the generated `Exchange::response`: the fixture spec marks code 1 transient,
/// Ksher's spec marks none.
#[test]
fn envelope_codes_are_retried_only_when_the_spec_says_so() {
    use payspec_runtime::retry::{AttemptError, AttemptOutcome, Exchange};
    let envelope = |code: &str| {
        http::Response::builder()
            .status(200)
            .body(format!(r#"{{"code":{code},"msg":"busy","data":{{}},"sign":""}}"#).into_bytes())
            .unwrap()
    };
    let gateway_key = key("ksher-gateway-mock-1024.pkcs8.pem");
    let fixture = payspec_fixturesubsets::Gateway::new(
        payspec_fixturesubsets::Signer::new("mch1", key("ksher-merchant-1024.pkcs8.pem")),
        payspec_fixturesubsets::Verifier::new(gateway_key.public_key()),
    );
    let info = payspec_fixturesubsets::operations::info::InfoRequest::new();
    let call = fixture.exchange(&info);
    assert!(matches!(
        call.response(envelope("1")),
        Err(AttemptError::Retryable {
            outcome: AttemptOutcome::GatewaySaysRetry,
            ..
        })
    ));
    assert!(matches!(
        call.response(envelope("2")),
        Err(AttemptError::Response(_))
    ));
    assert_eq!(
        <payspec_fixturesubsets::Api as sorted_params::Api>::RETRYABLE_ENVELOPE_CODES,
        &["1"]
    );

    let ksher = payspec_ksher::Gateway::new(
        payspec_ksher::Signer::new("mch1", key("ksher-merchant-1024.pkcs8.pem")),
        payspec_ksher::Verifier::new(gateway_key.public_key()),
    );
    let pay = quick_pay();
    let call = ksher.exchange(&pay);
    for code in ["1", "20000"] {
        assert!(matches!(
            call.response(envelope(code)),
            Err(AttemptError::Response(_))
        ));
    }
    assert!(<payspec_ksher::Api as sorted_params::Api>::RETRYABLE_ENVELOPE_CODES.is_empty());
}

#[tokio::test(flavor = "current_thread")]
async fn error_envelopes_exhausting_the_attempts_surface_the_gateway_error() {
    let server = serve(vec![ksher_error_envelope(), ksher_error_envelope()]);
    let err = ksher_client(&server.base, 2)
        .call(&quick_pay())
        .await
        .unwrap_err();
    assert!(matches!(err, ClientError::Response(_)), "{err:?}");
    assert!(err.to_string().contains("system busy"), "{err}");
}

#[tokio::test(flavor = "current_thread")]
async fn unreachable_gateway_is_retried_then_given_up_with_the_reason() {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let err = ksher_client(&format!("http://127.0.0.1:{port}"), 3)
        .call(&quick_pay())
        .await
        .unwrap_err();
    match err {
        ClientError::GaveUp {
            attempts: 3,
            reason,
            ..
        } => assert!(reason.contains("gave up after 3"), "{reason}"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test(flavor = "current_thread")]
async fn tampered_answer_is_rejected_not_retried() {
    let (status, headers, body) = ksher_ok("SUCCESS");
    let tampered = String::from_utf8(body)
        .unwrap()
        .replace("SUCCESS", "SUCCESX");
    let server = serve(vec![
        (status, headers, tampered.into_bytes()),
        ksher_ok("SUCCESS"),
    ]);
    let query = payspec_ksher::operations::order_query::OrderQueryRequest::new().mch_order_no("A1");
    let err = ksher_client(&server.base, 3)
        .call(&query)
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("signature does not verify"),
        "{err}"
    );
    assert_eq!(server.seen.lock().unwrap().len(), 1);
}

fn alipay_answer(path: &str, body: &str) -> Answer {
    let time = "2024-01-01T12:00:01+08:00";
    let signed = payspec_runtime::header_signature::sign(
        &key("alipayplus-gateway-mock-2048.pkcs8.pem"),
        "POST",
        path,
        "CLIENT",
        time,
        body.as_bytes(),
        1,
    )
    .unwrap();
    (
        200,
        vec![
            ("response-time".into(), time.into()),
            ("signature".into(), signed.header),
        ],
        body.as_bytes().to_vec(),
    )
}

#[tokio::test(flavor = "current_thread")]
async fn alipayplus_inquiry_retried_pay_not() {
    let path = "/aps/api/v1/payments/inquiryPayment";
    let ok = r#"{"result":{"resultCode":"SUCCESS","resultStatus":"S","resultMessage":"success"},"paymentResult":{"resultCode":"SUCCESS","resultStatus":"S"}}"#;
    let server = serve(vec![
        (500, vec![], b"oops".to_vec()),
        alipay_answer(path, ok),
    ]);
    let signer =
        payspec_alipayplus::Signer::new("CLIENT", key("alipayplus-merchant-2048.pkcs8.pem"));
    let verifier = payspec_alipayplus::Verifier::new(
        "CLIENT",
        key("alipayplus-gateway-mock-2048.pkcs8.pem").public_key(),
    );
    let client = alipay_client(signer, verifier, transport(3), &server.base);
    let inquiry = payspec_alipayplus::types::InquiryPaymentRequest {
        payment_request_id: Some("pay_1".into()),
        ..Default::default()
    };
    let answer = client.call(&inquiry).await.expect("retried inquiry");
    assert_eq!(answer.trust, payspec_alipayplus::Trust::Signed);
    {
        let seen = server.seen.lock().unwrap();
        assert_eq!(seen.len(), 2);
        assert!(seen
            .iter()
            .all(|(p, h, _)| p == path && h.iter().any(|(n, _)| n == "signature")));
    }

    let server = serve(vec![(500, vec![], b"oops".to_vec())]);
    let signer =
        payspec_alipayplus::Signer::new("CLIENT", key("alipayplus-merchant-2048.pkcs8.pem"));
    let verifier = payspec_alipayplus::Verifier::new(
        "CLIENT",
        key("alipayplus-gateway-mock-2048.pkcs8.pem").public_key(),
    );
    let client = alipay_client(signer, verifier, transport(3), &server.base);
    let pay: payspec_alipayplus::types::PayRequest = serde_json::from_str(
        r#"{"paymentRequestId":"p1","paymentAmount":{"currency":"USD","value":"100"},"order":{"referenceOrderId":"o","orderDescription":"d","orderAmount":{"currency":"USD","value":"100"},"env":{"terminalType":"MINI_APP"}},"paymentMethod":{"paymentMethodType":"GCASH"}}"#,
    )
    .unwrap();
    let err = client.call(&pay).await.unwrap_err();
    assert!(err.to_string().contains("query its status"), "{err}");
}

fn poll() -> payspec_runtime::retry::PollPolicy {
    payspec_runtime::retry::PollPolicy {
        attempts: 3,
        interval: Duration::from_millis(1),
    }
}

fn ksher_outcome(data: &payspec_ksher::types::OrderQueryData) -> payspec_runtime::Outcome {
    data.result
        .as_ref()
        .map_or(payspec_runtime::Outcome::Unknown, |r| r.outcome())
}

#[tokio::test(flavor = "current_thread")]
async fn ksher_notsure_settles_by_polling_then_reversing() {
    use payspec_ksher::operations::{
        order_query::OrderQueryRequest, order_reverse::OrderReverseRequest,
    };
    use payspec_runtime::retry::Settlement;
    let query = OrderQueryRequest::new().mch_order_no("A1");
    let reverse = OrderReverseRequest::new().mch_order_no("A1");

    // Paid on the second query.
    let server = serve(vec![ksher_ok("NOTSURE"), ksher_ok("SUCCESS")]);
    match ksher_client(&server.base, 1)
        .settle(&query, &reverse, &poll(), ksher_outcome)
        .await
        .unwrap()
    {
        Settlement::Final { outcome, .. } => assert_eq!(outcome, payspec_runtime::Outcome::Success),
        other => panic!("{other:?}"),
    }
    assert_eq!(server.seen.lock().unwrap().len(), 2);

    // Never final: reversed after the polls.
    let server = serve(vec![
        ksher_ok("NOTSURE"),
        ksher_ok("USERPAYING"),
        ksher_ok("NOTSURE"),
        ksher_ok("SUCCESS"),
    ]);
    match ksher_client(&server.base, 1)
        .settle(&query, &reverse, &poll(), ksher_outcome)
        .await
        .unwrap()
    {
        Settlement::Cancelled { last_query, .. } => assert!(last_query.is_some()),
        other => panic!("{other:?}"),
    }
    let seen = server.seen.lock().unwrap();
    let paths: Vec<&str> = seen.iter().map(|(p, _, _)| p.as_str()).collect();
    assert_eq!(
        paths,
        [
            "/order_query",
            "/order_query",
            "/order_query",
            "/order_reverse"
        ]
    );
}

#[tokio::test(flavor = "current_thread")]
async fn alipayplus_u_settles_by_inquiring() {
    use payspec_alipayplus::types::{
        CancelPaymentRequest, InquiryPaymentRequest, InquiryPaymentResponse,
    };
    use payspec_runtime::retry::Settlement;
    let path = "/aps/api/v1/payments/inquiryPayment";
    let answer = |status: &str| {
        alipay_answer(
            path,
            &format!(
                r#"{{"result":{{"resultCode":"SUCCESS","resultStatus":"S"}},"paymentResult":{{"resultCode":"X","resultStatus":"{status}"}}}}"#
            ),
        )
    };
    let server = serve(vec![answer("U"), answer("F")]);
    let signer =
        payspec_alipayplus::Signer::new("CLIENT", key("alipayplus-merchant-2048.pkcs8.pem"));
    let verifier = payspec_alipayplus::Verifier::new(
        "CLIENT",
        key("alipayplus-gateway-mock-2048.pkcs8.pem").public_key(),
    );
    let client = alipay_client(signer, verifier, transport(1), &server.base);
    let inquiry = InquiryPaymentRequest {
        payment_request_id: Some("p1".into()),
        ..Default::default()
    };
    let cancel = CancelPaymentRequest {
        payment_request_id: Some("p1".into()),
        ..Default::default()
    };
    let outcome = |r: &InquiryPaymentResponse| {
        r.payment_result
            .as_ref()
            .and_then(|p| p.result_status.as_ref())
            .map_or(payspec_runtime::Outcome::Unknown, |s| s.outcome())
    };
    match client
        .settle(&inquiry, &cancel, &poll(), outcome)
        .await
        .unwrap()
    {
        Settlement::Final { outcome, .. } => assert_eq!(outcome, payspec_runtime::Outcome::Failure),
        other => panic!("{other:?}"),
    }
}
