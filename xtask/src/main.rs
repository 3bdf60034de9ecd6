use std::path::Path;
use std::process::{Command, ExitCode};
use std::time::Instant;

use xtask::{codegen, repo_root, Drift, Mode};

const USAGE: &str = "usage: cargo xtask codegen [--check]
       cargo xtask test [-- ARGS for the test runner]
       cargo xtask conformance [--fix] [--vectors DIR] [--expected-failures FILE]";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let root = match repo_root() {
        Ok(root) => root,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    match args.as_slice() {
        ["codegen"] => run_codegen(&root, Mode::Write),
        ["codegen", "--check"] => run_codegen(&root, Mode::Check),
        ["test"] => run_tests(&root, &[]),
        ["test", "--", rest @ ..] => run_tests(&root, rest),
        ["conformance", rest @ ..] => run_conformance(&root, rest),
        _ => {
            eprintln!("{USAGE}");
            ExitCode::from(2)
        }
    }
}

fn run_codegen(root: &Path, mode: Mode) -> ExitCode {
    match codegen(root, mode) {
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
        Ok(drift) if mode == Mode::Check => {
            if drift.is_empty() {
                println!("generated/ is up to date with spec/");
                return ExitCode::SUCCESS;
            }
            for d in &drift {
                eprintln!("error: {d}");
            }
            eprintln!("generated/ is out of date: run `cargo xtask codegen` and commit the result");
            ExitCode::FAILURE
        }
        Ok(drift) => {
            let foreign = drift
                .iter()
                .filter(|d| matches!(d, Drift::Foreign(_)))
                .count();
            for d in &drift {
                match d {
                    Drift::Foreign(_) => eprintln!("error: {d}"),
                    _ => println!("updated {d}"),
                }
            }
            if drift.is_empty() {
                println!("generated/ is up to date with spec/");
            }
            if foreign > 0 {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            }
        }
    }
}

fn cargo() -> Command {
    Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned()))
}

/// One step of `cargo xtask test`.
struct Step {
    name: &'static str,
    command: Command,
    /// Its output holds libtest's `test result:` lines, counted into the totals.
    libtest: bool,
    /// A failure stops the run (provisioning); a test failure lets the other runners go on.
    fatal: bool,
}

impl Step {
    fn new(name: &'static str, command: Command) -> Step {
        Step {
            name,
            command,
            libtest: false,
            fatal: true,
        }
    }

    fn tests(name: &'static str, command: Command, libtest: bool) -> Step {
        Step {
            name,
            command,
            libtest,
            fatal: false,
        }
    }

    /// Runs the step, printing its name and, when it ends, how long it took; with `libtest`,
    /// passes stdout through while counting the results.
    fn run(&mut self, totals: &mut Totals) -> Result<(), String> {
        use std::io::BufRead as _;
        let name = self.name;
        println!("==> {name}");
        let started = Instant::now();
        let program = self.command.get_program().to_owned();
        let cannot = |e: std::io::Error| format!("{name}: cannot start {program:?}: {e}");
        let status = if self.libtest {
            let mut child = self
                .command
                .stdout(std::process::Stdio::piped())
                .spawn()
                .map_err(&cannot)?;
            if let Some(out) = child.stdout.take() {
                for line in std::io::BufReader::new(out).lines().map_while(Result::ok) {
                    totals.add_libtest(&line);
                    println!("{line}");
                }
            }
            child.wait().map_err(|e| format!("{name}: {e}"))?
        } else {
            self.command.status().map_err(&cannot)?
        };
        println!("==> {name}: {:.0?}", started.elapsed());
        if status.success() {
            Ok(())
        } else {
            Err(format!("{name} failed ({status})"))
        }
    }
}

/// `cargo xtask test`: provisions what the tests need on a fresh machine (system packages, the
/// pinned official Python SDK in `.venv/`), then runs every test of the workspace with all
/// features: with cargo-nextest when it is installed (one process per test, both cores busy),
/// otherwise with `cargo test`; doctests always through `cargo test --doc`.
fn run_tests(root: &Path, extra: &[&str]) -> ExitCode {
    let started = Instant::now();
    let nextest = cargo()
        .args(["nextest", "--version"])
        .output()
        .is_ok_and(|o| o.status.success());
    let mut deps = Command::new("bash");
    deps.arg(root.join("scripts/install-deps.sh"));
    let mut interop = Command::new("bash");
    interop.arg(root.join("scripts/setup-interop.sh"));
    let mut steps = vec![
        Step::new("provision: system packages", deps),
        Step::new("provision: official Python SDK (.venv)", interop),
    ];
    if nextest {
        let mut tests = cargo();
        tests
            .args(["nextest", "run", "--workspace", "--all-features"])
            .args(["--no-fail-fast", "--cargo-quiet"])
            .args(extra);
        // nextest's totals come from its JUnit report (.config/nextest.toml).
        steps.push(Step::tests("tests (cargo nextest)", tests, false));
        let mut docs = cargo();
        docs.args(["test", "--workspace", "--all-features", "--doc"]);
        steps.push(Step::tests("doctests", docs, true));
    } else {
        println!("cargo-nextest is not installed: running every test with cargo test instead");
        let mut tests = cargo();
        tests
            .args(["test", "--workspace", "--all-features", "--no-fail-fast"])
            .args(extra);
        steps.push(Step::tests("tests (cargo test)", tests, true));
    }
    // Fixed by `[store] dir` in .config/nextest.toml, whatever CARGO_TARGET_DIR says.
    let junit = root.join("target/nextest/default/junit.xml");
    let _ = std::fs::remove_file(&junit);
    let mut totals = Totals::default();
    let mut failure = None;
    for mut step in steps {
        step.command.current_dir(root);
        if let Err(e) = step.run(&mut totals) {
            failure = Some(e);
            if step.fatal {
                break;
            }
        }
    }
    if let Ok(xml) = std::fs::read_to_string(&junit) {
        totals.add_junit(&xml);
    }
    println!(
        "==> {} in {:.0?}",
        if failure.is_none() {
            "every test passed"
        } else {
            "tests failed"
        },
        started.elapsed()
    );
    // The closing line: totals over every runner (nextest and the doctests).
    println!("tests: {} passed, {} failed", totals.passed, totals.failed);
    match failure {
        None => ExitCode::SUCCESS,
        Some(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Tests run, over every runner.
#[derive(Default)]
struct Totals {
    passed: u64,
    failed: u64,
}

impl Totals {
    /// `test result: ok. 3 passed; 0 failed; ...` lines of libtest.
    fn add_libtest(&mut self, line: &str) {
        let Some(rest) = line.trim().strip_prefix("test result: ") else {
            return;
        };
        for part in rest.split(';') {
            let words: Vec<&str> = part.split_whitespace().collect();
            let n = |i: usize| {
                words
                    .get(i)
                    .and_then(|w| w.parse::<u64>().ok())
                    .unwrap_or(0)
            };
            match words.as_slice() {
                [.., _, "passed"] => self.passed += n(words.len() - 2),
                [_, "failed"] => self.failed += n(0),
                _ => {}
            }
        }
    }

    /// The `tests` and `failures`/`errors` attributes of nextest's JUnit report.
    fn add_junit(&mut self, xml: &str) {
        let Some(start) = xml.find("<testsuites") else {
            return;
        };
        let head = &xml[start..xml[start..].find('>').map_or(xml.len(), |e| start + e)];
        let attr = |name: &str| -> u64 {
            head.split_whitespace()
                .find_map(|a| a.strip_prefix(&format!("{name}=\"")))
                .and_then(|v| v.trim_end_matches('"').parse().ok())
                .unwrap_or(0)
        };
        let failed = attr("failures") + attr("errors");
        self.passed += attr("tests").saturating_sub(failed);
        self.failed += failed;
    }
}

/// Runs the vector runner of the conformance crate (`payspec conformance`); xtask itself stays
/// small (it does not link the generated crates). The same runner also runs as a test.
fn run_conformance(root: &Path, args: &[&str]) -> ExitCode {
    let status = cargo()
        .current_dir(root)
        .args(["run", "--quiet", "--all-features", "-p", "payspec-cli"])
        .args(["--bin", "payspec", "--", "conformance"])
        .args(args)
        .status();
    match status {
        Ok(s) if s.success() => ExitCode::SUCCESS,
        Ok(s) => ExitCode::from(s.code().map_or(1, |c| c.clamp(1, 255) as u8)),
        Err(e) => {
            eprintln!("error: cannot run cargo: {e}");
            ExitCode::FAILURE
        }
    }
}
