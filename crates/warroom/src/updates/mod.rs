//! Stakeholder updates: drafted from the live state ([`draft`]), due on a cadence
//! ([`Cadence`]), sent through an outbox that survives the network and the process.
//!
//! Sending an update writes it to the log first (`update_queued`: its audience, channel and exact
//! text), then the outbox delivers it ([`deliver_due`]): the channel took it (`update_sent`), or
//! refused it for good (`update_failed`), or could not be reached, and the update stays queued
//! with the reason and is tried again with backoff. An attempt is marked under way before it is
//! sent, so a retry after a crash or a timeout knows the channel may have it already and looks
//! where the channel can tell.

mod channels;
mod config;
pub mod draft;

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};

use chrono::{DateTime, Utc};
use serde::Serialize;

pub use channels::{Delivery, Outgoing, backoff, signature, slack_escape};
pub use config::{Cadence, ChannelConfig, ChannelKind};
pub(crate) use config::{CadenceEntry, ChannelEntry};
pub use draft::{Draft, TemplateError, next_due};

use crate::model::{EventKind, Health, Incident};
use crate::ops::{self, Actor, OpsError};
use crate::replay::Replay;
use crate::store::{Pending, Store};

/// What became of one update the outbox tried.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(any(test, feature = "ts"), derive(ts_rs::TS), ts(export))]
pub struct Tried {
    pub update: String,
    pub channel: String,
    /// "sent", "queued" (to be retried) or "failed".
    pub state: &'static str,
    /// Why it is still queued, or failed.
    pub error: Option<String>,
}

fn lock(log: &Mutex<Store>) -> MutexGuard<'_, Store> {
    log.lock().unwrap_or_else(|p| p.into_inner())
}

/// The status page status of each mapped component now, from the blast radius recorded on the
/// incident: down → major outage, impacted → partial outage, degraded → degraded performance.
fn components(
    replay: &Replay,
    map: &BTreeMap<String, String>,
    now: DateTime<Utc>,
) -> BTreeMap<String, String> {
    let moment = replay.at(now);
    map.iter()
        .map(|(node, component)| {
            let radius = moment.as_ref().and_then(|m| m.radius.as_ref());
            let health = moment.as_ref().and_then(|m| m.health.get(node).copied());
            let status = if radius.is_some_and(|r| r.down.contains(node)) || health == Some(Health::Down) {
                "major_outage"
            } else if radius.is_some_and(|r| r.impacted.iter().any(|i| i.id == *node)) {
                "partial_outage"
            } else if radius.is_some_and(|r| r.degraded.contains(node)) || health == Some(Health::Degraded) {
                "degraded_performance"
            } else {
                "operational"
            };
            (component.clone(), status.to_owned())
        })
        .collect()
}

/// What goes out for `pending`: the update, and what the channel needs of the incident now.
fn outgoing(
    p: &Pending,
    incident: &Incident,
    replay: Option<&Replay>,
    channel: &ChannelConfig,
    now: DateTime<Utc>,
) -> Outgoing {
    let remote = incident
        .updates
        .iter()
        .filter(|u| u.channel == p.channel && u.remote.is_some())
        .min_by_key(|u| u.queued_at)
        .and_then(|u| u.remote.clone());
    let components = match (&channel.kind, replay) {
        (ChannelKind::Statuspage { components: map, .. }, Some(r)) => components(r, map, now),
        _ => BTreeMap::new(),
    };
    Outgoing {
        id: p.update.clone(),
        incident: p.incident.clone(),
        audience: p.audience,
        subject: p.subject.clone(),
        text: p.text.clone(),
        severity: incident.severity.to_string(),
        stage: incident.stage.to_string(),
        resolved: incident.status == crate::model::Status::Resolved,
        components,
        remote,
        maybe_delivered: p.in_flight || p.last_error.as_deref().is_some_and(|e| e.starts_with(MAYBE)),
    }
}

/// How a retry's reason starts when the request may have arrived.
const MAYBE: &str = "no answer (it may have arrived)";

/// Tries every update of this laptop's outbox that is due as of `now` (all of them when
/// `force`), one after the other, and records how each went.
///
/// # Errors
/// The log's error; what was recorded before it stays recorded.
pub async fn deliver_due(
    log: &Mutex<Store>,
    channels: &[ChannelConfig],
    now: DateTime<Utc>,
    force: bool,
) -> Result<Vec<Tried>, OpsError> {
    let pending = lock(log).outbox()?;
    let actor = Actor { origin: "outbox".to_owned(), by: None, now };
    let mut tried = Vec::new();
    for p in pending.into_iter().filter(|p| force || p.next_try.is_none_or(|t| t <= now)) {
        let Ok(id) = ulid::Ulid::from_string(&p.incident) else { continue };
        let Some(channel) = channels.iter().find(|c| c.name == p.channel) else {
            let error = format!("no channel named '{}' in the configuration", p.channel);
            ops::record_on_log(
                &mut lock(log),
                &actor,
                id,
                EventKind::UpdateFailed { update: p.update.clone(), error: error.clone() },
            )?;
            tried.push(Tried { update: p.update, channel: p.channel, state: "failed", error: Some(error) });
            continue;
        };
        let (incident, replay) = {
            let log = lock(log);
            let events = log.events(id)?;
            (log.incident(id)?, Replay::new(events, Vec::new()))
        };
        let out = outgoing(&p, &incident, replay.as_ref(), channel, now);
        lock(log).attempt_begins(&p.update)?;
        let delivery = channels::deliver(channel, &out).await;
        let mut log = lock(log);
        let (state, error) = match delivery {
            Delivery::Sent { remote } => {
                ops::record_on_log(
                    &mut log,
                    &actor,
                    id,
                    EventKind::UpdateSent { update: p.update.clone(), remote },
                )?;
                log.attempt_ends(&p.update, None, None)?;
                ("sent", None)
            }
            Delivery::Refused(reason) => {
                ops::record_on_log(
                    &mut log,
                    &actor,
                    id,
                    EventKind::UpdateFailed { update: p.update.clone(), error: reason.clone() },
                )?;
                log.attempt_ends(&p.update, Some(&reason), None)?;
                ("failed", Some(reason))
            }
            Delivery::Retry { reason, maybe_delivered } => {
                let reason = if maybe_delivered { format!("{MAYBE}: {reason}") } else { reason };
                let wait = chrono::Duration::from_std(backoff(p.attempts + 1))
                    .unwrap_or(chrono::Duration::minutes(5));
                log.attempt_ends(&p.update, Some(&reason), Some(now + wait))?;
                ("queued", Some(reason))
            }
        };
        tried.push(Tried { update: p.update, channel: p.channel, state, error });
    }
    Ok(tried)
}
