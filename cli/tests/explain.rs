//! `payspec explain` on the vectors and on signatures made with one known mistake: the step
//! report ends with the right `diagnosis:` line and the exit code says valid (0), not valid (1)
//! or unreadable input (2).

mod support;
use support::payspec;

use payspec_conformance::testkit::load;
use payspec_conformance::vectors::{
    param_text, AlipayVerificationCase, Expect, KsherSigningCase, KsherVerificationCase, VectorFile,
};
use payspec_conformance::vectors_dir;
use payspec_runtime::{DigestAlgorithm, PrivateKey};

fn scratch(name: &str, contents: &[u8]) -> String {
    let dir = std::env::temp_dir().join(format!("payspec-explain-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, contents).unwrap();
    path.display().to_string()
}

fn key_path(rel: &str) -> String {
    vectors_dir().join(rel).display().to_string()
}

/// The diagnosis line and the exit code of `payspec explain <args>`.
fn diagnosis(args: &[&str]) -> (i32, String) {
    let (code, stdout, stderr) = payspec(args);
    let line = stdout
        .lines()
        .find_map(|l| l.strip_prefix("diagnosis: "))
        .map(str::to_owned)
        .unwrap_or_else(|| format!("<no diagnosis line; stderr: {stderr}>"));
    (code, line)
}

/// `id` → expected diagnosis for header-rsa vectors whose mistake is decidable.
fn check_header_vectors(api: &str, file: &str, expected: &[(&str, &str)]) {
    let vectors: VectorFile<AlipayVerificationCase> = load(file);
    for (id, want) in expected {
        let case = vectors
            .cases
            .iter()
            .find(|c| c.id == *id)
            .unwrap_or_else(|| panic!("{file}: no case {id}"));
        let body = scratch(&format!("{api}-{id}.body"), case.body.as_bytes());
        let key = key_path(&case.public_key);
        let (code, got) = diagnosis(&[
            "explain",
            api,
            &case.kind,
            "--path",
            &case.path,
            "--client-id",
            &case.client_id,
            "--time",
            case.time.as_deref().unwrap_or(""),
            "--body",
            &body,
            "--signature-header",
            case.signature_header.as_deref().unwrap_or(""),
            "--public-key",
            &key,
        ]);
        assert_eq!(got, *want, "{file} {id}");
        assert_eq!(code, if *want == "valid" { 0 } else { 1 }, "{file} {id}");
    }
}

#[test]
fn header_rsa_vectors_are_diagnosed() {
    check_header_vectors(
        "antom",
        "antom/response-verification.json",
        &[
            ("pay-response-in-process", "valid"),
            ("notify-payment-success", "valid"),
            ("edge-header-spaces-after-commas", "valid"),
            ("neg-wrong-path", "wrong-path"),
            ("neg-sandbox-path", "wrong-path"),
            ("neg-wrong-time", "wrong-request-time"),
            ("neg-body-reformatted", "json-reformatted"),
            ("neg-signed-with-merchant-key", "wrong-key"),
            ("neg-truncated-base64", "unknown"),
            ("neg-body-one-byte-changed", "unknown"),
        ],
    );
    check_header_vectors(
        "alipayplus",
        "alipayplus/response-verification.json",
        &[
            ("pay-response-in-process-normal-url", "valid"),
            ("neg-wrong-path", "wrong-path"),
            ("neg-signed-with-merchant-key", "wrong-key"),
        ],
    );
}

#[test]
fn ksher_vectors_are_diagnosed() {
    // Every accepted document is valid; a document signed by another key is wrong-key.
    let responses: VectorFile<KsherVerificationCase> = load("ksher/response-verification.json");
    let mut seen = (0, 0);
    for case in &responses.cases {
        let wrong_key = case.flags.iter().any(|f| f == "WrongKey");
        let want = match (case.expect, wrong_key) {
            (Expect::Accept, _) => "valid",
            (Expect::Reject, true) => "wrong-key",
            _ => continue,
        };
        let kind = if case.operation.contains("notify") {
            "notification"
        } else {
            "response"
        };
        let body = scratch(&format!("ksher-{}.json", case.id), case.body.as_bytes());
        let key = key_path(&case.public_key);
        let (code, got) = diagnosis(&[
            "explain",
            "ksher",
            kind,
            "--operation",
            &case.operation,
            "--body",
            &body,
            "--public-key",
            &key,
        ]);
        assert_eq!(got, want, "{}", case.id);
        assert_eq!(code, if want == "valid" { 0 } else { 1 }, "{}", case.id);
        if want == "valid" {
            seen.0 += 1
        } else {
            seen.1 += 1
        }
    }
    assert!(seen.0 >= 10 && seen.1 >= 1, "{seen:?}");

    // Requests: the form as sent (every parameter plus `sign`) against the merchant's key.
    let requests: VectorFile<KsherSigningCase> = load("ksher/request-signing.json");
    let case = requests
        .cases
        .iter()
        .find(|c| c.operation.as_deref() == Some("order_refund"))
        .expect("an order_refund vector");
    let params: Vec<(String, String)> = case
        .params
        .iter()
        .map(|(n, v)| (n.clone(), param_text(n, v).unwrap()))
        .collect();
    let form = |params: &[(String, String)], sign: &str| {
        let mut s = form_urlencoded::Serializer::new(String::new());
        for (n, v) in params {
            s.append_pair(n, v);
        }
        s.append_pair("sign", sign);
        s.finish()
    };
    let public = key_path(
        &case
            .private_key
            .replace(".pkcs1.pem", ".pub.pem")
            .replace(".pkcs8.pem", ".pub.pem"),
    );
    let explain_form = |name: &str, body: String| {
        let path = scratch(name, body.as_bytes());
        diagnosis(&[
            "explain",
            "ksher",
            "request",
            "--operation",
            "order_refund",
            "--body",
            &path,
            "--public-key",
            &public,
        ])
    };
    assert_eq!(
        explain_form("valid.form", form(&params, &case.sign)),
        (0, "valid".to_owned())
    );
    // The same parameters signed in the order given (not sorted by name).
    let key = PrivateKey::from_pem(&std::fs::read_to_string(key_path(&case.private_key)).unwrap())
        .unwrap();
    let mut reversed = params.clone();
    reversed.sort_by(|a, b| b.0.cmp(&a.0));
    let unsorted: String = reversed.iter().map(|(n, v)| format!("{n}={v}")).collect();
    let sign = hex::encode(key.sign(DigestAlgorithm::Md5, unsorted.as_bytes()).unwrap());
    assert_eq!(
        explain_form("unsorted.form", form(&reversed, &sign)),
        (1, "not-sorted".to_owned())
    );
}

#[test]
fn unreadable_input_exits_2() {
    let key = key_path("keys/antom-gateway-mock-2048.pub.pem");
    let body = scratch("x.json", b"{}");
    for args in [
        vec![
            "explain",
            "antom",
            "response",
            "--path",
            "/p",
            "--client-id",
            "c",
            "--time",
            "1",
            "--body",
            "/no/such/file",
            "--signature-header",
            "signature=AA%3D%3D",
            "--public-key",
            &key,
        ],
        vec![
            "explain",
            "antom",
            "response",
            "--path",
            "/p",
            "--client-id",
            "c",
            "--time",
            "1",
            "--body",
            &body,
            "--signature-header",
            "no-equals",
            "--public-key",
            &key,
        ],
        vec![
            "explain",
            "ksher",
            "response",
            "--operation",
            "no_such_op",
            "--body",
            &body,
        ],
        vec![
            "explain",
            "ksher",
            "request",
            "--operation",
            "order_query",
            "--body",
            &body,
        ],
    ] {
        let (code, stdout, stderr) = payspec(&args);
        assert_eq!(code, 2, "{args:?}: {stdout}");
        assert_eq!(stderr.lines().count(), 1, "{args:?}: one line: {stderr}");
    }
}
