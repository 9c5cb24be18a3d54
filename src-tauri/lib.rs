//! The warroom desktop shell: a Tauri window over the core library.
//!
//! It only wires. The core's runtime runs on a task of its own and each update is pushed to the
//! window ([`push`]); each user action is one thin command over a core call ([`commands`],
//! listed once in `commands/list.rs`); errors cross as `{ code, message }` ([`state`]). No rule
//! of the war room lives here: the CLI does everything the window does, through the same core.

pub mod commands;
pub mod push;
pub mod state;

pub use state::{AppState, IpcError, Settings};

include!("commands/list.rs");

macro_rules! handlers {
    ($($module:ident :: $name:ident),* $(,)?) => {
        tauri::generate_handler![$(commands::$module::$name),*]
    };
}

/// The app on `builder`: its state, its commands, and the runtime's task once it is set up.
pub fn app<R: tauri::Runtime>(builder: tauri::Builder<R>, state: AppState) -> tauri::Builder<R> {
    let task = state.clone();
    builder.manage(state).invoke_handler(commands!(handlers)).setup(move |app| {
        push::spawn(app.handle().clone(), task);
        Ok(())
    })
}

/// Opens the window, as the environment says (`WARROOM_DB`, `WARROOM_CONFIG`, ...).
pub fn run() {
    use tracing_subscriber::EnvFilter;
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_env("WARROOM_LOG").unwrap_or_else(|_| EnvFilter::new("info")))
        .with_writer(std::io::stderr)
        .init();
    let builder = tauri::Builder::default()
        .plugin(tauri_plugin_notification::init())
        .plugin(tauri_plugin_opener::init());
    let result = app(builder, AppState::from_env()).run(tauri::generate_context!());
    if let Err(err) = result {
        tracing::error!("warroom could not start its window: {err:#}");
        std::process::exit(1);
    }
}
