//! Helpers the test suites share (this crate's tests and the CLI's): loading vector files and
//! collecting every failed check of a test before failing it.

use crate::vectors::VectorFile;
use crate::vectors_dir;

/// Loads a vector file of `conformance/vectors/` (panics with the file's name: for tests).
pub fn load<C: serde::de::DeserializeOwned>(rel: &str) -> VectorFile<C> {
    let path = vectors_dir().join(rel);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The text of a key file of `conformance/vectors/`.
pub fn key_text(rel: &str) -> String {
    std::fs::read_to_string(vectors_dir().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// Collects failures so one run reports every broken case.
#[derive(Debug, Default)]
pub struct Report(pub Vec<String>);

impl Report {
    /// Records a failure unless `got` equals `want`.
    pub fn check(
        &mut self,
        case: &str,
        what: &str,
        got: impl PartialEq<String> + std::fmt::Debug,
        want: &str,
    ) {
        if got != want.to_owned() {
            self.0
                .push(format!("{case}: {what}: got {got:?}, want {want:?}"));
        }
    }

    /// Fails, listing every recorded failure, if there is any.
    pub fn finish(self, total: usize) {
        assert!(
            self.0.is_empty(),
            "{} of {total} checks failed:\n{}",
            self.0.len(),
            self.0.join("\n")
        );
    }
}
