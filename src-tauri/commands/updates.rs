//! The update panel: the channels, each update's state per channel, when the next is due; a
//! draft from the live state, a send through the outbox, a retry of what waits.

use tauri::State;
use warroom::model::Audience;
use warroom::runtime::UpdatePanel;
use warroom::updates::{Draft, Tried};

use crate::state::{AppState, IpcError};

pub fn update_panel(state: State<'_, AppState>, id: String) -> Result<UpdatePanel, IpcError> {
    let id = state.incident_id(&id)?;
    Ok(state.runtime.update_panel(id)?)
}

#[tauri::command(async)]
pub fn draft_update(state: State<'_, AppState>, id: String, audience: String) -> Result<Draft, IpcError> {
    let id = state.incident_id(&id)?;
    let audience: Audience = audience.parse()?;
    Ok(state.runtime.draft_update(id, audience, state.clock.now())?)
}

/// Queues the update (as edited) for each channel; the outbox delivers it.
#[tauri::command(async)]
pub fn send_update(
    state: State<'_, AppState>,
    id: String,
    audience: String,
    channels: Vec<String>,
    subject: String,
    text: String,
) -> Result<Vec<String>, IpcError> {
    let id = state.incident_id(&id)?;
    let audience: Audience = audience.parse()?;
    if let Some(e) = &state.log_error {
        return Err(e.clone());
    }
    Ok(state.runtime.send_update(&state.actor(), id, audience, &channels, &subject, &text)?)
}

#[tauri::command(async)]
pub async fn flush_updates(state: State<'_, AppState>) -> Result<Vec<Tried>, IpcError> {
    Ok(state.runtime.flush_updates(state.clock.now()).await?)
}
