//! The runbook panel: suggestions for what is failing, attaching, the attached runbooks with
//! what was done of them, checking a step, and opening a runbook's link.

use std::collections::BTreeMap;

use chrono::Utc;
use serde::Serialize;
use tauri::State;
use warroom::model::{CheckMark, Health, StepMark};
use warroom::ops;
use warroom::runbook::{Match, Reason, Runbook};

use crate::error::IpcError;
use crate::state::{AppState, actor};

/// A runbook that fits what is failing.
#[derive(Debug, Serialize)]
pub struct Suggestion {
    runbook: String,
    title: String,
    /// The node it fits (its checks' `$node`).
    node: String,
    why: Match,
}

/// An attached runbook as the panel shows it: its steps (commands and links with `$node` filled
/// in), and what was done, checked and skipped.
#[derive(Debug, Serialize)]
pub struct RunbookView {
    runbook: Runbook,
    node: Option<String>,
    done: BTreeMap<String, StepMark>,
    checks: BTreeMap<String, CheckMark>,
    skipped: Vec<String>,
}

/// Runbooks for the alerts firing and the nodes in trouble, best first, one per runbook, not
/// those already attached to the incident.
#[tauri::command(async)]
pub fn runbook_suggestions(state: State<'_, AppState>, id: String) -> Result<Vec<Suggestion>, IpcError> {
    let incident = state.with_store(|store| {
        let id = store.find_incident(&id)?;
        Ok(store.incident(id)?)
    })?;
    let Some(view) = state.with_monitor(|monitor| monitor.view(Utc::now()))? else { return Ok(Vec::new()) };
    let kind =
        |node: &str| view.nodes.iter().find(|n| n.id == node).map_or("", |n| n.kind.as_str()).to_owned();
    let mut best: BTreeMap<String, Suggestion> = BTreeMap::new();
    let mut offer = |runbook: &Runbook, node: &str, why: Match| {
        if incident.runbook(&runbook.id).is_some() {
            return;
        }
        let better = best.get(&runbook.id).is_none_or(|s| s.why.score < why.score);
        if better {
            let s = Suggestion {
                runbook: runbook.id.clone(),
                title: runbook.title.clone(),
                node: node.to_owned(),
                why,
            };
            best.insert(runbook.id.clone(), s);
        }
    };
    // The runbook an alert's author pointed at comes first.
    for alert in view.alerts.iter().filter(|a| a.firing) {
        let Some(url) = alert.runbook_url.as_deref() else { continue };
        let Some(runbook) = crate::runbooks::from_alert(&state, url) else { continue };
        offer(&runbook, &alert.node, Match { score: 1000, reasons: vec![Reason::Alert(alert.name.clone())] });
    }
    let runbooks = state.runbooks();
    for alert in view.alerts.iter().filter(|a| a.firing) {
        let labels = BTreeMap::from([("alertname".to_owned(), alert.name.clone())]);
        let kind = kind(&alert.node);
        for (runbook, why) in
            warroom::runbook::suggest(&runbooks, Some(&alert.name), &labels, &alert.node, &kind)
        {
            offer(runbook, &alert.node, why);
        }
    }
    for node in view.nodes.iter().filter(|n| matches!(n.health, Health::Down | Health::Degraded)) {
        for (runbook, why) in
            warroom::runbook::suggest(&runbooks, None, &BTreeMap::new(), &node.id, &node.kind)
        {
            offer(runbook, &node.id, why);
        }
    }
    let mut suggestions: Vec<Suggestion> = best.into_values().collect();
    suggestions.sort_by(|a, b| b.why.score.cmp(&a.why.score).then_with(|| a.runbook.cmp(&b.runbook)));
    suggestions.truncate(6);
    Ok(suggestions)
}

fn find(state: &AppState, runbook: &str) -> Result<Runbook, IpcError> {
    state.runbooks().iter().find(|r| r.id == runbook).cloned().ok_or_else(|| {
        IpcError::new("unknown_runbook", format!("no runbook '{runbook}' (see `warroom runbook list`)"))
    })
}

#[tauri::command(async)]
pub fn attach_runbook(
    state: State<'_, AppState>,
    id: String,
    runbook: String,
    node: Option<String>,
) -> Result<Vec<RunbookView>, IpcError> {
    let title = find(&state, &runbook)?.title.clone();
    state.with_store(|store| {
        let id = store.find_incident(&id)?;
        ops::attach_runbook(store, &actor(), id, &runbook, &title, node)?;
        Ok(())
    })?;
    incident_runbooks(state, id)
}

#[tauri::command(async)]
pub fn incident_runbooks(state: State<'_, AppState>, id: String) -> Result<Vec<RunbookView>, IpcError> {
    let incident = state.with_store(|store| {
        let id = store.find_incident(&id)?;
        Ok(store.incident(id)?)
    })?;
    Ok(views(&state, &incident))
}

/// The attached runbooks of `incident` (as it is, or as it was at an instant in review).
pub fn views(state: &AppState, incident: &warroom::model::Incident) -> Vec<RunbookView> {
    let runbooks = state.runbooks();
    incident
        .runbooks
        .iter()
        .filter_map(|attached| {
            let runbook = runbooks.iter().find(|r| r.id == attached.id)?;
            Some(RunbookView {
                runbook: match &attached.node {
                    Some(node) => runbook.for_node(node),
                    None => runbook.clone(),
                },
                node: attached.node.clone(),
                done: attached.done.clone(),
                checks: attached.checks.clone(),
                skipped: attached.skipped.iter().cloned().collect(),
            })
        })
        .collect()
}

#[tauri::command(async)]
pub fn check_step(
    state: State<'_, AppState>,
    id: String,
    runbook: String,
    step: String,
    done: bool,
) -> Result<Vec<RunbookView>, IpcError> {
    let text = find(&state, &runbook)?
        .step(&step)
        .map(|s| s.text.clone())
        .ok_or_else(|| IpcError::new("unknown_step", format!("runbook '{runbook}' has no step '{step}'")))?;
    state.with_store(|store| {
        let id = store.find_incident(&id)?;
        ops::check_step(store, &actor(), id, &runbook, &step, &text, done)?;
        Ok(())
    })?;
    incident_runbooks(state, id)
}

/// Opens one of an attached runbook's links in the system browser. Only links the runbook holds
/// (http or https), never an address the window makes up.
#[tauri::command(async)]
pub fn open_runbook_link(
    state: State<'_, AppState>,
    id: String,
    runbook: String,
    step: String,
    index: usize,
) -> Result<String, IpcError> {
    use tauri_plugin_opener::OpenerExt;
    let views = incident_runbooks(state.clone(), id)?;
    let url = views
        .iter()
        .find(|v| v.runbook.id == runbook)
        .and_then(|v| v.runbook.step(&step))
        .and_then(|s| s.links.get(index))
        .map(|l| l.url.clone())
        .ok_or_else(|| IpcError::new("unknown_link", "no such link in the attached runbook"))?;
    if !(url.starts_with("https://") || url.starts_with("http://")) {
        return Err(IpcError::new("unsafe_link", format!("only http(s) links are opened, not {url}")));
    }
    if let Some(app) = state.app.get() {
        app.opener()
            .open_url(&url, None::<&str>)
            .map_err(|e| IpcError::new("open", format!("cannot open the browser: {e}")))?;
    }
    Ok(url)
}
