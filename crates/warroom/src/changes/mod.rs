//! What changed: deploys, restarts, config reloads, commits, rollouts and cluster events found in
//! an incident's look-back window (from `change_lookback_minutes` before the declaration to now),
//! written on the incident once each (`change_seen`), and ranked by how close they are to what
//! broke ([`rank`]).
//!
//! Sources ([`ChangeSource`], `[[changes]]` in warroom.toml): the history of a Prometheus
//! ([`prometheus`]: a version label flipping, a process start time jumping, a config reload), a
//! local git repository ([`git`]: commits touching a node's paths), a Kubernetes namespace
//! ([`kubernetes`]: Deployments' rollouts and the namespace's events) and GitHub's Deployments API
//! ([`github`]). Each reads only what lies in the window, so changes made before warroom started
//! are found, and each change carries a key that names it in its source: finding it again writes
//! nothing.

mod config;
pub mod git;
pub mod github;
pub mod kubernetes;
pub mod prometheus;
pub mod rank;

use std::collections::BTreeSet;
use std::time::Duration;

use chrono::{DateTime, Utc};

pub(crate) use config::ChangesEntry;
pub use config::{ChangeSource, ChangeSourceKind, DEFAULT_LOOKBACK};
pub use rank::{Evidence, RankedChange, Suspects, ranked, recorded};

use crate::config::SourceConfig;
use crate::model::{Change, Event, EventKind};
use crate::ops::{self, Actor, OpsError};
use crate::store::Store;

/// The instants changes are looked for between.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

impl Window {
    /// From `lookback` before `declared` to `now`.
    pub fn of(declared: DateTime<Utc>, lookback: Duration, now: DateTime<Utc>) -> Window {
        let back = chrono::Duration::from_std(lookback).unwrap_or(chrono::Duration::hours(2));
        Window { from: declared - back, to: now.max(declared) }
    }

    pub fn contains(&self, at: DateTime<Utc>) -> bool {
        self.from <= at && at <= self.to
    }
}

/// A change source that could not be read, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("change source '{source_name}': {message}")]
pub struct ChangeError {
    pub source_name: String,
    pub message: String,
}

impl ChangeError {
    pub(crate) fn new(source: &str, message: impl std::fmt::Display) -> ChangeError {
        ChangeError { source_name: source.to_owned(), message: message.to_string() }
    }
}

/// The changes `source` knows of in `window`. `sources` are the configured `[[source]]`s (a
/// Prometheus change source asks one of them).
///
/// # Errors
/// [`ChangeError`] naming the source: unreachable, refused, or an answer that is not the API's.
pub async fn find(
    source: &ChangeSource,
    sources: &[SourceConfig],
    window: Window,
) -> Result<Vec<Change>, ChangeError> {
    let mut found = match &source.kind {
        ChangeSourceKind::Prometheus { .. } => prometheus::changes(source, sources, window).await?,
        ChangeSourceKind::Git { repo, paths } => {
            git::changes(&source.name, repo, paths, window, source.timeout).await?
        }
        ChangeSourceKind::Kubernetes { .. } => kubernetes::changes(source, window).await?,
        ChangeSourceKind::Github { .. } => github::changes(source, window).await?,
    };
    found.retain(|c| window.contains(c.at));
    found.sort_by(|a, b| a.at.cmp(&b.at).then(a.key.cmp(&b.key)));
    found.dedup_by(|a, b| a.key == b.key);
    Ok(found)
}

/// The tag of the events that record a change seen.
pub(crate) const SEEN: &str = "change_seen";

/// Writes on incident `id` the changes not yet recorded there (by source and key), dated when
/// each happened; returns the events written.
///
/// # Errors
/// The log's error; what was written before it stays written.
pub fn record(
    log: &mut Store,
    actor: &Actor,
    id: ulid::Ulid,
    changes: &[Change],
) -> Result<Vec<Event>, OpsError> {
    let events = log.events_of_kind(id, SEEN)?;
    let mut known: BTreeSet<(String, String)> =
        recorded(&events).into_iter().map(|c| (c.source, c.key)).collect();
    let new: Vec<(DateTime<Utc>, EventKind)> = changes
        .iter()
        .filter(|c| known.insert((c.source.clone(), c.key.clone())))
        .map(|c| (c.at.min(actor.now), EventKind::ChangeSeen { change: c.clone() }))
        .collect();
    if new.is_empty() {
        return Ok(Vec::new());
    }
    ops::record_all_at(log, actor, id, new)
}

/// How a call failed before the API answered, named by its path.
pub(crate) fn unreachable(path: &str, timeout: Duration, e: reqwest::Error) -> String {
    if e.is_timeout() {
        return format!("{path}: no answer within {} s", timeout.as_secs_f64());
    }
    let e = e.without_url();
    let mut text = format!("{path}: {e}");
    let mut cause = std::error::Error::source(&e);
    while let Some(c) = cause {
        text.push_str(": ");
        text.push_str(&c.to_string());
        cause = c.source();
    }
    text
}

/// The `Authorization: Bearer …` header for a token named in the configuration, marked
/// sensitive (never logged).
pub(crate) fn bearer(secret: &crate::config::SecretRef) -> Result<reqwest::header::HeaderValue, String> {
    let token = secret.resolve().map_err(|e| format!("token: {e}"))?;
    let mut value = reqwest::header::HeaderValue::from_str(&format!("Bearer {}", token.trim()))
        .map_err(|_| format!("token ({secret}): not a valid header value"))?;
    value.set_sensitive(true);
    Ok(value)
}

#[cfg(test)]
mod tests {
    use crate::model::{Change, ChangeKind, EventKind};

    /// What changed is read back from the log by this tag: it is the tag the log stores.
    #[test]
    fn seen_is_the_tag_a_change_seen_event_is_stored_under() {
        let change = Change {
            at: chrono::Utc::now(),
            node: "order-service".into(),
            kind: ChangeKind::Deploy,
            summary: "2.15.0".into(),
            from: None,
            to: None,
            source: "git".into(),
            by: None,
            key: "abc".into(),
        };
        assert_eq!(EventKind::ChangeSeen { change }.tag(), super::SEEN);
    }
}
