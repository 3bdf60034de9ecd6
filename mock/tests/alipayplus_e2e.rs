//! End to end over loopback: the generated Alipay+ client against the mock gateway.

mod support;

use std::collections::BTreeSet;
use std::time::Duration;

use payspec_alipayplus::types::{
    Amount, ApiResult, CancelPaymentRequest, ConsultPaymentRequest, Env, InquiryPaymentRequest,
    InquiryRegistrationStatusRequest, MerchantRegistrationInfo, Order, PayRequest, PaymentFactor,
    PaymentMethod, PaymentMethodType, RefundRequest, RegistrationRequest, RegistrationStatus,
    TerminalType, TransactionType,
};
use payspec_alipayplus::{HEADER_CLIENT_ID, HEADER_REQUEST_TIME, HEADER_SIGNATURE};
use payspec_mock::{Api, DeliveryState, OrderState};
use payspec_runtime::scheme::header_rsa;
use support::{alipay_receiver, post, AlipayClient};

fn usd(value: u64) -> Amount {
    Amount::new("USD", value)
}

fn pay(id: &str, value: u64, notify: Option<String>) -> PayRequest {
    let order = Order::new(
        format!("ord-{id}"),
        "Cappuccino",
        usd(value),
        Env::new(TerminalType::MiniApp),
    );
    let mut pay = PayRequest::new(
        id,
        usd(value),
        order,
        PaymentMethod::new(PaymentMethodType::Gcash),
    )
    .payment_factor(PaymentFactor::new().is_cashier_payment(true));
    pay.payment_notify_url = notify;
    pay
}

fn inquiry(id: &str) -> InquiryPaymentRequest {
    InquiryPaymentRequest::new().payment_request_id(id)
}

fn refund(id: &str, refund_id: &str, value: u64) -> RefundRequest {
    RefundRequest::new(refund_id, usd(value)).payment_request_id(id)
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
    let mock = support::start(Api::AlipayPlus);
    let client = AlipayClient::new(&mock);
    let receiver = alipay_receiver(2);

    let options = client.call(&ConsultPaymentRequest::new(usd(100))).unwrap();
    assert_eq!(status(&options.data.result).1, "S");
    assert!(!options.data.payment_options.unwrap().is_empty());

    // A mini-program Cashier Payment: in process, with the page in normalUrl.
    let placed = client
        .call(&pay("pay-1", 1000, Some(receiver.url("/alipay/notify"))))
        .unwrap();
    assert_eq!(
        status(&placed.data.result),
        ("PAYMENT_IN_PROCESS".into(), "U".into())
    );
    let payment_id = placed.data.payment_id.clone().unwrap();
    let in_process = client.call(&inquiry("pay-1")).unwrap();
    assert_eq!(status(&in_process.data.result).1, "S");
    assert_eq!(status(&in_process.data.payment_result).1, "U");

    // The payer pays: POST to the page (the admin endpoint); notifyPayment follows.
    let page = placed.data.normal_url.unwrap();
    assert_eq!(post(&client.agent, &page, &[], b"").status(), 200);
    let by_id = client
        .call(&InquiryPaymentRequest::new().payment_id(payment_id.clone()))
        .unwrap();
    assert_eq!(
        status(&by_id.data.payment_result),
        ("SUCCESS".into(), "S".into())
    );
    assert!(by_id.data.payment_time.is_some());

    // Refunds, partial then the rest; then one too many.
    let r1 = client.call(&refund("pay-1", "ref-1", 400)).unwrap();
    assert_eq!(status(&r1.data.result).1, "S");
    assert_eq!(r1.data.refund_amount.unwrap().value, Some(400));
    let r2 = client
        .call(&RefundRequest {
            payment_request_id: None,
            payment_id: Some(payment_id),
            ..refund("pay-1", "ref-2", 600)
        })
        .unwrap();
    assert_eq!(status(&r2.data.result).1, "S");
    let r3 = client.call(&refund("pay-1", "ref-3", 1)).unwrap();
    assert_eq!(
        status(&r3.data.result),
        ("REFUND_AMOUNT_EXCEED".into(), "F".into())
    );
    // Refund query: the refunds are the payment's transactions.
    let refunded = client.call(&inquiry("pay-1")).unwrap();
    let transactions = refunded.data.transactions.unwrap();
    assert_eq!(transactions.len(), 2);
    assert!(transactions
        .iter()
        .all(|t| t.transaction_type == Some(TransactionType::Refund)));
    let sum: u64 = transactions
        .iter()
        .filter_map(|t| t.transaction_amount.as_ref().and_then(|a| a.value))
        .sum();
    assert_eq!(sum, 1000);

    // Cancel an unpaid payment; a paid one cannot be cancelled.
    client.call(&pay("pay-2", 300, None)).unwrap();
    let cancelled = client
        .call(&CancelPaymentRequest::new().payment_request_id("pay-2"))
        .unwrap();
    assert_eq!(status(&cancelled.data.result).1, "S");
    let after = client.call(&inquiry("pay-2")).unwrap();
    assert_eq!(
        status(&after.data.payment_result),
        ("ORDER_IS_CANCELED".into(), "F".into())
    );
    let paid_cancel = client
        .call(&CancelPaymentRequest::new().payment_request_id("pay-1"))
        .unwrap();
    assert_eq!(
        status(&paid_cancel.data.result),
        ("ORDER_STATUS_INVALID".into(), "F".into())
    );
    let missing = client.call(&inquiry("nope")).unwrap();
    assert_eq!(
        status(&missing.data.result),
        ("ORDER_NOT_EXIST".into(), "F".into())
    );

    // Merchant registration: accepted, then approved by the wallets (inquiry and notification).
    let merchant = MerchantRegistrationInfo::new("M-1").merchant_display_name("Cafe");
    let registration = RegistrationRequest::new("reg-1", vec!["CASHIER_PAYMENT".into()], merchant)
        .registration_notify_url(receiver.url("/alipay/registration"));
    let accepted = client.call(&registration).unwrap();
    assert_eq!(status(&accepted.data.result).1, "S");
    let inquired = client
        .call(&InquiryRegistrationStatusRequest::new().reference_merchant_id("M-1"))
        .unwrap();
    assert_eq!(
        inquired
            .data
            .registration_result
            .unwrap()
            .registration_status,
        Some(RegistrationStatus::Completed)
    );
    let wallets = inquired.data.psp_registration_result_list.unwrap();
    assert!(!wallets.is_empty());
    assert!(wallets.iter().all(|w| w
        .registration_result
        .as_ref()
        .and_then(|r| r.registration_status.clone())
        == Some(RegistrationStatus::Approved)));
    let unknown = client
        .call(&InquiryRegistrationStatusRequest::new().registration_request_id("nope"))
        .unwrap();
    assert_eq!(status(&unknown.data.result).1, "F");

    let exercised = client.exercised.lock().unwrap().clone();
    let all: BTreeSet<&str> = <payspec_alipayplus::Api as header_rsa::Api>::OPERATIONS
        .iter()
        .map(|e| e.name)
        .collect();
    assert_eq!(exercised, all);

    // The notifications: two failed replies, then delivered; every try verified.
    assert!(mock.wait_notifications_idle(Duration::from_secs(5)));
    let records = mock.notifications();
    assert_eq!(records.len(), 2, "{records:?}");
    assert!(records.iter().all(|r| r.state == DeliveryState::Delivered));
    let attempts: u32 = records.iter().map(|r| r.attempts).sum();
    assert_eq!(
        attempts, 4,
        "two refused replies in all, then one success each"
    );
    let received = receiver.wait_for(4);
    assert_eq!(received.len(), 4);
    for r in &received {
        let expected = if r.path == "/alipay/notify" {
            "pay-1"
        } else {
            "reg-1"
        };
        assert_eq!(r.verified.as_deref(), Ok(expected), "{r:?}");
    }
    mock.shutdown();
}

#[test]
fn duplicate_payment_request_ids() {
    let mock = support::start(Api::AlipayPlus);
    let client = AlipayClient::new(&mock);
    let first = client.call(&pay("dup-1", 500, None)).unwrap();
    // Processed once: the repeat answers with the same payment.
    let again = client.call(&pay("dup-1", 500, None)).unwrap();
    assert_eq!(first.data.payment_id, again.data.payment_id);
    // A repeat whose key fields differ fails (reference 6.1).
    let inconsistent = client.call(&pay("dup-1", 501, None)).unwrap();
    assert_eq!(
        status(&inconsistent.data.result),
        ("REPEAT_REQ_INCONSISTENT".into(), "F".into())
    );
    let mut other_wallet = pay("dup-1", 500, None);
    other_wallet.payment_method = PaymentMethod::new(PaymentMethodType::Tng);
    assert_eq!(
        status(&client.call(&other_wallet).unwrap().data.result).0,
        "REPEAT_REQ_INCONSISTENT"
    );
    // Members outside the key fields may differ.
    let mut other_description = pay("dup-1", 500, None);
    other_description.user_region = Some("PH".into());
    assert_eq!(
        client.call(&other_description).unwrap().data.payment_id,
        first.data.payment_id
    );
    // After payment the repeat says so.
    mock.pay("dup-1").unwrap();
    assert_eq!(
        status(&client.call(&pay("dup-1", 500, None)).unwrap().data.result),
        ("SUCCESS".into(), "S".into())
    );
    // refundRequestId is an idempotency key too.
    let r = client.call(&refund("dup-1", "rr", 100)).unwrap();
    let r_again = client.call(&refund("dup-1", "rr", 100)).unwrap();
    assert_eq!(r.data.refund_id, r_again.data.refund_id);
    assert_eq!(
        status(
            &client
                .call(&refund("dup-1", "rr", 200))
                .unwrap()
                .data
                .result
        )
        .0,
        "REPEAT_REQ_INCONSISTENT"
    );
    assert_eq!(mock.order("dup-1").unwrap().refunded, 100);
}

#[test]
fn bad_signatures_invalid_bodies_and_unknown_paths() {
    let mock = support::start(Api::AlipayPlus);
    let mut client = AlipayClient::new(&mock);

    // Signed with another key: a signed F answer, not data.
    client.signer = payspec_alipayplus::Signer::new(
        support::ALIPAY_CLIENT_ID,
        support::private_key("alipayplus-research-2048.pkcs1.pem"),
    );
    let rejected = client.call(&inquiry("x")).unwrap();
    assert_eq!(
        status(&rejected.data.result),
        ("INVALID_SIGNATURE".into(), "F".into())
    );
    assert!(rejected.data.payment_result.is_none());
    let client = AlipayClient::new(&mock);

    // An invalid body, correctly signed: PARAM_ILLEGAL naming the member.
    let path = <InquiryPaymentRequest as header_rsa::Operation>::PATH;
    let url = format!("{}{path}", mock.base_url());
    let send_body = |body: &[u8]| {
        let signed = client
            .signer
            .sign_body(path, body.to_vec(), &client.signer.request_time())
            .unwrap();
        let response = support::send(&client.agent, signed.to_http(&mock.base_url()).unwrap());
        client
            .verifier
            .verify_http_response::<InquiryPaymentRequest, _>(&response)
            .unwrap()
            .into_inner()
    };
    let unknown_member = send_body(br#"{"paymentRequestId":"a","bogus":1}"#);
    let (code, st) = status(&unknown_member.data.result);
    assert_eq!((code.as_str(), st.as_str()), ("PARAM_ILLEGAL", "F"));
    let message = unknown_member.data.result.unwrap().result_message.unwrap();
    assert!(message.contains("bogus"), "{message}");
    let neither = send_body(b"{}");
    let message = neither.data.result.unwrap().result_message.unwrap();
    assert!(message.contains("paymentRequestId"), "{message}");
    let too_long = send_body(format!(r#"{{"paymentId":"{}"}}"#, "9".repeat(65)).as_bytes());
    let message = too_long.data.result.unwrap().result_message.unwrap();
    assert!(message.contains("paymentId"), "{message}");
    let not_json = send_body(b"\xff not json");
    assert_eq!(status(&not_json.data.result).0, "PARAM_ILLEGAL");

    // Missing headers: an (unsigned) PARAM_ILLEGAL / INVALID_SIGNATURE answer.
    let bare = post(&client.agent, &url, &[], b"{}");
    assert_eq!(bare.status(), 200);
    let body: serde_json::Value = serde_json::from_slice(bare.body()).unwrap();
    assert_eq!(body["result"]["resultCode"], "PARAM_ILLEGAL");
    let unsigned = post(
        &client.agent,
        &url,
        &[
            (HEADER_CLIENT_ID, support::ALIPAY_CLIENT_ID),
            (HEADER_REQUEST_TIME, "2024-01-01T00:00:00Z"),
        ],
        b"{}",
    );
    let body: serde_json::Value = serde_json::from_slice(unsigned.body()).unwrap();
    assert_eq!(body["result"]["resultCode"], "INVALID_SIGNATURE");
    let garbage = post(
        &client.agent,
        &url,
        &[
            (HEADER_CLIENT_ID, "c"),
            (HEADER_REQUEST_TIME, "x"),
            (HEADER_SIGNATURE, "%%%"),
        ],
        b"{}",
    );
    assert_eq!(garbage.status(), 200);

    // Unknown paths.
    for p in ["/aps/api/v1/payments/nope", "/ams/api/v1/payments/pay", "/"] {
        let r = post(
            &client.agent,
            &format!("{}{p}", mock.base_url()),
            &[],
            b"{}",
        );
        assert_eq!(r.status(), 404, "{p}");
    }
    let get = support::send(
        &client.agent,
        payspec_runtime::http::Request::get(url)
            .body(Vec::new())
            .unwrap(),
    );
    assert_eq!(get.status(), 405);
}

#[test]
fn client_id_restriction() {
    let mut config = support::config(Api::AlipayPlus);
    config.client_id = Some("OTHER_CLIENT".into());
    let mock = payspec_mock::MockGateway::start(config).unwrap();
    let client = AlipayClient::new(&mock);
    let answer = client.call(&inquiry("x")).unwrap();
    assert_eq!(status(&answer.data.result).0, "INVALID_CLIENT");
}

#[test]
fn parallel_partial_refunds_are_serialized() {
    let mock = support::start(Api::AlipayPlus);
    let client = AlipayClient::new(&mock);
    const TOTAL: u64 = 1000;
    client.call(&pay("cc-1", TOTAL, None)).unwrap();
    assert_eq!(mock.pay("cc-1").unwrap().state, OrderState::Paid);
    let outcomes: Vec<(String, u64, String, String)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..32u64)
            .map(|i| {
                let client = &client;
                s.spawn(move || {
                    let id = format!("cc-1-r{i}");
                    let value = 30 + i;
                    let answer = client.call(&refund("cc-1", &id, value)).expect("answered");
                    let (code, st) = status(&answer.data.result);
                    (id, value, code, st)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(outcomes.len(), 32, "none lost");
    let accepted: Vec<_> = outcomes.iter().filter(|o| o.3 == "S").collect();
    let rejected: Vec<_> = outcomes.iter().filter(|o| o.3 != "S").collect();
    let sum: u64 = accepted.iter().map(|o| o.1).sum();
    assert!(sum <= TOTAL, "refunded {sum} of {TOTAL}");
    assert!(!rejected.is_empty());
    for r in &rejected {
        assert_eq!(
            (r.2.as_str(), r.3.as_str()),
            ("REFUND_AMOUNT_EXCEED", "F"),
            "{r:?}"
        );
        assert!(
            TOTAL - sum < r.1,
            "refund of {} was rejected with {} left",
            r.1,
            TOTAL - sum
        );
    }
    let view = mock.order("cc-1").unwrap();
    assert_eq!(view.refunded, sum);
    assert_eq!(view.refunds.len(), accepted.len());
    let listed = client
        .call(&inquiry("cc-1"))
        .unwrap()
        .data
        .transactions
        .unwrap();
    assert_eq!(listed.len(), accepted.len());
}

/// The cancellable period (before 00:15 UTC+8 of T+1) and the refund window (one calendar year)
/// are enforced on the mock's business clock.
#[test]
fn cancel_and_refund_windows() {
    let mock = support::start(Api::AlipayPlus);
    let client = AlipayClient::new(&mock);
    client.call(&pay("late-cancel", 300, None)).unwrap();
    client.call(&pay("late-refund", 500, None)).unwrap();
    mock.pay("late-refund").unwrap();
    // Within the period a cancel would succeed; a day and a quarter later it is over.
    mock.advance(30 * 3600);
    let late = client
        .call(&CancelPaymentRequest::new().payment_request_id("late-cancel"))
        .unwrap();
    assert_eq!(
        status(&late.data.result),
        ("CANCEL_WINDOW_EXCEED".into(), "F".into())
    );
    assert_eq!(
        mock.order("late-cancel").unwrap().state,
        OrderState::Pending
    );
    // A refund within the year works; after it, the window is closed.
    let early = client.call(&refund("late-refund", "lr-1", 100)).unwrap();
    assert_eq!(status(&early.data.result).1, "S");
    mock.advance(366 * 24 * 3600);
    let late = client.call(&refund("late-refund", "lr-2", 100)).unwrap();
    assert_eq!(
        status(&late.data.result),
        ("REFUND_WINDOW_EXCEED".into(), "F".into())
    );
    assert_eq!(mock.order("late-refund").unwrap().refunded, 100);
}
