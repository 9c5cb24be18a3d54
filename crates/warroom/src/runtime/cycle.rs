//! One cycle of the loop: poll, health, blast radius, notification, checks, alerts seen,
//! recording.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};

use super::{CheckOutcome, Feed, REMEMBER_EVERY, Runtime, RuntimeError, Shown, Update, checking};
use crate::config::Hysteresis;
use crate::model::Event;
use crate::monitor::Changes;
use crate::notify::Notification;
use crate::ops::{self, Actor, OpsError};

impl Runtime {
    /// One cycle as of `now`: poll, health, blast radius, notification, checks, alerts seen,
    /// recording. Returns what changed.
    ///
    /// # Errors
    /// [`RuntimeError::Drill`] if the drill cannot be stepped, the store's error if the log
    /// cannot be written (nothing of this cycle's recording is written then).
    pub async fn cycle(&self, now: DateTime<Utc>) -> Result<Update, RuntimeError> {
        match self.feed() {
            Some(feed) => self.cycle_with(&feed, now).await,
            None => Ok(Update {
                at: now,
                log_changed: self.log_moved()?,
                sync_changed: self.sync_moved(),
                notification: self.reminders(now),
                ..Update::default()
            }),
        }
    }

    /// [`Runtime::cycle`] on this feed (the loop's, even if it was replaced meanwhile).
    pub(super) async fn cycle_with(&self, feed: &Feed, now: DateTime<Utc>) -> Result<Update, RuntimeError> {
        let changes = feed.poll(now).await?;
        let (blast, firing) = feed.with_monitor(|m| (m.blast_radius(), m.firing_alerts()));
        {
            // Since when users see it: from the change that started it (dated from its first
            // cycle), else from this cycle.
            let mut state = self.state();
            state.outage_since = match (state.outage_since, blast.entrypoints_down.is_empty()) {
                (_, true) => None,
                (Some(since), false) => Some(since),
                (None, false) => Some(changes.health.iter().map(|c| c.at).min().unwrap_or(now).min(now)),
            };
        }
        let notification = self.notify(&changes, now).or_else(|| self.reminders(now));
        let checks = self.check(feed, now).await?;
        self.remember(&changes, &firing, now)?;
        let events = self.record(feed, &changes, now)?;
        let Changes { health, fired, resolved } = changes;
        Ok(Update {
            at: now,
            health,
            fired,
            resolved,
            blast: Some(blast),
            checks,
            events,
            notification,
            log_changed: self.log_moved()?,
            finished: feed.finished(now),
            sync_changed: self.sync_moved(),
        })
    }

    /// Offers the changes to the notifier; what it says to show now, if anything.
    fn notify(&self, changes: &Changes, now: DateTime<Utc>) -> Option<Notification> {
        let mut state = self.state();
        let shown = state.notifier.offer(changes, now)?;
        state.last_shown = Some(Shown { title: shown.title.clone(), body: shown.body.clone(), at: now });
        Some(shown)
    }

    /// Evaluates the checks due and records the outcomes that changed.
    async fn check(&self, feed: &Feed, now: DateTime<Utc>) -> Result<Vec<CheckOutcome>, RuntimeError> {
        let seq = self.log().last_seq()?;
        let recording = self.recording();
        let cached = self
            .state()
            .checks
            .as_ref()
            .filter(|(at, on, _)| *at == seq && *on == recording)
            .map(|(_, _, p)| p.clone());
        let pending = match cached {
            Some(pending) => pending,
            None => {
                let pending = checking::pending(&self.log(), self.library(), recording)?;
                self.state().checks = Some((seq, recording, pending.clone()));
                pending
            }
        };
        if pending.is_empty() {
            return Ok(Vec::new());
        }
        let plans: Vec<&crate::checks::Plan> = pending.iter().map(|p| &p.plan).collect();
        let observed = feed.observe(&plans, now).await;
        let hold = feed.config().map_or(Hysteresis::default(), |c| c.hysteresis).check_cycles;
        let outcomes = self.state().seen.judge(&pending, &observed, now, hold);
        let actor = Actor { origin: "check".to_owned(), by: None, now };
        let mut recorded = Vec::with_capacity(outcomes.len());
        for o in outcomes {
            let mark = crate::model::CheckMark { at: o.at, passed: o.passed, observed: o.observed.clone() };
            let written = ops::record_check(&mut self.log(), &actor, o.incident, &o.runbook, &o.step, &mark);
            match written {
                Ok(_) => recorded.push(o),
                // Resolved or detached since the checks were read: the next cycle reads anew.
                Err(OpsError::RunbookNotAttached(_)) => {}
                Err(e) => return Err(e.into()),
            }
        }
        if !recorded.is_empty() {
            self.state().checks = None;
        }
        Ok(recorded)
    }

    /// Remembers the alerts firing in the log when the set changed, and every
    /// [`REMEMBER_EVERY`] while they fire (when they were last seen).
    fn remember(
        &self,
        changes: &Changes,
        firing: &[crate::model::Alert],
        now: DateTime<Utc>,
    ) -> Result<(), RuntimeError> {
        let fingerprints: BTreeSet<String> = firing.iter().map(|a| a.fingerprint.clone()).collect();
        let due = {
            let state = self.state();
            match &state.remembered {
                None => !firing.is_empty(),
                Some((at, known)) => {
                    *known != fingerprints
                        || !changes.fired.is_empty()
                        || (!firing.is_empty() && now - *at >= REMEMBER_EVERY)
                }
            }
        };
        if due {
            self.log().remember_alerts(firing, now)?;
            self.state().remembered = Some((now, fingerprints));
        }
        Ok(())
    }

    /// Records this cycle on the incident being recorded, if any; the events written.
    fn record(&self, feed: &Feed, changes: &Changes, now: DateTime<Utc>) -> Result<Vec<Event>, RuntimeError> {
        let Some(id) = self.recording() else { return Ok(Vec::new()) };
        let resolved = self.log().is_resolved(id)?;
        let providers = feed.provider_incidents();
        let actor = Actor { origin: feed.origin().to_owned(), by: None, now };
        let batch = {
            let mut state = self.state();
            match state.recorder.as_mut() {
                Some(recorder) if recorder.incident() == id => {
                    feed.with_monitor(|m| recorder.cycle(resolved, &actor, changes, m, &providers))?
                }
                _ => None,
            }
        };
        let mut events = match batch {
            Some(mut batch) => {
                batch.write(&mut self.log())?;
                batch.events
            }
            None => return Ok(Vec::new()),
        };
        if !resolved {
            events.extend(self.record_drill_changes(feed, id, now)?);
        }
        Ok(events)
    }

    /// Whether the log moved since the last cycle by a hand other than this cycle's (another
    /// process, a command): one cheap query.
    pub(super) fn log_moved(&self) -> Result<bool, RuntimeError> {
        let seq = self.log().last_seq()?;
        let mut state = self.state();
        let moved = seq != state.seq;
        state.seq = seq;
        Ok(moved)
    }

    /// Whether where sync stands changed since the loop last said (and now it has).
    pub(super) fn sync_moved(&self) -> bool {
        std::mem::take(&mut self.state().sync_changed)
    }

    /// Wakes the loop at once (the feed changed).
    pub(crate) fn woken(&self) -> tokio::sync::futures::Notified<'_> {
        self.inner.wake.notified()
    }
}
