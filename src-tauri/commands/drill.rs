//! The drill bar and the graph: scenarios, start/stop, the live graph, what-if.

use chrono::Utc;
use serde::Serialize;
use tauri::State;
use warroom::monitor::GraphView;
use warroom::rehearsal::reference_topology;
use warroom::sources::drill::Scenario;
use warroom::sources::http::EndpointStatus;
use warroom::topology::BlastRadius;

use crate::drill::{DrillStatus, RunningDrill, lock};
use crate::error::IpcError;
use crate::state::AppState;

#[derive(Debug, Serialize)]
pub struct ScenarioInfo {
    name: String,
    title: String,
    summary: String,
    duration_secs: f64,
}

/// The graph as the last drill step or poll cycle left it, the drill's status, the sources'.
#[derive(Debug, Serialize)]
pub struct GraphState {
    drill: Option<DrillStatus>,
    view: Option<GraphView>,
    /// "drill" or "live" (configured sources).
    mode: &'static str,
    sources: Vec<EndpointStatus>,
    /// With live sources: the incident their health changes are recorded on.
    recording_on: Option<String>,
    /// With live sources: incidents the providers' status pages declare.
    provider_incidents: Vec<warroom::sources::statuspage::Incident>,
}

#[tauri::command(async)]
pub fn drill_scenarios() -> Result<Vec<ScenarioInfo>, IpcError> {
    let scenarios = Scenario::built_in().map_err(|e| IpcError::new("scenario", e.to_string()))?;
    Ok(scenarios
        .into_iter()
        .map(|s| ScenarioInfo {
            name: s.name,
            title: s.title,
            summary: s.summary,
            duration_secs: s.duration_secs,
        })
        .collect())
}

#[tauri::command(async)]
pub fn start_drill(
    state: State<'_, AppState>,
    scenario: String,
    speed: f64,
    seed: u64,
    incident: Option<String>,
) -> Result<DrillStatus, IpcError> {
    if state.live().is_some() {
        return Err(IpcError::new(
            "live_sources",
            "live sources are configured: drills run when warroom starts without WARROOM_CONFIG",
        ));
    }
    if !(speed.is_finite() && speed > 0.0 && speed <= 10_000.0) {
        return Err(IpcError::new(
            "invalid_input",
            format!("speed must be between 0 and 10000, not {speed}"),
        ));
    }
    let recorder = recorder_for(&state, incident)?;
    let drill = RunningDrill::start(&scenario, seed, speed, recorder)
        .map_err(|e| IpcError::new(e.code(), e.to_string()))?;
    let status = drill.status(Utc::now());
    *lock(&state.drill)? = Some(drill);
    Ok(status)
}

/// What records on the incident `id` names (read once from the log), or nothing.
fn recorder_for(state: &AppState, id: Option<String>) -> Result<Option<warroom::ops::Recorder>, IpcError> {
    id.map(|id| {
        state.with_store(|store| {
            let id = store.find_incident(&id)?;
            Ok(warroom::ops::Recorder::attach(store, id)?)
        })
    })
    .transpose()
}

#[tauri::command(async)]
pub fn stop_drill(state: State<'_, AppState>) -> Result<(), IpcError> {
    *lock(&state.drill)? = None;
    Ok(())
}

/// Records the running drill's (or the live sources') health changes on this incident from now
/// on (or on none).
#[tauri::command(async)]
pub fn attach_drill(
    state: State<'_, AppState>,
    incident: Option<String>,
) -> Result<Option<DrillStatus>, IpcError> {
    let recorder = recorder_for(&state, incident)?;
    if state.live().is_some() {
        *lock(&state.live_incident)? = recorder;
        return Ok(None);
    }
    let mut guard = lock(&state.drill)?;
    let drill =
        guard.as_mut().ok_or_else(|| IpcError::new("no_drill", "no drill is running: start one first"))?;
    drill.recorder = recorder;
    Ok(Some(drill.status(Utc::now())))
}

#[tauri::command(async)]
pub fn graph_state(state: State<'_, AppState>) -> Result<GraphState, IpcError> {
    let now = Utc::now();
    if let Some(live) = &state.live() {
        let recording_on = lock(&state.live_incident)?.as_ref().map(|r| r.incident().to_string());
        // Each lock of the monitor is its own statement: a guard held across a second lock of
        // the same mutex would deadlock the window and the poller.
        let provider_incidents = live.report(now).provider_incidents;
        let view = live.monitor().view(now);
        return Ok(GraphState {
            drill: None,
            view: Some(view),
            mode: "live",
            sources: live.sources(),
            recording_on,
            provider_incidents,
        });
    }
    let guard = lock(&state.drill)?;
    let (drill, view) = match guard.as_ref() {
        Some(drill) => (Some(drill.status(now)), Some(drill.rehearsal.view(now))),
        None => (None, None),
    };
    Ok(GraphState {
        drill,
        view,
        mode: "drill",
        sources: Vec::new(),
        recording_on: None,
        provider_incidents: Vec::new(),
    })
}

/// A chart of one signal, as SVG drawn by the core.
#[derive(Debug, Serialize)]
pub struct Chart {
    metric: warroom::model::Metric,
    svg: String,
}

/// Charts of the selected node's signals over the last half hour, from what the core has.
#[tauri::command(async)]
pub fn node_charts(state: State<'_, AppState>, node: String) -> Result<Vec<Chart>, IpcError> {
    let charts = state.with_monitor(|monitor| monitor.charts(&node))?.unwrap_or(Ok(Vec::new()));
    let charts = charts.map_err(|e| IpcError::new("chart", e.to_string()))?;
    Ok(charts.into_iter().map(|(metric, svg)| Chart { metric, svg }).collect())
}

/// What would break if these nodes failed, on the graph on screen.
#[tauri::command(async)]
pub fn what_if(state: State<'_, AppState>, failed: Vec<String>) -> Result<BlastRadius, IpcError> {
    match state.with_monitor(|monitor| monitor.topology().what_if(&failed))? {
        Some(radius) => Ok(radius),
        None => {
            let topology = reference_topology().map_err(|e| IpcError::new("topology", e.to_string()))?;
            Ok(topology.what_if(&failed))
        }
    }
}
