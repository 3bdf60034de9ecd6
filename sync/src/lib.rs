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
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
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
            if name != "target" && !name.starts_with('.') {
                walk(&path, out);
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
    Ok(root.join(rel_path))
}

/// Brings `root` in line with `files` (paths relative to `root`) in `Write` mode, or reports how
/// it differs in `Check` mode. Returns the differences found (in `Write` mode: the ones fixed).
pub fn sync(
    root: &Path,
    files: &[GeneratedFile],
    scope: Scope<'_>,
    mode: Mode,
) -> Result<Vec<Drift>, String> {
    let mut drift = Vec::new();
    let produced: BTreeSet<&str> = files.iter().map(|f| f.path.as_str()).collect();
    for file in files {
        let path = inside(root, &file.path)?;
        let found = match fs::read_to_string(&path) {
            Ok(existing) if normalize(&existing) == file.contents => continue,
            Ok(_) => Drift::Stale(file.path.clone()),
            Err(_) => Drift::Missing(file.path.clone()),
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
        walk(&root.join(dir), &mut existing);
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
        let first_line = text.lines().next().unwrap_or("");
        if first_line.contains(GENERATED_MARKER) {
            drift.push(Drift::Orphaned(rel));
            if mode == Mode::Write {
                fs::remove_file(&path)
                    .map_err(|e| format!("cannot remove {}: {e}", path.display()))?;
            }
        } else if scope.foreign == Foreign::Report {
            drift.push(Drift::Foreign(rel));
        }
    }
    Ok(drift)
}
