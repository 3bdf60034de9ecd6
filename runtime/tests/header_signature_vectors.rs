//! Golden vectors of the `alipayplus-rsa256` (header-rsa) scheme, run through every compiled RSA
//! backend, plus the notification freshness window and key rotation.

use std::path::PathBuf;

use payspec_runtime::header_signature::{
    content_to_sign, parse_request_time, parse_signature_header, sign, verify_notification,
    verify_response, HeaderVerifyError, NotificationCheck, ResponseCheck, ResponseVerdict,
    UnsignedAllowance, DEFAULT_NOTIFICATION_TOLERANCE,
};
use payspec_runtime::{Backend, PrivateKey, PublicKey};
use serde_json::Value;
use time::{Duration, OffsetDateTime};

const ALIPAYPLUS_UNSIGNED: UnsignedAllowance<'static> = UnsignedAllowance {
    status_path: &["result", "resultStatus"],
    allowed: &["F", "U"],
};

fn vectors_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../conformance/vectors")
}

fn read(relative: &str) -> String {
    let path = vectors_dir().join(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

fn cases(file: &str) -> Vec<Value> {
    let doc: Value = serde_json::from_str(&read(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
    assert_eq!(doc["scheme"], "alipayplus-rsa256", "{file}: scheme");
    let cases = doc["cases"]
        .as_array()
        .unwrap_or_else(|| panic!("{file}: no cases"))
        .clone();
    assert!(!cases.is_empty(), "{file}: no cases");
    cases
}

fn text<'a>(case: &'a Value, field: &str) -> &'a str {
    case[field]
        .as_str()
        .unwrap_or_else(|| panic!("case {}: `{field}` is not a string", case["id"]))
}

fn opt_text<'a>(case: &'a Value, field: &str) -> Option<&'a str> {
    match &case[field] {
        Value::Null => None,
        Value::String(s) => Some(s),
        other => panic!("case {}: `{field}` is {other}", case["id"]),
    }
}

fn private_key(backend: Backend, file: &str) -> PrivateKey {
    PrivateKey::from_pem_with(backend, &read(file))
        .unwrap_or_else(|e| panic!("{}: cannot load {file}: {e}", backend.name()))
}

fn public_key(backend: Backend, file: &str) -> PublicKey {
    PublicKey::from_pem_with(backend, &read(file))
        .unwrap_or_else(|e| panic!("{}: cannot load {file}: {e}", backend.name()))
}

/// Signs one request-signing case and compares every output byte for byte.
fn check_signing(backend: Backend, case: &Value) -> Vec<String> {
    let id = text(case, "id");
    let key = private_key(backend, text(case, "private_key"));
    let expected_header = text(case, "signature_header");
    let key_version: u32 = parse_signature_header(expected_header)
        .ok()
        .and_then(|h| h.key_version)
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("{id}: expected header has no numeric keyVersion"));
    let (method, path, client_id, time, body) = (
        text(case, "method"),
        text(case, "path"),
        text(case, "client_id"),
        text(case, "request_time"),
        text(case, "body"),
    );
    let mut failures = Vec::new();
    let mut expect_eq = |what: &str, got: &[u8], want: &str| {
        if got != want.as_bytes() {
            failures.push(format!(
                "{}/{id}: {what} differs:\n  got  {:?}\n  want {want:?}",
                backend.name(),
                String::from_utf8_lossy(got)
            ));
        }
    };
    let content = content_to_sign(method, path, client_id, time, body.as_bytes());
    expect_eq("content_to_sign", &content, text(case, "content_to_sign"));
    match sign(
        &key,
        method,
        path,
        client_id,
        time,
        body.as_bytes(),
        key_version,
    ) {
        Ok(signed) => {
            expect_eq(
                "SignedHeaders::content_to_sign",
                signed.content_to_sign.as_bytes(),
                text(case, "content_to_sign"),
            );
            expect_eq(
                "signature_base64",
                signed.signature_base64.as_bytes(),
                text(case, "signature_base64"),
            );
            expect_eq(
                "signature_urlencoded",
                signed.signature_urlencoded.as_bytes(),
                text(case, "signature_urlencoded"),
            );
            expect_eq("header", signed.header.as_bytes(), expected_header);
        }
        Err(e) => failures.push(format!("{}/{id}: signing failed: {e}", backend.name())),
    }
    failures
}

#[test]
fn request_signing_vectors() {
    let cases = cases("alipayplus/request-signing.json");
    let mut failures = Vec::new();
    for &backend in Backend::ALL {
        for case in &cases {
            failures.extend(check_signing(backend, case));
        }
    }
    assert!(
        failures.is_empty(),
        "{} failure(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Runs one response-verification case and returns a failure description, if any.
fn check_verification(backend: Backend, case: &Value) -> Option<String> {
    let id = text(case, "id");
    let key = public_key(backend, text(case, "public_key"));
    let time = opt_text(case, "time");
    let signature_header = opt_text(case, "signature_header");
    let body = text(case, "body").as_bytes();
    let expect_accept = match text(case, "expect") {
        "accept" => true,
        "reject" => false,
        other => panic!("{id}: unknown expect {other:?}"),
    };
    let (method, path, client_id) = (
        text(case, "method"),
        text(case, "path"),
        text(case, "client_id"),
    );
    let keys = std::slice::from_ref(&key);

    let outcome: Result<String, HeaderVerifyError> = match text(case, "kind") {
        "response" => verify_response(
            &ResponseCheck {
                method,
                path,
                client_id,
                response_time: time,
                signature_header,
                body,
                unsigned_allowance: Some(ALIPAYPLUS_UNSIGNED),
            },
            keys,
        )
        .map(|verdict| {
            let unsigned_input = time.is_none() && signature_header.is_none();
            match (verdict.into_inner(), unsigned_input) {
                (ResponseVerdict::Signed(m), false)
                    if m.body == body && Some(m.time.as_str()) == time =>
                {
                    "signed".to_owned()
                }
                (ResponseVerdict::UnsignedNonSuccess(u), true) if u.body == body => {
                    format!("unsigned {}", u.status)
                }
                (other, _) => format!("WRONG VERDICT {other:?}"),
            }
        }),
        "notification" => {
            // The vectors carry old fixed timestamps: check them "at" their own request time.
            // An absent or unreadable time cannot be placed; any instant does then (the
            // notification must be rejected anyway, or the failure below names the time).
            let now = time
                .and_then(|t| parse_request_time(t).ok())
                .unwrap_or(OffsetDateTime::UNIX_EPOCH);
            verify_notification(
                &NotificationCheck {
                    method,
                    path,
                    client_id,
                    request_time: time,
                    signature_header,
                    body,
                },
                keys,
                now,
                DEFAULT_NOTIFICATION_TOLERANCE,
            )
            .map(|m| {
                if m.body == body && Some(m.time.as_str()) == time {
                    "signed".to_owned()
                } else {
                    format!("WRONG MESSAGE {m:?}")
                }
            })
        }
        other => panic!("{id}: unknown kind {other:?}"),
    };
    match (&outcome, expect_accept) {
        (Ok(how), true) if !how.starts_with("WRONG") => None,
        (Err(_), false) => None,
        _ => Some(format!(
            "{}/{id}: expected {}, got {outcome:?}",
            backend.name(),
            text(case, "expect")
        )),
    }
}

#[test]
fn response_verification_vectors() {
    let cases = cases("alipayplus/response-verification.json");
    let mut failures = Vec::new();
    let mut checked = 0;
    for &backend in Backend::ALL {
        for case in &cases {
            failures.extend(check_verification(backend, case));
            checked += 1;
        }
    }
    assert_eq!(checked, cases.len() * Backend::ALL.len());
    assert!(
        failures.is_empty(),
        "{} failure(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
}

// ------------------------------------------------------------------------------------------------
// Own cases: freshness window, key rotation, round trip
// ------------------------------------------------------------------------------------------------

const GATEWAY_KEY: &str = "keys/alipayplus-gateway-mock-2048.pkcs8.pem";
const GATEWAY_PUB: &str = "keys/alipayplus-gateway-mock-2048.pub.pem";
const MERCHANT_PUB: &str = "keys/alipayplus-merchant-2048.pub.pem";
const NOTIFY_PATH: &str = "/acqp/alipayplus/notifyPayment";
const CLIENT_ID: &str = "SANDBOX_TEST";
const BODY: &[u8] = br#"{"paymentResult":{"resultStatus":"S"},"paymentId":"1"}"#;

/// Signs a notification with the mock gateway key and verifies it at `now` with `tolerance`.
fn check_notification(
    backend: Backend,
    request_time: &str,
    now: OffsetDateTime,
    tolerance: Duration,
) -> Result<(), HeaderVerifyError> {
    let signed = sign(
        &private_key(backend, GATEWAY_KEY),
        "POST",
        NOTIFY_PATH,
        CLIENT_ID,
        request_time,
        BODY,
        1,
    )
    .expect("signing with a test key works");
    verify_notification(
        &NotificationCheck {
            method: "POST",
            path: NOTIFY_PATH,
            client_id: CLIENT_ID,
            request_time: Some(request_time),
            signature_header: Some(&signed.header),
            body: BODY,
        },
        &[public_key(backend, GATEWAY_PUB)],
        now,
        tolerance,
    )
    .map(|_| ())
}

#[test]
fn notification_freshness_window() {
    let sent = time::macros::datetime!(2024-03-15 10:01:31 +8);
    let second = Duration::seconds(1);
    let five = DEFAULT_NOTIFICATION_TOLERANCE;
    assert_eq!(five, Duration::minutes(5));
    for &backend in Backend::ALL {
        for time in [
            "2024-03-15T10:01:31+08:00",
            "2024-03-15T02:01:31.0000000Z",
            "1710468091000",
        ] {
            // Inside the window (boundaries included), in both directions.
            for now in [
                sent,
                sent + five,
                sent - five,
                sent + five - second,
                sent - five + second,
            ] {
                assert_eq!(
                    check_notification(backend, time, now, five),
                    Ok(()),
                    "{time} at {now}"
                );
            }
            // Outside the window.
            for (now, skew) in [
                (sent + five + second, 301),
                (sent - five - second, -301),
                (sent + Duration::days(400), 400 * 86400),
            ] {
                assert_eq!(
                    check_notification(backend, time, now, five),
                    Err(HeaderVerifyError::StaleTimestamp {
                        skew_seconds: skew,
                        tolerance_seconds: 300
                    }),
                    "{time} at {now}"
                );
            }
            // A custom tolerance.
            let now = sent + Duration::minutes(20);
            assert_eq!(
                check_notification(backend, time, now, Duration::minutes(30)),
                Ok(())
            );
            assert!(check_notification(backend, time, now, Duration::minutes(10)).is_err());
        }
        // A validly signed but unreadable time is rejected after the signature check.
        for time in ["yesterday", "2024-03-15T10:01:31", "2024-03-15 10:01", ""] {
            match check_notification(backend, time, sent, five) {
                Err(HeaderVerifyError::UnparseableTime(e)) => {
                    assert!(e.to_string().contains("ISO-8601"), "{e}")
                }
                other => panic!("{time:?}: expected UnparseableTime, got {other:?}"),
            }
        }
    }
}

#[test]
fn unsigned_and_incomplete_notifications_are_rejected() {
    for &backend in Backend::ALL {
        let keys = [public_key(backend, GATEWAY_PUB)];
        let now = OffsetDateTime::UNIX_EPOCH;
        let check = |request_time, signature_header, body| {
            verify_notification(
                &NotificationCheck {
                    method: "POST",
                    path: NOTIFY_PATH,
                    client_id: CLIENT_ID,
                    request_time,
                    signature_header,
                    body,
                },
                &keys,
                now,
                DEFAULT_NOTIFICATION_TOLERANCE,
            )
        };
        let failure = br#"{"result":{"resultStatus":"F"}}"#;
        assert_eq!(
            check(None, None, failure),
            Err(HeaderVerifyError::MissingHeaders {
                kind: "notification"
            })
        );
        assert!(matches!(
            check(Some("0"), None, failure),
            Err(HeaderVerifyError::IncompleteHeaders {
                present: "time",
                ..
            })
        ));
        assert!(matches!(
            check(None, Some("signature=AA=="), failure),
            Err(HeaderVerifyError::IncompleteHeaders {
                present: "signature",
                ..
            })
        ));
    }
}

#[test]
fn key_rotation_and_error_reasons() {
    for &backend in Backend::ALL {
        let signed = sign(
            &private_key(backend, GATEWAY_KEY),
            "POST",
            "/p",
            CLIENT_ID,
            "1",
            BODY,
            3,
        )
        .expect("signing with a test key works");
        assert!(signed
            .header
            .starts_with("algorithm=RSA256,keyVersion=3,signature="));
        let gateway = public_key(backend, GATEWAY_PUB);
        let merchant = public_key(backend, MERCHANT_PUB);
        let check = |header: &str, keys: &[PublicKey]| {
            verify_response(
                &ResponseCheck {
                    method: "POST",
                    path: "/p",
                    client_id: CLIENT_ID,
                    response_time: Some("1"),
                    signature_header: Some(header),
                    body: BODY,
                    unsigned_allowance: Some(ALIPAYPLUS_UNSIGNED),
                },
                keys,
            )
            .map(|v| v.into_inner())
        };
        // Any configured key may verify; the verdict says which one did.
        for (keys, index) in [
            (vec![gateway.clone()], 0),
            (vec![merchant.clone(), gateway.clone()], 1),
        ] {
            match check(&signed.header, &keys) {
                Ok(ResponseVerdict::Signed(m)) => {
                    assert_eq!(m.key_index, index);
                    assert_eq!(m.key_version.as_deref(), Some("3"));
                    assert_eq!(m.body, BODY);
                }
                other => panic!("expected a signed verdict, got {other:?}"),
            }
        }
        assert_eq!(
            check(&signed.header, std::slice::from_ref(&merchant)),
            Err(HeaderVerifyError::BadSignature {
                length: 256,
                keys: 1
            })
        );
        assert_eq!(check(&signed.header, &[]), Err(HeaderVerifyError::NoKeys));
        let ecc = signed.header.replace("RSA256", "ECC224");
        let err = check(&ecc, std::slice::from_ref(&gateway)).unwrap_err();
        assert!(err.to_string().contains("ECC224"), "{err}");
        // Errors never carry key material (the Debug of keys shows backend and size only).
        assert!(!format!("{gateway:?}").contains("MII"));

        // A signature-less response with a success status is not trusted.
        let unsigned = |body: &[u8], allowance| {
            verify_response(
                &ResponseCheck {
                    method: "POST",
                    path: "/p",
                    client_id: CLIENT_ID,
                    response_time: None,
                    signature_header: None,
                    body,
                    unsigned_allowance: allowance,
                },
                std::slice::from_ref(&gateway),
            )
            .map(|v| v.into_inner())
        };
        let failure = br#"{"result":{"resultStatus":"F"}}"#;
        assert!(
            matches!(unsigned(failure, Some(ALIPAYPLUS_UNSIGNED)), Ok(ResponseVerdict::UnsignedNonSuccess(u)) if u.status == "F")
        );
        assert_eq!(
            unsigned(failure, None),
            Err(HeaderVerifyError::MissingHeaders { kind: "response" })
        );
        assert!(matches!(
            unsigned(
                br#"{"result":{"resultStatus":"S"}}"#,
                Some(ALIPAYPLUS_UNSIGNED)
            ),
            Err(HeaderVerifyError::UnsignedSuccess { .. })
        ));
        assert!(matches!(
            unsigned(b"<html>", Some(ALIPAYPLUS_UNSIGNED)),
            Err(HeaderVerifyError::UnsignedUnreadable { .. })
        ));
        // Another API's status field.
        let other = UnsignedAllowance {
            status_path: &["status"],
            allowed: &["FAIL"],
        };
        assert!(unsigned(br#"{"status":"FAIL"}"#, Some(other)).is_ok());
        assert!(unsigned(failure, Some(other)).is_err());
    }
}
