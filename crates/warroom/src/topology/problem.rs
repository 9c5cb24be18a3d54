//! A problem found while checking a topology, with where it is.
//!
//! Most topologies are one file, which the caller names when it prints a problem ([`located`]).
//! A Backstage catalog can spread over several files (a `Location` lists the others): a problem
//! in one of those names its file itself.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Serialize;

/// Whether a problem stops the topology from being used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    Error,
    Warning,
}

/// One problem: its level, the file and line it is on (when known) and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub level: Level,
    /// The file the line is in, when it is not the file the caller read (a file a Backstage
    /// `Location` pointed to); `None`: the caller's file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<PathBuf>,
    pub line: Option<usize>,
    pub message: String,
}

impl Level {
    /// "error" or "warning".
    pub fn name(self) -> &'static str {
        match self {
            Level::Error => "error",
            Level::Warning => "warning",
        }
    }
}

impl Problem {
    pub(crate) fn error(line: Option<usize>, message: impl Into<String>) -> Problem {
        Problem { level: Level::Error, file: None, line, message: message.into() }
    }

    pub(crate) fn warning(line: Option<usize>, message: impl Into<String>) -> Problem {
        Problem { level: Level::Warning, file: None, line, message: message.into() }
    }

    /// The same problem, in `file` (`None`: the caller's file).
    pub(crate) fn in_file(self, file: Option<&Path>) -> Problem {
        Problem { file: file.map(Path::to_path_buf), ..self }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let level = self.level.name();
        match (&self.file, self.line) {
            (Some(file), _) => f.write_str(&located(file, self)),
            (None, Some(line)) => write!(f, "line {line}: {level}: {}", self.message),
            (None, None) => write!(f, "{level}: {}", self.message),
        }
    }
}

/// Formats a problem the way compilers do, `file:line: level: message`, so editors can jump to it.
/// `file` is the file the caller read; a problem in another file names its own.
pub fn located(file: &Path, problem: &Problem) -> String {
    let file = problem.file.as_deref().unwrap_or(file);
    match problem.line {
        Some(line) => format!("{}:{line}: {}: {}", file.display(), problem.level.name(), problem.message),
        None => format!("{}: {}: {}", file.display(), problem.level.name(), problem.message),
    }
}
