//! An incident at any instant: the fold of its events up to that instant.
//!
//! Nothing is stored for replay: the state at `t` (stage, roles, severity, runbook progress,
//! every node's health as recorded, the alerts firing, the notes so far) is what the events
//! with `at <= t` add up to. It works with every source unreachable: it reads the log only.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::model::{Event, EventKind, Health, Incident};

/// A note as it was written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NoteAt {
    pub at: DateTime<Utc>,
    pub by: Option<String>,
    pub text: String,
}

/// A firing alert at the instant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FiringAt {
    pub name: String,
    pub node: String,
    pub severity: String,
    pub since: DateTime<Utc>,
}

/// The incident at one instant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Moment {
    pub at: DateTime<Utc>,
    pub incident: Incident,
    /// Every node whose health was recorded, as last recorded by then.
    pub health: BTreeMap<String, Health>,
    /// Alerts firing then, by fingerprint order.
    pub alerts: Vec<FiringAt>,
    pub notes: Vec<NoteAt>,
}

/// The incident as it stood at `at`; `None` when it was not yet declared then.
pub fn at(events: &[Event], at: DateTime<Utc>) -> Option<Moment> {
    let mut upto: Vec<&Event> = events.iter().filter(|e| e.at <= at).collect();
    upto.sort_by_key(|e| e.at);
    let incident = Incident::fold(upto.iter().copied())?;
    let mut health = BTreeMap::new();
    let mut alerts: BTreeMap<String, FiringAt> = BTreeMap::new();
    let mut notes = Vec::new();
    for event in &upto {
        match &event.kind {
            EventKind::HealthChanged { node, to, .. } => {
                health.insert(node.clone(), *to);
            }
            EventKind::AlertFired { name, node, severity, fingerprint, starts_at, .. } => {
                let firing = FiringAt {
                    name: name.clone(),
                    node: node.clone(),
                    severity: severity.clone(),
                    since: *starts_at,
                };
                alerts.insert(fingerprint.clone(), firing);
            }
            EventKind::AlertResolved { fingerprint, .. } => {
                alerts.remove(fingerprint);
            }
            EventKind::Note { text } => {
                notes.push(NoteAt { at: event.at, by: event.by.clone(), text: text.clone() });
            }
            _ => {}
        }
    }
    Some(Moment { at, incident, health, alerts: alerts.into_values().collect(), notes })
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use ulid::Ulid;

    use super::*;
    use crate::model::{Severity, Stage};

    fn event(incident: Ulid, minute: u32, kind: EventKind) -> Event {
        let at = Utc.with_ymd_and_hms(2026, 11, 23, 3, minute, 0).unwrap();
        Event { id: Ulid::new(), incident, at, recorded_at: at, origin: "test".into(), by: None, kind }
    }

    #[test]
    fn each_instant_is_the_fold_of_what_came_before_it() {
        let id = Ulid::new();
        let t = |minute| Utc.with_ymd_and_hms(2026, 11, 23, 3, minute, 0).unwrap();
        let log = vec![
            event(
                id,
                0,
                EventKind::Declared { title: "t".into(), severity: Severity::Sev2, commander: None },
            ),
            event(
                id,
                2,
                EventKind::AlertFired {
                    name: "RedisDown".into(),
                    node: "redis-1".into(),
                    severity: "critical".into(),
                    summary: String::new(),
                    fingerprint: "f".into(),
                    starts_at: t(1),
                },
            ),
            event(
                id,
                3,
                EventKind::HealthChanged {
                    node: "redis-1".into(),
                    from: Health::Healthy,
                    to: Health::Down,
                    reason: "up = 0".into(),
                },
            ),
            event(id, 5, EventKind::StageEntered { stage: Stage::Identify }),
            event(id, 6, EventKind::Note { text: "failover started".into() }),
            event(
                id,
                9,
                EventKind::HealthChanged {
                    node: "redis-1".into(),
                    from: Health::Down,
                    to: Health::Healthy,
                    reason: "ok".into(),
                },
            ),
            event(
                id,
                9,
                EventKind::AlertResolved {
                    name: "RedisDown".into(),
                    node: "redis-1".into(),
                    fingerprint: "f".into(),
                },
            ),
        ];
        assert!(
            at(&log, Utc.with_ymd_and_hms(2026, 11, 23, 2, 59, 0).unwrap()).is_none(),
            "before it was declared"
        );
        let peak = at(&log, t(4)).unwrap();
        assert_eq!(peak.incident.stage, Stage::Detect);
        assert_eq!(peak.health["redis-1"], Health::Down);
        assert_eq!(peak.alerts.len(), 1);
        assert!(peak.notes.is_empty());
        let later = at(&log, t(7)).unwrap();
        assert_eq!(later.incident.stage, Stage::Identify);
        assert_eq!(later.notes[0].text, "failover started");
        let end = at(&log, t(10)).unwrap();
        assert_eq!(end.health["redis-1"], Health::Healthy);
        assert!(end.alerts.is_empty());
        assert_eq!(end.incident, Incident::fold(&log).unwrap(), "at the end, the whole fold");
    }
}
