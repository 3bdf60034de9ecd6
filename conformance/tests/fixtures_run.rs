//! The fixture crates run, not only compile: each signs and verifies through its generated code
//! the messages of `conformance/fixtures/vectors.json`, whose expected bytes were made from the
//! normative rules with the OpenSSL command line (`scripts/make-fixture-vectors.py`), not by the
//! code under test. This exercises what only the fixture specs have: SHA-256 sorted params, a
//! clock-sourced `yyyyMMddHHmmss` time, signed subsets, epoch-millisecond request times, key
//! version 2, a 120-second notification tolerance, ISO 8601 times with nested objects, open
//! enums and outcome labels.

use payspec_runtime::time::{Duration, OffsetDateTime};
use payspec_runtime::{FixedClock, FixedNonce, Outcome, PrivateKey, PublicKey};
use serde_json::Value;

fn vectors() -> Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/vectors.json");
    serde_json::from_str(&std::fs::read_to_string(&path).expect("fixtures/vectors.json"))
        .expect("JSON")
}

fn text<'a>(v: &'a Value, path: &[&str]) -> &'a str {
    path.iter()
        .fold(v, |v, k| &v[*k])
        .as_str()
        .unwrap_or_else(|| panic!("{path:?} is not a string"))
}

fn private(name: &str) -> PrivateKey {
    let path = payspec_conformance::vectors_dir().join("keys").join(name);
    PrivateKey::from_pem(&std::fs::read_to_string(path).expect("key")).expect("key loads")
}

fn public(name: &str) -> PublicKey {
    let path = payspec_conformance::vectors_dir().join("keys").join(name);
    PublicKey::from_pem(&std::fs::read_to_string(path).expect("key")).expect("key loads")
}

#[test]
fn enums_sign_md5_with_config_and_nonce_and_label_outcomes() {
    use payspec_fixtureenums::operations::pay::PayRequest;
    use payspec_fixtureenums::types::{Layout, Status, Wallet};
    let v = &vectors()["enums"];
    let signer =
        payspec_fixtureenums::Signer::new("mch1", private("ksher-merchant-1024.pkcs1.pem"))
            .with_nonce_source(FixedNonce("n1".into()));
    let request = PayRequest::new(Wallet::AlphaPay).layout(Layout::Pc);
    let signed = signer.sign(&request).expect("signs");
    assert_eq!(signed.form.string_to_sign, text(v, &["string_to_sign"]));
    assert_eq!(signed.form.sign, text(v, &["sign"]));
    let verifier = payspec_fixtureenums::Verifier::new(public("ksher-gateway-mock-1024.pub.pem"));
    let answer = verifier
        .verify_response::<PayRequest>(text(v, &["response"]).as_bytes())
        .expect("verifies")
        .into_inner();
    assert_eq!(answer.data.status, Some(Status::Ok));
    assert_eq!(
        answer.data.status.map(|s| s.outcome()),
        Some(Outcome::Success)
    );
    assert_eq!(answer.data.wallet, Some(Wallet::Beta));
    let tampered = text(v, &["response"]).replace("\"beta\"", "\"alpha_pay\"");
    assert!(verifier
        .verify_response::<PayRequest>(tampered.as_bytes())
        .is_err());
}

#[test]
fn groups_sign_sha256_with_a_clock_time_stamp() {
    use payspec_fixturegroups::operations::query::QueryRequest;
    use payspec_fixturegroups::types::Kind;
    let v = &vectors()["groups"];
    let signer =
        payspec_fixturegroups::Signer::new("mch1", private("ksher-merchant-1024.pkcs1.pem"))
            .with_clock(FixedClock(
                OffsetDateTime::from_unix_timestamp(1_704_110_400).expect("time"),
            ));
    let request = QueryRequest::new()
        .order_no("O1")
        .kind(Kind::Bank)
        .bank_code("B1")
        .amount(100);
    let signed = signer.sign(&request).expect("signs");
    assert_eq!(signed.form.string_to_sign, text(v, &["string_to_sign"]));
    assert_eq!(signed.form.sign, text(v, &["sign"]));
}

#[test]
fn subsets_verify_only_the_signed_members() {
    use payspec_fixturesubsets::operations::info::InfoRequest;
    let v = &vectors()["subsets"];
    let verifier = payspec_fixturesubsets::Verifier::new(public("ksher-gateway-mock-1024.pub.pem"));
    let body = text(v, &["response"]);
    let answer = verifier
        .verify_response::<InfoRequest>(body.as_bytes())
        .expect("verifies")
        .into_inner();
    assert_eq!(answer.data.mobile.as_deref(), Some("0812"));
    // Outside the signed subset a change still verifies; inside it does not.
    let unsigned_change = body.replace("\"fee\":1", "\"fee\":2");
    assert!(verifier
        .verify_response::<InfoRequest>(unsigned_change.as_bytes())
        .is_ok());
    let signed_change = body.replace("\"0812\"", "\"0813\"");
    assert!(verifier
        .verify_response::<InfoRequest>(signed_change.as_bytes())
        .is_err());
    assert_eq!(
        payspec_runtime::sorted_params::data_string_to_verify(
            body.as_bytes(),
            payspec_runtime::scheme::sorted_params::signed_fields::<payspec_fixturesubsets::Api>(
                "info"
            )
            .expect("known operation")
        )
        .as_deref(),
        Ok(text(v, &["string_to_verify"]))
    );
}

#[test]
fn headers_sign_epoch_ms_with_key_version_2_and_a_120_second_tolerance() {
    use payspec_fixtureheaders::types::{PingRequest, State};
    let v = &vectors()["headers"];
    let signer =
        payspec_fixtureheaders::Signer::new("C1", private("alipayplus-merchant-2048.pkcs8.pem"))
            .with_clock(FixedClock(
                OffsetDateTime::from_unix_timestamp(1_704_067_200).expect("time"),
            ));
    let request = PingRequest::new("p-1");
    let signed = signer.sign(&request).expect("signs");
    assert_eq!(signed.request_time, text(v, &["request_time"]));
    assert_eq!(String::from_utf8_lossy(&signed.body), text(v, &["body"]));
    assert_eq!(
        signed.signature.content_to_sign,
        text(v, &["content_to_sign"])
    );
    assert_eq!(signed.signature.header, text(v, &["header"]));

    let n = &v["notification"];
    let verifier =
        payspec_fixtureheaders::Verifier::new("C1", public("alipayplus-gateway-mock-2048.pub.pem"));
    let sent = OffsetDateTime::from_unix_timestamp(1_704_067_200).expect("time");
    let verify = |now: OffsetDateTime| {
        payspec_fixtureheaders::VerifyNotifications::verify_pushed(
            &verifier,
            text(n, &["path"]),
            Some(text(n, &["request_time"])),
            Some(text(n, &["header"])),
            text(n, &["body"]).as_bytes(),
            now,
        )
    };
    let accepted = verify(sent + Duration::seconds(119)).expect("within 120 s");
    let state = accepted.into_inner().data.outcome.and_then(|o| o.state);
    assert_eq!(state, Some(State::Done));
    assert_eq!(state.map(|s| s.outcome()), Some(Outcome::Success));
    let stale = verify(sent + Duration::seconds(121)).unwrap_err();
    assert!(stale.to_string().contains("stale"), "{stale}");
}

#[test]
fn nested_sign_iso_times_with_nested_objects_as_strings() {
    use payspec_fixturenested::types::{Money, OrderRequest};
    let v = &vectors()["nested"];
    let signer =
        payspec_fixturenested::Signer::new("C1", private("alipayplus-merchant-2048.pkcs8.pem"));
    let request = OrderRequest::new("O1", Money::new("USD", 100));
    let signed = signer
        .sign_at(&request, text(v, &["request_time"]))
        .expect("signs");
    assert_eq!(String::from_utf8_lossy(&signed.body), text(v, &["body"]));
    assert_eq!(
        signed.signature.content_to_sign,
        text(v, &["content_to_sign"])
    );
    assert_eq!(signed.signature.header, text(v, &["header"]));
}
