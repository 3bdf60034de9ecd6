//! Every case of `vectors/alipayplus/` through the generated `payspec-alipayplus` crate (every
//! compiled RSA backend) (the CLI halves are in `cli/tests/`).

use payspec_alipayplus::types::{self, NotifyPaymentData};
use payspec_alipayplus::{Verifier, VerifyNotifications};
use payspec_conformance::alipayplus::{sign_raw, verify, Kind, Message};
use payspec_conformance::reasons;
use payspec_conformance::testkit::{key_text, load};
use payspec_conformance::vectors::{AlipaySigningCase, AlipayVerificationCase, Expect, VectorFile};
use payspec_runtime::header_signature::parse_request_time;
use payspec_runtime::scheme::header_rsa;
use payspec_runtime::{Backend, PrivateKey, PublicKey};

fn kind(text: &str) -> Kind {
    match text {
        "response" => Kind::Response,
        "notification" => Kind::Notification,
        other => panic!("unknown kind {other}"),
    }
}

#[test]
fn request_signing_vectors() {
    let file: VectorFile<AlipaySigningCase> = load("alipayplus/request-signing.json");
    assert_eq!(file.scheme, "alipayplus-rsa256");
    assert!(file.cases.len() >= 15, "vector file shrank");
    let mut failures = Vec::new();
    for backend in Backend::ALL {
        for case in &file.cases {
            assert_eq!(case.method, "POST");
            let key =
                PrivateKey::from_pem_with(*backend, &key_text(&case.private_key)).expect("key");
            let label = format!("{} [{}]", case.id, backend.name());
            match sign_raw(
                &case.path,
                &case.client_id,
                &case.request_time,
                case.body.as_bytes().to_vec(),
                &key,
                case.key_version(),
            ) {
                Ok(signed) => {
                    let s = &signed.signature;
                    for (what, got, want) in [
                        ("content_to_sign", &s.content_to_sign, &case.content_to_sign),
                        (
                            "signature_base64",
                            &s.signature_base64,
                            &case.signature_base64,
                        ),
                        (
                            "signature_urlencoded",
                            &s.signature_urlencoded,
                            &case.signature_urlencoded,
                        ),
                        ("header", &s.header, &case.signature_header),
                    ] {
                        if got != want {
                            failures.push(format!("{label}: {what}: got {got:?}, want {want:?}"));
                        }
                    }
                    if signed.body != case.body.as_bytes() {
                        failures.push(format!("{label}: body changed"));
                    }
                }
                Err(e) => failures.push(format!("{label}: {e}")),
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Every vector body is a valid request of its operation: the spec's types, required members and
/// conditional rules fit what the gateways' own material sends; and the typed value round-trips.
#[test]
fn request_bodies_fit_the_typed_requests() {
    let file: VectorFile<AlipaySigningCase> = load("alipayplus/request-signing.json");
    let mut failures = Vec::new();
    let mut typed = 0;
    for case in &file.cases {
        let Some(op) = case.operation.as_deref() else {
            continue;
        };
        typed += 1;
        if op == "notifyPayment" {
            match payspec_runtime::json::from_str_strict::<NotifyPaymentData>(&case.body) {
                Ok(data) => {
                    let again: NotifyPaymentData =
                        serde_json::from_slice(&serde_json::to_vec(&data).unwrap()).unwrap();
                    if again != data {
                        failures.push(format!("{}: notification does not round-trip", case.id));
                    }
                }
                Err(e) => failures.push(format!("{}: {e}", case.id)),
            }
            continue;
        }
        let entry = header_rsa::operation::<payspec_alipayplus::Api>(op)
            .unwrap_or_else(|| panic!("{}: unknown operation {op}", case.id));
        assert_eq!(entry.path, case.path, "{}", case.id);
        match (entry.check_json)(&case.body) {
            Ok(request) => {
                // Serialize (scalars as strings, spec member order) and parse again: unchanged.
                match (entry.check_json)(&request.to_string()) {
                    Ok(again) if again == request => {}
                    other => failures.push(format!("{}: round trip gave {other:?}", case.id)),
                }
            }
            Err(e) => failures.push(format!("{}: typed request rejected: {e}", case.id)),
        }
    }
    assert!(typed >= 15, "only {typed} typed cases");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The typed body of a request built in code is what the docs say: members in spec order,
/// integers and booleans as strings. Checked byte for byte against the research vector.
#[test]
fn typed_mini_program_pay_serializes_like_the_research_vector() {
    let file: VectorFile<AlipaySigningCase> = load("alipayplus/request-signing.json");
    let case = file
        .cases
        .iter()
        .find(|c| c.id == "research-vector-1-pay-mini-app-iso-time")
        .expect("research vector 1");
    let amount = || types::Amount::new("USD", 100);
    let order = types::Order::new(
        "ord_0001",
        "Cappuccino",
        amount(),
        types::Env::new(types::TerminalType::MiniApp),
    );
    let method = types::PaymentMethod::new(types::PaymentMethodType::Gcash);
    let request = types::PayRequest::new("pay_20240101_0001", amount(), order, method)
        .payment_redirect_url("https://merchant.example/return")
        .payment_notify_url("https://merchant.example/notify")
        .settlement_strategy(types::SettlementStrategy::new().settlement_currency("USD"))
        .payment_factor(types::PaymentFactor::new().is_cashier_payment(true));
    let key = PrivateKey::from_pem(&key_text(&case.private_key)).unwrap();
    let signed = payspec_alipayplus::Signer::new(&case.client_id, key)
        .sign_at(&request, &case.request_time)
        .expect("valid request");
    let ours: serde_json::Value = serde_json::from_slice(&signed.body).unwrap();
    let theirs: serde_json::Value = serde_json::from_str(&case.body).unwrap();
    assert_eq!(ours, theirs, "same members and values");
    assert_eq!(
        String::from_utf8_lossy(&signed.body),
        case.body,
        "same bytes, member order included"
    );
    assert_eq!(
        signed.signature.signature_urlencoded,
        case.signature_urlencoded
    );
    assert_eq!(signed.signature.header, case.signature_header);
}

#[test]
fn response_verification_vectors() {
    let file: VectorFile<AlipayVerificationCase> = load("alipayplus/response-verification.json");
    assert!(file.cases.len() >= 22, "vector file shrank");
    let mut failures = Vec::new();
    for backend in Backend::ALL {
        for case in &file.cases {
            let label = format!("{} [{}]", case.id, backend.name());
            let key = PublicKey::from_pem_with(*backend, &key_text(&case.public_key)).expect("key");
            let now = case
                .time
                .as_deref()
                .and_then(|t| parse_request_time(t).ok());
            let message = Message {
                kind: kind(&case.kind),
                path: &case.path,
                client_id: &case.client_id,
                time: case.time.as_deref(),
                signature_header: case.signature_header.as_deref(),
                body: case.body.as_bytes(),
            };
            let verdict = verify(&message, &key, now);
            let accepted = verdict.is_ok();
            if accepted != (case.expect == Expect::Accept) {
                failures.push(format!(
                    "{label}: expected {:?}, got {verdict:?}",
                    case.expect
                ));
                continue;
            }
            if let Err(e) = &verdict {
                // A rejection counts only for the reason the case's flags name.
                if let Err(why) = reasons::judge(
                    reasons::ALIPAYPLUS_FLAG_REASONS,
                    &case.flags,
                    reasons::alipayplus_kind(e),
                    e,
                ) {
                    failures.push(format!("{label}: {why}"));
                }
                continue;
            }
            // Accepted messages also parse into the typed body of their operation / notification.
            let verifier = Verifier::new(&case.client_id, key.clone());
            let time = case.time.as_deref();
            let sig = case.signature_header.as_deref();
            let body = case.body.as_bytes();
            let typed = match (case.kind.as_str(), case.path.as_str()) {
                ("notification", _) => verifier
                    .verify_notify_payment(&case.path, time, sig, body, now.unwrap())
                    .map(|_| ()),
                (_, "/aps/api/v1/payments/pay") => verifier
                    .verify_response::<types::PayRequest>(time, sig, body)
                    .map(|_| ()),
                (_, "/aps/api/v1/payments/inquiryPayment") => verifier
                    .verify_response::<types::InquiryPaymentRequest>(time, sig, body)
                    .map(|_| ()),
                (_, "/aps/api/v1/payments/cancelPayment") => verifier
                    .verify_response::<types::CancelPaymentRequest>(time, sig, body)
                    .map(|_| ()),
                (_, "/aps/api/v1/payments/refund") => verifier
                    .verify_response::<types::RefundRequest>(time, sig, body)
                    .map(|_| ()),
                (_, other) => panic!("{label}: no operation at {other}"),
            };
            if let Err(e) = typed {
                failures.push(format!("{label}: typed verification failed: {e}"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
