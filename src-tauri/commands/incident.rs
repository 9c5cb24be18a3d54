//! The incident list, the declare form, the header and the timeline.

use serde::Serialize;
use tauri::State;
use warroom::model::{Event, Incident};
use warroom::ops::{self, Declaration};

use crate::state::{AppState, IpcError};

/// One incident as the window shows it: its state and its timeline, whole or what is new.
#[derive(Debug, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
pub struct IncidentView {
    incident: Incident,
    /// In time order: every event, or (when asked with `after`) those written since.
    events: Vec<Event>,
    /// Where in the log these events go up to: asked with it as `after`, only newer ones come.
    #[cfg_attr(test, ts(type = "number"))]
    through: i64,
    /// Whether `events` are only those written after the `after` asked for, to merge in.
    since: bool,
}

#[tauri::command(async)]
pub fn list_incidents(state: State<'_, AppState>) -> Result<Vec<Incident>, IpcError> {
    state.with_log(|log| Ok(log.incidents()?))
}

/// The incident and its timeline; with `after` (the `through` of an earlier answer), only the
/// events written since: a long incident's timeline is not sent whole on every change.
#[tauri::command(async)]
pub fn get_incident(
    state: State<'_, AppState>,
    id: String,
    after: Option<i64>,
) -> Result<IncidentView, IpcError> {
    let id = state.incident_id(&id)?;
    state.with_log(|log| {
        let (events, through) = log.events_after(id, after.unwrap_or(0).max(0))?;
        Ok(IncidentView { incident: log.incident(id)?, events, through, since: after.is_some() })
    })
}

#[tauri::command(async)]
pub fn declare_incident(
    state: State<'_, AppState>,
    title: String,
    severity: String,
    commander: Option<String>,
    local: Option<bool>,
) -> Result<Incident, IpcError> {
    let local = local.unwrap_or(false);
    let declaration = Declaration { title, severity: severity.parse()?, commander, at: None, local };
    if let Some(e) = &state.log_error {
        return Err(e.clone());
    }
    Ok(state.runtime.declare(&state.actor(), declaration)?)
}

/// Enters a stage, recording the runbook steps left undone on purpose (`runbook/step`).
/// Declares an incident from the outage users see now (title, SEV1, what is affected, when it
/// started), and records on it at once.
#[tauri::command(async)]
pub fn declare_from_outage(state: State<'_, AppState>) -> Result<Incident, IpcError> {
    if let Some(e) = &state.log_error {
        return Err(e.clone());
    }
    Ok(state.runtime.declare_from_outage(&state.actor())?)
}

#[tauri::command(async)]
pub fn enter_stage(
    state: State<'_, AppState>,
    id: String,
    stage: String,
    skipped: Option<Vec<String>>,
) -> Result<Event, IpcError> {
    let (id, stage) = (state.incident_id(&id)?, stage.parse()?);
    let skipped = skipped.unwrap_or_default();
    if let Some(e) = &state.log_error {
        return Err(e.clone());
    }
    Ok(state.runtime.enter_stage(&state.actor(), id, stage, skipped)?)
}

#[tauri::command(async)]
pub fn add_note(state: State<'_, AppState>, id: String, text: String) -> Result<Event, IpcError> {
    let id = state.incident_id(&id)?;
    state.with_log(|log| Ok(ops::add_note(log, &state.actor(), id, &text, None)?))
}

#[tauri::command(async)]
pub fn assign_role(
    state: State<'_, AppState>,
    id: String,
    role: String,
    name: String,
) -> Result<Event, IpcError> {
    let (id, role) = (state.incident_id(&id)?, role.parse()?);
    state.with_log(|log| Ok(ops::assign_role(log, &state.actor(), id, role, &name, None)?))
}

#[tauri::command(async)]
pub fn change_severity(state: State<'_, AppState>, id: String, severity: String) -> Result<Event, IpcError> {
    let (id, severity) = (state.incident_id(&id)?, severity.parse()?);
    state.with_log(|log| Ok(ops::change_severity(log, &state.actor(), id, severity, None)?))
}

#[tauri::command(async)]
pub fn resolve_incident(state: State<'_, AppState>, id: String) -> Result<Event, IpcError> {
    let id = state.incident_id(&id)?;
    state.with_log(|log| Ok(ops::resolve(log, &state.actor(), id, None)?))
}

#[tauri::command(async)]
pub fn reopen_incident(state: State<'_, AppState>, id: String) -> Result<Event, IpcError> {
    let id = state.incident_id(&id)?;
    state.with_log(|log| Ok(ops::reopen(log, &state.actor(), id, None)?))
}
