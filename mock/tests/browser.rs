//! The cashier page and the dashboard in a real browser (headless Chromium through
//! ChromeDriver): open the `normalUrl` of a real mini-program `pay`, click Pay, see the signed
//! notification arrive and the dashboard update; decline another order; resend a notification.
//!
//! Chromium and ChromeDriver come from `scripts/install-deps.sh` (run by `cargo xtask test`).
//! Where they cannot be installed, set `PAYSPEC_SKIP_BROWSER=1` to skip this test with a
//! message; without it a missing browser fails the test.

mod support;

use std::time::Duration;

use payspec_alipayplus::types::{
    Amount, Env, Order, PayRequest, PaymentFactor, PaymentMethod, PaymentMethodType, TerminalType,
};
use payspec_mock::{Api, DeliveryState, OrderState};
use support::webdriver::Browser;
use support::{alipay_receiver, AlipayClient};

fn mini_program_pay(id: &str, notify: Option<String>) -> PayRequest {
    let usd = || Amount::new("USD", 1000);
    let order = Order::new(
        format!("ord-{id}"),
        "Cappuccino",
        usd(),
        Env::new(TerminalType::MiniApp),
    );
    let mut pay = PayRequest::new(
        id,
        usd(),
        order,
        PaymentMethod::new(PaymentMethodType::Gcash),
    )
    .payment_factor(PaymentFactor::new().is_cashier_payment(true));
    pay.payment_notify_url = notify;
    pay
}

#[test]
fn cashier_page_and_dashboard_in_a_browser() {
    let browser = match Browser::start() {
        Ok(b) => b,
        Err(why) if std::env::var_os("PAYSPEC_SKIP_BROWSER").is_some() => {
            eprintln!("SKIPPED (PAYSPEC_SKIP_BROWSER is set): {why}");
            return;
        }
        Err(why) => panic!("no headless browser: {why}"),
    };
    let mock = support::start(Api::AlipayPlus);
    let client = AlipayClient::new(&mock);
    let receiver = alipay_receiver(0);

    // A mini-program pay: the answer's normalUrl is the cashier page.
    let placed = client
        .call(&mini_program_pay(
            "web-1",
            Some(receiver.url("/alipay/notify")),
        ))
        .unwrap();
    let page = placed.data.normal_url.expect("normalUrl");
    browser.goto(&page).unwrap();
    assert_eq!(browser.text("#amount").unwrap(), "10.00 USD");
    assert_eq!(browser.text("#state").unwrap(), "pending");
    assert!(
        browser.source().unwrap().contains("<svg"),
        "a QR code of the page"
    );

    // Pay: the page says so, the signed notification arrives and verifies.
    browser.click("#pay").unwrap();
    assert_eq!(browser.wait_for_text("#state", "paid"), "paid");
    let received = receiver.wait_for(1);
    assert_eq!(received.len(), 1, "{received:?}");
    assert_eq!(received[0].verified.as_deref(), Ok("web-1"));
    assert_eq!(mock.order("web-1").unwrap().state, OrderState::Paid);

    // Decline another order: closed.
    let other = client.call(&mini_program_pay("web-2", None)).unwrap();
    browser.goto(&other.data.normal_url.unwrap()).unwrap();
    browser.click("#decline").unwrap();
    assert_eq!(browser.wait_for_text("#state", "closed"), "closed");
    assert_eq!(mock.order("web-2").unwrap().state, OrderState::Closed);
    // Leaving a third unpaid changes nothing. Its id carries markup: shown as text, never run.
    let third_id = "web-3<b>x</b>";
    let third = client.call(&mini_program_pay(third_id, None)).unwrap();
    browser.goto(&third.data.normal_url.unwrap()).unwrap();
    assert_eq!(browser.text("#order").unwrap(), third_id);
    assert!(!browser.source().unwrap().contains("<b>x</b>"));
    browser.click("#leave").unwrap();
    assert!(browser
        .wait_for_text(
            "#note",
            "Left unpaid: the outcome stays unknown until you query or pay."
        )
        .starts_with("Left unpaid"));
    assert_eq!(browser.text("#state").unwrap(), "pending");

    // The dashboard lists the orders and the delivery; resend sends the notification again.
    assert!(mock.wait_notifications_idle(Duration::from_secs(5)));
    browser
        .goto(&format!("{}/_mock/", mock.base_url()))
        .unwrap();
    let dashboard = browser.source().unwrap();
    for expected in [
        "web-1",
        "web-2",
        "web-3&lt;b&gt;x&lt;/b&gt;",
        "delivered",
        "notifyPayment",
    ] {
        assert!(dashboard.contains(expected), "dashboard lacks {expected}");
    }
    assert!(
        !dashboard.contains("<b>x</b>"),
        "ids are escaped on the dashboard too"
    );
    browser.click("button[name=resend]").unwrap();
    let end = std::time::Instant::now() + Duration::from_secs(5);
    while mock.notifications().len() < 2 && std::time::Instant::now() < end {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(mock.wait_notifications_idle(Duration::from_secs(5)));
    let deliveries = mock.notifications();
    assert_eq!(deliveries.len(), 2, "{deliveries:?}");
    assert!(deliveries
        .iter()
        .all(|d| d.state == DeliveryState::Delivered));
    assert_eq!(receiver.wait_for(2).len(), 2);
    mock.shutdown();
}
