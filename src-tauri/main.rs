//! The warroom desktop shell: a Tauri window over the core library.
//!
//! It only wires: it opens the incident log, registers one thin command per user action
//! (`commands/`), and hands errors to the UI as `{ code, message }`. All logic is in the core
//! crate `warroom`, which the CLI uses too.

#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod commands;
mod drill;
mod error;
mod runbooks;
mod state;

use tracing_subscriber::EnvFilter;

fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_env("WARROOM_LOG").unwrap_or_else(|_| EnvFilter::new("info")))
        .with_writer(std::io::stderr)
        .init();

    let state = state::AppState::open_from_env();
    drill::spawn_live(state.clone());
    if state.live().is_none() {
        start_default_drill(&state);
    }
    drill::spawn_stepper(state.clone());
    let app_slot = state.app.clone();
    let result = tauri::Builder::default()
        .plugin(tauri_plugin_notification::init())
        .plugin(tauri_plugin_opener::init())
        .setup(move |app| {
            let _ = app_slot.set(app.handle().clone());
            Ok(())
        })
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
            commands::drill::drill_scenarios,
            commands::drill::start_drill,
            commands::drill::stop_drill,
            commands::drill::attach_drill,
            commands::drill::graph_state,
            commands::drill::what_if,
            commands::drill::node_charts,
            commands::sources::sources_config,
            commands::sources::test_source,
            commands::sources::open_in_grafana,
            commands::sources::config_file,
            commands::runbook::runbook_suggestions,
            commands::runbook::attach_runbook,
            commands::runbook::incident_runbooks,
            commands::runbook::check_step,
            commands::runbook::open_runbook_link,
            commands::sources::save_config,
            commands::app::notifications,
            commands::app::mute_notifications,
            commands::review::review_incident,
            commands::review::review_at,
            commands::review::export_postmortem,
            commands::review::set_action,
        ])
        .run(tauri::generate_context!());
    if let Err(err) = result {
        tracing::error!("warroom could not start its window: {err:#}");
        std::process::exit(1);
    }
}

/// With nothing configured, the window opens on a drill, so a newcomer sees it work at once.
/// `WARROOM_DRILL=off` opens it without one; `WARROOM_DRILL=<scenario>` picks another, and
/// `WARROOM_DRILL_SPEED` its speed (default 4: a 20-minute scenario in 5 minutes).
fn start_default_drill(state: &state::AppState) {
    let name = std::env::var("WARROOM_DRILL")
        .unwrap_or_else(|_| warroom::sources::drill::DEFAULT_SCENARIO.to_owned());
    if name == "off" {
        return;
    }
    let speed = std::env::var("WARROOM_DRILL_SPEED").ok().and_then(|s| s.parse::<f64>().ok()).unwrap_or(4.0);
    match drill::RunningDrill::start(&name, 1, speed, None) {
        Ok(running) => match state.drill.lock() {
            Ok(mut slot) => *slot = Some(running),
            Err(_) => tracing::error!("the drill slot is poisoned"),
        },
        Err(e) => tracing::error!("cannot start the drill '{name}': {e}"),
    }
}
