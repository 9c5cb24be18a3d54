//! Incident severity, SEV1 (critical) to SEV4 (minor).
//!
//! The meanings follow the usual industry scale (PagerDuty, Atlassian); they are shown in the
//! CLI's help and the window so that responders agree on what a number means.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::ParseError;

/// How bad an incident is. `Sev1` is the worst; ordering follows urgency (`Sev1 < Sev2`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(any(test, feature = "ts"), derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "UPPERCASE")]
pub enum Severity {
    /// Critical: the service is down or data is being lost for many users.
    Sev1,
    /// Major: a core function is broken or badly degraded for a significant share of users.
    Sev2,
    /// Minor: a partial degradation with a workaround, or a small share of users affected.
    Sev3,
    /// Low: cosmetic or internal impact, no urgency for customers.
    Sev4,
}

impl Severity {
    /// Every severity, worst first.
    pub const ALL: [Severity; 4] = [Severity::Sev1, Severity::Sev2, Severity::Sev3, Severity::Sev4];

    /// The name used everywhere: "SEV1" .. "SEV4".
    pub fn name(self) -> &'static str {
        match self {
            Severity::Sev1 => "SEV1",
            Severity::Sev2 => "SEV2",
            Severity::Sev3 => "SEV3",
            Severity::Sev4 => "SEV4",
        }
    }

    /// What the level means, in one line.
    pub fn meaning(self) -> &'static str {
        match self {
            Severity::Sev1 => "critical: service down or data loss for many users",
            Severity::Sev2 => "major: a core function broken or badly degraded for many users",
            Severity::Sev3 => "minor: partial degradation with a workaround, or few users affected",
            Severity::Sev4 => "low: cosmetic or internal impact, no customer urgency",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Severity {
    type Err = ParseError;

    /// Accepts "SEV2", "sev2", "Sev2" and the bare digit "2".
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let upper = s.trim().to_ascii_uppercase();
        let name = if upper.len() == 1 { format!("SEV{upper}") } else { upper };
        Severity::ALL
            .into_iter()
            .find(|sev| sev.name() == name)
            .ok_or_else(|| ParseError::new("severity", s, &Severity::ALL.map(Severity::name)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_any_case_and_bare_digits() {
        assert_eq!("sev1".parse::<Severity>(), Ok(Severity::Sev1));
        assert_eq!("SEV4".parse::<Severity>(), Ok(Severity::Sev4));
        assert_eq!("3".parse::<Severity>(), Ok(Severity::Sev3));
        assert!(Severity::Sev1 < Severity::Sev2);
    }

    #[test]
    fn rejects_unknown_levels_with_the_accepted_ones() {
        let err = "SEV5".parse::<Severity>().unwrap_err();
        assert_eq!(err.to_string(), "unknown severity 'SEV5': expected one of SEV1, SEV2, SEV3, SEV4");
        assert!("".parse::<Severity>().is_err());
    }

    #[test]
    fn serialises_as_the_upper_case_name() {
        assert_eq!(serde_json::to_string(&Severity::Sev2).unwrap(), "\"SEV2\"");
    }
}
