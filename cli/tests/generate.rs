//! `payspec generate`: standalone crates from a spec, written or checked with the same code path
//! as `cargo xtask codegen`, and bad input refused with exit 2 and one line.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use support::payspec;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("repository root")
        .to_path_buf()
}

/// A fresh folder under the system's temp dir, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir =
            std::env::temp_dir().join(format!("payspec-generate-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("scratch folder");
        Scratch(dir)
    }

    fn path(&self, rel: &str) -> String {
        self.0.join(rel).display().to_string()
    }

    /// Every entry directly in the scratch folder.
    fn entries(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(&self.0)
            .expect("scratch folder")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn spec(name: &str) -> String {
    root().join("spec").join(name).display().to_string()
}

#[test]
fn the_committed_crates_are_what_payspec_generate_writes() {
    // The same bytes as `cargo xtask codegen`: checking the committed crates finds no drift
    // (run from the repository root, so the header names `spec/<api>.yaml` as the xtask does).
    for api in ["ksher", "alipayplus"] {
        let out = Command::new(env!("CARGO_BIN_EXE_payspec"))
            .current_dir(root())
            .args([
                "generate",
                "--spec",
                &format!("spec/{api}.yaml"),
                "--out",
                &format!("generated/{api}"),
                "--check",
            ])
            .output()
            .expect("run payspec");
        assert_eq!(
            out.status.code(),
            Some(0),
            "{api}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn a_generated_crate_builds_outside_the_workspace_and_its_drift_is_checked() {
    let scratch = Scratch::new("crate");
    let out = scratch.path("alipay-client");
    let (code, stdout, stderr) = payspec(&[
        "generate",
        "--spec",
        &spec("alipayplus.yaml"),
        "--out",
        &out,
        "--crate-name",
        "my-alipay-client",
    ]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("missing: src/lib.rs"), "{stdout}");
    let manifest = std::fs::read_to_string(scratch.0.join("alipay-client/Cargo.toml")).unwrap();
    assert!(
        manifest.contains("name = \"my-alipay-client\""),
        "{manifest}"
    );
    assert!(!manifest.contains("workspace"), "{manifest}");
    assert!(scratch.0.join("alipay-client/README.md").is_file());

    // It builds on its own (the workspace's lock file: the same, cached dependency versions).
    std::fs::copy(
        root().join("Cargo.lock"),
        scratch.0.join("alipay-client/Cargo.lock"),
    )
    .unwrap();
    let build = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .current_dir(scratch.0.join("alipay-client"))
        .env("CARGO_TARGET_DIR", root().join("target/shape-scratch"))
        .args(["check", "--offline", "--quiet"])
        .output()
        .expect("run cargo");
    assert!(
        build.status.success(),
        "the generated crate does not build:\n{}",
        String::from_utf8_lossy(&build.stderr)
    );

    let check = |expect: i32, needle: &str| {
        let (code, stdout, stderr) = payspec(&[
            "generate",
            "--spec",
            &spec("alipayplus.yaml"),
            "--out",
            &out,
            "--crate-name",
            "my-alipay-client",
            "--check",
        ]);
        assert_eq!(code, expect, "{stdout}{stderr}");
        assert!(stdout.contains(needle), "{stdout}");
    };
    // Unchanged (Cargo.lock, a file without the header, is the user's and is left alone).
    check(0, "is up to date");
    // Hand-edited, then an orphan, then a missing file: each is named.
    let types = scratch.0.join("alipay-client/src/types.rs");
    let original = std::fs::read_to_string(&types).unwrap();
    std::fs::write(&types, format!("{original}// edited by hand\n")).unwrap();
    check(1, "stale: src/types.rs");
    std::fs::write(&types, &original).unwrap();
    let orphan = scratch.0.join("alipay-client/src/operations/old.rs");
    let header = original.lines().next().unwrap();
    std::fs::write(&orphan, format!("{header}\n")).unwrap();
    check(1, "orphaned: src/operations/old.rs");
    std::fs::remove_file(&orphan).unwrap();
    std::fs::remove_file(scratch.0.join("alipay-client/src/api.rs")).unwrap();
    check(1, "missing: src/api.rs");
    // Writing again repairs it, and nothing but the crate folder exists in the scratch folder.
    let (code, ..) = payspec(&[
        "generate",
        "--spec",
        &spec("alipayplus.yaml"),
        "--out",
        &out,
        "--crate-name",
        "my-alipay-client",
    ]);
    assert_eq!(code, 0);
    check(0, "is up to date");
    assert_eq!(scratch.entries(), ["alipay-client"]);
}

#[test]
fn bad_input_exits_2_with_one_line_and_writes_nothing() {
    let scratch = Scratch::new("bad");
    std::fs::write(scratch.0.join("a-file"), "x").unwrap();
    std::fs::write(scratch.0.join("bad.yaml"), "api: demo\ntitle: [unclosed\n").unwrap();
    let ksher = spec("ksher.yaml");
    let cases: &[(&[&str], &str)] = &[
        (
            &[
                "--spec",
                &scratch.path("nope.yaml"),
                "--out",
                &scratch.path("out"),
            ],
            "cannot read spec",
        ),
        (
            &["--spec", &ksher, "--out", &scratch.path("a-file")],
            "is not a folder",
        ),
        (
            &[
                "--spec",
                &ksher,
                "--out",
                &scratch.path("out"),
                "--runtime",
                "no such/runtime",
            ],
            "neither a folder",
        ),
        (
            &[
                "--spec",
                &ksher,
                "--out",
                &scratch.path("out"),
                "--crate-name",
                "9 lives",
            ],
            "not a crate name",
        ),
        (
            &[
                "--spec",
                &scratch.path("bad.yaml"),
                "--out",
                &scratch.path("out"),
            ],
            "bad.yaml:",
        ),
    ];
    for (args, needle) in cases {
        let mut all = vec!["generate"];
        all.extend_from_slice(args);
        let (code, stdout, stderr) = payspec(&all);
        assert_eq!(code, 2, "{args:?}: {stdout}{stderr}");
        assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
        assert!(stderr.contains(needle), "{args:?}: {stderr}");
    }
    assert_eq!(
        scratch.entries(),
        ["a-file", "bad.yaml"],
        "something was written"
    );
}

#[test]
fn generate_never_touches_what_is_not_its_own() {
    let scratch = Scratch::new("own");
    let out = scratch.path("clients");
    let args = |check: bool| {
        let mut a = vec![
            "generate".to_owned(),
            "--spec".to_owned(),
            spec("ksher.yaml"),
            "--out".to_owned(),
            out.clone(),
        ];
        if check {
            a.push("--check".to_owned());
        }
        a
    };
    let run = |check: bool| {
        let owned = args(check);
        let refs: Vec<&str> = owned.iter().map(String::as_str).collect();
        payspec(&refs)
    };
    // A user file where a generated one would go is refused, not overwritten.
    std::fs::create_dir_all(scratch.0.join("clients")).unwrap();
    std::fs::write(scratch.0.join("clients/README.md"), "my own notes\n").unwrap();
    let (code, _, stderr) = run(false);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("refusing to overwrite"), "{stderr}");
    assert_eq!(
        std::fs::read_to_string(scratch.0.join("clients/README.md")).unwrap(),
        "my own notes\n"
    );
    std::fs::remove_file(scratch.0.join("clients/README.md")).unwrap();

    // Another generated crate below the folder (its own Cargo.toml) is left alone, and so is a
    // generated file of another spec.
    let (code, ..) = run(false);
    assert_eq!(code, 0);
    let sibling = scratch.0.join("clients/alipay");
    std::fs::create_dir_all(sibling.join("src")).unwrap();
    let header = std::fs::read_to_string(scratch.0.join("clients/src/lib.rs")).unwrap();
    let header = header.lines().next().unwrap().to_owned();
    std::fs::write(sibling.join("Cargo.toml"), format!("{header}\n")).unwrap();
    std::fs::write(sibling.join("src/lib.rs"), format!("{header}\n")).unwrap();
    let other_spec = header.replace("ksher.yaml", "other.yaml");
    std::fs::write(
        scratch.0.join("clients/src/other.rs"),
        format!("{other_spec}\n"),
    )
    .unwrap();
    let (code, stdout, stderr) = run(true);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(sibling.join("src/lib.rs").exists());
    assert!(scratch.0.join("clients/src/other.rs").exists());

    // A symbolic link inside the folder is never written through.
    #[cfg(unix)]
    {
        let target = scratch.0.join("elsewhere.rs");
        std::fs::write(&target, "outside\n").unwrap();
        let types = scratch.0.join("clients/src/types.rs");
        std::fs::remove_file(&types).unwrap();
        std::os::unix::fs::symlink(&target, &types).unwrap();
        let (code, _, stderr) = run(false);
        assert_eq!(code, 2, "{stderr}");
        assert!(stderr.contains("symbolic link"), "{stderr}");
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "outside\n");
    }
}
