//! Every case of `vectors/alipayplus/` through the generated `payspec-alipayplus` crate (every
//! compiled RSA backend) (the CLI halves are in `cli/tests/`).

use payspec_alipayplus::types::{self, NotifyPaymentData};
use payspec_alipayplus::{Verifier, VerifyNotifications};
use payspec_conformance::reasons;
use payspec_conformance::testkit::{header_rsa, key_text, load};
use payspec_conformance::vectors::{AlipaySigningCase, AlipayVerificationCase, VectorFile};
use payspec_runtime::PrivateKey;

#[test]
fn request_signing_vectors() {
    let file: VectorFile<AlipaySigningCase> = load("alipayplus/request-signing.json");
    assert_eq!(file.scheme, "alipayplus-rsa256");
    assert!(file.cases.len() >= 15, "vector file shrank");
    let failures = header_rsa::signing_failures::<payspec_alipayplus::Api>(&file.cases);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Every vector body is a valid request of its operation: the spec's types, required members and
/// conditional rules fit what the gateways' own material sends; and the typed value round-trips.
#[test]
fn request_bodies_fit_the_typed_requests() {
    let file: VectorFile<AlipaySigningCase> = load("alipayplus/request-signing.json");
    let (failures, typed) =
        header_rsa::body_failures::<payspec_alipayplus::Api>(&file.cases, |op, body| {
            (op == "notifyPayment").then(|| {
                let data: NotifyPaymentData =
                    payspec_runtime::json::from_str_strict(body).map_err(|e| e.to_string())?;
                let again: NotifyPaymentData =
                    serde_json::from_slice(&serde_json::to_vec(&data).map_err(|e| e.to_string())?)
                        .map_err(|e| e.to_string())?;
                if again == data {
                    Ok(())
                } else {
                    Err("notification does not round-trip".to_owned())
                }
            })
        });
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
    let failures = header_rsa::verification_failures::<payspec_alipayplus::Api>(
        &file.cases,
        reasons::ALIPAYPLUS_FLAG_REASONS,
        |case, key, now| {
            // Accepted messages also parse into the typed body of their operation / notification.
            let verifier = Verifier::new(&case.client_id, key.clone());
            let time = case.time.as_deref();
            let sig = case.signature_header.as_deref();
            let body = case.body.as_bytes();
            let typed = match (case.kind.as_str(), case.path.as_str()) {
                ("notification", _) => verifier
                    .verify_notify_payment(&case.path, time, sig, body, now.ok_or("no time")?)
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
                (_, other) => return Err(format!("no operation at {other}")),
            };
            typed.map_err(|e| e.to_string())
        },
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Merchant registration (this project's own vectors, `scripts/make-header-rsa-vectors.py`):
/// signing, typed bodies, and verification into the typed answers and notification.
#[test]
fn registration_vectors() {
    use payspec_alipayplus::types::NotifyRegistrationStatusData;
    let signing: VectorFile<AlipaySigningCase> =
        load("alipayplus/registration-request-signing.json");
    assert!(signing.cases.len() >= 5, "vector file shrank");
    let mut failures = header_rsa::signing_failures::<payspec_alipayplus::Api>(&signing.cases);
    let (bodies, typed) =
        header_rsa::body_failures::<payspec_alipayplus::Api>(&signing.cases, |op, body| {
            (op == "notifyRegistrationStatus").then(|| {
                payspec_runtime::json::from_str_strict::<NotifyRegistrationStatusData>(body)
                    .map(|_| ())
                    .map_err(|e| e.to_string())
            })
        });
    assert_eq!(typed, signing.cases.len());
    failures.extend(bodies);
    let verification: VectorFile<AlipayVerificationCase> =
        load("alipayplus/registration-response-verification.json");
    assert!(verification.cases.len() >= 5, "vector file shrank");
    failures.extend(
        header_rsa::verification_failures::<payspec_alipayplus::Api>(
            &verification.cases,
            reasons::ALIPAYPLUS_FLAG_REASONS,
            |case, key, now| {
                let verifier = Verifier::new(&case.client_id, key.clone());
                let (time, sig, body) = (
                    case.time.as_deref(),
                    case.signature_header.as_deref(),
                    case.body.as_bytes(),
                );
                match (case.kind.as_str(), case.path.as_str()) {
                    ("notification", _) => {
                        let data = verifier
                            .verify_notify_registration_status(
                                &case.path,
                                time,
                                sig,
                                body,
                                now.ok_or("no time")?,
                            )
                            .map_err(|e| e.to_string())?
                            .into_inner()
                            .data;
                        let wallets = data.psp_registration_result_list.unwrap_or_default();
                        if wallets.len() != 2 {
                            return Err(format!("{} wallets", wallets.len()));
                        }
                        Ok(())
                    }
                    (_, "/aps/api/v1/merchants/registration") => verifier
                        .verify_response::<types::RegistrationRequest>(time, sig, body)
                        .map(|_| ())
                        .map_err(|e| e.to_string()),
                    (_, "/aps/api/v1/merchants/inquiryRegistrationStatus") => verifier
                        .verify_response::<types::InquiryRegistrationStatusRequest>(time, sig, body)
                        .map(|_| ())
                        .map_err(|e| e.to_string()),
                    (_, other) => Err(format!("no operation at {other}")),
                }
            },
        ),
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
