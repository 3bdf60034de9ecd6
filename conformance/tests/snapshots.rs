//! Golden output of the generator: every file generated from the fixture specs in
//! `conformance/fixtures/` is an insta snapshot (review changes with `cargo insta review`). The same
//! output is committed under `conformance/fixtures/generated/` and compiled as workspace crates,
//! so golden output that does not build cannot land.

use std::path::PathBuf;

/// The options `cargo xtask codegen` uses for the fixture crates (the runtime four levels up).
fn options() -> payspec_codegen::Options {
    payspec_codegen::Options {
        runtime: payspec_codegen::RuntimeDependency::Path("../../../../runtime".into()),
        crate_name: None,
    }
}

fn fixtures() -> Vec<(String, String)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let mut specs: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("fixtures folder")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    specs.sort();
    specs
        .into_iter()
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (
                format!("conformance/fixtures/{name}"),
                std::fs::read_to_string(&p).unwrap(),
            )
        })
        .collect()
}

/// The snapshot name of a generated file (`generated/x/src/lib.rs` → `x__src__lib__rs`).
fn snapshot_name(path: &str) -> String {
    path.trim_start_matches("generated/")
        .replace(['/', '.'], "__")
}

#[test]
fn generated_code_of_each_fixture() {
    let fixtures = fixtures();
    assert!(fixtures.len() >= 5, "expected the five feature fixtures");
    let mut settings = insta::Settings::clone_current();
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings.bind(|| {
        for (path, text) in &fixtures {
            let files = payspec_codegen::generate_with(path, text, &options())
                .unwrap_or_else(|e| panic!("{e}"));
            for file in files {
                insta::assert_snapshot!(snapshot_name(&file.path), file.contents);
            }
        }
    });
}

/// The committed fixture crates are exactly what the generator produces now.
#[test]
fn committed_fixture_crates_match_the_generator() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    for (path, text) in fixtures() {
        for file in payspec_codegen::generate_with(&path, &text, &options()).unwrap() {
            let rel = file.path.replacen("generated/", "fixtures/generated/", 1);
            let committed =
                std::fs::read_to_string(root.join(&rel)).unwrap_or_else(|e| panic!("{rel}: {e}"));
            assert_eq!(
                committed, file.contents,
                "{rel} is stale: run `cargo xtask codegen`"
            );
        }
    }
}

/// Every file in `tests/snapshots/` belongs to a generated file (what `cargo insta test
/// --unreferenced=reject` checks, without needing cargo-insta), and no pending `.snap.new` is left.
#[test]
fn no_unreferenced_or_pending_snapshots() {
    let mut expected: Vec<String> = Vec::new();
    for (path, text) in fixtures() {
        for file in payspec_codegen::generate_with(&path, &text, &options())
            .unwrap_or_else(|e| panic!("{e}"))
        {
            expected.push(format!("{}.snap", snapshot_name(&file.path)));
        }
    }
    expected.sort();
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots");
    let mut present: Vec<String> = std::fs::read_dir(&dir)
        .expect("tests/snapshots")
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect();
    present.sort();
    assert_eq!(
        present, expected,
        "tests/snapshots/ must hold exactly one .snap per generated fixture file \
         (delete unreferenced ones; review pending ones with `cargo insta review`)"
    );
}
