//! `payspec_macros::api!` expands to the same API as the committed generated crates: the same
//! names, and the same signatures on the signing vectors.

use payspec_runtime::{FixedClock, FixedNonce, PrivateKey};

mod ksher {
    payspec_macros::api!("../spec/ksher.yaml");
}

mod alipayplus {
    payspec_macros::api!("../spec/alipayplus.yaml");
}

fn key(name: &str) -> PrivateKey {
    let path = format!(
        "{}/../conformance/vectors/keys/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    PrivateKey::from_pem(&std::fs::read_to_string(path).expect("key file")).expect("key")
}

#[test]
fn the_macro_signs_like_the_generated_ksher_crate() {
    let time =
        payspec_runtime::time::OffsetDateTime::from_unix_timestamp(1_710_496_800).expect("time");
    let merchant = key("ksher-merchant-1024.pkcs1.pem");
    let ours = ksher::Signer::new("mch35000", merchant.clone())
        .with_clock(FixedClock(time))
        .with_nonce_source(FixedNonce("n1".into()));
    let theirs = payspec_ksher::Signer::new("mch35000", merchant)
        .with_clock(FixedClock(time))
        .with_nonce_source(FixedNonce("n1".into()));
    let a = ksher::operations::quick_pay::QuickPayRequest::new(
        "134567890123456789",
        ksher::types::FeeType::Thb,
        "QP-1",
        100,
    )
    .product("tea");
    let b = payspec_ksher::operations::quick_pay::QuickPayRequest::new(
        "134567890123456789",
        payspec_ksher::types::FeeType::Thb,
        "QP-1",
        100,
    )
    .product("tea");
    let (a, b) = (
        ours.sign(&a).expect("signs"),
        theirs.sign(&b).expect("signs"),
    );
    assert_eq!(a.form, b.form);
    assert_eq!(a.path, b.path);
}

#[test]
fn the_macro_signs_like_the_generated_alipayplus_crate() {
    let acquirer = key("alipayplus-research-2048.pkcs1.pem");
    let body = r#"{"paymentRequestId":"p1","paymentAmount":{"currency":"USD","value":"100"},"order":{"referenceOrderId":"o","orderDescription":"d","orderAmount":{"currency":"USD","value":"100"},"env":{"terminalType":"MINI_APP"}},"paymentMethod":{"paymentMethodType":"GCASH"}}"#;
    let time = "2024-01-01T12:00:00+08:00";
    let a = alipayplus::Signer::new("C1", acquirer.clone())
        .sign_json("pay", body, time)
        .expect("signs");
    let b = payspec_alipayplus::Signer::new("C1", acquirer)
        .sign_json("pay", body, time)
        .expect("signs");
    assert_eq!(a, b);
}
