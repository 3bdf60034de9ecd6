//! One API shape for every generated crate (issue 10, point 2, as far as it goes today): the
//! same names at each crate root, `operations::<op>::<Op>Request` / `<Op>Response` in both
//! crates, and `outcome()` on every answer that has a status.

use payspec_runtime::Outcome;

#[test]
fn the_same_names_at_each_crate_root_and_in_each_operation_module() {
    // These `use`s are the test: they compile only while both crates have the items.
    #[allow(unused_imports)]
    use payspec_alipayplus::{
        Gateway as _, Operation as _, Outcome as _, PrivateKey as _, PublicKey as _, Signer as _,
        ValidationError as _, Verified as _, Verifier as _,
    };
    #[allow(unused_imports)]
    use payspec_ksher::{
        Gateway as _, Operation as _, Outcome as _, PrivateKey as _, PublicKey as _, Signer as _,
        ValidationError as _, Verified as _, Verifier as _,
    };
    fn is_operation<O: payspec_ksher::Operation>() {}
    fn is_json_operation<O: payspec_alipayplus::Operation>() {}
    is_operation::<payspec_ksher::operations::order_query::OrderQueryRequest>();
    is_json_operation::<payspec_alipayplus::operations::pay::PayRequest>();
    is_json_operation::<payspec_alipayplus::operations::inquiry_payment::InquiryPaymentRequest>();
    let _: Option<payspec_ksher::operations::order_query::OrderQueryResponse> = None;
    let _: Option<payspec_alipayplus::operations::pay::PayResponse> = None;
}

fn check<T: serde::de::DeserializeOwned>(
    json: &str,
    outcome: fn(&T) -> Option<Outcome>,
    want: Option<Outcome>,
) {
    let value: T = serde_json::from_str(json).unwrap_or_else(|e| panic!("{json}: {e}"));
    assert_eq!(outcome(&value), want, "{json}");
}

#[test]
fn answers_with_a_status_have_an_outcome() {
    use payspec_alipayplus::operations::inquiry_payment::InquiryPaymentResponse;
    use payspec_alipayplus::operations::pay::PayResponse;
    use payspec_ksher::operations::order_query::OrderQueryResponse;
    use payspec_ksher::operations::order_refund::OrderRefundResponse;
    check::<OrderQueryResponse>(
        r#"{"result":"SUCCESS"}"#,
        OrderQueryResponse::outcome,
        Some(Outcome::Success),
    );
    check::<OrderQueryResponse>(
        r#"{"result":"NOTSURE"}"#,
        OrderQueryResponse::outcome,
        Some(Outcome::Unknown),
    );
    check::<OrderQueryResponse>(r#"{"appid":"mch1"}"#, OrderQueryResponse::outcome, None);
    check::<OrderRefundResponse>(
        r#"{"result":"SUCCESS"}"#,
        OrderRefundResponse::outcome,
        Some(Outcome::Success),
    );
    check::<PayResponse>(
        r#"{"result":{"resultStatus":"U","resultCode":"PAYMENT_IN_PROCESS"}}"#,
        PayResponse::outcome,
        Some(Outcome::Unknown),
    );
    check::<PayResponse>(
        r#"{"result":{"resultStatus":"F"}}"#,
        PayResponse::outcome,
        Some(Outcome::Failure),
    );
    // inquiryPayment: the payment's outcome (`paymentResult`, named by the spec's `status`),
    // never the inquiry call's (`result`).
    check::<InquiryPaymentResponse>(
        r#"{"result":{"resultStatus":"S"},"paymentResult":{"resultStatus":"F"}}"#,
        InquiryPaymentResponse::outcome,
        Some(Outcome::Failure),
    );
    check::<InquiryPaymentResponse>(
        r#"{"result":{"resultStatus":"S"}}"#,
        InquiryPaymentResponse::outcome,
        None,
    );
}

/// Both crates verify their notifications from an `http::Request` too.
#[test]
fn notifications_verify_from_http_requests_in_both_crates() {
    use payspec_ksher::VerifyNotifications as _;
    let key = payspec_runtime::PrivateKey::generate(payspec_runtime::Backend::default(), 1024)
        .expect("key");
    let mut data = serde_json::Map::new();
    data.insert("result".into(), "SUCCESS".into());
    data.insert("mch_order_no".into(), "A1".into());
    let body = payspec_runtime::sorted_params::sign_data_document(
        &data,
        &[],
        None,
        &key,
        payspec_ksher::DIGEST,
    )
    .expect("signs");
    let request = http::Request::post("/notify")
        .body(body.into_bytes())
        .expect("request");
    let verifier = payspec_ksher::Verifier::new(key.public_key());
    let notified = verifier
        .verify_http_notify_url(&request)
        .expect("verifies")
        .into_inner();
    assert_eq!(notified.data.outcome(), Some(Outcome::Success));
    let mut tampered = request;
    *tampered.body_mut() = String::from_utf8_lossy(tampered.body())
        .replace("A1", "A2")
        .into_bytes();
    assert!(verifier.verify_http_notify_url(&tampered).is_err());
    // Alipay+ had it already: the same name pattern.
    let _ = <payspec_alipayplus::Verifier as payspec_alipayplus::VerifyNotifications>::verify_http_notify_payment::<Vec<u8>>;
}

/// Key rotation: a verifier with several keys accepts a signature by any of them, and a
/// signature by none is a bad signature.
#[test]
fn verifiers_accept_any_of_their_keys() {
    use payspec_runtime::sorted_params::{DataVerifyError, ResponseError};
    let backend = payspec_runtime::Backend::default();
    let signing = payspec_runtime::PrivateKey::generate(backend, 1024).expect("key");
    let other = payspec_runtime::PrivateKey::generate(backend, 1024).expect("key");
    let mut data = serde_json::Map::new();
    data.insert("result".into(), "SUCCESS".into());
    let body = payspec_runtime::sorted_params::sign_data_document(
        &data,
        &[],
        None,
        &signing,
        payspec_ksher::DIGEST,
    )
    .expect("signs");
    let rotated = payspec_ksher::Verifier::new(other.public_key()).with_key(signing.public_key());
    assert!(rotated.verify_raw("notify_url", body.as_bytes()).is_ok());
    let stranger = payspec_ksher::Verifier::new(other.public_key());
    assert!(matches!(
        stranger.verify_raw("notify_url", body.as_bytes()),
        Err(ResponseError::Verify(DataVerifyError::BadSignature))
    ));
}
