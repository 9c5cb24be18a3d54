//! After the incident: review it at any instant (offline, from the log alone), write the
//! postmortem, and keep its action items.

use std::path::PathBuf;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::Serialize;
use tauri::State;
use ulid::Ulid;
use warroom::model::{ActionItem, EventKind, Incident};
use warroom::monitor::GraphView;
use warroom::ops::{self, ActionEdit};
use warroom::postmortem::{self, Options};
use warroom::replay::{FiringAt, Replay};

use super::runbook::{RunbookView, views};
use crate::error::IpcError;
use crate::state::{AppState, actor};

/// A mark on the review scrubber.
#[derive(Debug, Serialize)]
pub struct Mark {
    pub at: DateTime<Utc>,
    /// "stage", "alert", "resolved".
    pub kind: &'static str,
    pub label: String,
}

/// What the scrubber needs: the span, the marks, and the peak of the blast radius.
#[derive(Debug, Serialize)]
pub struct ReviewInfo {
    pub id: String,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub marks: Vec<Mark>,
    pub peak: Option<DateTime<Utc>>,
}

/// The incident at one instant, everything the window shows. The events are not sent again:
/// the window has them (`get_incident`) and shows the first `events_until`.
#[derive(Debug, Serialize)]
pub struct ReviewFrame {
    pub at: DateTime<Utc>,
    pub incident: Incident,
    /// `None` when no topology was recorded by then.
    pub graph: Option<GraphView>,
    /// How many of the incident's events (in time order) happened by then.
    pub events_until: usize,
    /// The alerts firing then (also when there is no graph).
    pub alerts: Vec<FiringAt>,
    pub runbooks: Vec<RunbookView>,
}

/// The incident's replay, built once per version of its log (the number of its events).
fn replay(state: &AppState, id: &str) -> Result<(Ulid, Arc<Replay>), IpcError> {
    let (id, count) = state.with_store(|store| {
        let id = store.find_incident(id)?;
        Ok((id, store.event_count(id)?))
    })?;
    let mut cache = crate::drill::lock(&state.review)?;
    if let Some((cached, n, replay)) = cache.as_ref()
        && *cached == id
        && *n == count
    {
        return Ok((id, replay.clone()));
    }
    let (events, samples) = state.with_store(|store| Ok((store.events(id)?, store.samples(id)?)))?;
    let replay = Replay::new(events, samples)
        .ok_or_else(|| IpcError::new("not_declared", format!("incident {id} has no declared event")))?;
    let replay = Arc::new(replay);
    *cache = Some((id, count, replay.clone()));
    Ok((id, replay))
}

#[tauri::command(async)]
pub fn review_incident(state: State<'_, AppState>, id: String) -> Result<ReviewInfo, IpcError> {
    let (id, replay) = replay(&state, &id)?;
    let marks = replay
        .events()
        .iter()
        .filter_map(|e| {
            let (kind, label) = match &e.kind {
                EventKind::StageEntered { stage } => ("stage", stage.name().to_owned()),
                EventKind::AlertFired { name, node, .. } => ("alert", format!("{name} on {node}")),
                EventKind::Resolved => ("resolved", "resolved".to_owned()),
                EventKind::Reopened => ("reopened", "reopened".to_owned()),
                _ => return None,
            };
            Some(Mark { at: e.at, kind, label })
        })
        .collect();
    // The peak only: no need for the other incidents (MTBF).
    let peak = replay
        .at(replay.last())
        .and_then(|whole| postmortem::metrics::compute(&replay, &whole.incident, &[]).peak)
        .map(|p| p.at);
    Ok(ReviewInfo { id: id.to_string(), start: replay.declared_at(), end: replay.end(), marks, peak })
}

#[tauri::command(async)]
pub fn review_at(state: State<'_, AppState>, id: String, at: String) -> Result<ReviewFrame, IpcError> {
    let asked = warroom::time::parse(&at).map_err(|e| IpcError::new("invalid_input", e.to_string()))?;
    // The window speaks milliseconds and the log microseconds: an instant is the whole of its
    // millisecond, so the scrubber's ends (the declaration, the last event) include them.
    let at = asked + chrono::Duration::microseconds(999);
    let (_, replay) = replay(&state, &id)?;
    let frame = replay
        .frame(at)
        .ok_or_else(|| IpcError::new("not_declared", "the incident was not declared yet at that instant"))?;
    let runbooks = views(&state, &frame.incident);
    Ok(ReviewFrame {
        at: asked,
        incident: frame.incident,
        graph: frame.graph,
        events_until: frame.events_until,
        alerts: frame.alerts,
        runbooks,
    })
}

/// Where postmortems are written: `WARROOM_EXPORT_DIR`, else `~/Documents/warroom` (or the data
/// folder when there is no documents folder).
fn export_dir() -> PathBuf {
    std::env::var_os("WARROOM_EXPORT_DIR").map(PathBuf::from).unwrap_or_else(|| {
        dirs::document_dir().or_else(dirs::data_dir).unwrap_or_else(|| PathBuf::from(".")).join("warroom")
    })
}

/// What an export wrote.
#[derive(Debug, Serialize)]
pub struct ExportedFiles {
    pub dir: String,
    pub files: Vec<String>,
}

#[tauri::command(async)]
pub fn export_postmortem(
    state: State<'_, AppState>,
    id: String,
    slo: Option<f64>,
) -> Result<ExportedFiles, IpcError> {
    let slo = slo.unwrap_or(99.9);
    if !(slo > 0.0 && slo < 100.0) {
        return Err(IpcError::new(
            "invalid_input",
            format!("slo: a percentage between 0 and 100, not {slo}"),
        ));
    }
    let (id, replay) = replay(&state, &id)?;
    // The thresholds the window judged health by: the sources' (or the drill's) monitor's.
    let thresholds = state.with_monitor(|m| m.thresholds().clone())?.unwrap_or_default();
    let history = state.with_store(|store| Ok(store.incidents()?))?;
    let options = Options { slo, thresholds, history, now: Utc::now(), ..Options::default() };
    let fail = |e: postmortem::PostmortemError| IpcError::new("export_failed", e.to_string());
    let written = postmortem::render(&replay, &options).map_err(fail)?;
    let dir = export_dir();
    let files = postmortem::write(&dir, &id.to_string(), &written).map_err(fail)?;
    Ok(ExportedFiles {
        dir: dir.display().to_string(),
        files: files.iter().map(|f| f.display().to_string()).collect(),
    })
}

#[tauri::command(async)]
pub fn set_action(
    state: State<'_, AppState>,
    id: String,
    edit: ActionEdit,
) -> Result<Vec<ActionItem>, IpcError> {
    state.with_store(|store| {
        let id = store.find_incident(&id)?;
        ops::set_action(store, &actor(), id, edit)?;
        Ok(store.incident(id)?.actions)
    })
}
