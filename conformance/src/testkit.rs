//! Helpers the test suites share (this crate's tests and the CLI's): loading vector files and
//! collecting every failed check of a test before failing it.

use crate::vectors::VectorFile;
use crate::vectors_dir;

/// Loads a vector file of `conformance/vectors/` (panics with the file's name: for tests).
pub fn load<C: serde::de::DeserializeOwned>(rel: &str) -> VectorFile<C> {
    let path = vectors_dir().join(rel);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The text of a key file of `conformance/vectors/`.
pub fn key_text(rel: &str) -> String {
    std::fs::read_to_string(vectors_dir().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// Collects failures so one run reports every broken case.
#[derive(Debug, Default)]
pub struct Report(pub Vec<String>);

impl Report {
    /// Records a failure unless `got` equals `want`.
    pub fn check(
        &mut self,
        case: &str,
        what: &str,
        got: impl PartialEq<String> + std::fmt::Debug,
        want: &str,
    ) {
        if got != want.to_owned() {
            self.0
                .push(format!("{case}: {what}: got {got:?}, want {want:?}"));
        }
    }

    /// Fails, listing every recorded failure, if there is any.
    pub fn finish(self, total: usize) {
        assert!(
            self.0.is_empty(),
            "{} of {total} checks failed:\n{}",
            self.0.len(),
            self.0.join("\n")
        );
    }
}

/// The header-rsa vector checks (Alipay+, Antom), generic over the generated crate's `Api`.
pub mod header_rsa {
    use payspec_runtime::header_signature::parse_request_time;
    use payspec_runtime::scheme::header_rsa::{self as scheme, Api};
    use payspec_runtime::time::OffsetDateTime;
    use payspec_runtime::{Backend, PrivateKey, PublicKey};

    use super::key_text;
    use crate::header_rsa::{sign_raw, verify, Kind, Message};
    use crate::reasons;
    use crate::vectors::{AlipaySigningCase, AlipayVerificationCase, Expect};

    /// Signs every case on every compiled backend; what differs from the vector.
    pub fn signing_failures<A: Api>(cases: &[AlipaySigningCase]) -> Vec<String> {
        let mut failures = Vec::new();
        for backend in Backend::ALL {
            for case in cases {
                let label = format!("{} [{}]", case.id, backend.name());
                if case.method != "POST" {
                    failures.push(format!("{label}: method {}", case.method));
                }
                let key = match PrivateKey::from_pem_with(*backend, &key_text(&case.private_key)) {
                    Ok(key) => key,
                    Err(e) => {
                        failures.push(format!("{label}: key: {e}"));
                        continue;
                    }
                };
                match sign_raw::<A>(
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
                                failures
                                    .push(format!("{label}: {what}: got {got:?}, want {want:?}"));
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
        failures
    }

    /// Every case naming an operation is a valid request of it (strict typing, rules) and its
    /// typed value round-trips; `notification(name, body)` checks the cases that name a
    /// notification. Returns the failures and how many cases were typed.
    pub fn body_failures<A: Api>(
        cases: &[AlipaySigningCase],
        notification: impl Fn(&str, &str) -> Option<Result<(), String>>,
    ) -> (Vec<String>, usize) {
        let mut failures = Vec::new();
        let mut typed = 0;
        for case in cases {
            let Some(op) = case.operation.as_deref() else {
                continue;
            };
            typed += 1;
            if let Some(verdict) = notification(op, &case.body) {
                if let Err(e) = verdict {
                    failures.push(format!("{}: {e}", case.id));
                }
                continue;
            }
            let Some(entry) = scheme::operation::<A>(op) else {
                failures.push(format!("{}: unknown operation {op}", case.id));
                continue;
            };
            if entry.path != case.path {
                failures.push(format!("{}: path {} is not {op}'s", case.id, case.path));
            }
            match (entry.check_json)(&case.body) {
                Ok(request) => match (entry.check_json)(&request.to_string()) {
                    Ok(again) if again == request => {}
                    other => failures.push(format!("{}: round trip gave {other:?}", case.id)),
                },
                Err(e) => failures.push(format!("{}: typed request rejected: {e}", case.id)),
            }
        }
        (failures, typed)
    }

    /// Verifies every case on every compiled backend and judges rejections by their flags
    /// (`table`); an accepted case also goes through `typed(case, key, now)`, the crate's typed
    /// verification of its operation or notification.
    pub fn verification_failures<A: Api>(
        cases: &[AlipayVerificationCase],
        table: &[(&str, reasons::Rejection)],
        typed: impl Fn(
            &AlipayVerificationCase,
            &PublicKey,
            Option<OffsetDateTime>,
        ) -> Result<(), String>,
    ) -> Vec<String> {
        let mut failures = Vec::new();
        for backend in Backend::ALL {
            for case in cases {
                let label = format!("{} [{}]", case.id, backend.name());
                let key = match PublicKey::from_pem_with(*backend, &key_text(&case.public_key)) {
                    Ok(key) => key,
                    Err(e) => {
                        failures.push(format!("{label}: key: {e}"));
                        continue;
                    }
                };
                let kind = match case.kind.as_str() {
                    "response" => Kind::Response,
                    "notification" => Kind::Notification,
                    other => {
                        failures.push(format!("{label}: unknown kind {other}"));
                        continue;
                    }
                };
                // Vector notifications are old: judge them at their own request time.
                let now = case
                    .time
                    .as_deref()
                    .and_then(|t| parse_request_time(t).ok());
                let message = Message {
                    kind,
                    path: &case.path,
                    client_id: &case.client_id,
                    time: case.time.as_deref(),
                    signature_header: case.signature_header.as_deref(),
                    body: case.body.as_bytes(),
                };
                let verdict = verify::<A>(&message, &key, now);
                if verdict.is_ok() != (case.expect == Expect::Accept) {
                    failures.push(format!(
                        "{label}: expected {:?}, got {verdict:?}",
                        case.expect
                    ));
                    continue;
                }
                match &verdict {
                    // A rejection counts only for the reason the case's flags name.
                    Err(e) => {
                        if let Err(why) =
                            reasons::judge(table, &case.flags, reasons::alipayplus_kind(e), e)
                        {
                            failures.push(format!("{label}: {why}"));
                        }
                    }
                    Ok(_) => {
                        if let Err(e) = typed(case, &key, now) {
                            failures.push(format!("{label}: typed verification failed: {e}"));
                        }
                    }
                }
            }
        }
        failures
    }
}
