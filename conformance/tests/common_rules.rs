//! Operations that depart from the common parameters (spec `common:`): Ksher's `merchant_info`
//! takes the merchant id as `appid` or `mch_appid` and does not require `time_stamp`;
//! `get_settlement_info` takes `mch_appid` too. Exactly the names given are signed, through the
//! typed request, the CLI's loose parameters and the mock.

use payspec_ksher::operations::{
    get_settlement_info::GetSettlementInfoRequest, merchant_info::MerchantInfoRequest,
    order_query::OrderQueryRequest,
};
use payspec_ksher::{Signer, ValidationError};
use payspec_runtime::{Backend, FixedClock, FixedNonce, PrivateKey};
use serde_json::json;

fn signer() -> Signer {
    let key = PrivateKey::generate(Backend::default(), 1024).expect("key");
    Signer::new("mch35005", key)
        .with_nonce_source(FixedNonce("n0nce".into()))
        .with_clock(FixedClock(
            payspec_runtime::time::OffsetDateTime::UNIX_EPOCH,
        ))
}

/// The signed string of `request` with the signer's common parameters changed by `edit`.
fn signed<O: payspec_ksher::Operation>(
    request: &O,
    edit: impl FnOnce(&mut payspec_ksher::CommonParams) -> Result<(), ValidationError>,
) -> Result<String, String> {
    let signer = signer();
    let mut common = signer.common_params();
    edit(&mut common).map_err(|e| e.to_string())?;
    signer
        .sign_with_common(request, common)
        .map(|s| s.form.string_to_sign)
        .map_err(|e| e.to_string())
}

#[test]
fn typed_requests_send_exactly_the_names_chosen() {
    let info = MerchantInfoRequest::new();
    let check = |got: Result<String, String>, want: Result<&str, &str>| match (&got, want) {
        (Ok(g), Ok(w)) => assert_eq!(g, w),
        (Err(g), Err(w)) => assert!(g.contains(w), "{g:?} does not contain {w:?}"),
        _ => panic!("got {got:?}, want {want:?}"),
    };
    // As every SDK sends it.
    check(
        signed(&info, |_| Ok(())),
        Ok("appid=mch35005nonce_str=n0ncetime_stamp=19700101000000"),
    );
    // merchant_info does not require time_stamp: left out, it is not signed.
    check(
        signed(&info, |c| {
            c.remove("time_stamp");
            Ok(())
        }),
        Ok("appid=mch35005nonce_str=n0nce"),
    );
    // The merchant id as `mch_appid` (D1's spelling): signed in its own sorted place.
    check(
        signed(&info, |c| {
            c.rename::<MerchantInfoRequest>("appid", "mch_appid")
        }),
        Ok("mch_appid=mch35005nonce_str=n0ncetime_stamp=19700101000000"),
    );
    check(
        signed(&GetSettlementInfoRequest::new("2024-03-01", "2024-03-31"), |c| {
            c.rename::<GetSettlementInfoRequest>("appid", "mch_appid")
        }),
        Ok("begin_date=2024-03-01end_date=2024-03-31mch_appid=mch35005nonce_str=n0ncetime_stamp=19700101000000"),
    );
    // Both names at once: one parameter sent twice.
    check(
        signed(&info, |c| {
            c.set_for::<MerchantInfoRequest>("mch_appid", "mch35005");
            Ok(())
        }),
        Err("sent together with `appid`"),
    );
    // Only the rule's own pair renames: not another parameter to an accepted name, nor the
    // rule's parameter to a name it does not accept.
    check(
        signed(&info, |c| {
            c.rename::<MerchantInfoRequest>("nonce_str", "mch_appid")
        }),
        Err("does not accept `nonce_str` under this name"),
    );
    check(
        signed(&info, |c| {
            c.rename::<MerchantInfoRequest>("appid", "merchant_id")
        }),
        Err("does not accept `appid` under this name"),
    );
    // Operations without the rule: no other name, and time_stamp stays required.
    let query = OrderQueryRequest::new().mch_order_no("A1");
    check(
        signed(&query, |c| {
            c.rename::<OrderQueryRequest>("appid", "mch_appid")
        }),
        Err("does not accept `appid` under this name"),
    );
    check(
        signed(&query, |c| {
            assert!(!c.set_for::<OrderQueryRequest>("mch_appid", "mch35005"));
            c.remove("time_stamp");
            Ok(())
        }),
        Err("time_stamp"),
    );
    // merchant_info still requires a merchant id under one of its names.
    check(
        signed(&info, |c| {
            c.remove("appid");
            Ok(())
        }),
        Err("appid"),
    );
}

/// The CLI's loose parameters: signed exactly as given, nothing added.
#[test]
fn loose_parameters_are_signed_exactly() {
    let key = PrivateKey::generate(Backend::default(), 1024).expect("key");
    let sign = |op: &str, params: serde_json::Value| {
        let map = params.as_object().expect("object").clone();
        payspec_conformance::ksher::sign_params(op, &map, &key)
            .map(|s| s.form.string_to_sign)
            .map_err(|e| e.to_string())
    };
    assert_eq!(
        sign(
            "merchant_info",
            json!({"mch_appid": "mch35005", "nonce_str": "abc"})
        )
        .unwrap(),
        "mch_appid=mch35005nonce_str=abc"
    );
    assert_eq!(
        sign(
            "merchant_info",
            json!({"appid": "mch35005", "nonce_str": "abc", "time_stamp": "20240101120000"})
        )
        .unwrap(),
        "appid=mch35005nonce_str=abctime_stamp=20240101120000"
    );
    // Nothing is added: an operation that requires time_stamp refuses a file without it.
    let missing = sign(
        "order_query",
        json!({"appid": "mch35005", "nonce_str": "abc", "mch_order_no": "A1"}),
    )
    .unwrap_err();
    assert!(missing.contains("time_stamp"), "{missing}");
    let twice = sign(
        "merchant_info",
        json!({"appid": "mch35005", "mch_appid": "mch35005", "nonce_str": "abc"}),
    )
    .unwrap_err();
    assert!(twice.contains("mch_appid"), "{twice}");
    let foreign = sign(
        "order_query",
        json!({"mch_appid": "mch35005", "nonce_str": "abc", "time_stamp": "20240101120000", "mch_order_no": "A1"}),
    )
    .unwrap_err();
    assert!(foreign.contains("mch_appid"), "{foreign}");
}

/// The common parameters' own checks: `validate` against the API, `validate_for` against one
/// operation (a name only another operation accepts is unknown here), and every error names the
/// parameter as it was sent, alias included.
#[test]
fn common_parameter_checks_name_what_was_sent() {
    let check = |got: Result<(), ValidationError>, want: Result<(), &str>| match (&got, want) {
        (Ok(()), Ok(())) => {}
        (Err(g), Err(w)) => assert_eq!(g.to_string(), w),
        _ => panic!("got {got:?}, want {want:?}"),
    };
    let sent = signer().common_params();
    check(sent.validate::<payspec_ksher::Api>(), Ok(()));
    check(
        payspec_ksher::CommonParams::default().validate::<payspec_ksher::Api>(),
        Err("3 rules broken: missing required parameter `appid`; missing required parameter `nonce_str`; missing required parameter `time_stamp`"),
    );
    let mut aliased = sent.clone();
    aliased
        .rename::<MerchantInfoRequest>("appid", "mch_appid")
        .expect("merchant_info accepts mch_appid");
    check(aliased.validate_for::<MerchantInfoRequest>(), Ok(()));
    check(
        aliased.validate_for::<OrderQueryRequest>(),
        Err("2 rules broken: unknown parameter `mch_appid` for operation `order_query`; missing required parameter `appid`"),
    );
    assert!(aliased.set_for::<MerchantInfoRequest>("mch_appid", &"9".repeat(33)));
    check(
        aliased.validate_for::<MerchantInfoRequest>(),
        Err("parameter `mch_appid` is 33 characters long, at most 32 allowed"),
    );
}

/// A signer's `Debug` shows its key's backend and size, never key material or parameters.
#[test]
fn signer_debug_shows_the_key_summary_only() {
    let signer = signer();
    let backend = Backend::default().name();
    assert_eq!(
        format!("{signer:?}"),
        format!("Signer {{ key: PrivateKey {{ backend: {backend:?}, bits: 1024, .. }}, .. }}")
    );
}

/// Configured common parameters: `with_common_param` adds or replaces one and keeps the
/// merchant id; a name that is not a common parameter of the API is refused when signing.
#[test]
fn configured_common_parameters() {
    let versioned = signer()
        .with_common_param("version", "3.0.0")
        .with_common_param("version", "3.0.1");
    let common = versioned.common_params();
    assert_eq!(common.get("appid"), Some("mch35005"));
    assert_eq!(common.get("version"), Some("3.0.1"));
    let query = OrderQueryRequest::new().mch_order_no("A1");
    assert_eq!(
        versioned.sign(&query).expect("signs").form.string_to_sign,
        "appid=mch35005mch_order_no=A1nonce_str=n0ncetime_stamp=19700101000000version=3.0.1"
    );
    let err = signer()
        .with_common_param("channel", "wechat")
        .sign(&query)
        .expect_err("not a common parameter");
    assert_eq!(
        err.to_string(),
        "unknown parameter `channel` for operation `order_query`"
    );
}

/// A verifier's `Debug` lists its keys by backend and size.
#[test]
fn verifier_debug_lists_key_summaries() {
    let key = PrivateKey::generate(Backend::default(), 1024).expect("key");
    let verifier = payspec_ksher::Verifier::new(key.public_key()).with_key(key.public_key());
    let one = format!(
        "PublicKey {{ backend: {:?}, bits: 1024, .. }}",
        Backend::default().name()
    );
    assert_eq!(
        format!("{verifier:?}"),
        format!("Verifier {{ keys: [{one}, {one}] }}")
    );
}
