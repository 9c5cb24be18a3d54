//! After the incident: review it at any instant (offline, from the log alone), write the
//! postmortem, and keep its action items.

use tauri::State;
use warroom::model::ActionItem;
use warroom::ops::{self, ActionEdit};
use warroom::postmortem::{self, Exported, Options};
use warroom::review::{self, ReviewFrame, ReviewInfo};

use crate::state::{AppState, IpcError};

pub fn review_incident(state: State<'_, AppState>, id: String) -> Result<ReviewInfo, IpcError> {
    let id = state.incident_id(&id)?;
    let replay = state.with_log(|log| Ok(state.reviews.replay(log, id)?))?;
    Ok(review::info(id, &replay))
}

pub fn review_at(state: State<'_, AppState>, id: String, at: String) -> Result<ReviewFrame, IpcError> {
    let asked = warroom::time::parse(&at)?;
    let id = state.incident_id(&id)?;
    let replay = state.with_log(|log| Ok(state.reviews.replay(log, id)?))?;
    review::frame(&replay, state.runtime.library(), asked)
        .ok_or_else(|| IpcError::new("not_declared", "the incident was not declared yet at that instant"))
}

/// Writes the postmortem draft (the thresholds drawn are those the war room judges by).
#[tauri::command(async)]
pub fn export_postmortem(
    state: State<'_, AppState>,
    id: String,
    slo: Option<f64>,
) -> Result<Exported, IpcError> {
    let slo = postmortem::slo(slo.unwrap_or(99.9))?;
    let id = state.incident_id(&id)?;
    let (replay, history) = state.with_log(|log| Ok((state.reviews.replay(log, id)?, log.incidents()?)))?;
    let options = Options {
        slo,
        thresholds: state.runtime.thresholds(),
        history,
        cadence: state.runtime.cadence(),
        ..Options::at(state.clock.now())
    };
    Ok(postmortem::export(&replay, &options, &state.export_dir)?)
}

#[tauri::command(async)]
pub fn set_action(
    state: State<'_, AppState>,
    id: String,
    edit: ActionEdit,
) -> Result<Vec<ActionItem>, IpcError> {
    let id = state.incident_id(&id)?;
    state.with_log(|log| {
        ops::set_action(log, &state.actor(), id, edit)?;
        Ok(log.incident(id)?.actions)
    })
}
