//! A problem found while checking a topology, with where it is.

use std::fmt;

use serde::Serialize;

/// Whether a problem stops the topology from being used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    Error,
    Warning,
}

/// One problem: its level, the line it is on (when known) and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub level: Level,
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
        Problem { level: Level::Error, line, message: message.into() }
    }

    pub(crate) fn warning(line: Option<usize>, message: impl Into<String>) -> Problem {
        Problem { level: Level::Warning, line, message: message.into() }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let level = self.level.name();
        match self.line {
            Some(line) => write!(f, "line {line}: {level}: {}", self.message),
            None => write!(f, "{level}: {}", self.message),
        }
    }
}

/// Formats a problem the way compilers do, `file:line: level: message`, so editors can jump to it.
pub fn located(file: &std::path::Path, problem: &Problem) -> String {
    match problem.line {
        Some(line) => format!("{}:{line}: {}: {}", file.display(), problem.level.name(), problem.message),
        None => format!("{}: {}: {}", file.display(), problem.level.name(), problem.message),
    }
}
