//! Wycheproof RSASSA-PKCS1-v1_5 2048-bit SHA-256 verification vectors, run through every compiled
//! RSA backend via `PublicKey::verify(DigestAlgorithm::Sha256, ..)` (the Alipay+ verification
//! primitive).
//!
//! Every `valid` test must verify and every `invalid` test must be rejected. `acceptable` tests
//! (e.g. `MissingNull`: a legacy encoding without the ASN.1 NULL) may go either way by
//! Wycheproof's own definition; their results are recorded and reported on failure of another
//! assertion, but deliberately not asserted.

use std::path::PathBuf;

use payspec_runtime::{Backend, DigestAlgorithm, PublicKey};
use serde_json::Value;

const FILE: &str = "wycheproof/rsa_signature_2048_sha256_test.json";

fn load() -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../conformance/vectors")
        .join(FILE);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{FILE}: {e}"))
}

fn field<'a>(value: &'a Value, name: &str, context: &str) -> &'a str {
    value[name]
        .as_str()
        .unwrap_or_else(|| panic!("{context}: `{name}` is not a string"))
}

/// Verdicts of one backend over the whole file.
#[derive(Default)]
struct Tally {
    valid: usize,
    invalid: usize,
    acceptable: Vec<(u64, bool)>,
    failures: Vec<String>,
}

/// Runs every test of every group through `backend`.
fn check(backend: Backend, doc: &Value) -> Tally {
    let mut tally = Tally::default();
    let groups = doc["testGroups"]
        .as_array()
        .expect("testGroups is an array");
    assert!(!groups.is_empty(), "{FILE}: no test groups");
    for (g, group) in groups.iter().enumerate() {
        let context = format!("{}: group {g}", backend.name());
        assert_eq!(
            field(group, "type", &context),
            "RsassaPkcs1Verify",
            "{context}"
        );
        assert_eq!(field(group, "sha", &context), "SHA-256", "{context}");
        let pem = field(group, "publicKeyPem", &context);
        // A key a backend cannot load is a failure, not a skip.
        let key = PublicKey::from_pem_with(backend, pem)
            .unwrap_or_else(|e| panic!("{context}: backend cannot load the group key: {e}"));
        let tests = group["tests"].as_array().expect("tests is an array");
        for test in tests {
            let id = test["tcId"].as_u64().expect("tcId is a number");
            let context = format!("{context} tcId {id}");
            let msg = hex::decode(field(test, "msg", &context))
                .unwrap_or_else(|e| panic!("{context}: msg is not hex: {e}"));
            let sig = hex::decode(field(test, "sig", &context))
                .unwrap_or_else(|e| panic!("{context}: sig is not hex: {e}"));
            let accepted = key.verify(DigestAlgorithm::Sha256, &msg, &sig);
            let describe = || {
                format!(
                    "{context} ({}; flags {}): accepted = {accepted}",
                    field(test, "comment", &context),
                    test["flags"]
                )
            };
            match field(test, "result", &context) {
                "valid" => {
                    tally.valid += 1;
                    if !accepted {
                        tally
                            .failures
                            .push(format!("valid signature rejected: {}", describe()));
                    }
                }
                "invalid" => {
                    tally.invalid += 1;
                    if accepted {
                        tally
                            .failures
                            .push(format!("invalid signature accepted: {}", describe()));
                    }
                }
                // Recorded only: Wycheproof allows either verdict.
                "acceptable" => tally.acceptable.push((id, accepted)),
                other => panic!("{context}: unknown result {other:?}"),
            }
        }
    }
    tally
}

#[test]
fn wycheproof_rsa_pkcs1_2048_sha256() {
    let doc = load();
    let expected_total = doc["numberOfTests"].as_u64().expect("numberOfTests") as usize;
    for &backend in Backend::ALL {
        let tally = check(backend, &doc);
        let total = tally.valid + tally.invalid + tally.acceptable.len();
        assert_eq!(
            total,
            expected_total,
            "{}: tests run vs numberOfTests",
            backend.name()
        );
        assert!(
            tally.valid > 0 && tally.invalid > 0,
            "{}: nothing to check",
            backend.name()
        );
        assert!(
            tally.failures.is_empty(),
            "{}: {} of {} valid/invalid verdicts wrong (acceptable cases, not asserted: {:?}):\n{}",
            backend.name(),
            tally.failures.len(),
            tally.valid + tally.invalid,
            tally.acceptable,
            tally.failures.join("\n")
        );
    }
}
