//! The incident log on disk: one SQLite file, append-only.
//!
//! Opening is careful: a file is inspected read-only first (is it SQLite? is it warroom's? is it
//! from a newer warroom?) and only then switched to WAL and migrated, so pointing warroom at the
//! wrong file never changes that file. An append is one `IMMEDIATE` transaction committed with
//! `synchronous=FULL`: when [`Store::append`] returns, the events survive a crash of the process
//! or the machine. Triggers refuse `UPDATE` and `DELETE` on events: the log only grows. Each
//! device's events on an incident are chained by hash ([`chain`]); what the team's hub needs to
//! know (what was pushed, how far it was pulled) is kept beside the log (`store/sync.rs`), and so
//! is each incident's folded state, updated in the transaction of every append, so a command
//! reads it instead of folding a long log (`store/folds.rs`).

mod alerts;
pub mod chain;
mod error;
mod events;
mod folds;
mod import;
mod merge;
mod outbox;
mod samples;
mod schema;
mod sync;

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

pub use alerts::AlertSeen;
pub use chain::{ChainHead, ChainProblem, Row};
pub use error::StoreError;
pub use events::NewestOfEachKind;
pub use folds::CHECKPOINT_EVERY;
pub use import::{Imported, Importing};
pub use merge::Merged;
pub use outbox::{Attempts, Pending};
pub use sync::{Cursor, PendingSample, SyncProblem};

/// The SQLite `application_id` that marks a file as warroom's ("WRM1").
pub const APPLICATION_ID: i32 = 0x5752_4d31;

/// How long a write waits for another process holding the file before giving up.
pub const DEFAULT_BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Where the log lives unless told otherwise: `$XDG_DATA_HOME/warroom/warroom.db`
/// (`~/.local/share/warroom/warroom.db`). `None` when the system has no data folder (no HOME).
pub fn default_path() -> Option<PathBuf> {
    dirs::data_dir().map(|d| d.join("warroom").join("warroom.db"))
}

/// An open incident log.
#[derive(Debug)]
pub struct Store {
    conn: Connection,
    path: PathBuf,
    /// The laptop this log's new events are written as.
    device: String,
}

/// This machine's name, the device a log's events are written as unless the configuration names
/// another (`[sync] device`).
pub fn host_name() -> String {
    let name = gethostname::gethostname().to_string_lossy().trim().to_owned();
    if name.is_empty() { "this-laptop".to_owned() } else { name }
}

impl Store {
    /// Opens (creating if needed) the log at `path`, migrating it to the current schema.
    ///
    /// # Errors
    /// [`StoreError::NotADatabase`], [`StoreError::ForeignDatabase`], [`StoreError::TooNew`],
    /// [`StoreError::ReadOnly`], [`StoreError::Locked`] or [`StoreError::CannotOpen`], each naming
    /// the file and what to do; the file is left as it was.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        Store::open_with_timeout(path, DEFAULT_BUSY_TIMEOUT)
    }

    /// [`Store::open`] with a chosen busy timeout (tests use a short one).
    ///
    /// # Errors
    /// As [`Store::open`].
    pub fn open_with_timeout(path: &Path, busy_timeout: Duration) -> Result<Store, StoreError> {
        // SQLite would open a read-only file read-only and fail only at the first write; and root
        // may write anywhere. Refuse up front, with the file's name.
        if std::fs::metadata(path).is_ok_and(|m| m.permissions().readonly()) {
            return Err(StoreError::ReadOnly { path: path.to_owned() });
        }
        if std::fs::OpenOptions::new()
            .append(true)
            .open(path)
            .is_err_and(|e| e.kind() == std::io::ErrorKind::ReadOnlyFilesystem)
        {
            return Err(StoreError::ReadOnlyMount { path: path.to_owned() });
        }
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|source| StoreError::CreateDir { path: dir.to_owned(), source })?;
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags).map_err(|e| StoreError::from_sqlite(path, e))?;
        Store::init(conn, path.to_owned(), busy_timeout)
    }

    /// Opens an existing log only to read it: nothing is created (a missing file is refused, no
    /// folder is made), nothing is written (no migration, no journal change), and a log on a
    /// read-only mount is read as it is.
    ///
    /// # Errors
    /// [`StoreError::CannotOpen`] when there is no log at `path`, or one written by an older
    /// warroom (a writing command upgrades it); as [`Store::open`] otherwise.
    pub fn open_read_only(path: &Path) -> Result<Store, StoreError> {
        if !path.is_file() {
            return Err(StoreError::CannotOpen {
                path: path.to_owned(),
                reason: "no log here (nothing was recorded with this --db yet); a command that only reads creates nothing".to_owned(),
            });
        }
        let absolute = path
            .canonicalize()
            .map_err(|e| StoreError::CannotOpen { path: path.to_owned(), reason: e.to_string() })?;
        let uri = |immutable: bool| {
            let mut url = reqwest::Url::from_file_path(&absolute).map(String::from).unwrap_or_default();
            url.push_str(if immutable { "?mode=ro&immutable=1" } else { "?mode=ro" });
            url
        };
        let flags =
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_URI | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let open = |uri: String| -> Result<Connection, rusqlite::Error> {
            let conn = Connection::open_with_flags(uri, flags)?;
            conn.query_row("SELECT count(*) FROM sqlite_schema", [], |_| Ok(()))?;
            Ok(conn)
        };
        let conn = match open(uri(false)) {
            Ok(conn) => conn,
            // On read-only media a log's shared memory cannot be made: nothing can change the
            // file there, so it is read as immutable.
            Err(_) => open(uri(true)).map_err(|e| StoreError::from_sqlite(path, e))?,
        };
        conn.busy_timeout(DEFAULT_BUSY_TIMEOUT).map_err(|e| StoreError::from_sqlite(path, e))?;
        schema::inspect(&conn, path)?;
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(|e| StoreError::from_sqlite(path, e))?;
        if version < schema::latest() {
            return Err(StoreError::CannotOpen {
                path: path.to_owned(),
                reason: "written by an older warroom: open it once with the window or a command that writes (a note) to upgrade it".to_owned(),
            });
        }
        Ok(Store { conn, path: path.to_owned(), device: host_name() })
    }

    /// A log in memory, for tests and benchmarks.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`] if SQLite cannot allocate it.
    pub fn open_in_memory() -> Result<Store, StoreError> {
        let path = PathBuf::from(":memory:");
        let conn = Connection::open_in_memory().map_err(|e| StoreError::from_sqlite(&path, e))?;
        Store::init(conn, path, DEFAULT_BUSY_TIMEOUT)
    }

    fn init(mut conn: Connection, path: PathBuf, busy_timeout: Duration) -> Result<Store, StoreError> {
        let sqlite = |e| StoreError::from_sqlite(&path, e);
        conn.busy_timeout(busy_timeout).map_err(sqlite)?;
        schema::inspect(&conn, &path)?;
        // From here on the file is known to be ours (or empty): now it may be written.
        conn.query_row("PRAGMA journal_mode = WAL", [], |row| row.get::<_, String>(0)).map_err(sqlite)?;
        conn.pragma_update(None, "synchronous", "FULL").map_err(sqlite)?;
        conn.pragma_update(None, "foreign_keys", true).map_err(sqlite)?;
        schema::migrate(&mut conn, &path)?;
        let device = host_name();
        schema::seal_unsealed(&mut conn, &path, &device)?;
        folds::build_missing(&mut conn, &path)?;
        Ok(Store { conn, path, device })
    }

    /// The device this log's new events are written as.
    pub fn device(&self) -> &str {
        &self.device
    }

    /// Writes new events as `device` from now on (the configuration's `[sync] device`).
    pub fn set_device(&mut self, device: &str) {
        let device = device.trim();
        if !device.is_empty() {
            device.clone_into(&mut self.device);
        }
    }

    /// The file this log lives in (`:memory:` for an in-memory one).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The result of `PRAGMA integrity_check`: `"ok"` for a sound file.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`] if the check cannot run.
    pub fn integrity_check(&self) -> Result<String, StoreError> {
        self.conn
            .query_row("PRAGMA integrity_check", [], |row| row.get(0))
            .map_err(|e| StoreError::from_sqlite(&self.path, e))
    }
}
