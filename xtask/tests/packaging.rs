//! Generated crates are standalone packages: their manifests need no workspace, and the RSA
//! backend is chosen by forwarded features (`rustcrypto` alone pulls in no OpenSSL).

use std::path::Path;
use std::process::Command;

fn cargo(root: &Path, args: &[&str]) -> String {
    let out = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .current_dir(root)
        .args(args)
        .output()
        .expect("run cargo");
    assert!(
        out.status.success(),
        "cargo {args:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn rustcrypto_only_builds_have_no_openssl() {
    let root = xtask::repo_root().expect("inside the checkout");
    for krate in ["payspec-ksher", "payspec-alipayplus"] {
        let tree = |features: &[&str]| {
            let mut args = vec![
                "tree",
                "--offline",
                "-e",
                "normal",
                "--prefix",
                "none",
                "-p",
                krate,
            ];
            args.extend_from_slice(features);
            cargo(&root, &args)
        };
        let default = tree(&[]);
        assert!(
            default.lines().any(|l| l.starts_with("openssl ")),
            "{krate}: {default}"
        );
        let pure = tree(&["--no-default-features", "--features", "rustcrypto"]);
        assert!(
            !pure.lines().any(|l| l.starts_with("openssl")),
            "{krate} with only rustcrypto depends on OpenSSL:\n{pure}"
        );
        assert!(
            pure.lines().any(|l| l.starts_with("rsa ")),
            "{krate}: {pure}"
        );
    }
}

#[test]
fn generated_manifests_need_no_workspace() {
    let root = xtask::repo_root().expect("inside the checkout");
    for api in ["ksher", "alipayplus"] {
        let manifest = std::fs::read_to_string(root.join(format!("generated/{api}/Cargo.toml")))
            .expect("generated manifest");
        assert!(
            !manifest.contains("workspace"),
            "generated/{api}/Cargo.toml inherits from the workspace"
        );
        // Outside this workspace, with the runtime path made absolute, cargo reads it.
        let dir =
            std::env::temp_dir().join(format!("payspec-standalone-{api}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("src")).expect("temp crate");
        let runtime = root.join("runtime");
        std::fs::write(
            dir.join("Cargo.toml"),
            manifest.replace(
                "path = \"../../runtime\"",
                &format!("path = {:?}", runtime.display().to_string()),
            ),
        )
        .expect("manifest");
        std::fs::write(dir.join("src/lib.rs"), "").expect("lib");
        let metadata = cargo(
            &dir,
            &[
                "metadata",
                "--offline",
                "--no-deps",
                "--format-version",
                "1",
            ],
        );
        assert!(
            metadata.contains(&format!("\"name\":\"payspec-{api}\"")),
            "{metadata}"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
