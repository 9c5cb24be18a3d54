//! Runbook checks, evaluated every cycle: each step's query of every runbook attached to an
//! active incident, answered by the feed, and written on the timeline only when its outcome
//! changed (passed, failed, or could not be evaluated).
//!
//! Which checks are due is read from the log only when the log moved (its last sequence number
//! changed): a cycle with nothing new costs no fold.

use serde::Serialize;
use ulid::Ulid;

use crate::checks::{self, Observed, Plan};
use crate::model::Status;
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
}

/// The checks of every runbook attached to an active incident (only incidents with a runbook
/// attached are read).
///
/// # Errors
/// The store's error.
pub(super) fn pending(store: &Store, library: &Library) -> Result<Vec<Pending>, StoreError> {
    let incidents = store.incidents_with("runbook_attached")?;
    let runbooks = library.all();
    let mut out = Vec::new();
    for incident in incidents.iter().filter(|i| i.status == Status::Active) {
        for attached in &incident.runbooks {
            let Some(runbook) = runbooks.iter().find(|r| r.id == attached.id) else { continue };
            for step in runbook.steps() {
                let Some(check) = &step.check else { continue };
                out.push(Pending {
                    incident: incident.id,
                    runbook: runbook.id.clone(),
                    step: step.id.clone(),
                    condition: check.condition,
                    plan: checks::plan(check, attached.node.as_deref()),
                    last: attached.checks.get(&step.id).map(|c| c.passed),
                });
            }
        }
    }
    Ok(out)
}

/// The outcomes that differ from the last recorded, from what was observed for each pending
/// check (in the same order).
pub(super) fn changed(pending: &[Pending], observed: &[Observed]) -> Vec<CheckOutcome> {
    pending
        .iter()
        .zip(observed)
        .filter_map(|(p, seen)| {
            let (passed, observed) = checks::judge(&p.condition, seen);
            (p.last != Some(passed)).then(|| CheckOutcome {
                incident: p.incident,
                runbook: p.runbook.clone(),
                step: p.step.clone(),
                passed,
                observed,
            })
        })
        .collect()
}
