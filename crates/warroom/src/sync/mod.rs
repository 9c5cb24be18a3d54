//! Team sync: several laptops on one incident, through a PostgreSQL hub.
//!
//! Each laptop's SQLite log stays the truth. [`exchange`] pushes what the hub lacks and pulls what
//! other laptops wrote; the runtime runs it continuously (woken at once by the hub's `NOTIFY`, and
//! when the local log grows), `warroom sync once` runs it once, and every command that writes
//! pushes on its way out. A hub that cannot be reached never blocks a laptop: events stay local
//! and durable, and merge when it is back. Merging is a set union by event id, and the fold
//! orders by (`at`, id), so every laptop with the same events has the same incident. What
//! breaks a device's hash chain is never folded, and is reported ([`crate::store::chain`]).

mod config;
mod hub;
mod schema;

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};

use chrono::{DateTime, Utc};
use serde::Serialize;

pub use config::SyncConfig;
pub(crate) use config::SyncEntry;
pub use hub::{CONNECT_TIMEOUT, Device, Hub, REQUEST_TIMEOUT};
pub use schema::GRANTS;

use crate::store::{ChainProblem, Store, StoreError, SyncProblem};

/// How many events (or samples) cross in one request.
const BATCH: usize = 2000;

/// Why the hub could not be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SyncError {
    #[error("hub {hub}: {message}")]
    Config { hub: String, message: String },
    #[error("the hub did not answer within {}s", REQUEST_TIMEOUT.as_secs())]
    Timeout,
    #[error("{message}")]
    Hub { code: Option<String>, message: String },
    #[error("hub {hub} has no warroom schema yet: its admin runs `warroom sync init-hub` once")]
    NoSchema { hub: String },
    #[error(
        "hub {hub} is at schema version {found}, this warroom needs {needed}: its admin runs `warroom sync init-hub`"
    )]
    OldSchema { hub: String, found: i32, needed: i32 },
    #[error(
        "hub {hub} was set up by a newer warroom (schema {found}, this build knows {known}): upgrade warroom"
    )]
    NewSchema { hub: String, found: i32, known: i32 },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl SyncError {
    /// A stable code for the UI to branch on.
    pub fn code(&self) -> &'static str {
        match self {
            SyncError::Config { .. } => "sync_config",
            SyncError::Timeout | SyncError::Hub { .. } => "hub_unreachable",
            SyncError::NoSchema { .. } | SyncError::OldSchema { .. } | SyncError::NewSchema { .. } => {
                "hub_schema"
            }
            SyncError::Store(e) => e.code(),
        }
    }
}

impl From<tokio_postgres::Error> for SyncError {
    fn from(e: tokio_postgres::Error) -> Self {
        let code = e.code().map(|c| c.code().to_owned());
        let message = match e.as_db_error() {
            Some(db) => format!("the hub refused: {}", db.message()),
            None => {
                let cause = std::error::Error::source(&e).map(|s| format!(": {s}")).unwrap_or_default();
                format!("cannot reach the hub: {e}{cause}")
            }
        };
        SyncError::Hub { code, message }
    }
}

/// What one exchange with the hub moved.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Moved {
    pub pushed: usize,
    pub pushed_samples: usize,
    pub pulled: usize,
    pub pulled_samples: usize,
    /// Events pulled that this log had already.
    pub known: usize,
    /// Events pulled, by the device that wrote them.
    pub from: BTreeMap<String, usize>,
    /// Events pulled and refused: they break their chain.
    pub problems: Vec<ChainProblem>,
}

/// Where sync stands, as the status bar and `warroom sync status` tell it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(any(test, feature = "ts"), derive(ts_rs::TS), ts(export))]
pub struct SyncStatus {
    /// The hub's URL (it holds no password).
    pub hub: String,
    /// What this laptop is called there.
    pub device: String,
    pub connected: bool,
    /// Since when it has been connected, or offline.
    pub since: Option<DateTime<Utc>>,
    /// Events written here that the hub does not have yet.
    #[cfg_attr(any(test, feature = "ts"), ts(type = "number"))]
    pub pending_push: usize,
    pub last_pull_at: Option<DateTime<Utc>>,
    pub last_push_at: Option<DateTime<Utc>>,
    /// Why it is offline, in words.
    pub error: Option<String>,
    /// The laptops the hub has heard of (as of the last time this one was connected).
    pub devices: Vec<Device>,
    /// Events pulls refused to fold, most recent first.
    pub problems: Vec<SyncProblem>,
}

impl SyncStatus {
    /// Where sync stands with no answer from the hub yet: what the log knows.
    ///
    /// # Errors
    /// The store's error.
    pub fn of_log(config: &SyncConfig, log: &Store, hub: Option<&str>) -> Result<SyncStatus, StoreError> {
        let (pending_push, last_pull_at, last_push_at) = match hub {
            Some(hub) => {
                let cursor = log.cursor(hub)?;
                (log.pending_push(hub)?, cursor.last_pull_at, cursor.last_push_at)
            }
            // A hub never reached: everything shared is waiting.
            None => (log.pending_push("")?, None, None),
        };
        Ok(SyncStatus {
            hub: config.hub().to_owned(),
            device: config.device.clone(),
            connected: false,
            since: None,
            pending_push,
            last_pull_at,
            last_push_at,
            error: None,
            devices: Vec::new(),
            problems: log.sync_problems(None)?,
        })
    }
}

fn lock(log: &Mutex<Store>) -> MutexGuard<'_, Store> {
    log.lock().unwrap_or_else(|p| p.into_inner())
}

/// Pushes everything the hub lacks, then pulls everything new on it, as of `now`. The log's
/// lock is never held while the hub answers.
///
/// # Errors
/// [`SyncError`] when the hub cannot be reached (what moved before stays moved: each step is
/// recorded as it completes) or the log cannot be written.
pub async fn exchange(hub: &mut Hub, log: &Mutex<Store>, now: DateTime<Utc>) -> Result<Moved, SyncError> {
    let mut moved = Moved::default();
    loop {
        let (rows, up_to) = lock(log).to_push(&hub.id, BATCH)?;
        let pushed_seq = lock(log).cursor(&hub.id)?.pushed_seq;
        hub.push(&rows, &[]).await?;
        if up_to > pushed_seq || !rows.is_empty() {
            lock(log).pushed(&hub.id, up_to, now)?;
        }
        moved.pushed += rows.len();
        if rows.len() < BATCH {
            break;
        }
    }
    loop {
        let samples = lock(log).samples_to_push(BATCH)?;
        if samples.is_empty() {
            break;
        }
        hub.push(&[], &samples).await?;
        lock(log).samples_pushed(&samples)?;
        moved.pushed_samples += samples.len();
    }
    let limit = i64::try_from(BATCH).unwrap_or(i64::MAX);
    loop {
        let cursor = lock(log).cursor(&hub.id)?;
        let (rows, last) = hub.pull(cursor.events, limit).await?;
        if rows.is_empty() {
            if cursor.last_pull_at.is_none() {
                // First contact: say when, so the status does not read "never pulled".
                lock(log).merge_pulled(&hub.id, &[], last, now)?;
            }
            break;
        }
        let merged = lock(log).merge_pulled(&hub.id, &rows, last, now)?;
        for (device, n) in merged.from {
            *moved.from.entry(device).or_default() += n;
        }
        moved.pulled += merged.added;
        moved.known += merged.known;
        moved.problems.extend(merged.problems);
        if rows.len() < BATCH {
            break;
        }
    }
    loop {
        let cursor = lock(log).cursor(&hub.id)?;
        let (samples, last) = hub.pull_samples(cursor.samples, limit).await?;
        if samples.is_empty() {
            break;
        }
        moved.pulled_samples += lock(log).merge_samples(&hub.id, &samples, last)?;
        if samples.len() < BATCH {
            break;
        }
    }
    Ok(moved)
}

/// What [`once`] did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Once {
    /// The hub's identity.
    pub hub: String,
    pub moved: Moved,
    pub devices: Vec<Device>,
}

/// Connects to the hub, says this laptop is here (as `person` running `app`, on `incident`),
/// exchanges once and reads who else is.
///
/// # Errors
/// [`SyncError`] when the hub cannot be reached or refuses; what moved before stays moved.
pub async fn once(
    config: &SyncConfig,
    log: &Mutex<Store>,
    person: Option<&str>,
    app: &str,
    incident: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Once, SyncError> {
    let mut hub = Hub::connect(config).await?;
    hub.heartbeat(&config.device, person, incident, app).await?;
    let moved = exchange(&mut hub, log, now).await?;
    let devices = hub.devices().await?;
    Ok(Once { hub: hub.id, moved, devices })
}
