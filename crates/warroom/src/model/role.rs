//! The roles of an incident response: who commands, who operates, who talks, who writes.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::ParseError;

/// A responder role. Each role is held by one person's name at a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(any(test, feature = "ts"), derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// Incident commander: owns the response and its decisions.
    Commander,
    /// Operations lead: hands on the systems.
    OperationsLead,
    /// Communications lead: status updates to users and stakeholders.
    CommunicationsLead,
    /// Scribe: keeps the timeline.
    Scribe,
}

impl Role {
    /// Every role, in the order the window shows them.
    pub const ALL: [Role; 4] =
        [Role::Commander, Role::OperationsLead, Role::CommunicationsLead, Role::Scribe];

    /// The kebab-case name used in the CLI and the database.
    pub fn name(self) -> &'static str {
        match self {
            Role::Commander => "commander",
            Role::OperationsLead => "operations-lead",
            Role::CommunicationsLead => "communications-lead",
            Role::Scribe => "scribe",
        }
    }

    /// Other accepted spellings: the usual short forms.
    pub fn aliases(self) -> &'static [&'static str] {
        match self {
            Role::Commander => &["ic", "incident-commander"],
            Role::OperationsLead => &["ops", "ops-lead", "operations"],
            Role::CommunicationsLead => &["comms", "comms-lead", "communications"],
            Role::Scribe => &[],
        }
    }

    /// The title shown to people.
    pub fn title(self) -> &'static str {
        match self {
            Role::Commander => "Incident commander",
            Role::OperationsLead => "Operations lead",
            Role::CommunicationsLead => "Communications lead",
            Role::Scribe => "Scribe",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Role {
    type Err = ParseError;

    /// Accepts the names and their [`Role::aliases`], in any case, `_` for `-`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let lower = s.trim().to_ascii_lowercase().replace('_', "-");
        Role::ALL
            .into_iter()
            .find(|r| r.name() == lower || r.aliases().contains(&lower.as_str()))
            .ok_or_else(|| ParseError::new("role", s, &Role::ALL.map(Role::name)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_short_forms_parse() {
        for role in Role::ALL {
            assert_eq!(role.name().parse::<Role>(), Ok(role));
        }
        assert_eq!("IC".parse::<Role>(), Ok(Role::Commander));
        assert_eq!("comms".parse::<Role>(), Ok(Role::CommunicationsLead));
        assert_eq!("operations_lead".parse::<Role>(), Ok(Role::OperationsLead));
        assert!("boss".parse::<Role>().unwrap_err().to_string().contains("commander, operations-lead"));
    }
}
