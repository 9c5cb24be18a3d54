//! Runbook checks, evaluated every cycle: each step's query of every runbook attached to the
//! incident the war room records on (while it is active), answered by the feed. What each check sees is kept for the window; an
//! outcome is written on the timeline only when
//! - the incident has reached the step's stage (a Recover check failing during Detect is
//!   expected, not news: it is shown, not recorded), and
//! - it differs from the last outcome recorded and has held for the configured number of
//!   cycles (a check flipping passed/failed within two cycles is noise); it is then dated from
//!   its first cycle.
//!
//! Which checks are due is read from the log only when the log moved (its last sequence number
//! changed): a cycle with nothing new costs no fold.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::Serialize;
use ulid::Ulid;

use crate::checks::{self, Observed, Plan};
use crate::model::{CheckMark, Stage, Status};
use crate::runbook::Condition;
use crate::store::{Store, StoreError};

use super::Library;

/// One check to answer: where it is, how, and its last outcome on the log.
#[derive(Debug, Clone)]
pub(super) struct Pending {
    pub incident: Ulid,
    pub runbook: String,
    pub step: String,
    pub condition: Condition,
    pub plan: Plan,
    /// The outcome last recorded; `None` when none was.
    pub last: Option<Option<bool>>,
    /// Whether the incident has reached the step's stage (then its outcomes are recorded).
    pub reached: bool,
}

/// A check's outcome that changed and was recorded.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(any(test, feature = "ts"), derive(ts_rs::TS), ts(export))]
pub struct CheckOutcome {
    #[cfg_attr(any(test, feature = "ts"), ts(type = "string"))]
    pub incident: Ulid,
    pub runbook: String,
    pub step: String,
    /// `None` when it could not be evaluated.
    pub passed: Option<bool>,
    /// The value seen and when, or why nothing was.
    pub observed: String,
    /// When the outcome started (it was recorded once it had held).
    pub at: DateTime<Utc>,
}

/// Where a check is: (incident, runbook, step).
pub(super) type Key = (Ulid, String, String);

/// What the checks have seen, between cycles.
#[derive(Debug, Default)]
pub(super) struct Seen {
    /// The latest outcome of every check, recorded or not: what the window shows.
    pub latest: HashMap<Key, CheckMark>,
    /// Outcomes that differ from the log's, not held long enough yet.
    candidates: HashMap<Key, (CheckMark, u32)>,
}

/// The checks of every runbook attached to `recording`, the incident the war room records on,
/// while it is active: what the feed says is about that incident, not about every one (a drill
/// played for practice says nothing of a real incident's runbook).
///
/// # Errors
/// The store's error.
pub(super) fn pending(
    store: &Store,
    library: &Library,
    recording: Option<Ulid>,
) -> Result<Vec<Pending>, StoreError> {
    let Some(recording) = recording else { return Ok(Vec::new()) };
    let incidents = [store.incident(recording)?];
    let runbooks = library.all();
    let mut out = Vec::new();
    for incident in incidents.iter().filter(|i| i.status == Status::Active) {
        let furthest =
            incident.stage_log.iter().map(|v| v.stage).max().unwrap_or(Stage::Detect).max(incident.stage);
        for attached in &incident.runbooks {
            let Some(runbook) = runbooks.iter().find(|r| r.id == attached.id) else { continue };
            for stage in &runbook.stages {
                for step in &stage.steps {
                    let Some(check) = &step.check else { continue };
                    out.push(Pending {
                        incident: incident.id,
                        runbook: runbook.id.clone(),
                        step: step.id.clone(),
                        condition: check.condition,
                        plan: checks::plan(check, attached.node.as_deref()),
                        last: attached.checks.get(&step.id).map(|c| c.passed),
                        reached: stage.stage <= furthest,
                    });
                }
            }
        }
    }
    Ok(out)
}

impl Seen {
    /// Takes in what was observed for each pending check (in the same order) at `now`; returns
    /// the outcomes to record now: changed from the log's, in a reached stage, held `hold`
    /// cycles, each dated from its first cycle.
    pub(super) fn judge(
        &mut self,
        pending: &[Pending],
        observed: &[Observed],
        now: DateTime<Utc>,
        hold: u32,
    ) -> Vec<CheckOutcome> {
        let mut due = Vec::new();
        for (p, seen) in pending.iter().zip(observed) {
            let (passed, observed) = checks::judge(&p.condition, seen);
            let key: Key = (p.incident, p.runbook.clone(), p.step.clone());
            let mark = CheckMark { at: now, passed, observed };
            self.latest.insert(key.clone(), mark.clone());
            if !p.reached || p.last == Some(passed) {
                self.candidates.remove(&key);
                continue;
            }
            let candidate = self.candidates.entry(key.clone()).or_insert_with(|| (mark.clone(), 0));
            if candidate.0.passed != passed {
                *candidate = (mark, 0);
            }
            candidate.1 += 1;
            if candidate.1 >= hold.max(1) {
                let (first, _) = candidate.clone();
                self.candidates.remove(&key);
                due.push(CheckOutcome {
                    incident: p.incident,
                    runbook: p.runbook.clone(),
                    step: p.step.clone(),
                    passed: first.passed,
                    observed: first.observed,
                    at: first.at,
                });
            }
        }
        due
    }
}
