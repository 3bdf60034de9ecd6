//! The vector runner: every vector file under `conformance/vectors/` through the generated crates,
//! with a strict expected-failure list (the protobuf conformance model).
//!
//! Case names encode the API, direction and case id: `ksher.request.<id>`,
//! `ksher.response.<id>`, `alipayplus.request.<id>`, `alipayplus.response.<id>`,
//! `antom.request.<id>`, `antom.response.<id>`,
//! `wycheproof.<file stem>.<tcId>`. A case passes only if it passes on every compiled RSA backend.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use payspec_runtime::header_signature::parse_request_time;
use payspec_runtime::scheme::header_rsa::Api as HeaderApi;
use payspec_runtime::sorted_params::{data_string_to_verify, string_to_sign};
use payspec_runtime::{Backend, DigestAlgorithm, PrivateKey, PublicKey};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::reasons;
use crate::vectors::{
    param_text, AlipaySigningCase, AlipayVerificationCase, Expect, KeyKind, KeyLoadingCase,
    KsherSigningCase, KsherVerificationCase, VectorFile,
};

/// The verdict on one case.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Matches the expected value on every backend.
    Pass,
    /// Does not; the reason says how (first difference).
    Fail(String),
    /// Not applicable to payspec (e.g. a Wycheproof digest no gateway uses).
    Skip(String),
}

/// One case's result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaseResult {
    /// `api.direction.id`.
    pub name: String,
    pub verdict: Verdict,
}

/// The results of one vector file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileReport {
    /// Path relative to the vectors directory.
    pub file: String,
    /// What the file holds, e.g. `ksher-rsa-md5-hex request signing`.
    pub kind: String,
    pub cases: Vec<CaseResult>,
    /// Set when the file could not be read or parsed (`file:line:col: message`).
    pub error: Option<String>,
}

type CaseFn<C> = fn(&Path, &C) -> Verdict;

/// Runs every recognised vector file below `dir`, in path order.
pub fn run_all(dir: &Path) -> Vec<FileReport> {
    let mut files = Vec::new();
    walk(dir, &mut files);
    files.sort();
    files
        .iter()
        .filter_map(|path| {
            let rel = path
                .strip_prefix(dir)
                .unwrap_or(path)
                .to_string_lossy()
                .replace('\\', "/");
            run_file(dir, &rel)
        })
        .collect()
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            walk(&path, out);
        } else if path.extension().is_some_and(|e| e == "json") {
            out.push(path);
        }
    }
}

/// Runs one file if it is a vector file; `None` for other JSON (schemas, manifests).
fn run_file(dir: &Path, rel: &str) -> Option<FileReport> {
    let top = rel.split('/').next().unwrap_or("");
    let name = rel.rsplit('/').next().unwrap_or(rel);
    match top {
        "ksher" | "alipayplus" | "antom" => {}
        "wycheproof" if name.ends_with("_test.json") => {}
        "keys" if name == "key-loading.json" => {}
        _ => return None,
    }
    let report = |kind: &str, cases: Vec<CaseResult>, error: Option<String>| FileReport {
        file: rel.to_owned(),
        kind: kind.to_owned(),
        cases,
        error,
    };
    let text = match std::fs::read_to_string(dir.join(rel)) {
        Ok(t) => t,
        Err(e) => {
            return Some(report(
                "unreadable",
                Vec::new(),
                Some(format!("{rel}: {e}")),
            ))
        }
    };
    let request = name.contains("request");
    Some(match (top, request) {
        ("ksher", true) => typed_file::<KsherSigningCase>(
            rel,
            &text,
            "ksher.request",
            "request signing",
            dir,
            ksher_request,
            |c| &c.id,
        ),
        ("ksher", false) => typed_file::<KsherVerificationCase>(
            rel,
            &text,
            "ksher.response",
            "response verification",
            dir,
            ksher_response,
            |c| &c.id,
        ),
        ("alipayplus", true) => typed_file::<AlipaySigningCase>(
            rel,
            &text,
            "alipayplus.request",
            "request signing",
            dir,
            header_request::<payspec_alipayplus::Api>,
            |c| &c.id,
        ),
        ("alipayplus", false) => typed_file::<AlipayVerificationCase>(
            rel,
            &text,
            "alipayplus.response",
            "response verification",
            dir,
            header_response::<payspec_alipayplus::Api>,
            |c| &c.id,
        ),
        ("antom", true) => typed_file::<AlipaySigningCase>(
            rel,
            &text,
            "antom.request",
            "request signing",
            dir,
            header_request::<payspec_antom::Api>,
            |c| &c.id,
        ),
        ("antom", false) => typed_file::<AlipayVerificationCase>(
            rel,
            &text,
            "antom.response",
            "response verification",
            dir,
            header_response::<payspec_antom::Api>,
            |c| &c.id,
        ),
        ("keys", _) => typed_file::<KeyLoadingCase>(
            rel,
            &text,
            "keys.load",
            "key loading",
            dir,
            key_loading,
            |c| &c.id,
        ),
        _ => wycheproof_file(rel, &text),
    })
}

fn json_error(rel: &str, e: &serde_json::Error) -> String {
    format!("{rel}:{}:{}: {e}", e.line(), e.column())
}

fn typed_file<C: DeserializeOwned>(
    rel: &str,
    text: &str,
    prefix: &str,
    kind: &str,
    dir: &Path,
    run: CaseFn<C>,
    id: fn(&C) -> &String,
) -> FileReport {
    match serde_json::from_str::<VectorFile<C>>(text) {
        Ok(file) => FileReport {
            file: rel.to_owned(),
            kind: format!("{}, {kind}", file.scheme),
            cases: file
                .cases
                .iter()
                .map(|c| CaseResult {
                    name: format!("{prefix}.{}", id(c)),
                    verdict: run(dir, c),
                })
                .collect(),
            error: None,
        },
        Err(e) => FileReport {
            file: rel.to_owned(),
            kind: kind.to_owned(),
            cases: Vec::new(),
            error: Some(json_error(rel, &e)),
        },
    }
}

fn read_key(dir: &Path, rel: &str) -> Result<String, String> {
    std::fs::read_to_string(dir.join(rel)).map_err(|e| format!("key {rel}: {e}"))
}

/// Runs `check` with every backend; the first failure wins.
fn every_backend(check: impl Fn(Backend) -> Result<(), String>) -> Verdict {
    for backend in Backend::ALL {
        if let Err(reason) = check(*backend) {
            return Verdict::Fail(format!("[{}] {reason}", backend.name()));
        }
    }
    Verdict::Pass
}

fn differ(what: &str, got: &str, want: &str) -> Result<(), String> {
    if got == want {
        Ok(())
    } else {
        Err(format!("{what} differs: got {got:?}, want {want:?}"))
    }
}

fn ksher_request(dir: &Path, case: &KsherSigningCase) -> Verdict {
    every_backend(|backend| {
        let key = PrivateKey::from_pem_with(backend, &read_key(dir, &case.private_key)?)
            .map_err(|e| e.to_string())?;
        let (s, sign) = match &case.operation {
            Some(op) => {
                let signed = crate::ksher::sign_params(op, &case.params, &key)
                    .map_err(|e| format!("typed request rejected: {e}"))?;
                (signed.form.string_to_sign, signed.form.sign)
            }
            None => {
                let texts: Vec<(String, String)> = case
                    .params
                    .iter()
                    .map(|(k, v)| param_text(k, v).map(|t| (k.clone(), t)))
                    .collect::<Result<_, _>>()?;
                let s = string_to_sign(texts.iter().map(|(k, v)| (k.as_str(), v.as_str())));
                let sig = key
                    .sign(DigestAlgorithm::Md5, s.as_bytes())
                    .map_err(|e| e.to_string())?;
                (s, hex::encode(sig))
            }
        };
        differ("string_to_sign", &s, &case.string_to_sign)?;
        differ("sign", &sign, &case.sign)
    })
}

/// A key file loads, or is refused for the stated reason, identically on every backend.
fn key_loading(dir: &Path, case: &KeyLoadingCase) -> Verdict {
    every_backend(|backend| {
        let pem = read_key(dir, &case.file)?;
        let loaded = match case.kind {
            KeyKind::Public => PublicKey::from_pem_with(backend, &pem).map(|_| ()),
            KeyKind::Private => PrivateKey::from_pem_with(backend, &pem).map(|_| ()),
        };
        match (case.expect, loaded, &case.reason) {
            (Expect::Accept, Ok(()), _) => Ok(()),
            (Expect::Accept, Err(e), _) => Err(format!("expected to load, refused: {e}")),
            (Expect::Reject, Ok(()), _) => Err("expected to be refused, loaded".to_owned()),
            (Expect::Reject, Err(e), Some(reason)) if !e.to_string().contains(reason.as_str()) => {
                Err(format!(
                    "refused for another reason: {e} (expected {reason:?})"
                ))
            }
            (Expect::Reject, Err(_), _) => Ok(()),
        }
    })
}

fn ksher_response(dir: &Path, case: &KsherVerificationCase) -> Verdict {
    let Some(subset) = payspec_runtime::scheme::sorted_params::signed_fields::<payspec_ksher::Api>(
        &case.operation,
    ) else {
        return Verdict::Fail(format!("unknown operation `{}`", case.operation));
    };
    every_backend(|backend| {
        let key = PublicKey::from_pem_with(backend, &read_key(dir, &case.public_key)?)
            .map_err(|e| e.to_string())?;
        if let Some(expected) = &case.string_to_verify {
            let got = data_string_to_verify(case.body.as_bytes(), subset)
                .map_err(|e| format!("no string to verify: {e}"))?;
            differ("string_to_verify", &got, expected)?;
        }
        // The verdict is the signature rules' (K1–K3); typing `data` is checked by the test
        // suite. Rule K4 (re-split canonical strings) is the typed verifier's, so its cases go
        // through it.
        let verdict = if case.id.starts_with("resplit-") {
            payspec_ksher::Verifier::new(key.clone())
                .verify_named(&case.operation, case.body.as_bytes())
                .map(|_| ())
        } else {
            crate::ksher::verify_body(&case.operation, case.body.as_bytes(), &key).map(|_| ())
        };
        match (case.expect, verdict) {
            (Expect::Accept, Ok(_)) => Ok(()),
            // A rejection counts only for the reason the case's flags name.
            (Expect::Reject, Err(e)) => reasons::judge(
                reasons::KSHER_FLAG_REASONS,
                &case.flags,
                reasons::ksher_kind(&e),
                &e,
            ),
            (Expect::Accept, Err(e)) => Err(format!("expected accept, rejected: {e}")),
            (Expect::Reject, Ok(_)) => Err("expected reject, accepted".to_owned()),
        }
    })
}

/// A request-signing case of a header-rsa API (Alipay+, Antom).
fn header_request<A: HeaderApi>(dir: &Path, case: &AlipaySigningCase) -> Verdict {
    let key_version = case.key_version();
    every_backend(|backend| {
        let key = PrivateKey::from_pem_with(backend, &read_key(dir, &case.private_key)?)
            .map_err(|e| e.to_string())?;
        let signed = crate::header_rsa::sign_raw::<A>(
            &case.path,
            &case.client_id,
            &case.request_time,
            case.body.as_bytes().to_vec(),
            &key,
            key_version,
        )
        .map_err(|e| e.to_string())?;
        let s = &signed.signature;
        differ("content_to_sign", &s.content_to_sign, &case.content_to_sign)?;
        differ(
            "signature_base64",
            &s.signature_base64,
            &case.signature_base64,
        )?;
        differ(
            "signature_urlencoded",
            &s.signature_urlencoded,
            &case.signature_urlencoded,
        )?;
        // Signing covers the exact bytes; whether the body fits the typed request is checked by
        // the test suite on the public vectors, not here.
        differ("header", &s.header, &case.signature_header)
    })
}

/// A response or notification case of a header-rsa API (Alipay+, Antom).
fn header_response<A: HeaderApi>(dir: &Path, case: &AlipayVerificationCase) -> Verdict {
    let kind = match case.kind.as_str() {
        "response" => crate::header_rsa::Kind::Response,
        "notification" => crate::header_rsa::Kind::Notification,
        other => return Verdict::Fail(format!("unknown kind `{other}`")),
    };
    every_backend(|backend| {
        let key = PublicKey::from_pem_with(backend, &read_key(dir, &case.public_key)?)
            .map_err(|e| e.to_string())?;
        let message = crate::header_rsa::Message {
            kind,
            path: &case.path,
            client_id: &case.client_id,
            time: case.time.as_deref(),
            signature_header: case.signature_header.as_deref(),
            body: case.body.as_bytes(),
        };
        // Vector notifications are old: judge them at their own request time.
        let now = case
            .time
            .as_deref()
            .and_then(|t| parse_request_time(t).ok());
        match (
            case.expect,
            crate::header_rsa::verify::<A>(&message, &key, now),
        ) {
            (Expect::Accept, Ok(_)) => Ok(()),
            (Expect::Reject, Err(e)) => reasons::judge(
                reasons::ALIPAYPLUS_FLAG_REASONS,
                &case.flags,
                reasons::alipayplus_kind(&e),
                &e,
            ),
            (Expect::Accept, Err(e)) => Err(format!("expected accept, rejected: {e}")),
            (Expect::Reject, Ok(_)) => Err("expected reject, accepted".to_owned()),
        }
    })
}

fn hex_field(test: &Value, name: &str) -> Result<Vec<u8>, String> {
    let text = test[name]
        .as_str()
        .ok_or_else(|| format!("`{name}` is not a string"))?;
    hex::decode(text).map_err(|e| format!("`{name}`: {e}"))
}

fn wycheproof_file(rel: &str, text: &str) -> FileReport {
    let stem = rel
        .rsplit('/')
        .next()
        .unwrap_or(rel)
        .trim_end_matches(".json")
        .to_owned();
    let mut report = FileReport {
        file: rel.to_owned(),
        kind: "wycheproof".to_owned(),
        cases: Vec::new(),
        error: None,
    };
    let doc: Value = match serde_json::from_str(text) {
        Ok(d) => d,
        Err(e) => {
            report.error = Some(json_error(rel, &e));
            return report;
        }
    };
    let schema = doc["schema"].as_str().unwrap_or_default();
    report.kind = format!("wycheproof {schema}");
    let Some(groups) = doc["testGroups"].as_array() else {
        report.error = Some(format!("{rel}: no `testGroups` array"));
        return report;
    };
    for group in groups {
        let sha = group["sha"].as_str().unwrap_or_default();
        let verify = group["type"].as_str() == Some("RsassaPkcs1Verify");
        let Some(tests) = group["tests"].as_array() else {
            continue;
        };
        for test in tests {
            let id = test["tcId"].as_u64().unwrap_or_default();
            let name = format!("wycheproof.{stem}.{id}");
            let result = test["result"].as_str().unwrap_or_default();
            let verdict = if sha != "SHA-256" {
                Verdict::Skip(format!("{sha}: not a digest of any gateway"))
            } else if verify {
                wycheproof_verify(group, test, result)
            } else {
                wycheproof_sign(group, test, result)
            };
            report.cases.push(CaseResult { name, verdict });
        }
    }
    report
}

fn wycheproof_verify(group: &Value, test: &Value, result: &str) -> Verdict {
    every_backend(|backend| {
        let pem = group["publicKeyPem"].as_str().ok_or("no publicKeyPem")?;
        let key = PublicKey::from_pem_with(backend, pem).map_err(|e| e.to_string())?;
        let ok = key.verify(
            DigestAlgorithm::Sha256,
            &hex_field(test, "msg")?,
            &hex_field(test, "sig")?,
        );
        match (result, ok) {
            ("valid", true) | ("invalid", false) | ("acceptable", _) => Ok(()),
            (r, got) => Err(format!("expected {r}, verification gave {got}")),
        }
    })
}

fn wycheproof_sign(group: &Value, test: &Value, result: &str) -> Verdict {
    every_backend(|backend| {
        let pem = group["privateKeyPem"].as_str().ok_or("no privateKeyPem")?;
        let key = PrivateKey::from_pem_with(backend, pem).map_err(|e| e.to_string())?;
        let sig = key
            .sign(DigestAlgorithm::Sha256, &hex_field(test, "msg")?)
            .map_err(|e| e.to_string())?;
        let want = hex_field(test, "sig")?;
        match result {
            "valid" if sig != want => Err("signature differs from the expected one".to_owned()),
            _ => Ok(()),
        }
    })
}

/// The expected-failure list: case name → reason.
pub type ExpectedFailures = BTreeMap<String, String>;

/// Parses `name reason...` lines; `#` starts a comment line.
pub fn parse_expected_failures(text: &str) -> ExpectedFailures {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| match l.split_once(char::is_whitespace) {
            Some((name, reason)) => (name.to_owned(), reason.trim().to_owned()),
            None => (l.to_owned(), String::new()),
        })
        .collect()
}

/// The file text for the given failures (what `--fix` writes).
pub fn render_expected_failures(failures: &ExpectedFailures) -> String {
    let mut out = String::from(
        "# Conformance cases known to fail, one per line: `<case name> <reason>`.\n\
         # Strict: an unlisted failure, a listed case that passes, or a listed case that fails for\n\
         # another reason fails the run. `payspec conformance --fix` rewrites this file.\n",
    );
    for (name, reason) in failures {
        let _ = writeln!(out, "{name} {reason}");
    }
    out
}

/// How the run went against the expected-failure list.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    pub passed: usize,
    /// Unexpected failures, listed cases that pass or fail otherwise, unreadable files.
    pub failed: Vec<String>,
    pub expected_failures: usize,
    pub skipped: usize,
    /// Every failure with its reason (what `--fix` records).
    pub actual_failures: ExpectedFailures,
}

impl Summary {
    /// The closing line.
    pub fn closing_line(&self) -> String {
        format!(
            "{} passed, {} failed, {} expected failures",
            self.passed,
            self.failed.len(),
            self.expected_failures
        )
    }
}

/// Judges the reports against the expected-failure list (strict semantics).
pub fn summarize(reports: &[FileReport], expected: &ExpectedFailures) -> Summary {
    let mut summary = Summary::default();
    let mut seen = std::collections::BTreeSet::new();
    for report in reports {
        if let Some(error) = &report.error {
            summary
                .failed
                .push(format!("{}: unreadable vector file: {error}", report.file));
        }
        for case in &report.cases {
            seen.insert(case.name.as_str());
            match (&case.verdict, expected.get(&case.name)) {
                (Verdict::Pass, None) => summary.passed += 1,
                (Verdict::Skip(_), None) => summary.skipped += 1,
                (Verdict::Pass | Verdict::Skip(_), Some(_)) => summary.failed.push(format!(
                    "{}: listed as an expected failure but passes",
                    case.name
                )),
                (Verdict::Fail(reason), listed) => {
                    summary
                        .actual_failures
                        .insert(case.name.clone(), reason.clone());
                    match listed {
                        None => summary.failed.push(format!("{}: {reason}", case.name)),
                        Some(want) if want == reason => summary.expected_failures += 1,
                        Some(want) => summary.failed.push(format!(
                            "{}: fails for another reason than listed: {reason} (listed: {want})",
                            case.name
                        )),
                    }
                }
            }
        }
    }
    for name in expected.keys() {
        if !seen.contains(name.as_str()) {
            summary.failed.push(format!(
                "{name}: listed as an expected failure but no such case exists"
            ));
        }
    }
    summary
}

/// The per-file tables and the closing line.
pub fn render(reports: &[FileReport], summary: &Summary, expected: &ExpectedFailures) -> String {
    let mut out = String::new();
    for report in reports {
        let _ = writeln!(out, "\n{} ({})", report.file, report.kind);
        if let Some(error) = &report.error {
            let _ = writeln!(out, "  ERROR {error}");
        }
        let (mut pass, mut fail, mut skip) = (0, 0, 0);
        for case in &report.cases {
            let (tag, detail) = match &case.verdict {
                Verdict::Pass => {
                    pass += 1;
                    ("pass", String::new())
                }
                Verdict::Skip(why) => {
                    skip += 1;
                    ("skip", format!("  ({why})"))
                }
                Verdict::Fail(why) => {
                    fail += 1;
                    let tag = if expected.get(&case.name) == Some(why) {
                        "xfail"
                    } else {
                        "FAIL"
                    };
                    (tag, format!("  {why}"))
                }
            };
            if tag != "skip" || skip <= 1 {
                let _ = writeln!(out, "  {tag:<5} {}{detail}", case.name);
            }
        }
        let _ = writeln!(out, "  -- {pass} passed, {fail} failed, {skip} skipped");
    }
    if !summary.failed.is_empty() {
        let _ = writeln!(out, "\nfailures:");
        for f in &summary.failed {
            let _ = writeln!(out, "  {f}");
        }
    }
    let _ = writeln!(out, "\n{}", summary.closing_line());
    out
}
