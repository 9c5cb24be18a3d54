//! What changed: an incident's changes, most suspect first, and where each change source stands.

use serde::Serialize;
use tauri::State;
use warroom::changes::RankedChange;
use warroom::runtime::ChangeSourceStatus;

use crate::state::{AppState, IpcError};

/// An incident's changes, ranked, and the change sources' states.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
pub struct ChangesView {
    pub changes: Vec<RankedChange>,
    pub sources: Vec<ChangeSourceStatus>,
}

pub fn incident_changes(state: State<'_, AppState>, id: String) -> Result<ChangesView, IpcError> {
    let id = state.incident_id(&id)?;
    Ok(ChangesView { changes: state.runtime.changes_of(id)?, sources: state.runtime.change_sources() })
}
