//! The runbook panel: suggestions for what is failing, attaching, the attached runbooks with
//! what was done of them, checking a step, and opening a runbook's link.

use tauri::{AppHandle, State};
use warroom::runtime::{RunbookView, Suggestion};

use crate::state::{AppState, IpcError};

/// Runbooks for the alerts firing and the nodes in trouble, best first, one per runbook, not
/// those already attached to the incident.
pub fn runbook_suggestions(state: State<'_, AppState>, id: String) -> Result<Vec<Suggestion>, IpcError> {
    let id = state.incident_id(&id)?;
    Ok(state.runtime.suggest(id, state.clock.now())?)
}

#[tauri::command(async)]
pub fn attach_runbook(
    state: State<'_, AppState>,
    id: String,
    runbook: String,
    node: Option<String>,
) -> Result<Vec<RunbookView>, IpcError> {
    let id = state.incident_id(&id)?;
    state.runtime.attach_runbook(&state.actor(), id, &runbook, node)?;
    Ok(state.runtime.runbooks_of(id)?)
}

pub fn incident_runbooks(state: State<'_, AppState>, id: String) -> Result<Vec<RunbookView>, IpcError> {
    let id = state.incident_id(&id)?;
    Ok(state.runtime.runbooks_of(id)?)
}

#[tauri::command(async)]
pub fn check_step(
    state: State<'_, AppState>,
    id: String,
    runbook: String,
    step: String,
    done: bool,
) -> Result<Vec<RunbookView>, IpcError> {
    let id = state.incident_id(&id)?;
    state.runtime.check_step(&state.actor(), id, &runbook, &step, done)?;
    Ok(state.runtime.runbooks_of(id)?)
}

/// Opens one of an attached runbook's links in the system browser: only links the runbook
/// holds, never an address the window makes up.
#[tauri::command(async)]
pub fn open_runbook_link<R: tauri::Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    id: String,
    runbook: String,
    step: String,
    index: usize,
) -> Result<String, IpcError> {
    let id = state.incident_id(&id)?;
    let url = state
        .runtime
        .runbooks_of(id)?
        .iter()
        .find(|v| v.runbook.id == runbook)
        .and_then(|v| v.runbook.step(&step))
        .and_then(|s| s.links.get(index))
        .map(|l| l.url.clone())
        .ok_or_else(|| IpcError::new("unknown_link", "no such link in the attached runbook"))?;
    crate::state::open_in_browser(&app, &url)?;
    Ok(url)
}
