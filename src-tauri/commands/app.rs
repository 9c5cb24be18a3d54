//! Facts about the running app: the log's path for the status bar, and the vocabulary
//! (severities, stages, roles with their meanings) so the window never keeps its own copy.

use serde::Serialize;
use tauri::State;
use warroom::model::{Role, Severity, Stage};

use crate::error::IpcError;
use crate::state::AppState;

#[derive(Debug, Serialize)]
pub struct Term {
    name: &'static str,
    meaning: &'static str,
}

#[derive(Debug, Serialize)]
pub struct AppInfo {
    version: &'static str,
    db_path: String,
    severities: Vec<Term>,
    stages: Vec<Term>,
    roles: Vec<Term>,
    /// Why the configuration could not be used, if it could not.
    startup_error: Option<IpcError>,
    /// Whether a Grafana is configured (the node panel then links to Explore).
    grafana: bool,
}

#[tauri::command(async)]
pub fn app_info(state: State<'_, AppState>) -> Result<AppInfo, IpcError> {
    Ok(AppInfo {
        version: env!("CARGO_PKG_VERSION"),
        db_path: state.db_path.display().to_string(),
        severities: Severity::ALL.map(|s| Term { name: s.name(), meaning: s.meaning() }).into(),
        stages: Stage::ALL.map(|s| Term { name: s.name(), meaning: s.meaning() }).into(),
        roles: Role::ALL.map(|r| Term { name: r.name(), meaning: r.title() }).into(),
        // Once the configuration is fixed in the window, its startup error is history.
        startup_error: if state.live().is_some() { None } else { state.startup_error.clone() },
        grafana: state.config().is_some_and(|c| c.grafana.is_some()),
    })
}

/// Desktop notifications: muted or not, and the last one shown.
#[derive(Debug, Serialize)]
pub struct NotificationStatus {
    muted: bool,
    last_title: Option<String>,
    last_body: Option<String>,
    last_at: Option<chrono::DateTime<chrono::Utc>>,
}

fn notification_status(state: &AppState) -> Result<NotificationStatus, IpcError> {
    let n = state
        .notifier
        .lock()
        .map_err(|_| IpcError::new("internal", "notifications failed earlier; restart warroom"))?;
    Ok(NotificationStatus {
        muted: n.notifier.muted(),
        last_title: n.last.as_ref().map(|(_, l)| l.title.clone()),
        last_body: n.last.as_ref().map(|(_, l)| l.body.clone()),
        last_at: n.last.as_ref().map(|(at, _)| *at),
    })
}

#[tauri::command(async)]
pub fn notifications(state: State<'_, AppState>) -> Result<NotificationStatus, IpcError> {
    notification_status(&state)
}

/// Mutes (or unmutes) desktop notifications; everything still goes on the timeline.
#[tauri::command(async)]
pub fn mute_notifications(state: State<'_, AppState>, muted: bool) -> Result<NotificationStatus, IpcError> {
    state
        .notifier
        .lock()
        .map_err(|_| IpcError::new("internal", "notifications failed earlier; restart warroom"))?
        .notifier
        .set_muted(muted);
    notification_status(&state)
}
