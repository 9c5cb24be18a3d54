//! Runbooks in the app: the ones it knows (built in, plus the folder `WARROOM_RUNBOOKS` names),
//! and the checks of those attached to active incidents, evaluated after every drill step or
//! poll cycle. A check's outcome is written only when it changes.

use std::path::Path;

use chrono::{DateTime, Utc};
use warroom::checks::{self, Observed, Plan};
use warroom::monitor::Monitor;
use warroom::ops::{self, Actor};
use warroom::runbook::Runbook;

use crate::error::IpcError;
use crate::state::AppState;

/// The built-in runbooks, then those of `WARROOM_RUNBOOKS` (a folder of `.md` files) that parse;
/// a file that does not is logged with its problems and left out.
pub fn load() -> Vec<Runbook> {
    let mut runbooks = Runbook::built_in();
    let Some(dir) = std::env::var_os("WARROOM_RUNBOOKS") else { return runbooks };
    let dir = Path::new(&dir);
    let mut files: Vec<_> = match std::fs::read_dir(dir) {
        Ok(entries) => entries.filter_map(Result::ok).map(|e| e.path()).collect(),
        Err(e) => {
            tracing::warn!("runbooks: {}: {e}", dir.display());
            return runbooks;
        }
    };
    files.retain(|p| p.extension().is_some_and(|x| x == "md"));
    files.sort();
    for file in files {
        match Runbook::read(&file) {
            Ok(runbook) => {
                // Your own runbook replaces a built-in one of the same id.
                runbooks.retain(|r| r.id != runbook.id);
                runbooks.push(runbook);
            }
            Err(problems) => {
                for p in problems {
                    tracing::warn!("runbook left out: {p}");
                }
            }
        }
    }
    runbooks
}

/// One check to answer: where it is and how.
struct Pending {
    incident: ulid::Ulid,
    runbook: String,
    step: String,
    condition: warroom::runbook::Condition,
    plan: Plan,
    last: Option<Option<bool>>,
}

/// The checks of every runbook attached to an active incident.
fn pending(state: &AppState) -> Result<Vec<Pending>, IpcError> {
    let incidents = state.with_store(|store| Ok(store.incidents()?))?;
    let runbooks = state.runbooks();
    let mut out = Vec::new();
    for incident in incidents.iter().filter(|i| i.status == warroom::model::Status::Active) {
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

/// Evaluates every pending check and records the outcomes that changed. `observe` answers the
/// plans, in order (it may lock the drill or ask Prometheus: no lock is held while it runs).
pub fn evaluate(state: &AppState, now: DateTime<Utc>, observe: impl FnOnce(&[&Plan]) -> Vec<Observed>) {
    let pending = match pending(state) {
        Ok(p) => p,
        Err(e) => return tracing::warn!("runbook checks: {}", e.message),
    };
    if pending.is_empty() {
        return;
    }
    let plans: Vec<&Plan> = pending.iter().map(|p| &p.plan).collect();
    let observed = observe(&plans);
    let actor = Actor { origin: "check".to_owned(), by: None, now };
    for (p, observed) in pending.iter().zip(observed) {
        let (passed, seen) = checks::judge(&p.condition, &observed);
        if p.last == Some(passed) {
            continue;
        }
        let recorded = state.with_store(|store| {
            Ok(ops::record_check(store, &actor, p.incident, &p.runbook, &p.step, passed, &seen)?)
        });
        if let Err(e) = recorded {
            tracing::warn!("recording a check: {}", e.message);
        }
    }
}

/// Answers plans from a monitor; PromQL that is not a warroom signal through `prometheus`.
pub fn observe_with(
    plans: &[&Plan],
    monitor: impl Fn(&checks::SignalQuery) -> Observed,
    prometheus: impl Fn(&str) -> Observed,
) -> Vec<Observed> {
    plans
        .iter()
        .map(|plan| match plan {
            Plan::Monitor(signal) => monitor(signal),
            Plan::Prometheus(query) => prometheus(query),
        })
        .collect()
}

/// A monitor's answer to a signal query as of `now`.
pub fn from(monitor: &Monitor, now: DateTime<Utc>) -> impl Fn(&checks::SignalQuery) -> Observed + '_ {
    move |q| checks::from_monitor(q, monitor, now)
}

/// The runbook an alert's `runbook_url` names, when it is a local Markdown file (an absolute
/// path or a `file://` URL) that parses. Remote URLs are not fetched.
pub fn from_alert_url(url: &str) -> Option<Runbook> {
    let path = Path::new(url.strip_prefix("file://").unwrap_or(url));
    if !path.is_absolute() || path.extension().is_none_or(|x| x != "md") {
        return None;
    }
    match Runbook::read(path) {
        Ok(runbook) => Some(runbook),
        Err(problems) => {
            for p in problems {
                tracing::warn!("the runbook an alert names: {p}");
            }
            None
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// An alert's `runbook_url` naming a local Markdown runbook, as a path or a file:// URL, is
    /// read; remote, relative or broken ones are not.
    #[test]
    fn an_alerts_runbook_url_to_a_local_file_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("orders.md");
        std::fs::write(&file, "# Orders slow\n\n## Detect\n- [ ] Look at the orders dashboard.\n").unwrap();
        let path = file.to_str().unwrap();
        assert_eq!(from_alert_url(path).unwrap().id, "orders");
        assert_eq!(from_alert_url(&format!("file://{path}")).unwrap().title, "Orders slow");
        assert!(from_alert_url("https://runbooks.example.com/orders.md").is_none(), "never fetched");
        assert!(from_alert_url("orders.md").is_none(), "relative to nothing");
        let broken = dir.path().join("broken.md");
        std::fs::write(&broken, "# B\n\n## Somewhere\n- [ ] x\n").unwrap();
        assert!(from_alert_url(broken.to_str().unwrap()).is_none());
    }
}
