//! Brings a folder in line with a set of generated files, or reports how it differs.
//!
//! The one code path of `cargo xtask codegen [--check]` (this repository's `generated/`) and
//! `payspec generate [--check]` (a user's crate folder): the same files, the same bytes, the same
//! drift report. Nothing outside the folder is read, written or deleted.

use std::collections::BTreeSet;
use std::fmt;
use std::fs;
use std::path::{Component, Path, PathBuf};

use payspec_codegen::{GeneratedFile, GENERATED_MARKER};

/// Write the files, or only compare them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Write changed files and delete orphans.
    Write,
    /// Change nothing; report every difference.
    Check,
}

/// What to do with files in the scanned folders that carry no generated-file header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Foreign {
    /// Report them (a folder that must hold generated files only).
    Report,
    /// Leave them alone (a crate folder where `Cargo.lock` or the user's files may sit).
    Ignore,
}

/// One difference between the folder and the generated files.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Drift {
    /// The file exists with other contents.
    Stale(String),
    /// The file does not exist.
    Missing(String),
    /// A generated file that no spec produces any more.
    Orphaned(String),
    /// A file without the generated-file header where only generated files belong.
    Foreign(String),
}

impl fmt::Display for Drift {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Drift::Stale(p) => write!(f, "stale: {p}"),
            Drift::Missing(p) => write!(f, "missing: {p}"),
            Drift::Orphaned(p) => write!(f, "orphaned: {p} (no spec generates it any more)"),
            Drift::Foreign(p) => write!(
                f,
                "not generated: {p} (this folder holds generated files only)"
            ),
        }
    }
}

/// The folders a sync owns: where it looks for orphans, and how it treats foreign files.
#[derive(Clone, Copy, Debug)]
pub struct Scope<'a> {
    /// Folders (relative to the root, `/`-separated; `""` is the root itself) scanned for
    /// orphaned and foreign files. `target/` and hidden folders are never scanned.
    pub owned: &'a [&'a str],
    /// What to do with files that carry no generated-file header.
    pub foreign: Foreign,
    /// Only generated files from this spec (the spec path their header names) count as orphans;
    /// `None`: any generated file (a folder of all specs' crates).
    pub spec: Option<&'a str>,
}

/// Every file below `dir`; `crate_only`: not into a folder that holds its own `Cargo.toml`.
fn walk(dir: &Path, crate_only: bool, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        let name = name.to_string_lossy();
        // A symlink is never followed: nothing outside the folder is read or deleted.
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() {
            // Another crate below this one (its own Cargo.toml) is not this crate's to clean.
            let nested_crate = crate_only && path.join("Cargo.toml").exists();
            if name != "target" && !name.starts_with('.') && !nested_crate {
                walk(&path, crate_only, out);
            }
        } else if kind.is_file() {
            out.push(path);
        }
    }
}

fn normalize(text: &str) -> String {
    text.replace("\r\n", "\n")
}

/// A relative, `/`-separated path that stays inside the root (no `..`, no absolute parts).
fn inside(root: &Path, rel: &str) -> Result<PathBuf, String> {
    let rel_path = Path::new(rel);
    if rel.is_empty()
        || rel_path
            .components()
            .any(|c| !matches!(c, Component::Normal(_)))
    {
        return Err(format!("refusing to write outside the folder: {rel}"));
    }
    // No part of the way, from the root down, may be a symbolic link: writing through one
    // would reach outside the folder.
    let mut at = root.to_path_buf();
    for part in rel_path.components() {
        at.push(part);
        match fs::symlink_metadata(&at) {
            Ok(meta) if meta.file_type().is_symlink() => {
                return Err(format!(
                    "refusing to follow the symbolic link {}",
                    at.display()
                ))
            }
            _ => {}
        }
    }
    Ok(root.join(rel_path))
}

/// Whether the first line of `text` is the generated-file header (of `spec`, when given).
fn generated_by(text: &str, spec: Option<&str>) -> bool {
    let first = text.lines().next().unwrap_or("");
    first.contains(GENERATED_MARKER)
        && spec.is_none_or(|s| first.contains(&format!("{GENERATED_MARKER}{s} ")))
}

/// Brings `root` in line with `files` (paths relative to `root`) in `Write` mode, or reports how
/// it differs in `Check` mode. Returns the differences found (in `Write` mode: the ones fixed).
pub fn sync(
    root: &Path,
    files: &[GeneratedFile],
    scope: Scope<'_>,
    mode: Mode,
) -> Result<Vec<Drift>, String> {
    if fs::symlink_metadata(root).is_ok_and(|m| m.file_type().is_symlink()) {
        return Err(format!(
            "refusing to follow the symbolic link {}",
            root.display()
        ));
    }
    let mut drift = Vec::new();
    let produced: BTreeSet<&str> = files.iter().map(|f| f.path.as_str()).collect();
    for file in files {
        let path = inside(root, &file.path)?;
        let found = match fs::read_to_string(&path) {
            Ok(existing) if normalize(&existing) == file.contents => continue,
            // A file of someone else's (no generated-file header) is never overwritten.
            Ok(existing) if scope.foreign == Foreign::Ignore && !generated_by(&existing, None) => {
                return Err(format!(
                    "refusing to overwrite {}: it is not a generated file (no `{GENERATED_MARKER}` header)",
                    path.display()
                ))
            }
            Ok(_) => Drift::Stale(file.path.clone()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                Drift::Missing(file.path.clone())
            }
            Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
        };
        drift.push(found);
        if mode == Mode::Write {
            if let Some(parent) = path.parent() {
                fs::create_dir_all(parent)
                    .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
            }
            fs::write(&path, &file.contents)
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        }
    }
    let mut existing = Vec::new();
    for dir in scope.owned {
        // In a user's crate folder (foreign files ignored) only that crate is scanned.
        walk(
            &root.join(dir),
            scope.foreign == Foreign::Ignore,
            &mut existing,
        );
    }
    existing.sort();
    existing.dedup();
    for path in existing {
        let rel = path
            .strip_prefix(root)
            .map(|p| p.to_string_lossy().replace('\\', "/"))
            .unwrap_or_default();
        if produced.contains(rel.as_str()) {
            continue;
        }
        let text = fs::read_to_string(&path).unwrap_or_default();
        if generated_by(&text, scope.spec) {
            drift.push(Drift::Orphaned(rel));
            if mode == Mode::Write {
                fs::remove_file(&path)
                    .map_err(|e| format!("cannot remove {}: {e}", path.display()))?;
            }
        } else if scope.foreign == Foreign::Report && !generated_by(&text, None) {
            drift.push(Drift::Foreign(rel));
        }
    }
    Ok(drift)
}
