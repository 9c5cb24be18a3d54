//! What the desktop shell holds while it runs, and how errors cross into the window.
//!
//! The shell holds the core's [`Runtime`] (the log, the feed, the runbooks: everything the war
//! room does), the clock it runs on, and the replays under review. Every other shell module
//! imports this one and no other.
//!
//! The log is opened once at start. If it cannot be opened (another program's file, a newer
//! schema, read-only), the window still opens and every command that needs it answers with that
//! error, so the responder reads what is wrong and what to do instead of a window that never
//! appears.

use std::path::PathBuf;
use std::sync::Arc;

use serde::Serialize;
use tauri::{AppHandle, Manager};
use ulid::Ulid;
use warroom::ops::Actor;
use warroom::review::Reviews;
use warroom::runtime::{Clock, Library, Runtime, SystemClock};
use warroom::store::Store;

/// An error the window can show and act on: `{ "code": "...", "message": "..." }`. The window
/// branches on `code` and shows `message`; it never parses the message.
#[derive(Debug, Clone, Serialize, thiserror::Error)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
#[error("{code}: {message}")]
pub struct IpcError {
    pub code: &'static str,
    pub message: String,
}

impl IpcError {
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        IpcError { code, message: message.into() }
    }
}

/// Every core error that crosses into the window has a stable code.
macro_rules! coded {
    ($($error:ty),* $(,)?) => {$(
        impl From<$error> for IpcError {
            fn from(e: $error) -> Self {
                tracing::warn!("{e}");
                IpcError::new(e.code(), e.to_string())
            }
        }
    )*};
}

coded!(
    warroom::ops::OpsError,
    warroom::store::StoreError,
    warroom::runtime::RuntimeError,
    warroom::postmortem::PostmortemError,
    warroom::model::ParseError,
    warroom::time::TimeError,
);

/// Shared by the commands and the runtime's task; cloning shares, it does not copy.
#[derive(Clone)]
pub struct AppState {
    pub runtime: Runtime,
    /// Where the time comes from: the system's, or a test's.
    pub clock: Arc<dyn Clock>,
    pub db_path: PathBuf,
    /// Why the log could not be opened: every command that needs it says so.
    pub log_error: Option<IpcError>,
    /// The configuration file `WARROOM_CONFIG` names, usable or not (the window can fix it).
    pub config_path: Option<PathBuf>,
    /// Why the configuration could not be used, shown in the window until it is fixed.
    pub startup_error: Option<IpcError>,
    /// The replay of the incident under review, kept while its log does not grow.
    pub reviews: Arc<Reviews>,
    /// What the window has been told of and has not pulled yet, merged while it waits (see
    /// [`crate::push`]).
    pub unpulled: Arc<std::sync::Mutex<Option<warroom::runtime::Update>>>,
    /// Who acts from the window: the person `WARROOM_USER` names, if set.
    pub user: Option<String>,
    /// Where postmortems are written.
    pub export_dir: PathBuf,
    /// Start the next built-in drill when one ends (`WARROOM_DRILL_LOOP=1`): a rehearsal screen
    /// left running, and the soak benchmark.
    pub drill_loop: bool,
    /// Let WebKit composite the window with the GPU (`WARROOM_GPU=1`); off, it paints on the
    /// CPU (see `draw_as_one_page` in `lib.rs`).
    pub gpu: bool,
}

/// How the shell starts, as the environment says.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// The log (`WARROOM_DB`, else the one in the XDG data folder).
    pub db: Option<PathBuf>,
    /// The configuration (`WARROOM_CONFIG`).
    pub config: Option<PathBuf>,
    /// Folders of runbooks (`WARROOM_RUNBOOKS`, a list as `PATH` is).
    pub runbooks: Option<std::ffi::OsString>,
    /// `WARROOM_USER`.
    pub user: Option<String>,
    /// The drill to open on when nothing is configured (`WARROOM_DRILL`; "off": none).
    pub drill: Option<String>,
    /// Its speed (`WARROOM_DRILL_SPEED`, default 4: a 20-minute scenario in 5 minutes).
    pub drill_speed: Option<f64>,
    /// `WARROOM_DRILL_LOOP` = 1, true or on: when a drill ends, the next built-in one starts.
    pub drill_loop: bool,
    /// `WARROOM_GPU` = 1, true or on: WebKit may composite the window with the GPU.
    pub gpu: bool,
    /// The incident the drill opened on records on (`WARROOM_DRILL_RECORD_ON`, an id or a
    /// prefix of one): a rehearsal screen that keeps its record, and the soak benchmark.
    pub drill_record_on: Option<String>,
    /// Where postmortems are written (`WARROOM_EXPORT_DIR`, else `~/Documents/warroom`, or the
    /// data folder when there is no documents folder).
    pub export_dir: Option<PathBuf>,
}

impl Settings {
    /// The settings the environment gives.
    pub fn from_env() -> Settings {
        Settings {
            db: std::env::var_os("WARROOM_DB").map(PathBuf::from),
            config: std::env::var_os("WARROOM_CONFIG").map(PathBuf::from),
            runbooks: std::env::var_os("WARROOM_RUNBOOKS"),
            user: std::env::var("WARROOM_USER").ok().filter(|s| !s.trim().is_empty()),
            drill: std::env::var("WARROOM_DRILL").ok(),
            drill_speed: std::env::var("WARROOM_DRILL_SPEED").ok().and_then(|s| s.parse().ok()),
            drill_loop: switched_on("WARROOM_DRILL_LOOP"),
            gpu: switched_on("WARROOM_GPU"),
            export_dir: std::env::var_os("WARROOM_EXPORT_DIR").map(PathBuf::from),
            drill_record_on: std::env::var("WARROOM_DRILL_RECORD_ON").ok().filter(|s| !s.trim().is_empty()),
        }
    }
}

/// Whether the environment variable `name` is 1, true, on or yes.
fn switched_on(name: &str) -> bool {
    std::env::var(name).is_ok_and(|v| matches!(v.trim().to_lowercase().as_str(), "1" | "true" | "on" | "yes"))
}

impl AppState {
    /// Opens the log, the configuration and the runbooks the settings name; with nothing
    /// configured, starts the default drill so a newcomer sees the war room work at once.
    pub fn open(settings: Settings, clock: Arc<dyn Clock>) -> AppState {
        let db_path =
            settings.db.or_else(warroom::store::default_path).unwrap_or_else(|| PathBuf::from("warroom.db"));
        tracing::info!("incident log: {}", db_path.display());
        let (store, log_error) = match Store::open(&db_path) {
            Ok(store) => (store, None),
            Err(e) => {
                tracing::error!("{e}");
                let error = IpcError::from(e);
                // The runtime still runs (a drill draws without a log); nothing is recorded.
                match Store::open_in_memory() {
                    Ok(store) => (store, Some(error)),
                    Err(e) => (panic_free_store(e), Some(error)),
                }
            }
        };
        let config = settings.config.as_ref().map(|p| warroom::config::Config::read(p));
        let usable = config.as_ref().and_then(|c| c.as_ref().ok());
        let (library, problems) =
            Library::load(&warroom::runtime::runbook_dirs(settings.runbooks.as_deref(), usable));
        for p in problems {
            tracing::warn!("runbook left out: {p}");
        }
        let runtime = Runtime::new(store, library);
        // The team's hub, if the configuration names one: this laptop syncs from the start (not a
        // stand-in log kept in memory because the real one cannot be opened).
        if log_error.is_none() {
            runtime.use_sync(usable.and_then(|c| c.sync.clone()), settings.user.clone(), "desktop");
        }
        if let Some(c) = usable {
            runtime.use_extras(c);
        }
        // A configuration with no sources (only the hub, or runbooks) leaves the drill on.
        let no_sources = usable.is_some_and(|c| c.sources.is_empty());
        let startup_error = match config {
            None => None,
            Some(Err(e)) => Some(e.to_string()),
            Some(Ok(config)) if config.sources.is_empty() => None,
            Some(Ok(config)) => runtime.use_config(config).err().map(|e| e.to_string()),
        }
        .map(|message| {
            tracing::error!("{message}");
            IpcError::new("config", format!("the configuration cannot be used: {message}"))
        });
        if settings.config.is_none() || no_sources {
            let name = settings.drill.unwrap_or_else(|| warroom::sources::drill::DEFAULT_SCENARIO.to_owned());
            let record_on = settings.drill_record_on.as_deref().and_then(|id| {
                runtime
                    .log()
                    .find_incident(id)
                    .map_err(|e| tracing::error!("WARROOM_DRILL_RECORD_ON: {e}"))
                    .ok()
            });
            if name != "off"
                && let Err(e) = runtime.start_drill(
                    &name,
                    1,
                    settings.drill_speed.unwrap_or(4.0),
                    &actor(&settings.user, clock.now()),
                    record_on,
                )
            {
                tracing::error!("cannot start the drill '{name}': {e}");
            }
        }
        AppState {
            runtime,
            clock,
            db_path,
            log_error,
            config_path: settings.config,
            startup_error,
            reviews: Arc::default(),
            unpulled: Arc::default(),
            user: settings.user,
            drill_loop: settings.drill_loop,
            gpu: settings.gpu,
            export_dir: settings.export_dir.unwrap_or_else(|| {
                dirs::document_dir()
                    .or_else(dirs::data_dir)
                    .unwrap_or_else(|| PathBuf::from("."))
                    .join("warroom")
            }),
        }
    }

    /// [`AppState::open`] on the system's clock, as the environment says.
    pub fn from_env() -> AppState {
        AppState::open(Settings::from_env(), Arc::new(SystemClock))
    }

    /// Runs `f` with the log, one caller at a time; the log's opening error if it has none.
    pub fn with_log<T>(&self, f: impl FnOnce(&mut Store) -> Result<T, IpcError>) -> Result<T, IpcError> {
        if let Some(e) = &self.log_error {
            return Err(e.clone());
        }
        f(&mut self.runtime.log())
    }

    /// The incident a command names by id or unique prefix.
    pub fn incident_id(&self, given: &str) -> Result<Ulid, IpcError> {
        self.with_log(|log| Ok(log.find_incident(given)?))
    }

    /// Who acts from the window, now.
    pub fn actor(&self) -> Actor {
        actor(&self.user, self.clock.now())
    }
}

/// Opens an http(s) address in the system browser, never in the window. Without the opener
/// (tests) nothing is opened.
pub fn open_in_browser<R: tauri::Runtime>(app: &AppHandle<R>, url: &str) -> Result<(), IpcError> {
    if !(url.starts_with("https://") || url.starts_with("http://")) {
        return Err(IpcError::new("unsafe_link", format!("only http(s) links are opened, not {url}")));
    }
    let Some(opener) = app.try_state::<tauri_plugin_opener::Opener<R>>() else { return Ok(()) };
    opener
        .open_url(url, None::<&str>)
        .map_err(|e| IpcError::new("open", format!("cannot open the browser: {e}")))
}

/// The window's user (`WARROOM_USER`) acting at `now`.
fn actor(user: &Option<String>, now: chrono::DateTime<chrono::Utc>) -> Actor {
    Actor { origin: "desktop".to_owned(), by: user.clone(), now }
}

/// An in-memory SQLite that cannot be allocated leaves nothing to run on.
fn panic_free_store(e: warroom::store::StoreError) -> Store {
    tracing::error!("cannot allocate even an in-memory log: {e}");
    std::process::exit(1)
}
