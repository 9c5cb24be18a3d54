//! The runtime's side of stakeholder updates: drafts and sends for the window, the outbox loop
//! beside the cycles, and the cadence's reminders.
//!
//! The outbox loop looks every [`OUTBOX_LOOK`] whether an update of this laptop is due (one
//! query), and at once when one was just queued; what it delivers wakes the cycle loop, so the
//! window shows each update's state as it changes. Reminders: when an active incident's next
//! update is due, a desktop notification says so once, and again when it is overdue by half the
//! interval.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;
use ulid::Ulid;

use super::{Clock, Runtime, RuntimeError};
use crate::model::{Audience, UpdateState};
use crate::notify::Notification;
use crate::ops::{self, Actor};
use crate::replay::Replay;
use crate::updates::{self, Cadence, ChannelConfig, Draft, Tried};

/// How often the outbox looks for an update due.
const OUTBOX_LOOK: Duration = Duration::from_secs(1);

/// Where updates go and how often they are due.
#[derive(Debug, Clone, Default)]
pub(super) struct UpdatesSetup {
    pub channels: Vec<ChannelConfig>,
    pub cadence: Cadence,
    pub templates: Option<PathBuf>,
}

/// A channel as the window lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(any(test, feature = "ts"), derive(ts_rs::TS), ts(export))]
pub struct ChannelInfo {
    pub name: String,
    pub kind: String,
    /// The audiences it is for.
    pub audiences: Vec<Audience>,
}

/// One update to one channel, with this laptop's attempts at it: what `warroom update list
/// --json` prints.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(any(test, feature = "ts"), derive(ts_rs::TS), ts(export))]
pub struct UpdateInfo {
    pub id: String,
    pub audience: Audience,
    pub channel: String,
    pub state: UpdateState,
    pub attempts: u32,
    pub last_error: Option<String>,
    pub sent_at: Option<DateTime<Utc>>,
    pub text: String,
    pub subject: String,
    pub queued_at: DateTime<Utc>,
    pub by: Option<String>,
    pub device: String,
    /// When it will be tried again, while queued here.
    pub next_try: Option<DateTime<Utc>>,
}

/// What the window's update panel shows of an incident.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(any(test, feature = "ts"), derive(ts_rs::TS), ts(export))]
pub struct UpdatePanel {
    pub channels: Vec<ChannelInfo>,
    pub updates: Vec<UpdateInfo>,
    /// When the next update is due (none: resolved, or no cadence for the severity).
    pub next_due: Option<DateTime<Utc>>,
    /// The cadence's interval for the incident's severity, in seconds.
    #[cfg_attr(any(test, feature = "ts"), ts(type = "number | null"))]
    pub every_secs: Option<u64>,
}

/// What reminders were given: (incident, the due instant, overdue?).
pub(super) type Reminded = BTreeSet<(Ulid, DateTime<Utc>, bool)>;

impl Runtime {
    /// Sends updates through these channels, on this cadence, with these templates (the
    /// configuration's `[[channel]]`, `[cadence]`, `templates`).
    pub fn use_updates(&self, channels: Vec<ChannelConfig>, cadence: Cadence, templates: Option<PathBuf>) {
        self.state().updates = UpdatesSetup { channels, cadence, templates };
        self.inner.outbox_wake.notify_one();
    }

    /// The channels updates can go to.
    pub fn channels(&self) -> Vec<ChannelInfo> {
        self.state()
            .updates
            .channels
            .iter()
            .map(|c| ChannelInfo {
                name: c.name.clone(),
                kind: c.kind.name().to_owned(),
                audiences: c.audiences.clone(),
            })
            .collect()
    }

    /// How often updates are due.
    pub fn cadence(&self) -> Cadence {
        self.state().updates.cadence
    }

    /// The draft of an update to `audience` on incident `id`, as of `now`.
    ///
    /// # Errors
    /// The store's error (an unknown incident), a template that cannot be used.
    pub fn draft_update(
        &self,
        id: Ulid,
        audience: Audience,
        now: DateTime<Utc>,
    ) -> Result<Draft, RuntimeError> {
        let (cadence, templates) = {
            let state = self.state();
            (state.updates.cadence, state.updates.templates.clone())
        };
        // One hold of the log for both reads, so the events and the kept state agree.
        let (incident, events) = {
            let log = self.log();
            (log.incident(id)?, log.events(id)?)
        };
        let steps = self.library().open_steps(&incident);
        let replay = Replay::new(events, Vec::new())
            .ok_or_else(|| crate::store::StoreError::UnknownIncident { id: id.to_string() })?;
        Ok(updates::draft::draft(&replay, audience, &cadence, templates.as_deref(), steps, now)?)
    }

    /// Queues an update to each of `channels` (written to the log before anything is sent) and
    /// wakes the outbox. Returns the updates' ids.
    ///
    /// # Errors
    /// [`RuntimeError::UnknownChannel`], or the refusal of [`ops::queue_update`].
    pub fn send_update(
        &self,
        actor: &Actor,
        id: Ulid,
        audience: Audience,
        channels: &[String],
        subject: &str,
        text: &str,
    ) -> Result<Vec<String>, RuntimeError> {
        let known = self.channels();
        if let Some(unknown) = channels.iter().find(|c| !known.iter().any(|k| k.name == **c)) {
            return Err(RuntimeError::UnknownChannel(unknown.clone()));
        }
        let ids = ops::queue_update(&mut self.log(), actor, id, audience, channels, subject, text)?;
        self.inner.outbox_wake.notify_one();
        Ok(ids)
    }

    /// The updates of incident `id`, with this laptop's attempts at those it sends.
    ///
    /// # Errors
    /// The store's error.
    pub fn updates_of(&self, id: Ulid) -> Result<Vec<UpdateInfo>, RuntimeError> {
        let log = self.log();
        let incident = log.incident(id)?;
        let mut infos = Vec::with_capacity(incident.updates.len());
        for u in incident.updates {
            let tries = log.attempts(&u.id)?;
            infos.push(UpdateInfo {
                attempts: tries.attempts,
                last_error: u.error.clone().or(if u.state == UpdateState::Queued {
                    tries.last_error
                } else {
                    None
                }),
                next_try: if u.state == UpdateState::Queued { tries.next_try } else { None },
                id: u.id,
                audience: u.audience,
                channel: u.channel,
                state: u.state,
                sent_at: u.sent_at,
                text: u.text,
                subject: u.subject,
                queued_at: u.queued_at,
                by: u.by,
                device: u.device,
            });
        }
        Ok(infos)
    }

    /// Everything the window's update panel shows of incident `id`.
    ///
    /// # Errors
    /// The store's error.
    pub fn update_panel(&self, id: Ulid) -> Result<UpdatePanel, RuntimeError> {
        let cadence = self.cadence();
        let incident = self.log().incident(id)?;
        Ok(UpdatePanel {
            channels: self.channels(),
            updates: self.updates_of(id)?,
            next_due: updates::next_due(&incident, &cadence),
            every_secs: cadence.every(incident.severity).map(|d| d.as_secs()),
        })
    }

    /// Tries every queued update of this laptop now, due or not.
    ///
    /// # Errors
    /// The log's error.
    pub async fn flush_updates(&self, now: DateTime<Utc>) -> Result<Vec<Tried>, RuntimeError> {
        let channels = self.state().updates.channels.clone();
        let tried = updates::deliver_due(&self.inner.log, &channels, now, true).await?;
        if !tried.is_empty() {
            self.inner.poke.notify_one();
        }
        Ok(tried)
    }

    /// Delivers what this laptop's outbox holds, as it comes due. Never returns.
    pub(super) async fn outbox_loop(&self, clock: &dyn Clock) {
        loop {
            let channels = self.state().updates.channels.clone();
            let waiting = self.log().outbox().map(|p| !p.is_empty()).unwrap_or(false);
            if waiting {
                match updates::deliver_due(&self.inner.log, &channels, clock.now(), false).await {
                    Ok(tried) if !tried.is_empty() => self.inner.poke.notify_one(),
                    Ok(_) => {}
                    Err(e) => tracing::warn!("outbox: {e}"),
                }
            }
            tokio::select! {
                () = tokio::time::sleep(OUTBOX_LOOK) => {}
                () = self.inner.outbox_wake.notified() => {}
            }
        }
    }

    /// The reminder to show now, if an active incident's update just came due (or became
    /// overdue by half its interval): each once.
    pub(super) fn reminders(&self, now: DateTime<Utc>) -> Option<Notification> {
        let cadence = self.state().updates.cadence;
        let active = self.log().active().ok()?;
        let mut due_now = Vec::new();
        for id in active {
            let Ok(incident) = self.log().incident(id) else { continue };
            let Some(due) = updates::next_due(&incident, &cadence) else { continue };
            let Some(every) =
                cadence.every(incident.severity).and_then(|d| chrono::Duration::from_std(d).ok())
            else {
                continue;
            };
            let overdue = due + every / 2;
            if now >= overdue {
                due_now.push((id, due, true, incident.title.clone(), now - due));
            } else if now >= due {
                due_now.push((id, due, false, incident.title.clone(), now - due));
            }
        }
        let mut state = self.state();
        if state.notifier.muted() {
            return None;
        }
        for (id, due, overdue, title, late) in due_now {
            if state.reminded.insert((id, due, overdue)) {
                let body = if overdue {
                    format!("\"{title}\": the stakeholder update is overdue by {} min", late.num_minutes())
                } else {
                    format!("\"{title}\": a stakeholder update is due now")
                };
                let title = if overdue { "Update overdue" } else { "Update due" };
                let shown = Notification { title: title.to_owned(), body };
                state.last_shown =
                    Some(super::Shown { title: shown.title.clone(), body: shown.body.clone(), at: now });
                return Some(shown);
            }
        }
        None
    }
}
