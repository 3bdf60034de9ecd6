//! The mock's HTML pages: the cashier page behind every payment URL the mock hands out
//! (`GET /_mock/pay/<order>`: order, amount, buttons Pay / Decline / Leave unpaid, a QR code of
//! the same URL) and the dashboard (`GET /_mock/`: orders, refunds, notification deliveries,
//! resend). Plain HTML forms, no script: they work in a mobile webview. Every value shown is
//! HTML-escaped.

use std::fmt::Write as _;

use crate::gateway::path_segment;
use crate::notify::NotificationRecord;
use crate::store::{OrderState, OrderView};

/// `text` with the five HTML-special characters escaped.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// `amount` minor units of `currency` as a decimal (ISO 4217 exponents of the currencies the
/// gateways use; 2 otherwise).
pub(crate) fn money(amount: u64, currency: &str) -> String {
    let exponent = match currency {
        "JPY" | "KRW" | "VND" | "IDR" | "CLP" | "ISK" | "UGX" => 0,
        "BHD" | "KWD" | "OMR" | "JOD" | "TND" => 3,
        _ => 2,
    };
    if exponent == 0 {
        return format!("{amount} {}", escape(currency));
    }
    let unit = 10u64.pow(exponent);
    format!(
        "{}.{:0width$} {}",
        amount / unit,
        amount % unit,
        escape(currency),
        width = exponent as usize
    )
}

fn state_name(state: OrderState) -> &'static str {
    match state {
        OrderState::Pending => "pending",
        OrderState::Paid => "paid",
        OrderState::Closed => "closed",
        OrderState::Reversed => "reversed",
    }
}

fn page(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<title>{}</title><style>\
body{{font-family:system-ui,sans-serif;max-width:46rem;margin:1rem auto;padding:0 1rem;color:#222}}\
table{{border-collapse:collapse;width:100%}}td,th{{border-bottom:1px solid #ddd;padding:.3rem;text-align:left;font-size:.9rem}}\
button{{font-size:1.1rem;padding:.6rem 1.2rem;margin:.3rem .3rem .3rem 0;border-radius:.4rem;border:1px solid #888}}\
#pay{{background:#1a7f37;color:#fff;border-color:#1a7f37}}.amount{{font-size:2rem;font-weight:600}}\
.state{{font-weight:600}}svg{{max-width:12rem;height:auto}}</style></head><body>{}</body></html>\n",
        escape(title),
        body
    )
}

/// The cashier page of `order` at `url` (its own address, also drawn as a QR code); `note` is
/// what the last button did.
pub(crate) fn cashier(api: &str, order: &OrderView, url: &str, note: Option<&str>) -> String {
    let mut body = String::new();
    let _ = write!(
        body,
        "<h1>Mock {} cashier</h1><p class=\"amount\" id=\"amount\">{}</p>\
<p>Order <code id=\"order\">{}</code> (gateway <code>{}</code>, {})</p>\
<p>State: <span class=\"state\" id=\"state\">{}</span></p>",
        escape(api),
        money(order.amount, &order.currency),
        escape(&order.merchant_no),
        escape(&order.gateway_no),
        escape(order.operation),
        state_name(order.state),
    );
    if let Some(note) = note {
        let _ = write!(body, "<p id=\"note\">{}</p>", escape(note));
    }
    if order.state == OrderState::Pending {
        let action = format!("/_mock/page/{}", escape(&path_segment(&order.merchant_no)));
        let _ = write!(
            body,
            "<form method=\"post\" action=\"{action}\">\
<button id=\"pay\" name=\"action\" value=\"pay\">Pay</button>\
<button id=\"decline\" name=\"action\" value=\"decline\">Decline</button>\
<button id=\"leave\" name=\"action\" value=\"leave\">Leave unpaid (unknown)</button></form>"
        );
    }
    if let Ok(code) = qrcode::QrCode::new(url.as_bytes()) {
        let svg = code
            .render::<qrcode::render::svg::Color<'_>>()
            .min_dimensions(160, 160)
            .build();
        let _ = write!(
            body,
            "<p>Scan to open this page:</p><div id=\"qr\">{svg}</div><p><code>{}</code></p>",
            escape(url)
        );
    }
    body.push_str("<p><a href=\"/_mock/\">Dashboard</a></p>");
    page("Mock cashier", &body)
}

/// The cashier page of an order the mock does not know.
pub(crate) fn cashier_missing(order: &str) -> String {
    page(
        "No such order",
        &format!(
            "<h1>No such order</h1><p>The mock has no order <code>{}</code>.</p><p><a href=\"/_mock/\">Dashboard</a></p>",
            escape(order)
        ),
    )
}

/// The dashboard: every order with its refunds, every notification delivery.
pub(crate) fn dashboard(
    api: &str,
    orders: &[OrderView],
    deliveries: &[NotificationRecord],
    faults: &[String],
    injected: &[String],
) -> String {
    let mut body = format!("<h1>Mock {} gateway</h1>", escape(api));
    if !faults.is_empty() {
        let _ = write!(
            body,
            "<h2>Faults</h2><p id=\"faults\">{}</p>",
            escape(&faults.join(", "))
        );
        body.push_str("<ul id=\"injected\">");
        for line in injected.iter().rev().take(50) {
            let _ = write!(body, "<li>{}</li>", escape(line));
        }
        body.push_str("</ul>");
    }
    body.push_str("<h2>Orders</h2>");
    if orders.is_empty() {
        body.push_str("<p id=\"no-orders\">No orders yet.</p>");
    } else {
        body.push_str(
            "<table id=\"orders\"><tr><th>order</th><th>gateway no</th><th>amount</th><th>state</th><th>refunded</th><th></th></tr>",
        );
        for o in orders {
            let segment = escape(&path_segment(&o.merchant_no));
            let refunds: Vec<String> = o
                .refunds
                .iter()
                .map(|r| {
                    format!(
                        "{} ({})",
                        escape(&r.merchant_no),
                        money(r.amount, &o.currency)
                    )
                })
                .collect();
            let resend = if o.state == OrderState::Paid && o.notify_url.is_some() {
                format!(
                    "<form method=\"post\" action=\"/_mock/resend/{segment}\"><button name=\"resend\" value=\"1\">Resend notification</button></form>"
                )
            } else {
                String::new()
            };
            let _ = write!(
                body,
                "<tr class=\"order\" data-order=\"{}\"><td><a href=\"/_mock/pay/{segment}\">{}</a></td><td>{}</td><td>{}</td><td class=\"state\">{}</td><td>{}</td><td>{resend}</td></tr>",
                escape(&o.merchant_no),
                escape(&o.merchant_no),
                escape(&o.gateway_no),
                money(o.amount, &o.currency),
                state_name(o.state),
                if refunds.is_empty() { "-".to_owned() } else { refunds.join(", ") },
            );
        }
        body.push_str("</table>");
    }
    body.push_str("<h2>Notifications</h2>");
    if deliveries.is_empty() {
        body.push_str("<p id=\"no-notifications\">No notifications yet.</p>");
    } else {
        body.push_str("<table id=\"notifications\"><tr><th>kind</th><th>order</th><th>URL</th><th>tries</th><th>state</th><th>last error</th></tr>");
        for d in deliveries {
            let _ = write!(
                body,
                "<tr class=\"delivery\"><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"state\">{}</td><td>{}</td></tr>",
                escape(d.kind),
                escape(&d.order),
                escape(&d.url),
                d.attempts,
                escape(&format!("{:?}", d.state).to_lowercase()),
                escape(d.last_error.as_deref().unwrap_or("")),
            );
        }
        body.push_str("</table>");
    }
    page("Mock gateway dashboard", &body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_escaped_and_amounts_formatted() {
        assert_eq!(
            escape(r#"<a href="x">&'"#),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
        for (amount, currency, shown) in [
            (10_000, "THB", "100.00 THB"),
            (5, "USD", "0.05 USD"),
            (1500, "JPY", "1500 JPY"),
            (1234, "KWD", "1.234 KWD"),
            (7, "<b>", "0.07 &lt;b&gt;"),
        ] {
            assert_eq!(money(amount, currency), shown);
        }
    }
}
