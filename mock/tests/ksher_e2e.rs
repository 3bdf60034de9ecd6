//! End to end over loopback: the generated Ksher client against the mock gateway.

mod support;

use std::collections::BTreeSet;
use std::time::Duration;

use payspec_ksher::operations::{
    app_pay::AppPayRequest, cancel_order::CancelOrderRequest,
    gateway_order_query::GatewayOrderQueryRequest, gateway_pay::GatewayPayRequest,
    get_payout_balance::GetPayoutBalanceRequest, get_settlement_info::GetSettlementInfoRequest,
    jsapi_pay::JsapiPayRequest, merchant_info::MerchantInfoRequest,
    mini_program_pay::MiniProgramPayRequest, native_pay::NativePayRequest,
    order_close::OrderCloseRequest, order_query::OrderQueryRequest,
    order_query_payout::OrderQueryPayoutRequest, order_refund::OrderRefundRequest,
    order_reverse::OrderReverseRequest, payout::PayoutRequest, quick_pay::QuickPayRequest,
    rate_query::RateQueryRequest, refund_query::RefundQueryRequest, wap_pay::WapPayRequest,
    web_pay::WebPayRequest,
};
use payspec_ksher::types::{Channel, FeeType, OrderResult, PayoutChannel, ReceiverType};
use payspec_ksher::{DataVerifyError, ResponseError};
use payspec_mock::{Api, DeliveryState, MockGateway, OrderState};
use payspec_runtime::sorted_params::ParamWriter;
use payspec_runtime::DigestAlgorithm;
use support::{ksher_receiver, post, KsherClient};

fn refund(order: &str, refund_no: &str, total: u64, fee: u64) -> OrderRefundRequest {
    OrderRefundRequest::new(FeeType::Thb, refund_no, fee, total).mch_order_no(order)
}

fn query(order: &str) -> OrderQueryRequest {
    OrderQueryRequest::new().mch_order_no(order)
}

fn err_code(raw: &serde_json::value::RawValue) -> String {
    let v: serde_json::Value = serde_json::from_str(raw.get()).unwrap();
    v["err_code"].as_str().unwrap_or_default().to_owned()
}

#[test]
fn every_operation_against_the_mock_with_notifications() {
    let mock = support::start(Api::Ksher);
    let client = KsherClient::new(&mock);
    // The first reply fails, so the mock retries on its (shortened) schedule.
    let receiver = ksher_receiver(1);
    let notify = receiver.url("/notify");

    // Merchant information and other read-only operations.
    let info = client.call(&MerchantInfoRequest::new()).unwrap();
    assert_eq!(info.data.account_type.as_deref(), Some("Test"));
    let rate = client
        .call(&RateQueryRequest::new(
            Channel::Wechat,
            "2024-03-15",
            FeeType::Cny,
        ))
        .unwrap();
    assert_eq!(rate.data.result, Some(OrderResult::Success));
    assert!(rate.data.rate.is_some());

    // quick_pay: paid at once, notified (the first reply fails, the retry succeeds).
    let paid = client
        .call(
            &QuickPayRequest::new("134567890123456789", FeeType::Thb, "qp-1", 1000)
                .channel(Channel::Alipay)
                .notify_url(notify.clone())
                .attach("cart 7"),
        )
        .unwrap();
    assert_eq!(paid.data.result, Some(OrderResult::Success));
    assert_eq!(paid.data.total_fee, Some(1000));
    assert_eq!(paid.data.attach.as_deref(), Some("cart 7"));
    let ksher_no = paid.data.ksher_order_no.clone().unwrap();
    let q = client.call(&query("qp-1")).unwrap();
    assert_eq!(q.data.result, Some(OrderResult::Success));
    let by_ksher_no = client
        .call(&OrderQueryRequest::new().ksher_order_no(ksher_no))
        .unwrap();
    assert_eq!(by_ksher_no.data.mch_order_no.as_deref(), Some("qp-1"));
    let r1 = client.call(&refund("qp-1", "qp-1-r1", 1000, 300)).unwrap();
    assert_eq!(r1.data.result, Some(OrderResult::Success));
    assert_eq!(r1.data.refund_fee, Some(300));
    let r2 = client.call(&refund("qp-1", "qp-1-r2", 1000, 701)).unwrap();
    assert_eq!(
        r2.data.result,
        Some(OrderResult::Fail),
        "over the remaining 700"
    );
    assert_eq!(err_code(&r2.raw_data), "REFUND_FEE_EXCEEDED");
    let rq = client
        .call(&RefundQueryRequest::new().mch_order_no("qp-1"))
        .unwrap();
    assert_eq!(rq.data.refund_count, Some(1));
    assert_eq!(rq.data.refund_fee, Some(300));
    let one = client
        .call(
            &RefundQueryRequest::new()
                .mch_order_no("qp-1")
                .mch_refund_no("qp-1-r1"),
        )
        .unwrap();
    assert_eq!(one.data.refund_orders.unwrap()[0].mch_refund_fee, Some(300));
    assert_eq!(
        client.call(&query("qp-1")).unwrap().data.result,
        Some(OrderResult::Refund)
    );
    let reverse_refunded = client
        .call(&OrderReverseRequest::new().mch_order_no("qp-1"))
        .unwrap();
    assert_eq!(reverse_refunded.data.result, Some(OrderResult::Fail));

    // quick_pay waiting for the payer, then reversed.
    let pending = client
        .call(
            &QuickPayRequest::new("NOTSURE-1", FeeType::Thb, "qp-2", 500).channel(Channel::Wechat),
        )
        .unwrap();
    assert_eq!(pending.data.result, Some(OrderResult::Notsure));
    assert_eq!(pending.data.err_code.as_deref(), Some("PAYMENT_IN_PROCESS"));
    let reversed = client
        .call(&OrderReverseRequest::new().mch_order_no("qp-2"))
        .unwrap();
    assert_eq!(reversed.data.result, Some(OrderResult::Success));
    assert_eq!(
        client.call(&query("qp-2")).unwrap().data.result,
        Some(OrderResult::Closed)
    );

    // native_pay: the QR code URL is the admin pay endpoint; paying it notifies.
    let native = client
        .call(
            &NativePayRequest::new(Channel::Promptpay, FeeType::Thb, "np-1", 2500)
                .notify_url(notify.clone()),
        )
        .unwrap();
    assert_eq!(
        client.call(&query("np-1")).unwrap().data.result,
        Some(OrderResult::Notpay)
    );
    let code_url = native.data.code_url.unwrap();
    let answer = post(&client.agent, &code_url, &[], b"");
    assert_eq!(
        answer.status(),
        200,
        "{}",
        String::from_utf8_lossy(answer.body())
    );
    assert_eq!(
        client.call(&query("np-1")).unwrap().data.result,
        Some(OrderResult::Success)
    );
    let full = client.call(&refund("np-1", "np-1-r", 2500, 2500)).unwrap();
    assert_eq!(full.data.result, Some(OrderResult::Success));
    let close_paid = client
        .call(&OrderCloseRequest::new().mch_order_no("np-1"))
        .unwrap();
    assert_eq!(close_paid.data.result, Some(OrderResult::Fail));

    // Page and app payments.
    let jsapi = client
        .call(&JsapiPayRequest::new(
            Channel::Wechat,
            FeeType::Thb,
            "js-1",
            100,
        ))
        .unwrap();
    assert!(jsapi.data.pay_url.is_some());
    let closed = client
        .call(&OrderCloseRequest::new().mch_order_no("js-1"))
        .unwrap();
    assert_eq!(closed.data.result, Some(OrderResult::Success));
    assert_eq!(
        client.call(&query("js-1")).unwrap().data.result,
        Some(OrderResult::Closed)
    );
    let mini = client
        .call(
            &MiniProgramPayRequest::new(Channel::Wechat, "wx123", FeeType::Thb, "mp-1", "openid-1")
                .local_total_fee(100),
        )
        .unwrap();
    assert!(mini.data.wc_pay_data.is_some());
    let app = client
        .call(&AppPayRequest::new(Channel::Alipay, FeeType::Thb, "ap-1").total_fee(100))
        .unwrap();
    assert!(app.data.pay_content.is_some());
    for (no, web) in [("wp-1", false), ("wb-1", true)] {
        let url = if web {
            client
                .call(&WebPayRequest::new(Channel::Alipay, FeeType::Thb, no).total_fee(100))
                .unwrap()
                .data
                .pay_url
        } else {
            client
                .call(
                    &WapPayRequest::new(Channel::Alipayplus, FeeType::Thb, no).local_total_fee(100),
                )
                .unwrap()
                .data
                .pay_url
        };
        assert!(url.unwrap().contains(no));
    }

    // Hosted checkout: NOTSURE with empty values until paid, then mch_notify_url.
    let gateway_pay = |no: &str| {
        GatewayPayRequest::new(
            "promptpay,card",
            FeeType::Thb,
            no,
            no,
            "https://merchant.example/ok",
            "https://merchant.example/fail",
            "Tea",
            "https://merchant.example",
            990,
        )
        .mch_notify_url(receiver.url("/mch_notify"))
    };
    let checkout = client.call(&gateway_pay("gw-1")).unwrap();
    assert!(checkout.data.pay_content.unwrap().contains("gw-1"));
    let gq = || GatewayOrderQueryRequest::new("gw-1");
    let unpaid = client.call(&gq()).unwrap();
    assert_eq!(unpaid.data.result, Some(OrderResult::Notsure));
    assert_eq!(unpaid.data.ksher_order_no.as_deref(), Some(""));
    assert_eq!(mock.pay("gw-1").unwrap().state, OrderState::Paid);
    let paid_gw = client.call(&gq()).unwrap();
    assert_eq!(paid_gw.data.result, Some(OrderResult::Success));
    let pay_no = paid_gw.data.pay_mch_order_no.unwrap();
    assert_eq!(
        client
            .call(&refund(&pay_no, "gw-1-r", 990, 90))
            .unwrap()
            .data
            .result,
        Some(OrderResult::Success)
    );
    client.call(&gateway_pay("gw-2")).unwrap();
    let cancelled = client.call(&CancelOrderRequest::new("gw-2")).unwrap();
    assert_eq!(cancelled.data.result, Some(OrderResult::Success));
    assert_eq!(mock.order("gw-2").unwrap().state, OrderState::Closed);

    // Settlement and payouts.
    let settlement = client
        .call(&GetSettlementInfoRequest::new("2024-03-01", "2024-03-31"))
        .unwrap();
    // Paid minus refunds: qp-1 700 + np-1 0 + gw-1 900.
    assert_eq!(
        settlement.data.settlement_data.unwrap()[0].transfer_amount,
        Some(1600)
    );
    let balance = |c: &KsherClient| {
        c.call(&GetPayoutBalanceRequest::new(FeeType::Thb))
            .unwrap()
            .data
            .balance
            .unwrap()
    };
    let before = balance(&client);
    let payout = client
        .call(&PayoutRequest::new(
            PayoutChannel::Payout,
            FeeType::Thb,
            "po-1",
            "0812345678",
            ReceiverType::from_wire("MOBILE"),
            5000,
        ))
        .unwrap();
    assert_eq!(payout.data.result, Some(OrderResult::Success));
    assert_eq!(balance(&client), before - 5000);
    let payout_query = client
        .call(&OrderQueryPayoutRequest::new(PayoutChannel::Payout, "po-1"))
        .unwrap();
    assert_eq!(payout_query.data.total_fee, Some(5000));

    // Every operation of the spec was answered with verified data.
    let exercised = client.exercised.lock().unwrap().clone();
    let all: BTreeSet<&str> =
        <payspec_ksher::Api as payspec_runtime::scheme::sorted_params::Api>::OPERATIONS
            .iter()
            .map(|e| e.name)
            .collect();
    assert_eq!(exercised, all);

    // Notifications: qp-1 and np-1 (notify_url), gw-1 (mch_notify_url); every one verified.
    assert!(mock.wait_notifications_idle(Duration::from_secs(5)));
    let records = mock.notifications();
    assert_eq!(records.len(), 3, "{records:?}");
    assert!(
        records.iter().all(|r| r.state == DeliveryState::Delivered),
        "{records:?}"
    );
    let tries: u32 = records.iter().map(|r| r.attempts).sum();
    assert_eq!(tries, 4, "the first reply failed, one retry: {records:?}");
    let received = receiver.wait_for(4);
    assert_eq!(received.len(), 4, "{received:?}");
    let mut orders: Vec<String> = received
        .iter()
        .map(|r| r.verified.clone().expect("notification verifies"))
        .collect();
    orders.sort();
    orders.dedup();
    assert_eq!(orders, ["gw-1", "np-1", "qp-1"]);
    mock.shutdown();
}

/// `merchant_info` with the merchant id as `mch_appid` and no `time_stamp` (what D1's table
/// allows) is served; an operation without that rule refuses both.
#[test]
fn operations_accept_the_common_parameter_names_of_the_spec() {
    let mock = support::start(Api::Ksher);
    let client = KsherClient::new(&mock);
    let send = |signed: payspec_ksher::SignedRequest| {
        support::send(&client.agent, signed.to_http(&client.base_url).unwrap())
    };
    let mut common = client.signer.common_params();
    common.remove("time_stamp");
    common
        .rename::<MerchantInfoRequest>("appid", "mch_appid")
        .unwrap();
    let signed = client
        .signer
        .sign_with_common(&MerchantInfoRequest::new(), common)
        .unwrap();
    assert!(signed
        .form
        .string_to_sign
        .starts_with("mch_appid=mch35005nonce_str="));
    let answer = client
        .verifier
        .verify_http_response::<MerchantInfoRequest, _>(&send(signed))
        .expect("served and verified")
        .into_inner();
    assert_eq!(answer.data.account_type.as_deref(), Some("Test"));

    // order_query requires time_stamp: a form without it is the gateway's parameter error.
    let form = signed_form(&[
        ("appid", support::KSHER_APPID),
        ("mch_order_no", "A1"),
        ("nonce_str", "abc"),
    ]);
    let response = support::post(
        &client.agent,
        &format!("{}/order_query", client.base_url),
        &[("Content-Type", "application/x-www-form-urlencoded")],
        form.as_bytes(),
    );
    let body = envelope(response.body());
    assert_ne!(body["code"], 0, "{body}");
    assert!(
        body["msg"].as_str().unwrap_or("").contains("time_stamp"),
        "{body}"
    );
}

#[test]
fn a_request_signed_with_another_key_gets_an_error_envelope() {
    let mock = support::start(Api::Ksher);
    let mut client = KsherClient::new(&mock);
    client.signer = payspec_ksher::Signer::new(
        support::KSHER_APPID,
        support::private_key("ksher-sample-kb-1024.pkcs1.pem"),
    );
    let err = client.call(&query("any")).unwrap_err();
    match err {
        ResponseError::Verify(DataVerifyError::ErrorEnvelope { code, msg }) => {
            assert_eq!(code, "1002");
            assert!(msg.contains("signature"), "{msg}");
        }
        other => panic!("expected an error envelope, got {other:?}"),
    }
    assert!(client.exercised.lock().unwrap().is_empty());
}

/// Signs a hand-made form (names in byte order) with the merchant key.
fn signed_form(params: &[(&'static str, &str)]) -> String {
    let mut writer = ParamWriter::default();
    for (name, value) in params {
        writer.push_str(name, value);
    }
    writer
        .sign(
            &support::private_key("ksher-merchant-1024.pkcs1.pem"),
            DigestAlgorithm::Md5,
        )
        .unwrap()
        .body
}

fn envelope(body: &[u8]) -> serde_json::Value {
    serde_json::from_slice(body).unwrap()
}

#[test]
fn invalid_params_unknown_paths_and_malformed_bodies() {
    let mock = support::start(Api::Ksher);
    let agent = support::agent();
    let url = |path: &str| format!("{}{path}", mock.base_url());
    let form = [("Content-Type", "application/x-www-form-urlencoded")];

    let bad_amount = signed_form(&[
        ("appid", "mch35005"),
        ("auth_code", "1"),
        ("channel", "wechat"),
        ("fee_type", "THB"),
        ("mch_order_no", "x1"),
        ("nonce_str", "n"),
        ("time_stamp", "20240101000000"),
        ("total_fee", "ten"),
    ]);
    let r = post(&agent, &url("/quick_pay"), &form, bad_amount.as_bytes());
    let v = envelope(r.body());
    assert_eq!(v["code"], 1001);
    assert!(v["msg"].as_str().unwrap().contains("total_fee"), "{v}");
    assert!(v.get("sign").is_none() && v.get("data").is_none());

    let missing = signed_form(&[
        ("appid", "mch35005"),
        ("auth_code", "1"),
        ("channel", "wechat"),
        ("fee_type", "THB"),
        ("nonce_str", "n"),
        ("time_stamp", "20240101000000"),
        ("total_fee", "10"),
    ]);
    let v = envelope(post(&agent, &url("/quick_pay"), &form, missing.as_bytes()).body());
    assert_eq!(v["code"], 1001);
    assert!(v["msg"].as_str().unwrap().contains("`mch_order_no`"), "{v}");

    let unknown = signed_form(&[
        ("appid", "mch35005"),
        ("bogus", "1"),
        ("mch_order_no", "x"),
        ("nonce_str", "n"),
        ("time_stamp", "20240101000000"),
    ]);
    let v = envelope(post(&agent, &url("/order_query"), &form, unknown.as_bytes()).body());
    assert!(v["msg"].as_str().unwrap().contains("`bogus`"), "{v}");

    let no_appid = signed_form(&[
        ("mch_order_no", "x"),
        ("nonce_str", "n"),
        ("time_stamp", "20240101000000"),
    ]);
    let v = envelope(post(&agent, &url("/order_query"), &form, no_appid.as_bytes()).body());
    assert!(v["msg"].as_str().unwrap().contains("`appid`"), "{v}");

    // Garbage and an unsigned body: an error envelope, never a crash.
    for body in [
        &b"\xff\xfe%%%&&=="[..],
        b"",
        b"appid=mch1&sign=zz",
        b"{\"json\":1}",
    ] {
        let r = post(&agent, &url("/order_query"), &form, body);
        assert_eq!(r.status(), 200);
        assert_ne!(envelope(r.body())["code"], 0);
    }

    assert_eq!(post(&agent, &url("/nope"), &form, b"").status(), 404);
    assert_eq!(
        post(&agent, &url("/KsherPay/order_query"), &form, b"").status(),
        404
    );
    assert_eq!(
        post(&agent, &url("/_mock/pay/none"), &[], b"").status(),
        404
    );
    let get = support::send(
        &agent,
        payspec_runtime::http::Request::get(url("/order_query"))
            .body(Vec::new())
            .unwrap(),
    );
    assert_eq!(get.status(), 405);
    // The server is still there.
    let client = KsherClient::new(&mock);
    assert_eq!(
        client.call(&query("none")).unwrap().data.result,
        Some(OrderResult::Fail)
    );
}

#[test]
fn duplicate_order_and_refund_numbers() {
    let mock = support::start(Api::Ksher);
    let client = KsherClient::new(&mock);
    let order =
        |amount: u64| NativePayRequest::new(Channel::Promptpay, FeeType::Thb, "dup-1", amount);
    let first = client.call(&order(100)).unwrap();
    // A retry with the same parameters (fresh nonce and time) is the same order.
    let retry = client.call(&order(100)).unwrap();
    assert_eq!(first.data.ksher_order_no, retry.data.ksher_order_no);
    assert_eq!(retry.data.result, Some(OrderResult::Success));
    // The same mch_order_no with other parameters is refused.
    let reused = client.call(&order(200)).unwrap();
    assert_eq!(reused.data.result, Some(OrderResult::Fail));
    assert_eq!(err_code(&reused.raw_data), "MCH_ORDER_NO_USED");

    mock.pay("dup-1").unwrap();
    let r = client.call(&refund("dup-1", "dup-r", 100, 40)).unwrap();
    let again = client.call(&refund("dup-1", "dup-r", 100, 40)).unwrap();
    assert_eq!(r.data.ksher_refund_no, again.data.ksher_refund_no);
    let other = client.call(&refund("dup-1", "dup-r", 100, 50)).unwrap();
    assert_eq!(err_code(&other.raw_data), "MCH_REFUND_NO_USED");
    assert_eq!(mock.order("dup-1").unwrap().refunded, 40);
    let wrong_total = client.call(&refund("dup-1", "dup-r2", 99, 10)).unwrap();
    assert_eq!(err_code(&wrong_total.raw_data), "TOTAL_FEE_MISMATCH");
}

/// Issue 9, defect 4: orders of `u64::MAX` used to overflow the settlement total (a panic in
/// debug, HTTP 500 and every later settlement query failing). They are refused now, and the
/// mock keeps answering.
#[test]
fn amounts_beyond_the_limit_are_refused_and_settlement_keeps_working() {
    let mock = support::start(Api::Ksher);
    let client = KsherClient::new(&mock);
    for no in ["max-1", "max-2"] {
        let huge = client
            .call(&NativePayRequest::new(
                Channel::Promptpay,
                FeeType::Thb,
                no,
                u64::MAX,
            ))
            .unwrap();
        assert_eq!(huge.data.result, Some(OrderResult::Fail));
        assert_eq!(err_code(&huge.raw_data), "AMOUNT_TOO_LARGE");
    }
    let settlement = || client.call(&GetSettlementInfoRequest::new("2024-03-01", "2024-03-31"));
    for _ in 0..2 {
        let answer = settlement().unwrap();
        assert!(answer.data.settlement_data.unwrap_or_default().is_empty());
    }
}

#[test]
fn parallel_partial_refunds_are_serialized() {
    let mock = support::start(Api::Ksher);
    let client = KsherClient::new(&mock);
    const TOTAL: u64 = 1000;
    client
        .call(&QuickPayRequest::new("1", FeeType::Thb, "cc-1", TOTAL).channel(Channel::Wechat))
        .unwrap();
    // 32 refunds of 30..61: together far more than the total.
    let outcomes: Vec<(String, u64, OrderResult, String)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..32u64)
            .map(|i| {
                let client = &client;
                s.spawn(move || {
                    let no = format!("cc-1-r{i}");
                    let fee = 30 + i;
                    let answer = client
                        .call(&refund("cc-1", &no, TOTAL, fee))
                        .expect("answered");
                    let code = err_code(&answer.raw_data);
                    (no, fee, answer.data.result.expect("result"), code)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(outcomes.len(), 32, "none lost");
    let accepted: Vec<_> = outcomes
        .iter()
        .filter(|o| o.2 == OrderResult::Success)
        .collect();
    let rejected: Vec<_> = outcomes
        .iter()
        .filter(|o| o.2 != OrderResult::Success)
        .collect();
    assert_eq!(accepted.len() + rejected.len(), 32);
    let sum: u64 = accepted.iter().map(|o| o.1).sum();
    assert!(sum <= TOTAL, "refunded {sum} of {TOTAL}");
    for r in &rejected {
        assert_eq!(r.3, "REFUND_FEE_EXCEEDED", "{r:?}");
        // Rejected only because it no longer fit: the remaining amount only shrinks.
        assert!(
            TOTAL - sum < r.1,
            "refund of {} was rejected with {} left",
            r.1,
            TOTAL - sum
        );
    }
    assert!(!rejected.is_empty());
    let listed = client
        .call(&RefundQueryRequest::new().mch_order_no("cc-1"))
        .unwrap();
    assert_eq!(listed.data.refund_fee, Some(sum));
    let mut listed_nos: Vec<String> = listed
        .data
        .refund_orders
        .unwrap()
        .into_iter()
        .map(|r| r.mch_refund_no.unwrap())
        .collect();
    let mut accepted_nos: Vec<String> = accepted.iter().map(|o| o.0.clone()).collect();
    listed_nos.sort();
    accepted_nos.sort();
    assert_eq!(listed_nos, accepted_nos);
}

#[test]
fn automatic_payment_and_refused_notify_urls() {
    let mut config = support::config(Api::Ksher);
    config.auto_pay_after = Some(Duration::from_millis(50));
    let mock = MockGateway::start(config).unwrap();
    let client = KsherClient::new(&mock);
    client
        .call(
            &NativePayRequest::new(Channel::Promptpay, FeeType::Thb, "auto-1", 100)
                .notify_url("http://merchant.example/notify"),
        )
        .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while mock.order("auto-1").unwrap().state != OrderState::Paid {
        assert!(
            std::time::Instant::now() < deadline,
            "not paid automatically"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    // The payment and its notification record happen on the mock's own threads: wait for both.
    while mock.notifications().is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "no notification recorded"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(mock.wait_notifications_idle(Duration::from_secs(5)));
    let records = mock.notifications();
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].state, DeliveryState::Refused);
    assert_eq!(records[0].attempts, 0);
    assert!(records[0]
        .last_error
        .as_deref()
        .unwrap()
        .contains("loopback"));
}

#[test]
fn only_loopback_listen_addresses() {
    let mut config = support::config(Api::Ksher);
    config.listen = "0.0.0.0:0".parse().unwrap();
    assert!(matches!(
        MockGateway::start(config),
        Err(payspec_mock::StartError::NotLoopback(_))
    ));
}
