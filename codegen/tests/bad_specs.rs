//! Malformed specs give a located error (`file:line:col: message`), never a panic.
//!
//! Every file in `tests/bad_specs/` is a small spec broken in exactly one way. Its first line says
//! what must happen:
//!
//! ```yaml
//! # expect: <line>:<col>: <part of the message>
//! # known-issue: <optional: why the generator does not do this yet>
//! ```
//!
//! `generate("tests/bad_specs/<name>", text)` must return `Err(GenerateError::Spec(e))` whose
//! display starts with `tests/bad_specs/<name>:<line>:<col>: ` and contains the given text. A case
//! marked `# known-issue:` still fails until the generator is fixed; the report names it as such.
//!
//! Where an error points: at the offending key or value; for a missing key, at the first key of
//! the mapping that lacks it; for YAML syntax errors, where the YAML scanner stops; for an anchor
//! or tag, at the node that carries it (just after the `&anchor` / `!tag`).

use std::any::Any;
use std::fmt::Write as _;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;
use std::process::Command;

use payspec_codegen::{generate, GenerateError, GeneratedFile};

/// A minimal valid spec; every bad spec is this skeleton (or a part of it) with one defect.
const VALID_SKELETON: &str = "\
api: demo
title: Demo API
hosts:
  main:
    environments:
      production: https://api.example.com
transport:
  method: POST
  request: form-urlencoded
  response: json
signature:
  scheme: sorted-params
  digest: md5
  encoding: hex-lower
  param: sign
  response:
    signed: data
    nested: compact-sorted-json
operations:
  ping:
    host: main
    path: /ping
    request:
      fields:
        id: {type: string, required: true}
    response:
      fields:
        ok: {type: string}
";

/// Fewer files than this means the folder was emptied or moved: fail rather than pass vacuously.
const MIN_CASES: usize = 20;

fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "<non-string panic payload>".to_owned()
    }
}

/// Runs the generator, turning a panic into `Err(message)`.
fn generate_no_panic(
    path: &str,
    text: &str,
) -> Result<Result<Vec<GeneratedFile>, GenerateError>, String> {
    catch_unwind(AssertUnwindSafe(|| generate(path, text))).map_err(|p| panic_message(&*p))
}

/// What a bad spec's header says must happen.
struct Expectation {
    line: usize,
    column: usize,
    substring: String,
    known_issue: Option<String>,
}

fn parse_expectation(text: &str) -> Result<Expectation, String> {
    let mut lines = text.lines();
    let first = lines.next().unwrap_or_default();
    let rest = first
        .strip_prefix("# expect: ")
        .ok_or("the first line must be `# expect: <line>:<col>: <message part>`")?;
    let mut parts = rest.splitn(3, ':');
    let mut number = |what: &str| -> Result<usize, String> {
        parts
            .next()
            .and_then(|n| n.trim().parse().ok())
            .filter(|&n| n > 0)
            .ok_or_else(|| format!("bad {what} in `{first}`"))
    };
    let line = number("line")?;
    let column = number("column")?;
    let substring = parts
        .next()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .ok_or_else(|| format!("no message part in `{first}`"))?;
    let known_issue = lines
        .next()
        .and_then(|l| l.strip_prefix("# known-issue: "))
        .map(str::to_owned);
    Ok(Expectation {
        line,
        column,
        substring,
        known_issue,
    })
}

/// Checks one bad spec; `Err` describes how the outcome differs from the expectation.
fn check_case(display: &str, text: &str, expect: &Expectation) -> Result<(), String> {
    let prefix = format!("{display}:{}:{}: ", expect.line, expect.column);
    let error = match generate_no_panic(display, text) {
        Err(panic) => return Err(format!("PANICKED: {panic}")),
        Ok(Ok(files)) => {
            return Err(format!(
                "generated {} files, expected an error `{prefix}...{}...`",
                files.len(),
                expect.substring
            ))
        }
        Ok(Err(GenerateError::Internal(message))) => {
            return Err(format!(
                "internal generator error instead of a located spec error: {message}"
            ))
        }
        Ok(Err(GenerateError::Spec(e))) => e,
    };
    let shown = error.to_string();
    let mut problems = Vec::new();
    if !shown.starts_with(&prefix) {
        problems.push(format!("expected location `{prefix}`"));
    }
    if !shown.contains(&expect.substring) {
        problems.push(format!(
            "expected the message to contain `{}`",
            expect.substring
        ));
    }
    if error.location.file != display {
        problems.push(format!("location names file `{}`", error.location.file));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!("{}; got `{shown}`", problems.join("; ")))
    }
}

#[test]
fn skeleton_is_valid() {
    let files = generate("tests/skeleton.yaml", VALID_SKELETON)
        .unwrap_or_else(|e| panic!("the valid skeleton must generate: {e}"));
    assert!(!files.is_empty());
}

#[test]
fn bad_specs_give_located_errors() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bad_specs");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|entry| entry.expect("directory entry").file_name())
        .map(|name| name.into_string().expect("UTF-8 file name"))
        .filter(|name| name.ends_with(".yaml"))
        .collect();
    names.sort();
    assert!(
        names.len() >= MIN_CASES,
        "{} has only {} .yaml files (expected at least {MIN_CASES})",
        dir.display(),
        names.len()
    );

    let mut failures = Vec::new();
    let mut known = 0;
    for name in &names {
        let text = std::fs::read_to_string(dir.join(name))
            .unwrap_or_else(|e| panic!("cannot read {name}: {e}"));
        let display = format!("tests/bad_specs/{name}");
        let expect = match parse_expectation(&text) {
            Ok(expect) => expect,
            Err(e) => {
                failures.push(format!("{display}: bad test header: {e}"));
                continue;
            }
        };
        if text == VALID_SKELETON {
            failures.push(format!("{display}: identical to the valid skeleton"));
            continue;
        }
        match (check_case(&display, &text, &expect), &expect.known_issue) {
            (Ok(()), None) => {}
            (Ok(()), Some(_)) => {
                eprintln!("note: {display} passes now; remove its `# known-issue:` line")
            }
            (Err(problem), None) => failures.push(format!("{display}: {problem}")),
            (Err(problem), Some(issue)) => {
                known += 1;
                failures.push(format!(
                    "{display}: [KNOWN CODEGEN ISSUE: {issue}] {problem}"
                ));
            }
        }
    }

    if !failures.is_empty() {
        let mut report = format!(
            "{} of {} bad specs did not give the expected error ({known} marked as known codegen issues):\n",
            failures.len(),
            names.len()
        );
        for failure in &failures {
            let _ = writeln!(report, "  - {failure}");
        }
        panic!("{report}");
    }
}

/// Asserts that `text` gives a well-formed located spec error and does not panic.
fn assert_located_error(label: &str, text: &str) -> Result<(), String> {
    let path = "tests/garbage.yaml";
    match generate_no_panic(path, text) {
        Err(panic) => Err(format!("{label}: PANICKED: {panic}")),
        Ok(Ok(_)) => Err(format!("{label}: generated files from garbage")),
        Ok(Err(GenerateError::Internal(m))) => Err(format!("{label}: internal error: {m}")),
        Ok(Err(GenerateError::Spec(e))) => {
            let shown = e.to_string();
            let lines = text.lines().count().max(1) + 1;
            if e.location.file != path
                || e.location.line == 0
                || e.location.line > lines
                || e.location.column == 0
                || !shown.starts_with(&format!("{}: ", e.location))
                || e.message.is_empty()
            {
                Err(format!("{label}: malformed error `{shown}`"))
            } else {
                Ok(())
            }
        }
    }
}

#[test]
fn garbage_gives_errors_not_panics() {
    let mut inputs: Vec<(String, String)> = [
        ("empty", ""),
        ("blank", "   \n\n  \n"),
        ("document marker", "---\n"),
        ("document end", "...\n"),
        ("empty flow sequence", "[]"),
        ("empty flow mapping", "{}"),
        ("quoted scalar", "\"x\""),
        ("null", "~"),
        ("block sequence", "- a\n- b\n"),
        ("lone colon", ": :"),
        ("lone question mark", "? "),
        ("unclosed flow mapping", "{"),
        ("stray closing brace", "}"),
        ("unclosed quote", "api: \"demo"),
        ("anchor only", "&a x"),
        ("undefined alias", "*a"),
        ("binary tag", "!!binary aGVsbG8="),
        ("directive", "%YAML 1.2\n---\napi: demo\n"),
        ("two documents", "api: demo\n---\napi: other\n"),
        ("byte order mark", "\u{feff}"),
        ("control characters", "\u{0}\u{1}\u{2}\u{7f}\u{1b}[31m"),
        ("replacement characters", "\u{fffd}\u{fffd}: \u{fffd}"),
        ("carriage returns", "api: demo\r\rtitle: x\r"),
        ("nul in a value", "api: de\u{0}mo\n"),
        ("api only", "api: demo\n"),
        ("api as a list", "api: [demo]\n"),
        ("api as a mapping", "api: {name: demo}\n"),
        ("tab after key", "api:\tdemo\n\ttitle: x\n"),
    ]
    .iter()
    .map(|(label, text)| ((*label).to_owned(), (*text).to_owned()))
    .collect();

    // Binary-ish text: every byte value, decoded lossily, then a pseudo-random soup of YAML syntax.
    let bytes: Vec<u8> = (0..=255u8).cycle().take(4096).collect();
    inputs.push((
        "all bytes".into(),
        String::from_utf8_lossy(&bytes).into_owned(),
    ));
    let alphabet: Vec<char> = "{}[]:,-?&*!|>'\"%@`#\n\t \\ab1_é\u{0}".chars().collect();
    let mut rng = Lcg(0x5eed);
    for i in 0..50 {
        let len = rng.below(200) + 1;
        let soup: String = (0..len)
            .map(|_| alphabet[rng.below(alphabet.len())])
            .collect();
        inputs.push((format!("syntax soup #{i}"), soup));
    }

    // Huge lines.
    let mega = "x".repeat(1 << 20);
    inputs.push(("1 MB line".into(), mega.clone()));
    inputs.push(("1 MB api name".into(), format!("api: {mega}\n")));
    inputs.push(("1 MB key".into(), format!("{mega}: 1\n")));
    inputs.push((
        "1 MB title in a valid spec with an unknown key".into(),
        VALID_SKELETON.replace("Demo API", &mega) + "zzz: 1\n",
    ));

    let failures: Vec<String> = inputs
        .iter()
        .filter_map(|(label, text)| assert_located_error(label, text).err())
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} garbage inputs misbehaved:\n  - {}",
        failures.len(),
        inputs.len(),
        failures.join("\n  - ")
    );
}

/// Small deterministic pseudo-random numbers (no dev-dependency needed).
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 33) % n as u64) as usize
    }
}

/// Applies 1-3 random single-character edits (delete, insert, replace) to `text`.
fn mutate(text: &str, rng: &mut Lcg) -> String {
    let replacements: Vec<char> = "{}[]:,-_ \n\tA1é#&*!'\"".chars().collect();
    let mut chars: Vec<char> = text.chars().collect();
    for _ in 0..rng.below(3) + 1 {
        let at = rng.below(chars.len());
        match rng.below(3) {
            0 => {
                chars.remove(at);
            }
            1 => chars.insert(at, replacements[rng.below(replacements.len())]),
            _ => chars[at] = replacements[rng.below(replacements.len())],
        }
    }
    chars.into_iter().collect()
}

/// Checks `runs` mutants of `base`: whatever the edit, no panic, no internal error, and any spec
/// error is well formed (a mutant may also be valid).
fn check_mutants(label: &str, base: &str, runs: usize, seed: u64) -> Vec<String> {
    let mut rng = Lcg(seed);
    let mut failures = Vec::new();
    for i in 0..runs {
        let text = mutate(base, &mut rng);
        let problem = match generate_no_panic("tests/mutant.yaml", &text) {
            Err(panic) => Some(format!("PANICKED: {panic}")),
            Ok(Err(GenerateError::Internal(m))) => Some(format!("internal error: {m}")),
            Ok(Err(GenerateError::Spec(_))) => assert_located_error("", &text).err(),
            Ok(Ok(_)) => None,
        };
        if let Some(problem) = problem {
            let diff = first_changed_line(base, &text);
            failures.push(format!(
                "{label} mutant #{i}: {problem} (edited near: {diff})"
            ));
        }
    }
    failures
}

/// The first line of `mutant` that differs from `base`, for failure messages.
fn first_changed_line(base: &str, mutant: &str) -> String {
    base.lines()
        .zip(mutant.lines())
        .enumerate()
        .find(|(_, (a, b))| a != b)
        .map_or_else(String::new, |(i, (_, b))| format!("line {}: `{b}`", i + 1))
}

#[test]
fn mutated_specs_never_panic() {
    let mut failures = check_mutants("skeleton", VALID_SKELETON, 400, 42);
    let spec_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../spec");
    let mut specs: Vec<_> = std::fs::read_dir(&spec_dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", spec_dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "yaml"))
        .collect();
    specs.sort();
    for (seed, path) in (7..).zip(&specs) {
        let text = std::fs::read_to_string(path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        failures.extend(check_mutants(&path.display().to_string(), &text, 300, seed));
    }
    assert!(
        failures.is_empty(),
        "{} mutated specs misbehaved:\n  - {}",
        failures.len(),
        failures.join("\n  - ")
    );
}

/// Environment variable that makes [`deep_nesting_does_not_crash`] check one input in a child process.
const NESTING_CHILD: &str = "PAYSPEC_BAD_SPECS_NESTING_CHILD";

/// A deeply nested document of the given kind.
fn nested(kind: &str) -> String {
    let depth = 100_000;
    match kind {
        "flow-mappings" => format!("{}1{}", "{a: ".repeat(depth), "}".repeat(depth)),
        "flow-sequences" => format!("{}{}", "[".repeat(depth), "]".repeat(depth)),
        "block-mappings" => (0..depth).fold(String::new(), |mut s, i| {
            let _ = writeln!(s, "{}k{i}:", " ".repeat(i));
            s
        }),
        "block-sequences" => format!("{}1\n", "- ".repeat(depth)),
        "complex-keys" => format!("{}1\n", "? ".repeat(depth)),
        _ => unreachable!("unknown nesting kind {kind}"),
    }
}

/// Deeply nested input must give an error, not overflow the stack. A stack overflow aborts the
/// whole process (`catch_unwind` cannot stop it), so each input runs in a child process: this
/// test binary re-run with [`NESTING_CHILD`] set.
#[test]
fn deep_nesting_does_not_crash() {
    if let Ok(kind) = std::env::var(NESTING_CHILD) {
        if let Err(problem) = assert_located_error(&kind, &nested(&kind)) {
            panic!("{problem}");
        }
        return;
    }
    let exe = std::env::current_exe().expect("test executable");
    let kinds = [
        "flow-mappings",
        "flow-sequences",
        "block-mappings",
        "block-sequences",
        "complex-keys",
    ];
    let mut failures = Vec::new();
    for kind in kinds {
        let output = Command::new(&exe)
            .args(["--exact", "deep_nesting_does_not_crash", "--nocapture"])
            .args(["--test-threads", "1"])
            .env(NESTING_CHILD, kind)
            .output()
            .expect("run the test executable");
        if !output.status.success() {
            let stderr = String::from_utf8_lossy(&output.stderr);
            let last: Vec<&str> = stderr.lines().rev().take(3).collect();
            failures.push(format!(
                "100000 nested {kind}: child exited with {} ({})",
                output.status,
                last.into_iter().rev().collect::<Vec<_>>().join(" / ")
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "deeply nested specs crash the generator:\n  - {}",
        failures.join("\n  - ")
    );
}

/// A UTF-8 byte-order mark (some editors write one) is skipped, not reported as "the top level
/// must be a mapping" at 1:1.
#[test]
fn byte_order_mark_is_skipped() {
    let with_bom = format!("\u{feff}{VALID_SKELETON}");
    let files = generate("tests/bom.yaml", &with_bom).unwrap_or_else(|e| panic!("{e}"));
    let plain = generate("tests/bom.yaml", VALID_SKELETON).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(files.len(), plain.len());
}

/// Hostile sizes are refused with a located error before the tree is built (100,000 fields used
/// to take 2.4 GB).
#[test]
fn oversized_specs_are_refused() {
    let check = |text: &str, expected: &str| match generate("tests/big.yaml", text) {
        Err(GenerateError::Spec(e)) => {
            let shown = e.to_string();
            assert!(
                shown.starts_with("tests/big.yaml:") && shown.contains(expected),
                "{shown}"
            );
        }
        Err(e) => panic!("internal error: {e}"),
        Ok(_) => panic!("a spec with {expected:?} generated"),
    };
    let many_fields = |n: usize| {
        let fields: String = (0..n)
            .map(|i| format!("        f{i}: {{type: string}}\n"))
            .collect();
        VALID_SKELETON.replace(
            "        id: {type: string, required: true}\n",
            &format!("        id: {{type: string, required: true}}\n{fields}"),
        )
    };
    check(
        &many_fields(600),
        "more than 500 fields in operation `ping`",
    );
    check(&many_fields(27_000), "more than 100000 YAML nodes");
    let padded = format!("{VALID_SKELETON}#{}\n", "x".repeat(1024 * 1024));
    check(&padded, "more than the 1048576-byte limit");
}
