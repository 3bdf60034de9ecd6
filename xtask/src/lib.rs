//! `cargo xtask codegen`: regenerate `generated/` from `spec/*.yaml`, or check that it is current.

use std::fs;
use std::path::{Path, PathBuf};

use payspec_codegen::GeneratedFile;
pub use payspec_sync::{Drift, Mode};

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
                crate_name: None,
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

/// Brings `root/generated/` (and the fixture crates) in line with the specs (`Write`) or reports
/// how they differ (`Check`). Returns the differences found (in `Write` mode: the ones fixed).
pub fn codegen(root: &Path, mode: Mode) -> Result<Vec<Drift>, String> {
    let files = generate_all(root)?;
    let owned: Vec<&str> = SPEC_SETS.iter().map(|(_, out)| *out).collect();
    let scope = payspec_sync::Scope {
        owned: &owned,
        foreign: payspec_sync::Foreign::Report,
        spec: None,
    };
    payspec_sync::sync(root, &files, scope, mode)
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
