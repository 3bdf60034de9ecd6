//! `payspec`: sign and verify gateway messages from the command line.
//!
//! Exit codes: 0 success (`valid`), 1 verification failed (`invalid: <reason>`), 2 bad input
//! (unreadable file, malformed JSON parameters, unknown / missing / invalid parameter).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

mod explain;
mod generate;
use payspec_conformance::{header_rsa, ksher};
use payspec_runtime::scheme::header_rsa::Api as HeaderApi;
use payspec_runtime::sorted_params::ResponseError;
use payspec_runtime::{Backend, PrivateKey, PublicKey};

#[derive(Parser)]
#[command(
    name = "payspec",
    version,
    about = "Sign and verify payment-gateway messages (Ksher, Alipay+, Antom)"
)]
struct Cli {
    /// RSA implementation to use.
    #[arg(long, global = true, value_enum, default_value_t = BackendArg::Default)]
    backend: BackendArg,
    #[command(subcommand)]
    api: Api,
}

#[derive(Clone, Copy, ValueEnum)]
enum BackendArg {
    Default,
    Openssl,
    Rustcrypto,
}

#[derive(Subcommand)]
enum Api {
    /// Ksher classic API (MD5withRSA, hex).
    #[command(subcommand)]
    Ksher(KsherCmd),
    /// Alipay+ ACQP API (SHA256withRSA, `Signature` header).
    #[command(subcommand)]
    Alipayplus(AlipayCmd),
    /// Antom (AMS) merchant API (SHA256withRSA, `Signature` header; Request-Time in epoch ms).
    #[command(subcommand)]
    Antom(AlipayCmd),
    /// Run every golden-vector file through the generated crates (strict expected-failure list).
    Conformance {
        /// Directory of vector files.
        #[arg(long)]
        vectors: Option<PathBuf>,
        /// Expected-failure list.
        #[arg(long)]
        expected_failures: Option<PathBuf>,
        /// Rewrite the expected-failure list to the current failures.
        #[arg(long)]
        fix: bool,
    },
    /// Serve a mock gateway on a loopback address until interrupted (see mock/README.md).
    Mock(MockArgs),
    /// Why a signature does not verify: the expected content and digest, what the signature
    /// holds, and the known mistake that reproduces it (`diagnosis: <id>`; exit 0 valid, 1 other,
    /// 2 unreadable input).
    #[command(subcommand)]
    Explain(explain::ExplainApi),
    /// Is your notify endpoint safe? Sends it a genuine signed notification, forged ones and
    /// the genuine one again, and grades each reply by the spec's reply rule (exit 0 only if
    /// every check passed). Loopback URLs only unless --allow-non-loopback.
    ProbeNotify(ProbeArgs),
    /// Write the OpenAPI 3.1 document of a spec's API (stdout, or `--out`).
    Openapi {
        /// The spec file (YAML).
        #[arg(long)]
        spec: PathBuf,
        /// Where to write the document (default: stdout).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Generate a standalone crate from a spec (or check one: exit 1 on drift).
    Generate {
        /// The spec file (YAML).
        #[arg(long)]
        spec: PathBuf,
        /// The crate folder to write; only generated files in it are changed or removed.
        #[arg(long)]
        out: PathBuf,
        /// Package name (default: `payspec-<api>`).
        #[arg(long)]
        crate_name: Option<String>,
        /// How the crate depends on `payspec-runtime`: a folder, or a version requirement
        /// (default: the runtime this binary was built from).
        #[arg(long)]
        runtime: Option<String>,
        /// Write nothing; exit 1 naming every stale, missing or orphaned file.
        #[arg(long)]
        check: bool,
    },
}

#[derive(clap::Args)]
struct ProbeArgs {
    /// The API whose notifications are sent.
    #[arg(long, value_enum)]
    api: MockApi,
    /// Your notify endpoint.
    #[arg(long)]
    url: String,
    /// The private key your endpoint trusts as the gateway's (a test key: its public half is
    /// what your endpoint verifies with).
    #[arg(long)]
    gateway_key: PathBuf,
    /// Ksher `appid` / Alipay+ and Antom `Client-Id` your endpoint expects.
    #[arg(long)]
    client_id: Option<String>,
    /// Contact a URL that is not on loopback.
    #[arg(long)]
    allow_non_loopback: bool,
    /// Loopback URLs only (the default; refuses --allow-non-loopback).
    #[arg(long, conflicts_with = "allow_non_loopback")]
    only_loopback: bool,
    /// Timeout of each request, in milliseconds.
    #[arg(long, default_value_t = 5000)]
    timeout_ms: u64,
}

#[derive(clap::Args)]
struct MockArgs {
    /// The API to serve.
    #[arg(long, value_enum)]
    api: MockApi,
    /// Loopback address to listen on; port 0 picks a free port (printed on stdout).
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: std::net::SocketAddr,
    /// Merchant (Ksher, Antom) / acquirer (Alipay+) public key PEM: checks request signatures.
    #[arg(long)]
    merchant_public_key: PathBuf,
    /// Gateway private key PEM: signs responses and notifications.
    #[arg(long)]
    gateway_key: PathBuf,
    /// Accept only this Ksher appid / Alipay+ Client-Id (default: any).
    #[arg(long)]
    client_id: Option<String>,
    /// Pay every new order automatically after this many milliseconds.
    #[arg(long)]
    auto_pay_after_ms: Option<u64>,
    /// Notification retry delays in milliseconds, comma-separated (default: 50,100,100,500,1500,3000).
    #[arg(long, value_delimiter = ',')]
    retry_delays_ms: Option<Vec<u64>>,
    /// Do not log requests and notification attempts on stderr.
    #[arg(long)]
    quiet: bool,
    /// Faults to inject, a comma list: latency=200ms, latency=50..500ms, drop=0.1,
    /// http5xx=0.05, timeout=0.05, timeout-after=2s, unknown=0.2, notify-duplicate=1,
    /// notify-late=5s, notify-out-of-order=1; `@operation` limits one to an operation.
    #[arg(long)]
    faults: Option<String>,
    /// Seed of the fault decisions (the same seed injects the same faults).
    #[arg(long, default_value_t = 0)]
    seed: u64,
}

#[derive(Clone, Copy, ValueEnum)]
enum MockApi {
    Ksher,
    Alipayplus,
    Antom,
}

#[derive(Subcommand)]
enum AlipayCmd {
    /// Sign a request; prints {"content_to_sign", "signature", "header"} (+ "body" with --operation).
    Sign {
        /// Path to sign (no host, no query), e.g. /aps/api/v1/payments/pay. Default with --operation: its path.
        #[arg(long)]
        path: Option<String>,
        /// Client-Id header value.
        #[arg(long)]
        client_id: String,
        /// Request-Time header value, signed exactly as given.
        #[arg(long)]
        request_time: String,
        /// Body file, signed byte for byte (raw mode).
        #[arg(long, conflicts_with_all = ["operation", "params"], required_unless_present = "operation")]
        body: Option<PathBuf>,
        /// Operation whose typed request the params go through (typed mode).
        #[arg(long, requires = "params")]
        operation: Option<String>,
        /// JSON request body for --operation; validated against the spec.
        #[arg(long, requires = "operation")]
        params: Option<PathBuf>,
        /// Private key, PKCS#1 or PKCS#8 PEM.
        #[arg(long)]
        key: PathBuf,
        /// keyVersion in the header (default: the spec's).
        #[arg(long)]
        key_version: Option<u32>,
    },
    /// Verify a response or notification; prints `valid` or `invalid: <reason>`.
    Verify {
        #[arg(long, value_enum)]
        kind: KindArg,
        /// Response: the path of the request sent. Notification: your own endpoint path.
        #[arg(long)]
        path: String,
        #[arg(long)]
        client_id: String,
        /// response-time (response) or request-time (notification) header; omit if absent.
        #[arg(long)]
        time: Option<String>,
        /// The body exactly as received.
        #[arg(long)]
        body: PathBuf,
        /// The signature header value; omit if absent.
        #[arg(long)]
        signature_header: Option<String>,
        /// Gateway public key PEM.
        #[arg(long)]
        public_key: PathBuf,
        /// Current time (RFC 3339) for the notification freshness window; default: judge the
        /// notification at its own request-time (signature check only).
        #[arg(long)]
        now: Option<String>,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum KindArg {
    Response,
    Notification,
}

#[derive(Subcommand)]
enum KsherCmd {
    /// Sign the request of an operation; prints {"string_to_sign", "sign", "body"}.
    Sign {
        /// Operation wire name, e.g. `order_refund`.
        #[arg(long)]
        operation: String,
        /// JSON object of every parameter to sign (strings and integers), common ones included:
        /// exactly these are signed, none is added.
        #[arg(long)]
        params: PathBuf,
        /// Merchant private key, PKCS#1 or PKCS#8 PEM.
        #[arg(long)]
        key: PathBuf,
    },
    /// Verify a response or notification body; prints `valid` or `invalid: <reason>`.
    Verify {
        /// Operation wire name, or `notify_url` / `mch_notify_url` for notifications.
        #[arg(long)]
        operation: String,
        /// The body exactly as received.
        #[arg(long)]
        body: PathBuf,
        /// Gateway public key PEM (SPKI or PKCS#1); default: Ksher's published key.
        #[arg(long)]
        public_key: Option<PathBuf>,
    },
}

/// A failure with its exit code and one-line message.
struct Failure(u8, String);

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.api {
        Api::Ksher(cmd) => run_ksher(cmd, cli.backend),
        Api::Alipayplus(cmd) => run_header::<payspec_alipayplus::Api>(cmd, cli.backend),
        Api::Antom(cmd) => run_header::<payspec_antom::Api>(cmd, cli.backend),
        Api::Conformance {
            vectors,
            expected_failures,
            fix,
        } => run_conformance(vectors, expected_failures, fix),
        Api::Mock(args) => run_mock(args, cli.backend),
        Api::ProbeNotify(args) => run_probe(args, cli.backend),
        Api::Explain(api) => backend(cli.backend).and_then(|b| explain::run(api, b)),
        Api::Openapi { spec, out } => run_openapi(&spec, out.as_deref()),
        Api::Generate {
            spec,
            out,
            crate_name,
            runtime,
            check,
        } => run_generate(generate::Request {
            spec,
            out,
            crate_name,
            runtime,
            check,
        }),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure(code, message)) => {
            if code == 1 {
                if !message.is_empty() {
                    println!("{message}");
                }
            } else {
                eprintln!("error: {message}");
            }
            ExitCode::from(code)
        }
    }
}

fn run_openapi(spec: &Path, out: Option<&Path>) -> Result<(), Failure> {
    let text = std::fs::read_to_string(spec)
        .map_err(|e| Failure(2, format!("cannot read spec {}: {e}", spec.display())))?;
    let display = spec.to_string_lossy().replace('\\', "/");
    let document =
        payspec_codegen::openapi(&display, &text).map_err(|e| Failure(2, e.to_string()))?;
    match out {
        None => {
            use std::io::Write as _;
            // A closed pipe (`payspec openapi ... | head`) ends the output quietly.
            match std::io::stdout().lock().write_all(document.as_bytes()) {
                Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
                    Err(Failure(2, format!("cannot write the document: {e}")))
                }
                _ => Ok(()),
            }
        }
        Some(path) => {
            if path.is_dir() {
                return Err(Failure(2, format!("--out {} is a folder", path.display())));
            }
            std::fs::write(path, document)
                .map_err(|e| Failure(2, format!("cannot write {}: {e}", path.display())))
        }
    }
}

fn run_generate(request: generate::Request) -> Result<(), Failure> {
    match generate::run(&request) {
        Ok(changes) => {
            let out = request.out.display();
            if changes.is_empty() {
                println!("{out} is up to date with {}", request.spec.display());
            }
            for change in changes {
                println!("updated {change}");
            }
            Ok(())
        }
        Err(generate::Failure::BadInput(message)) => Err(Failure(2, message)),
        Err(generate::Failure::Drift(drift)) => Err(Failure(
            1,
            drift
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n"),
        )),
    }
}

fn backend(arg: BackendArg) -> Result<Backend, Failure> {
    match arg {
        BackendArg::Default => Ok(Backend::default()),
        BackendArg::Openssl => Backend::ALL
            .iter()
            .copied()
            .find(|b| b.name() == "openssl")
            .ok_or_else(|| Failure(2, "this build has no openssl backend".into())),
        BackendArg::Rustcrypto => Backend::ALL
            .iter()
            .copied()
            .find(|b| b.name() == "rustcrypto")
            .ok_or_else(|| {
                Failure(
                    2,
                    "this build has no rustcrypto backend (feature `rustcrypto`)".into(),
                )
            }),
    }
}

fn read(path: &Path, what: &str) -> Result<Vec<u8>, Failure> {
    std::fs::read(path)
        .map_err(|e| Failure(2, format!("cannot read {what} {}: {e}", path.display())))
}

fn read_text(path: &Path, what: &str) -> Result<String, Failure> {
    String::from_utf8(read(path, what)?)
        .map_err(|_| Failure(2, format!("{what} {} is not UTF-8", path.display())))
}

fn private_key(path: &Path, backend: Backend) -> Result<PrivateKey, Failure> {
    PrivateKey::from_pem_with(backend, &read_text(path, "key")?)
        .map_err(|e| Failure(2, format!("key {}: {e}", path.display())))
}

fn public_key(path: &Path, backend: Backend) -> Result<PublicKey, Failure> {
    PublicKey::from_pem_with(backend, &read_text(path, "public key")?)
        .map_err(|e| Failure(2, format!("public key {}: {e}", path.display())))
}

fn run_ksher(cmd: KsherCmd, backend_arg: BackendArg) -> Result<(), Failure> {
    let backend = backend(backend_arg)?;
    match cmd {
        KsherCmd::Sign {
            operation,
            params,
            key,
        } => {
            let text = read_text(&params, "params file")?;
            let params = payspec_conformance::strict_json::object(&text).map_err(|e| {
                Failure(
                    2,
                    format!(
                        "params file {} is not a valid JSON object: {e}",
                        params.display()
                    ),
                )
            })?;
            let key = private_key(&key, backend)?;
            let signed = ksher::sign_params(&operation, &params, &key)
                .map_err(|e| Failure(2, e.to_string()))?;
            let out = serde_json::json!({
                "string_to_sign": signed.form.string_to_sign,
                "sign": signed.form.sign,
                "body": signed.form.body,
            });
            println!("{out}");
            Ok(())
        }
        KsherCmd::Verify {
            operation,
            body,
            public_key: key,
        } => {
            if payspec_runtime::scheme::sorted_params::signed_fields::<payspec_ksher::Api>(
                &operation,
            )
            .is_none()
            {
                return Err(Failure(
                    2,
                    format!("unknown operation or notification `{operation}`"),
                ));
            }
            let body = read(&body, "body")?;
            let key = match key {
                Some(path) => public_key(&path, backend)?,
                None => PublicKey::from_pem_with(backend, payspec_ksher::GATEWAY_PUBLIC_KEY_PEM)
                    .map_err(|e| Failure(2, format!("published gateway key: {e}")))?,
            };
            match ksher::verify_body(&operation, &body, &key) {
                Ok(_) => {
                    println!("valid");
                    Ok(())
                }
                // Not a gateway document at all (not JSON, not UTF-8, truncated, too large or
                // too deep): malformed input, exit 2. A well-formed body that does not verify: 1.
                Err(ResponseError::Verify(e)) if e.is_malformed() => {
                    Err(Failure(2, format!("malformed body: {e}")))
                }
                Err(e) => Err(Failure(1, format!("invalid: {e}"))),
            }
        }
    }
}

/// `payspec alipayplus|antom ...`: the header-rsa commands for the API `A`.
fn run_header<A: HeaderApi>(cmd: AlipayCmd, backend_arg: BackendArg) -> Result<(), Failure> {
    let backend = backend(backend_arg)?;
    match cmd {
        AlipayCmd::Sign {
            path,
            client_id,
            request_time,
            body,
            operation,
            params,
            key,
            key_version,
        } => {
            let key = private_key(&key, backend)?;
            let key_version = key_version.unwrap_or(A::KEY_VERSION);
            let (signed, with_body) = match (body, operation, params) {
                (Some(body), _, _) => {
                    let path =
                        path.ok_or_else(|| Failure(2, "--path is required with --body".into()))?;
                    let body = read(&body, "body")?;
                    let signed = header_rsa::sign_raw::<A>(
                        &path,
                        &client_id,
                        &request_time,
                        body,
                        &key,
                        key_version,
                    )
                    .map_err(|e| Failure(2, e.to_string()))?;
                    (signed, false)
                }
                (None, Some(operation), Some(params)) => {
                    let text = read_text(&params, "params file")?;
                    // A duplicate member would be signed as serde_json's last value: refuse it.
                    payspec_conformance::strict_json::object(&text).map_err(|e| {
                        Failure(
                            2,
                            format!(
                                "params file {} is not a valid JSON object: {e}",
                                params.display()
                            ),
                        )
                    })?;
                    let signed = header_rsa::sign_typed::<A>(
                        &operation,
                        &text,
                        &client_id,
                        &request_time,
                        &key,
                        key_version,
                    )
                    .map_err(|e| Failure(2, e.to_string()))?;
                    if let Some(p) = path {
                        if p != signed.path {
                            return Err(Failure(
                                2,
                                format!(
                                    "--path {p} differs from the path of `{operation}`: {}",
                                    signed.path
                                ),
                            ));
                        }
                    }
                    (signed, true)
                }
                _ => {
                    return Err(Failure(
                        2,
                        "give --body, or --operation with --params".into(),
                    ))
                }
            };
            let mut out = serde_json::json!({
                "content_to_sign": signed.signature.content_to_sign,
                "signature": signed.signature.signature_urlencoded,
                "header": signed.signature.header,
            });
            if with_body {
                out["body"] =
                    serde_json::Value::String(String::from_utf8_lossy(&signed.body).into_owned());
            }
            println!("{out}");
            Ok(())
        }
        AlipayCmd::Verify {
            kind,
            path,
            client_id,
            time,
            body,
            signature_header,
            public_key: key,
            now,
        } => {
            let body = read(&body, "body")?;
            let key = public_key(&key, backend)?;
            let now = match now {
                Some(text) => Some(
                    payspec_runtime::time::OffsetDateTime::parse(
                        &text,
                        &payspec_runtime::time::format_description::well_known::Rfc3339,
                    )
                    .map_err(|e| Failure(2, format!("--now {text:?} is not RFC 3339: {e}")))?,
                ),
                None => None,
            };
            let kind = match kind {
                KindArg::Response => header_rsa::Kind::Response,
                KindArg::Notification => header_rsa::Kind::Notification,
            };
            let message = header_rsa::Message {
                kind,
                path: &path,
                client_id: &client_id,
                time: time.as_deref(),
                signature_header: signature_header.as_deref(),
                body: &body,
            };
            match header_rsa::verify::<A>(&message, &key, now) {
                Ok(_) => {
                    println!("valid");
                    Ok(())
                }
                Err(e) => Err(Failure(1, format!("invalid: {e}"))),
            }
        }
    }
}

fn run_conformance(
    vectors: Option<PathBuf>,
    expected: Option<PathBuf>,
    fix: bool,
) -> Result<(), Failure> {
    use payspec_conformance::runner;
    // Found at run time, never baked in at compile time: the binary may be installed, or built
    // into a target dir shared by several checkouts.
    let checkout = || {
        let cwd = std::env::current_dir()
            .map_err(|e| Failure(2, format!("cannot read the current directory: {e}")))?;
        payspec_conformance::find_checkout(&cwd).map_err(|e| Failure(2, e.to_string()))
    };
    let (vectors, list_path) = match (vectors, expected) {
        (Some(v), Some(e)) => (v, e),
        (Some(v), None) => {
            // The list sits beside the vectors folder in a checkout; elsewhere there is none.
            let list = v
                .parent()
                .map(|p| p.join("expected-failures.txt"))
                .unwrap_or_else(|| PathBuf::from("expected-failures.txt"));
            (v, list)
        }
        (None, e) => {
            let found = checkout()?;
            (found.vectors, e.unwrap_or(found.expected_failures))
        }
    };
    let list = match std::fs::read_to_string(&list_path) {
        Ok(text) => runner::parse_expected_failures(&text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => runner::ExpectedFailures::new(),
        Err(e) => {
            return Err(Failure(
                2,
                format!("cannot read {}: {e}", list_path.display()),
            ))
        }
    };
    if !vectors.is_dir() {
        return Err(Failure(
            2,
            format!("{} is not a directory", vectors.display()),
        ));
    }
    let reports = runner::run_all(&vectors);
    let summary = runner::summarize(&reports, &list);
    print!("{}", runner::render(&reports, &summary, &list));
    if fix {
        std::fs::write(
            &list_path,
            runner::render_expected_failures(&summary.actual_failures),
        )
        .map_err(|e| Failure(2, format!("cannot write {}: {e}", list_path.display())))?;
        println!(
            "wrote {} ({} entries)",
            list_path.display(),
            summary.actual_failures.len()
        );
        return Ok(());
    }
    if summary.failed.is_empty() {
        Ok(())
    } else {
        Err(Failure(
            1,
            format!("conformance failed: {} problem(s)", summary.failed.len()),
        ))
    }
}

fn mock_api(api: MockApi) -> payspec_mock::Api {
    match api {
        MockApi::Ksher => payspec_mock::Api::Ksher,
        MockApi::Alipayplus => payspec_mock::Api::AlipayPlus,
        MockApi::Antom => payspec_mock::Api::Antom,
    }
}

fn run_probe(args: ProbeArgs, backend_arg: BackendArg) -> Result<(), Failure> {
    let backend = backend(backend_arg)?;
    let config = payspec_mock::probe::ProbeConfig {
        api: mock_api(args.api),
        url: args.url,
        gateway_key: private_key(&args.gateway_key, backend)?,
        client_id: args.client_id,
        allow_non_loopback: args.allow_non_loopback && !args.only_loopback,
        timeout: std::time::Duration::from_millis(args.timeout_ms.clamp(1, 60_000)),
    };
    let results = payspec_mock::probe::probe(&config).map_err(|e| Failure(2, e.to_string()))?;
    println!("check | sent | expected | got | PASS/FAIL");
    for r in &results {
        println!(
            "{} | {} | {} | {} | {}",
            r.check,
            r.sent,
            if r.expect_success {
                "the success reply"
            } else {
                "anything but the success reply"
            },
            r.got.replace('|', "/"),
            if r.pass { "PASS" } else { "FAIL" }
        );
    }
    let failed: Vec<&str> = results
        .iter()
        .filter(|r| !r.pass)
        .map(|r| r.check)
        .collect();
    if failed.is_empty() {
        println!("every check passed");
        Ok(())
    } else {
        Err(Failure(1, format!("failed checks: {}", failed.join(", "))))
    }
}

fn run_mock(args: MockArgs, backend_arg: BackendArg) -> Result<(), Failure> {
    use std::io::Write as _;
    use std::time::Duration;
    let backend = backend(backend_arg)?;
    let api = mock_api(args.api);
    let mut config = payspec_mock::Config::new(
        api,
        public_key(&args.merchant_public_key, backend)?,
        private_key(&args.gateway_key, backend)?,
    );
    config.listen = args.listen;
    config.client_id = args.client_id;
    config.auto_pay_after = args.auto_pay_after_ms.map(Duration::from_millis);
    if let Some(delays) = args.retry_delays_ms {
        config.notify_retry_delays = delays.into_iter().map(Duration::from_millis).collect();
    }
    config.log = !args.quiet;
    if let Some(spec) = &args.faults {
        config.faults = spec
            .parse()
            .map_err(|e: payspec_mock::faults::FaultSpecError| {
                Failure(2, format!("--faults: {e}"))
            })?;
    }
    config.fault_seed = args.seed;
    let running =
        payspec_mock::MockGateway::start(config).map_err(|e| Failure(2, e.to_string()))?;
    println!("listening on {}", running.base_url());
    let _ = std::io::stdout().flush();
    loop {
        std::thread::park();
    }
}
