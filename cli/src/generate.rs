//! `payspec generate`: a standalone crate from any spec, written or checked (the same code path
//! as `cargo xtask codegen`: `payspec_codegen::generate_with` and `payspec_sync::sync`).

use std::path::{Path, PathBuf};

use payspec_codegen::{Options, RuntimeDependency};
use payspec_sync::{Drift, Foreign, Mode, Scope};

/// What `payspec generate` was asked to do.
pub struct Request {
    /// The spec file.
    pub spec: PathBuf,
    /// The crate folder to write (or check).
    pub out: PathBuf,
    /// Package name (default `payspec-<api>`).
    pub crate_name: Option<String>,
    /// `--runtime`: a path to the runtime crate, or a version requirement.
    pub runtime: Option<String>,
    /// Only compare.
    pub check: bool,
}

/// Why it failed: bad input (exit 2) or drift found by `--check` (exit 1).
pub enum Failure {
    /// Exit 2: one line naming the problem.
    BadInput(String),
    /// Exit 1: every difference.
    Drift(Vec<Drift>),
}

/// The runtime this binary was built from (`payspec-runtime` beside the `cli` crate).
fn built_runtime() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../runtime")
}

/// `--runtime`: an existing folder holding a `Cargo.toml`, or a version requirement such as
/// `0.1`, `^0.1.2`, `=0.1.0`, `>=0.1, <0.3`. A folder is written relative to the crate folder
/// `out` (as `cargo xtask codegen` writes `../../runtime`), or absolute when no relative path
/// leads there.
fn runtime_dependency(arg: Option<&str>, out: &Path) -> Result<RuntimeDependency, String> {
    let path = match arg {
        // Installed away from its checkout, the binary falls back to its own version.
        None if !built_runtime().join("Cargo.toml").is_file() => {
            return Ok(RuntimeDependency::Version(
                payspec_codegen::RUNTIME_VERSION.to_owned(),
            ))
        }
        None => built_runtime(),
        Some(text) => {
            let looks_like_version = !text.is_empty()
                && text.chars().any(|c| c.is_ascii_digit())
                && text
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || " .,^~=<>*-+".contains(c));
            let path = PathBuf::from(text);
            if path.join("Cargo.toml").is_file() {
                path
            } else if looks_like_version {
                return Ok(RuntimeDependency::Version(text.to_owned()));
            } else {
                return Err(format!(
                    "--runtime {text:?} is neither a folder with a Cargo.toml nor a version requirement"
                ));
            }
        }
    };
    let runtime = std::fs::canonicalize(&path)
        .map_err(|e| format!("runtime folder {}: {e}", path.display()))?;
    let text = match relative(&absolute_folder(out)?, &runtime) {
        Some(rel) => rel,
        None => runtime.to_string_lossy().replace('\\', "/"),
    };
    Ok(RuntimeDependency::Path(text))
}

/// `dir` made absolute, resolving links in the part of it that exists already.
fn absolute_folder(dir: &Path) -> Result<PathBuf, String> {
    let dir = if dir.is_absolute() {
        dir.to_path_buf()
    } else {
        std::env::current_dir()
            .map_err(|e| format!("cannot read the current directory: {e}"))?
            .join(dir)
    };
    let mut existing = dir.as_path();
    let mut rest = Vec::new();
    while !existing.exists() {
        match (existing.parent(), existing.file_name()) {
            (Some(parent), Some(name)) => {
                rest.push(name.to_owned());
                existing = parent;
            }
            _ => break,
        }
    }
    let mut out =
        std::fs::canonicalize(existing).map_err(|e| format!("{}: {e}", existing.display()))?;
    for name in rest.into_iter().rev() {
        out.push(name);
    }
    Ok(out)
}

/// The `/`-separated path from folder `from` to `to` (both absolute), if they share a root.
fn relative(from: &Path, to: &Path) -> Option<String> {
    let from: Vec<_> = from.components().collect();
    let to: Vec<_> = to.components().collect();
    if from.first() != to.first() {
        return None;
    }
    let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
    let mut parts: Vec<String> = vec!["..".to_owned(); from.len() - common];
    parts.extend(
        to[common..]
            .iter()
            .map(|c| c.as_os_str().to_string_lossy().into_owned()),
    );
    if parts.is_empty() {
        return Some(".".to_owned());
    }
    Some(parts.join("/"))
}

/// Generates the crate of `request.spec` into `request.out`, or checks it.
pub fn run(request: &Request) -> Result<Vec<Drift>, Failure> {
    let text = std::fs::read_to_string(&request.spec).map_err(|e| {
        Failure::BadInput(format!("cannot read spec {}: {e}", request.spec.display()))
    })?;
    if request.out.exists() && !request.out.is_dir() {
        return Err(Failure::BadInput(format!(
            "--out {} is not a folder",
            request.out.display()
        )));
    }
    if let Some(name) = &request.crate_name {
        let ok = !name.is_empty()
            && name.len() <= 64
            && name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !ok {
            return Err(Failure::BadInput(format!(
                "--crate-name {name:?} is not a crate name (letters, digits, - and _)"
            )));
        }
    }
    let options = Options {
        runtime: runtime_dependency(request.runtime.as_deref(), &request.out)
            .map_err(Failure::BadInput)?,
        crate_name: request.crate_name.clone(),
    };
    let display = request.spec.to_string_lossy().replace('\\', "/");
    let files = payspec_codegen::generate_with(&display, &text, &options)
        .map_err(|e| Failure::BadInput(e.to_string()))?;
    // `generated/<api>/...` → paths inside the crate folder.
    let files: Vec<_> = files
        .into_iter()
        .map(|mut f| {
            if let Some((_, rest)) = f
                .path
                .strip_prefix("generated/")
                .and_then(|p| p.split_once('/'))
            {
                f.path = rest.to_owned();
            }
            f
        })
        .collect();
    let mode = if request.check {
        Mode::Check
    } else {
        Mode::Write
    };
    if mode == Mode::Write {
        std::fs::create_dir_all(&request.out).map_err(|e| {
            Failure::BadInput(format!("cannot create {}: {e}", request.out.display()))
        })?;
    }
    let scope = Scope {
        owned: &[""],
        foreign: Foreign::Ignore,
        spec: Some(&display),
    };
    let drift = payspec_sync::sync(&request.out, &files, scope, mode).map_err(Failure::BadInput)?;
    if request.check && !drift.is_empty() {
        return Err(Failure::Drift(drift));
    }
    Ok(drift)
}
