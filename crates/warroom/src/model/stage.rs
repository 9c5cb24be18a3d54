//! The five response stages of the seeds (document 002): detect, identify, isolate, recover,
//! analyze (root-cause analysis).
//!
//! Stages are ordered, but an incident may go back to an earlier one (a fix that did not hold
//! sends the team from recover back to identify); the timeline records every entry.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::ParseError;

/// One of the five response stages, in their natural order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(any(test, feature = "ts"), derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// Notice that something is wrong (an alert, a user report, a dashboard).
    Detect,
    /// Find what is failing and how far it reaches.
    Identify,
    /// Contain it: stop the spread (drain, fail over, shed load, turn off a feature).
    Isolate,
    /// Restore service (roll back, restart, scale, restore data).
    Recover,
    /// Root-cause analysis: why it happened and what prevents it next time.
    Analyze,
}

impl Stage {
    /// Every stage, in order.
    pub const ALL: [Stage; 5] =
        [Stage::Detect, Stage::Identify, Stage::Isolate, Stage::Recover, Stage::Analyze];

    /// The lower-case name used in the CLI, the database and the UI.
    pub fn name(self) -> &'static str {
        match self {
            Stage::Detect => "detect",
            Stage::Identify => "identify",
            Stage::Isolate => "isolate",
            Stage::Recover => "recover",
            Stage::Analyze => "analyze",
        }
    }

    /// One line saying what the stage is for, shown in help.
    pub fn meaning(self) -> &'static str {
        match self {
            Stage::Detect => "notice that something is wrong",
            Stage::Identify => "find what is failing and how far it reaches",
            Stage::Isolate => "contain it and stop the spread",
            Stage::Recover => "restore service",
            Stage::Analyze => "root-cause analysis and prevention",
        }
    }

    /// Other accepted spellings.
    pub fn aliases(self) -> &'static [&'static str] {
        match self {
            Stage::Analyze => &["rca", "root-cause", "analysis"],
            _ => &[],
        }
    }

    /// The stage after this one, if any.
    pub fn next(self) -> Option<Stage> {
        let i = Stage::ALL.iter().position(|s| *s == self)?;
        Stage::ALL.get(i + 1).copied()
    }
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Stage {
    type Err = ParseError;

    /// Accepts the stage names and their [`Stage::aliases`] in any case.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let lower = s.trim().to_ascii_lowercase();
        Stage::ALL
            .into_iter()
            .find(|st| st.name() == lower || st.aliases().contains(&lower.as_str()))
            .ok_or_else(|| ParseError::new("stage", s, &Stage::ALL.map(Stage::name)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_order_is_the_seeds() {
        for stage in Stage::ALL {
            assert_eq!(stage.name().parse::<Stage>(), Ok(stage));
        }
        assert!(Stage::Detect < Stage::Identify && Stage::Recover < Stage::Analyze);
        assert_eq!(Stage::Recover.next(), Some(Stage::Analyze));
        assert_eq!(Stage::Analyze.next(), None);
        assert_eq!("RCA".parse::<Stage>(), Ok(Stage::Analyze));
    }

    #[test]
    fn an_unknown_stage_names_the_accepted_ones() {
        let err = "fix".parse::<Stage>().unwrap_err();
        assert_eq!(
            err.to_string(),
            "unknown stage 'fix': expected one of detect, identify, isolate, recover, analyze"
        );
    }
}
