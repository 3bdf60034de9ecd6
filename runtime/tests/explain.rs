//! `explain`: every diagnosis of the catalogue, each from a signature that makes exactly that
//! mistake, on every compiled RSA backend.

use payspec_runtime::explain::{content, explain, Subject, CATALOGUE};
use payspec_runtime::sorted_params::data_members;
use payspec_runtime::{Backend, DigestAlgorithm, PrivateKey};

const KSHER_KEY: &str =
    include_str!("../../conformance/vectors/keys/ksher-merchant-1024.pkcs8.pem");
const OTHER_KEY: &str =
    include_str!("../../conformance/vectors/keys/ksher-sample-kb-1024.pkcs8.pem");
const ALIPAY_KEY: &str =
    include_str!("../../conformance/vectors/keys/alipayplus-merchant-2048.pkcs8.pem");

/// How the test signs: the content, the digest and which key.
struct Signed<'a> {
    content: &'a [u8],
    digest: DigestAlgorithm,
    key: &'a str,
}

/// Signs `signed` and explains it as `subject` with the scheme's `algorithm` and `key`'s public
/// half; the diagnosis must be `expected`, on every backend.
fn check(
    label: &str,
    subject: &Subject,
    algorithm: DigestAlgorithm,
    key: &str,
    signed: Signed<'_>,
    intended: Option<&[(String, String)]>,
    expected: &str,
) {
    for backend in Backend::ALL {
        let signer = PrivateKey::from_pem_with(*backend, signed.key).expect("key");
        let signature = signer.sign(signed.digest, signed.content).expect("sign");
        let public = PrivateKey::from_pem_with(*backend, key)
            .expect("key")
            .public_key();
        let got = explain(subject, algorithm, &public, &signature, intended);
        assert_eq!(
            got.diagnosis.id(),
            expected,
            "{label} [{}]: {}",
            backend.name(),
            got.diagnosis.what()
        );
        if expected == "valid" {
            assert_eq!(got.expected_content, signed.content, "{label}");
        }
        if let Some(found) = &got.signed_content {
            assert_eq!(
                found, signed.content,
                "{label}: the reproduced content is the signed one"
            );
        }
    }
}

fn ksher_request() -> Subject {
    Subject::SortedRequest {
        params: [
            ("time_stamp", "20240101120000"),
            ("mch_order_no", "A 1&b"),
            ("appid", "mch35005"),
            ("attach", ""),
            ("nonce_str", "abc"),
            ("sign", "00"),
        ]
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect(),
        sign_param: "sign".into(),
    }
}

#[test]
fn sorted_params_requests() {
    let subject = ksher_request();
    let documented = content(&subject);
    assert_eq!(
        String::from_utf8_lossy(&documented),
        "appid=mch35005attach=mch_order_no=A 1&bnonce_str=abctime_stamp=20240101120000"
    );
    let md5 = DigestAlgorithm::Md5;
    let s = |content: &'static str| Signed {
        content: content.as_bytes(),
        digest: md5,
        key: KSHER_KEY,
    };
    let cases: &[(&str, Signed<'_>, &str)] = &[
        ("documented", s("appid=mch35005attach=mch_order_no=A 1&bnonce_str=abctime_stamp=20240101120000"), "valid"),
        ("form-encoded values", s("appid=mch35005attach=mch_order_no=A+1%26bnonce_str=abctime_stamp=20240101120000"), "url-encoded-values"),
        ("percent-encoded values", s("appid=mch35005attach=mch_order_no=A%201%26bnonce_str=abctime_stamp=20240101120000"), "url-encoded-values"),
        ("order as sent", s("time_stamp=20240101120000mch_order_no=A 1&bappid=mch35005attach=nonce_str=abc"), "not-sorted"),
        ("empty sign signed", s("appid=mch35005attach=mch_order_no=A 1&bnonce_str=abcsign=time_stamp=20240101120000"), "sign-included"),
        ("empty attach left out", s("appid=mch35005mch_order_no=A 1&bnonce_str=abctime_stamp=20240101120000"), "empty-values-dropped"),
        ("something else", s("appid=mch35005"), "unknown"),
        ("another key", Signed { content: &documented, digest: md5, key: OTHER_KEY }, "wrong-key"),
        ("SHA-256 instead of MD5", Signed { content: &documented, digest: DigestAlgorithm::Sha256, key: KSHER_KEY }, "wrong-digest"),
    ];
    for (label, signed, expected) in cases {
        let signed = Signed {
            content: signed.content,
            digest: signed.digest,
            key: signed.key,
        };
        check(label, &subject, md5, KSHER_KEY, signed, None, expected);
    }
    // With the intended values, the member that changed after signing is named.
    let intended = vec![("mch_order_no".to_owned(), "A2".to_owned())];
    check(
        "changed order number",
        &subject,
        md5,
        KSHER_KEY,
        s("appid=mch35005attach=mch_order_no=A2nonce_str=abctime_stamp=20240101120000"),
        Some(&intended),
        "param-changed:mch_order_no",
    );
}

#[test]
fn sorted_params_documents() {
    let body = br#"{"code":0,"data":{"b":"1","a":null,"c":{"y":1, "x":2},"d":""},"sign":"00"}"#;
    let subject = Subject::SortedData {
        members: data_members(body).expect("members"),
        signed_fields: None,
    };
    let documented = content(&subject);
    assert_eq!(
        String::from_utf8_lossy(&documented),
        r#"a=nullb=1c={"x":2,"y":1}d="#
    );
    // The explain rule and the verifier's rule (K2) are one rule.
    assert_eq!(
        documented,
        payspec_runtime::sorted_params::data_string_to_verify(body, None)
            .unwrap()
            .into_bytes()
    );
    let md5 = DigestAlgorithm::Md5;
    let s = |content: &'static str| Signed {
        content: content.as_bytes(),
        digest: md5,
        key: KSHER_KEY,
    };
    for (label, signed, expected) in [
        ("documented", s(r#"a=nullb=1c={"x":2,"y":1}d="#), "valid"),
        (
            "null signed empty",
            s(r#"a=b=1c={"x":2,"y":1}d="#),
            "empty-values-included",
        ),
        (
            "empties left out",
            s(r#"b=1c={"x":2,"y":1}"#),
            "empty-values-dropped",
        ),
        (
            "nested as received",
            s(r#"a=nullb=1c={"y":1, "x":2}d="#),
            "json-reformatted",
        ),
        (
            "document order",
            s(r#"b=1a=nullc={"x":2,"y":1}d="#),
            "not-sorted",
        ),
    ] {
        check(label, &subject, md5, KSHER_KEY, signed, None, expected);
    }
}

/// An Alipay+ `pay` request from client `C1` at 2024-01-01T12:00:00+08:00 carrying `body`.
fn alipayplus_pay(body: &str, other_paths: Vec<String>) -> Subject {
    Subject::Header {
        method: "POST".into(),
        path: "/ams/api/v1/payments/pay".into(),
        client_id: "C1".into(),
        time: "2024-01-01T12:00:00+08:00".into(),
        body: body.as_bytes().to_vec(),
        other_paths,
    }
}

#[test]
fn header_rsa_messages() {
    let body = r#"{"b":1,"a":"é/x"}"#;
    let subject = alipayplus_pay(body, vec!["/ams/api/v1/payments/refund".into()]);
    let sha = DigestAlgorithm::Sha256;
    let pretty =
        serde_json::to_string_pretty(&serde_json::from_str::<serde_json::Value>(body).unwrap())
            .unwrap();
    let contents: Vec<(&str, String, &str)> = vec![
        ("documented", format!("POST /ams/api/v1/payments/pay\nC1.2024-01-01T12:00:00+08:00.{body}"), "valid"),
        ("pretty body signed", format!("POST /ams/api/v1/payments/pay\nC1.2024-01-01T12:00:00+08:00.{pretty}"), "json-reformatted"),
        ("CRLF separator", format!("POST /ams/api/v1/payments/pay\r\nC1.2024-01-01T12:00:00+08:00.{body}"), "crlf"),
        ("trailing newline", format!("POST /ams/api/v1/payments/pay\nC1.2024-01-01T12:00:00+08:00.{body}\n"), "crlf"),
        ("sandbox path", format!("POST /ams/sandbox/api/v1/payments/pay\nC1.2024-01-01T12:00:00+08:00.{body}"), "wrong-path"),
        ("full URL", format!("POST https://open-sea-global.alipay.com/ams/api/v1/payments/pay\nC1.2024-01-01T12:00:00+08:00.{body}"), "wrong-path"),
        ("another operation's path", format!("POST /ams/api/v1/payments/refund\nC1.2024-01-01T12:00:00+08:00.{body}"), "wrong-path"),
        ("no client id", format!("POST /ams/api/v1/payments/pay\n.2024-01-01T12:00:00+08:00.{body}"), "wrong-client-id"),
        ("epoch ms signed", format!("POST /ams/api/v1/payments/pay\nC1.1704081600000.{body}"), "wrong-request-time"),
        ("UTC signed", format!("POST /ams/api/v1/payments/pay\nC1.2024-01-01T04:00:00Z.{body}"), "wrong-request-time"),
        ("other content", "POST /other\nC2.1.{}".to_owned(), "unknown"),
    ];
    for (label, signed, expected) in &contents {
        check(
            label,
            &subject,
            sha,
            ALIPAY_KEY,
            Signed {
                content: signed.as_bytes(),
                digest: sha,
                key: ALIPAY_KEY,
            },
            None,
            expected,
        );
    }
    check(
        "MD5 instead of SHA-256",
        &subject,
        sha,
        ALIPAY_KEY,
        Signed {
            content: contents[0].1.as_bytes(),
            digest: DigestAlgorithm::Md5,
            key: ALIPAY_KEY,
        },
        None,
        "wrong-digest",
    );
}

/// Line breaks inside a multi-line body, converted one way or the other between signing and
/// sending, are found as `crlf`.
#[test]
fn line_breaks_inside_the_body() {
    let sha = DigestAlgorithm::Sha256;
    for (sent, signed) in [
        ("{\n\"a\":1\n}", "{\r\n\"a\":1\r\n}"),
        ("{\r\n\"a\":1\r\n}", "{\n\"a\":1\n}"),
    ] {
        let subject = alipayplus_pay(sent, Vec::new());
        let content =
            format!("POST /ams/api/v1/payments/pay\nC1.2024-01-01T12:00:00+08:00.{signed}");
        check(
            &format!("sent {sent:?}, signed {signed:?}"),
            &subject,
            sha,
            ALIPAY_KEY,
            Signed {
                content: content.as_bytes(),
                digest: sha,
                key: ALIPAY_KEY,
            },
            None,
            "crlf",
        );
    }
}

/// Every catalogue entry is exercised above, and ids are unique.
#[test]
fn the_catalogue_is_covered() {
    let source = include_str!("explain.rs");
    let mut ids: Vec<&str> = CATALOGUE.iter().map(|m| m.id).collect();
    for id in &ids {
        assert!(
            source.contains(&format!("\"{id}\"")),
            "no case expects `{id}`"
        );
    }
    let n = ids.len();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), n, "duplicate ids");
}
