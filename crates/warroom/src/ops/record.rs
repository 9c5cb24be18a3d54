//! What the sources and the drill say happened, written on an incident's log: health changes,
//! alerts fired and resolved (once per fingerprint), the topology when recording starts, and
//! the samples of the affected nodes for the postmortem's charts.

use ulid::Ulid;

use super::{Actor, OpsError, record};
use crate::model::{Alert, Event, EventKind, Health, Sample};
use crate::monitor::Monitor;
use crate::store::Store;
use crate::time;

/// Records that a node's health changed (a change, never every sample).
///
/// # Errors
/// [`OpsError::InFuture`], or the store's error (an unknown incident).
pub fn record_health_change(
    store: &mut Store,
    actor: &Actor,
    id: Ulid,
    node: &str,
    from: Health,
    to: Health,
    reason: &str,
) -> Result<Event, OpsError> {
    let kind = EventKind::HealthChanged { node: node.to_owned(), from, to, reason: reason.to_owned() };
    record(store, actor.event(id, None, kind)?)
}

/// Records that an alert started (`firing`) or stopped firing, once per fingerprint: an alert
/// already firing on the incident's timeline is not recorded again, one not firing is not
/// resolved again. Returns the event, or `None` when there was nothing new to say.
///
/// # Errors
/// [`OpsError::InFuture`], or the store's error (an unknown incident).
pub fn record_alert(
    store: &mut Store,
    actor: &Actor,
    id: Ulid,
    alert: &Alert,
    firing: bool,
) -> Result<Option<Event>, OpsError> {
    let already = store.incident(id)?.firing_alerts.contains(&alert.fingerprint);
    if already == firing {
        return Ok(None);
    }
    let kind = if firing {
        EventKind::AlertFired {
            name: alert.name.clone(),
            node: alert.node.clone(),
            severity: alert.severity.clone(),
            summary: alert.summary.clone(),
            fingerprint: alert.fingerprint.clone(),
            starts_at: time::truncate(alert.starts_at),
        }
    } else {
        EventKind::AlertResolved {
            name: alert.name.clone(),
            node: alert.node.clone(),
            fingerprint: alert.fingerprint.clone(),
        }
    };
    record(store, actor.event(id, None, kind)?).map(Some)
}

/// Records everything a monitor said changed on the incident: the topology first if the log
/// has none yet, health changes, alerts fired and resolved (deduplicated by fingerprint); then
/// keeps the affected nodes' samples ([`record_samples`]). Returns how many events were written.
///
/// # Errors
/// As [`record_health_change`] and [`record_alert`]; what was recorded before an error stays.
pub fn record_changes(
    store: &mut Store,
    actor: &Actor,
    id: Ulid,
    changes: &crate::monitor::Changes,
    monitor: &Monitor,
) -> Result<usize, OpsError> {
    let mut written = 0;
    if store.incident(id)?.topology_at.is_none() {
        record_topology(store, actor, id, monitor)?;
        written += 1;
    }
    for c in &changes.health {
        record_health_change(store, actor, id, &c.node, c.from, c.to, &c.reason)?;
        written += 1;
    }
    for alert in &changes.fired {
        written += usize::from(record_alert(store, actor, id, alert, true)?.is_some());
    }
    for alert in &changes.resolved {
        written += usize::from(record_alert(store, actor, id, alert, false)?.is_some());
    }
    record_samples(store, id, changes, monitor)?;
    Ok(written)
}

/// Records the monitor's topology on the incident: what replay draws from that instant on.
///
/// # Errors
/// [`OpsError::InFuture`], or the store's error (an unknown incident).
pub fn record_topology(
    store: &mut Store,
    actor: &Actor,
    id: Ulid,
    monitor: &Monitor,
) -> Result<(), OpsError> {
    let kind = EventKind::TopologyRecorded { topology: monitor.topology().spec() };
    record(store, actor.event(id, None, kind)?).map(|_| ())
}

/// Keeps the latest samples of the incident's affected nodes (recorded as anything but healthy,
/// or going so in `changes`) with it; a node that turns unhealthy now brings the history the
/// monitor holds (its last half hour), so the charts show the lead-up. Idempotent.
///
/// # Errors
/// The store's error.
pub fn record_samples(
    store: &mut Store,
    id: Ulid,
    changes: &crate::monitor::Changes,
    monitor: &Monitor,
) -> Result<usize, OpsError> {
    let affected = store.incident(id)?.affected;
    let newly: Vec<&str> = changes
        .health
        .iter()
        .filter(|c| c.to != Health::Healthy && !affected.contains(&c.node))
        .map(|c| c.node.as_str())
        .collect();
    let mut samples: Vec<Sample> = Vec::new();
    for node in &newly {
        for metric in crate::model::Metric::ALL {
            samples.extend(monitor.history(node, metric).into_iter().map(|(at, value)| Sample {
                node: (*node).to_owned(),
                metric,
                value,
                at,
            }));
        }
    }
    for node in affected.iter().map(String::as_str).chain(newly.iter().copied()) {
        samples.extend(crate::model::Metric::ALL.iter().filter_map(|m| monitor.latest(node, *m)).cloned());
    }
    Ok(store.record_samples(id, &samples)?)
}
