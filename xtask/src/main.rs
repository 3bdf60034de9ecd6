use std::process::ExitCode;

use xtask::{codegen, repo_root, Drift, Mode};

const USAGE: &str = "usage: cargo xtask codegen [--check]\n       cargo xtask conformance [--fix] [--vectors DIR] [--expected-failures FILE]";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match args.as_slice() {
        ["codegen"] => run_codegen(Mode::Write),
        ["codegen", "--check"] => run_codegen(Mode::Check),
        ["conformance", rest @ ..] => run_conformance(rest),
        _ => {
            eprintln!("{USAGE}");
            ExitCode::from(2)
        }
    }
}

fn run_codegen(mode: Mode) -> ExitCode {
    let root = repo_root();
    match codegen(&root, mode) {
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

/// Runs the vector runner of the conformance crate (`payspec conformance`); xtask itself stays
/// small (it does not link the generated crates).
fn run_conformance(args: &[&str]) -> ExitCode {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let status = std::process::Command::new(cargo)
        .current_dir(repo_root())
        .args([
            "run",
            "--quiet",
            "--all-features",
            "-p",
            "payspec-conformance",
            "--bin",
            "payspec",
            "--",
            "conformance",
        ])
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
