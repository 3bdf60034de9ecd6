//! The measuring harness both benches share: typed/raw pairs, criterion runs, and the ratio
//! report with its paired cross-check (see `BENCHMARKS.md`).

use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::time::{Duration, Instant, SystemTime};

use criterion::Criterion;
use payspec_conformance::vectors_dir;
use std::hint::black_box;

/// A file below `conformance/vectors/`.
pub fn read_vector(rel: &str) -> String {
    let path = vectors_dir().join(rel);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A typed benchmark and the raw RSA operation it wraps, on the same bytes with the same key.
pub struct Pair {
    /// Criterion group, `<api>/<backend>/<sign|verify>`.
    pub group: String,
    pub typed_id: &'static str,
    pub raw_id: &'static str,
    /// Highest acceptable typed ÷ raw ratio; `None`: reported only.
    pub target: Option<f64>,
    pub typed: Box<dyn Fn()>,
    pub raw: Rc<dyn Fn()>,
    /// The backend's lowest-level RSA operation on the same key (what `openssl speed` times:
    /// PKCS#1 padding plus the RSA private or public operation, no digest, no EVP), if the
    /// backend exposes one.
    pub floor: Option<Floor>,
}

/// A floor benchmark: its id and the operation.
pub type Floor = (&'static str, Rc<dyn Fn()>);

/// The floor of a verification: `RSA_public_decrypt` with PKCS#1 padding of `signature`, with
/// the OpenSSL key of `public_pem` (SPKI or PKCS#1), checked against the DigestInfo it yields.
pub fn openssl_verify_floor(public_pem: &str, signature: &[u8]) -> Rc<dyn Fn()> {
    use openssl::rsa::{Padding, Rsa};
    let rsa = Rsa::public_key_from_pem(public_pem.as_bytes())
        .or_else(|_| Rsa::public_key_from_pem_pkcs1(public_pem.as_bytes()))
        .expect("public key for the floor");
    let mut out = vec![0u8; rsa.size() as usize];
    let n = rsa
        .public_decrypt(signature, &mut out, Padding::PKCS1)
        .expect("a valid signature");
    let digest_info = out[..n].to_vec();
    let signature = signature.to_vec();
    Rc::new(move || {
        let mut out = [0u8; 512];
        let n = rsa
            .public_decrypt(black_box(&signature), &mut out, Padding::PKCS1)
            .expect("floor verify");
        assert!(
            black_box(&out[..n]) == digest_info.as_slice(),
            "floor verify"
        );
    })
}

/// The floor of a signature: `RSA_private_encrypt` with PKCS#1 padding of the DigestInfo inside
/// `signature` (a valid signature by the key of `private_pem`).
pub fn openssl_sign_floor(private_pem: &str, signature: &[u8]) -> Rc<dyn Fn()> {
    use openssl::rsa::{Padding, Rsa};
    let rsa = Rsa::private_key_from_pem(private_pem.as_bytes()).expect("private key for the floor");
    let mut out = vec![0u8; rsa.size() as usize];
    let n = rsa
        .public_decrypt(signature, &mut out, Padding::PKCS1)
        .expect("a valid signature");
    let digest_info = out[..n].to_vec();
    Rc::new(move || {
        let mut out = [0u8; 512];
        black_box(rsa.private_encrypt(black_box(&digest_info), &mut out, Padding::PKCS1))
            .expect("floor sign");
    })
}

/// Each pair's typed benchmark followed by its raw twin (a shared twin runs once).
pub fn bench_pairs(c: &mut Criterion, pairs: &[Pair]) {
    for same_group in pairs.chunk_by(|a, b| a.group == b.group) {
        let mut group = c.benchmark_group(&same_group[0].group);
        let mut raw_done = Vec::new();
        for pair in same_group {
            group.bench_function(pair.typed_id, |b| b.iter(&pair.typed));
            if !raw_done.contains(&pair.raw_id) {
                group.bench_function(pair.raw_id, |b| b.iter(&*pair.raw));
                raw_done.push(pair.raw_id);
            }
            if let Some((id, floor)) = &pair.floor {
                if !raw_done.contains(id) {
                    group.bench_function(*id, |b| b.iter(&**floor));
                    raw_done.push(id);
                }
            }
        }
        group.finish();
    }
}

/// Where criterion writes its results; set explicitly so the ratio report reads the same place.
pub fn output_dir() -> PathBuf {
    if let Some(home) = std::env::var_os("CRITERION_HOME") {
        return home.into();
    }
    if let Some(target) = std::env::var_os("CARGO_TARGET_DIR") {
        return PathBuf::from(target).join("criterion");
    }
    // The bench executable is `<target>/<profile>/deps/<bench>-<hash>`.
    std::env::current_exe()
        .ok()
        .and_then(|exe| exe.ancestors().nth(3).map(|t| t.join("criterion")))
        .unwrap_or_else(|| PathBuf::from("target/criterion"))
}

/// Mean and median point estimates in nanoseconds, if `group/id` was measured since `since`.
pub fn fresh_estimates(dir: &Path, group: &str, id: &str, since: SystemTime) -> Option<(f64, f64)> {
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

pub fn micros(ns: f64) -> String {
    format!("{:.2} µs", ns / 1000.0)
}

/// Rounds of the paired cross-check; each round times one block of typed calls and one block of
/// raw calls back to back.
pub const PAIRED_ROUNDS: usize = 250;
/// Target length of one block (a slow call, e.g. a 2048-bit RustCrypto signature, makes a block
/// of one call).
pub const PAIRED_BLOCK: Duration = Duration::from_millis(2);

/// Median over [`PAIRED_ROUNDS`] of (typed block time ÷ raw block time), the two blocks of a round
/// timed back to back in alternating order. A neighbour that slows the machine for a while slows
/// both halves of a round alike, so this ratio resists load that the separate criterion
/// measurements (seconds apart) do not.
pub fn paired_ratio(typed: &dyn Fn(), raw: &dyn Fn()) -> f64 {
    let block = |f: &dyn Fn(), calls: u32| {
        let start = Instant::now();
        for _ in 0..calls {
            f();
        }
        start.elapsed().as_secs_f64()
    };
    let per_call = block(raw, 20) / 20.0;
    let calls = ((PAIRED_BLOCK.as_secs_f64() / per_call) as u32).max(1);
    for _ in 0..10 {
        block(typed, calls);
        block(raw, calls);
    }
    let mut ratios: Vec<f64> = (0..PAIRED_ROUNDS)
        .map(|round| {
            if round % 2 == 0 {
                let t = block(typed, calls);
                t / block(raw, calls)
            } else {
                let r = block(raw, calls);
                block(typed, calls) / r
            }
        })
        .collect();
    ratios.sort_by(f64::total_cmp);
    ratios[PAIRED_ROUNDS / 2]
}

/// For every pair whose two halves this run measured: the typed ÷ raw ratio of criterion's
/// estimates, and the paired cross-check.
/// `api` is the group prefix (`ksher`), `operation` names the raw twin (`RSA-MD5 on the same
/// string`).
pub fn print_ratios(dir: &Path, since: SystemTime, pairs: &[Pair], api: &str, operation: &str) {
    let mut rows = Vec::new();
    for pair in pairs {
        let (Some((t_mean, t_median)), Some((r_mean, r_median))) = (
            fresh_estimates(dir, &pair.group, pair.typed_id, since),
            fresh_estimates(dir, &pair.group, pair.raw_id, since),
        ) else {
            continue;
        };
        let ratio = t_mean / r_mean;
        let paired = paired_ratio(&*pair.typed, &*pair.raw);
        let floor = pair
            .floor
            .as_ref()
            .and_then(|(id, _)| fresh_estimates(dir, &pair.group, id, since))
            .map_or_else(
                || "— | —".to_owned(),
                |(f_mean, _)| format!("{} | **{:.3}**", micros(f_mean), t_mean / f_mean),
            );
        let (target, verdict) = match pair.target {
            Some(t) if ratio <= t => (format!("≤ {t}"), "met"),
            Some(t) => (format!("≤ {t}"), "MISSED"),
            None => ("—".to_owned(), ""),
        };
        rows.push(format!(
            "| {} | {} | {} | {} | {} | **{ratio:.3}** | {:.3} | {paired:.3} | {target} | {verdict} | {floor} |",
            pair.group.trim_start_matches(api).trim_start_matches('/'),
            pair.typed_id,
            micros(t_mean),
            micros(r_mean),
            micros(t_mean - r_mean),
            t_median / r_median,
        ));
    }
    if rows.is_empty() {
        return;
    }
    println!("\nTyped ÷ raw {operation} with the same key, this run:\n");
    println!(
        "| backend/path | typed benchmark | typed (mean) | raw (mean) | difference \
         | ratio of means | ratio of medians | paired ratio | target | | floor (mean) | typed ÷ floor |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|---:|---|---|---:|---:|");
    for row in rows {
        println!("{row}");
    }
    println!(
        "\nThe verdict is on the ratio of criterion's mean estimates. Paired ratio: median over \
         {PAIRED_ROUNDS} rounds of back-to-back blocks (~{} ms each, at least one call) of typed \
         and raw calls. Floor: the backend's bare RSA operation with PKCS#1 padding (OpenSSL \
         `RSA_public_decrypt` / `RSA_private_encrypt`, what `openssl speed` times), same key.",
        PAIRED_BLOCK.as_millis()
    );
}
