//! A crate outside this workspace that names only the shared root items compiles against both
//! generated crates (issue 10, point 2): the same names, the same constructors and builder
//! methods, `operations::<op>::<Op>Request` / `<Op>Response`, `verify_http_<notification>`.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The same code for both crates, told apart only by the crate, one operation and one
/// notification (all three API knowledge).
fn shape(krate: &str, op_module: &str, op: &str, notification: &str) -> String {
    format!(
        r#"
mod {krate} {{
    use {krate}::operations::{op_module}::{{{op}Request, {op}Response}};
    use {krate}::{{
        Client, Gateway, Operation, Outcome, PrivateKey, PublicKey, Signer, ValidationError,
        Verified, Verifier, VerifyNotifications,
    }};

    /// Generic code over the crate's operations.
    #[allow(dead_code)]
    fn sign_any<O: Operation>(signer: &Signer, request: &O) -> Result<usize, Box<dyn std::error::Error>> {{
        Ok(signer.sign(request)?.to_http("http://127.0.0.1:1")?.body().len())
    }}

    #[allow(dead_code)]
    pub async fn flow(
        merchant_id: &str,
        private: PrivateKey,
        verifier: Verifier,
        request: {op}Request,
        transport: payspec_runtime::transport::HttpTransport,
    ) -> Result<Option<Outcome>, Box<dyn std::error::Error>> {{
        let _: Result<(), ValidationError> = request.validate();
        let signer = Signer::new(merchant_id, private);
        let _ = sign_any(&signer, &request)?;
        let gateway = Gateway::new(signer, verifier.clone()).with_base_url("http://127.0.0.1:1");
        let client = Client::new(gateway, transport);
        let answer: Verified<_> = client.call(&request).await?;
        let typed: {op}Response = answer.into_inner().data;
        let _ = verifier.{notification}(&payspec_runtime::http::Request::new(Vec::<u8>::new()));
        let _: Option<&PublicKey> = None;
        Ok(typed.outcome())
    }}
}}
"#
    )
}

fn cargo(dir: &Path, target: &Path, args: &[&str]) -> std::process::Output {
    Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", target)
        .args(args)
        .output()
        .expect("run cargo")
}

#[test]
fn a_crate_outside_the_workspace_uses_every_generated_crate_the_same_way() {
    let root: PathBuf = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("repository root")
        .to_path_buf();
    let dir = std::env::temp_dir().join(format!("payspec-shape-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("src")).expect("scratch dir");
    let path = |p: &str| root.join(p).display().to_string().replace('\\', "/");
    std::fs::write(
        dir.join("Cargo.toml"),
        format!(
            "[package]\nname = \"scratch\"\nversion = \"0.0.0\"\nedition = \"2021\"\npublish = false\n\n\
             [dependencies]\n\
             payspec-ksher = {{ path = \"{}\", features = [\"client\"] }}\n\
             payspec-alipayplus = {{ path = \"{}\", features = [\"client\"] }}\n\
             payspec-antom = {{ path = \"{}\", features = [\"client\"] }}\n\
             payspec-runtime = {{ path = \"{}\", features = [\"client\"] }}\n\n[workspace]\n",
            path("generated/ksher"),
            path("generated/alipayplus"),
            path("generated/antom"),
            path("runtime"),
        ),
    )
    .expect("manifest");
    // The workspace's lock file: the same dependency versions, all in the local cache.
    std::fs::copy(root.join("Cargo.lock"), dir.join("Cargo.lock")).expect("lock file");
    let mut main = String::from("fn main() {}\n");
    main.push_str(&shape(
        "payspec_ksher",
        "order_query",
        "OrderQuery",
        "verify_http_notify_url",
    ));
    main.push_str(&shape(
        "payspec_alipayplus",
        "inquiry_payment",
        "InquiryPayment",
        "verify_http_notify_payment",
    ));
    main.push_str(&shape(
        "payspec_antom",
        "inquiry_refund",
        "InquiryRefund",
        "verify_http_notify_refund",
    ));
    std::fs::write(dir.join("src/main.rs"), main).expect("main.rs");
    let out = cargo(
        &dir,
        &root.join("target/shape-scratch"),
        &["check", "--offline", "--quiet"],
    );
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        out.status.success(),
        "the scratch crate does not compile:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
