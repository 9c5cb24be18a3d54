//! The one error for turning user text into a model value (a stage, a severity, a role).

/// Text that names no known value: says what was given and what would have been accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} '{given}': expected one of {expected}")]
pub struct ParseError {
    /// What kind of value was being parsed ("stage", "severity", "role").
    pub what: &'static str,
    /// The text as given.
    pub given: String,
    /// The accepted spellings, comma-separated.
    pub expected: String,
}

impl ParseError {
    /// A stable code for the UI to branch on.
    pub fn code(&self) -> &'static str {
        "invalid_input"
    }
}

impl ParseError {
    pub(crate) fn new(what: &'static str, given: &str, expected: &[&str]) -> Self {
        ParseError { what, given: given.to_owned(), expected: expected.join(", ") }
    }
}
