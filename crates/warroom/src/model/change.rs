//! Changes to the infrastructure: deploys, restarts, config reloads, commits, rollouts, cluster
//! events. Most outages follow one; "what changed?" is the identify stage's first question.
//!
//! A change is written on the incident it may explain (a `change_seen` event) once, when a change
//! source finds it in the look-back window: the evidence then outlives the sources' own retention
//! (Kubernetes forgets its events within about an hour) and replays offline.

use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::ParseError;

/// What kind of change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(any(test, feature = "ts"), derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    /// A new version running (a build label changed, a GitHub deployment).
    Deploy,
    /// A process started again.
    Restart,
    /// A configuration reloaded.
    Config,
    /// A commit touching the node's files in a repository.
    Commit,
    /// A Kubernetes Deployment's new revision (a new ReplicaSet).
    Rollout,
    /// A Kubernetes event (a back-off, a kill, a failed scheduling).
    K8sEvent,
}

impl ChangeKind {
    pub const ALL: [ChangeKind; 6] = [
        ChangeKind::Deploy,
        ChangeKind::Restart,
        ChangeKind::Config,
        ChangeKind::Commit,
        ChangeKind::Rollout,
        ChangeKind::K8sEvent,
    ];

    /// The name the CLI and the JSON use.
    pub fn name(self) -> &'static str {
        match self {
            ChangeKind::Deploy => "deploy",
            ChangeKind::Restart => "restart",
            ChangeKind::Config => "config",
            ChangeKind::Commit => "commit",
            ChangeKind::Rollout => "rollout",
            ChangeKind::K8sEvent => "k8s_event",
        }
    }

    /// The past tense a reason uses ("deployed to order-service").
    pub fn verb(self) -> &'static str {
        match self {
            ChangeKind::Deploy => "deployed to",
            ChangeKind::Restart => "restarted",
            ChangeKind::Config => "config reloaded on",
            ChangeKind::Commit => "committed to",
            ChangeKind::Rollout => "rolled out to",
            ChangeKind::K8sEvent => "cluster event on",
        }
    }
}

impl std::fmt::Display for ChangeKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for ChangeKind {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<ChangeKind, ParseError> {
        ChangeKind::ALL
            .into_iter()
            .find(|k| k.name() == s)
            .ok_or_else(|| ParseError::new("change kind", s, &ChangeKind::ALL.map(ChangeKind::name)))
    }
}

/// One change, as a source found it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(any(test, feature = "ts"), derive(ts_rs::TS), ts(export))]
pub struct Change {
    /// When it happened (the source's time, not when it was found).
    pub at: DateTime<Utc>,
    /// The node it changed (an id of the topology).
    pub node: String,
    pub kind: ChangeKind,
    /// In words: "order-service 2.14.0 → 2.15.0: lower the DB pool to 20".
    pub summary: String,
    /// What it was before, and after (versions, images), when the source says.
    #[serde(default)]
    pub from: Option<String>,
    #[serde(default)]
    pub to: Option<String>,
    /// The configured change source (`[[changes]] name`) that found it.
    pub source: String,
    /// Who made it, when the source says (a commit's author, a deployment's creator).
    #[serde(default)]
    pub by: Option<String>,
    /// What identifies it in its source (a commit hash, a ReplicaSet, an event's uid, ...): a
    /// change is written on an incident once per (source, key).
    pub key: String,
}

impl Change {
    /// The change as a chart marks it, live or in a postmortem: when, and its kind with what it
    /// changed to ("deploy 2.15.0").
    pub fn chart_mark(&self) -> (DateTime<Utc>, String) {
        let to: String = self
            .to
            .as_deref()
            .map(|t| format!(" {}", t.chars().take(12).collect::<String>()))
            .unwrap_or_default();
        (self.at, format!("{}{to}", self.kind.name()))
    }
}
