//! The runtime's side of "what changed": the change sources are asked beside the cycles (every
//! [`CHANGES_LOOK`], and at once when an incident is declared) for each active incident's
//! look-back window, and what is new is written on it; a drill's scripted changes are written on
//! the incident it records on as they come due. Reading is never in the cycle: a slow source
//! never holds the window.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;
use ulid::Ulid;

use super::{Clock, Feed, Runtime, RuntimeError};
use crate::changes::{self, ChangeSource, Evidence, RankedChange, Window};
use crate::config::SourceConfig;
use crate::ops::Actor;

/// How often the change sources are asked while an incident is active.
pub const CHANGES_LOOK: Duration = Duration::from_secs(30);

/// Where changes are found, and how far back.
#[derive(Debug, Clone)]
pub(super) struct ChangesSetup {
    pub sources: Vec<ChangeSource>,
    pub lookback: Duration,
    /// The configured `[[source]]`s (a Prometheus change source asks one of them).
    pub servers: Vec<SourceConfig>,
}

impl Default for ChangesSetup {
    fn default() -> ChangesSetup {
        ChangesSetup { sources: Vec::new(), lookback: changes::DEFAULT_LOOKBACK, servers: Vec::new() }
    }
}

/// What [`Runtime::changes_of`] gathered of an incident's events, and the log's position it read
/// them to.
#[derive(Debug)]
pub(super) struct ChangesRead {
    incident: Ulid,
    through: i64,
    evidence: Evidence,
}

/// Where a change source stands, as the window and `warroom changes` say it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(any(test, feature = "ts"), derive(ts_rs::TS), ts(export))]
pub struct ChangeSourceStatus {
    pub name: String,
    pub kind: String,
    /// When it last answered.
    pub last_ok: Option<DateTime<Utc>>,
    /// Why it did not, the last time.
    pub last_error: Option<String>,
    /// How many changes it found the last time it answered.
    pub found: usize,
}

impl ChangeSourceStatus {
    /// A source not asked yet.
    fn new(source: &ChangeSource) -> ChangeSourceStatus {
        ChangeSourceStatus {
            name: source.name.clone(),
            kind: source.kind.name().to_owned(),
            last_ok: None,
            last_error: None,
            found: 0,
        }
    }
}

impl Runtime {
    /// Looks for changes in these sources, `lookback` before each declaration (the
    /// configuration's `[[changes]]`, `change_lookback_minutes` and `[[source]]`s).
    pub fn use_changes(&self, sources: Vec<ChangeSource>, lookback: Duration, servers: Vec<SourceConfig>) {
        {
            let mut state = self.state();
            state.change_status.retain(|name, _| sources.iter().any(|s| s.name == *name));
            for s in &sources {
                state.change_status.entry(s.name.clone()).or_insert_with(|| ChangeSourceStatus::new(s));
            }
            state.changes = ChangesSetup { sources, lookback, servers };
        }
        self.inner.changes_wake.notify_one();
    }

    /// Where each change source stands.
    pub fn change_sources(&self) -> Vec<ChangeSourceStatus> {
        self.state().change_status.values().cloned().collect()
    }

    /// The changes recorded on incident `id`, most suspect first.
    ///
    /// # Errors
    /// The store's error.
    pub fn changes_of(&self, id: Ulid) -> Result<Vec<RankedChange>, RuntimeError> {
        // What was gathered at the last ask is taken on from where it was read to: only what was
        // written since is read (the window asks every 2 s, and a long incident read whole each
        // time held the log for every other command). Taken out of the state while the log is
        // read, so the two locks are never held together.
        let last = self.state().changes_read.take().filter(|read| read.incident == id);
        let (read_to, mut evidence) =
            last.map_or((0, Evidence::default()), |read| (read.through, read.evidence));
        let (events, through) = self.log().events_after(id, read_to)?;
        evidence.add(&events);
        let ranked = evidence.ranked();
        self.state().changes_read = Some(ChangesRead { incident: id, through, evidence });
        Ok(ranked)
    }

    /// Asks every change source about `id`'s look-back window as of `now` (or about every active
    /// incident's when `id` is `None`) and writes what is new. Returns how many changes were
    /// written. A source that fails is said in [`Runtime::change_sources`]; the others go on.
    ///
    /// # Errors
    /// The store's error.
    pub async fn gather_changes(&self, id: Option<Ulid>, now: DateTime<Utc>) -> Result<usize, RuntimeError> {
        let setup = self.state().changes.clone();
        if setup.sources.is_empty() {
            return Ok(0);
        }
        let incidents = match id {
            Some(id) => vec![id],
            None => self.log().active()?,
        };
        let actor = Actor { origin: "changes".to_owned(), by: None, now };
        let mut written = 0;
        for id in incidents {
            let declared = self.log().incident(id)?.declared_at;
            let window = Window::of(declared, setup.lookback, now);
            let mut found = Vec::new();
            for source in &setup.sources {
                let answer = changes::find(source, &setup.servers, window).await;
                let mut state = self.state();
                let status = state
                    .change_status
                    .entry(source.name.clone())
                    .or_insert_with(|| ChangeSourceStatus::new(source));
                match answer {
                    Ok(changes) => {
                        *status = ChangeSourceStatus {
                            last_ok: Some(now),
                            last_error: None,
                            found: changes.len(),
                            ..status.clone()
                        };
                        found.extend(changes);
                    }
                    Err(e) => {
                        tracing::warn!("{e}");
                        status.last_error = Some(e.message);
                    }
                }
            }
            written += changes::record(&mut self.log(), &actor, id, &found)?.len();
        }
        if written > 0 {
            self.inner.poke.notify_one();
        }
        Ok(written)
    }

    /// Asks the change sources as incidents are declared and every [`CHANGES_LOOK`] while they
    /// are active. Never returns.
    pub(super) async fn changes_loop(&self, clock: &dyn Clock) {
        loop {
            if let Err(e) = self.gather_changes(None, clock.now()).await {
                tracing::warn!("changes: {e}");
            }
            tokio::select! {
                () = tokio::time::sleep(CHANGES_LOOK) => {}
                () = self.inner.changes_wake.notified() => {}
            }
        }
    }

    /// Writes the drill's scripted changes that came due by `now` on incident `id` (each once).
    pub(super) fn record_drill_changes(
        &self,
        feed: &Feed,
        id: Ulid,
        now: DateTime<Utc>,
    ) -> Result<Vec<crate::model::Event>, RuntimeError> {
        let due = feed.drill_changes(now);
        let new: Vec<_> = {
            let state = self.state();
            due.into_iter().filter(|c| !state.drill_changes.contains(&(id, c.key.clone()))).collect()
        };
        if new.is_empty() {
            return Ok(Vec::new());
        }
        let actor = Actor { origin: "drill".to_owned(), by: None, now };
        let written = changes::record(&mut self.log(), &actor, id, &new)?;
        let mut state = self.state();
        state.drill_changes.extend(new.into_iter().map(|c| (id, c.key)));
        Ok(written)
    }
}

/// What each change source said last, by name.
pub(super) type ChangeStatus = BTreeMap<String, ChangeSourceStatus>;
