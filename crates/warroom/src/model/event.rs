//! An event: one fact on an incident's timeline.
//!
//! Events are never changed once written. Each carries a globally unique id (a ULID), its origin,
//! its author and the device (laptop) that wrote it, so that the logs of several laptops merge as
//! a set union. `at` is when it happened, given by the caller (a scribe often records things after
//! the fact); `recorded_at` is when it was written. Events sort by (`at`, id) everywhere: ids made
//! in one process increase ([`next_id`]), so that order is also the order they were made in.
//!
//! Each device's events on an incident form a hash chain: `prev` is the `hash` of that device's
//! previous event on the incident. The log fills both in when it writes an event (`store::chain`).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ulid::Ulid;

use super::topology::TopologySpec;
use super::{ActionItem, Audience, Change, Health, Role, Severity, Stage};

/// One fact about one incident.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(any(test, feature = "ts"), derive(ts_rs::TS), ts(export))]
pub struct Event {
    /// Globally unique and time-ordered.
    #[cfg_attr(any(test, feature = "ts"), ts(type = "string"))]
    pub id: Ulid,
    /// The incident this event belongs to.
    #[cfg_attr(any(test, feature = "ts"), ts(type = "string"))]
    pub incident: Ulid,
    /// When it happened.
    pub at: DateTime<Utc>,
    /// When it was written to the log.
    pub recorded_at: DateTime<Utc>,
    /// What wrote it: "cli", "desktop", later "alertmanager", "drill", ...
    pub origin: String,
    /// Who did it, when known.
    pub by: Option<String>,
    /// What happened.
    pub kind: EventKind,
    /// The laptop that wrote it (its `[sync] device`, else its host name); empty until written.
    #[serde(default)]
    pub device: String,
    /// The hash of the same device's previous event on this incident (`None`: its first).
    #[serde(default)]
    pub prev: Option<String>,
    /// This event's hash (SHA-256 of what it says, hex); empty until written.
    #[serde(default)]
    pub hash: String,
}

impl Event {
    /// An event not yet written: the log gives it its device and its place in the chain.
    pub fn new(
        incident: Ulid,
        at: DateTime<Utc>,
        recorded_at: DateTime<Utc>,
        origin: &str,
        by: Option<String>,
        kind: EventKind,
    ) -> Event {
        Event {
            id: next_id(),
            incident,
            at,
            recorded_at,
            origin: origin.to_owned(),
            by,
            kind,
            device: String::new(),
            prev: None,
            hash: String::new(),
        }
    }
}

/// A new id, greater than every id this process made before: events made in one instant keep
/// the order they were made in when sorted by (`at`, id).
pub fn next_id() -> Ulid {
    static IDS: std::sync::Mutex<ulid::Generator> = std::sync::Mutex::new(ulid::Generator::new());
    let mut ids = IDS.lock().unwrap_or_else(|p| p.into_inner());
    // The random part overflows only after 2^80 ids in one millisecond.
    ids.generate().unwrap_or_else(|_| Ulid::new())
}

/// What happened. Stored as JSON in the log, so a variant may gain optional fields but is never
/// renamed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(any(test, feature = "ts"), derive(ts_rs::TS), ts(export))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventKind {
    /// The incident was declared. Always the first event of an incident. A `local` incident
    /// stays on the laptop that declared it: it is never synced.
    Declared {
        title: String,
        severity: Severity,
        commander: Option<String>,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        local: bool,
    },
    /// The severity was changed.
    SeverityChanged { severity: Severity },
    /// A person took a role.
    RoleAssigned { role: Role, name: String },
    /// The response entered a stage (possibly an earlier one again).
    StageEntered { stage: Stage },
    /// A free-text note from a responder.
    Note { text: String },
    /// Service is restored; the incident is over (analysis may go on).
    Resolved,
    /// A resolved incident turned out not to be over.
    Reopened,
    /// A node's health changed (a change, never every sample).
    HealthChanged { node: String, from: Health, to: Health, reason: String },
    /// An alert started firing (once per fingerprint until it resolves).
    AlertFired {
        name: String,
        node: String,
        severity: String,
        summary: String,
        fingerprint: String,
        starts_at: DateTime<Utc>,
    },
    /// A firing alert stopped.
    AlertResolved { name: String, node: String, fingerprint: String },
    /// A runbook was attached to the incident, for a node when it was suggested for one.
    RunbookAttached {
        runbook: String,
        title: String,
        #[serde(default)]
        node: Option<String>,
    },
    /// A responder checked (`done`) or unchecked a runbook step.
    StepChecked { runbook: String, step: String, text: String, done: bool },
    /// A step's check was evaluated and its outcome changed: `passed` is `None` when it could not
    /// be evaluated (no data, source down); `observed` is the value seen, or why not.
    CheckEvaluated { runbook: String, step: String, passed: Option<bool>, observed: String },
    /// The response left `stage` with these runbook steps not done (`runbook/step`), on purpose;
    /// `texts` are the steps' texts, in the same order (older logs have none).
    StepsSkipped {
        stage: Stage,
        steps: Vec<String>,
        #[serde(default)]
        texts: Vec<String>,
    },
    /// The infrastructure as it was when recording started (or when it changed): replay draws
    /// the graph and its blast radius from the latest one before the instant.
    TopologyRecorded {
        #[cfg_attr(any(test, feature = "ts"), ts(type = "unknown"))]
        topology: TopologySpec,
        /// Every node's health then: the baseline later health changes change (a node's first
        /// healthy data is no news, so it is not an event of its own).
        #[serde(default)]
        health: std::collections::BTreeMap<String, Health>,
    },
    /// An action item was added (first time its key is seen) or edited (whole, as it now is).
    ActionItemSet { item: ActionItem },
    /// What the war room watches (a drill, or live sources) started being recorded on the
    /// incident: `feed` says which.
    RecordingStarted { feed: String },
    /// Recording on the incident stopped (a responder stopped it, or the watch ended).
    RecordingStopped,
    /// A stakeholder update was written to the outbox, for one channel: `update` is its id (and
    /// its idempotency key there), `text` exactly what is sent.
    UpdateQueued { update: String, audience: Audience, channel: String, subject: String, text: String },
    /// The channel took the update; `remote` is what it calls it (a status page incident's id).
    UpdateSent {
        update: String,
        #[serde(default)]
        remote: Option<String>,
    },
    /// The channel refused the update for good; it will not be retried.
    UpdateFailed { update: String, error: String },
    /// A change source found a change in the incident's look-back window (written once per
    /// source and key; dated when the change happened).
    ChangeSeen { change: Change },
    /// A provider's status page declared an incident, or its status changed.
    ProviderIncident {
        name: String,
        status: String,
        #[serde(default)]
        impact: String,
        #[serde(default)]
        url: Option<String>,
    },
}

impl EventKind {
    /// The snake_case tag stored in the log's `kind` column and shown in timelines.
    pub fn tag(&self) -> &'static str {
        match self {
            EventKind::Declared { .. } => "declared",
            EventKind::SeverityChanged { .. } => "severity_changed",
            EventKind::RoleAssigned { .. } => "role_assigned",
            EventKind::StageEntered { .. } => "stage_entered",
            EventKind::Note { .. } => "note",
            EventKind::Resolved => "resolved",
            EventKind::Reopened => "reopened",
            EventKind::HealthChanged { .. } => "health_changed",
            EventKind::AlertFired { .. } => "alert_fired",
            EventKind::AlertResolved { .. } => "alert_resolved",
            EventKind::RunbookAttached { .. } => "runbook_attached",
            EventKind::StepChecked { .. } => "step_checked",
            EventKind::CheckEvaluated { .. } => "check_evaluated",
            EventKind::StepsSkipped { .. } => "steps_skipped",
            EventKind::TopologyRecorded { .. } => "topology_recorded",
            EventKind::ActionItemSet { .. } => "action_item_set",
            EventKind::ProviderIncident { .. } => "provider_incident",
            EventKind::RecordingStarted { .. } => "recording_started",
            EventKind::RecordingStopped => "recording_stopped",
            EventKind::UpdateQueued { .. } => "update_queued",
            EventKind::UpdateSent { .. } => "update_sent",
            EventKind::UpdateFailed { .. } => "update_failed",
            EventKind::ChangeSeen { .. } => "change_seen",
        }
    }

    /// A one-line human description, as the CLI's timeline prints it.
    pub fn describe(&self) -> String {
        match self {
            EventKind::Declared { title, severity, commander, .. } => match commander {
                Some(name) => format!("declared {severity} \"{title}\", commander {name}"),
                None => format!("declared {severity} \"{title}\""),
            },
            EventKind::SeverityChanged { severity } => format!("severity changed to {severity}"),
            EventKind::RoleAssigned { role, name } => format!("{} is {name}", role.title()),
            EventKind::StageEntered { stage } => format!("entered stage {stage}"),
            EventKind::Note { text } => format!("note: {text}"),
            EventKind::Resolved => "resolved".to_owned(),
            EventKind::Reopened => "reopened".to_owned(),
            EventKind::HealthChanged { node, from, to, reason } => {
                format!("{node}: {from} → {to} ({reason})")
            }
            EventKind::AlertFired { name, node, severity, summary, .. } => {
                format!("alert {name} firing on {node} ({severity}): {summary}")
            }
            EventKind::AlertResolved { name, node, .. } => format!("alert {name} resolved on {node}"),
            EventKind::RunbookAttached { runbook, title, node } => match node {
                Some(node) => format!("runbook {runbook} attached for {node}: {title}"),
                None => format!("runbook {runbook} attached: {title}"),
            },
            EventKind::StepChecked { runbook, step, text, done } => {
                let mark = if *done { "done" } else { "not done" };
                format!("step {runbook}/{step} {mark}: {text}")
            }
            EventKind::CheckEvaluated { runbook, step, passed, observed } => {
                let outcome = match passed {
                    Some(true) => "passed",
                    Some(false) => "failed",
                    None => "could not be evaluated",
                };
                format!("check {runbook}/{step} {outcome} ({observed})")
            }
            EventKind::StepsSkipped { stage, steps, .. } => {
                format!("left {stage} with {} step(s) not done: {}", steps.len(), steps.join(", "))
            }
            EventKind::TopologyRecorded { topology, .. } => {
                format!("topology recorded: {} node(s)", topology.nodes.len())
            }
            EventKind::ProviderIncident { name, status, impact, .. } => {
                format!("provider incident \"{name}\": {status} (impact {impact})")
            }
            EventKind::RecordingStarted { feed } => format!("recording started: {feed}"),
            EventKind::RecordingStopped => "recording stopped".to_owned(),
            EventKind::UpdateQueued { audience, channel, text, .. } => {
                format!("update to {audience} via {channel} queued: {text}")
            }
            EventKind::UpdateSent { update, .. } => format!("update {update} sent"),
            EventKind::UpdateFailed { update, error } => format!("update {update} failed: {error}"),
            EventKind::ChangeSeen { change } => {
                format!("{} {} (from {}): {}", change.kind.verb(), change.node, change.source, change.summary)
            }
            EventKind::ActionItemSet { item } => {
                format!(
                    "action item {} ({}, {}): {}",
                    item.id,
                    item.kind.name(),
                    item.status.name(),
                    item.title
                )
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_serialise_with_their_tag() {
        let kinds = [
            EventKind::Declared { title: "t".into(), severity: Severity::Sev1, commander: None, local: true },
            EventKind::SeverityChanged { severity: Severity::Sev2 },
            EventKind::RoleAssigned { role: Role::Scribe, name: "Ana".into() },
            EventKind::StageEntered { stage: Stage::Isolate },
            EventKind::Note { text: "n".into() },
            EventKind::Resolved,
            EventKind::Reopened,
            EventKind::HealthChanged {
                node: "orders-db".into(),
                from: Health::Healthy,
                to: Health::Down,
                reason: "up = 0".into(),
            },
            EventKind::AlertFired {
                name: "RedisDown".into(),
                node: "redis".into(),
                severity: "critical".into(),
                summary: "s".into(),
                fingerprint: "f".into(),
                starts_at: DateTime::<Utc>::UNIX_EPOCH,
            },
            EventKind::AlertResolved {
                name: "RedisDown".into(),
                node: "redis".into(),
                fingerprint: "f".into(),
            },
            EventKind::RunbookAttached { runbook: "redis-down".into(), title: "t".into(), node: None },
            EventKind::StepChecked {
                runbook: "redis-down".into(),
                step: "detect-1".into(),
                text: "t".into(),
                done: true,
            },
            EventKind::CheckEvaluated {
                runbook: "redis-down".into(),
                step: "recover-1".into(),
                passed: Some(true),
                observed: "1".into(),
            },
            EventKind::StepsSkipped {
                stage: Stage::Detect,
                steps: vec!["redis-down/detect-2".into()],
                texts: vec!["Look at MySQL CPU".into()],
            },
            EventKind::TopologyRecorded { topology: TopologySpec::default(), health: Default::default() },
            EventKind::ProviderIncident {
                name: "API errors".into(),
                status: "investigating".into(),
                impact: "major".into(),
                url: None,
            },
            EventKind::RecordingStarted { feed: "drill db-pool-exhaustion ×4".into() },
            EventKind::RecordingStopped,
            EventKind::UpdateQueued {
                update: "01JDX0000000000000000000AB".into(),
                audience: Audience::Public,
                channel: "status".into(),
                subject: "Checkout".into(),
                text: "We are investigating.".into(),
            },
            EventKind::UpdateSent {
                update: "01JDX0000000000000000000AB".into(),
                remote: Some("p31zjtct2jer".into()),
            },
            EventKind::UpdateFailed { update: "01JDX0000000000000000000AB".into(), error: "404".into() },
            EventKind::ActionItemSet {
                item: ActionItem {
                    id: "A1".into(),
                    key: "01JDX0000000000000000000AA".into(),
                    title: "alert on pool".into(),
                    kind: crate::model::ActionKind::Prevent,
                    owner: None,
                    ticket: None,
                    status: crate::model::ActionStatus::Open,
                    due: None,
                },
            },
        ];
        for kind in kinds {
            let json = serde_json::to_value(&kind).unwrap();
            assert_eq!(json["type"], kind.tag());
            assert_eq!(serde_json::from_value::<EventKind>(json).unwrap(), kind);
        }
    }
}
