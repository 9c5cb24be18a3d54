//! The warroom desktop shell: a Tauri window over the core library.
//!
//! It only wires: it opens the incident log, registers one thin command per user action
//! (`commands/`), and hands errors to the UI as `{ code, message }`. All logic is in the core
//! crate `warroom`, which the CLI uses too.

#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod commands;
mod error;
mod state;

use tracing_subscriber::EnvFilter;

fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_env("WARROOM_LOG").unwrap_or_else(|_| EnvFilter::new("info")))
        .with_writer(std::io::stderr)
        .init();

    let state = state::AppState::open_from_env();
    let result = tauri::Builder::default()
        .manage(state)
        .invoke_handler(tauri::generate_handler![
            commands::app::app_info,
            commands::incident::list_incidents,
            commands::incident::get_incident,
            commands::incident::declare_incident,
            commands::incident::enter_stage,
            commands::incident::add_note,
            commands::incident::assign_role,
            commands::incident::change_severity,
            commands::incident::resolve_incident,
            commands::incident::reopen_incident,
        ])
        .run(tauri::generate_context!());
    if let Err(err) = result {
        tracing::error!("warroom could not start its window: {err:#}");
        std::process::exit(1);
    }
}
