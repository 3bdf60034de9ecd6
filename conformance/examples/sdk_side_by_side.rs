//! payspec's side of `scripts/bench-vs-sdks.sh`: the operations `conformance/interop/sdk_bench.py`
//! times with the official SDK code paths, on the same vectors and keys, timed the same way
//! (median of 7 batches of at least 0.2 s). Prints JSON `{"<operation>": {"us_per_op": ...}}`.
//!
//! `cargo run --release -p payspec-conformance --example sdk_side_by_side`

use std::hint::black_box;
use std::time::Instant;

use payspec_conformance::testkit::{key_text, load};
use payspec_conformance::vectors::{
    AlipaySigningCase, AlipayVerificationCase, KsherSigningCase, KsherVerificationCase, VectorFile,
};
use payspec_ksher::operations::quick_pay::QuickPayRequest;
use payspec_runtime::{PrivateKey, PublicKey};

fn timed(mut f: impl FnMut()) -> f64 {
    f();
    let mut runs = Vec::new();
    for _ in 0..7 {
        let (mut n, start) = (0u32, Instant::now());
        let elapsed = loop {
            f();
            n += 1;
            let e = start.elapsed();
            if e.as_secs_f64() >= 0.2 {
                break e;
            }
        };
        runs.push(elapsed.as_secs_f64() / f64::from(n) * 1e6);
    }
    runs.sort_by(f64::total_cmp);
    runs[3]
}

fn find<'a, C>(file: &'a VectorFile<C>, id: &str, get: impl Fn(&C) -> &str) -> &'a C {
    file.cases
        .iter()
        .find(|c| get(c) == id)
        .unwrap_or_else(|| panic!("no case {id}"))
}

fn main() {
    let mut out = serde_json::Map::new();
    let mut put = |name: &str, us: f64| {
        out.insert(name.into(), serde_json::json!({ "us_per_op": us }));
    };

    // Alipay+ sign: the SDK's signature_tool.sign takes the body; so does sign_body.
    let signing: VectorFile<AlipaySigningCase> = load("alipayplus/request-signing.json");
    let pay = find(&signing, "research-vector-1-pay-mini-app-iso-time", |c| {
        &c.id
    });
    let key = PrivateKey::from_pem(&key_text(&pay.private_key)).unwrap();
    let signer = payspec_alipayplus::Signer::new(&pay.client_id, key);
    let signed = signer
        .sign_body(&pay.path, pay.body.as_bytes().to_vec(), &pay.request_time)
        .unwrap();
    assert_eq!(
        signed.signature.signature_urlencoded,
        pay.signature_urlencoded
    );
    put(
        "alipayplus sign pay (2048-bit)",
        timed(|| {
            black_box(
                signer
                    .sign_body(
                        &pay.path,
                        black_box(pay.body.as_bytes().to_vec()),
                        &pay.request_time,
                    )
                    .unwrap(),
            );
        }),
    );

    // Alipay+ verify: the research pay response, its exact bytes and headers.
    let verification: VectorFile<AlipayVerificationCase> =
        load("alipayplus/response-verification.json");
    let resp = find(&verification, "research-vector-3-pay-response", |c| &c.id);
    let verifier = payspec_alipayplus::Verifier::new(
        &resp.client_id,
        PublicKey::from_pem(&key_text(&resp.public_key)).unwrap(),
    );
    let check = || {
        verifier
            .verify_response_raw(
                &resp.path,
                resp.time.as_deref(),
                resp.signature_header.as_deref(),
                resp.body.as_bytes(),
            )
            .unwrap()
    };
    assert!(check().is_signed());
    put(
        "alipayplus verify pay response (2048-bit)",
        timed(|| {
            black_box(check());
        }),
    );

    // Ksher sign: the native_pay vector's parameters through the typed request (read, checked,
    // signed), as `payspec ksher sign` does.
    let requests: VectorFile<KsherSigningCase> = load("ksher/request-signing.json");
    let req = find(&requests, "native-pay-promptpay", |c| &c.id);
    let key = PrivateKey::from_pem(&key_text(&req.private_key)).unwrap();
    let sign = || payspec_conformance::ksher::sign_params("native_pay", &req.params, &key).unwrap();
    assert_eq!(sign().form.sign, req.sign);
    put(
        "ksher sign native_pay (1024-bit)",
        timed(|| {
            black_box(sign());
        }),
    );

    // Ksher verify: the real Ksher-signed answer into typed data.
    let responses: VectorFile<KsherVerificationCase> = load("ksher/response-verification.json");
    let res = find(&responses, "real-v11-quick-pay-success", |c| &c.id);
    let verifier =
        payspec_ksher::Verifier::new(PublicKey::from_pem(&key_text(&res.public_key)).unwrap());
    assert!(verifier
        .verify_response::<QuickPayRequest>(res.body.as_bytes())
        .is_ok());
    put(
        "ksher verify quick_pay answer (real 512-bit)",
        timed(|| {
            black_box(
                verifier
                    .verify_response::<QuickPayRequest>(black_box(res.body.as_bytes()))
                    .unwrap(),
            );
        }),
    );
    println!("{}", serde_json::Value::Object(out));
}
