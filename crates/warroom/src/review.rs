//! An incident under review, as a window shows it: the scrubber's span and marks, the peak of
//! the blast radius, and the whole incident at any instant, all from the log alone (offline).
//!
//! A replay is built once per version of the incident's log (its event count) and kept: the
//! scrubber asks for a frame many times a second.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use serde::Serialize;
use ulid::Ulid;

use crate::model::{EventKind, Incident};
use crate::monitor::GraphView;
use crate::postmortem;
use crate::replay::{FiringAt, Replay};
use crate::runtime::{Library, RunbookView};
use crate::store::{Store, StoreError};

/// What a mark on the scrubber stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(any(test, feature = "ts"), derive(ts_rs::TS), ts(export, rename = "ReviewMarkKind"))]
#[serde(rename_all = "snake_case")]
pub enum MarkKind {
    Stage,
    Alert,
    Resolved,
    Reopened,
}

/// A mark on the review scrubber.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(any(test, feature = "ts"), derive(ts_rs::TS), ts(export, rename = "ReviewMark"))]
pub struct Mark {
    pub at: DateTime<Utc>,
    pub kind: MarkKind,
    pub label: String,
}

/// What the scrubber spans: declaration to last event, its marks, the blast radius's peak.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(any(test, feature = "ts"), derive(ts_rs::TS), ts(export))]
pub struct ReviewInfo {
    #[cfg_attr(any(test, feature = "ts"), ts(type = "string"))]
    pub id: Ulid,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub marks: Vec<Mark>,
    pub peak: Option<DateTime<Utc>>,
}

/// The incident as it stood at `at`, read from the log alone. The events are not repeated: the
/// window has them and shows the first `events_until`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(any(test, feature = "ts"), derive(ts_rs::TS), ts(export))]
pub struct ReviewFrame {
    pub at: DateTime<Utc>,
    pub incident: Incident,
    /// `None` when no topology was recorded by then.
    pub graph: Option<GraphView>,
    /// How many of the incident's events (time order, ties in log order) happened by then.
    #[cfg_attr(any(test, feature = "ts"), ts(type = "number"))]
    pub events_until: usize,
    /// The alerts firing then (also when there is no graph).
    pub alerts: Vec<FiringAt>,
    /// The runbooks as they stood then.
    pub runbooks: Vec<RunbookView>,
}

/// The replay last built, by incident and log version.
#[derive(Default)]
pub struct Reviews {
    cached: Mutex<Option<(Ulid, usize, Arc<Replay>)>>,
}

impl Reviews {
    /// The replay of incident `id`, built anew only when its log grew.
    ///
    /// # Errors
    /// The store's error; [`StoreError::UnknownIncident`] when it has no declared event.
    pub fn replay(&self, store: &Store, id: Ulid) -> Result<Arc<Replay>, StoreError> {
        let count = store.event_count(id)?;
        let mut cached = self.cached.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((cached_id, n, replay)) = cached.as_ref()
            && *cached_id == id
            && *n == count
        {
            return Ok(replay.clone());
        }
        let replay = Replay::new(store.events(id)?, store.samples(id)?)
            .ok_or_else(|| StoreError::UnknownIncident { id: id.to_string() })?;
        let replay = Arc::new(replay);
        *cached = Some((id, count, replay.clone()));
        Ok(replay)
    }
}

/// The scrubber's span, its marks (stages, alerts, resolutions, reopenings) and the peak.
pub fn info(id: Ulid, replay: &Replay) -> ReviewInfo {
    let marks = replay
        .events()
        .iter()
        .filter_map(|e| {
            let (kind, label) = match &e.kind {
                EventKind::StageEntered { stage } => (MarkKind::Stage, stage.name().to_owned()),
                EventKind::AlertFired { name, node, .. } => (MarkKind::Alert, format!("{name} on {node}")),
                EventKind::Resolved => (MarkKind::Resolved, "resolved".to_owned()),
                EventKind::Reopened => (MarkKind::Reopened, "reopened".to_owned()),
                _ => return None,
            };
            Some(Mark { at: e.at, kind, label })
        })
        .collect();
    // The peak only: the other incidents (MTBF) are not needed for it.
    let peak = replay
        .at(replay.last())
        .and_then(|whole| postmortem::metrics::compute(replay, &whole.incident, &[]).peak)
        .map(|p| p.at);
    ReviewInfo { id, start: replay.declared_at(), end: replay.end(), marks, peak }
}

/// The incident at `asked`, with its runbooks as they stood then. The window speaks
/// milliseconds and the log microseconds: an instant is the whole of its millisecond, so the
/// scrubber's ends (the declaration, the last event) include them. `None` before the
/// declaration.
pub fn frame(replay: &Replay, library: &Library, asked: DateTime<Utc>) -> Option<ReviewFrame> {
    let at = asked + chrono::Duration::microseconds(999);
    let frame = replay.frame(at)?;
    let runbooks = library.views(&frame.incident);
    Some(ReviewFrame {
        at: asked,
        incident: frame.incident,
        graph: frame.graph,
        events_until: frame.events_until,
        alerts: frame.alerts,
        runbooks,
    })
}
