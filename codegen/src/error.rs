use std::fmt;

/// A position in a spec file (1-based line and column).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location {
    /// The spec file as given to the generator (e.g. `spec/ksher.yaml`).
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.column)
    }
}

/// An error in a spec, located at `file:line:col`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{location}: {message}")]
pub struct SpecError {
    /// Where the problem is.
    pub location: Location,
    /// What is wrong.
    pub message: String,
}

impl SpecError {
    /// A new located error.
    pub fn new(location: Location, message: impl Into<String>) -> Self {
        SpecError {
            location,
            message: message.into(),
        }
    }
}
