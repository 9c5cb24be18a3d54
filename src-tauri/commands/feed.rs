//! What feeds the war room: the drills (list, start, stop), which incident it records on, and
//! questions about the graph on screen (what if, charts).

use tauri::State;
use warroom::monitor::Chart;
use warroom::runtime::{DrillStatus, WhatIf};
use warroom::sources::drill::{Scenario, ScenarioInfo};

use crate::state::{AppState, IpcError};

#[tauri::command(async)]
pub fn drill_scenarios() -> Result<Vec<ScenarioInfo>, IpcError> {
    let scenarios = Scenario::built_in().map_err(|e| IpcError::new("scenario", e.to_string()))?;
    Ok(scenarios.iter().map(Scenario::info).collect())
}

/// Starts a drill (replacing what fed the war room) and records it on `incident`, if given.
#[tauri::command(async)]
pub fn start_drill(
    state: State<'_, AppState>,
    scenario: String,
    speed: f64,
    seed: u64,
    incident: Option<String>,
) -> Result<DrillStatus, IpcError> {
    let incident = incident.map(|id| state.incident_id(&id)).transpose()?;
    Ok(state.runtime.start_drill(&scenario, seed, speed, &state.actor(), incident)?)
}

#[tauri::command(async)]
pub fn stop_drill(state: State<'_, AppState>) {
    state.runtime.stop_drill();
}

/// Records what the drill or the live sources say on this incident from now on (or on none).
#[tauri::command(async)]
pub fn record_on(state: State<'_, AppState>, incident: Option<String>) -> Result<(), IpcError> {
    let incident = incident.map(|id| state.incident_id(&id)).transpose()?;
    Ok(state.runtime.record_on(incident, &state.actor())?)
}

/// What would break if these nodes failed, on the graph on screen.
pub fn what_if(state: State<'_, AppState>, failed: Vec<String>) -> Result<WhatIf, IpcError> {
    Ok(state.runtime.what_if(&failed)?)
}

/// Charts of the selected node's signals over the last half hour, from what the core has.
pub fn node_charts(state: State<'_, AppState>, node: String) -> Result<Vec<Chart>, IpcError> {
    Ok(state.runtime.charts(&node)?)
}
