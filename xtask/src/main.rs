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

/// Runs one step, printing its name and, when it ends, how long it took.
fn step(name: &str, command: &mut Command) -> Result<(), String> {
    println!("==> {name}");
    let started = Instant::now();
    let status = command
        .status()
        .map_err(|e| format!("{name}: cannot start {:?}: {e}", command.get_program()))?;
    println!("==> {name}: {:.0?}", started.elapsed());
    if status.success() {
        Ok(())
    } else {
        Err(format!("{name} failed ({status})"))
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
    let mut steps: Vec<(&str, Command)> = Vec::new();
    let mut deps = Command::new("bash");
    deps.arg(root.join("scripts/install-deps.sh"));
    steps.push(("provision: system packages", deps));
    let mut interop = Command::new("bash");
    interop.arg(root.join("scripts/setup-interop.sh"));
    steps.push(("provision: official Python SDK (.venv)", interop));
    if nextest {
        let mut tests = cargo();
        tests
            .args(["nextest", "run", "--workspace", "--all-features"])
            .args(["--no-fail-fast", "--cargo-quiet"])
            .args(extra);
        steps.push(("tests (cargo nextest)", tests));
        let mut docs = cargo();
        docs.args(["test", "--workspace", "--all-features", "--doc"]);
        steps.push(("doctests", docs));
    } else {
        println!("cargo-nextest is not installed: running every test with cargo test instead");
        let mut tests = cargo();
        tests
            .args(["test", "--workspace", "--all-features", "--no-fail-fast"])
            .args(extra);
        steps.push(("tests (cargo test)", tests));
    }
    for (name, mut command) in steps {
        command.current_dir(root);
        if let Err(e) = step(name, &mut command) {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    }
    println!("==> every test passed in {:.0?}", started.elapsed());
    ExitCode::SUCCESS
}

/// Runs the vector runner of the conformance crate (`payspec conformance`); xtask itself stays
/// small (it does not link the generated crates). The same runner also runs as a test.
fn run_conformance(root: &Path, args: &[&str]) -> ExitCode {
    let status = cargo()
        .current_dir(root)
        .args([
            "run",
            "--quiet",
            "--all-features",
            "-p",
            "payspec-conformance",
        ])
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
