//! The `payspec` CLI on the Ksher vectors and on bad input: signing, verification, exit codes.

mod support;
use support::payspec;

use std::path::Path;

use payspec_conformance::reasons;
use payspec_conformance::testkit::{load, Report};
use payspec_conformance::vectors::{Expect, KsherSigningCase, KsherVerificationCase, VectorFile};
use payspec_conformance::vectors_dir;

fn path_str(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

#[test]
fn vectors_through_cli() {
    let dir = std::env::temp_dir().join(format!("payspec-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut report = Report::default();
    let signing: VectorFile<KsherSigningCase> = load("ksher/request-signing.json");
    let mut total = 0;
    for case in signing.cases.iter().filter(|c| c.operation.is_some()) {
        total += 1;
        let params = dir.join(format!("{}.json", case.id));
        std::fs::write(&params, serde_json::to_string(&case.params).unwrap()).unwrap();
        let key = vectors_dir().join(&case.private_key);
        let (code, stdout, stderr) = payspec(&[
            "ksher",
            "sign",
            "--operation",
            case.operation.as_deref().unwrap(),
            "--params",
            &path_str(&params),
            "--key",
            &path_str(&key),
        ]);
        if code != 0 {
            report.0.push(format!("{}: exit {code}: {stderr}", case.id));
            continue;
        }
        let out: serde_json::Value = serde_json::from_str(&stdout).expect("JSON output");
        report.check(
            &case.id,
            "string_to_sign",
            out["string_to_sign"].as_str().unwrap_or("").to_owned(),
            &case.string_to_sign,
        );
        report.check(
            &case.id,
            "sign",
            out["sign"].as_str().unwrap_or("").to_owned(),
            &case.sign,
        );
    }
    let mut verification: Vec<KsherVerificationCase> =
        load::<KsherVerificationCase>("ksher/response-verification.json").cases;
    verification.extend(load::<KsherVerificationCase>("ksher/envelope-negatives.json").cases);
    for case in &verification {
        total += 1;
        let body = dir.join(format!("{}.body", case.id));
        std::fs::write(&body, &case.body).unwrap();
        let key = vectors_dir().join(&case.public_key);
        let (code, stdout, _) = payspec(&[
            "ksher",
            "verify",
            "--operation",
            &case.operation,
            "--body",
            &path_str(&body),
            "--public-key",
            &path_str(&key),
        ]);
        let ok = match case.expect {
            Expect::Accept => code == 0 && stdout.trim() == "valid",
            // `invalid: <reason>` names the reason the case's flags call for.
            Expect::Reject => {
                code == 1
                    && stdout.starts_with("invalid: ")
                    && reasons::expected(reasons::KSHER_FLAG_REASONS, &case.flags)
                        .is_some_and(|r| stdout.contains(r.phrase()))
            }
        };
        if !ok {
            report.0.push(format!(
                "{}: expected {:?}, exit {code}, stdout {stdout:?}",
                case.id, case.expect
            ));
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    report.finish(total);
}

/// The CLI's input errors: exit 2 and one stderr line naming the problem.
#[test]
fn cli_rejects_bad_input_naming_the_parameter() {
    let dir = std::env::temp_dir().join(format!("payspec-cli-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let key = path_str(&vectors_dir().join("keys/ksher-merchant-1024.pkcs1.pem"));
    let base = r#""appid":"mch1","mch_order_no":"A1","total_fee":100,"fee_type":"THB","channel":"promptpay""#;
    let cases: &[(&str, &str, &str)] = &[
        (
            "native_pay",
            &format!("{{{base},\"bogus\":\"x\"}}"),
            "bogus",
        ),
        (
            "native_pay",
            r#"{"appid":"mch1","total_fee":100,"fee_type":"THB","channel":"promptpay"}"#,
            "mch_order_no",
        ),
        (
            "native_pay",
            &format!("{{{base},\"notify_url\":\"not a url\"}}"),
            "notify_url",
        ),
        (
            "native_pay",
            &format!("{{{base},\"mch_order_no\":\"{}\"}}", "x".repeat(33)),
            "mch_order_no",
        ),
        (
            "native_pay",
            r#"{"appid":"mch1","mch_order_no":"A1","total_fee":"1.5","fee_type":"THB","channel":"promptpay"}"#,
            "total_fee",
        ),
        ("order_query", r#"{"appid":"mch1"}"#, "mch_order_no"),
        (
            "gateway_pay",
            r#"{"appid":"mch1","mch_order_no":"A","total_fee":1,"fee_type":"THB","channel_list":"card","mch_code":"A","mch_redirect_url":"https://a.example","mch_redirect_url_fail":"https://a.example","product_name":"p","refer_url":"https://a.example","device":"TV"}"#,
            "device",
        ),
        ("no_such_op", r#"{"appid":"mch1"}"#, "no_such_op"),
        (
            "native_pay",
            r#"{"appid":"mch1","mch_order_no":"A1","total_fee":100,"fee_type":"THB","channel":"promptpay","attach":{"x":1}}"#,
            "attach",
        ),
        // Issue 9, defect 6: a duplicate member used to keep its last value silently.
        (
            "native_pay",
            &format!("{{{base},\"mch_order_no\":\"A2\"}}"),
            "member `mch_order_no` occurs twice",
        ),
        (
            "native_pay",
            &format!("{{{base},\"time_stamp\":\"not a time\"}}"),
            "time_stamp",
        ),
        (
            "order_refund",
            r#"{"appid":"mch1","mch_order_no":"A1","mch_refund_no":"R1","total_fee":100,"refund_fee":101,"fee_type":"THB"}"#,
            "`refund_fee` is invalid: 101 is greater than `total_fee` (100)",
        ),
    ];
    let mut report = Report::default();
    for (i, (op, params, name)) in cases.iter().enumerate() {
        let file = dir.join(format!("{i}.json"));
        std::fs::write(&file, params).unwrap();
        let (code, stdout, stderr) = payspec(&[
            "ksher",
            "sign",
            "--operation",
            op,
            "--params",
            &path_str(&file),
            "--key",
            &key,
        ]);
        let lines = stderr.lines().count();
        if code != 2 || !stderr.contains(name) || lines != 1 || !stdout.is_empty() {
            report.0.push(format!(
                "case {i} ({op}, {name}): exit {code}, {lines} stderr lines: {stderr:?}"
            ));
        }
    }
    // Unreadable inputs.
    let (code, _, stderr) = payspec(&[
        "ksher",
        "verify",
        "--operation",
        "quick_pay",
        "--body",
        "/nonexistent/body",
    ]);
    if code != 2 || !stderr.contains("cannot read body") {
        report
            .0
            .push(format!("missing body file: exit {code}, {stderr:?}"));
    }
    let (code, _, stderr) = payspec(&[
        "ksher",
        "sign",
        "--operation",
        "quick_pay",
        "--params",
        "/nonexistent.json",
        "--key",
        &key,
    ]);
    if code != 2 || !stderr.contains("cannot read params file") {
        report
            .0
            .push(format!("missing params file: exit {code}, {stderr:?}"));
    }
    let _ = std::fs::remove_dir_all(&dir);
    report.finish(cases.len() + 2);
}

/// Issue 9, defects 2 and 6: `payspec ksher verify` exits 2 for input that is not a gateway
/// document at all and for an unsafe key, 1 for a well-formed document that does not verify.
#[test]
fn cli_verify_exit_codes_separate_malformed_input_from_bad_signatures() {
    let dir = std::env::temp_dir().join(format!("payspec-cli-verify-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let real = r#"{"code":0,"data":{"appid":"mch35005","result":"SUCCESS","total_fee":100},"msg":"ok","sign":"00ff"}"#;
    let deep = format!(
        r#"{{"code":0,"data":{{"x":{}1{}}}}}"#,
        "[".repeat(50_000),
        "]".repeat(50_000)
    );
    /// (what, body, public key file, exit code, text the output must contain)
    type Case<'a> = (&'a str, Vec<u8>, Option<&'a str>, i32, &'a str);
    let cases: Vec<Case> = vec![
        ("garbage", b"hello".to_vec(), None, 2, "malformed body"),
        (
            "not utf-8",
            vec![0xff, 0xfe, b'{'],
            None,
            2,
            "malformed body",
        ),
        (
            "truncated",
            real.as_bytes()[..40].to_vec(),
            None,
            2,
            "malformed body",
        ),
        (
            "too deep",
            deep.into_bytes(),
            None,
            2,
            "more than 32 levels deep",
        ),
        (
            "bad signature",
            real.as_bytes().to_vec(),
            None,
            1,
            "invalid:",
        ),
        (
            "error envelope",
            br#"{"code":1001,"msg":"bad sign"}"#.to_vec(),
            None,
            1,
            "invalid:",
        ),
        (
            "unsafe key (e = 1)",
            real.as_bytes().to_vec(),
            Some("keys/weak/e1.pub.pem"),
            2,
            "unsafe RSA key",
        ),
        (
            "two keys in one file",
            real.as_bytes().to_vec(),
            Some("keys/weak/two-blocks.pub.pem"),
            2,
            "exactly one PEM block",
        ),
    ];
    let mut report = Report::default();
    for (i, (what, body, key, want_code, want_text)) in cases.iter().enumerate() {
        let file = dir.join(format!("{i}.json"));
        std::fs::write(&file, body).unwrap();
        let file = path_str(&file);
        let key_path = key.map(|k| path_str(&vectors_dir().join(k)));
        let mut args = vec![
            "ksher",
            "verify",
            "--operation",
            "order_query",
            "--body",
            file.as_str(),
        ];
        if let Some(k) = &key_path {
            args.extend(["--public-key", k.as_str()]);
        }
        let (code, stdout, stderr) = payspec(&args);
        // Exit 2: one line on stderr. Exit 1: the verdict `invalid: <reason>` on stdout.
        let (shown, other) = if *want_code == 2 {
            (&stderr, &stdout)
        } else {
            (&stdout, &stderr)
        };
        if code != *want_code
            || !shown.contains(want_text)
            || shown.lines().count() != 1
            || !other.is_empty()
        {
            report.0.push(format!(
                "{what}: exit {code} (want {want_code}), stdout {stdout:?}, stderr {stderr:?}"
            ));
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    report.finish(cases.len());
}
