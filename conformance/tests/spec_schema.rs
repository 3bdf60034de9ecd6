//! `spec/schema.json` (the spec format as a JSON Schema, for editors) agrees with the generator:
//! an independent validator (Python `jsonschema`, pinned in `conformance/interop/requirements.txt`
//! and provisioned by `scripts/setup-interop.sh`) accepts every shipped spec and fixture and
//! rejects exactly the bad-spec cases the schema can express.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The bad-spec cases (`codegen/tests/bad_specs/<name>.yaml`) whose defect is structural, so the
/// schema rejects them too. The others need the generator: references between names, duplicates,
/// key material, Rust name clashes, comparisons between values.
const SCHEMA_REJECTS: &[&str] = &[
    "array_without_items",
    "bad_api_name",
    "enum_empty_list",
    "enum_empty_map",
    "field_name_not_identifier",
    "field_name_underscore",
    "host_name_underscore",
    "host_url_not_http",
    "host_url_with_quotes",
    "items_on_non_array",
    "key_of_other_scheme",
    "lowercase_type_name",
    "max_length_not_an_integer",
    "max_length_on_integer",
    "missing_api",
    "missing_scheme",
    "missing_signature",
    "non_scalar_key",
    "notification_without_reply",
    "open_on_object_type",
    "operations_empty",
    "outcome_label_unknown",
    "path_is_a_mapping",
    "path_without_slash",
    "required_maybe",
    "required_quoted",
    "rule_with_one_field",
    "rule_with_two_kinds",
    "second_yaml_document",
    "sign_param_not_sign",
    "syntax_bad_indentation",
    "syntax_tab_indentation",
    "syntax_unclosed_bracket",
    "top_level_scalar",
    "top_level_sequence",
    "type_needs_values_or_fields",
    "unknown_digest",
    "unknown_field_key",
    "unknown_field_type",
    "unknown_scheme",
    "unknown_time_format",
    "unknown_top_level_key",
    "unknown_value_source",
];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("repository root")
        .to_path_buf()
}

fn yaml_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    files
}

/// `(file name without .yaml, valid, first error)` of each file, from the Python validator.
fn validate(files: &[PathBuf]) -> Vec<(String, bool, String)> {
    let root = root();
    let setup = Command::new("bash")
        .arg(root.join("scripts/setup-interop.sh"))
        .output()
        .expect("run scripts/setup-interop.sh");
    assert!(
        setup.status.success(),
        "scripts/setup-interop.sh failed (it installs the pinned jsonschema into .venv/):\n{}",
        String::from_utf8_lossy(&setup.stderr)
    );
    let out = Command::new(root.join(".venv/bin/python"))
        .arg(root.join("conformance/interop/spec_schema.py"))
        .arg(root.join("spec/schema.json"))
        .args(files)
        .output()
        .expect("run the validator");
    assert!(
        out.status.success(),
        "spec_schema.py failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|line| {
            let v: serde_json::Value = serde_json::from_str(line).expect("one JSON object a line");
            let file = v["file"].as_str().expect("file");
            let name = Path::new(file)
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            (
                name,
                v["valid"].as_bool().expect("valid"),
                v["error"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect()
}

#[test]
fn the_schema_accepts_every_spec_and_fixture_and_they_name_it() {
    let root = root();
    let mut files = yaml_files(&root.join("spec"));
    files.extend(yaml_files(&root.join("conformance/fixtures")));
    assert!(files.len() >= 7, "specs or fixtures missing: {files:?}");
    for file in &files {
        let text = std::fs::read_to_string(file).expect("spec");
        let first = text.lines().next().unwrap_or("");
        assert!(
            first.starts_with("# yaml-language-server: $schema=") && first.ends_with("schema.json"),
            "{}: the first line should name spec/schema.json for editors, found {first:?}",
            file.display()
        );
    }
    let results = validate(&files);
    assert_eq!(results.len(), files.len());
    for (name, valid, error) in results {
        assert!(
            valid,
            "{name}: the schema rejects a spec the generator accepts: {error}"
        );
    }
}

#[test]
fn the_schema_rejects_exactly_the_structural_bad_specs() {
    let cases = yaml_files(&root().join("codegen/tests/bad_specs"));
    assert!(cases.len() >= 60, "bad-spec cases missing");
    let results = validate(&cases);
    let rejected: Vec<&str> = results
        .iter()
        .filter(|(_, valid, _)| !valid)
        .map(|(name, ..)| name.as_str())
        .collect();
    assert_eq!(
        rejected, SCHEMA_REJECTS,
        "update SCHEMA_REJECTS (or the schema) so they agree"
    );
    // The generator rejects every one of them too (the schema is never stricter).
    for name in SCHEMA_REJECTS {
        let path = root().join(format!("codegen/tests/bad_specs/{name}.yaml"));
        let text = std::fs::read_to_string(&path).expect("case");
        assert!(
            payspec_codegen::generate(&format!("{name}.yaml"), &text).is_err(),
            "{name}: the generator accepts it"
        );
    }
}
