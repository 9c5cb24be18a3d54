//! Which `##` heading names which response stage.
//!
//! The stage names and their aliases as [`Stage`] parses them (any case), and more: the common
//! names for root-cause analysis, the Korean names used by the seed runbooks, and the sections of
//! the prometheus-operator runbooks (Meaning, Impact and Diagnosis are about understanding the
//! alert: identify; Mitigation is recover), so that those import without edits.

use crate::model::Stage;
use crate::text::single_spaced;

/// The headings accepted besides what [`Stage`] parses, and those of Stage's names and aliases
/// that the message about an unknown heading shows, as it shows them (matched in any case and
/// spacing); each with its stage and whether that message lists it (variants of a listed one are
/// not).
const HEADINGS: [(&str, Stage, bool); 20] = [
    ("Detect", Stage::Detect, true),
    ("Identify", Stage::Identify, true),
    ("Isolate", Stage::Isolate, true),
    ("Recover", Stage::Recover, true),
    ("Analyze", Stage::Analyze, true),
    ("Analyse", Stage::Analyze, false),
    ("Root cause analysis", Stage::Analyze, true),
    ("Root-cause analysis", Stage::Analyze, true),
    ("RCA", Stage::Analyze, true),
    ("Postmortem", Stage::Analyze, true),
    ("Meaning", Stage::Identify, true),
    ("Impact", Stage::Identify, true),
    ("Diagnosis", Stage::Identify, true),
    ("Mitigation", Stage::Recover, true),
    ("탐지", Stage::Detect, true),
    ("식별", Stage::Identify, true),
    ("격리", Stage::Isolate, true),
    ("복구", Stage::Recover, true),
    ("원인 분석", Stage::Analyze, true),
    ("원인분석", Stage::Analyze, false),
];

/// The stage a `##` heading names, if any: a stage's name or alias, else one of [`HEADINGS`].
pub(super) fn stage(heading: &str) -> Option<Stage> {
    let normal = single_spaced(heading).to_lowercase();
    normal.parse::<Stage>().ok().or_else(|| {
        HEADINGS.iter().find(|(name, _, _)| name.to_lowercase() == normal).map(|(_, stage, _)| *stage)
    })
}

/// The stage heading a heading that names none looks like a typo of (one or two letters away
/// from a name of five letters or more: `Recvoer`, `Mitigaton`, `Impacts`), if any. `Notes` or
/// `Escalation` are no stage's.
pub(super) fn close_to(heading: &str) -> Option<&'static str> {
    let normal = single_spaced(heading).to_lowercase();
    let names = HEADINGS.iter().map(|(name, _, _)| *name);
    names.filter(|name| name.chars().count() >= 5).find(|name| {
        let distance = strsim::damerau_levenshtein(&normal, &name.to_lowercase());
        distance > 0 && distance <= 2
    })
}

/// The accepted headings, for the message about an unknown one.
pub(super) fn accepted() -> String {
    let shown: Vec<String> = HEADINGS
        .iter()
        .filter(|(_, _, listed)| *listed)
        .map(|(name, stage, _)| {
            if name.to_lowercase() == stage.name() { (*name).to_owned() } else { format!("{name} ({stage})") }
        })
        .collect();
    shown.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headings_map_to_stages_in_any_case_and_spacing() {
        assert_eq!(stage("Detect"), Some(Stage::Detect));
        assert_eq!(stage("  ROOT   cause analysis "), Some(Stage::Analyze));
        assert_eq!(stage("RCA"), Some(Stage::Analyze));
        assert_eq!(stage("Mitigation"), Some(Stage::Recover));
        assert_eq!(stage("원인 분석"), Some(Stage::Analyze));
        assert_eq!(stage("Fix"), None);
        assert_eq!(close_to("Recvoer"), Some("Recover"));
        assert_eq!(close_to("mitigaton"), Some("Mitigation"));
        assert_eq!(close_to("Impacts"), Some("Impact"));
        assert_eq!(close_to("Mitigating"), Some("Mitigation"));
        for other in ["Notes", "Troubleshooting", "Escalation", "Prevention", "Warning", "Runbook"] {
            assert_eq!(close_to(other), None, "{other}");
        }
        for stage in Stage::ALL {
            assert_eq!(super::stage(stage.name()), Some(stage));
        }
    }

    #[test]
    fn the_accepted_list_names_the_stages_first() {
        let list = accepted();
        assert!(
            list.starts_with("Detect, Identify, Isolate, Recover, Analyze, Root cause analysis (analyze)"),
            "{list}"
        );
        assert!(list.contains("RCA (analyze)"), "{list}");
        assert!(list.contains("Mitigation (recover)") && list.contains("탐지 (detect)"), "{list}");
    }
}
