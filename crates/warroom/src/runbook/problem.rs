//! A problem in a runbook file, with the line it is on.
//!
//! The parser collects every problem of a file before giving up, so that `warroom runbook check`
//! lists them all at once, the way compilers do (`file:line: message`, which editors can jump to).

use std::path::{Path, PathBuf};

use serde::Serialize;

/// One problem: the file, its 1-based line, and what is wrong (with what was expected).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{}:{line}: {message}", path.display())]
pub struct Problem {
    pub path: PathBuf,
    pub line: usize,
    pub message: String,
}

/// The problems found so far in one file.
pub(super) struct Problems<'p> {
    path: &'p Path,
    found: Vec<Problem>,
}

impl<'p> Problems<'p> {
    pub(super) fn new(path: &'p Path) -> Problems<'p> {
        Problems { path, found: Vec::new() }
    }

    pub(super) fn add(&mut self, line: usize, message: impl Into<String>) {
        self.found.push(Problem { path: self.path.to_owned(), line, message: message.into() });
    }

    pub(super) fn is_empty(&self) -> bool {
        self.found.is_empty()
    }

    /// Every problem, in the order of their lines (a stable sort keeps the order found on a line).
    pub(super) fn into_sorted(mut self) -> Vec<Problem> {
        self.found.sort_by_key(|p| p.line);
        self.found
    }
}
