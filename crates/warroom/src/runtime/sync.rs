//! The runtime's side of team sync: one loop beside the cycles that keeps this laptop's log and
//! the hub in step, and says where it stands.
//!
//! Connected, it exchanges with the hub when the hub announces a push (`NOTIFY`), when the local
//! log grew (looked at every [`LOOK`], one cheap query), and every [`SAFETY`] in case an
//! announcement was lost; it says who is here every [`BEAT`], and at once when the incident it is
//! on changes (the hub announces that to the others). Unreachable, it retries with
//! backoff (from half a second up to [`BACKOFF_MAX`]) and the status says since when it is
//! offline and how many events wait. Events pulled wake the cycle loop at once, so the window
//! shows another laptop's note within a second.

use std::time::Duration;

use chrono::{DateTime, Utc};
use ulid::Ulid;

use super::{Clock, Runtime};
use crate::sync::{self, Hub, SyncConfig, SyncStatus};

/// How often the local log is looked at for events to push (one indexed `max(seq)`).
const LOOK: Duration = Duration::from_millis(100);
/// How often this laptop says it is here, and reads who else is.
const BEAT: chrono::Duration = chrono::Duration::seconds(10);
/// How often at most it reads who is here again after announcements (a heartbeat reads it
/// anyway every [`BEAT`]).
const DEVICES_EVERY: chrono::Duration = chrono::Duration::seconds(2);
/// How often it exchanges with the hub even when nothing was announced.
const SAFETY: chrono::Duration = chrono::Duration::seconds(30);
/// The longest wait between two tries to reach the hub.
pub const BACKOFF_MAX: Duration = Duration::from_secs(5);

/// What the runtime syncs with, and as whom.
#[derive(Debug, Clone)]
pub(super) struct SyncSetup {
    pub config: SyncConfig,
    pub person: Option<String>,
    /// What this laptop runs ("desktop", "watch").
    pub app: String,
    /// Counts changes of setup: the loop reconnects when it moves.
    pub generation: u64,
}

impl Runtime {
    /// Syncs with the hub `config` names from now on (or with none), as `person` running `app`.
    /// The log writes new events as the configured device.
    pub fn use_sync(&self, config: Option<SyncConfig>, person: Option<String>, app: &str) {
        if config.is_none() && self.state().sync.is_none() {
            return;
        }
        let status = config.as_ref().and_then(|c| {
            let mut log = self.log();
            log.set_device(&c.device);
            SyncStatus::of_log(c, &log, None).map_err(|e| tracing::warn!("sync status: {e}")).ok()
        });
        {
            let mut state = self.state();
            let generation = state.sync.as_ref().map_or(0, |s| s.generation + 1);
            state.sync = config.map(|config| SyncSetup { config, person, app: app.to_owned(), generation });
            state.sync_status = status;
            state.sync_changed = true;
        }
        self.inner.sync_wake.notify_one();
        self.inner.poke.notify_one();
    }

    /// Syncs with the hub an edited configuration names (as the same person and app), if it
    /// changed.
    pub fn resync(&self, config: Option<SyncConfig>) {
        let (person, app, same) = {
            let state = self.state();
            let current = state.sync.as_ref();
            (
                current.and_then(|s| s.person.clone()),
                current.map_or_else(|| "desktop".to_owned(), |s| s.app.clone()),
                current.map(|s| &s.config) == config.as_ref(),
            )
        };
        if !same {
            self.use_sync(config, person, &app);
        }
    }

    /// Exchanges with the hub once, now (a watch ending pushes its last events so); `None` when
    /// this laptop syncs with no hub.
    pub async fn sync_now(&self, now: DateTime<Utc>) -> Option<Result<sync::Once, sync::SyncError>> {
        let setup = self.sync_setup()?;
        let incident = self.present_on().map(|id| id.to_string());
        let once = sync::once(
            &setup.config,
            &self.inner.log,
            setup.person.as_deref(),
            &setup.app,
            incident.as_deref(),
            now,
        );
        Some(once.await)
    }

    /// Where sync stands; `None` when this laptop syncs with no hub.
    pub fn sync_status(&self) -> Option<SyncStatus> {
        self.state().sync_status.clone()
    }

    fn sync_setup(&self) -> Option<SyncSetup> {
        self.state().sync.clone()
    }

    fn generation(&self) -> Option<u64> {
        self.state().sync.as_ref().map(|s| s.generation)
    }

    /// Replaces the status (if sync is still set up as `generation`), and wakes the cycle loop
    /// when it changed or the log grew.
    fn set_sync_status(&self, generation: u64, change: impl FnOnce(&mut SyncStatus), log_grew: bool) {
        let changed = {
            let mut state = self.state();
            if state.sync.as_ref().map(|s| s.generation) != Some(generation) {
                return;
            }
            match state.sync_status.as_mut() {
                Some(status) => {
                    let before = status.clone();
                    change(status);
                    let changed = *status != before;
                    state.sync_changed |= changed;
                    changed
                }
                None => false,
            }
        };
        if changed || log_grew {
            self.inner.poke.notify_one();
        }
    }

    /// The status's account of the log (what waits, when it last moved, what was refused).
    fn log_side(&self, config: &SyncConfig, hub: &str) -> Option<SyncStatus> {
        SyncStatus::of_log(config, &self.log(), Some(hub))
            .map_err(|e| tracing::warn!("sync status: {e}"))
            .ok()
    }

    /// The incident this laptop is on: the one recorded on, else the latest still active.
    fn present_on(&self) -> Option<Ulid> {
        self.recording().or_else(|| self.log().latest_active().ok().flatten())
    }

    /// Keeps the log and the hub in step while sync is set up. Never returns.
    pub(super) async fn sync_loop(&self, clock: &dyn Clock) {
        let mut backoff = Duration::from_millis(500);
        loop {
            let Some(setup) = self.sync_setup() else {
                self.inner.sync_wake.notified().await;
                continue;
            };
            match Hub::connect(&setup.config).await {
                Ok(hub) => {
                    backoff = Duration::from_millis(500);
                    let now = clock.now();
                    self.set_sync_status(
                        setup.generation,
                        |s| {
                            s.connected = true;
                            s.since = Some(now);
                            s.error = None;
                        },
                        false,
                    );
                    let why = self.connected(hub, &setup, clock).await;
                    let now = clock.now();
                    if let Some(why) = why {
                        tracing::warn!("sync with {}: {why}", setup.config.hub());
                        self.set_sync_status(
                            setup.generation,
                            |s| {
                                s.connected = false;
                                s.since = Some(now);
                                s.error = Some(why);
                            },
                            false,
                        );
                    }
                }
                Err(e) => {
                    let now = clock.now();
                    let message = e.to_string();
                    self.set_sync_status(
                        setup.generation,
                        |s| {
                            if s.connected || s.since.is_none() {
                                s.since = Some(now);
                            }
                            s.connected = false;
                            s.error = Some(message);
                        },
                        false,
                    );
                    self.offline(&setup, backoff).await;
                    backoff = (backoff * 2).min(BACKOFF_MAX);
                }
            }
        }
    }

    /// Waits `backoff` (less if the setup changes) while the hub is unreachable, keeping the count
    /// of events waiting true as the responder writes on.
    async fn offline(&self, setup: &SyncSetup, backoff: Duration) {
        let until = tokio::time::Instant::now() + backoff;
        let mut seen_seq = -1;
        while tokio::time::Instant::now() < until {
            let seq = self.log().last_seq().unwrap_or(seen_seq);
            if seq != seen_seq {
                seen_seq = seq;
                let hub = self.log().last_hub().ok().flatten();
                let side = SyncStatus::of_log(&setup.config, &self.log(), hub.as_deref());
                if let Ok(side) = side {
                    self.set_sync_status(setup.generation, |s| s.pending_push = side.pending_push, false);
                }
            }
            tokio::select! {
                () = tokio::time::sleep(LOOK.min(until - tokio::time::Instant::now())) => {}
                () = self.inner.sync_wake.notified() => return,
            }
        }
    }

    /// Syncs over one connection until it breaks (why, in words) or the setup changes (`None`).
    async fn connected(&self, mut hub: Hub, setup: &SyncSetup, clock: &dyn Clock) -> Option<String> {
        let mut seen_seq = -1;
        let mut announced = true;
        let mut last_exchange = clock.now();
        let mut next_beat = clock.now();
        let mut last_devices = clock.now();
        // Who is here is read again once an announcement came (a push, or someone's presence
        // changed), at most every DEVICES_EVERY.
        let mut devices_due = false;
        // The incident the last heartbeat said this laptop is on (`None`: no heartbeat yet), and
        // what it was recording then.
        let mut said_on: Option<Option<Ulid>> = None;
        let mut seen_recording = self.recording();
        loop {
            if self.generation() != Some(setup.generation) {
                return None;
            }
            let now = clock.now();
            let seq = self.log().last_seq().unwrap_or(seen_seq);
            let exchanging = announced || seq != seen_seq || now - last_exchange >= SAFETY;
            if exchanging {
                match sync::exchange(&mut hub, &self.inner.log, now).await {
                    Ok(moved) => {
                        last_exchange = now;
                        announced = false;
                        // What the log holds now was all pushed, unless someone wrote while the
                        // exchange ran (more rows than it pulled): then look again.
                        let after = self.log().last_seq().unwrap_or(seq);
                        seen_seq = if after - seq == i64::try_from(moved.pulled).unwrap_or(i64::MAX) {
                            after
                        } else {
                            seq
                        };
                        for p in &moved.problems {
                            tracing::warn!("sync: {p}");
                        }
                        let side = self.log_side(&setup.config, &hub.id);
                        self.set_sync_status(
                            setup.generation,
                            |s| {
                                if let Some(side) = side {
                                    s.pending_push = side.pending_push;
                                    s.last_pull_at = side.last_pull_at;
                                    s.last_push_at = side.last_push_at;
                                    s.problems = side.problems;
                                }
                            },
                            moved.pulled > 0,
                        );
                    }
                    Err(e) => return Some(e.to_string()),
                }
            }
            // This laptop moved to another incident (picked in the window, declared, pulled,
            // resolved): say so now, not at the next BEAT.
            let recording = self.recording();
            let mut on_now = None;
            if said_on.is_some() && (exchanging || recording != seen_recording) {
                seen_recording = recording;
                let on = self.present_on();
                if said_on != Some(on) {
                    next_beat = now;
                }
                on_now = Some(on);
            }
            // Someone pushed or arrived: who is here may have changed too (a heartbeat reads it).
            if devices_due && now >= last_devices + DEVICES_EVERY {
                next_beat = next_beat.min(now);
            }
            if now >= next_beat {
                next_beat = now + BEAT;
                last_devices = now;
                devices_due = false;
                // Read once a loop: what was just compared is what is said.
                let on = on_now.unwrap_or_else(|| self.present_on());
                said_on = Some(on);
                let incident = on.map(|id| id.to_string());
                let beat = hub
                    .heartbeat(&setup.config.device, setup.person.as_deref(), incident.as_deref(), &setup.app)
                    .await;
                match beat {
                    Ok(()) => match hub.devices().await {
                        Ok(devices) => {
                            self.set_sync_status(setup.generation, |s| s.devices = devices, false);
                        }
                        Err(e) => return Some(e.to_string()),
                    },
                    Err(e) => return Some(e.to_string()),
                }
            }
            tokio::select! {
                got = hub.notified() => match got {
                    Some(()) => {
                        announced = true;
                        devices_due = true;
                    }
                    None => return Some("the hub closed the connection".to_owned()),
                },
                () = tokio::time::sleep(LOOK) => {}
                () = self.inner.sync_wake.notified() => {}
            }
        }
    }
}
