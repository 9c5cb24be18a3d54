//! When the runtime cycles: the one loop the window and `warroom watch` run.
//!
//! A drill cycles on each of its ticks, at `started + k × period` exactly (a late tick runs at
//! once, none is skipped), so a drill's events fall on the same instants relative to its start
//! wherever and however fast it is played. Live sources cycle once per interval (a late cycle
//! is not made up for). With nothing to poll (no feed, or a drill played to its end) the loop
//! only looks at the log every [`LOG_WATCH`], to tell the window when someone else wrote on it:
//! one cheap query, no cycle, no wake-up of the window.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::{Clock, Feed, Runtime, RuntimeError, Update};

/// How often the log is looked at when there is nothing to poll.
pub const LOG_WATCH: std::time::Duration = std::time::Duration::from_secs(2);

/// What the loop's caller says after each update.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    Continue,
    Stop,
}

/// Where the loop is with the feed it last saw.
struct Schedule {
    feed: Arc<Feed>,
    /// The next cycle's number (drills) and instant.
    tick: u32,
    next: DateTime<Utc>,
    /// The drill has played to its end: nothing more to poll.
    done: bool,
}

impl Schedule {
    fn new(feed: Arc<Feed>, now: DateTime<Utc>) -> Schedule {
        let next = feed.started().unwrap_or(now);
        Schedule { feed, tick: 0, next, done: false }
    }

    /// Moves on past the cycle just run at `ran`.
    fn advance(&mut self, ran: DateTime<Utc>, now: DateTime<Utc>) {
        let period = chrono::Duration::from_std(self.feed.period()).unwrap_or(chrono::Duration::seconds(1));
        match self.feed.started() {
            Some(started) => {
                self.tick = self.tick.saturating_add(1);
                self.next = started + period * i32::try_from(self.tick).unwrap_or(i32::MAX);
            }
            None => self.next = (ran + period).max(now),
        }
    }
}

impl Runtime {
    /// Cycles until `on_update` says stop. It is handed every cycle's update (or error: the loop
    /// goes on), and, between cycles, an update whenever the log moved or sync changed. Team
    /// sync, when set up ([`Runtime::use_sync`]), runs beside the cycles for as long.
    pub async fn run(&self, clock: &dyn Clock, on_update: impl FnMut(Result<Update, RuntimeError>) -> Flow) {
        tokio::select! {
            () = self.cycles(clock, on_update) => {}
            () = self.sync_loop(clock) => {}
            () = self.outbox_loop(clock) => {}
            () = self.changes_loop(clock) => {}
        }
    }

    async fn cycles(
        &self,
        clock: &dyn Clock,
        mut on_update: impl FnMut(Result<Update, RuntimeError>) -> Flow,
    ) {
        let mut schedule: Option<Schedule> = None;
        loop {
            let now = clock.now();
            let feed = self.feed();
            if schedule.as_ref().map(|s| &s.feed).map(Arc::as_ptr) != feed.as_ref().map(Arc::as_ptr) {
                schedule = feed.map(|f| Schedule::new(f, now));
                if let Some(live) = schedule.as_ref().and_then(|s| s.feed.live()) {
                    // New sources: charts (and the lead-up a recording keeps) start with the last
                    // half hour from Prometheus, not empty.
                    for p in live.backfill(now).await {
                        tracing::warn!("chart history from {}: {}", p.source, p.message);
                    }
                }
            }
            // Poked: the log moved (another laptop's events pulled) or sync changed; say so now,
            // without cycling ahead of time.
            let poked = match schedule.as_ref().filter(|s| !s.done) {
                Some(s) if s.next > now => tokio::select! {
                    () = clock.sleep_until(s.next) => false,
                    () = self.woken() => continue,
                    () = self.inner.poke.notified() => true,
                },
                Some(_) => false,
                // The log is written in real time by others: watched on the real clock, so a
                // clock that jumps when slept on does not spin here.
                None => tokio::select! {
                    () = tokio::time::sleep(LOG_WATCH) => true,
                    () = self.woken() => continue,
                    () = self.inner.poke.notified() => true,
                },
            };
            let flow = match schedule.as_mut().filter(|s| !s.done && !poked) {
                Some(s) => {
                    // A drill's instant is its tick's; live sources' is when the cycle starts.
                    let at = if s.feed.started().is_some() { s.next } else { clock.now() };
                    let update = self.cycle_with(&s.feed, at).await;
                    if let Ok(u) = &update {
                        s.done = u.finished;
                    }
                    s.advance(at, clock.now());
                    on_update(update)
                }
                None => match self.log_moved() {
                    Ok(log_changed) => {
                        let sync_changed = self.sync_moved();
                        if log_changed || sync_changed {
                            on_update(Ok(Update {
                                at: clock.now(),
                                log_changed,
                                sync_changed,
                                ..Update::default()
                            }))
                        } else {
                            Flow::Continue
                        }
                    }
                    Err(e) => on_update(Err(e)),
                },
            };
            if flow == Flow::Stop {
                return;
            }
        }
    }
}
