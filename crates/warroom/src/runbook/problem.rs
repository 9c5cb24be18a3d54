//! A problem in a runbook file, with the line it is on.
//!
//! The parser collects every problem of a file before giving up, so that `warroom runbook check`
//! lists them all at once, the way compilers do (`file:line: message`, which editors can jump to).
//!
//! An error is a runbook that cannot work (a check without a condition, a step without text, a
//! misspelt stage); a warning is what an imported runbook uses that warroom does not map (a site
//! generator's front matter, a `## Troubleshooting` section): it is kept, said, and the runbook
//! loads.

use std::path::{Path, PathBuf};

use serde::Serialize;

/// One problem: the file, its 1-based line, and what is wrong (with what was expected).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{}:{line}: {}{message}", path.display(), level.prefix())]
pub struct Problem {
    pub path: PathBuf,
    pub line: usize,
    pub message: String,
    pub level: Level,
}

/// Whether a problem stops the runbook from loading.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// The runbook cannot work as written: it is not loaded.
    Error,
    /// Kept and loaded; said so that nobody is surprised (`runbook check --strict` fails on it).
    Warning,
}

impl Level {
    fn prefix(self) -> &'static str {
        match self {
            Level::Error => "",
            Level::Warning => "warning: ",
        }
    }
}

impl Problem {
    /// An error in `path` on `line`.
    pub fn error(path: &Path, line: usize, message: impl Into<String>) -> Problem {
        Problem { path: path.to_owned(), line, message: message.into(), level: Level::Error }
    }

    pub fn is_error(&self) -> bool {
        self.level == Level::Error
    }
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

    /// An error: the runbook is not loaded.
    pub(super) fn add(&mut self, line: usize, message: impl Into<String>) {
        self.found.push(Problem::error(self.path, line, message));
    }

    /// A warning: the runbook loads, and the message says what was kept aside.
    pub(super) fn warn(&mut self, line: usize, message: impl Into<String>) {
        self.found.push(Problem {
            path: self.path.to_owned(),
            line,
            message: message.into(),
            level: Level::Warning,
        });
    }

    pub(super) fn has_errors(&self) -> bool {
        self.found.iter().any(Problem::is_error)
    }

    /// Every problem, in the order of their lines (a stable sort keeps the order found on a line).
    pub(super) fn into_sorted(mut self) -> Vec<Problem> {
        self.found.sort_by_key(|p| p.line);
        self.found
    }
}
