//! What the desktop shell holds while it runs: the open incident log.
//!
//! The log is opened once at start. If it cannot be opened (another program's file, a newer
//! schema, read-only), the window still opens and every command answers with that error, so the
//! responder reads what is wrong and what to do instead of a window that never appears.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use warroom::notify::{Notification, Notifier};
use warroom::ops::Actor;
use warroom::store::Store;

use ulid::Ulid;
use warroom::config::Config;
use warroom::live::Live;

use crate::drill::RunningDrill;
use crate::error::IpcError;

/// The sources in use and the configuration they come from.
type Running = (Arc<Live>, Arc<Config>);

/// Shared by the commands and the drill thread; cloning shares, it does not copy.
#[derive(Clone)]
pub struct AppState {
    pub db_path: PathBuf,
    store: Arc<Result<Mutex<Store>, IpcError>>,
    /// The drill playing, if any.
    pub drill: Arc<Mutex<Option<RunningDrill>>>,
    /// The configured sources and their configuration, when `WARROOM_CONFIG` names a usable
    /// one. Replaced when the configuration is edited in the window.
    running: Arc<std::sync::RwLock<Option<Running>>>,
    /// The configuration file `WARROOM_CONFIG` names, usable or not (the window can fix it).
    pub config_path: Option<PathBuf>,
    /// The incident live health changes are recorded on.
    pub live_incident: Arc<Mutex<Option<warroom::ops::Recorder>>>,
    /// Why the configuration could not be used, shown in the window.
    pub startup_error: Option<IpcError>,
    /// Desktop notifications: what to show, grouped and rate-limited, and the last one shown.
    pub notifier: Arc<Mutex<Notifications>>,
    /// The runbooks the app knows: built in, those of `WARROOM_RUNBOOKS`, and those alerts'
    /// `runbook_url` named.
    /// Readers take the current list as a snapshot; adding one replaces the list.
    runbooks: Arc<std::sync::RwLock<Arc<Vec<warroom::runbook::Runbook>>>>,
    /// Runbooks that alerts name by `runbook_url`: each URL is read once (a web one in the
    /// background). URL → the runbook's id once read; `None` while fetching or when unreadable.
    pub url_runbooks: Arc<Mutex<std::collections::HashMap<String, Option<String>>>>,
    /// The running app, once its window is up (notifications need it).
    pub app: Arc<std::sync::OnceLock<tauri::AppHandle>>,
    /// The incident under review, as (id, how many events its log had, its replay): rebuilt
    /// when the log grows.
    pub review: Arc<Mutex<Option<Reviewed>>>,
}

/// An incident's replay, as (id, how many events its log had then, the replay).
pub type Reviewed = (Ulid, usize, Arc<warroom::replay::Replay>);

/// The notifier and what it last showed.
#[derive(Default)]
pub struct Notifications {
    pub notifier: Notifier,
    pub last: Option<(DateTime<Utc>, Notification)>,
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
        let config_path = std::env::var_os("WARROOM_CONFIG").map(PathBuf::from);
        let (running, startup_error) = match &config_path {
            None => (None, None),
            Some(path) => match Config::read(path)
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
            running: Arc::new(std::sync::RwLock::new(running)),
            config_path,
            live_incident: Arc::new(Mutex::new(None)),
            startup_error,
            notifier: Arc::new(Mutex::new(Notifications::default())),
            app: Arc::new(std::sync::OnceLock::new()),
            review: Arc::new(Mutex::new(None)),
            runbooks: Arc::new(std::sync::RwLock::new(Arc::new(crate::runbooks::load()))),
            url_runbooks: Arc::new(Mutex::new(std::collections::HashMap::new())),
        }
    }

    /// The configured sources, if any.
    pub fn live(&self) -> Option<Arc<Live>> {
        self.running.read().unwrap_or_else(|p| p.into_inner()).as_ref().map(|(live, _)| live.clone())
    }

    /// The configuration in use, if any.
    pub fn config(&self) -> Option<Arc<Config>> {
        self.running.read().unwrap_or_else(|p| p.into_inner()).as_ref().map(|(_, config)| config.clone())
    }

    /// Replaces the sources and configuration in use (after an edit in the window).
    pub fn replace_running(&self, live: Live, config: Config) {
        *self.running.write().unwrap_or_else(|p| p.into_inner()) = Some((Arc::new(live), Arc::new(config)));
    }

    /// The runbooks the app knows, as of now.
    pub fn runbooks(&self) -> Arc<Vec<warroom::runbook::Runbook>> {
        self.runbooks.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Adds a runbook (one an alert pointed at), replacing one of the same id.
    pub fn add_runbook(&self, runbook: warroom::runbook::Runbook) {
        let mut current = self.runbooks.write().unwrap_or_else(|p| p.into_inner());
        let mut all: Vec<_> = current.iter().filter(|r| r.id != runbook.id).cloned().collect();
        all.push(runbook);
        *current = Arc::new(all);
    }

    /// Runs `f` with the monitor in use: the configured sources', else the drill's; `None`
    /// when there is neither.
    pub fn with_monitor<T>(
        &self,
        f: impl FnOnce(&warroom::monitor::Monitor) -> T,
    ) -> Result<Option<T>, IpcError> {
        if let Some(live) = self.live() {
            return Ok(Some(f(&live.monitor())));
        }
        Ok(crate::drill::lock(&self.drill)?.as_ref().map(|d| f(d.rehearsal.monitor())))
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

/// Offers one cycle's changes to the notifier and shows what it says to show now. Showing may
/// fail (no notification daemon): that is logged, never fatal.
pub fn notify(state: &AppState, changes: &warroom::monitor::Changes, now: DateTime<Utc>) {
    use tauri_plugin_notification::NotificationExt;
    let shown = match state.notifier.lock() {
        Ok(mut n) => {
            let shown = n.notifier.offer(changes, now);
            if let Some(shown) = &shown {
                n.last = Some((now, shown.clone()));
            }
            shown
        }
        Err(_) => return,
    };
    let (Some(shown), Some(app)) = (shown, state.app.get()) else { return };
    if let Err(e) = app.notification().builder().title(&shown.title).body(&shown.body).show() {
        tracing::warn!("cannot show a desktop notification: {e}");
    }
}
