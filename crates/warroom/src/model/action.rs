//! Action items: what the team will do so it does not happen again, with an owner and a due date.
//!
//! Each edit is an `action_item_set` event holding the item as it now is; the fold keeps the
//! latest per id, so the history of an item is its events.

use std::str::FromStr;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::ParseError;

/// What an action item is for (PagerDuty's and Google SRE's kinds).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(any(test, feature = "ts"), derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "snake_case")]
pub enum ActionKind {
    /// Makes the next one hurt less (faster detection, a faster fix).
    Mitigate,
    /// Keeps it from happening again.
    Prevent,
    /// Changes how the team works (runbooks, on-call, reviews).
    Process,
}

/// Where an action item stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(any(test, feature = "ts"), derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "snake_case")]
pub enum ActionStatus {
    Open,
    InProgress,
    Done,
}

/// One action item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(any(test, feature = "ts"), derive(ts_rs::TS), ts(export))]
pub struct ActionItem {
    /// What people call it: "A1", "A2", ... in the order the items were added (given by the
    /// fold, so two logs merged number their items anew, never one over the other).
    pub id: String,
    /// What identifies it for good: the id of the event that added it.
    #[serde(default)]
    pub key: String,
    pub title: String,
    pub kind: ActionKind,
    pub owner: Option<String>,
    /// A ticket id or URL in the team's tracker.
    pub ticket: Option<String>,
    pub status: ActionStatus,
    pub due: Option<NaiveDate>,
}

impl ActionKind {
    pub const ALL: [ActionKind; 3] = [ActionKind::Mitigate, ActionKind::Prevent, ActionKind::Process];

    /// The snake_case name.
    pub fn name(self) -> &'static str {
        match self {
            ActionKind::Mitigate => "mitigate",
            ActionKind::Prevent => "prevent",
            ActionKind::Process => "process",
        }
    }
}

impl ActionStatus {
    pub const ALL: [ActionStatus; 3] = [ActionStatus::Open, ActionStatus::InProgress, ActionStatus::Done];

    /// The snake_case name.
    pub fn name(self) -> &'static str {
        match self {
            ActionStatus::Open => "open",
            ActionStatus::InProgress => "in_progress",
            ActionStatus::Done => "done",
        }
    }
}

impl FromStr for ActionKind {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let given = s.trim().to_ascii_lowercase();
        ActionKind::ALL
            .into_iter()
            .find(|k| k.name() == given)
            .ok_or_else(|| ParseError::new("action type", s, &ActionKind::ALL.map(ActionKind::name)))
    }
}

impl FromStr for ActionStatus {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let given = s.trim().to_ascii_lowercase().replace(['-', ' '], "_");
        ActionStatus::ALL
            .into_iter()
            .find(|k| k.name() == given)
            .ok_or_else(|| ParseError::new("action status", s, &ActionStatus::ALL.map(ActionStatus::name)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_and_statuses_parse_their_names_and_say_what_is_accepted() {
        assert_eq!("Prevent".parse::<ActionKind>(), Ok(ActionKind::Prevent));
        assert_eq!("in-progress".parse::<ActionStatus>(), Ok(ActionStatus::InProgress));
        let err = "later".parse::<ActionStatus>().unwrap_err().to_string();
        assert_eq!(err, "unknown action status 'later': expected one of open, in_progress, done");
    }
}
