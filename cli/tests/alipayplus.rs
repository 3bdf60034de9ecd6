//! The `payspec` CLI on the Alipay+ and Antom vectors: raw and typed signing, verification,
//! freshness.

mod support;
use support::payspec;

use payspec_conformance::reasons;
use payspec_conformance::testkit::load;
use payspec_conformance::vectors::{AlipaySigningCase, AlipayVerificationCase, Expect, VectorFile};
use payspec_conformance::vectors_dir;
use payspec_runtime::header_signature::parse_request_time;

#[test]
fn alipayplus_vectors_through_cli() {
    vectors_through_cli("alipayplus");
}

#[test]
fn antom_vectors_through_cli() {
    vectors_through_cli("antom");
}

/// Every vector of `vectors/<api>/` through `payspec <api> sign|verify`.
fn vectors_through_cli(api: &str) {
    let dir = std::env::temp_dir().join(format!("payspec-{api}-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut failures = Vec::new();
    let signing: VectorFile<AlipaySigningCase> = load(&format!("{api}/request-signing.json"));
    assert!(!signing.cases.is_empty(), "{api}: no signing vectors");
    for case in &signing.cases {
        let body = dir.join(format!("{}.body", case.id));
        std::fs::write(&body, &case.body).unwrap();
        let key = vectors_dir().join(&case.private_key);
        let kv = case.key_version().to_string();
        let (code, stdout, stderr) = payspec(&[
            api,
            "sign",
            "--path",
            &case.path,
            "--client-id",
            &case.client_id,
            "--request-time",
            &case.request_time,
            "--body",
            &body.to_string_lossy(),
            "--key",
            &key.to_string_lossy(),
            "--key-version",
            &kv,
        ]);
        if code != 0 {
            failures.push(format!("{}: exit {code}: {stderr}", case.id));
            continue;
        }
        let out: serde_json::Value = serde_json::from_str(&stdout).expect("JSON");
        if out["content_to_sign"] != case.content_to_sign.as_str()
            || out["signature"] != case.signature_urlencoded.as_str()
            || out["header"] != case.signature_header.as_str()
        {
            failures.push(format!("{}: {stdout}", case.id));
        }
        // Typed mode: the params go through the typed request (notifications are not requests).
        if let Some(op) = case
            .operation
            .as_deref()
            .filter(|op| !op.starts_with("notify"))
        {
            let (code, stdout, stderr) = payspec(&[
                api,
                "sign",
                "--operation",
                op,
                "--params",
                &body.to_string_lossy(),
                "--client-id",
                &case.client_id,
                "--request-time",
                &case.request_time,
                "--key",
                &key.to_string_lossy(),
            ]);
            if code != 0 {
                failures.push(format!("{} (typed): exit {code}: {stderr}", case.id));
                continue;
            }
            let out: serde_json::Value = serde_json::from_str(&stdout).expect("JSON");
            let body_out = out["body"].as_str().unwrap_or_default();
            let same: bool = serde_json::from_str::<serde_json::Value>(body_out).ok()
                == serde_json::from_str::<serde_json::Value>(&case.body).ok();
            let content = out["content_to_sign"].as_str().unwrap_or_default();
            if !same
                || !content.ends_with(body_out)
                || !content.starts_with(&format!("POST {}\n", case.path))
            {
                failures.push(format!("{} (typed): {stdout}", case.id));
            }
        }
    }
    let verification: VectorFile<AlipayVerificationCase> =
        load(&format!("{api}/response-verification.json"));
    assert!(
        !verification.cases.is_empty(),
        "{api}: no verification vectors"
    );
    for case in &verification.cases {
        let body = dir.join(format!("{}.resp", case.id));
        std::fs::write(&body, &case.body).unwrap();
        let key = vectors_dir().join(&case.public_key);
        let mut args: Vec<String> = [
            api,
            "verify",
            "--kind",
            &case.kind,
            "--path",
            &case.path,
            "--client-id",
            &case.client_id,
            "--body",
            &body.to_string_lossy(),
            "--public-key",
            &key.to_string_lossy(),
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        if let Some(t) = &case.time {
            args.extend(["--time".to_owned(), t.clone()]);
        }
        if let Some(h) = &case.signature_header {
            args.extend(["--signature-header".to_owned(), h.clone()]);
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let (code, stdout, _) = payspec(&args);
        let ok = match case.expect {
            Expect::Accept => code == 0 && stdout.trim() == "valid",
            Expect::Reject => {
                code == 1
                    && stdout.starts_with("invalid: ")
                    && reasons::expected(reasons::ALIPAYPLUS_FLAG_REASONS, &case.flags)
                        .is_some_and(|r| stdout.contains(r.phrase()))
            }
        };
        if !ok {
            failures.push(format!(
                "{}: expected {:?}, exit {code}, {stdout:?}",
                case.id, case.expect
            ));
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn cli_typed_sign_rejects_invalid_params_naming_the_field() {
    let dir = std::env::temp_dir().join(format!("payspec-ap-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let key = vectors_dir().join("keys/alipayplus-merchant-2048.pkcs8.pem");
    let ok_order = r#""order":{"referenceOrderId":"o1","orderDescription":"d","orderAmount":{"currency":"USD","value":"100"},"env":{"terminalType":"MINI_APP"}}"#;
    let cases: Vec<(&str, String, &str)> = vec![
        ("pay", format!(r#"{{"paymentAmount":{{"currency":"USD","value":"100"}},{ok_order},"paymentMethod":{{"paymentMethodType":"GCASH"}}}}"#), "paymentRequestId"),
        ("pay", format!(r#"{{"paymentRequestId":"p1","paymentAmount":{{"currency":"USD","value":"100"}},{ok_order},"paymentMethod":{{"paymentMethodType":"GCASH"}},"bogus":1}}"#), "bogus"),
        ("pay", r#"{"paymentRequestId":"p1","paymentAmount":{"currency":"USD","value":"100"},"order":{"referenceOrderId":"o1","orderDescription":"d","orderAmount":{"currency":"USD","value":"100"},"env":{"terminalType":"APP"}},"paymentMethod":{"paymentMethodType":"GCASH"}}"#.to_owned(), "order.env.osType"),
        ("pay", format!(r#"{{"paymentRequestId":"p1","paymentAmount":{{"currency":"IDR","value":"15050"}},{ok_order},"paymentMethod":{{"paymentMethodType":"DANA"}}}}"#), "paymentAmount.value"),
        ("pay", format!(r#"{{"paymentRequestId":"p1","paymentAmount":{{"currency":"USD","value":"abc"}},{ok_order},"paymentMethod":{{"paymentMethodType":"GCASH"}}}}"#), "paymentAmount.value"),
        ("pay", format!(r#"{{"paymentRequestId":"{}","paymentAmount":{{"currency":"USD","value":"100"}},{ok_order},"paymentMethod":{{"paymentMethodType":"GCASH"}}}}"#, "x".repeat(65)), "paymentRequestId"),
        ("inquiryPayment", "{}".to_owned(), "paymentRequestId"),
        ("refund", r#"{"refundRequestId":"r1","paymentId":"p","refundAmount":{"currency":"usd","value":"1"}}"#.to_owned(), "refundAmount.currency"),
        ("noSuchOp", "{}".to_owned(), "noSuchOp"),
    ];
    let mut failures = Vec::new();
    for (i, (op, params, field)) in cases.iter().enumerate() {
        let file = dir.join(format!("{i}.json"));
        std::fs::write(&file, params).unwrap();
        let (code, stdout, stderr) = payspec(&[
            "alipayplus",
            "sign",
            "--operation",
            op,
            "--params",
            &file.to_string_lossy(),
            "--client-id",
            "C",
            "--request-time",
            "2024-01-01T00:00:00Z",
            "--key",
            &key.to_string_lossy(),
        ]);
        if code != 2 || !stderr.contains(field) || stderr.lines().count() != 1 || !stdout.is_empty()
        {
            failures.push(format!("case {i} ({op}, {field}): exit {code}: {stderr:?}"));
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Notifications: the freshness window is enforced when `--now` is given.
#[test]
fn cli_notification_freshness() {
    let file: VectorFile<AlipayVerificationCase> = load("alipayplus/response-verification.json");
    let case = file
        .cases
        .iter()
        .find(|c| c.kind == "notification" && c.expect == Expect::Accept)
        .expect("a notification");
    let dir = std::env::temp_dir().join(format!("payspec-ap-fresh-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let body = dir.join("n.json");
    std::fs::write(&body, &case.body).unwrap();
    let key = vectors_dir().join(&case.public_key);
    let time = case.time.clone().unwrap();
    let at = parse_request_time(&time).unwrap();
    let fmt = |t: payspec_runtime::time::OffsetDateTime| {
        t.format(&payspec_runtime::time::format_description::well_known::Rfc3339)
            .unwrap()
    };
    for (now, want) in [
        (fmt(at + payspec_runtime::time::Duration::minutes(4)), 0),
        (fmt(at + payspec_runtime::time::Duration::minutes(6)), 1),
        (fmt(at - payspec_runtime::time::Duration::minutes(6)), 1),
    ] {
        let (code, stdout, _) = payspec(&[
            "alipayplus",
            "verify",
            "--kind",
            "notification",
            "--path",
            &case.path,
            "--client-id",
            &case.client_id,
            "--time",
            &time,
            "--body",
            &body.to_string_lossy(),
            "--signature-header",
            case.signature_header.as_deref().unwrap(),
            "--public-key",
            &key.to_string_lossy(),
            "--now",
            &now,
        ]);
        assert_eq!(code, want, "now {now}: {stdout}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
