//! What the desktop shell holds while it runs: the open incident log.
//!
//! The log is opened once at start. If it cannot be opened (another program's file, a newer
//! schema, read-only), the window still opens and every command answers with that error, so the
//! responder reads what is wrong and what to do instead of a window that never appears.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use chrono::Utc;
use warroom::ops::Actor;
use warroom::store::Store;

use ulid::Ulid;
use warroom::config::Config;
use warroom::live::Live;

use crate::drill::RunningDrill;
use crate::error::IpcError;

/// Shared by the commands and the drill thread; cloning shares, it does not copy.
#[derive(Clone)]
pub struct AppState {
    pub db_path: PathBuf,
    store: Arc<Result<Mutex<Store>, IpcError>>,
    /// The drill playing, if any.
    pub drill: Arc<Mutex<Option<RunningDrill>>>,
    /// The configured sources, when `WARROOM_CONFIG` names a configuration.
    pub live: Option<Arc<Live>>,
    /// The incident live health changes are recorded on.
    pub live_incident: Arc<Mutex<Option<Ulid>>>,
    /// Why the configuration could not be used, shown in the window.
    pub startup_error: Option<IpcError>,
    /// The configuration, when one was given and could be read.
    pub config: Option<Arc<Config>>,
}

impl AppState {
    /// Opens the log named by `WARROOM_DB`, or the one in the XDG data dir.
    pub fn open_from_env() -> AppState {
        let db_path = std::env::var_os("WARROOM_DB")
            .map(PathBuf::from)
            .or_else(warroom::store::default_path)
            .unwrap_or_else(|| PathBuf::from("warroom.db"));
        let store = Store::open(&db_path).map(Mutex::new).map_err(|e| {
            tracing::error!("{e}");
            IpcError::from(e)
        });
        tracing::info!("incident log: {}", db_path.display());
        let (running, startup_error) = match std::env::var_os("WARROOM_CONFIG") {
            None => (None, None),
            Some(path) => match Config::read(std::path::Path::new(&path))
                .map_err(|e| e.to_string())
                .and_then(|c| Live::start(&c).map(|live| (live, c)).map_err(|e| e.to_string()))
            {
                Ok((live, c)) => (Some((Arc::new(live), Arc::new(c))), None),
                Err(message) => {
                    tracing::error!("{message}");
                    (
                        None,
                        Some(IpcError::new("config", format!("the configuration cannot be used: {message}"))),
                    )
                }
            },
        };
        AppState {
            db_path,
            store: Arc::new(store),
            drill: Arc::new(Mutex::new(None)),
            live: running.as_ref().map(|(live, _)| live.clone()),
            config: running.map(|(_, config)| config),
            live_incident: Arc::new(Mutex::new(None)),
            startup_error,
        }
    }

    /// Runs `f` with the log, one caller at a time.
    pub fn with_store<T>(&self, f: impl FnOnce(&mut Store) -> Result<T, IpcError>) -> Result<T, IpcError> {
        let store = self.store.as_ref().as_ref().map_err(Clone::clone)?;
        let mut guard = store.lock().map_err(|_| {
            IpcError::new(
                "internal",
                "the incident log is unavailable after an earlier failure; restart warroom",
            )
        })?;
        f(&mut guard)
    }
}

/// Who acts from the window: the person named by `WARROOM_USER`, if set.
pub fn actor() -> Actor {
    Actor {
        origin: "desktop".to_owned(),
        by: std::env::var("WARROOM_USER").ok().filter(|s| !s.trim().is_empty()),
        now: Utc::now(),
    }
}
