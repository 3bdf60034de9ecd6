//! Every case of `vectors/ksher/` through the typed API (every compiled RSA backend) (the CLI halves are in
//! `cli/tests/`).

use payspec_conformance::ksher::{sign_params, verify_body};
use payspec_conformance::reasons;
use payspec_conformance::testkit::{key_text, load, Report};
use payspec_conformance::vectors::{
    param_text, Expect, KsherSigningCase, KsherVerificationCase, VectorFile,
};
use payspec_runtime::scheme::sorted_params;
use payspec_runtime::sorted_params::{data_string_to_verify, string_to_sign};
use payspec_runtime::{Backend, DigestAlgorithm, PrivateKey, PublicKey};

#[test]
fn request_signing_vectors_through_typed_api() {
    let file: VectorFile<KsherSigningCase> = load("ksher/request-signing.json");
    assert_eq!(file.scheme, "ksher-rsa-md5-hex");
    assert!(file.cases.len() >= 33, "vector file shrank");
    let mut report = Report::default();
    let mut total = 0;
    for backend in Backend::ALL {
        for case in &file.cases {
            total += 1;
            let key = PrivateKey::from_pem_with(*backend, &key_text(&case.private_key))
                .unwrap_or_else(|e| panic!("{}: {e}", case.private_key));
            let label = format!("{} [{}]", case.id, backend.name());
            match &case.operation {
                Some(op) => match sign_params(op, &case.params, &key) {
                    Ok(signed) => {
                        report.check(
                            &label,
                            "string_to_sign",
                            signed.form.string_to_sign.clone(),
                            &case.string_to_sign,
                        );
                        report.check(&label, "sign", signed.form.sign.clone(), &case.sign);
                        // The form body carries exactly the params plus `sign`, percent-decoded back.
                        let mut sent: Vec<(String, String)> =
                            form_urlencoded::parse(signed.form.body.as_bytes())
                                .into_owned()
                                .collect();
                        let mut want: Vec<(String, String)> = case
                            .params
                            .iter()
                            .map(|(k, v)| (k.clone(), param_text(k, v).unwrap()))
                            .chain([("sign".to_owned(), case.sign.clone())])
                            .collect();
                        sent.sort();
                        want.sort();
                        if sent != want {
                            report
                                .0
                                .push(format!("{label}: form body {sent:?} != {want:?}"));
                        }
                    }
                    Err(e) => report
                        .0
                        .push(format!("{label}: typed request rejected: {e}")),
                },
                None => {
                    // Rule vector: not a request of one operation, so the generic rule applies.
                    let texts: Vec<(String, String)> = case
                        .params
                        .iter()
                        .map(|(k, v)| (k.clone(), param_text(k, v).unwrap()))
                        .collect();
                    let s = string_to_sign(texts.iter().map(|(k, v)| (k.as_str(), v.as_str())));
                    report.check(&label, "string_to_sign", s.clone(), &case.string_to_sign);
                    let sig = key.sign(DigestAlgorithm::Md5, s.as_bytes()).expect("sign");
                    report.check(&label, "sign", hex(&sig), &case.sign);
                }
            }
        }
    }
    report.finish(total);
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn response_verification_vectors_through_typed_api() {
    let mut cases: Vec<KsherVerificationCase> =
        load::<KsherVerificationCase>("ksher/response-verification.json").cases;
    assert!(cases.len() >= 63, "vector file shrank");
    let negatives = load::<KsherVerificationCase>("ksher/envelope-negatives.json").cases;
    assert!(negatives.len() >= 5, "vector file shrank");
    cases.extend(negatives);
    assert!(cases.iter().any(|c| c.expect == Expect::Reject));
    let mut report = Report::default();
    let mut total = 0;
    for backend in Backend::ALL {
        for case in &cases {
            total += 1;
            let label = format!("{} [{}]", case.id, backend.name());
            let key = PublicKey::from_pem_with(*backend, &key_text(&case.public_key))
                .unwrap_or_else(|e| panic!("{}: {e}", case.public_key));
            let subset = sorted_params::signed_fields::<payspec_ksher::Api>(&case.operation)
                .unwrap_or_else(|| panic!("{}: unknown operation {}", case.id, case.operation));
            if let Some(expected) = &case.string_to_verify {
                match data_string_to_verify(case.body.as_bytes(), subset) {
                    Ok(s) => report.check(&label, "string_to_verify", s, expected),
                    Err(e) => report.0.push(format!("{label}: no string to verify: {e}")),
                }
            }
            let raw = verify_body(&case.operation, case.body.as_bytes(), &key);
            let typed = payspec_ksher::Verifier::new(key.clone())
                .verify_named(&case.operation, case.body.as_bytes());
            // A rejection counts only for the reason the case's flags name (one table:
            // `payspec_conformance::reasons`), through both the raw and the typed verifier.
            let reason_ok = |e: &payspec_runtime::sorted_params::ResponseError| {
                reasons::judge(
                    reasons::KSHER_FLAG_REASONS,
                    &case.flags,
                    reasons::ksher_kind(e),
                    e,
                )
                .is_ok()
            };
            match (case.expect, &raw, &typed) {
                (Expect::Accept, Ok(_), Ok(_)) => {}
                (Expect::Reject, Err(a), Err(b)) if reason_ok(a) && reason_ok(b) => {}
                _ => report.0.push(format!(
                    "{label}: expected {:?}, raw verification {:?}, typed {:?}",
                    case.expect,
                    raw.as_ref()
                        .map(|_| "accepted")
                        .map_err(ToString::to_string),
                    typed
                        .as_ref()
                        .map(|_| "accepted")
                        .map_err(ToString::to_string),
                )),
            }
        }
    }
    report.finish(total);
}

/// Rule K4: every re-split answer is validly signed (raw verification accepts it: the attack is
/// real) and the typed verifier refuses it for the right reason; the controls are accepted.
#[test]
fn canonical_resplit_vectors() {
    use payspec_runtime::sorted_params::ResponseError;
    let file: VectorFile<KsherVerificationCase> = load("ksher/canonical-resplit.json");
    assert!(file.cases.len() >= 5, "vector file shrank");
    let mut report = Report::default();
    let mut total = 0;
    for backend in Backend::ALL {
        for case in &file.cases {
            total += 1;
            let label = format!("{} [{}]", case.id, backend.name());
            let key = PublicKey::from_pem_with(*backend, &key_text(&case.public_key))
                .unwrap_or_else(|e| panic!("{}: {e}", case.public_key));
            if let Err(e) = verify_body(&case.operation, case.body.as_bytes(), &key) {
                report
                    .0
                    .push(format!("{label}: signature must verify, got {e}"));
            }
            let typed = payspec_ksher::Verifier::new(key.clone())
                .verify_named(&case.operation, case.body.as_bytes());
            let resplit = case.flags.iter().any(|f| f == "CanonicalResplit");
            match (case.expect, resplit, &typed) {
                (Expect::Accept, false, Ok(_)) => {}
                (Expect::Reject, true, Err(ResponseError::AmbiguousSplit { hidden, .. }))
                    if case.id.contains(hidden.as_str()) => {}
                _ => report.0.push(format!(
                    "{label}: expected {:?} (re-split: {resplit}), typed {:?}",
                    case.expect,
                    typed
                        .as_ref()
                        .map(|_| "accepted")
                        .map_err(ToString::to_string)
                )),
            }
        }
    }
    report.finish(total);
}
