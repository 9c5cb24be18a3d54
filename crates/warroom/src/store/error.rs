//! What can go wrong with the log on disk, in words that say what to do about it.

use std::path::PathBuf;

use rusqlite::ErrorCode;

/// An error of the incident log. Every variant that concerns the file names it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    #[error(
        "{path}: not a warroom database (it is not SQLite at all); pass another file with --db or WARROOM_DB"
    )]
    NotADatabase { path: PathBuf },
    #[error(
        "{path}: a SQLite database of another program, not warroom's; it was left untouched: pass another file with --db or WARROOM_DB"
    )]
    ForeignDatabase { path: PathBuf },
    #[error(
        "{path}: written by a newer warroom (schema version {found}, this build knows up to {supported}); upgrade warroom to open it, the file was left untouched"
    )]
    TooNew { path: PathBuf, found: i64, supported: i64 },
    #[error(
        "{path}: the file is read-only; make it writable (chmod u+w) or copy it elsewhere and open the copy"
    )]
    ReadOnly { path: PathBuf },
    #[error(
        "{path}: the file is on a read-only file system: commands that only read work (timeline, replay, export); to write, copy it elsewhere and open the copy"
    )]
    ReadOnlyMount { path: PathBuf },
    #[error("{path}: locked by another process (another warroom writing?); close it or wait, then try again")]
    Locked { path: PathBuf },
    #[error("{path}: cannot open: {reason}; check the path and its permissions")]
    CannotOpen { path: PathBuf, reason: String },
    #[error("{path}: cannot create the folder: {source}")]
    CreateDir { path: PathBuf, source: std::io::Error },
    #[error("no incident with id {id}; `warroom incident list` shows them")]
    UnknownIncident { id: String },
    #[error("id prefix '{prefix}' matches {} incidents ({}); give more characters", matches.len(), matches.join(", "))]
    AmbiguousId { prefix: String, matches: Vec<String> },
    #[error(
        "'{given}' is not an incident id: ids are 26 characters of 0-9 and A-Z (a unique prefix will do)"
    )]
    InvalidId { given: String },
    #[error("{path}: event {event} cannot be read ({reason}); was it written by a newer warroom?")]
    Unreadable { path: PathBuf, event: String, reason: String },
    #[error("{path}: {problem}; nothing was written")]
    BrokenChain { path: PathBuf, problem: super::ChainProblem },
    /// An imported event whose id is taken by an event that is not the same (another incident's,
    /// or the same one changed): `copy` says which copy, `differs` what differs, in words.
    #[error("{path}: event {event} differs from the copy {copy}: {differs}; nothing was written")]
    ImportConflict { path: PathBuf, event: String, copy: &'static str, differs: String },
    #[error("{path}: {source}")]
    Sqlite { path: PathBuf, source: rusqlite::Error },
}

impl StoreError {
    /// A stable code for the UI to branch on.
    pub fn code(&self) -> &'static str {
        match self {
            StoreError::NotADatabase { .. } => "not_a_database",
            StoreError::ForeignDatabase { .. } => "foreign_database",
            StoreError::TooNew { .. } => "database_too_new",
            StoreError::ReadOnly { .. } | StoreError::ReadOnlyMount { .. } => "read_only",
            StoreError::Locked { .. } => "locked",
            StoreError::CannotOpen { .. } | StoreError::CreateDir { .. } => "cannot_open",
            StoreError::UnknownIncident { .. } => "unknown_incident",
            StoreError::AmbiguousId { .. } => "ambiguous_id",
            StoreError::InvalidId { .. } => "invalid_id",
            StoreError::Unreadable { .. } => "unreadable_event",
            StoreError::BrokenChain { .. } => "broken_chain",
            StoreError::ImportConflict { .. } => "import_conflict",
            StoreError::Sqlite { .. } => "database",
        }
    }

    /// Sorts a SQLite error into the variants a user can act on.
    pub(crate) fn from_sqlite(path: &std::path::Path, e: rusqlite::Error) -> StoreError {
        let path = path.to_owned();
        match e.sqlite_error_code() {
            Some(ErrorCode::NotADatabase) => StoreError::NotADatabase { path },
            Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => StoreError::Locked { path },
            Some(ErrorCode::ReadOnly) => StoreError::ReadOnly { path },
            Some(ErrorCode::CannotOpen | ErrorCode::PermissionDenied) => {
                StoreError::CannotOpen { path, reason: e.to_string() }
            }
            _ => StoreError::Sqlite { path, source: e },
        }
    }
}
