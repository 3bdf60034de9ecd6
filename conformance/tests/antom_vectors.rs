//! Every case of `vectors/antom/` through the generated `payspec-antom` crate (every compiled RSA
//! backend). The vectors are this project's own, made and checked with the openssl CLI by
//! `scripts/make-header-rsa-vectors.py`.

use payspec_antom::types::{self, NotifyPaymentData, NotifyRefundData};
use payspec_antom::{Verifier, VerifyNotifications};
use payspec_conformance::reasons;
use payspec_conformance::testkit::{header_rsa, key_text, load};
use payspec_conformance::vectors::{AlipaySigningCase, AlipayVerificationCase, VectorFile};
use payspec_runtime::PrivateKey;

fn signing_file() -> VectorFile<AlipaySigningCase> {
    let file: VectorFile<AlipaySigningCase> = load("antom/request-signing.json");
    assert_eq!(file.scheme, "antom-rsa256");
    assert!(file.cases.len() >= 11, "vector file shrank");
    file
}

/// A strict parse of a notification body that round-trips through its typed value.
fn notification_round_trip<T>(body: &str) -> Result<(), String>
where
    T: serde::de::DeserializeOwned + serde::Serialize + PartialEq,
{
    let data: T = payspec_runtime::json::from_str_strict(body).map_err(|e| e.to_string())?;
    let bytes = serde_json::to_vec(&data).map_err(|e| e.to_string())?;
    let again: T = serde_json::from_slice(&bytes).map_err(|e| e.to_string())?;
    if again == data {
        Ok(())
    } else {
        Err("notification does not round-trip".to_owned())
    }
}

#[test]
fn request_signing_vectors() {
    let file = signing_file();
    let failures = header_rsa::signing_failures::<payspec_antom::Api>(&file.cases);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn request_bodies_fit_the_typed_requests() {
    let file = signing_file();
    let (failures, typed) =
        header_rsa::body_failures::<payspec_antom::Api>(&file.cases, |op, body| match op {
            "notifyPayment" => Some(notification_round_trip::<NotifyPaymentData>(body)),
            "notifyRefund" => Some(notification_round_trip::<NotifyRefundData>(body)),
            _ => None,
        });
    assert_eq!(
        typed,
        file.cases.len(),
        "every Antom case names its operation"
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // Every operation of the spec has a signing vector.
    for op in <payspec_antom::Api as payspec_runtime::scheme::header_rsa::Api>::OPERATIONS {
        assert!(
            file.cases
                .iter()
                .any(|c| c.operation.as_deref() == Some(op.name)),
            "no signing vector for {}",
            op.name
        );
    }
}

/// A mini-program pay built in code is the vector's body byte for byte (members in spec order,
/// scalars as strings) and signs to the vector's header with an epoch-millisecond time.
#[test]
fn typed_mini_program_pay_signs_like_the_vector() {
    let file = signing_file();
    let case = file
        .cases
        .iter()
        .find(|c| c.id == "pay-mini-app-epoch-ms")
        .expect("the mini-program vector");
    let amount = || types::Amount::new("USD", 100);
    let mini_app = || types::Env::new(types::TerminalType::MiniApp);
    let order = types::Order::new("ord_0001", "Cappuccino", amount()).env(mini_app());
    let request = types::PayRequest::new(
        types::ProductCode::CashierPayment,
        "antom_pay_20240101_0001",
        order,
        amount(),
        types::PaymentMethod::new(types::PaymentMethodType::Gcash),
        "https://merchant.example/return",
        types::SettlementStrategy::new().settlement_currency("USD"),
        mini_app(),
    )
    .payment_notify_url("https://merchant.example/antom/notify")
    .app_id("2102010123456789");
    let key = PrivateKey::from_pem(&key_text(&case.private_key)).expect("key");
    let signed = payspec_antom::Signer::new(&case.client_id, key)
        .sign_at(&request, &case.request_time)
        .expect("valid request");
    assert_eq!(String::from_utf8_lossy(&signed.body), case.body);
    assert_eq!(signed.path, case.path);
    assert_eq!(signed.signature.content_to_sign, case.content_to_sign);
    assert_eq!(signed.signature.header, case.signature_header);
}

#[test]
fn response_verification_vectors() {
    let file: VectorFile<AlipayVerificationCase> = load("antom/response-verification.json");
    assert_eq!(file.scheme, "antom-rsa256");
    assert!(file.cases.len() >= 22, "vector file shrank");
    let failures = header_rsa::verification_failures::<payspec_antom::Api>(
        &file.cases,
        reasons::ALIPAYPLUS_FLAG_REASONS,
        |case, key, now| {
            // Accepted messages also parse into the typed body of their operation / notification.
            let verifier = Verifier::new(&case.client_id, key.clone());
            let time = case.time.as_deref();
            let sig = case.signature_header.as_deref();
            let body = case.body.as_bytes();
            let now = now.ok_or("no time");
            let typed = match (case.kind.as_str(), case.path.as_str()) {
                ("notification", "/antom/notify") => verifier
                    .verify_notify_payment(&case.path, time, sig, body, now?)
                    .map(|_| ()),
                ("notification", "/antom/refund-notify") => verifier
                    .verify_notify_refund(&case.path, time, sig, body, now?)
                    .map(|_| ()),
                (_, "/ams/api/v1/payments/pay") => verifier
                    .verify_response::<types::PayRequest>(time, sig, body)
                    .map(|_| ()),
                (_, "/ams/api/v1/payments/inquiryPayment") => verifier
                    .verify_response::<types::InquiryPaymentRequest>(time, sig, body)
                    .map(|_| ()),
                (_, "/ams/api/v1/payments/cancel") => verifier
                    .verify_response::<types::CancelRequest>(time, sig, body)
                    .map(|_| ()),
                (_, "/ams/api/v1/payments/refund") => verifier
                    .verify_response::<types::RefundRequest>(time, sig, body)
                    .map(|_| ()),
                (_, "/ams/api/v1/payments/inquiryRefund") => verifier
                    .verify_response::<types::InquiryRefundRequest>(time, sig, body)
                    .map(|_| ()),
                (_, "/ams/api/v1/payments/consult") => verifier
                    .verify_response::<types::ConsultRequest>(time, sig, body)
                    .map(|_| ()),
                (kind, other) => return Err(format!("no {kind} at {other}")),
            };
            typed.map_err(|e| e.to_string())
        },
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The typed answers read what the vectors carry: the outcome of a payment inquiry comes from
/// `paymentStatus`, of a refund inquiry from `refundStatus`, and consult's string booleans parse.
#[test]
fn typed_answers_carry_their_outcomes() {
    let file: VectorFile<AlipayVerificationCase> = load("antom/response-verification.json");
    let case = |id: &str| {
        file.cases
            .iter()
            .find(|c| c.id == id)
            .unwrap_or_else(|| panic!("case {id}"))
    };
    let verify = |id: &str| {
        let c = case(id);
        let key = payspec_runtime::PublicKey::from_pem(&key_text(&c.public_key)).expect("key");
        (Verifier::new(&c.client_id, key), c)
    };
    let (v, c) = verify("inquiry-payment-success");
    let inquiry = v
        .verify_response::<types::InquiryPaymentRequest>(
            c.time.as_deref(),
            c.signature_header.as_deref(),
            c.body.as_bytes(),
        )
        .expect("verifies");
    let answer = inquiry.into_inner().data;
    assert_eq!(answer.outcome(), Some(payspec_runtime::Outcome::Success));
    assert_eq!(answer.payment_status, Some(types::PaymentStatus::Success));

    let (v, c) = verify("inquiry-refund-success");
    let refund = v
        .verify_response::<types::InquiryRefundRequest>(
            c.time.as_deref(),
            c.signature_header.as_deref(),
            c.body.as_bytes(),
        )
        .expect("verifies")
        .into_inner()
        .data;
    assert_eq!(refund.outcome(), Some(payspec_runtime::Outcome::Success));

    let (v, c) = verify("pay-response-in-process");
    let pay = v
        .verify_response::<types::PayRequest>(
            c.time.as_deref(),
            c.signature_header.as_deref(),
            c.body.as_bytes(),
        )
        .expect("verifies")
        .into_inner()
        .data;
    assert_eq!(pay.outcome(), Some(payspec_runtime::Outcome::Unknown));
    assert!(pay.normal_url.is_some());

    let (v, c) = verify("consult-success");
    let consult = v
        .verify_response::<types::ConsultRequest>(
            c.time.as_deref(),
            c.signature_header.as_deref(),
            c.body.as_bytes(),
        )
        .expect("verifies")
        .into_inner()
        .data;
    let options = consult.payment_options.expect("options");
    assert_eq!(options[0].enabled, Some(true));
    assert_eq!(options[1].enabled, Some(false));
}
