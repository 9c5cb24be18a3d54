//! What the sources and the drill say happened, written on an incident's log: health changes,
//! alerts fired and resolved (once per fingerprint), the topology when recording starts, and
//! the samples of the affected nodes for the postmortem's charts.

use ulid::Ulid;

use super::{Actor, OpsError, record};
use crate::model::{Alert, Event, EventKind, Health, Metric, Sample};
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

/// Records everything a monitor said changed on the incident: the topology (with every node's
/// health) first if the log has none yet, health changes, alerts fired and resolved
/// (deduplicated by fingerprint); then keeps the affected nodes' samples: the latest of each,
/// and for a node failing for the first time the history the monitor holds (its last half
/// hour), so the charts show the lead-up. Sample recording is idempotent. Returns how many
/// events were written.
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
    let incident = store.incident(id)?;
    let mut affected = incident.affected.clone();
    let mut written = 0;
    if incident.topology_at.is_none() {
        record_topology(store, actor, id, monitor)?;
        affected.extend(monitor.health().into_iter().filter(|(_, h)| h.is_failing()).map(|(n, _)| n));
        written += 1;
    }
    for c in &changes.health {
        record_health_change(store, actor, id, &c.node, c.from, c.to, &c.reason)?;
        if c.to.is_failing() {
            affected.insert(c.node.clone());
        }
        written += 1;
    }
    for alert in &changes.fired {
        written += usize::from(record_alert(store, actor, id, alert, true)?.is_some());
    }
    for alert in &changes.resolved {
        written += usize::from(record_alert(store, actor, id, alert, false)?.is_some());
    }
    let mut samples: Vec<Sample> = Vec::new();
    for node in affected.difference(&incident.affected) {
        for metric in Metric::ALL {
            let history = monitor.history(node, metric).into_iter();
            samples.extend(history.map(|(at, value)| Sample { node: node.clone(), metric, value, at }));
        }
    }
    for node in &affected {
        samples.extend(Metric::ALL.iter().filter_map(|m| monitor.latest(node, *m)).cloned());
    }
    store.record_samples(id, &samples)?;
    Ok(written)
}

/// Records the monitor's topology and every node's health on the incident: what replay draws
/// from that instant on.
///
/// # Errors
/// [`OpsError::InFuture`], or the store's error (an unknown incident).
pub fn record_topology(
    store: &mut Store,
    actor: &Actor,
    id: Ulid,
    monitor: &Monitor,
) -> Result<(), OpsError> {
    let health = monitor.health().into_iter().collect();
    let kind = EventKind::TopologyRecorded { topology: monitor.topology().spec(), health };
    record(store, actor.event(id, None, kind)?).map(|_| ())
}
