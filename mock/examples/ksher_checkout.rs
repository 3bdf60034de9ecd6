//! A whole Ksher hosted-checkout flow against an in-process mock gateway, no credentials needed:
//! create the checkout, the payer pays, the signed notification arrives and is verified, query,
//! refund part of it, and list the refunds.
//!
//! ```sh
//! cargo run --example ksher_checkout
//! ```

use std::sync::mpsc;
use std::time::Duration;

use payspec_ksher::operations::{
    gateway_order_query::GatewayOrderQueryRequest, gateway_pay::GatewayPayRequest,
    order_refund::OrderRefundRequest, refund_query::RefundQueryRequest,
};
use payspec_ksher::types::FeeType;
use payspec_ksher::{Operation, Signer, Verifier, VerifyNotifications};
use payspec_mock::{Api, Config, MockGateway};
use payspec_runtime::{http, Backend, PrivateKey};

type Error = Box<dyn std::error::Error>;

/// The transport: send an `http::Request` built by the sans-IO client, read the whole answer.
fn send(
    agent: &ureq::Agent,
    request: http::Request<Vec<u8>>,
) -> Result<http::Response<Vec<u8>>, Error> {
    let (parts, mut body) = agent.run(request)?.into_parts();
    Ok(http::Response::from_parts(parts, body.read_to_vec()?))
}

/// Sign, send, verify: returns the verified, typed `data`.
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

fn main() -> Result<(), Error> {
    // Fresh key pairs stand in for the merchant key (Ksher portal) and Ksher's gateway key.
    let merchant_key = PrivateKey::generate(Backend::default(), 1024)?;
    let gateway_key = PrivateKey::generate(Backend::default(), 1024)?;
    let verifier = Verifier::new(gateway_key.public_key());
    let signer = Signer::new("mch35005", merchant_key.clone());

    let mock = MockGateway::start(Config::new(
        Api::Ksher,
        merchant_key.public_key(),
        gateway_key,
    ))?;
    let base = mock.base_url();
    println!("1. Mock Ksher gateway listening at {base}");

    // The merchant's webhook: verifies each notification and answers the spec's reply.
    let webhook = tiny_http::Server::http("127.0.0.1:0").map_err(|e| e.to_string())?;
    let webhook_url = format!(
        "http://{}/ksher/notify",
        webhook.server_addr().to_ip().ok_or("no address")?
    );
    let (notified, notifications) = mpsc::channel();
    let webhook_verifier = verifier.clone();
    std::thread::spawn(move || {
        for mut request in webhook.incoming_requests() {
            let mut body = Vec::new();
            let _ = request.as_reader().read_to_end(&mut body);
            let verdict = webhook_verifier.verify_mch_notify_url(&body);
            let _ = request.respond(tiny_http::Response::from_string(
                payspec_ksher::MCH_NOTIFY_URL_REPLY,
            ));
            let _ = notified.send(verdict.map(|v| v.into_inner().data));
        }
    });
    println!("2. Merchant webhook listening at {webhook_url}");

    let agent = ureq::Agent::config_builder()
        .proxy(None)
        .http_status_as_error(false)
        .build()
        .new_agent();
    let checkout = GatewayPayRequest::new(
        "promptpay,truemoney,card",
        FeeType::Thb,
        "A-0001",
        "order-20240101-0001",
        "https://shop.example/paid",
        "https://shop.example/failed",
        "Thai tea set",
        "https://shop.example",
        15_000,
    )
    .mch_notify_url(webhook_url);
    let page = call(&agent, &signer, &verifier, &base, &checkout)?;
    let pay_url = page.pay_content.ok_or("no checkout URL")?;
    println!("3. gateway_pay: send the payer to {pay_url}");

    let query = GatewayOrderQueryRequest::new("order-20240101-0001");
    let before = call(&agent, &signer, &verifier, &base, &query)?;
    println!(
        "4. gateway_order_query before paying: result {:?}",
        before.result
    );

    // The mock's checkout URL is its admin endpoint: POSTing it is "the payer pays".
    let paid = send(
        &agent,
        http::Request::post(pay_url.as_str()).body(Vec::new())?,
    )?;
    println!(
        "5. The payer pays (POST {pay_url}): HTTP {}",
        paid.status().as_u16()
    );

    let notification = notifications.recv_timeout(Duration::from_secs(5))??;
    println!(
        "6. Notification received and verified: order {} result {:?} amount {:?}",
        notification.mch_order_no.unwrap_or_default(),
        notification.result,
        notification.total_fee
    );

    let after = call(&agent, &signer, &verifier, &base, &query)?;
    let refund_order = after
        .pay_mch_order_no
        .clone()
        .ok_or("no pay_mch_order_no")?;
    println!(
        "7. gateway_order_query after paying: result {:?}, refund with mch_order_no {refund_order}",
        after.result
    );

    let refund = OrderRefundRequest::new(FeeType::Thb, "refund-0001", 5_000, 15_000)
        .mch_order_no(refund_order.clone());
    let refunded = call(&agent, &signer, &verifier, &base, &refund)?;
    println!(
        "8. order_refund of 50.00 THB: result {:?}, ksher_refund_no {}",
        refunded.result,
        refunded.ksher_refund_no.unwrap_or_default()
    );

    let refunds = call(
        &agent,
        &signer,
        &verifier,
        &base,
        &RefundQueryRequest::new().mch_order_no(refund_order),
    )?;
    println!(
        "9. refund_query: {} refund(s), {} of {} refunded",
        refunds.refund_count.unwrap_or(0),
        refunds.refund_fee.unwrap_or(0),
        refunds.total_fee.unwrap_or(0)
    );

    mock.shutdown();
    println!("10. Done: every answer and the notification were verified with the gateway key.");
    Ok(())
}
