//! What feeds the runtime: a drill, or the sources a configuration names.
//!
//! Both answer the same questions (poll as of `now`, the monitor behind it, how often to cycle,
//! how a runbook check's query is answered), so nothing past this file asks which one it is.
//! A drill cycles on its scenario's ticks (`tick_secs / speed` apart, every tick, late ones run
//! at once), so the same scenario, seed and speed give the same events wherever it runs; live
//! sources cycle once per configured interval.

use std::sync::{Arc, Mutex, MutexGuard};

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::RuntimeError;
use crate::checks::{self, Observed, Plan};
use crate::config::Config;
use crate::live::Live;
use crate::monitor::{Changes, Monitor};
use crate::rehearsal::Rehearsal;
use crate::sources::http::EndpointStatus;
use crate::sources::statuspage;

/// A drill or the configured sources.
pub enum Feed {
    Drill(Mutex<Rehearsal>),
    Live { live: Live, config: Arc<Config> },
}

/// What the window says about a drill.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(any(test, feature = "ts"), derive(ts_rs::TS), ts(export))]
pub struct DrillStatus {
    pub scenario: String,
    pub title: String,
    pub summary: String,
    pub speed: f64,
    #[cfg_attr(any(test, feature = "ts"), ts(type = "number"))]
    pub seed: u64,
    /// Where the scenario is, seconds.
    pub scenario_secs: f64,
    pub duration_secs: f64,
    pub finished: bool,
    /// When it started (wall clock).
    pub started: DateTime<Utc>,
}

/// What feeds the runtime, as the window's status bar says it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(any(test, feature = "ts"), derive(ts_rs::TS), ts(export))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FeedStatus {
    /// Nothing: no drill, no configured source.
    None,
    Drill(DrillStatus),
    Live {
        /// Every source's state: breaker, last success, failing since, last error.
        sources: Vec<EndpointStatus>,
        /// Incidents the providers' status pages declare ("is it us or is it them?").
        provider_incidents: Vec<statuspage::Incident>,
        /// One cycle every this many seconds.
        interval_secs: f64,
    },
}

impl Feed {
    /// Polls as of `now`: steps the drill, or asks every source (the monitor is not locked
    /// while the network answers).
    ///
    /// # Errors
    /// None today: a drill always answers and live sources' failures are in their status.
    pub async fn poll(&self, now: DateTime<Utc>) -> Result<Changes, RuntimeError> {
        match self {
            Feed::Drill(drill) => Ok(lock(drill).step(now)),
            Feed::Live { live, .. } => Ok(live.cycle(now).await),
        }
    }

    /// Runs `f` with the monitor behind the feed, locked for as long as `f` runs.
    pub fn with_monitor<T>(&self, f: impl FnOnce(&Monitor) -> T) -> T {
        match self {
            Feed::Drill(drill) => f(lock(drill).monitor()),
            Feed::Live { live, .. } => f(&live.monitor()),
        }
    }

    /// How long between two cycles.
    pub fn period(&self) -> std::time::Duration {
        match self {
            Feed::Drill(drill) => {
                let drill = lock(drill);
                let secs = drill.scenario().tick_secs.max(0.1) / drill.speed;
                std::time::Duration::from_micros((secs * 1e6).round().clamp(1.0, 3.6e9) as u64)
            }
            Feed::Live { live, .. } => live.interval,
        }
    }

    /// When a drill started (its cycles are due from then on, one per [`Feed::period`]).
    pub fn started(&self) -> Option<DateTime<Utc>> {
        match self {
            Feed::Drill(drill) => Some(lock(drill).started()),
            Feed::Live { .. } => None,
        }
    }

    /// Whether there is nothing more to poll: a drill played to its end.
    pub fn finished(&self, now: DateTime<Utc>) -> bool {
        match self {
            Feed::Drill(drill) => lock(drill).finished(now),
            Feed::Live { .. } => false,
        }
    }

    /// Who writes what this feed records: "drill" or "live".
    pub fn origin(&self) -> &'static str {
        match self {
            Feed::Drill(_) => "drill",
            Feed::Live { .. } => "live",
        }
    }

    /// The configuration of live sources, if that is what feeds.
    pub fn config(&self) -> Option<&Arc<Config>> {
        match self {
            Feed::Drill(_) => None,
            Feed::Live { config, .. } => Some(config),
        }
    }

    /// The live sources, if that is what feeds.
    pub fn live(&self) -> Option<&Live> {
        match self {
            Feed::Drill(_) => None,
            Feed::Live { live, .. } => Some(live),
        }
    }

    /// The feed in a few words, for the timeline ("drill db-pool-exhaustion ×4, seed 1",
    /// "live sources: prom, am").
    pub fn describe(&self) -> String {
        match self {
            Feed::Drill(drill) => {
                let drill = lock(drill);
                format!("drill {} ×{}, seed {}", drill.scenario().name, drill.speed, drill.seed)
            }
            Feed::Live { config, .. } => {
                let names: Vec<&str> = config.sources.iter().map(|s| s.name.as_str()).collect();
                format!("live sources: {}", names.join(", "))
            }
        }
    }

    /// The status bar's account of the feed as of `now`.
    pub fn status(&self, now: DateTime<Utc>) -> FeedStatus {
        match self {
            Feed::Drill(drill) => {
                let drill = lock(drill);
                let scenario = drill.scenario();
                FeedStatus::Drill(DrillStatus {
                    scenario: scenario.name.clone(),
                    title: scenario.title.clone(),
                    summary: scenario.summary.clone(),
                    speed: drill.speed,
                    seed: drill.seed,
                    scenario_secs: drill.scenario_time(now),
                    duration_secs: scenario.duration_secs,
                    finished: drill.finished(now),
                    started: drill.started(),
                })
            }
            Feed::Live { live, .. } => FeedStatus::Live {
                sources: live.sources(),
                provider_incidents: live.provider_incidents(),
                interval_secs: live.interval.as_secs_f64(),
            },
        }
    }

    /// The status-page incidents the last cycle saw (none for a drill).
    pub fn provider_incidents(&self) -> Vec<statuspage::Incident> {
        self.live().map(Live::provider_incidents).unwrap_or_default()
    }

    /// The drill's scripted changes due by `now` (none for live sources: their changes come from
    /// the change sources).
    pub fn drill_changes(&self, now: DateTime<Utc>) -> Vec<crate::model::Change> {
        match self {
            Feed::Drill(drill) => lock(drill).changes(now),
            Feed::Live { .. } => Vec::new(),
        }
    }

    /// The sources' states (none for a drill).
    pub fn sources(&self) -> Vec<EndpointStatus> {
        self.live().map(Live::sources).unwrap_or_default()
    }

    /// Answers runbook checks' plans, in order: warroom's own signals from the monitor, other
    /// PromQL from the configured Prometheus (a drill answers only its signals).
    pub async fn observe(&self, plans: &[&Plan], now: DateTime<Utc>) -> Vec<Observed> {
        let mut out = Vec::with_capacity(plans.len());
        for plan in plans {
            out.push(match plan {
                Plan::Monitor(signal) => self.with_monitor(|m| checks::from_monitor(signal, m, now)),
                Plan::Prometheus(query) => match self {
                    Feed::Drill(_) => {
                        Observed::Nothing("a drill answers only warroom's signals, not PromQL".to_owned())
                    }
                    Feed::Live { live, .. } => match live.scalar(query, now).await {
                        Ok((value, at)) => Observed::Value(value, at),
                        Err(why) => Observed::Nothing(why),
                    },
                },
            });
        }
        out
    }
}

/// Starts a drill at `now`.
///
/// # Errors
/// [`RuntimeError::Drill`] for an unknown scenario, [`RuntimeError::InvalidSpeed`].
pub fn drill(name: &str, seed: u64, speed: f64, now: DateTime<Utc>) -> Result<Feed, RuntimeError> {
    if !(speed.is_finite() && speed > 0.0 && speed <= MAX_SPEED) {
        return Err(RuntimeError::InvalidSpeed(speed));
    }
    Ok(Feed::Drill(Mutex::new(Rehearsal::start(name, seed, speed, now)?)))
}

/// The fastest a drill may run (a 20-minute scenario in an eighth of a second).
pub const MAX_SPEED: f64 = 10_000.0;

/// Sets up the sources a configuration names.
///
/// # Errors
/// [`RuntimeError::Live`] naming what is wrong (the topology, a secret, a source).
pub fn live(config: Config) -> Result<Feed, RuntimeError> {
    let live = Live::start(&config)?;
    Ok(Feed::Live { live, config: Arc::new(config) })
}

/// A drill's lock. A step that panicked left nothing half-done worth refusing for: the
/// simulation is a pure function of time, so the next step is whole again.
fn lock(drill: &Mutex<Rehearsal>) -> MutexGuard<'_, Rehearsal> {
    drill.lock().unwrap_or_else(|p| p.into_inner())
}
