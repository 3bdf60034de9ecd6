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
//! table, from the mean point estimates in criterion's `new/estimates.json`.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use criterion::Criterion;
use payspec_conformance::vectors::{KsherVerificationCase, VectorFile};
use payspec_conformance::vectors_dir;
use payspec_ksher::operations::quick_pay::QuickPayRequest;
use payspec_ksher::types::{Channel, FeeType, PaymentResult};
use payspec_ksher::{CommonParams, Operation, Signer, Verifier};
use payspec_runtime::sorted_params::{data_string_to_verify, ParamWriter};
use payspec_runtime::{Backend, DigestAlgorithm, PrivateKey, PublicKey};

const MERCHANT_1024: &str = "keys/ksher-merchant-1024.pkcs1.pem";
const MERCHANT_512: &str = "keys/ksher-sample-ka-512.pkcs1.pem";
/// Signed by the mock gateway key (1024-bit).
const MOCK_CASE: &str = "mock-quick-pay-success";
/// Signed by Ksher's real gateway key (512-bit).
const REAL_CASE: &str = "real-v11-quick-pay-success";

/// (group below `ksher/<backend>/`, typed id, raw id, target ratio; `None`: reported only).
const PAIRS: &[(&str, &str, &str, Option<f64>)] = &[
    ("sign", "typed_request", "raw_rsa_md5", Some(1.05)),
    ("sign", "typed_request_fresh_common", "raw_rsa_md5", None),
    ("sign", "typed_request_512", "raw_rsa_md5_512", Some(1.05)),
    ("verify", "typed_response", "raw_rsa_md5", Some(1.5)),
    (
        "verify",
        "typed_response_real512",
        "raw_rsa_md5_real512",
        Some(1.5),
    ),
];

fn read_vector(rel: &str) -> String {
    let path = vectors_dir().join(rel);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

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
    QuickPayRequest::builder()
        .mch_order_no("QP20240315100000001")
        .auth_code("134567890123456789")
        .channel(Channel::Wechat)
        .fee_type(FeeType::Thb)
        .total_fee(10000)
        .device_id("POS-0001")
        .operator_id("1001")
        .attach("table=12&shift=morning")
        .product("Thai iced tea ชาเย็น x2")
        .notify_url("https://merchant.example.com/ksher/notify?shop=42&lang=th")
        .build()
        .expect("valid quick_pay request")
}

fn fixed_common() -> CommonParams {
    CommonParams {
        appid: "mch12345".into(),
        nonce_str: "f45dd22f45971ad7bce46c17be47dde2".into(),
        time_stamp: "20240315100000".into(),
        version: Some("3.0.0".into()),
    }
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

/// `typed_request<suffix>` and `raw_rsa_md5<suffix>` with the merchant key `pem`.
fn bench_sign_pair(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    backend: Backend,
    pem: &str,
    suffix: &str,
    fx: &Fixtures,
) -> Signer {
    let key = PrivateKey::from_pem_with(backend, pem).expect("merchant key");
    let signer = Signer::new(fx.common.appid.clone(), key.clone()).with_version("3.0.0");
    let signed = signer
        .sign_with_common(&fx.request, fx.common.clone())
        .expect("typed sign");
    let string_to_sign = signed.form.string_to_sign.clone();
    assert!(
        key.public_key().verify(
            DigestAlgorithm::Md5,
            string_to_sign.as_bytes(),
            &hex_decode(&signed.form.sign)
        ),
        "typed signature verifies"
    );

    let (request, common) = (&fx.request, &fx.common);
    group.bench_function(format!("typed_request{suffix}"), |b| {
        b.iter(|| signer.sign_with_common(black_box(request), black_box(common).clone()))
    });
    group.bench_function(format!("raw_rsa_md5{suffix}"), |b| {
        b.iter(|| key.sign(DigestAlgorithm::Md5, black_box(string_to_sign.as_bytes())))
    });
    signer
}

/// `typed_response<suffix>` and `raw_rsa_md5<suffix>` for one response vector.
fn bench_verify_pair(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    backend: Backend,
    case: &ResponseCase,
    suffix: &str,
) {
    let public = PublicKey::from_pem_with(backend, &case.public_key_pem).expect("gateway key");
    let verifier = Verifier::new(public.clone());
    let body = case.body.as_bytes();
    let response = verifier
        .verify_response::<QuickPayRequest>(body)
        .unwrap_or_else(|e| panic!("{}: {e}", case.id));
    assert_eq!(response.data.total_fee.map(|f| f > 0), Some(true));
    let (message, signature) = (case.string_to_verify.as_bytes(), &case.signature[..]);
    assert!(public.verify(DigestAlgorithm::Md5, message, signature));

    group.bench_function(format!("typed_response{suffix}"), |b| {
        b.iter(|| verifier.verify_response::<QuickPayRequest>(black_box(body)))
    });
    group.bench_function(format!("raw_rsa_md5{suffix}"), |b| {
        b.iter(|| {
            public.verify(
                DigestAlgorithm::Md5,
                black_box(message),
                black_box(signature),
            )
        })
    });
}

fn bench_backend(c: &mut Criterion, backend: Backend, fx: &Fixtures) {
    let mut group = c.benchmark_group(format!("ksher/{}/sign", backend.name()));
    let signer = bench_sign_pair(&mut group, backend, &fx.merchant_1024, "", fx);
    let request = &fx.request;
    group.bench_function("typed_request_fresh_common", |b| {
        b.iter(|| signer.sign(black_box(request)))
    });
    bench_sign_pair(&mut group, backend, &fx.merchant_512, "_512", fx);
    group.finish();

    let mut group = c.benchmark_group(format!("ksher/{}/verify", backend.name()));
    bench_verify_pair(&mut group, backend, &fx.mock, "");
    bench_verify_pair(&mut group, backend, &fx.real, "_real512");
    group.finish();
}

/// The RSA-free pieces of the typed paths (the same for every backend).
fn bench_parts(c: &mut Criterion, fx: &Fixtures) {
    let mut group = c.benchmark_group("ksher/parts");
    let (request, common) = (&fx.request, &fx.common);
    // Validation, string to sign and form body before `sign` is appended.
    group.bench_function("request_params", |b| {
        b.iter(|| {
            let common = black_box(common).clone();
            common.validate().expect("valid common");
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

/// Where criterion writes its results; set explicitly so the ratio report reads the same place.
fn output_dir() -> PathBuf {
    if let Some(home) = std::env::var_os("CRITERION_HOME") {
        return home.into();
    }
    if let Some(target) = std::env::var_os("CARGO_TARGET_DIR") {
        return PathBuf::from(target).join("criterion");
    }
    // The bench executable is `<target>/<profile>/deps/ksher-<hash>`.
    std::env::current_exe()
        .ok()
        .and_then(|exe| exe.ancestors().nth(3).map(|t| t.join("criterion")))
        .unwrap_or_else(|| PathBuf::from("target/criterion"))
}

/// Mean and median point estimates in nanoseconds, if `group/id` was measured since `since`.
fn fresh_estimates(dir: &Path, group: &str, id: &str, since: SystemTime) -> Option<(f64, f64)> {
    let path = dir
        .join(group.replace('/', "_"))
        .join(id)
        .join("new/estimates.json");
    let modified = std::fs::metadata(&path).ok()?.modified().ok()?;
    if modified < since {
        return None;
    }
    let estimates: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).ok()?).ok()?;
    Some((
        estimates["mean"]["point_estimate"].as_f64()?,
        estimates["median"]["point_estimate"].as_f64()?,
    ))
}

fn micros(ns: f64) -> String {
    format!("{:.2} µs", ns / 1000.0)
}

/// Prints the typed ÷ raw ratio of every pair whose two halves this run measured.
fn print_ratios(dir: &Path, since: SystemTime) {
    let mut rows = Vec::new();
    for backend in Backend::ALL {
        for &(kind, typed, raw, target) in PAIRS {
            let group = format!("ksher/{}/{kind}", backend.name());
            let (Some((t_mean, t_median)), Some((r_mean, r_median))) = (
                fresh_estimates(dir, &group, typed, since),
                fresh_estimates(dir, &group, raw, since),
            ) else {
                continue;
            };
            let ratio = t_mean / r_mean;
            let (target, verdict) = match target {
                Some(t) if ratio <= t => (format!("≤ {t}"), "met"),
                Some(t) => (format!("≤ {t}"), "MISSED"),
                None => ("—".to_owned(), ""),
            };
            rows.push(format!(
                "| {} | {kind}/{typed} | {} | {} | {} | {ratio:.3} | {:.3} | {target} | {verdict} |",
                backend.name(),
                micros(t_mean),
                micros(r_mean),
                micros(t_mean - r_mean),
                t_median / r_median,
            ));
        }
    }
    if rows.is_empty() {
        return;
    }
    println!("\nTyped ÷ raw RSA-MD5 on the same string, point estimates of this run:\n");
    println!(
        "| backend | typed benchmark | typed (mean) | raw (mean) | difference \
         | ratio of means | ratio of medians | target | |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|---|---|");
    for row in rows {
        println!("{row}");
    }
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
    for &backend in Backend::ALL {
        bench_backend(&mut c, backend, &fixtures);
    }
    bench_parts(&mut c, &fixtures);
    c.final_summary();
    print_ratios(&dir, started);
}
