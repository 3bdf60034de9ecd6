//! The payspec conformance kit: golden-vector files, runners that push them through the generated
//! crates, and the engine behind the `payspec` command-line tool.

// The README's examples run as doctests of this crate, so they cannot rot.
#[doc = include_str!("../../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;

pub mod header_rsa;
pub mod ksher;
pub mod reasons;
pub mod runner;
pub mod strict_json;
pub mod testkit;
pub mod vectors;

use std::path::{Path, PathBuf};

/// `conformance/vectors/` of the checkout this crate was compiled from. For this crate's own
/// tests and benches, which are always built inside the checkout; tools use [`find_vectors`].
pub fn vectors_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("vectors")
}

/// `conformance/expected-failures.txt` of the checkout this crate was compiled from (tests only).
pub fn expected_failures_file() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("expected-failures.txt")
}

/// Where the vectors of a payspec checkout are, found at run time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checkout {
    /// `<checkout>/conformance/vectors`.
    pub vectors: PathBuf,
    /// `<checkout>/conformance/expected-failures.txt` (may not exist: no expected failures).
    pub expected_failures: PathBuf,
}

/// The current directory is not inside a payspec checkout.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "{start} is not inside a payspec checkout (no conformance/vectors/ in it or any parent); \
     run from the repository or pass --vectors DIR"
)]
pub struct NotInCheckout {
    /// Where the search started.
    pub start: String,
}

/// Finds the checkout that contains `start` by walking up to the first directory that has
/// `conformance/vectors/` (so the binary works wherever the repository was cloned or moved,
/// whatever `CARGO_TARGET_DIR` it was built into).
pub fn find_checkout(start: &Path) -> Result<Checkout, NotInCheckout> {
    for dir in start.ancestors() {
        let conformance = dir.join("conformance");
        let vectors = conformance.join("vectors");
        if vectors.join("README.md").is_file() {
            return Ok(Checkout {
                vectors,
                expected_failures: conformance.join("expected-failures.txt"),
            });
        }
    }
    Err(NotInCheckout {
        start: start.display().to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checkout_is_found_from_any_folder_inside_it() {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .expect("repo root")
            .to_path_buf();
        for start in [
            root.clone(),
            root.join("conformance"),
            root.join("conformance/vectors/keys"),
            root.join("spec"),
        ] {
            let found = find_checkout(&start).expect("inside the checkout");
            assert_eq!(found.vectors, root.join("conformance/vectors"));
            assert_eq!(
                found.expected_failures,
                root.join("conformance/expected-failures.txt")
            );
        }
        let outside = std::env::temp_dir().join("payspec-not-a-checkout");
        assert_eq!(
            find_checkout(&outside),
            Err(NotInCheckout {
                start: outside.display().to_string()
            })
        );
    }
}
