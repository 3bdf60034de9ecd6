//! Speed of the typed Alipay+ API against the bare RSA-SHA256 operation it wraps (see
//! `BENCHMARKS.md`).
//!
//! For every compiled RSA backend, each typed benchmark has a raw twin that does only the RSA
//! operation on exactly the same bytes with the same key, so the cost of the typed layer is a
//! ratio of two estimates taken in the same run:
//!
//! * `alipayplus/<backend>/sign/typed_mini_program_pay` ÷ `…/sign/raw_rsa_sha256` (target
//!   ≤ 1.03): a built mini-program `pay` request to validated JSON body, content to sign,
//!   signature, base64, percent-encoding and `Signature` header, with a fixed `Request-Time`;
//! * `alipayplus/<backend>/verify/typed_response` ÷ `…/verify/raw_rsa_sha256` (target ≤ 1.3): a
//!   signed `pay` response (headers and body) checked and decoded into a typed `PayResponse`.
//!
//! Keys are 2048-bit: the merchant key `alipayplus-merchant-2048` signs requests, the mock
//! gateway key `alipayplus-gateway-mock-2048` signed the response vector
//! `pay-response-in-process-normal-url`. `sign/typed_mini_program_pay_fresh_time` adds a clock
//! reading, and `alipayplus/parts/*` time the RSA-free pieces, to show where the overhead goes.
//!
//! `cargo bench -p payspec-conformance --features rustcrypto --bench alipayplus`
//!
//! After the benchmarks the ratios of the pairs measured by this run are printed as a Markdown
//! table, from the mean point estimates in criterion's `new/estimates.json`, next to a paired
//! cross-check that times typed and raw calls in alternating back-to-back blocks (robust to a
//! busy machine, where the two criterion measurements of a pair see different load).
//!
//! The harness (pairs, ratio report, paired cross-check) is the one of `benches/ksher.rs`.

mod harness;

use std::hint::black_box;
use std::rc::Rc;
use std::time::{Duration, SystemTime};

use criterion::Criterion;
use harness::{
    bench_pairs, openssl_sign_floor, openssl_verify_floor, output_dir, print_ratios, read_vector,
    Pair,
};
use payspec_alipayplus::types::{
    Amount, Env, Order, PayRequest, PayResponse, PaymentFactor, PaymentMethod, PaymentMethodType,
    SettlementStrategy, TerminalType,
};
use payspec_alipayplus::{Outcome, Signer, Trust, Verifier};
use payspec_conformance::vectors::{AlipayVerificationCase, VectorFile};
use payspec_runtime::header_signature::{content_to_sign, parse_signature_header};
use payspec_runtime::scheme::header_rsa::Operation;
use payspec_runtime::{Backend, DigestAlgorithm, PrivateKey, PublicKey};

const MERCHANT_2048: &str = "keys/alipayplus-merchant-2048.pkcs8.pem";
const MERCHANT_2048_PUBLIC: &str = "keys/alipayplus-merchant-2048.pub.pem";
/// Signed by the mock gateway key (2048-bit), with `pay-response` headers.
const RESPONSE_CASE: &str = "pay-response-in-process-normal-url";
const CLIENT_ID: &str = "SANDBOX_5YPS0C2024TEST01";
const REQUEST_TIME: &str = "2024-03-15T10:00:00+08:00";

/// A Cashier Payment from a merchant mini program running inside GCash, with every member the
/// mini-program integration sends.
fn mini_program_pay() -> PayRequest {
    let php = |value| Amount::new("PHP", value);
    let order = Order::new(
        "ord_20240315_0001",
        "Cappuccino x2, table 12",
        php(15000),
        Env::new(TerminalType::MiniApp),
    );
    let method = PaymentMethod::new(PaymentMethodType::Gcash);
    PayRequest::new("pay_20240315_100000_0001", php(15000), order, method)
        .payment_redirect_url("https://merchant.example/alipayplus/return?order=0001")
        .payment_notify_url("https://merchant.example/alipayplus/notify")
        .settlement_strategy(SettlementStrategy::new().settlement_currency("USD"))
        .payment_factor(PaymentFactor::new().is_cashier_payment(true))
}

/// The response vector: headers, body, the exact content Alipay+ signed and the signature bytes.
struct ResponseCase {
    public_key_pem: String,
    client_id: String,
    time: String,
    signature_header: String,
    body: String,
    content: Vec<u8>,
    signature: Vec<u8>,
}

impl ResponseCase {
    fn load() -> Self {
        let file: VectorFile<AlipayVerificationCase> =
            serde_json::from_str(&read_vector("alipayplus/response-verification.json"))
                .expect("response-verification.json");
        let case = file
            .cases
            .into_iter()
            .find(|c| c.id == RESPONSE_CASE)
            .unwrap_or_else(|| panic!("vector {RESPONSE_CASE} missing"));
        assert_eq!(
            (case.kind.as_str(), case.method.as_str(), case.path.as_str()),
            ("response", "POST", PayRequest::PATH),
            "{RESPONSE_CASE}"
        );
        let time = case.time.expect("response-time");
        let signature_header = case.signature_header.expect("signature header");
        // The raw twin verifies exactly the bytes the typed path builds.
        let content = format!(
            "POST {}\n{}.{time}.{}",
            case.path, case.client_id, case.body
        );
        assert_eq!(
            content.as_bytes(),
            content_to_sign(
                "POST",
                &case.path,
                &case.client_id,
                &time,
                case.body.as_bytes()
            )
        );
        let signature = parse_signature_header(&signature_header)
            .expect("signature header")
            .signature;
        ResponseCase {
            public_key_pem: read_vector(&case.public_key),
            client_id: case.client_id,
            time,
            signature_header,
            body: case.body,
            content: content.into_bytes(),
            signature,
        }
    }
}

struct Fixtures {
    request: PayRequest,
    merchant: String,
    merchant_public: String,
    response: ResponseCase,
}

impl Fixtures {
    fn load() -> Self {
        Fixtures {
            request: mini_program_pay(),
            merchant: read_vector(MERCHANT_2048),
            merchant_public: read_vector(MERCHANT_2048_PUBLIC),
            response: ResponseCase::load(),
        }
    }
}

/// `typed_mini_program_pay` and `raw_rsa_sha256` with the 2048-bit merchant key, and
/// `typed_mini_program_pay_fresh_time` (a clock reading on every call) against the same twin.
fn sign_pairs(backend: Backend, fx: &Fixtures) -> Vec<Pair> {
    let key = PrivateKey::from_pem_with(backend, &fx.merchant).expect("merchant key");
    let public = PublicKey::from_pem_with(backend, &fx.merchant_public).expect("merchant public");
    let signer = Signer::new(CLIENT_ID, key.clone());
    let signed = signer
        .sign_at(&fx.request, REQUEST_TIME)
        .expect("typed sign");
    let body = String::from_utf8(signed.body.clone()).expect("UTF-8 body");
    assert!(body.contains(r#""terminalType":"MINI_APP""#), "{body}");
    assert!(body.contains(r#""isCashierPayment":"true""#), "{body}");
    // The raw twin signs exactly the content the typed path signed, to the same signature.
    let content = format!(
        "POST {}\n{CLIENT_ID}.{REQUEST_TIME}.{body}",
        PayRequest::PATH
    );
    assert_eq!(signed.signature.content_to_sign, content);
    let content = content.into_bytes();
    let raw_signature = key
        .sign(DigestAlgorithm::Sha256, &content)
        .expect("raw sign");
    assert_eq!(
        parse_signature_header(&signed.signature.header)
            .expect("own Signature header")
            .signature,
        raw_signature,
        "typed and raw signatures (PKCS#1 v1.5 is deterministic)"
    );
    assert!(public.verify(DigestAlgorithm::Sha256, &content, &raw_signature));

    let group = format!("alipayplus/{}/sign", backend.name());
    let floor = matches!(backend, Backend::OpenSsl).then(|| {
        (
            "floor_rsa_2048",
            openssl_sign_floor(&fx.merchant, &raw_signature),
        )
    });
    let raw: Rc<dyn Fn()> = Rc::new(move || {
        black_box(key.sign(DigestAlgorithm::Sha256, black_box(&content))).expect("raw sign");
    });
    let request = fx.request.clone();
    let typed_signer = signer.clone();
    let fresh_request = fx.request.clone();
    vec![
        Pair {
            group: group.clone(),
            typed_id: "typed_mini_program_pay",
            raw_id: "raw_rsa_sha256",
            target: Some(1.03),
            typed: Box::new(move || {
                black_box(typed_signer.sign_at(black_box(&request), black_box(REQUEST_TIME)))
                    .expect("typed sign");
            }),
            raw: raw.clone(),
            floor: floor.clone(),
        },
        Pair {
            group,
            typed_id: "typed_mini_program_pay_fresh_time",
            raw_id: "raw_rsa_sha256",
            target: None,
            typed: Box::new(move || {
                black_box(signer.sign(black_box(&fresh_request))).expect("typed sign");
            }),
            raw,
            floor,
        },
    ]
}

/// `typed_response` and `raw_rsa_sha256` for the signed `pay` response vector.
fn verify_pair(backend: Backend, case: &ResponseCase) -> Pair {
    let public = PublicKey::from_pem_with(backend, &case.public_key_pem).expect("gateway key");
    let verifier = Verifier::new(case.client_id.clone(), public.clone());
    let answer = verifier
        .verify_response::<PayRequest>(
            Some(&case.time),
            Some(&case.signature_header),
            case.body.as_bytes(),
        )
        .expect("typed verify");
    assert_eq!(answer.trust, Trust::Signed);
    let status = answer
        .data
        .result
        .as_ref()
        .and_then(|r| r.result_status.as_ref())
        .map(|s| s.outcome());
    assert_eq!(status, Some(Outcome::Unknown));
    assert!(answer.data.normal_url.is_some());
    let (content, signature) = (case.content.clone(), case.signature.clone());
    assert!(public.verify(DigestAlgorithm::Sha256, &content, &signature));

    let (time, header, body) = (
        case.time.clone(),
        case.signature_header.clone(),
        case.body.clone(),
    );
    Pair {
        group: format!("alipayplus/{}/verify", backend.name()),
        typed_id: "typed_response",
        raw_id: "raw_rsa_sha256",
        target: Some(1.3),
        typed: Box::new(move || {
            black_box(verifier.verify_response::<PayRequest>(
                black_box(Some(&time)),
                black_box(Some(&header)),
                black_box(body.as_bytes()),
            ))
            .expect("typed verify");
        }),
        raw: Rc::new(move || {
            let ok = public.verify(
                DigestAlgorithm::Sha256,
                black_box(&content),
                black_box(&signature),
            );
            assert!(black_box(ok), "raw verify");
        }),
        floor: matches!(backend, Backend::OpenSsl).then(|| {
            (
                "floor_rsa_2048",
                openssl_verify_floor(&case.public_key_pem, &case.signature),
            )
        }),
    }
}

fn backend_pairs(backend: Backend, fx: &Fixtures) -> Vec<Pair> {
    let mut pairs = sign_pairs(backend, fx);
    pairs.push(verify_pair(backend, &fx.response));
    pairs
}

/// The RSA-free pieces of the typed paths (the same for every backend).
fn bench_parts(c: &mut Criterion, fx: &Fixtures) {
    let mut group = c.benchmark_group("alipayplus/parts");
    let request = &fx.request;
    // Validation and JSON body (spec member order, scalars as strings).
    group.bench_function("request_body", |b| {
        b.iter(|| {
            black_box(request).check().expect("valid request");
            serde_json::to_vec(black_box(request)).expect("JSON body")
        })
    });
    let case = &fx.response;
    // `Signature` header: split, percent-decode, base64-decode.
    group.bench_function("response_signature_header", |b| {
        b.iter(|| parse_signature_header(black_box(&case.signature_header)).expect("header"))
    });
    // Typed decode of the verified body.
    let body = case.body.as_bytes();
    group.bench_function("response_typed_decode", |b| {
        b.iter(|| serde_json::from_slice::<PayResponse>(black_box(body)).expect("PayResponse"))
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
    print_ratios(
        &dir,
        started,
        &pairs,
        "alipayplus",
        "RSA-SHA256 on the same bytes",
    );
}
