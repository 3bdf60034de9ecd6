//! The header-rsa surface of the generated crates (Alipay+, Antom) as a merchant's code meets it:
//! what `Debug` shows (names and key summaries, never key material or bodies), the request time
//! and key version each API sends, the freshness window of notifications, routing of hosts, and
//! which calls create something (and so are never sent twice blindly).

use payspec_alipayplus::types::InquiryPaymentRequest;
use payspec_runtime::header_signature;
use payspec_runtime::time::{Duration, OffsetDateTime};
use payspec_runtime::transport::Exchange as _;
use payspec_runtime::{Backend, FixedClock, PrivateKey};

fn key() -> PrivateKey {
    PrivateKey::generate(Backend::default(), 1024).expect("key")
}

/// 2023-11-14T22:13:20.123Z
fn instant() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(1_700_000_000_123_000_000).expect("in range")
}

#[test]
fn debug_shows_names_and_key_summaries_only() {
    let (key, other) = (key(), key());
    let summary = format!("{key:?}");
    assert_eq!(
        summary,
        format!(
            "PrivateKey {{ backend: {:?}, bits: 1024, .. }}",
            Backend::default().name()
        )
    );
    let signer = payspec_alipayplus::Signer::new("C1", key.clone()).with_key_version(3);
    assert_eq!(
        format!("{signer:?}"),
        format!("Signer {{ client_id: \"C1\", key: {summary}, key_version: 3, .. }}")
    );
    let verifier = payspec_alipayplus::Verifier::new("C1", key.public_key())
        .with_key(other.public_key())
        .with_notification_tolerance(Duration::seconds(120));
    assert_eq!(
        format!("{verifier:?}"),
        format!(
            "Verifier {{ client_id: \"C1\", keys: [{:?}, {:?}], tolerance: {:?} }}",
            key.public_key(),
            other.public_key(),
            Duration::seconds(120)
        )
    );
    let gateway = payspec_alipayplus::Gateway::new(signer, verifier);
    let request = InquiryPaymentRequest::new().payment_request_id("R1");
    assert_eq!(
        format!("{:?}", gateway.exchange(&request)),
        r#"Call { operation: "inquiryPayment" }"#
    );
}

/// Alipay+ sends ISO 8601 request times, Antom epoch milliseconds (the spec's choice), both at
/// the signer's clock; the key version is the API's unless set.
#[test]
fn request_time_and_key_version() {
    let alipayplus = payspec_alipayplus::Signer::new("C1", key()).with_clock(FixedClock(instant()));
    assert_eq!(alipayplus.client_id(), "C1");
    assert_eq!(alipayplus.request_time(), "2023-11-14T22:13:20Z");
    let antom = payspec_antom::Signer::new("C1", key()).with_clock(FixedClock(instant()));
    assert_eq!(antom.request_time(), "1700000000123");

    let request = InquiryPaymentRequest::new().payment_request_id("R1");
    let signed = alipayplus.sign(&request).expect("signs");
    assert_eq!(signed.request_time, "2023-11-14T22:13:20Z");
    assert!(
        signed.signature.header.contains(",keyVersion=1,"),
        "{}",
        signed.signature.header
    );
    let signed = alipayplus
        .with_key_version(7)
        .sign(&request)
        .expect("signs");
    assert!(
        signed.signature.header.contains(",keyVersion=7,"),
        "{}",
        signed.signature.header
    );
}

/// A notification is fresh within the API's tolerance (300 s), or within the one configured.
#[test]
fn notification_freshness_window() {
    let gateway_key = key();
    let sent_at = "2023-11-14T22:13:20Z";
    let body = br#"{"paymentRequestId":"R1"}"#;
    let signed = header_signature::sign(&gateway_key, "POST", "/notify", "C1", sent_at, body, 1)
        .expect("signs");
    let verifier = payspec_alipayplus::Verifier::new("C1", gateway_key.public_key());
    let verify = |verifier: &payspec_alipayplus::Verifier, late: i64| {
        verifier
            .verify_notification_raw(
                "/notify",
                Some(sent_at),
                Some(&signed.header),
                body,
                instant() + Duration::seconds(late),
            )
            .is_ok()
    };
    assert!(verify(&verifier, 200));
    assert!(verify(&verifier, 299));
    assert!(!verify(&verifier, 301));
    let strict = verifier.with_notification_tolerance(Duration::seconds(120));
    assert!(verify(&strict, 119));
    assert!(!verify(&strict, 200));
}

/// Every operation goes to its host's production URL unless routed elsewhere, one host or all.
#[test]
fn routing_and_accessors() {
    use payspec_alipayplus::Host;
    use payspec_runtime::api::GatewayHost as _;
    let (key, gateway_key) = (key(), key());
    let gateway = payspec_alipayplus::Gateway::from_keys("C1", key, gateway_key.public_key());
    let production = Host::Main.environments()[0].1;
    assert_eq!(gateway.base_url(Host::Main), production);
    assert_eq!(gateway.signer().client_id(), "C1");
    assert!(format!("{:?}", gateway.verifier()).starts_with("Verifier { client_id: \"C1\""));
    let mock = gateway.clone().with_base_url("http://127.0.0.1:9");
    assert_eq!(mock.base_url(Host::Main), "http://127.0.0.1:9");
    let host = gateway.with_host_url(Host::Main, "http://127.0.0.1:10/");
    assert_eq!(host.base_url(Host::Main), "http://127.0.0.1:10/");
    let request = InquiryPaymentRequest::new().payment_request_id("R1");
    let http = host.exchange(&request).request().expect("signed request");
    assert_eq!(
        http.uri().to_string(),
        "http://127.0.0.1:10/aps/api/v1/payments/inquiryPayment"
    );
    assert_eq!(
        http.headers()
            .get("client-id")
            .and_then(|v| v.to_str().ok()),
        Some("C1")
    );
}

/// `pay` and `refund` create something; inquiries and cancellation do not (the retry policy
/// re-sends only what does not create, or re-sends the same request id).
#[test]
fn calls_know_whether_they_create() {
    use payspec_alipayplus::types;
    let gateway = payspec_alipayplus::Gateway::from_keys("C1", key(), key().public_key());
    let inquiry = InquiryPaymentRequest::new().payment_request_id("R1");
    assert!(!gateway.exchange(&inquiry).creates());
    let refund =
        types::RefundRequest::new("F1", types::Amount::new("USD", 100)).payment_request_id("P1");
    assert!(gateway.exchange(&refund).creates());
}
