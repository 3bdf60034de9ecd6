//! Fuzz targets: each is a function over arbitrary bytes that must never panic, hang or exhaust
//! memory, whatever the input. `tests/corpora.rs` runs every target over its corpus in
//! `fuzz/corpus/<target>/` under `cargo test`; `fuzz/cargo-fuzz/` wraps the same functions for
//! libFuzzer (`scripts/fuzz.sh`). The seeds come from the golden vectors and the specs
//! (`scripts/fuzz-seeds.py`).

use std::sync::OnceLock;

use payspec_runtime::{PrivateKey, PublicKey};

/// A fuzz target.
pub type Target = fn(&[u8]);

/// Every target, by name (the corpus folder and the cargo-fuzz binary have the same name).
pub const TARGETS: &[(&str, Target)] = &[
    ("spec_loader", spec_loader),
    ("ksher_verify", ksher_verify),
    ("alipayplus_verify", alipayplus_verify),
    ("mock_form", mock_form),
    ("cli_params", cli_params),
];

struct Keys {
    ksher_gateway: PublicKey,
    ksher_gateway_private: PrivateKey,
    ksher_merchant: PrivateKey,
    ksher_merchant_public: PublicKey,
    alipay_gateway: PublicKey,
    alipay_merchant: PrivateKey,
}

fn keys() -> &'static Keys {
    static KEYS: OnceLock<Keys> = OnceLock::new();
    KEYS.get_or_init(|| {
        let public = |pem: &str| PublicKey::from_pem(pem).expect("shipped test key loads");
        let private = |pem: &str| PrivateKey::from_pem(pem).expect("shipped test key loads");
        let merchant = private(include_str!(
            "../../conformance/vectors/keys/ksher-merchant-1024.pkcs1.pem"
        ));
        Keys {
            ksher_gateway: public(include_str!(
                "../../conformance/vectors/keys/ksher-gateway-mock-1024.pub.pem"
            )),
            ksher_gateway_private: private(include_str!(
                "../../conformance/vectors/keys/ksher-gateway-mock-1024.pkcs1.pem"
            )),
            ksher_merchant_public: merchant.public_key(),
            ksher_merchant: merchant,
            alipay_gateway: public(include_str!(
                "../../conformance/vectors/keys/alipayplus-gateway-mock-2048.pub.pem"
            )),
            alipay_merchant: private(include_str!(
                "../../conformance/vectors/keys/alipayplus-merchant-2048.pkcs8.pem"
            )),
        }
    })
}

/// `(selector, rest)`: the first byte picks among `n` choices, so one corpus reaches them all.
fn pick(data: &[u8], n: usize) -> (usize, &[u8]) {
    match data.split_first() {
        Some((first, rest)) => (usize::from(*first) % n, rest),
        None => (0, data),
    }
}

/// The spec loader and generator: any text gives files or a located error.
pub fn spec_loader(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Err(payspec_codegen::GenerateError::Spec(e)) =
            payspec_codegen::generate("fuzz.yaml", text)
        {
            assert!(e.to_string().starts_with("fuzz.yaml:"), "unlocated: {e}");
        }
    }
}

/// Ksher response and notification verification (raw and typed) and the canonical string.
pub fn ksher_verify(data: &[u8]) {
    const NAMES: &[&str] = &[
        "order_query",
        "refund_query",
        "merchant_info",
        "get_settlement_info",
        "gateway_order_query",
        "native_pay",
    ];
    let (i, body) = pick(data, NAMES.len());
    let verifier = payspec_ksher::Verifier::new(keys().ksher_gateway.clone());
    let _ = verifier.verify_raw(NAMES[i], body);
    let _ = payspec_runtime::sorted_params::data_string_to_verify(body, None);
    let _ = payspec_runtime::sorted_params::data_string_to_verify(body, Some(&["a", "total_fee"]));
    let _ =
        verifier.verify_response::<payspec_ksher::operations::order_query::OrderQueryRequest>(body);
    // Past the signature: sign the input's `data` with the gateway key, so the typed decoding
    // and the canonicalisation guard of every operation see it.
    let Ok(serde_json::Value::Object(doc)) = serde_json::from_slice::<serde_json::Value>(body)
    else {
        return;
    };
    let Some(serde_json::Value::Object(data)) = doc.get("data") else {
        return;
    };
    let Ok(signed) = payspec_runtime::sorted_params::sign_data_document(
        data,
        &[],
        None,
        &keys().ksher_gateway_private,
        payspec_ksher::DIGEST,
    ) else {
        return;
    };
    let _ = verifier.verify_raw(NAMES[i], signed.as_bytes());
    let _ = verifier.verify_response::<payspec_ksher::operations::order_query::OrderQueryRequest>(
        signed.as_bytes(),
    );
    let _ = verifier
        .verify_response::<payspec_ksher::operations::refund_query::RefundQueryRequest>(
            signed.as_bytes(),
        );
    let _ = verifier
        .verify_response::<payspec_ksher::operations::merchant_info::MerchantInfoRequest>(
            signed.as_bytes(),
        );
}

/// Alipay+ `Signature` header and time parsing, and response / notification verification.
/// Input: `header\ntime\nbody`.
pub fn alipayplus_verify(data: &[u8]) {
    use payspec_conformance::header_rsa::{verify, Kind, Message};
    let mut parts = data.splitn(3, |b| *b == b'\n');
    let header = parts.next().and_then(|h| std::str::from_utf8(h).ok());
    let time = parts.next().and_then(|t| std::str::from_utf8(t).ok());
    let body = parts.next().unwrap_or_default();
    if let Some(header) = header {
        let _ = payspec_runtime::header_signature::parse_signature_header(header);
    }
    if let Some(time) = time {
        let _ = payspec_runtime::header_signature::parse_request_time(time);
    }
    for kind in [Kind::Response, Kind::Notification] {
        let message = Message {
            kind,
            path: "/aps/api/v1/payments/pay",
            client_id: "SANDBOX_5YBX2B2ZKQYE04562",
            time,
            signature_header: header,
            body,
        };
        let _ = verify::<payspec_alipayplus::Api>(&message, &keys().alipay_gateway, None);
    }
}

/// The mock gateway's form-body parser (decode, signature check, typing).
pub fn mock_form(data: &[u8]) {
    const OPS: &[&str] = &[
        "native_pay",
        "order_refund",
        "order_query",
        "gateway_pay",
        "payout",
    ];
    let (i, body) = pick(data, OPS.len());
    let _ = payspec_mock::ksher::read_form_request(OPS[i], body, &keys().ksher_merchant_public);
}

/// The CLI's params-to-typed-request path for every API (strict JSON, typing, validation,
/// signing).
pub fn cli_params(data: &[u8]) {
    const KSHER: &[&str] = &["native_pay", "order_refund", "gateway_pay", "merchant_info"];
    const ALIPAY: &[&str] = &["pay", "refund", "inquiryPayment"];
    const ANTOM: &[&str] = &["pay", "refund", "inquiryRefund", "consult"];
    let (i, rest) = pick(data, KSHER.len() + ALIPAY.len() + ANTOM.len());
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let Ok(params) = payspec_conformance::strict_json::object(text) else {
        return;
    };
    if let Some(op) = KSHER.get(i) {
        let _ = payspec_conformance::ksher::sign_params(op, &params, &keys().ksher_merchant);
    } else if let Some(op) = ALIPAY.get(i - KSHER.len()) {
        let _ = payspec_conformance::header_rsa::sign_typed::<payspec_alipayplus::Api>(
            op,
            text,
            "SANDBOX_5YBX2B2ZKQYE04562",
            "2024-01-01T12:00:00+08:00",
            &keys().alipay_merchant,
            1,
        );
    } else if let Some(op) = ANTOM.get(i - KSHER.len() - ALIPAY.len()) {
        let _ = payspec_conformance::header_rsa::sign_typed::<payspec_antom::Api>(
            op,
            text,
            "SANDBOX_5YHX3F2ZKQYE01234",
            "1704081600000",
            &keys().alipay_merchant,
            1,
        );
    }
}
