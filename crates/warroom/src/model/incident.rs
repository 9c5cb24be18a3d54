//! An incident's state: the fold of its events.
//!
//! The state is the fold of the log and nothing else: the state at any instant is the fold of the
//! events up to that instant (offline replay) and merging two logs needs no conflict resolution.
//! The store keeps the latest fold of each incident beside its log, brought up to date with
//! [`Incident::apply`] as events are appended, so that a command need not fold a long log; it
//! is always what [`Incident::fold`] of the whole log gives. The fold is total: it accepts any sequence a log may
//! hold (validation happens before an event is appended, in `ops`), so an odd log never makes an
//! incident unreadable.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ulid::Ulid;

use super::{ActionItem, Event, EventKind, Role, Severity, Stage, StakeholderUpdate, UpdateState};

/// Whether the incident is still going on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(any(test, feature = "ts"), derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Active,
    Resolved,
}

impl Status {
    /// "active" or "resolved".
    pub fn name(self) -> &'static str {
        match self {
            Status::Active => "active",
            Status::Resolved => "resolved",
        }
    }
}

/// Who holds each role; `None` where nobody has taken it yet.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(any(test, feature = "ts"), derive(ts_rs::TS), ts(export))]
pub struct Roles {
    pub commander: Option<String>,
    pub operations_lead: Option<String>,
    pub communications_lead: Option<String>,
    pub scribe: Option<String>,
}

impl Roles {
    /// The person holding `role`, if any.
    pub fn get(&self, role: Role) -> Option<&str> {
        self.slot(role).as_deref()
    }

    fn slot(&self, role: Role) -> &Option<String> {
        match role {
            Role::Commander => &self.commander,
            Role::OperationsLead => &self.operations_lead,
            Role::CommunicationsLead => &self.communications_lead,
            Role::Scribe => &self.scribe,
        }
    }

    fn set(&mut self, role: Role, name: String) {
        let slot = match role {
            Role::Commander => &mut self.commander,
            Role::OperationsLead => &mut self.operations_lead,
            Role::CommunicationsLead => &mut self.communications_lead,
            Role::Scribe => &mut self.scribe,
        };
        *slot = Some(name);
    }
}

/// The state of one incident, as its events add up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(any(test, feature = "ts"), derive(ts_rs::TS), ts(export))]
pub struct Incident {
    #[cfg_attr(any(test, feature = "ts"), ts(type = "string"))]
    pub id: Ulid,
    pub title: String,
    pub severity: Severity,
    pub status: Status,
    pub stage: Stage,
    pub roles: Roles,
    /// When the incident was declared (the `at` of its declared event).
    pub declared_at: DateTime<Utc>,
    /// When the current stage was entered.
    pub stage_entered_at: DateTime<Utc>,
    /// When it was last resolved; `None` while active.
    pub resolved_at: Option<DateTime<Utc>>,
    /// The `at` of the latest event.
    pub updated_at: DateTime<Utc>,
    /// How many events the fold saw.
    #[cfg_attr(any(test, feature = "ts"), ts(type = "number"))]
    pub events: usize,
    /// Fingerprints of the alerts firing on this incident's timeline.
    pub firing_alerts: std::collections::BTreeSet<String>,
    /// When the first alert fired (its own start time), if any did.
    pub first_alert_at: Option<DateTime<Utc>>,
    /// Every stage entered, in order, with when (the first is detect, at declaration): the time
    /// spent in each stage.
    pub stage_log: Vec<StageVisit>,
    /// The runbooks attached, in the order they were, with what was done of them.
    pub runbooks: Vec<AttachedRunbook>,
    /// Nodes recorded degraded or down at some point: the ones its charts are about.
    #[serde(default)]
    pub affected: std::collections::BTreeSet<String>,
    /// Action items, in the order they were added, each as last edited.
    #[serde(default)]
    pub actions: Vec<ActionItem>,
    /// Kept on the laptop that declared it: never synced.
    #[serde(default)]
    pub local: bool,
    /// Stakeholder updates, in the order they were queued, each with its state.
    #[serde(default)]
    pub updates: Vec<StakeholderUpdate>,
}

/// A stage entered at an instant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(any(test, feature = "ts"), derive(ts_rs::TS), ts(export))]
pub struct StageVisit {
    pub stage: Stage,
    pub at: DateTime<Utc>,
}

/// A runbook attached to the incident, and what was done of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(any(test, feature = "ts"), derive(ts_rs::TS), ts(export))]
pub struct AttachedRunbook {
    pub id: String,
    pub title: String,
    /// The node it was attached for (its checks' `$node`).
    pub node: Option<String>,
    pub attached_at: DateTime<Utc>,
    /// Steps done, by step id.
    pub done: std::collections::BTreeMap<String, StepMark>,
    /// The latest outcome of each step's check, by step id.
    pub checks: std::collections::BTreeMap<String, CheckMark>,
    /// Steps left undone on purpose when the response moved on.
    pub skipped: std::collections::BTreeSet<String>,
}

/// Who marked a step done, and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(any(test, feature = "ts"), derive(ts_rs::TS), ts(export))]
pub struct StepMark {
    pub at: DateTime<Utc>,
    pub by: Option<String>,
    /// The laptop it was checked on.
    #[serde(default)]
    pub device: String,
}

/// A check's latest outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(any(test, feature = "ts"), derive(ts_rs::TS), ts(export))]
pub struct CheckMark {
    pub at: DateTime<Utc>,
    /// `None` when it could not be evaluated.
    pub passed: Option<bool>,
    pub observed: String,
}

impl Incident {
    /// Folds an incident's events, taken in time order (`at`, then id for ties: the same order on
    /// every laptop, whatever order the events reached it in; the later of two concurrent changes
    /// of one field wins everywhere).
    ///
    /// Returns `None` when there is no declared event: events without one do not make an
    /// incident. A second declared event is ignored.
    pub fn fold<'a>(events: impl IntoIterator<Item = &'a Event>) -> Option<Incident> {
        let mut events: Vec<&Event> = events.into_iter().collect();
        events.sort_by_key(|e| (e.at, e.id));
        let declared = events.iter().find(|e| matches!(e.kind, EventKind::Declared { .. }))?;
        let mut incident = Incident::declared(declared)?;
        for event in events.iter().filter(|e| e.id != declared.id) {
            incident.apply(event);
        }
        Some(incident)
    }

    /// The state right after `event`, the incident's declaration, before any other event is
    /// applied: what [`Incident::fold`] starts from. `None` when `event` is not a declaration.
    pub fn declared(event: &Event) -> Option<Incident> {
        let EventKind::Declared { title, severity, commander, local } = &event.kind else {
            return None;
        };
        let mut roles = Roles::default();
        if let Some(name) = commander {
            roles.set(Role::Commander, name.clone());
        }
        Some(Incident {
            id: event.incident,
            title: title.clone(),
            severity: *severity,
            status: Status::Active,
            stage: Stage::Detect,
            roles,
            declared_at: event.at,
            stage_entered_at: event.at,
            resolved_at: None,
            updated_at: event.at,
            events: 1,
            firing_alerts: std::collections::BTreeSet::new(),
            first_alert_at: None,
            stage_log: vec![StageVisit { stage: Stage::Detect, at: event.at }],
            runbooks: Vec::new(),
            affected: Default::default(),
            actions: Vec::new(),
            local: *local,
            updates: Vec::new(),
        })
    }

    /// The attached runbook `id`, if it is attached.
    pub fn runbook(&self, id: &str) -> Option<&AttachedRunbook> {
        self.runbooks.iter().find(|r| r.id == id)
    }

    /// How long each visit of a stage lasted, in order of entry. The last one runs to the
    /// resolution if it began before it, else to `now` (analysis often goes on after).
    pub fn stage_durations(&self, now: DateTime<Utc>) -> Vec<(Stage, chrono::Duration)> {
        self.stage_log
            .iter()
            .enumerate()
            .map(|(i, visit)| {
                let until = match (self.stage_log.get(i + 1), self.resolved_at) {
                    (Some(next), _) => next.at,
                    (None, Some(resolved)) if resolved >= visit.at => resolved,
                    (None, _) => now,
                };
                (visit.stage, until.max(visit.at) - visit.at)
            })
            .collect()
    }

    /// Whether an event of this kind leaves the same state wherever it falls in the time order:
    /// applied late (after events that come after it in time), it gives what the fold gives. The
    /// log's kept state ([`crate::store`]) takes such an event arriving late as it comes, and
    /// folds again from an earlier point for any other. Keep in step with [`Incident::apply`]:
    /// true only for kinds whose effect is a count, a `max`, or adding to a set nothing removes
    /// from.
    pub fn applies_in_any_order(kind: &EventKind) -> bool {
        match kind {
            EventKind::Note { .. }
            | EventKind::HealthChanged { .. }
            | EventKind::TopologyRecorded { .. }
            | EventKind::ProviderIncident { .. }
            | EventKind::ChangeSeen { .. }
            | EventKind::RecordingStarted { .. }
            | EventKind::RecordingStopped => true,
            EventKind::Declared { .. }
            | EventKind::SeverityChanged { .. }
            | EventKind::RoleAssigned { .. }
            | EventKind::StageEntered { .. }
            | EventKind::Resolved
            | EventKind::Reopened
            | EventKind::AlertFired { .. }
            | EventKind::AlertResolved { .. }
            | EventKind::RunbookAttached { .. }
            | EventKind::StepChecked { .. }
            | EventKind::CheckEvaluated { .. }
            | EventKind::StepsSkipped { .. }
            | EventKind::ActionItemSet { .. }
            | EventKind::UpdateQueued { .. }
            | EventKind::UpdateSent { .. }
            | EventKind::UpdateFailed { .. } => false,
        }
    }

    /// Applies one more event to the state. Total: every event has a defined effect.
    pub fn apply(&mut self, event: &Event) {
        self.events += 1;
        self.updated_at = self.updated_at.max(event.at);
        match &event.kind {
            EventKind::Declared { .. } | EventKind::Note { .. } => {}
            EventKind::HealthChanged { node, to, .. } => {
                if to.is_failing() {
                    self.affected.insert(node.clone());
                }
            }
            EventKind::TopologyRecorded { health, .. } => {
                self.affected.extend(health.iter().filter(|(_, h)| h.is_failing()).map(|(n, _)| n.clone()));
            }
            EventKind::ActionItemSet { item } => {
                let key = if item.key.is_empty() { item.id.clone() } else { item.key.clone() };
                match self.actions.iter_mut().find(|a| a.key == key) {
                    Some(existing) => *existing = ActionItem { id: existing.id.clone(), key, ..item.clone() },
                    None => {
                        let id = format!("A{}", self.actions.len() + 1);
                        self.actions.push(ActionItem { id, key, ..item.clone() });
                    }
                }
            }
            EventKind::ProviderIncident { .. }
            | EventKind::ChangeSeen { .. }
            | EventKind::RecordingStarted { .. }
            | EventKind::RecordingStopped => {}
            EventKind::UpdateQueued { update, audience, channel, subject, text } => {
                if !self.updates.iter().any(|u| u.id == *update) {
                    self.updates.push(StakeholderUpdate {
                        id: update.clone(),
                        audience: *audience,
                        channel: channel.clone(),
                        subject: subject.clone(),
                        text: text.clone(),
                        queued_at: event.at,
                        by: event.by.clone(),
                        device: event.device.clone(),
                        state: UpdateState::Queued,
                        sent_at: None,
                        error: None,
                        remote: None,
                    });
                }
            }
            EventKind::UpdateSent { update, remote } => {
                if let Some(u) = self.updates.iter_mut().find(|u| u.id == *update) {
                    u.state = UpdateState::Sent;
                    u.sent_at = Some(event.at);
                    u.remote.clone_from(remote);
                    u.error = None;
                }
            }
            EventKind::UpdateFailed { update, error } => {
                // Sent is final: a failure reported late (another laptop's retry) does not undo it.
                if let Some(u) =
                    self.updates.iter_mut().find(|u| u.id == *update && u.state != UpdateState::Sent)
                {
                    u.state = UpdateState::Failed;
                    u.error = Some(error.clone());
                }
            }
            EventKind::AlertFired { fingerprint, starts_at, .. } => {
                self.firing_alerts.insert(fingerprint.clone());
                self.first_alert_at =
                    Some(self.first_alert_at.map_or(*starts_at, |first| first.min(*starts_at)));
            }
            EventKind::AlertResolved { fingerprint, .. } => {
                self.firing_alerts.remove(fingerprint);
            }
            EventKind::SeverityChanged { severity } => self.severity = *severity,
            EventKind::RoleAssigned { role, name } => self.roles.set(*role, name.clone()),
            // Two responders entering the same stage (on two laptops, unaware of each other) is one
            // visit, from the first.
            EventKind::StageEntered { stage } if *stage == self.stage => {}
            EventKind::StageEntered { stage } => {
                self.stage = *stage;
                self.stage_entered_at = event.at;
                self.stage_log.push(StageVisit { stage: *stage, at: event.at });
            }
            EventKind::RunbookAttached { runbook, title, node } => {
                if self.runbook(runbook).is_none() {
                    self.runbooks.push(AttachedRunbook {
                        id: runbook.clone(),
                        title: title.clone(),
                        node: node.clone(),
                        attached_at: event.at,
                        done: Default::default(),
                        checks: Default::default(),
                        skipped: Default::default(),
                    });
                }
            }
            EventKind::StepChecked { runbook, step, done, .. } => {
                if let Some(r) = self.runbooks.iter_mut().find(|r| r.id == *runbook) {
                    if *done {
                        r.done.insert(
                            step.clone(),
                            StepMark { at: event.at, by: event.by.clone(), device: event.device.clone() },
                        );
                        r.skipped.remove(step);
                    } else {
                        r.done.remove(step);
                    }
                }
            }
            EventKind::CheckEvaluated { runbook, step, passed, observed } => {
                if let Some(r) = self.runbooks.iter_mut().find(|r| r.id == *runbook) {
                    r.checks.insert(
                        step.clone(),
                        CheckMark { at: event.at, passed: *passed, observed: observed.clone() },
                    );
                }
            }
            EventKind::StepsSkipped { steps, .. } => {
                for reference in steps {
                    if let Some((runbook, step)) = reference.split_once('/')
                        && let Some(r) = self.runbooks.iter_mut().find(|r| r.id == runbook)
                    {
                        r.skipped.insert(step.to_owned());
                    }
                }
            }
            EventKind::Resolved => {
                self.status = Status::Resolved;
                self.resolved_at = Some(event.at);
            }
            EventKind::Reopened => {
                self.status = Status::Active;
                self.resolved_at = None;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn at(minute: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 23, 3, minute, 0).unwrap()
    }

    fn event(incident: Ulid, minute: u32, kind: EventKind) -> Event {
        Event::new(incident, at(minute), at(59), "test", None, kind)
    }

    #[test]
    fn time_in_each_stage_runs_to_the_next_and_the_last_to_resolution_or_now() {
        let id = Ulid::new();
        let log = [
            declared(id, 0),
            event(id, 4, EventKind::StageEntered { stage: Stage::Identify }),
            event(id, 10, EventKind::StageEntered { stage: Stage::Recover }),
            event(id, 37, EventKind::Resolved),
        ];
        let incident = Incident::fold(&log).unwrap();
        let minutes: Vec<(Stage, i64)> =
            incident.stage_durations(at(50)).into_iter().map(|(s, d)| (s, d.num_minutes())).collect();
        assert_eq!(minutes, [(Stage::Detect, 4), (Stage::Identify, 6), (Stage::Recover, 27)]);
        let mut after = log.to_vec();
        after.push(event(id, 40, EventKind::StageEntered { stage: Stage::Analyze }));
        let incident = Incident::fold(&after).unwrap();
        assert_eq!(
            incident.stage_durations(at(55)).last().map(|(s, d)| (*s, d.num_minutes())),
            Some((Stage::Analyze, 15))
        );
    }

    fn declared(incident: Ulid, minute: u32) -> Event {
        let kind = EventKind::Declared {
            title: "checkout down".into(),
            severity: Severity::Sev2,
            commander: Some("Mina".into()),
            local: false,
        };
        event(incident, minute, kind)
    }

    #[test]
    fn a_declared_incident_starts_active_in_detect() {
        let id = Ulid::new();
        let incident = Incident::fold(&[declared(id, 0)]).unwrap();
        assert_eq!(incident.id, id);
        assert_eq!(incident.stage, Stage::Detect);
        assert_eq!(incident.status, Status::Active);
        assert_eq!(incident.roles.get(Role::Commander), Some("Mina"));
        assert_eq!(incident.stage_entered_at, at(0));
        assert_eq!(incident.events, 1);
    }

    #[test]
    fn stages_advance_and_an_earlier_stage_can_be_entered_again() {
        let id = Ulid::new();
        let mut log = vec![declared(id, 0)];
        for (minute, stage) in [(2, Stage::Identify), (5, Stage::Isolate), (9, Stage::Recover)] {
            log.push(event(id, minute, EventKind::StageEntered { stage }));
        }
        assert_eq!(Incident::fold(&log).unwrap().stage, Stage::Recover);

        // The fix did not hold: back to identify, and the time of that entry is kept.
        log.push(event(id, 12, EventKind::StageEntered { stage: Stage::Identify }));
        let incident = Incident::fold(&log).unwrap();
        assert_eq!(incident.stage, Stage::Identify);
        assert_eq!(incident.stage_entered_at, at(12));
        assert_eq!(incident.events, 5);
    }

    #[test]
    fn events_fold_in_time_order_not_log_order() {
        let id = Ulid::new();
        // A scribe records at minute 8 that the team entered isolate at minute 6, after having
        // already logged the move to recover at minute 7.
        let log = vec![
            declared(id, 0),
            event(id, 7, EventKind::StageEntered { stage: Stage::Recover }),
            event(id, 6, EventKind::StageEntered { stage: Stage::Isolate }),
        ];
        let incident = Incident::fold(&log).unwrap();
        assert_eq!(incident.stage, Stage::Recover);
        assert_eq!(incident.updated_at, at(7));
    }

    #[test]
    fn resolve_and_reopen() {
        let id = Ulid::new();
        let mut log = vec![declared(id, 0), event(id, 30, EventKind::Resolved)];
        let resolved = Incident::fold(&log).unwrap();
        assert_eq!(resolved.status, Status::Resolved);
        assert_eq!(resolved.resolved_at, Some(at(30)));

        log.push(event(id, 35, EventKind::Reopened));
        let reopened = Incident::fold(&log).unwrap();
        assert_eq!(reopened.status, Status::Active);
        assert_eq!(reopened.resolved_at, None);

        log.push(event(id, 50, EventKind::Resolved));
        assert_eq!(Incident::fold(&log).unwrap().resolved_at, Some(at(50)));
    }

    #[test]
    fn severity_and_roles_take_the_latest_value() {
        let id = Ulid::new();
        let log = vec![
            declared(id, 0),
            event(id, 1, EventKind::SeverityChanged { severity: Severity::Sev1 }),
            event(id, 2, EventKind::RoleAssigned { role: Role::Scribe, name: "Jun".into() }),
            event(id, 3, EventKind::RoleAssigned { role: Role::Commander, name: "Ola".into() }),
        ];
        let incident = Incident::fold(&log).unwrap();
        assert_eq!(incident.severity, Severity::Sev1);
        assert_eq!(incident.roles.get(Role::Scribe), Some("Jun"));
        assert_eq!(incident.roles.get(Role::Commander), Some("Ola"));
        assert_eq!(incident.roles.get(Role::OperationsLead), None);
    }

    #[test]
    fn no_declared_event_means_no_incident() {
        let id = Ulid::new();
        assert_eq!(Incident::fold(&[event(id, 1, EventKind::Resolved)]), None);
        assert_eq!(Incident::fold(&[]), None);
    }
}
