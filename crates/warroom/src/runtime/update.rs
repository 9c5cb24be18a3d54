//! What a cycle changed ([`Update`]), and the situation a window draws ([`Situation`]).

use chrono::{DateTime, Utc};
use serde::Serialize;
use ulid::Ulid;

use super::{CheckOutcome, FeedStatus};
use crate::model::{Alert, Event};
use crate::monitor::{GraphView, HealthChange};
use crate::notify::Notification;
use crate::topology::BlastRadius;

/// What one cycle changed.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[cfg_attr(any(test, feature = "ts"), derive(ts_rs::TS), ts(export))]
pub struct Update {
    /// The instant the cycle ran as of.
    pub at: DateTime<Utc>,
    /// Nodes whose health changed.
    pub health: Vec<HealthChange>,
    /// Alerts that started firing.
    pub fired: Vec<Alert>,
    /// Alerts that stopped firing.
    pub resolved: Vec<Alert>,
    /// The blast radius after the cycle; `None` when nothing feeds the runtime.
    pub blast: Option<BlastRadius>,
    /// Runbook checks whose outcome changed (each recorded on its incident).
    pub checks: Vec<CheckOutcome>,
    /// The events the cycle recorded on the incident being recorded.
    pub events: Vec<Event>,
    /// The desktop notification to show now, if any.
    pub notification: Option<Notification>,
    /// The log moved by another hand since the last cycle (a command, another process).
    pub log_changed: bool,
    /// The drill has played to its end.
    pub finished: bool,
    /// Where sync stands changed (connected, offline, events waiting, who is here).
    pub sync_changed: bool,
}

impl Update {
    /// Whether the cycle changed nothing anyone needs to hear of (the blast radius is state,
    /// not a change).
    pub fn is_empty(&self) -> bool {
        self.health.is_empty()
            && self.fired.is_empty()
            && self.resolved.is_empty()
            && self.checks.is_empty()
            && self.events.is_empty()
            && self.notification.is_none()
            && !self.log_changed
            && !self.sync_changed
    }

    /// Folds a later update into this one: changes add up, state is the later one's. A window
    /// that is pushed updates at most a few times a second merges those in between.
    pub fn merge(&mut self, later: Update) {
        self.at = later.at;
        self.health.extend(later.health);
        self.fired.extend(later.fired);
        self.resolved.extend(later.resolved);
        self.blast = later.blast.or(self.blast.take());
        self.checks.extend(later.checks);
        self.events.extend(later.events);
        self.notification = later.notification.or(self.notification.take());
        self.log_changed |= later.log_changed;
        self.sync_changed |= later.sync_changed;
        self.finished = later.finished;
    }
}

/// A desktop notification as it was shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(any(test, feature = "ts"), derive(ts_rs::TS), ts(export))]
pub struct Shown {
    pub title: String,
    pub body: String,
    pub at: DateTime<Utc>,
}

/// Desktop notifications: muted or not, and the last one shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(any(test, feature = "ts"), derive(ts_rs::TS), ts(export))]
pub struct NotificationStatus {
    pub muted: bool,
    pub last: Option<Shown>,
}

/// What a window draws of the feed now: its status, the graph with every value's age, the
/// incident being recorded on, the notifications.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(any(test, feature = "ts"), derive(ts_rs::TS), ts(export))]
pub struct Situation {
    pub at: DateTime<Utc>,
    pub feed: FeedStatus,
    /// `None` when nothing feeds the runtime.
    pub view: Option<GraphView>,
    #[cfg_attr(any(test, feature = "ts"), ts(type = "string | null"))]
    pub recording: Option<Ulid>,
    /// Since when users have seen the outage (`view.outage`), if they do.
    pub outage_since: Option<DateTime<Utc>>,
    pub notifications: NotificationStatus,
    /// Where team sync stands; `None` when this laptop syncs with no hub.
    pub sync: Option<crate::sync::SyncStatus>,
}

/// What would break if some nodes failed: the blast radius, and what users would see.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(any(test, feature = "ts"), derive(ts_rs::TS), ts(export))]
pub struct WhatIf {
    pub blast: BlastRadius,
    pub outage: Option<crate::topology::Outage>,
}

/// What a window is pushed after a cycle (or a few, merged): what changed and the situation
/// after it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(any(test, feature = "ts"), derive(ts_rs::TS), ts(export))]
pub struct Broadcast {
    pub update: Update,
    pub situation: Situation,
}
