//! Facts about the running app (the log's path, the vocabulary, what went wrong at start), the
//! situation now, and muting notifications.

use serde::Serialize;
use tauri::State;
use warroom::model::{Role, Severity, Stage};
use warroom::runtime::{Broadcast, NotificationStatus, Situation};

use crate::state::{AppState, IpcError};

/// A named value with its meaning, as the core defines it (severities, stages, roles).
#[derive(Debug, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
pub struct Term {
    name: &'static str,
    meaning: &'static str,
}

/// What the window learns once, at start.
#[derive(Debug, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
pub struct AppInfo {
    version: &'static str,
    db_path: String,
    severities: Vec<Term>,
    stages: Vec<Term>,
    roles: Vec<Term>,
    /// Who stakeholder updates are for.
    audiences: Vec<Term>,
    /// Why the configuration could not be used, if it could not (until it is fixed).
    startup_error: Option<IpcError>,
    /// Why the log could not be opened, if it could not.
    log_error: Option<IpcError>,
    /// Whether a Grafana is configured (the node panel then links to Explore).
    grafana: bool,
}

#[tauri::command(async)]
pub fn app_info(state: State<'_, AppState>) -> AppInfo {
    let config = state.runtime.config();
    AppInfo {
        version: env!("CARGO_PKG_VERSION"),
        db_path: state.db_path.display().to_string(),
        severities: Severity::ALL.map(|s| Term { name: s.name(), meaning: s.meaning() }).into(),
        stages: Stage::ALL.map(|s| Term { name: s.name(), meaning: s.meaning() }).into(),
        roles: Role::ALL.map(|r| Term { name: r.name(), meaning: r.title() }).into(),
        audiences: warroom::model::Audience::ALL
            .map(|a| Term { name: a.name(), meaning: a.meaning() })
            .into(),
        // Once a configuration is in use, its startup error is history.
        startup_error: if config.is_some() { None } else { state.startup_error.clone() },
        log_error: state.log_error.clone(),
        grafana: config.is_some_and(|c| c.grafana.is_some()),
    }
}

/// The situation now, as the last cycle left it: what the window draws before the first push.
/// Its log lines are those of `node` only (the node whose panel is open), as in a push.
pub fn situation(state: State<'_, AppState>, node: Option<String>) -> Situation {
    crate::push::logs_of(state.runtime.situation(state.clock.now()), node.as_deref())
}

/// Mutes (or unmutes) desktop notifications; everything still goes on the timeline.
#[tauri::command(async)]
pub fn mute_notifications(state: State<'_, AppState>, muted: bool) -> NotificationStatus {
    state.runtime.mute(muted)
}

/// What changed since the window last pulled, and the situation now; `None` when nothing did.
/// The window reads it (over the read protocol, `read.rs`) when the event `warroom://broadcast`
/// tells it something waits (see `push.rs`), naming the node whose panel is open: only that
/// node's log lines come with the graph.
pub fn pull_broadcast(state: State<'_, AppState>, node: Option<String>) -> Option<Broadcast> {
    crate::push::pull(&state, node.as_deref())
}
