//! `cargo xtask codegen`: regenerate `generated/` from `spec/*.yaml`, or check that it is current.

use std::collections::BTreeSet;
use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};

use payspec_codegen::{GeneratedFile, GENERATED_MARKER};

/// Write the files, or only compare them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Write changed files and delete orphans.
    Write,
    /// Change nothing; report every difference.
    Check,
}

/// One difference between `generated/` and what the specs produce.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Drift {
    /// The file exists with other contents.
    Stale(String),
    /// The file does not exist.
    Missing(String),
    /// A generated file that no spec produces any more.
    Orphaned(String),
    /// A file under `generated/` without the generated-file header (hand-written files do not
    /// belong there).
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
                "not generated: {p} (generated/ holds generated files only)"
            ),
        }
    }
}

/// Where generated crates go: `(spec folder, output folder)`. The shipped specs generate into
/// `generated/`; the generator's fixture specs into `conformance/fixtures/generated/`, where they
/// are compiled as workspace crates (golden output that does not build cannot land).
pub const SPEC_SETS: &[(&str, &str)] = &[
    ("spec", "generated"),
    ("conformance/fixtures", "conformance/fixtures/generated"),
];

/// Generates every spec of every set (sorted by file name).
pub fn generate_all(root: &Path) -> Result<Vec<GeneratedFile>, String> {
    let mut files = Vec::new();
    for (spec_dir, out_dir) in SPEC_SETS {
        let Ok(entries) = fs::read_dir(root.join(spec_dir)) else {
            continue;
        };
        let mut specs: Vec<PathBuf> = entries
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
            .collect();
        specs.sort();
        for spec in specs {
            let name = spec
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let display = format!("{spec_dir}/{name}");
            let text =
                fs::read_to_string(&spec).map_err(|e| format!("cannot read {display}: {e}"))?;
            // The runtime, relative to `<out_dir>/<api>/`.
            let depth = out_dir.split('/').count() + 1;
            let options = payspec_codegen::Options {
                runtime: payspec_codegen::RuntimeDependency::Path(format!(
                    "{}runtime",
                    "../".repeat(depth)
                )),
            };
            for mut file in payspec_codegen::generate_with(&display, &text, &options)
                .map_err(|e| e.to_string())?
            {
                if let Some(rest) = file.path.strip_prefix("generated/") {
                    file.path = format!("{out_dir}/{rest}");
                }
                files.push(file);
            }
        }
    }
    if files.is_empty() {
        return Err(format!(
            "no specs found under {}",
            root.join("spec").display()
        ));
    }
    Ok(files)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            walk(&path, out);
        } else {
            out.push(path);
        }
    }
}

fn normalize(text: &str) -> String {
    text.replace("\r\n", "\n")
}

/// Brings `root/generated/` in line with the specs (`Write`) or reports how it differs (`Check`).
/// Returns the differences found (in `Write` mode: the ones that were fixed).
pub fn codegen(root: &Path, mode: Mode) -> Result<Vec<Drift>, String> {
    let files = generate_all(root)?;
    let mut drift = Vec::new();
    let produced: BTreeSet<String> = files.iter().map(|f| f.path.clone()).collect();
    for file in &files {
        let path = root.join(&file.path);
        match fs::read_to_string(&path) {
            Ok(existing) if normalize(&existing) == file.contents => {}
            Ok(_) => drift.push(Drift::Stale(file.path.clone())),
            Err(_) => drift.push(Drift::Missing(file.path.clone())),
        }
        if mode == Mode::Write
            && drift.last().is_some_and(
                |d| matches!(d, Drift::Stale(p) | Drift::Missing(p) if p == &file.path),
            )
        {
            if let Some(parent) = path.parent() {
                fs::create_dir_all(parent)
                    .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
            }
            fs::write(&path, &file.contents)
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        }
    }
    let mut existing = Vec::new();
    for (_, out_dir) in SPEC_SETS {
        walk(&root.join(out_dir), &mut existing);
    }
    existing.sort();
    for path in existing {
        let rel = path
            .strip_prefix(root)
            .map(|p| p.to_string_lossy().replace('\\', "/"))
            .unwrap_or_default();
        if produced.contains(&rel) {
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
        } else {
            drift.push(Drift::Foreign(rel));
        }
    }
    Ok(drift)
}

/// The repository root: the first directory, from the current one upwards, that holds
/// `spec/` and `xtask/Cargo.toml`. Found at run time (never baked in at compile time), so
/// `cargo xtask` works in any clone, moved or side by side with a shared `CARGO_TARGET_DIR`.
pub fn repo_root() -> Result<PathBuf, String> {
    let cwd =
        std::env::current_dir().map_err(|e| format!("cannot read the current directory: {e}"))?;
    find_root(&cwd)
}

/// [`repo_root`] from `start`.
pub fn find_root(start: &Path) -> Result<PathBuf, String> {
    start
        .ancestors()
        .find(|dir| dir.join("spec").is_dir() && dir.join("xtask/Cargo.toml").is_file())
        .map(Path::to_path_buf)
        .ok_or_else(|| {
            format!(
                "{} is not inside a payspec checkout (no spec/ and xtask/ in it or any parent)",
                start.display()
            )
        })
}
