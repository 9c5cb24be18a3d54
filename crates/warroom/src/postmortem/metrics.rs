//! What the log says about an incident in numbers: when the impact began, when it was detected,
//! acknowledged, mitigated and resolved, the time in each stage and at each severity, the user-
//! visible outage (entrypoints down, from the recorded health on the recorded topology), the peak
//! of the blast radius, the alerts, and availability as MTBF / (MTBF + MTTR).
//!
//! One pass over the events in time order: the blast radius is recomputed only at health changes
//! and topology snapshots, so a 100 000-event log costs one walk.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use crate::model::topology::TopologySpec;
use crate::model::{EventKind, Health, Incident, Severity, Stage};
use crate::replay::Replay;
use crate::topology::{BlastRadius, NodeKind};

/// Origins of events written by machines; everything else was done by a person.
pub const MACHINE_ORIGINS: [&str; 5] = ["drill", "live", "check", "outbox", "changes"];

/// Minutes in the month an error budget is counted over (30 days) and in a year.
pub const MONTH_MINUTES: f64 = 30.0 * 24.0 * 60.0;
pub const YEAR_MINUTES: f64 = 365.0 * 24.0 * 60.0;

/// The peak of the blast radius: the first instant with the most nodes down or impacted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Peak {
    pub at: DateTime<Utc>,
    pub radius: BlastRadius,
    /// Health as recorded then, for the graph at the peak.
    pub health: BTreeMap<String, Health>,
    /// Why each node was as it was then: the reason its last health change gave.
    pub reasons: BTreeMap<String, String>,
    /// The topology in force then (a later one may differ).
    pub topology: TopologySpec,
}

/// An alert over the incident: when it first fired and when it last resolved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AlertRecord {
    pub name: String,
    pub node: String,
    pub severity: String,
    pub summary: String,
    pub first_fired: DateTime<Utc>,
    /// `None` while it was still firing at the end of the log.
    pub resolved: Option<DateTime<Utc>>,
    pub times: usize,
}

/// A provider (an external dependency) that was recorded unhealthy, with what its status said.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProviderIncident {
    pub node: String,
    pub at: DateTime<Utc>,
    pub health: Health,
    pub reason: String,
}

/// An incident a provider's status page declared, as recorded (once per status).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatusPageIncident {
    pub at: DateTime<Utc>,
    pub name: String,
    pub status: String,
    pub impact: String,
    pub url: Option<String>,
}

/// Availability over every incident in the log: MTBF / (MTBF + MTTR), as in the seeds.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Availability {
    pub incidents: usize,
    pub mtbf_secs: i64,
    pub mttr_secs: i64,
    pub ratio: f64,
}

/// The numbers of an incident.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Metrics {
    pub declared_at: DateTime<Utc>,
    /// When the impact began, one definition for every metric: the earliest of the first
    /// alert's start, the first instant an entrypoint was down or impacted, and a note tagged
    /// `#impact-start` (a responder's word for it).
    pub impact_start: Option<DateTime<Utc>>,
    /// Which of those gave the impact's start.
    pub impact_start_from: Option<&'static str>,
    pub first_alert_at: Option<DateTime<Utc>>,
    /// The first thing a person did after the declaration.
    pub acknowledged_at: Option<DateTime<Utc>>,
    /// When users were served again (the end of the last outage window), or else when the
    /// recover stage was first entered.
    pub mitigated_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
    /// The end of the period the numbers cover: resolution, else the last event.
    pub end: DateTime<Utc>,
    pub stages: Vec<(Stage, i64)>,
    pub severities: Vec<(Severity, i64)>,
    /// Windows with at least one entrypoint down or impacted.
    pub outages: Vec<(DateTime<Utc>, DateTime<Utc>)>,
    pub outage_secs: i64,
    pub entrypoints_affected: BTreeSet<String>,
    pub peak: Option<Peak>,
    pub alerts: Vec<AlertRecord>,
    pub providers: Vec<ProviderIncident>,
    /// Status-page incidents seen while recording.
    pub status_pages: Vec<StatusPageIncident>,
    pub availability: Option<Availability>,
}

impl Metrics {
    /// From the impact's start (the declaration when nothing came before it) to the declaration.
    pub fn time_to_detect(&self) -> Option<Duration> {
        self.impact_start.map(|s| (self.declared_at - s).max(Duration::zero()))
    }

    /// From the declaration to the first thing a person did.
    pub fn time_to_acknowledge(&self) -> Option<Duration> {
        self.acknowledged_at.map(|a| a - self.declared_at)
    }

    /// From the impact's start (or the declaration, with no sign of impact) to mitigation.
    pub fn time_to_mitigate(&self) -> Option<Duration> {
        let from = self.impact_start.unwrap_or(self.declared_at);
        self.mitigated_at.map(|m| (m - from).max(Duration::zero()))
    }

    /// From the declaration to the resolution.
    pub fn time_to_resolve(&self) -> Option<Duration> {
        self.resolved_at.map(|r| r - self.declared_at)
    }

    /// Minutes of user-visible outage.
    pub fn outage_minutes(&self) -> f64 {
        self.outage_secs as f64 / 60.0
    }

    /// The share (in %) of a monthly error budget for `slo` (in %) this outage consumed.
    pub fn budget_share(&self, slo: f64) -> f64 {
        let budget = MONTH_MINUTES * (100.0 - slo) / 100.0;
        if budget <= 0.0 { f64::INFINITY } else { self.outage_minutes() / budget * 100.0 }
    }
}

/// Computes the numbers of the replayed incident (`incident`: its whole fold); `history` is
/// every incident in the log (for MTBF and MTTR).
pub fn compute(replay: &Replay, incident: &Incident, history: &[Incident]) -> Metrics {
    let declared_at = incident.declared_at;
    let end = incident.resolved_at.unwrap_or(replay.end()).max(declared_at);

    let mut walk = replay.health_walk();
    let mut noted_start: Option<DateTime<Utc>> = None;
    let mut reasons: HashMap<String, String> = HashMap::new();
    let mut acknowledged_at = None;
    let mut outages: Vec<(DateTime<Utc>, DateTime<Utc>)> = Vec::new();
    let mut outage_since: Option<DateTime<Utc>> = None;
    let mut entrypoints_affected = BTreeSet::new();
    let mut peak: Option<Peak> = None;
    let mut alerts: BTreeMap<String, AlertRecord> = BTreeMap::new();
    let mut providers = Vec::new();
    let mut status_pages = Vec::new();
    let mut severities: Vec<(Severity, DateTime<Utc>)> = Vec::new();
    let mut first_recover: Option<DateTime<Utc>> = None;

    while let Some((event, changed_health)) = walk.step() {
        // The numbers are about the incident: what came after its resolution does not count.
        if event.at > end {
            break;
        }
        match &event.kind {
            EventKind::Declared { severity, .. } if severities.is_empty() => {
                severities.push((*severity, event.at))
            }
            EventKind::SeverityChanged { severity } => severities.push((*severity, event.at)),
            EventKind::StageEntered { stage: Stage::Recover } => {
                first_recover.get_or_insert(event.at);
            }
            EventKind::Note { text } if super::has_tag(text, "impact-start") => {
                noted_start = Some(noted_start.map_or(event.at, |s| s.min(event.at)));
            }
            EventKind::HealthChanged { node, to, reason, .. } => {
                reasons.insert(node.clone(), reason.clone());
                if to.is_failing() {
                    let provider = walk
                        .topology()
                        .and_then(|(t, _)| t.node(node))
                        .is_some_and(|n| n.kind == NodeKind::ExternalProvider);
                    if provider {
                        providers.push(ProviderIncident {
                            node: node.clone(),
                            at: event.at,
                            health: *to,
                            reason: reason.clone(),
                        });
                    }
                }
            }
            EventKind::AlertFired { name, node, severity, summary, fingerprint, starts_at } => {
                let record = alerts.entry(fingerprint.clone()).or_insert_with(|| AlertRecord {
                    name: name.clone(),
                    node: node.clone(),
                    severity: severity.clone(),
                    summary: summary.clone(),
                    first_fired: *starts_at,
                    resolved: None,
                    times: 0,
                });
                record.times += 1;
                record.resolved = None;
            }
            EventKind::ProviderIncident { name, status, impact, url } => {
                status_pages.push(StatusPageIncident {
                    at: event.at,
                    name: name.clone(),
                    status: status.clone(),
                    impact: impact.clone(),
                    url: url.clone(),
                });
            }
            EventKind::AlertResolved { fingerprint, .. } => {
                if let Some(record) = alerts.get_mut(fingerprint) {
                    record.resolved = Some(event.at);
                }
            }
            _ => {}
        }
        let by_person = !MACHINE_ORIGINS.contains(&event.origin.as_str())
            && !matches!(
                event.kind,
                EventKind::Declared { .. }
                    | EventKind::TopologyRecorded { .. }
                    | EventKind::RecordingStarted { .. }
                    | EventKind::RecordingStopped
            );
        if by_person && event.at >= declared_at && acknowledged_at.is_none() {
            acknowledged_at = Some(event.at);
        }
        if !changed_health {
            continue;
        }
        let Some((topology, spec)) = walk.topology() else { continue };
        let radius = topology.blast_radius(walk.health());
        entrypoints_affected.extend(radius.entrypoints_down.iter().cloned());
        match (outage_since, radius.entrypoints_down.is_empty()) {
            (None, false) => outage_since = Some(event.at),
            (Some(since), true) => {
                outages.push((since, event.at));
                outage_since = None;
            }
            _ => {}
        }
        let size = radius.down.len() + radius.impacted.len();
        if size > 0 && peak.as_ref().is_none_or(|p| size > p.radius.down.len() + p.radius.impacted.len()) {
            let health = walk.health().iter().map(|(n, h)| (n.clone(), *h)).collect();
            let reasons = reasons.iter().map(|(n, r)| (n.clone(), r.clone())).collect();
            peak = Some(Peak { at: event.at, radius, health, reasons, topology: spec.clone() });
        }
    }
    if let Some(since) = outage_since {
        outages.push((since, end.max(since)));
    }
    let outage_secs = outages.iter().map(|(a, b)| (*b - *a).num_seconds()).sum();
    let first_alert_at = incident.first_alert_at;
    let (impact_start, impact_start_from) = [
        (first_alert_at, "the first alert's start"),
        (outages.first().map(|o| o.0), "the first instant an entrypoint was down or impacted"),
        (noted_start, "a note tagged #impact-start"),
    ]
    .into_iter()
    .filter_map(|(at, from)| Some((at?, from)))
    .min_by_key(|(at, _)| *at)
    .map_or((None, None), |(at, from)| (Some(at), Some(from)));
    let mitigated_at = match outages.last() {
        Some((_, until)) if outage_since.is_none() => Some(*until),
        Some(_) => None,
        None => first_recover,
    };
    let severities = severities
        .iter()
        .enumerate()
        .map(|(i, (severity, from))| {
            let until = severities.get(i + 1).map_or(end, |next| next.1);
            (*severity, (until.max(*from) - *from).num_seconds())
        })
        .collect();
    // Analysis often goes on after the resolution: its time runs to the last event.
    let stages = incident
        .stage_durations(end.max(replay.end()))
        .into_iter()
        .map(|(s, d)| (s, d.num_seconds()))
        .collect();
    let mut alerts: Vec<AlertRecord> = alerts.into_values().collect();
    alerts.sort_by(|a, b| (a.first_fired, &a.name).cmp(&(b.first_fired, &b.name)));
    Metrics {
        declared_at,
        impact_start,
        impact_start_from,
        first_alert_at,
        acknowledged_at,
        mitigated_at,
        resolved_at: incident.resolved_at,
        end,
        stages,
        severities,
        outages,
        outage_secs,
        entrypoints_affected,
        peak,
        alerts,
        providers,
        status_pages,
        availability: availability(history),
    }
}

/// MTBF (mean time from one incident's resolution to the next one's declaration: the time it
/// worked) and MTTR (mean declaration-to-resolution) over the log's resolved incidents; `None`
/// with fewer than two.
fn availability(history: &[Incident]) -> Option<Availability> {
    let mut resolved: Vec<(DateTime<Utc>, DateTime<Utc>)> =
        history.iter().filter_map(|i| i.resolved_at.map(|r| (i.declared_at, r))).collect();
    if resolved.len() < 2 {
        return None;
    }
    resolved.sort();
    let gaps = (resolved.len() - 1) as i64;
    let working: i64 = resolved.windows(2).map(|w| (w[1].0 - w[0].1).num_seconds().max(0)).sum();
    let mtbf_secs = working / gaps;
    let repair: i64 = resolved.iter().map(|(declared, r)| (*r - *declared).num_seconds()).sum();
    let mttr_secs = repair / resolved.len() as i64;
    let total = (mtbf_secs + mttr_secs) as f64;
    let ratio = if total > 0.0 { mtbf_secs as f64 / total } else { 0.0 };
    Some(Availability { incidents: resolved.len(), mtbf_secs, mttr_secs, ratio })
}
