//! A whole Alipay+ mini-program Cashier Payment against an in-process mock gateway, no
//! credentials needed: consult, pay (MINI_APP inside GCash), the payer confirms, notifyPayment
//! arrives and is verified, inquire, refund part of it, and see the refund in the inquiry.
//!
//! ```sh
//! cargo run --example alipayplus_mini_program
//! ```

use std::sync::mpsc;
use std::time::Duration;

use payspec_alipayplus::types::{
    Amount, ConsultPaymentRequest, Env, InquiryPaymentRequest, Order, PayRequest, PaymentFactor,
    PaymentMethod, PaymentMethodType, RefundRequest, TerminalType,
};
use payspec_alipayplus::{Operation, Signer, Verifier, VerifyNotifications};
use payspec_mock::{Api, Config, MockGateway};
use payspec_runtime::{http, Backend, PrivateKey};

type Error = Box<dyn std::error::Error>;

const CLIENT_ID: &str = "SANDBOX_5YBX2B2ZKQYE04562";

/// The transport: send an `http::Request` built by the sans-IO client, read the whole answer.
fn send(
    agent: &ureq::Agent,
    request: http::Request<Vec<u8>>,
) -> Result<http::Response<Vec<u8>>, Error> {
    let (parts, mut body) = agent.run(request)?.into_parts();
    Ok(http::Response::from_parts(parts, body.read_to_vec()?))
}

/// Sign, send, verify: returns the verified, typed response body.
fn call<O: Operation>(
    agent: &ureq::Agent,
    signer: &Signer,
    verifier: &Verifier,
    base_url: &str,
    request: &O,
) -> Result<O::Response, Error> {
    let signed = signer.sign(request)?;
    let response = send(agent, signed.to_http(base_url)?)?;
    Ok(verifier
        .verify_http_response::<O, _>(&response)?
        .into_inner()
        .data)
}

fn usd(value: u64) -> Amount {
    Amount::new("USD", value)
}

/// `CODE/STATUS` of a result object, for printing.
fn outcome(result: &Option<payspec_alipayplus::types::ApiResult>) -> String {
    result.as_ref().map_or_else(
        || "-".into(),
        |r| {
            format!(
                "{}/{}",
                r.result_code.as_ref().map_or("", |c| c.as_str()),
                r.result_status.as_ref().map_or("", |s| s.as_str())
            )
        },
    )
}

fn main() -> Result<(), Error> {
    // Fresh key pairs stand in for the acquirer's key and Alipay+'s key.
    let acquirer_key = PrivateKey::generate(Backend::default(), 2048)?;
    let alipay_key = PrivateKey::generate(Backend::default(), 2048)?;
    let verifier = Verifier::new(CLIENT_ID, alipay_key.public_key());
    let signer = Signer::new(CLIENT_ID, acquirer_key.clone());

    let mock = MockGateway::start(Config::new(
        Api::AlipayPlus,
        acquirer_key.public_key(),
        alipay_key,
    ))?;
    let base = mock.base_url();
    println!("1. Mock Alipay+ gateway listening at {base}");

    // The acquirer's paymentNotifyUrl endpoint: verifies over its own path and request-time.
    let webhook = tiny_http::Server::http("127.0.0.1:0").map_err(|e| e.to_string())?;
    let notify_url = format!(
        "http://{}/alipay/notify",
        webhook.server_addr().to_ip().ok_or("no address")?
    );
    let (notified, notifications) = mpsc::channel();
    let webhook_verifier = verifier.clone();
    std::thread::spawn(move || {
        for mut request in webhook.incoming_requests() {
            let mut body = Vec::new();
            let _ = request.as_reader().read_to_end(&mut body);
            let mut received = http::Request::post(request.url());
            for h in request.headers() {
                received = received.header(h.field.as_str().as_str(), h.value.as_str());
            }
            let verdict = received
                .body(body)
                .map_err(|e| e.to_string())
                .and_then(|r| {
                    webhook_verifier
                        .verify_http_notify_payment(&r)
                        .map_err(|e| e.to_string())
                });
            let _ = request.respond(tiny_http::Response::from_string(
                payspec_alipayplus::NOTIFY_PAYMENT_REPLY,
            ));
            let _ = notified.send(verdict.map(|v| v.into_inner().data));
        }
    });
    println!("2. Acquirer notify endpoint listening at {notify_url}");

    let agent = ureq::Agent::config_builder()
        .proxy(None)
        .http_status_as_error(false)
        .build()
        .new_agent();

    let options = call(
        &agent,
        &signer,
        &verifier,
        &base,
        &ConsultPaymentRequest::new(usd(450)),
    )?;
    println!(
        "3. consultPayment: {} ({} wallets offered)",
        outcome(&options.result),
        options.payment_options.map_or(0, |o| o.len())
    );

    // Inside GCash's mini program: terminalType MINI_APP, the hosting wallet as method type.
    let order = Order::new(
        "ord_0001",
        "Cappuccino",
        usd(450),
        Env::new(TerminalType::MiniApp),
    );
    let pay = PayRequest::new(
        "pay_20240101_0001",
        usd(450), // USD 4.50
        order,
        PaymentMethod::new(PaymentMethodType::Gcash),
    )
    .payment_factor(PaymentFactor::new().is_cashier_payment(true))
    .payment_notify_url(notify_url);
    let placed = call(&agent, &signer, &verifier, &base, &pay)?;
    let normal_url = placed.normal_url.ok_or("no normalUrl")?;
    println!(
        "4. pay: {} (in process is the normal answer); the mini program calls my.tradePay with {normal_url}",
        outcome(&placed.result)
    );

    let inquiry = InquiryPaymentRequest::new().payment_request_id("pay_20240101_0001");
    let before = call(&agent, &signer, &verifier, &base, &inquiry)?;
    println!(
        "5. inquiryPayment before paying: payment {}",
        outcome(&before.payment_result)
    );

    // The mock's cashier URL is its admin endpoint: POSTing it is "the payer confirms".
    let confirmed = send(
        &agent,
        http::Request::post(normal_url.as_str()).body(Vec::new())?,
    )?;
    println!(
        "6. The payer confirms in GCash (POST {normal_url}): HTTP {}",
        confirmed.status().as_u16()
    );

    let notification = notifications.recv_timeout(Duration::from_secs(5))??;
    println!(
        "7. notifyPayment received and verified: {} for {} paid {:?}",
        outcome(&notification.payment_result),
        notification.payment_request_id.unwrap_or_default(),
        notification.payment_amount.and_then(|a| a.value)
    );

    let after = call(&agent, &signer, &verifier, &base, &inquiry)?;
    println!(
        "8. inquiryPayment after paying: payment {}, paymentId {}",
        outcome(&after.payment_result),
        after.payment_id.clone().unwrap_or_default()
    );

    let mut refund = RefundRequest::new("refund_0001", usd(150)).refund_reason("one shot less");
    refund.payment_id = after.payment_id;
    let refunded = call(&agent, &signer, &verifier, &base, &refund)?;
    println!(
        "9. refund of USD 1.50: {}, refundId {}",
        outcome(&refunded.result),
        refunded.refund_id.unwrap_or_default()
    );

    let with_refunds = call(&agent, &signer, &verifier, &base, &inquiry)?;
    for t in with_refunds.transactions.unwrap_or_default() {
        println!(
            "10. inquiryPayment lists transaction {} {:?} of {:?}",
            t.transaction_request_id.unwrap_or_default(),
            t.transaction_type.map(|x| x.as_str().to_owned()),
            t.transaction_amount.and_then(|a| a.value)
        );
    }

    mock.shutdown();
    println!("11. Done: every answer and the notification were verified with the gateway key.");
    Ok(())
}
