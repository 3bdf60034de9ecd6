//! End to end over loopback: the generated Antom client against the mock gateway.

mod support;

use std::collections::BTreeSet;
use std::time::Duration;

use payspec_antom::types::{
    Amount, ApiResult, CancelRequest, ConsultRequest, Env, InquiryPaymentRequest,
    InquiryRefundRequest, Order, PayRequest, PaymentMethod, PaymentMethodType, PaymentStatus,
    ProductCode, RefundRequest, RefundStatus, SettlementStrategy, TerminalType, TransactionType,
};
use payspec_mock::{Api, DeliveryState};
use payspec_runtime::scheme::header_rsa;
use payspec_runtime::Outcome;
use support::{antom_receiver, post, AntomClient};

fn usd(value: u64) -> Amount {
    Amount::new("USD", value)
}

/// A mini-program Cashier Payment inside GCash.
fn pay(id: &str, value: u64, notify: Option<String>) -> PayRequest {
    let mini_app = || Env::new(TerminalType::MiniApp);
    let order = Order::new(format!("ord-{id}"), "Cappuccino", usd(value)).env(mini_app());
    let mut pay = PayRequest::new(
        ProductCode::CashierPayment,
        id,
        order,
        usd(value),
        PaymentMethod::new(PaymentMethodType::Gcash),
        "https://merchant.example/return",
        SettlementStrategy::new().settlement_currency("USD"),
        mini_app(),
    )
    .app_id("2102010123456789");
    pay.payment_notify_url = notify;
    pay
}

fn status(r: &Option<ApiResult>) -> (String, String) {
    let r = r.as_ref().expect("result");
    (
        r.result_code
            .as_ref()
            .map(|c| c.as_str().to_owned())
            .unwrap_or_default(),
        r.result_status
            .as_ref()
            .map(|s| s.as_str().to_owned())
            .unwrap_or_default(),
    )
}

#[test]
fn every_operation_against_the_mock_with_notifications() {
    let mock = support::start(Api::Antom);
    let client = AntomClient::new(&mock);
    let receiver = antom_receiver(1);

    let consult = ConsultRequest::new(ProductCode::CashierPayment, usd(100));
    let options = client.call(&consult).unwrap();
    assert_eq!(status(&options.data.result).1, "S");
    assert!(!options.data.payment_options.unwrap().is_empty());

    // Cashier Payment from a mini program: in process, with the page in normalUrl.
    let placed = client
        .call(&pay("pay-1", 1000, Some(receiver.url("/antom/notify"))))
        .unwrap();
    assert_eq!(
        status(&placed.data.result),
        ("PAYMENT_IN_PROCESS".into(), "U".into())
    );
    assert_eq!(placed.data.outcome(), Some(Outcome::Unknown));
    let payment_id = placed.data.payment_id.clone().unwrap();
    let in_process = client
        .call(&InquiryPaymentRequest::new().payment_request_id("pay-1"))
        .unwrap();
    assert_eq!(
        in_process.data.payment_status,
        Some(PaymentStatus::Processing)
    );
    assert_eq!(in_process.data.outcome(), Some(Outcome::Unknown));

    // The payer pays on the page (the admin endpoint); notifyPayment follows.
    let page = placed.data.normal_url.unwrap();
    assert_eq!(post(&client.agent, &page, &[], b"").status(), 200);
    let paid = client
        .call(&InquiryPaymentRequest::new().payment_id(payment_id.clone()))
        .unwrap();
    assert_eq!(paid.data.payment_status, Some(PaymentStatus::Success));
    assert_eq!(paid.data.outcome(), Some(Outcome::Success));
    assert_eq!(
        paid.data.payment_method_type,
        Some(PaymentMethodType::Gcash)
    );

    // A partial refund by paymentId, with notifyRefund; then the rest; then one too many.
    let first = RefundRequest::new("ref-1", payment_id.clone(), usd(400))
        .refund_notify_url(receiver.url("/antom/refund-notify"));
    let r1 = client.call(&first).unwrap();
    assert_eq!(status(&r1.data.result).1, "S");
    let refund_id = r1.data.refund_id.clone().unwrap();
    let r2 = client
        .call(&RefundRequest::new("ref-2", payment_id.clone(), usd(600)))
        .unwrap();
    assert_eq!(status(&r2.data.result).1, "S");
    let r3 = client
        .call(&RefundRequest::new("ref-3", payment_id.clone(), usd(1)))
        .unwrap();
    assert_eq!(
        status(&r3.data.result),
        ("REFUND_AMOUNT_EXCEED".into(), "F".into())
    );
    let by_request = client
        .call(&InquiryRefundRequest::new().refund_request_id("ref-1"))
        .unwrap();
    assert_eq!(by_request.data.refund_status, Some(RefundStatus::Success));
    assert_eq!(by_request.data.outcome(), Some(Outcome::Success));
    assert_eq!(
        by_request.data.refund_id.as_deref(),
        Some(refund_id.as_str())
    );
    // refundId wins over refundRequestId.
    let by_id = client
        .call(
            &InquiryRefundRequest::new()
                .refund_request_id("ref-1")
                .refund_id(r2.data.refund_id.clone().unwrap()),
        )
        .unwrap();
    assert_eq!(by_id.data.refund_request_id.as_deref(), Some("ref-2"));
    let no_refund = client
        .call(&InquiryRefundRequest::new().refund_request_id("nope"))
        .unwrap();
    assert_eq!(status(&no_refund.data.result).1, "F");
    let refunded = client
        .call(&InquiryPaymentRequest::new().payment_request_id("pay-1"))
        .unwrap();
    let transactions = refunded.data.transactions.unwrap();
    assert_eq!(transactions.len(), 2);
    assert!(transactions
        .iter()
        .all(|t| t.transaction_type == Some(TransactionType::Refund)));

    // Cancel an unpaid payment; a paid one cannot be cancelled.
    client.call(&pay("pay-2", 300, None)).unwrap();
    let cancelled = client
        .call(&CancelRequest::new().payment_request_id("pay-2"))
        .unwrap();
    assert_eq!(status(&cancelled.data.result).1, "S");
    assert!(cancelled.data.cancel_time.is_some());
    let after = client
        .call(&InquiryPaymentRequest::new().payment_request_id("pay-2"))
        .unwrap();
    assert_eq!(after.data.payment_status, Some(PaymentStatus::Cancelled));
    assert_eq!(after.data.outcome(), Some(Outcome::Failure));
    let paid_cancel = client
        .call(&CancelRequest::new().payment_id(payment_id))
        .unwrap();
    assert_eq!(
        status(&paid_cancel.data.result),
        ("ORDER_STATUS_INVALID".into(), "F".into())
    );

    let exercised = client.exercised.lock().unwrap().clone();
    let all: BTreeSet<&str> = <payspec_antom::Api as header_rsa::Api>::OPERATIONS
        .iter()
        .map(|e| e.name)
        .collect();
    assert_eq!(exercised, all);

    // notifyPayment: one failed reply, then delivered; notifyRefund delivered at once; every try
    // verified by the receiver over its own path.
    assert!(mock.wait_notifications_idle(Duration::from_secs(5)));
    let records = mock.notifications();
    assert_eq!(records.len(), 2, "{records:?}");
    assert!(records.iter().all(|r| r.state == DeliveryState::Delivered));
    let kinds: BTreeSet<&str> = records.iter().map(|r| r.kind).collect();
    assert_eq!(kinds, BTreeSet::from(["notifyPayment", "notifyRefund"]));
    let received = receiver.wait_for(3);
    assert_eq!(received.len(), 3, "{received:?}");
    for r in &received {
        let expected = if r.path == "/antom/notify" {
            "pay-1"
        } else {
            "ref-1"
        };
        assert_eq!(r.verified.as_deref(), Ok(expected), "{r:?}");
    }
    mock.shutdown();
}

#[test]
fn repeats_bad_signatures_and_foreign_paths() {
    let mock = support::start(Api::Antom);
    let client = AntomClient::new(&mock);
    let first = client.call(&pay("dup-1", 500, None)).unwrap();
    let again = client.call(&pay("dup-1", 500, None)).unwrap();
    assert_eq!(first.data.payment_id, again.data.payment_id);
    let inconsistent = client.call(&pay("dup-1", 501, None)).unwrap();
    assert_eq!(
        status(&inconsistent.data.result).0,
        "REPEAT_REQ_INCONSISTENT"
    );

    // Signed with the Alipay+ merchant key: a signed F answer.
    let mut other = AntomClient::new(&mock);
    other.signer = payspec_antom::Signer::new(
        support::ANTOM_CLIENT_ID,
        support::private_key("alipayplus-merchant-2048.pkcs8.pem"),
    );
    let rejected = other
        .call(&InquiryPaymentRequest::new().payment_request_id("dup-1"))
        .unwrap();
    assert_eq!(
        status(&rejected.data.result),
        ("INVALID_SIGNATURE".into(), "F".into())
    );
    assert!(rejected.data.payment_status.is_none());

    // A valid body of another API: PARAM_ILLEGAL naming the member.
    let path = <InquiryPaymentRequest as header_rsa::Operation>::PATH;
    let signed = client
        .signer
        .sign_body(
            path,
            br#"{"bogus":"1"}"#.to_vec(),
            &client.signer.request_time(),
        )
        .unwrap();
    let response = support::send(&client.agent, signed.to_http(&mock.base_url()).unwrap());
    let answer = client
        .verifier
        .verify_http_response::<InquiryPaymentRequest, _>(&response)
        .unwrap()
        .into_inner();
    let message = answer.data.result.unwrap().result_message.unwrap();
    assert!(message.contains("bogus"), "{message}");

    // Alipay+ paths and Alipay+'s cancelPayment are not Antom's.
    for p in [
        "/aps/api/v1/payments/pay",
        "/ams/api/v1/payments/cancelPayment",
        "/",
    ] {
        let r = post(
            &client.agent,
            &format!("{}{p}", mock.base_url()),
            &[],
            b"{}",
        );
        assert_eq!(r.status(), 404, "{p}");
    }
}
