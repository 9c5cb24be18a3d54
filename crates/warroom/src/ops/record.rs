//! What the sources and the drill say happened, written on an incident's log: health changes,
//! alerts fired and resolved (once per fingerprint), a snapshot of the topology and every node's
//! health when recording starts (one per change of topology: when recording resumes on the
//! topology last recorded, only the health that differs is written), and the samples of the
//! failing nodes for the postmortem's charts. Recording stops when the incident is resolved.

use std::collections::{BTreeMap, BTreeSet};

use ulid::Ulid;

use super::{Actor, OpsError, record};
use crate::model::topology::TopologySpec;
use crate::model::{Alert, Event, EventKind, Health, Metric, Sample};
use crate::monitor::{Changes, Monitor};
use crate::store::{Store, StoreError};
use crate::time;

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
    record(store, actor.event(id, None, alert_kind(alert, firing))?).map(Some)
}

/// The event saying `alert` started (`firing`) or stopped firing.
fn alert_kind(alert: &Alert, firing: bool) -> EventKind {
    if firing {
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
    }
}

/// What a monitor is recording on one incident: the alerts firing and the failing nodes as its
/// log says, kept in memory so a cycle costs no fold of the log.
///
/// Attach it when recording starts (a drill attached to the incident, live sources recording on
/// it, the app restarted): it reads the incident once. Its first cycle with data writes a
/// snapshot (the topology and every node's health) and brings the log's alerts in line with the
/// monitor (the alert that led to the declaration is usually firing already; one that ended while
/// nothing recorded is resolved). [`Recorder::resnapshot`] asks for a new snapshot after the
/// topology changed. Each cycle is split: [`Recorder::prepare`] reads the monitor (under its
/// lock), [`Batch::write`] appends one batch to the store (under the store's), so neither lock
/// waits on the other's work.
#[derive(Debug, Clone)]
pub struct Recorder {
    incident: Ulid,
    /// Alerts firing on the log, by fingerprint.
    firing: BTreeMap<String, Firing>,
    /// Nodes recorded degraded or down.
    affected: BTreeSet<String>,
    /// Provider status-page incidents on the log: name → the status last recorded.
    providers: BTreeMap<String, String>,
    snapshot_due: bool,
    /// The topology last recorded on the log, and every node's health as the log says since.
    recorded: Option<(TopologySpec, BTreeMap<String, Health>)>,
}

/// An alert firing on the log: what its resolution will name.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Firing {
    name: String,
    node: String,
}

/// One cycle's worth of recording, ready to append.
#[derive(Debug, Clone)]
pub struct Batch {
    pub incident: Ulid,
    pub events: Vec<Event>,
    pub samples: Vec<Sample>,
}

impl Batch {
    /// Appends the batch: its events in one transaction, then its samples. Returns how many
    /// events were written.
    ///
    /// # Errors
    /// The store's error; none of the batch's events is written then.
    pub fn write(&mut self, store: &mut Store) -> Result<usize, OpsError> {
        if !self.events.is_empty() {
            store.append(&mut self.events)?;
        }
        store.record_samples(self.incident, &self.samples)?;
        Ok(self.events.len())
    }
}

impl Recorder {
    /// Starts recording on incident `id`.
    ///
    /// # Errors
    /// The store's error (an unknown incident).
    pub fn attach(store: &Store, id: Ulid) -> Result<Recorder, OpsError> {
        let events = store.events(id)?;
        let incident = crate::model::Incident::fold(&events)
            .ok_or_else(|| StoreError::UnknownIncident { id: id.to_string() })?;
        let mut names = BTreeMap::new();
        let mut providers = BTreeMap::new();
        let mut recorded: Option<(TopologySpec, BTreeMap<String, Health>)> = None;
        for e in &events {
            match &e.kind {
                EventKind::TopologyRecorded { topology, health } => {
                    recorded = Some((topology.clone(), health.clone()));
                }
                EventKind::HealthChanged { node, to, .. } => {
                    if let Some((_, health)) = recorded.as_mut() {
                        health.insert(node.clone(), *to);
                    }
                }
                EventKind::AlertFired { name, node, fingerprint, .. } => {
                    names.insert(fingerprint.clone(), Firing { name: name.clone(), node: node.clone() });
                }
                EventKind::ProviderIncident { name, status, .. } => {
                    providers.insert(name.clone(), status.clone());
                }
                _ => {}
            }
        }
        let firing =
            incident.firing_alerts.iter().filter_map(|f| Some((f.clone(), names.remove(f)?))).collect();
        Ok(Recorder {
            incident: id,
            firing,
            affected: incident.affected,
            providers,
            snapshot_due: true,
            recorded,
        })
    }

    /// The incident it records on.
    pub fn incident(&self) -> Ulid {
        self.incident
    }

    /// Asks for a new snapshot (the topology changed) at the next cycle with data.
    pub fn resnapshot(&mut self) {
        self.snapshot_due = true;
    }

    /// What this cycle adds to the log, read from the monitor after it ingested `changes`, and
    /// the providers' status-page incidents seen (each once per status).
    ///
    /// # Errors
    /// [`OpsError::InFuture`] only if the actor's clock is broken.
    pub fn prepare(
        &mut self,
        actor: &Actor,
        changes: &Changes,
        monitor: &Monitor,
        providers: &[crate::sources::statuspage::Incident],
    ) -> Result<Batch, OpsError> {
        let id = self.incident;
        let mut batch = Batch { incident: id, events: Vec::new(), samples: Vec::new() };
        let before = self.affected.clone();
        let health = monitor.health();
        // A monitor that has not evaluated anything yet knows nothing worth a snapshot.
        if self.snapshot_due && monitor.has_data() {
            self.snapshot_due = false;
            let topology = monitor.topology().spec();
            let now: BTreeMap<String, Health> = health.iter().map(|(n, h)| (n.clone(), *h)).collect();
            match &self.recorded {
                // The same topology as the log's last snapshot (recording resumed, the same drill
                // again): no second snapshot, only the health that differs from what the log says.
                Some((last, known)) if *last == topology => {
                    for (node, h) in &now {
                        let was = known.get(node).copied().unwrap_or(Health::Unknown);
                        if was != *h {
                            let reason = monitor
                                .reason(node)
                                .unwrap_or_else(|| "as found when recording resumed".to_owned());
                            let kind =
                                EventKind::HealthChanged { node: node.clone(), from: was, to: *h, reason };
                            batch.events.push(actor.event(id, None, kind)?);
                        }
                    }
                }
                _ => {
                    let kind =
                        EventKind::TopologyRecorded { topology: topology.clone(), health: now.clone() };
                    batch.events.push(actor.event(id, None, kind)?);
                }
            }
            self.recorded = Some((topology, now));
            self.affected.extend(health.iter().filter(|(_, h)| h.is_failing()).map(|(n, _)| n.clone()));
            let now_firing = monitor.firing_alerts();
            let ended: Vec<(String, Firing)> = self
                .firing
                .iter()
                .filter(|(f, _)| !now_firing.iter().any(|a| &a.fingerprint == *f))
                .map(|(f, n)| (f.clone(), n.clone()))
                .collect();
            for (fingerprint, Firing { name, node }) in ended {
                self.firing.remove(&fingerprint);
                batch.events.push(actor.event(
                    id,
                    None,
                    EventKind::AlertResolved { name, node, fingerprint },
                )?);
            }
            for alert in &now_firing {
                self.fire(actor, alert, &mut batch)?;
            }
        }
        for c in &changes.health {
            let kind = EventKind::HealthChanged {
                node: c.node.clone(),
                from: c.from,
                to: c.to,
                reason: c.reason.clone(),
            };
            // Dated from when it started, not from when it had held long enough to be news.
            batch.events.push(actor.event(id, Some(c.at), kind)?);
            if let Some((_, known)) = self.recorded.as_mut() {
                known.insert(c.node.clone(), c.to);
            }
            if c.to.is_failing() {
                self.affected.insert(c.node.clone());
            }
        }
        for alert in &changes.fired {
            self.fire(actor, alert, &mut batch)?;
        }
        for alert in &changes.resolved {
            if self.firing.remove(&alert.fingerprint).is_some() {
                batch.events.push(actor.event(id, None, alert_kind(alert, false))?);
            }
        }
        for p in providers {
            if self.providers.get(&p.name) != Some(&p.status) {
                self.providers.insert(p.name.clone(), p.status.clone());
                let kind = EventKind::ProviderIncident {
                    name: p.name.clone(),
                    status: p.status.clone(),
                    impact: p.impact.clone(),
                    url: p.shortlink.clone(),
                };
                batch.events.push(actor.event(id, None, kind)?);
            }
        }
        // The failing nodes' numbers: the latest of each; for a node failing for the first time,
        // the half hour the monitor holds, so the charts show the lead-up.
        for node in self.affected.difference(&before) {
            for metric in Metric::ALL {
                let history = monitor.history(node, metric).into_iter();
                batch.samples.extend(history.map(|(at, value)| Sample {
                    node: node.clone(),
                    metric,
                    value,
                    at,
                }));
            }
        }
        for node in &self.affected {
            batch.samples.extend(Metric::ALL.into_iter().filter_map(|metric| {
                let reading = monitor.latest(node, metric)?;
                Some(Sample { node: node.clone(), metric, value: reading.value, at: reading.at })
            }));
        }
        Ok(batch)
    }

    fn fire(&mut self, actor: &Actor, alert: &Alert, batch: &mut Batch) -> Result<(), OpsError> {
        if self.firing.contains_key(&alert.fingerprint) {
            return Ok(());
        }
        let firing = Firing { name: alert.name.clone(), node: alert.node.clone() };
        self.firing.insert(alert.fingerprint.clone(), firing);
        batch.events.push(actor.event(self.incident, None, alert_kind(alert, true))?);
        Ok(())
    }

    /// This cycle's batch, or none when the incident is `resolved` (asked of the store by the
    /// caller): nothing is recorded on a resolved incident, and when it is reopened recording
    /// resumes with a new snapshot.
    ///
    /// # Errors
    /// As [`Recorder::prepare`].
    pub fn cycle(
        &mut self,
        resolved: bool,
        actor: &Actor,
        changes: &Changes,
        monitor: &Monitor,
        providers: &[crate::sources::statuspage::Incident],
    ) -> Result<Option<Batch>, OpsError> {
        if resolved {
            self.resnapshot();
            return Ok(None);
        }
        self.prepare(actor, changes, monitor, providers).map(Some)
    }

    /// [`Recorder::cycle`] then [`Batch::write`], for callers that hold both the monitor and
    /// the store (the CLI, tests).
    ///
    /// # Errors
    /// As both.
    pub fn record(
        &mut self,
        store: &mut Store,
        actor: &Actor,
        changes: &Changes,
        monitor: &Monitor,
    ) -> Result<usize, OpsError> {
        let resolved = store.is_resolved(self.incident)?;
        match self.cycle(resolved, actor, changes, monitor, &[])? {
            Some(mut batch) => batch.write(store),
            None => Ok(0),
        }
    }
}
