//! Stakeholder updates: what the communications lead tells responders, executives and customers,
//! to whom, through which channel, and whether it arrived.
//!
//! An update is queued (an `update_queued` event: its text as sent, its audience, one channel)
//! before anything is sent; the outbox then delivers it and records `update_sent`, or
//! `update_failed` when the channel refuses it for good. The fold keeps each update with its
//! state, so every laptop of the team sees the same outbox.

use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::ParseError;

/// Who an update is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(any(test, feature = "ts"), derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "snake_case")]
pub enum Audience {
    /// The people working the incident: tactical detail.
    Responders,
    /// Executives: impact, when it will be over, decisions needed.
    Exec,
    /// Customers: plain words, no internal names.
    Public,
}

impl Audience {
    pub const ALL: [Audience; 3] = [Audience::Responders, Audience::Exec, Audience::Public];

    /// The snake_case name.
    pub fn name(self) -> &'static str {
        match self {
            Audience::Responders => "responders",
            Audience::Exec => "exec",
            Audience::Public => "public",
        }
    }

    /// What the audience needs, in a few words.
    pub fn meaning(self) -> &'static str {
        match self {
            Audience::Responders => "the people working the incident: tactical detail, next steps",
            Audience::Exec => "executives: impact, expected end, decisions needed",
            Audience::Public => "customers: plain words, no internal names",
        }
    }
}

impl std::fmt::Display for Audience {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Audience {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Audience::ALL
            .into_iter()
            .find(|a| a.name().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| ParseError::new("audience", s, &Audience::ALL.map(Audience::name)))
    }
}

/// Where an update stands on its channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(any(test, feature = "ts"), derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "snake_case")]
pub enum UpdateState {
    /// Written to the outbox, not delivered yet (never tried, or tried and to be tried again).
    Queued,
    Sent,
    /// The channel refused it for good (a wrong address, a revoked key): it will not be retried.
    Failed,
}

impl UpdateState {
    /// The snake_case name.
    pub fn name(self) -> &'static str {
        match self {
            UpdateState::Queued => "queued",
            UpdateState::Sent => "sent",
            UpdateState::Failed => "failed",
        }
    }
}

/// One update to one channel, as the incident's events add up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(any(test, feature = "ts"), derive(ts_rs::TS), ts(export))]
pub struct StakeholderUpdate {
    /// The update's id: also its idempotency key on the channel.
    pub id: String,
    pub audience: Audience,
    /// The configured channel's name.
    pub channel: String,
    /// A subject line (the email's, the status page incident's name).
    pub subject: String,
    /// What was sent, exactly.
    pub text: String,
    pub queued_at: DateTime<Utc>,
    pub by: Option<String>,
    /// The laptop whose outbox sends it.
    pub device: String,
    pub state: UpdateState,
    pub sent_at: Option<DateTime<Utc>>,
    /// Why it failed for good.
    pub error: Option<String>,
    /// What the channel calls it (a status page incident's id), once sent.
    pub remote: Option<String>,
}
