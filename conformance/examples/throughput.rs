//! Throughput and memory (BENCHMARKS.md, "Throughput"): notifications verified on every core,
//! and the mock's requests/s under a mixed create/query load from a bounded loopback generator.
//!
//! `cargo run --release -p payspec-conformance --example throughput [-- NOTIFICATIONS REQUESTS]`
//! (defaults: 100000 notifications per API, 2000 mock requests). Prints one line per figure.

use std::time::{Duration, Instant};

use payspec_alipayplus::VerifyNotifications as _;
use payspec_conformance::testkit::{key_text, load};
use payspec_conformance::vectors::{AlipayVerificationCase, KsherVerificationCase, VectorFile};
use payspec_ksher::VerifyNotifications as _;
use payspec_mock::{Api, Config, MockGateway};
use payspec_runtime::header_signature::parse_request_time;
use payspec_runtime::{PrivateKey, PublicKey};

/// Peak resident set size of this process, in MiB (Linux `VmHWM`).
fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

/// Runs `per_thread` calls of `verify` on each of `threads` threads; notifications per second.
fn parallel(threads: usize, per_thread: usize, verify: impl Fn() + Sync) -> f64 {
    let start = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                for _ in 0..per_thread {
                    verify();
                }
            });
        }
    });
    (threads * per_thread) as f64 / start.elapsed().as_secs_f64()
}

fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let notifications = args.first().copied().unwrap_or(100_000);
    let requests = args.get(1).copied().unwrap_or(2_000);
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let per_thread = notifications.div_ceil(threads);

    // Ksher notify_url notifications (1024-bit mock gateway key), typed.
    let ksher: VectorFile<KsherVerificationCase> = load("ksher/response-verification.json");
    let case = ksher
        .cases
        .iter()
        .find(|c| {
            c.operation == "notify_url"
                && c.flags.iter().any(|f| f == "MockGateway")
                && c.expect == payspec_conformance::vectors::Expect::Accept
        })
        .expect("a Ksher notification vector");
    let verifier =
        payspec_ksher::Verifier::new(PublicKey::from_pem(&key_text(&case.public_key)).unwrap());
    assert!(verifier.verify_notify_url(case.body.as_bytes()).is_ok());
    let rate = parallel(threads, per_thread, || {
        verifier
            .verify_notify_url(case.body.as_bytes())
            .expect("verifies");
    });
    println!(
        "ksher notify_url (1024-bit), {threads} threads, {} notifications: {rate:.0}/s",
        threads * per_thread
    );

    // Alipay+ notifyPayment notifications (2048-bit mock gateway key), typed.
    let alipay: VectorFile<AlipayVerificationCase> = load("alipayplus/response-verification.json");
    let case = alipay
        .cases
        .iter()
        .find(|c| c.id == "notify-payment-success")
        .expect("an Alipay+ notification vector");
    let verifier = payspec_alipayplus::Verifier::new(
        &case.client_id,
        PublicKey::from_pem(&key_text(&case.public_key)).unwrap(),
    );
    let now = parse_request_time(case.time.as_deref().unwrap()).unwrap();
    let check = || {
        verifier
            .verify_notify_payment(
                &case.path,
                case.time.as_deref(),
                case.signature_header.as_deref(),
                case.body.as_bytes(),
                now,
            )
            .expect("verifies");
    };
    check();
    let rate = parallel(threads, per_thread, check);
    println!(
        "alipayplus notifyPayment (2048-bit), {threads} threads, {} notifications: {rate:.0}/s",
        threads * per_thread
    );
    println!(
        "peak RSS after the notification runs: {:.1} MiB",
        peak_rss_mib()
    );

    // The mock under a mixed load: one pay (create) to three inquiries, 4 client threads.
    let merchant =
        PrivateKey::from_pem(&key_text("keys/alipayplus-merchant-2048.pkcs8.pem")).unwrap();
    let gateway_key =
        PrivateKey::from_pem(&key_text("keys/alipayplus-gateway-mock-2048.pkcs8.pem")).unwrap();
    let mock = MockGateway::start(Config::new(
        Api::AlipayPlus,
        merchant.public_key(),
        gateway_key,
    ))
    .unwrap();
    let signer = payspec_alipayplus::Signer::new("LOAD", merchant);
    let base = mock.base_url();
    let workers = 4;
    let per_worker = requests.div_ceil(workers);
    let start = Instant::now();
    let mut latencies: Vec<Duration> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..workers)
            .map(|w| {
                let (signer, base) = (&signer, &base);
                s.spawn(move || {
                    let agent = ureq::Agent::config_builder()
                        .proxy(None)
                        .http_status_as_error(false)
                        .timeout_global(Some(Duration::from_secs(10)))
                        .build()
                        .new_agent();
                    let mut times = Vec::with_capacity(per_worker);
                    for i in 0..per_worker {
                        let id = format!("load-{w}-{}", i / 4);
                        let (path, body) = if i % 4 == 0 {
                            ("/aps/api/v1/payments/pay", format!(
                                r#"{{"paymentRequestId":"{id}","paymentAmount":{{"currency":"USD","value":"100"}},"order":{{"referenceOrderId":"o-{id}","orderDescription":"Load","orderAmount":{{"currency":"USD","value":"100"}},"env":{{"terminalType":"WEB"}}}},"paymentMethod":{{"paymentMethodType":"GCASH"}}}}"#
                            ))
                        } else {
                            ("/aps/api/v1/payments/inquiryPayment", format!(r#"{{"paymentRequestId":"{id}"}}"#))
                        };
                        let signed = signer
                            .sign_body(path, body.into_bytes(), &signer.request_time())
                            .expect("signs");
                        let request = signed.to_http(base).expect("request");
                        let sent = Instant::now();
                        let response = agent.run(request).expect("answered");
                        times.push(sent.elapsed());
                        assert_eq!(response.status(), 200);
                    }
                    times
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    let elapsed = start.elapsed();
    latencies.sort();
    let pct = |p: f64| latencies[((latencies.len() as f64 - 1.0) * p) as usize];
    println!(
        "mock (Alipay+, 1 pay : 3 inquiries, {workers} client threads, {} requests): {:.0} requests/s, p50 {:.2} ms, p99 {:.2} ms",
        latencies.len(),
        latencies.len() as f64 / elapsed.as_secs_f64(),
        pct(0.5).as_secs_f64() * 1e3,
        pct(0.99).as_secs_f64() * 1e3,
    );
    println!("peak RSS at the end: {:.1} MiB", peak_rss_mib());
    mock.shutdown();
}
