//! The incident list, the declare form, the header and the timeline.

use serde::Serialize;
use tauri::State;
use warroom::model::{Event, Incident, Status};
use warroom::ops::{self, Declaration};

use crate::state::{AppState, IpcError};

/// One incident as the window shows it: its state and its timeline, whole or what is new.
#[derive(Debug, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
pub struct IncidentView {
    incident: Incident,
    /// In time order: every event, or (when asked with `after`) those written since.
    events: Vec<Event>,
    /// Where in the log these events go up to: asked with it as `after`, only newer ones come.
    #[cfg_attr(test, ts(type = "number"))]
    through: i64,
    /// Whether `events` are only those written after the `after` asked for, to merge in.
    since: bool,
    /// Of a live incident read whole with `keep`, what of each filter category was not sent.
    dropped: Dropped,
}

/// How many events of each of the timeline's filter categories were not sent.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
pub struct Dropped {
    people: u32,
    alerts: u32,
    health: u32,
    checks: u32,
    changes: u32,
}

/// The timeline's filter category (its chip) of events of kind `tag` ([`EventKind::tag`]), as
/// `ui/src/held.ts` names them (a test reads them there).
///
/// [`EventKind::tag`]: warroom::model::EventKind::tag
fn category(tag: &str) -> &'static str {
    match tag {
        "alert_fired" | "alert_resolved" | "provider_incident" => "alerts",
        "health_changed" | "topology_recorded" => "health",
        "check_evaluated" => "checks",
        "change_seen" => "changes",
        _ => "people",
    }
}

impl Dropped {
    /// The count of the category of events of kind `tag`.
    fn of(&mut self, tag: &str) -> &mut u32 {
        match category(tag) {
            "alerts" => &mut self.alerts,
            "health" => &mut self.health,
            "checks" => &mut self.checks,
            "changes" => &mut self.changes,
            _ => &mut self.people,
        }
    }
}

/// Kinds of events the timeline reads beyond the rows it draws, held however old (the
/// declaration, who changed the stage, severity or a role, where each update went).
const CONTEXT: [&str; 5] =
    ["declared", "stage_entered", "severity_changed", "role_assigned", "update_queued"];

/// Of `events` (in time order), the newest `keep` of each filter category and the context
/// events. The window holds a live incident so (`ui/src/held.ts` does the same to what comes
/// after): a night's incident of a hundred thousand events is not sent whole to be cut there.
fn hold_newest(events: Vec<Event>, keep: usize) -> Vec<Event> {
    let mut seen = Dropped::default();
    let mut held: Vec<Event> = Vec::new();
    for e in events.into_iter().rev() {
        let tag = e.kind.tag();
        let n = seen.of(tag);
        *n += 1;
        if usize::try_from(*n).unwrap_or(usize::MAX) <= keep || CONTEXT.contains(&tag) {
            held.push(e);
        }
    }
    held.reverse();
    held
}

/// A live incident's newest `keep` events of each filter category, the context events, and how
/// many of each category were left out; read from the log a bounded number per kind.
fn newest(
    log: &warroom::store::Store,
    id: ulid::Ulid,
    keep: usize,
) -> Result<(Vec<Event>, i64, Dropped), IpcError> {
    let read = log.newest_of_each_kind(id, keep, &CONTEXT)?;
    let held = hold_newest(read.events, keep);
    let mut dropped = Dropped::default();
    for (kind, n) in &read.counts {
        *dropped.of(kind) += u32::try_from(*n).unwrap_or(u32::MAX);
    }
    for e in &held {
        let n = dropped.of(e.kind.tag());
        *n = n.saturating_sub(1);
    }
    Ok((held, read.through, dropped))
}

pub fn list_incidents(state: State<'_, AppState>) -> Result<Vec<Incident>, IpcError> {
    state.with_log(|log| Ok(log.incidents()?))
}

/// The incident and its timeline; with `after` (the `through` of an earlier answer), only the
/// events written since: a long incident's timeline is not sent whole on every change. Read
/// whole with `keep`, a live incident comes with the newest `keep` events of each filter
/// category only (and those the timeline reads beyond its rows), and the count of the others.
pub fn get_incident(
    state: State<'_, AppState>,
    id: String,
    after: Option<i64>,
    keep: Option<usize>,
) -> Result<IncidentView, IpcError> {
    let id = state.incident_id(&id)?;
    state.with_log(|log| {
        let incident = log.incident(id)?;
        let (events, through, dropped) =
            match keep.filter(|_| after.is_none() && incident.status == Status::Active) {
                Some(keep) => newest(log, id, keep)?,
                None => {
                    let (events, through) = log.events_after(id, after.unwrap_or(0).max(0))?;
                    (events, through, Dropped::default())
                }
            };
        Ok(IncidentView { incident, events, through, since: after.is_some(), dropped })
    })
}

#[tauri::command(async)]
pub fn declare_incident(
    state: State<'_, AppState>,
    title: String,
    severity: String,
    commander: Option<String>,
    local: Option<bool>,
) -> Result<Incident, IpcError> {
    let local = local.unwrap_or(false);
    let declaration = Declaration { title, severity: severity.parse()?, commander, at: None, local };
    if let Some(e) = &state.log_error {
        return Err(e.clone());
    }
    Ok(state.runtime.declare(&state.actor(), declaration)?)
}

/// Enters a stage, recording the runbook steps left undone on purpose (`runbook/step`).
/// Declares an incident from the outage users see now (title, SEV1, what is affected, when it
/// started), and records on it at once.
#[tauri::command(async)]
pub fn declare_from_outage(state: State<'_, AppState>) -> Result<Incident, IpcError> {
    if let Some(e) = &state.log_error {
        return Err(e.clone());
    }
    Ok(state.runtime.declare_from_outage(&state.actor())?)
}

#[tauri::command(async)]
pub fn enter_stage(
    state: State<'_, AppState>,
    id: String,
    stage: String,
    skipped: Option<Vec<String>>,
) -> Result<Event, IpcError> {
    let (id, stage) = (state.incident_id(&id)?, stage.parse()?);
    let skipped = skipped.unwrap_or_default();
    if let Some(e) = &state.log_error {
        return Err(e.clone());
    }
    Ok(state.runtime.enter_stage(&state.actor(), id, stage, skipped)?)
}

#[tauri::command(async)]
pub fn add_note(state: State<'_, AppState>, id: String, text: String) -> Result<Event, IpcError> {
    let id = state.incident_id(&id)?;
    state.with_log(|log| Ok(ops::add_note(log, &state.actor(), id, &text, None)?))
}

#[tauri::command(async)]
pub fn assign_role(
    state: State<'_, AppState>,
    id: String,
    role: String,
    name: String,
) -> Result<Event, IpcError> {
    let (id, role) = (state.incident_id(&id)?, role.parse()?);
    state.with_log(|log| Ok(ops::assign_role(log, &state.actor(), id, role, &name, None)?))
}

#[tauri::command(async)]
pub fn change_severity(state: State<'_, AppState>, id: String, severity: String) -> Result<Event, IpcError> {
    let (id, severity) = (state.incident_id(&id)?, severity.parse()?);
    state.with_log(|log| Ok(ops::change_severity(log, &state.actor(), id, severity, None)?))
}

#[tauri::command(async)]
pub fn resolve_incident(state: State<'_, AppState>, id: String) -> Result<Event, IpcError> {
    let id = state.incident_id(&id)?;
    state.with_log(|log| Ok(ops::resolve(log, &state.actor(), id, None)?))
}

#[tauri::command(async)]
pub fn reopen_incident(state: State<'_, AppState>, id: String) -> Result<Event, IpcError> {
    let id = state.incident_id(&id)?;
    state.with_log(|log| Ok(ops::reopen(log, &state.actor(), id, None)?))
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone, Utc};
    use ulid::Ulid;
    use warroom::model::{Event, EventKind, Health, Severity, Stage};
    use warroom::store::Store;

    use super::{CONTEXT, Dropped, category, hold_newest, newest};

    /// The page holds what comes after the first read as the core held that read: the same
    /// categories, the same events read beyond the rows. Read from held.ts's `switch`es.
    #[test]
    fn the_core_holds_by_the_categories_of_the_page() {
        let held = include_str!("../../ui/src/held.ts");
        let (mut tags, mut context, mut page) = (Vec::new(), Vec::new(), Vec::new());
        for line in held.lines().map(str::trim) {
            if let Some(tag) = line.strip_prefix("case \"").and_then(|t| t.strip_suffix("\":")) {
                tags.push(tag);
            } else if let Some(name) = line.strip_prefix("return \"").and_then(|t| t.strip_suffix("\";")) {
                page.extend(tags.drain(..).map(|tag| (tag, name)));
            } else if line == "return true;" {
                context.append(&mut tags);
            } else if line.starts_with("default:") {
                tags.clear();
            }
        }
        assert!(page.len() >= 7, "held.ts's categories were read: {page:?}");
        for (tag, name) in page {
            assert_eq!(category(tag), name, "the category of {tag}");
        }
        context.sort_unstable();
        let mut ours = CONTEXT.to_vec();
        ours.sort_unstable();
        assert_eq!(context, ours, "the events read beyond the rows");
    }

    /// A real log: a declared incident, then 44 notes, 23 alerts, 11 health changes and two
    /// stage changes, interleaved, one a second.
    fn long_incident(dir: &std::path::Path) -> (Store, Ulid) {
        let mut log = Store::open(&dir.join("log.db")).unwrap();
        let start = Utc.with_ymd_and_hms(2026, 12, 2, 3, 0, 0).unwrap();
        let declared = EventKind::Declared {
            title: "Long night".to_owned(),
            severity: Severity::Sev2,
            commander: None,
            local: false,
        };
        let mut first = Event::new(Ulid::new(), start, start, "test", None, declared);
        first.incident = first.id;
        let id = first.id;
        let mut events = vec![first];
        for n in 1..=80u32 {
            let kind = match n % 7 {
                0 | 3 => EventKind::AlertResolved {
                    name: format!("a{n}"),
                    node: "db".to_owned(),
                    fingerprint: format!("{n}"),
                },
                5 => EventKind::HealthChanged {
                    node: "db".to_owned(),
                    from: Health::Healthy,
                    to: Health::Down,
                    reason: String::new(),
                },
                _ if n == 9 || n == 60 => {
                    EventKind::StageEntered { stage: if n == 9 { Stage::Identify } else { Stage::Isolate } }
                }
                _ => EventKind::Note { text: format!("note {n}") },
            };
            let at = start + Duration::seconds(i64::from(n));
            events.push(Event::new(id, at, at, "test", None, kind));
        }
        log.append(&mut events).unwrap();
        (log, id)
    }

    #[test]
    fn a_live_incident_is_read_with_the_newest_of_each_category_and_the_count_of_the_rest() {
        let dir = tempfile::tempdir().unwrap();
        let (log, id) = long_incident(dir.path());
        let all = log.events(id).unwrap();
        let tags = |events: &[Event]| {
            let mut n = Dropped::default();
            for e in events {
                *n.of(e.kind.tag()) += 1;
            }
            n
        };
        let total = tags(&all);
        assert_eq!((total.people, total.alerts, total.health), (47, 23, 11), "the incident as written");

        let (held, through, dropped) = newest(&log, id, 10).unwrap();
        // What the page would hold of the whole incident, read from the log a kind at a time.
        let ids = |events: &[Event]| events.iter().map(|e| e.id).collect::<Vec<_>>();
        assert_eq!(ids(&held), ids(&hold_newest(all.clone(), 10)));
        let kept = tags(&held);
        // Of the people's: the ten newest, the declaration and both stage changes.
        assert_eq!((kept.people, kept.alerts, kept.health), (13, 10, 10));
        assert_eq!(dropped, Dropped { people: 34, alerts: 13, health: 1, ..Dropped::default() });
        assert_eq!(through, log.last_seq().unwrap(), "the log's end, for what comes next");

        let (held, _, dropped) = newest(&log, id, 100).unwrap();
        assert_eq!(ids(&held), ids(&all), "nothing let go when all fit");
        assert_eq!(dropped, Dropped::default());
    }
}
