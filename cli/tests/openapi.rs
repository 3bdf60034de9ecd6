//! `payspec openapi`: the OpenAPI 3.1 document of every spec validates with an independent
//! validator (openapi-spec-validator, pinned in conformance/interop/requirements.txt and
//! provisioned by scripts/setup-interop.sh), and says what the spec says.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use payspec_codegen::ir::{Signature, TypeDef};
use support::payspec;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("repository root")
        .to_path_buf()
}

fn specs() -> Vec<PathBuf> {
    let mut files = Vec::new();
    for dir in ["spec", "conformance/fixtures"] {
        for entry in std::fs::read_dir(root().join(dir)).expect("spec folder") {
            let path = entry.expect("entry").path();
            if path.extension().is_some_and(|e| e == "yaml") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// `(valid, error)` of each file, from openapi-spec-validator.
fn validate(files: &[PathBuf]) -> Vec<(bool, String)> {
    let root = root();
    let setup = Command::new("bash")
        .arg(root.join("scripts/setup-interop.sh"))
        .output()
        .expect("run scripts/setup-interop.sh");
    assert!(
        setup.status.success(),
        "scripts/setup-interop.sh failed (it installs the pinned openapi-spec-validator into .venv/):\n{}",
        String::from_utf8_lossy(&setup.stderr)
    );
    let out = Command::new(root.join(".venv/bin/python"))
        .arg(root.join("conformance/interop/openapi_check.py"))
        .args(files)
        .output()
        .expect("run the validator");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|line| {
            let v: serde_json::Value = serde_json::from_str(line).expect("JSON line");
            (
                v["valid"].as_bool().expect("valid"),
                v["error"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect()
}

#[test]
fn the_openapi_document_of_every_spec_validates_and_says_what_the_spec_says() {
    let dir = std::env::temp_dir().join(format!("payspec-openapi-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("scratch");
    let mut documents = Vec::new();
    for spec in specs() {
        let name = spec
            .file_stem()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        let out = dir.join(format!("{name}.json"));
        let (code, stdout, stderr) = payspec(&[
            "openapi",
            "--spec",
            &spec.display().to_string(),
            "--out",
            &out.display().to_string(),
        ]);
        assert_eq!(code, 0, "{name}: {stdout}{stderr}");

        // What the spec says is in the document.
        let api = payspec_codegen::parse_spec(
            &spec.display().to_string(),
            &std::fs::read_to_string(&spec).expect("spec"),
        )
        .expect("a valid spec");
        let doc: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&out).expect("document")).unwrap();
        assert_eq!(doc["openapi"], "3.1.0");
        let paths = doc["paths"].as_object().expect("paths");
        assert_eq!(
            paths.len(),
            api.operations.len(),
            "{name}: one path an operation"
        );
        for op in &api.operations {
            let post = &paths[&op.path]["post"];
            assert_eq!(post["operationId"], op.wire.as_str(), "{name}");
            assert_eq!(post["x-payspec-creates"], op.creates, "{name}");
            let required: Vec<&str> = op
                .request
                .iter()
                .filter(|f| f.required)
                .map(|f| f.wire.as_str())
                .collect();
            if !required.is_empty() {
                let content = &post["requestBody"]["content"]["application/x-www-form-urlencoded"]
                    ["schema"]["required"];
                for wire in required {
                    assert!(
                        content
                            .as_array()
                            .is_some_and(|r| r.iter().any(|v| v == wire)),
                        "{name} {}: {wire} not required",
                        op.wire
                    );
                }
            }
        }
        for t in &api.types {
            let schema = &doc["components"]["schemas"][t.name()];
            match t {
                TypeDef::Enum { values, .. } => {
                    let text = schema.to_string();
                    for (wire, ..) in values {
                        assert!(
                            text.contains(&format!("\"{wire}\"")),
                            "{name} {}: {wire}",
                            t.name()
                        );
                    }
                }
                TypeDef::Object { fields, .. } => {
                    for f in fields.iter().filter(|f| f.required) {
                        assert!(
                            schema["required"]
                                .as_array()
                                .is_some_and(|r| r.iter().any(|v| v == f.wire.as_str())),
                            "{name} {}: {}",
                            t.name(),
                            f.wire
                        );
                    }
                }
            }
        }
        let scheme = match api.signature {
            Signature::SortedParams { .. } => "sorted-params",
            Signature::HeaderRsa { .. } => "header-rsa",
        };
        assert_eq!(doc["x-payspec-signature"]["scheme"], scheme, "{name}");
        assert_eq!(
            doc.get("webhooks")
                .and_then(|w| w.as_object())
                .map_or(0, |w| w.len()),
            api.notifications.len(),
            "{name}: one webhook a notification"
        );
        documents.push(out);
    }
    // A control the validator must reject: the first document without `info`.
    let broken = dir.join("broken.json");
    let mut doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&documents[0]).unwrap()).unwrap();
    doc.as_object_mut().unwrap().remove("info");
    std::fs::write(&broken, doc.to_string()).unwrap();
    documents.push(broken);

    let results = validate(&documents);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(results.len(), documents.len());
    let (control, real) = results.split_last().expect("results");
    assert!(!control.0, "the validator accepts a document without info");
    for ((valid, error), path) in real.iter().zip(&documents) {
        assert!(valid, "{}: {error}", path.display());
    }
}

#[test]
fn bad_input_exits_2_with_one_line() {
    let dir = std::env::temp_dir().join(format!("payspec-openapi-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("scratch");
    std::fs::write(dir.join("bad.yaml"), "api: demo\ntitle: [unclosed\n").unwrap();
    let ksher = root().join("spec/ksher.yaml").display().to_string();
    let cases: &[(&[&str], &str)] = &[
        (&["--spec", "no/such/spec.yaml"], "cannot read spec"),
        (
            &["--spec", &dir.join("bad.yaml").display().to_string()],
            "bad.yaml:",
        ),
        (
            &["--spec", &ksher, "--out", &dir.display().to_string()],
            "is a folder",
        ),
    ];
    for (args, needle) in cases {
        let mut all = vec!["openapi"];
        all.extend_from_slice(args);
        let (code, stdout, stderr) = payspec(&all);
        assert_eq!(code, 2, "{args:?}: {stdout}{stderr}");
        assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
        assert!(stderr.contains(needle), "{args:?}: {stderr}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
