//! The generated async clients against the in-process mock gateway over loopback: a whole flow
//! per API, including settling an unknown outcome.

use std::time::Duration;

use payspec_mock::{Api, Config, MockGateway};
use payspec_runtime::retry::{PollPolicy, RetryPolicy, Settlement};
use payspec_runtime::transport::HttpTransport;
use payspec_runtime::{Backend, Outcome, PrivateKey};

fn keys(bits: u32) -> (PrivateKey, PrivateKey) {
    (
        PrivateKey::generate(Backend::default(), bits).unwrap(),
        PrivateKey::generate(Backend::default(), bits).unwrap(),
    )
}

fn transport() -> HttpTransport {
    HttpTransport::new(Duration::from_secs(5), RetryPolicy::default()).unwrap()
}

fn poll() -> PollPolicy {
    PollPolicy {
        attempts: 5,
        interval: Duration::from_millis(20),
    }
}

#[tokio::test(flavor = "current_thread")]
async fn ksher_client_flow() {
    use payspec_ksher::operations::{
        native_pay::NativePayRequest, order_query::OrderQueryRequest,
        order_refund::OrderRefundRequest, order_reverse::OrderReverseRequest,
        refund_query::RefundQueryRequest,
    };
    use payspec_ksher::types::{Channel, FeeType, OrderResult};
    let (merchant, gateway) = keys(1024);
    let mock = MockGateway::start(Config::new(
        Api::Ksher,
        merchant.public_key(),
        gateway.clone(),
    ))
    .unwrap();
    let ksher = payspec_ksher::Gateway::new(
        payspec_ksher::Signer::new("mch35000", merchant),
        payspec_ksher::Verifier::new(gateway.public_key()),
    )
    .with_base_url(mock.base_url());
    let transport = transport();

    let order = NativePayRequest::new(Channel::Promptpay, FeeType::Thb, "NP-1", 10_000);
    let created = transport
        .call(&ksher.exchange(&order))
        .await
        .expect("native_pay");
    assert_eq!(created.data.mch_order_no.as_deref(), Some("NP-1"));

    // Not paid yet: the outcome is unknown, so settling would poll; pay it meanwhile.
    let query = OrderQueryRequest::new().mch_order_no("NP-1");
    let unpaid = transport.call(&ksher.exchange(&query)).await.unwrap();
    assert_ne!(unpaid.data.result, Some(OrderResult::Success));
    mock.pay("NP-1").unwrap();
    let reverse = OrderReverseRequest::new().mch_order_no("NP-1");
    let settled = transport
        .settle(
            &ksher.exchange(&query),
            &ksher.exchange(&reverse),
            &poll(),
            |answer| {
                answer
                    .data
                    .result
                    .as_ref()
                    .map_or(Outcome::Unknown, |r| r.outcome())
            },
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

    let refund = OrderRefundRequest::new(FeeType::Thb, "R-1", 2_500, 10_000).mch_order_no("NP-1");
    let refunded = transport
        .call(&ksher.exchange(&refund))
        .await
        .expect("order_refund");
    assert_eq!(refunded.data.refund_fee, Some(2_500));
    let refund_query = RefundQueryRequest::new().mch_order_no("NP-1");
    let refunds = transport
        .call(&ksher.exchange(&refund_query))
        .await
        .unwrap();
    assert_eq!(refunds.data.refund_orders.as_ref().map(Vec::len), Some(1));
    mock.shutdown();
}

#[tokio::test(flavor = "current_thread")]
async fn alipayplus_client_flow() {
    use payspec_alipayplus::types::{
        CancelPaymentRequest, InquiryPaymentRequest, InquiryPaymentResponse, PayRequest,
        RefundRequest,
    };
    let (merchant, gateway) = keys(2048);
    let mock = MockGateway::start(Config::new(
        Api::AlipayPlus,
        merchant.public_key(),
        gateway.clone(),
    ))
    .unwrap();
    let alipay = payspec_alipayplus::Gateway::new(
        payspec_alipayplus::Signer::new("CLIENT_1", merchant),
        payspec_alipayplus::Verifier::new("CLIENT_1", gateway.public_key()),
    )
    .with_base_url(mock.base_url());
    let transport = transport();
    let pay: PayRequest = serde_json::from_str(
        r#"{"paymentRequestId":"pay-1","paymentAmount":{"currency":"USD","value":"100"},
            "order":{"referenceOrderId":"o1","orderDescription":"Cappuccino","orderAmount":{"currency":"USD","value":"100"},
                     "env":{"terminalType":"MINI_APP"}},
            "paymentMethod":{"paymentMethodType":"GCASH"},"paymentFactor":{"isCashierPayment":"true"}}"#,
    )
    .unwrap();
    let answer = transport.call(&alipay.exchange(&pay)).await.expect("pay");
    let status = answer
        .data
        .result
        .as_ref()
        .and_then(|r| r.result_status.as_ref())
        .map(|s| s.outcome());
    assert_eq!(
        status,
        Some(Outcome::Unknown),
        "Cashier pay answers U: in progress"
    );
    assert!(answer.data.normal_url.is_some(), "the cashier page");

    mock.pay("pay-1").unwrap();
    let inquiry = InquiryPaymentRequest {
        payment_request_id: Some("pay-1".into()),
        ..Default::default()
    };
    let cancel = CancelPaymentRequest {
        payment_request_id: Some("pay-1".into()),
        ..Default::default()
    };
    // Only signed answers settle anything.
    let outcome = |answer: &payspec_alipayplus::Verified<
        payspec_alipayplus::JsonMessage<InquiryPaymentResponse>,
    >| {
        if answer.trust != payspec_alipayplus::Trust::Signed {
            return Outcome::Unknown;
        }
        answer
            .data
            .payment_result
            .as_ref()
            .and_then(|p| p.result_status.as_ref())
            .map_or(Outcome::Unknown, |s| s.outcome())
    };
    let settled = transport
        .settle(
            &alipay.exchange(&inquiry),
            &alipay.exchange(&cancel),
            &poll(),
            outcome,
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

    let refund: RefundRequest = serde_json::from_str(
        r#"{"refundRequestId":"r-1","paymentRequestId":"pay-1","refundAmount":{"currency":"USD","value":"40"}}"#,
    )
    .unwrap();
    let refunded = transport
        .call(&alipay.exchange(&refund))
        .await
        .expect("refund");
    let status = refunded
        .data
        .result
        .as_ref()
        .and_then(|r| r.result_status.as_ref())
        .map(|s| s.outcome());
    assert_eq!(status, Some(Outcome::Success));
    mock.shutdown();
}

/// The generated `Client` (feature `client`) of both crates, the same shape: a `Gateway` (base
/// URL through `with_base_url`) plus the runtime's transport, `call` returns verified data.
#[tokio::test(flavor = "current_thread")]
async fn generated_clients_have_one_shape() {
    use payspec_alipayplus::operations::inquiry_payment::InquiryPaymentRequest;
    use payspec_ksher::operations::order_query::OrderQueryRequest;

    /// A mock of `api` with fresh keys: (mock, merchant key, gateway key).
    fn mock(api: Api, bits: u32) -> (payspec_mock::Running, PrivateKey, PrivateKey) {
        let (merchant, gateway) = keys(bits);
        let config = Config::new(api, merchant.public_key(), gateway.clone());
        (MockGateway::start(config).unwrap(), merchant, gateway)
    }

    let (mock_gateway, merchant, gateway) = mock(Api::Ksher, 1024);
    let client = payspec_ksher::Client::new(
        payspec_ksher::Gateway::new(
            payspec_ksher::Signer::new("mch35000", merchant),
            payspec_ksher::Verifier::new(gateway.public_key()),
        )
        .with_base_url(mock_gateway.base_url()),
        transport(),
    );
    let query = OrderQueryRequest::new().mch_order_no("no-such-order");
    let answer = client
        .call(&query)
        .await
        .expect("a verified answer")
        .into_inner();
    // The mock answers FAIL for an unknown order; the spec labels FAIL `unknown` (a query's FAIL
    // does not prove the payment failed).
    assert_eq!(
        answer.data.result,
        Some(payspec_ksher::types::OrderResult::Fail)
    );
    assert_eq!(answer.data.outcome(), Some(Outcome::Unknown));

    let (mock_gateway, merchant, gateway) = mock(Api::AlipayPlus, 2048);
    let client = payspec_alipayplus::Client::new(
        payspec_alipayplus::Gateway::new(
            payspec_alipayplus::Signer::new("CLIENT_1", merchant),
            payspec_alipayplus::Verifier::new("CLIENT_1", gateway.public_key()),
        )
        .with_base_url(mock_gateway.base_url()),
        transport(),
    );
    let inquiry: InquiryPaymentRequest =
        serde_json::from_str(r#"{"paymentRequestId":"no-such-payment"}"#).unwrap();
    let answer = client
        .call(&inquiry)
        .await
        .expect("a verified answer")
        .into_inner();
    assert_eq!(
        answer.data.result.and_then(|r| r.outcome()),
        Some(Outcome::Failure)
    );
}
