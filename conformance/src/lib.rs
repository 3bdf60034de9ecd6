//! The payspec conformance kit: golden-vector files, runners that push them through the generated
//! crates, and the engine behind the `payspec` command-line tool.

// The README's examples run as doctests of this crate, so they cannot rot.
#[doc = include_str!("../../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;

pub mod alipayplus;
pub mod ksher;
pub mod runner;
pub mod vectors;

use std::path::PathBuf;

/// `conformance/vectors/` of this repository.
pub fn vectors_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("vectors")
}

/// `conformance/expected-failures.txt` of this repository.
pub fn expected_failures_file() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("expected-failures.txt")
}
