//! Speed of the typed Ksher API against the bare RSA-MD5 operation it wraps (see `BENCHMARKS.md`).
//!
//! For every compiled RSA backend, each typed benchmark has a raw twin that does only the RSA
//! operation on exactly the same string with the same key, so the cost of the typed layer is a
//! ratio of two estimates taken in the same run:
//!
//! * `ksher/<backend>/sign/typed_request` ÷ `…/sign/raw_rsa_md5` (target ≤ 1.05): a built
//!   `quick_pay` request to string to sign, signature and form body, with fixed common parameters;
//! * `ksher/<backend>/verify/typed_response` ÷ `…/verify/raw_rsa_md5` (target ≤ 1.5): a response
//!   body parsed, canonicalized, verified and decoded into typed `data`.
//!
//! The same pairs run with 512-bit keys (`*_512`: the Ksher sample merchant key and Ksher's real
//! gateway key with a real Ksher-signed body), where the RSA operation is cheapest and the typed
//! layer's share largest. `sign/typed_request_fresh_common` adds a random nonce and a clock
//! reading, and `ksher/parts/*` time the RSA-free pieces, to show where the overhead goes.
//!
//! `cargo bench -p payspec-conformance --features rustcrypto --bench ksher`
//!
//! After the benchmarks the ratios of the pairs measured by this run are printed as a Markdown
//! table, from the mean point estimates in criterion's `new/estimates.json`, next to a paired
//! cross-check that times typed and raw calls in alternating back-to-back blocks (robust to a
//! busy machine, where the two criterion measurements of a pair see different load).

mod harness;

use std::hint::black_box;
use std::rc::Rc;
use std::time::{Duration, SystemTime};

use criterion::Criterion;
use harness::{
    bench_pairs, openssl_sign_floor, openssl_verify_floor, output_dir, print_ratios, read_vector,
    Pair,
};
use payspec_conformance::vectors::{KsherVerificationCase, VectorFile};
use payspec_ksher::operations::quick_pay::QuickPayRequest;
use payspec_ksher::types::{Channel, FeeType, PaymentResult};
use payspec_ksher::{CommonParams, Signer, Verifier};
use payspec_runtime::scheme::sorted_params::Operation;
use payspec_runtime::sorted_params::{data_string_to_verify, ParamWriter};
use payspec_runtime::{Backend, DigestAlgorithm, PrivateKey, PublicKey};

const MERCHANT_1024: &str = "keys/ksher-merchant-1024.pkcs1.pem";
const MERCHANT_512: &str = "keys/ksher-sample-ka-512.pkcs1.pem";
/// Signed by the mock gateway key (1024-bit).
const MOCK_CASE: &str = "mock-quick-pay-success";
/// Signed by Ksher's real gateway key (512-bit).
const REAL_CASE: &str = "real-v11-quick-pay-success";

fn hex_decode(hex: &str) -> Vec<u8> {
    assert!(hex.len().is_multiple_of(2), "odd-length hex");
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("hex digit"))
        .collect()
}

/// A quick_pay request with every parameter a POS typically sends, Thai product text included
/// (it is percent-encoded in the form body).
fn quick_pay_request() -> QuickPayRequest {
    QuickPayRequest::new(
        "134567890123456789",
        FeeType::Thb,
        "QP20240315100000001",
        10000,
    )
    .channel(Channel::Wechat)
    .device_id("POS-0001")
    .operator_id("1001")
    .attach("table=12&shift=morning")
    .product("Thai iced tea ชาเย็น x2")
    .notify_url("https://merchant.example.com/ksher/notify?shop=42&lang=th")
}

fn fixed_common() -> CommonParams {
    let mut common = CommonParams::default();
    for (name, value) in [
        ("appid", "mch12345"),
        ("nonce_str", "f45dd22f45971ad7bce46c17be47dde2"),
        ("time_stamp", "20240315100000"),
        ("version", "3.0.0"),
    ] {
        assert!(common.set::<payspec_ksher::Api>(name, value), "{name}");
    }
    common
}

/// A verification vector: body, the exact string Ksher signed and the signature bytes.
struct ResponseCase {
    id: &'static str,
    public_key_pem: String,
    body: String,
    string_to_verify: String,
    signature: Vec<u8>,
}

impl ResponseCase {
    fn load(cases: &[KsherVerificationCase], id: &'static str) -> Self {
        let case = cases
            .iter()
            .find(|c| c.id == id)
            .unwrap_or_else(|| panic!("vector {id} missing"));
        assert_eq!(case.operation, "quick_pay", "{id}");
        let envelope: serde_json::Value = serde_json::from_str(&case.body).expect("JSON body");
        let sign = envelope["sign"].as_str().expect("`sign` string");
        let string_to_verify = case
            .string_to_verify
            .clone()
            .unwrap_or_else(|| panic!("{id}: no string_to_verify"));
        // The raw twin must verify exactly the string the typed path builds.
        assert_eq!(
            data_string_to_verify(case.body.as_bytes(), None).expect("canonical data"),
            string_to_verify,
            "{id}"
        );
        ResponseCase {
            id,
            public_key_pem: read_vector(&case.public_key),
            body: case.body.clone(),
            string_to_verify,
            signature: hex_decode(sign),
        }
    }

    fn data_json(&self) -> String {
        let envelope: serde_json::Value = serde_json::from_str(&self.body).expect("JSON body");
        envelope["data"].to_string()
    }
}

struct Fixtures {
    request: QuickPayRequest,
    common: CommonParams,
    merchant_1024: String,
    merchant_512: String,
    mock: ResponseCase,
    real: ResponseCase,
}

impl Fixtures {
    fn load() -> Self {
        let file: VectorFile<KsherVerificationCase> =
            serde_json::from_str(&read_vector("ksher/response-verification.json"))
                .expect("response-verification.json");
        Fixtures {
            request: quick_pay_request(),
            common: fixed_common(),
            merchant_1024: read_vector(MERCHANT_1024),
            merchant_512: read_vector(MERCHANT_512),
            mock: ResponseCase::load(&file.cases, MOCK_CASE),
            real: ResponseCase::load(&file.cases, REAL_CASE),
        }
    }
}

/// `typed_request` and `raw_rsa_md5` with the 1024-bit merchant key, and
/// `typed_request_fresh_common` (random nonce and clock reading on every call) against the same
/// twin; or, with `key512`, `typed_request_512` and `raw_rsa_md5_512` with the 512-bit one.
fn sign_pairs(backend: Backend, key512: bool, fx: &Fixtures) -> Vec<Pair> {
    let pem = if key512 {
        &fx.merchant_512
    } else {
        &fx.merchant_1024
    };
    let key = PrivateKey::from_pem_with(backend, pem).expect("merchant key");
    let appid = fx.common.get("appid").expect("appid");
    let signer = Signer::new(appid, key.clone()).with_common_param("version", "3.0.0");
    let signed = signer
        .sign_with_common(&fx.request, fx.common.clone())
        .expect("typed sign");
    let string_to_sign = signed.form.string_to_sign;
    assert!(
        key.public_key().verify(
            DigestAlgorithm::Md5,
            string_to_sign.as_bytes(),
            &hex_decode(&signed.form.sign)
        ),
        "typed signature verifies"
    );

    let group = format!("ksher/{}/sign", backend.name());
    let floor = matches!(backend, Backend::OpenSsl).then(|| {
        let id = if key512 {
            "floor_rsa_512"
        } else {
            "floor_rsa_1024"
        };
        (id, openssl_sign_floor(pem, &hex_decode(&signed.form.sign)))
    });
    let raw: Rc<dyn Fn()> = Rc::new(move || {
        black_box(key.sign(DigestAlgorithm::Md5, black_box(string_to_sign.as_bytes())))
            .expect("raw sign");
    });
    let (request, common) = (fx.request.clone(), fx.common.clone());
    let typed_signer = signer.clone();
    let mut pairs = vec![Pair {
        group: group.clone(),
        typed_id: if key512 {
            "typed_request_512"
        } else {
            "typed_request"
        },
        raw_id: if key512 {
            "raw_rsa_md5_512"
        } else {
            "raw_rsa_md5"
        },
        target: Some(1.05),
        typed: Box::new(move || {
            black_box(
                typed_signer.sign_with_common(black_box(&request), black_box(&common).clone()),
            )
            .expect("typed sign");
        }),
        raw: raw.clone(),
        floor: floor.clone(),
    }];
    if !key512 {
        let request = fx.request.clone();
        pairs.push(Pair {
            group,
            typed_id: "typed_request_fresh_common",
            raw_id: pairs[0].raw_id,
            target: None,
            typed: Box::new(move || {
                black_box(signer.sign(black_box(&request))).expect("typed sign");
            }),
            raw,
            floor,
        });
    }
    pairs
}

/// `typed_response` and `raw_rsa_md5` for one response vector (`typed_response_real512` and
/// `raw_rsa_md5_real512` for the real Ksher-signed one).
fn verify_pair(backend: Backend, case: &ResponseCase, real512: bool) -> Pair {
    let public = PublicKey::from_pem_with(backend, &case.public_key_pem).expect("gateway key");
    let verifier = Verifier::new(public.clone());
    let response = verifier
        .verify_response::<QuickPayRequest>(case.body.as_bytes())
        .unwrap_or_else(|e| panic!("{}: {e}", case.id));
    assert_eq!(response.data.total_fee.map(|f| f > 0), Some(true));
    let (message, signature) = (case.string_to_verify.clone(), case.signature.clone());
    assert!(public.verify(DigestAlgorithm::Md5, message.as_bytes(), &signature));

    let body = case.body.clone();
    Pair {
        group: format!("ksher/{}/verify", backend.name()),
        typed_id: if real512 {
            "typed_response_real512"
        } else {
            "typed_response"
        },
        raw_id: if real512 {
            "raw_rsa_md5_real512"
        } else {
            "raw_rsa_md5"
        },
        target: Some(1.5),
        typed: Box::new(move || {
            black_box(verifier.verify_response::<QuickPayRequest>(black_box(body.as_bytes())))
                .expect("typed verify");
        }),
        raw: Rc::new(move || {
            let ok = public.verify(
                DigestAlgorithm::Md5,
                black_box(message.as_bytes()),
                black_box(&signature),
            );
            assert!(black_box(ok), "raw verify");
        }),
        floor: matches!(backend, Backend::OpenSsl).then(|| {
            let id = if real512 {
                "floor_rsa_real512"
            } else {
                "floor_rsa"
            };
            (
                id,
                openssl_verify_floor(&case.public_key_pem, &case.signature),
            )
        }),
    }
}

/// `verified_envelope` (the "parse + canonicalize + verify", no typed decode) against
/// the same raw twin as [`verify_pair`].
fn envelope_pair(backend: Backend, case: &ResponseCase, real512: bool) -> Pair {
    let public = PublicKey::from_pem_with(backend, &case.public_key_pem).expect("gateway key");
    let verifier = Verifier::new(public.clone());
    verifier
        .verify_raw("quick_pay", case.body.as_bytes())
        .unwrap_or_else(|e| panic!("{}: {e}", case.id));
    let (message, signature) = (case.string_to_verify.clone(), case.signature.clone());
    let body = case.body.clone();
    Pair {
        group: format!("ksher/{}/verify", backend.name()),
        typed_id: if real512 {
            "verified_envelope_real512"
        } else {
            "verified_envelope"
        },
        raw_id: if real512 {
            "raw_rsa_md5_real512"
        } else {
            "raw_rsa_md5"
        },
        target: Some(1.5),
        typed: Box::new(move || {
            black_box(verifier.verify_raw("quick_pay", black_box(body.as_bytes())))
                .expect("envelope verify");
        }),
        raw: Rc::new(move || {
            let ok = public.verify(
                DigestAlgorithm::Md5,
                black_box(message.as_bytes()),
                black_box(&signature),
            );
            assert!(black_box(ok), "raw verify");
        }),
        floor: matches!(backend, Backend::OpenSsl).then(|| {
            let id = if real512 {
                "floor_rsa_real512"
            } else {
                "floor_rsa"
            };
            (
                id,
                openssl_verify_floor(&case.public_key_pem, &case.signature),
            )
        }),
    }
}

fn backend_pairs(backend: Backend, fx: &Fixtures) -> Vec<Pair> {
    let mut pairs = sign_pairs(backend, false, fx);
    pairs.extend(sign_pairs(backend, true, fx));
    pairs.push(verify_pair(backend, &fx.mock, false));
    pairs.push(envelope_pair(backend, &fx.mock, false));
    pairs.push(verify_pair(backend, &fx.real, true));
    pairs.push(envelope_pair(backend, &fx.real, true));
    pairs
}

/// The RSA-free pieces of the typed paths (the same for every backend).
fn bench_parts(c: &mut Criterion, fx: &Fixtures) {
    let mut group = c.benchmark_group("ksher/parts");
    let (request, common) = (&fx.request, &fx.common);
    // Validation, string to sign and form body before `sign` is appended.
    group.bench_function("request_params", |b| {
        b.iter(|| {
            let common = black_box(common).clone();
            common
                .validate::<payspec_ksher::Api>()
                .expect("valid common");
            request.check().expect("valid request");
            let mut writer = ParamWriter::default();
            black_box(request).write_params(&common, &mut writer);
            writer
        })
    });
    // Envelope parse and canonical string, no RSA, no typed decode.
    let body = fx.mock.body.as_bytes();
    group.bench_function("response_string_to_verify", |b| {
        b.iter(|| data_string_to_verify(black_box(body), None))
    });
    // Typed decode of the verified `data` object.
    let data = fx.mock.data_json();
    group.bench_function("response_typed_decode", |b| {
        b.iter(|| serde_json::from_str::<PaymentResult>(black_box(&data)).expect("PaymentResult"))
    });
    group.finish();
}

fn main() {
    let started = SystemTime::now();
    let dir = output_dir();
    let mut c = Criterion::default()
        .measurement_time(Duration::from_secs(3))
        .warm_up_time(Duration::from_secs(1))
        .sample_size(50)
        .output_directory(&dir)
        .configure_from_args();
    let fixtures = Fixtures::load();
    let pairs: Vec<Pair> = Backend::ALL
        .iter()
        .flat_map(|&backend| backend_pairs(backend, &fixtures))
        .collect();
    bench_pairs(&mut c, &pairs);
    bench_parts(&mut c, &fixtures);
    c.final_summary();
    print_ratios(&dir, started, &pairs, "ksher", "RSA-MD5 on the same string");
}
