//! `payspec probe-notify`: is a merchant's notify endpoint safe? The probe acts as the gateway:
//! it sends the endpoint a genuine signed payment notification, then forged ones, then the
//! genuine one again (gateways retry, so a duplicate must be acknowledged), and grades each
//! reply by the spec's reply rule: the success reply for the genuine notification and its
//! duplicate, anything else for a forgery.
//!
//! The notifications are the mock's own (the same builders, signed with the gateway key given),
//! so the probe knows no API beyond what the mock serves. Only loopback URLs are contacted
//! unless the caller allows others; eleven requests at most, each with a timeout.

use std::sync::Arc;
use std::time::Duration;

use payspec_runtime::http;
use payspec_runtime::{Backend, PrivateKey};
use time::OffsetDateTime;

use crate::gateway::Gateway;
use crate::notify::{check_loopback, Delivery, Message};
use crate::store::{Order, OrderState};
use crate::{Api, Config};

/// Whether a reply body is the spec's success reply.
type ReplyRule = fn(&[u8]) -> bool;

/// What to probe.
#[derive(Clone)]
pub struct ProbeConfig {
    /// The API whose notifications are sent.
    pub api: Api,
    /// The merchant's notify endpoint.
    pub url: String,
    /// The key the endpoint trusts as the gateway's (a test key).
    pub gateway_key: PrivateKey,
    /// Ksher `appid` / Alipay+ and Antom `Client-Id` the endpoint expects (default: a probe id).
    pub client_id: Option<String>,
    /// Contact a URL that is not loopback (off by default).
    pub allow_non_loopback: bool,
    /// Timeout of each request.
    pub timeout: Duration,
}

impl std::fmt::Debug for ProbeConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProbeConfig")
            .field("api", &self.api)
            .field("url", &self.url)
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

/// Why the probe did not run.
#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    /// The URL is not a loopback URL and others were not allowed.
    #[error("refusing to contact {url}: {reason} (pass --allow-non-loopback to probe it)")]
    NotLoopback {
        /// The URL.
        url: String,
        /// Why it is not loopback.
        reason: String,
    },
    /// The URL cannot be used.
    #[error("bad URL {0}")]
    BadUrl(String),
    /// A notification could not be built (serialization, signing).
    #[error("cannot build the notifications: {0}")]
    Build(String),
}

/// One check: what was sent, what the endpoint must answer, what it answered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckResult {
    /// Stable name, e.g. `tampered-amount`.
    pub check: &'static str,
    /// What was sent.
    pub sent: &'static str,
    /// Whether the spec's success reply is expected (genuine and duplicate) or not (forgeries).
    pub expect_success: bool,
    /// What the endpoint answered: HTTP status and the start of the body, or the error.
    pub got: String,
    /// Whether the answer is the expected one.
    pub pass: bool,
}

/// Runs every check in order.
pub fn probe(config: &ProbeConfig) -> Result<Vec<CheckResult>, ProbeError> {
    let uri: http::Uri = config
        .url
        .parse()
        .map_err(|e| ProbeError::BadUrl(format!("{}: {e}", config.url)))?;
    if !matches!(uri.scheme_str(), Some("http") | Some("https")) || uri.host().is_none() {
        return Err(ProbeError::BadUrl(format!(
            "{}: give an http(s) URL with a host",
            config.url
        )));
    }
    if !config.allow_non_loopback {
        check_loopback(&config.url).map_err(|reason| ProbeError::NotLoopback {
            url: config.url.clone(),
            reason,
        })?;
    }
    let header_api = !matches!(config.api, Api::Ksher);
    let client_id = config.client_id.clone().unwrap_or_else(|| {
        if header_api {
            "PROBE_CLIENT".to_owned()
        } else {
            "mch35005".to_owned()
        }
    });
    let genuine_gateway = gateway(config, config.gateway_key.clone());
    let order = sample_order(config, &client_id);
    let build = |gateway: &Arc<Gateway>| -> Result<(Message, ReplyRule), ProbeError> {
        let delivery: Delivery = config
            .api
            .handler()
            .notification(gateway, &order)
            .ok_or_else(|| ProbeError::Build("no notification for the sample order".into()))?;
        let message = (delivery.build)().map_err(ProbeError::Build)?;
        Ok((message, delivery.accepted))
    };
    let (genuine, accepted) = build(&genuine_gateway)?;
    // Another key of the same size: a forgery that is well formed in every other way.
    let bits = u32::try_from(config.gateway_key.modulus_bytes() * 8).unwrap_or(2048);
    let other_key = PrivateKey::generate(Backend::default(), bits)
        .map_err(|e| ProbeError::Build(e.to_string()))?;
    let (other, _) = build(&gateway(config, other_key))?;

    let mut checks: Vec<(&'static str, &'static str, bool, Message)> = vec![
        ("genuine", "a genuine signed payment notification", true, clone(&genuine)),
        ("bad-signature", "the genuine one with one signature character changed", false, bad_signature(&genuine, header_api)),
        ("other-key", "signed with another key", false, other),
        ("tampered-amount", "the genuine one with the amount changed after signing", false, tampered_amount(&genuine, header_api)),
        ("missing-signature", "the genuine one without its signature", false, missing_signature(&genuine, header_api)),
        ("unsigned", "no signature at all (Ksher: an empty sign; Alipay+/Antom: no Signature and no Request-Time)", false, unsigned(&genuine, header_api)),
    ];
    if header_api {
        for (check, sent, seconds) in [
            (
                "stale-time",
                "signed correctly, with a request time one hour old",
                -3600,
            ),
            (
                "future-time",
                "signed correctly, with a request time one hour ahead",
                3600,
            ),
        ] {
            let shifted = gateway(config, config.gateway_key.clone());
            shifted.shift_clock(seconds);
            checks.push((check, sent, false, build(&shifted)?.0));
        }
    }
    checks.push((
        "duplicate",
        "the genuine one again (a gateway retry): acknowledge it, idempotently",
        true,
        genuine,
    ));

    let agent = ureq::Agent::config_builder()
        .proxy(None)
        .http_status_as_error(false)
        .timeout_global(Some(config.timeout))
        .max_redirects(0)
        .build()
        .new_agent();
    Ok(checks
        .into_iter()
        .map(|(check, sent, expect_success, message)| {
            let (success, got) = send(&agent, &config.url, message, accepted);
            CheckResult {
                check,
                sent,
                expect_success,
                got,
                pass: success == expect_success,
            }
        })
        .collect())
}

fn gateway(config: &ProbeConfig, key: PrivateKey) -> Arc<Gateway> {
    let mock = Config::new(config.api, key.public_key(), key);
    let addr = mock.listen;
    Gateway::new(mock, addr, config.api.handler())
}

/// A paid order of 100.00 in the smallest unit, notified to the probed URL.
fn sample_order(config: &ProbeConfig, client_id: &str) -> Order {
    let now = OffsetDateTime::now_utc();
    let stamp = now.unix_timestamp_nanos();
    let (operation, currency) = match config.api {
        Api::Ksher => ("native_pay", "THB"),
        Api::AlipayPlus | Api::Antom => ("pay", "USD"),
    };
    let mut details = serde_json::Map::new();
    details.insert("channel".into(), "promptpay".into());
    details.insert("initiated".into(), now.unix_timestamp().into());
    Order {
        merchant_no: format!("probe-{stamp}"),
        gateway_no: format!("PROBE{stamp}"),
        channel_no: format!("CH{stamp}"),
        operation,
        amount: 10_000,
        currency: currency.into(),
        state: OrderState::Paid,
        fingerprint: String::new(),
        notify_url: Some(config.url.clone()),
        client_id: client_id.to_owned(),
        paid_at: Some(now),
        refunds: Vec::new(),
        details,
    }
}

fn clone(m: &Message) -> Message {
    Message {
        headers: m.headers.clone(),
        body: m.body.clone(),
    }
}

/// The gateway document of a Ksher notification, to edit.
fn document(m: &Message) -> serde_json::Map<String, serde_json::Value> {
    serde_json::from_slice::<serde_json::Value>(&m.body)
        .ok()
        .and_then(|v| v.as_object().cloned())
        .unwrap_or_default()
}

fn with_document(m: &Message, doc: serde_json::Map<String, serde_json::Value>) -> Message {
    Message {
        headers: m.headers.clone(),
        body: serde_json::to_vec(&doc).unwrap_or_default(),
    }
}

fn is_header(name: &str, wanted: &str) -> bool {
    name.eq_ignore_ascii_case(wanted)
}

fn bad_signature(m: &Message, header_api: bool) -> Message {
    let flip = |c: char| match c {
        'A' => 'B',
        '0' => '1',
        _ if c.is_ascii_digit() => '0',
        _ => 'A',
    };
    if header_api {
        let headers = m
            .headers
            .iter()
            .map(|(n, v)| {
                if !is_header(n, "signature") {
                    return (n.clone(), v.clone());
                }
                // Change the first character of the signature value.
                let value = match v.find("signature=") {
                    Some(at) => {
                        let start = at + "signature=".len();
                        let mut chars: Vec<char> = v.chars().collect();
                        if let Some(c) = chars.get_mut(start) {
                            *c = flip(*c);
                        }
                        chars.into_iter().collect()
                    }
                    None => v.clone(),
                };
                (n.clone(), value)
            })
            .collect();
        return Message {
            headers,
            body: m.body.clone(),
        };
    }
    let mut doc = document(m);
    if let Some(serde_json::Value::String(sign)) = doc.get_mut("sign") {
        let mut chars: Vec<char> = sign.chars().collect();
        if let Some(c) = chars.last_mut() {
            *c = if *c == '0' { '1' } else { '0' };
        }
        *sign = chars.into_iter().collect();
    }
    with_document(m, doc)
}

fn tampered_amount(m: &Message, header_api: bool) -> Message {
    if header_api {
        let text =
            String::from_utf8_lossy(&m.body).replacen("\"value\":\"10000\"", "\"value\":\"1\"", 1);
        return Message {
            headers: m.headers.clone(),
            body: text.into_bytes(),
        };
    }
    let mut doc = document(m);
    if let Some(serde_json::Value::Object(data)) = doc.get_mut("data") {
        for name in ["total_fee", "cash_fee"] {
            if data.contains_key(name) {
                data.insert(name.into(), 1.into());
            }
        }
    }
    with_document(m, doc)
}

fn missing_signature(m: &Message, header_api: bool) -> Message {
    if header_api {
        return Message {
            headers: m
                .headers
                .iter()
                .filter(|(n, _)| !is_header(n, "signature"))
                .cloned()
                .collect(),
            body: m.body.clone(),
        };
    }
    let mut doc = document(m);
    doc.remove("sign");
    with_document(m, doc)
}

fn unsigned(m: &Message, header_api: bool) -> Message {
    if header_api {
        return Message {
            headers: m
                .headers
                .iter()
                .filter(|(n, _)| !is_header(n, "signature") && !is_header(n, "request-time"))
                .cloned()
                .collect(),
            body: m.body.clone(),
        };
    }
    let mut doc = document(m);
    doc.insert("sign".into(), "".into());
    with_document(m, doc)
}

/// Sends one message: `(the reply is the spec's success reply, what came back)`.
fn send(
    agent: &ureq::Agent,
    url: &str,
    message: Message,
    accepted: fn(&[u8]) -> bool,
) -> (bool, String) {
    let mut builder = http::Request::post(url);
    for (name, value) in &message.headers {
        builder = builder.header(name.as_str(), value.as_str());
    }
    let Ok(request) = builder.body(message.body) else {
        return (false, "the request could not be built".into());
    };
    let mut response = match agent.run(request) {
        Ok(r) => r,
        Err(e) => return (false, format!("no answer: {e}")),
    };
    let status = response.status();
    let body = response
        .body_mut()
        .with_config()
        .limit(64 * 1024)
        .read_to_vec()
        .unwrap_or_default();
    let shown: String = String::from_utf8_lossy(&body).chars().take(80).collect();
    (
        status.is_success() && accepted(&body),
        format!("{} {}", status.as_u16(), shown.trim()),
    )
}
