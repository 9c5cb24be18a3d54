//! The incident list, the declare form, the header and the timeline.

use serde::Serialize;
use tauri::State;
use warroom::model::{Event, Incident, Role, Severity, Stage};
use warroom::ops::{self, Declaration};

use crate::error::IpcError;
use crate::state::{AppState, actor};

/// One incident as the window shows it: its state and its whole timeline.
#[derive(Debug, Serialize)]
pub struct IncidentView {
    incident: Incident,
    events: Vec<Event>,
}

#[tauri::command(async)]
pub fn list_incidents(state: State<'_, AppState>) -> Result<Vec<Incident>, IpcError> {
    state.with_store(|store| Ok(store.incidents()?))
}

#[tauri::command(async)]
pub fn get_incident(state: State<'_, AppState>, id: String) -> Result<IncidentView, IpcError> {
    state.with_store(|store| {
        let id = store.find_incident(&id)?;
        Ok(IncidentView { incident: store.incident(id)?, events: store.events(id)? })
    })
}

#[tauri::command(async)]
pub fn declare_incident(
    state: State<'_, AppState>,
    title: String,
    severity: String,
    commander: Option<String>,
) -> Result<Incident, IpcError> {
    let severity: Severity = severity.parse()?;
    state.with_store(|store| {
        Ok(ops::declare(store, &actor(), Declaration { title, severity, commander, at: None })?)
    })
}

#[tauri::command(async)]
pub fn enter_stage(
    state: State<'_, AppState>,
    id: String,
    stage: String,
    skipped: Option<Vec<String>>,
) -> Result<Event, IpcError> {
    let stage: Stage = stage.parse()?;
    state.with_store(|store| {
        let id = store.find_incident(&id)?;
        Ok(ops::enter_stage_skipping(store, &actor(), id, stage, skipped.unwrap_or_default())?)
    })
}

#[tauri::command(async)]
pub fn add_note(state: State<'_, AppState>, id: String, text: String) -> Result<Event, IpcError> {
    state.with_store(|store| {
        let id = store.find_incident(&id)?;
        Ok(ops::add_note(store, &actor(), id, &text, None)?)
    })
}

#[tauri::command(async)]
pub fn assign_role(
    state: State<'_, AppState>,
    id: String,
    role: String,
    name: String,
) -> Result<Event, IpcError> {
    let role: Role = role.parse()?;
    state.with_store(|store| {
        let id = store.find_incident(&id)?;
        Ok(ops::assign_role(store, &actor(), id, role, &name, None)?)
    })
}

#[tauri::command(async)]
pub fn change_severity(state: State<'_, AppState>, id: String, severity: String) -> Result<Event, IpcError> {
    let severity: Severity = severity.parse()?;
    state.with_store(|store| {
        let id = store.find_incident(&id)?;
        Ok(ops::change_severity(store, &actor(), id, severity, None)?)
    })
}

#[tauri::command(async)]
pub fn resolve_incident(state: State<'_, AppState>, id: String) -> Result<Event, IpcError> {
    state.with_store(|store| {
        let id = store.find_incident(&id)?;
        Ok(ops::resolve(store, &actor(), id, None)?)
    })
}

#[tauri::command(async)]
pub fn reopen_incident(state: State<'_, AppState>, id: String) -> Result<Event, IpcError> {
    state.with_store(|store| {
        let id = store.find_incident(&id)?;
        Ok(ops::reopen(store, &actor(), id, None)?)
    })
}
