//! Drafts of stakeholder updates, filled from what warroom knows now.
//!
//! The facts come from the incident's log alone (the fold, and the health and topology recorded
//! on it), so the window and `warroom update draft` write the same draft: severity, stage, how
//! long, the outage users see (entrypoints down or impacted, by name, since when), what changed
//! since the last update (stage moves, severity, nodes recovered), the runbooks' open steps, and
//! when the next update is due. A template (Markdown with `{{name}}` placeholders; the first line,
//! a `#` heading, is the subject) turns them into text. The public template gets only public
//! words: a node's `public_name`, never an internal name or id.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use super::Cadence;
use crate::model::topology::TopologySpec;
use crate::model::{Audience, Event, EventKind, Health, Incident, Stage, Status};
use crate::replay::Replay;

/// A draft, ready to be edited and sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
/// In TypeScript `UpdateDraft` (a declaration drafted from an outage is `Draft` there).
#[cfg_attr(any(test, feature = "ts"), derive(ts_rs::TS), ts(export, rename = "UpdateDraft"))]
pub struct Draft {
    pub audience: Audience,
    pub subject: String,
    pub text: String,
    /// When the next update is due, if the severity has a cadence.
    pub next_due: Option<DateTime<Utc>>,
}

/// A template that cannot be used, with where and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}:{line}: {message}", path.display())]
pub struct TemplateError {
    pub path: PathBuf,
    pub line: usize,
    pub message: String,
}

const RESPONDERS: &str = include_str!("../../../../assets/templates/responders.md");
const EXEC: &str = include_str!("../../../../assets/templates/exec.md");
const PUBLIC: &str = include_str!("../../../../assets/templates/public.md");

/// The placeholders a public template may use: nothing that names the inside.
const PUBLIC_WORDS: [&str; 7] =
    ["public_title", "public_impact", "public_status", "public_changes", "next_update", "now", "started"];

/// The built-in template of an audience, or the team's (`DIR/<audience>.md`) when there is one.
///
/// # Errors
/// [`TemplateError`] when the team's file cannot be read.
pub fn template(audience: Audience, dir: Option<&Path>) -> Result<(PathBuf, String), TemplateError> {
    let file = format!("{}.md", audience.name());
    if let Some(path) = dir.map(|d| d.join(&file)).filter(|p| p.is_file()) {
        let text = crate::files::read_to_string(&path).map_err(|e| TemplateError {
            path: path.clone(),
            line: 1,
            message: format!("cannot read: {e}"),
        })?;
        return Ok((path, text));
    }
    let text = match audience {
        Audience::Responders => RESPONDERS,
        Audience::Exec => EXEC,
        Audience::Public => PUBLIC,
    };
    Ok((PathBuf::from(format!("(built-in) {file}")), text.to_owned()))
}

/// When the next update of `incident` is due: an interval of its severity after the last update
/// (or the declaration); `None` when resolved or when the severity has no cadence.
pub fn next_due(incident: &Incident, cadence: &Cadence) -> Option<DateTime<Utc>> {
    if incident.status == Status::Resolved {
        return None;
    }
    let every = Duration::from_std(cadence.every(incident.severity)?).ok()?;
    let last = incident.updates.iter().map(|u| u.queued_at).max().unwrap_or(incident.declared_at);
    Some(last.max(incident.declared_at) + every)
}

/// Writes the draft for `audience` as of `now`; `next_steps` are the attached runbooks' steps of
/// the current stage not done yet (the runbook library knows their texts).
///
/// # Errors
/// [`TemplateError`] naming the template's line for an unknown placeholder, or one a public
/// template may not use.
pub fn draft(
    replay: &Replay,
    audience: Audience,
    cadence: &Cadence,
    templates: Option<&Path>,
    next_steps: Vec<String>,
    now: DateTime<Utc>,
) -> Result<Draft, TemplateError> {
    let (path, text) = template(audience, templates)?;
    let facts = Facts::of(replay, next_steps, now);
    let next_due = facts.incident.as_ref().and_then(|i| next_due(i, cadence));
    let words = facts.words(next_due, now);
    let filled = fill(&text, &words, audience == Audience::Public, &path)?;
    let (subject, body) = match filled.split_once('\n') {
        Some((first, rest)) if first.starts_with('#') => {
            (first.trim_start_matches('#').trim().to_owned(), rest)
        }
        _ => (words.get("public_title").cloned().unwrap_or_default(), filled.as_str()),
    };
    let text = body.trim().to_owned();
    Ok(Draft { audience, subject: one_line(&subject), text, next_due })
}

/// A header-safe line: no line breaks or control characters.
pub fn one_line(text: &str) -> String {
    text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect::<String>().trim().to_owned()
}

/// Replaces every `{{name}}` with its word.
fn fill(
    text: &str,
    words: &BTreeMap<&'static str, String>,
    public: bool,
    path: &Path,
) -> Result<String, TemplateError> {
    let mut out = String::with_capacity(text.len() + 256);
    for (i, line) in text.lines().enumerate() {
        let err = |message: String| TemplateError { path: path.to_owned(), line: i + 1, message };
        let mut rest = line;
        while let Some(start) = rest.find("{{") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let end = after
                .find("}}")
                .ok_or_else(|| err("a placeholder '{{' is not closed with '}}'".to_owned()))?;
            let name = after[..end].trim();
            if public && !PUBLIC_WORDS.contains(&name) && words.contains_key(name) {
                return Err(err(format!(
                    "{{{{{name}}}}} names the inside: a public update may use only {}",
                    PUBLIC_WORDS.map(|w| format!("{{{{{w}}}}}")).join(", ")
                )));
            }
            let word = words.get(name).ok_or_else(|| {
                let known: Vec<&str> = words.keys().copied().collect();
                err(format!("unknown placeholder {{{{{name}}}}}: known are {}", known.join(", ")))
            })?;
            out.push_str(word);
            rest = &after[end + 2..];
        }
        out.push_str(rest);
        out.push('\n');
    }
    Ok(out)
}

/// What warroom knows of the incident now, from its log.
struct Facts {
    incident: Option<Incident>,
    /// Entrypoints users reach that are down or impacted: (name, public name, down?).
    outage: Vec<(String, String, bool)>,
    outage_since: Option<DateTime<Utc>>,
    /// Nodes failing now: (name, health, reason).
    failing: Vec<(String, Health, String)>,
    /// Since the last update, in words (internal names) and in public words.
    changes: Vec<String>,
    public_changes: Vec<String>,
    /// The runbooks' open steps of the current stage.
    next_steps: Vec<String>,
}

impl Facts {
    fn of(replay: &Replay, next_steps: Vec<String>, now: DateTime<Utc>) -> Facts {
        let moment = replay.at(now);
        let incident = moment.as_ref().map(|m| m.incident.clone());
        let topology = topology_at(replay.events(), now);
        let name = |id: &str| {
            topology.as_ref().and_then(|t| t.nodes.iter().find(|n| n.id == id)).map_or_else(
                || id.to_owned(),
                |n| {
                    if n.name.is_empty() { n.id.clone() } else { n.name.clone() }
                },
            )
        };
        let public = |id: &str| {
            topology
                .as_ref()
                .and_then(|t| t.nodes.iter().find(|n| n.id == id))
                .and_then(|n| n.public_name.clone())
                .unwrap_or_else(|| "one of our services".to_owned())
        };
        let mut outage = Vec::new();
        let mut failing = Vec::new();
        if let Some(m) = &moment {
            if let Some(radius) = &m.radius {
                for id in &radius.entrypoints_down {
                    outage.push((name(id), public(id), radius.down.contains(id)));
                }
            }
            for (id, health) in &m.health {
                if health.is_failing() {
                    let reason = reason_of(replay.events(), id, now).unwrap_or_default();
                    failing.push((name(id), *health, reason));
                }
            }
        }
        let since_update = incident
            .as_ref()
            .and_then(|i| i.updates.iter().map(|u| u.queued_at).max())
            .or_else(|| incident.as_ref().map(|i| i.declared_at))
            .unwrap_or(now);
        let mut changes = Vec::new();
        let mut public_changes = Vec::new();
        let mut recovered: Vec<String> = Vec::new();
        for e in replay.events().iter().filter(|e| e.at > since_update && e.at <= now) {
            match &e.kind {
                EventKind::StageEntered { stage } => {
                    changes.push(format!("moved to {stage} ({})", hhmm(e.at)));
                    public_changes.push(public_stage(*stage).to_owned());
                }
                EventKind::SeverityChanged { severity } => changes.push(format!("severity now {severity}")),
                EventKind::HealthChanged { node, to: Health::Healthy, .. } => {
                    changes.push(format!("{} recovered ({})", name(node), hhmm(e.at)));
                    if topology
                        .as_ref()
                        .is_some_and(|t| t.nodes.iter().any(|n| n.id == *node && n.public_name.is_some()))
                    {
                        recovered.push(public(node));
                    }
                }
                EventKind::HealthChanged { node, to, .. } if to.is_failing() => {
                    changes.push(format!("{} {to} ({})", name(node), hhmm(e.at)));
                }
                EventKind::Resolved => {
                    changes.push(format!("resolved ({})", hhmm(e.at)));
                    public_changes.push("The issue is resolved.".to_owned());
                }
                EventKind::Reopened => changes.push(format!("reopened ({})", hhmm(e.at))),
                _ => {}
            }
        }
        // What customers can use again, in one sentence: only what is not failing now.
        let failing_now: Vec<String> = moment
            .as_ref()
            .map(|m| m.health.iter().filter(|(_, h)| h.is_failing()).map(|(n, _)| public(n)).collect())
            .unwrap_or_default();
        recovered.retain(|r| !failing_now.contains(r));
        recovered.sort();
        recovered.dedup();
        if !recovered.is_empty() {
            let names: Vec<&str> = recovered.iter().map(String::as_str).collect();
            let verb = if names.len() == 1 { "is" } else { "are" };
            public_changes.push(format!("{} {verb} working again.", capitalize(&join_words(&names))));
        }
        // The current stage is said by `public_status`: not twice.
        if let Some(i) = &incident {
            let now_said = public_stage_of(i);
            public_changes.retain(|c| c != now_said);
        }
        public_changes.dedup();
        Facts {
            incident,
            outage,
            outage_since: outage_since(replay, now),
            failing,
            changes,
            public_changes,
            next_steps,
        }
    }

    fn words(&self, next_due: Option<DateTime<Utc>>, now: DateTime<Utc>) -> BTreeMap<&'static str, String> {
        let mut w: BTreeMap<&'static str, String> = BTreeMap::new();
        let list = |items: &[String], none: &str| {
            if items.is_empty() {
                none.to_owned()
            } else {
                items.iter().map(|i| format!("\n- {i}")).collect()
            }
        };
        let since = self.outage_since.map(|s| format!(" since {}", hhmm(s))).unwrap_or_default();
        let impact = if self.outage.is_empty() {
            "no user-facing entrypoint is down or impacted".to_owned()
        } else {
            let each: Vec<String> = self
                .outage
                .iter()
                .map(|(name, _, down)| format!("{name} {}", if *down { "down" } else { "impacted" }))
                .collect();
            format!("{}{since}", each.join(", "))
        };
        let public_impact = if self.outage.is_empty() && self.failing.is_empty() {
            "Our services are working normally.".to_owned()
        } else if self.outage.is_empty() {
            "Our services are working, some more slowly than usual.".to_owned()
        } else {
            let names: Vec<&str> = self.outage.iter().map(|(_, p, _)| p.as_str()).collect();
            let how = if self.outage.iter().any(|(_, _, down)| *down) {
                "are unavailable"
            } else {
                "are failing for some customers"
            };
            let since = self.outage_since.map(|s| format!(" since {} UTC", hhmm(s))).unwrap_or_default();
            format!("{} {how}{since}.", capitalize(&join_words(&names)))
        };
        let public_title = if self.outage.is_empty() && self.failing.is_empty() {
            "Service update".to_owned()
        } else if self.outage.is_empty() {
            "Degraded performance".to_owned()
        } else {
            let names: Vec<&str> = self.outage.iter().map(|(_, p, _)| p.as_str()).collect();
            format!("Service disruption: {}", join_words(&names))
        };
        w.insert("public_title", public_title);
        w.insert("public_impact", public_impact);
        w.insert("now", format!("{} UTC", hhmm(now)));
        w.insert(
            "next_update",
            next_due.map_or_else(|| "when there is news".to_owned(), |d| format!("{} UTC", hhmm(d))),
        );
        w.insert("impact", impact);
        w.insert("changes", list(&self.changes, "nothing new"));
        w.insert(
            "public_changes",
            if self.public_changes.is_empty() { String::new() } else { self.public_changes.join(" ") },
        );
        w.insert(
            "failing",
            list(
                &self
                    .failing
                    .iter()
                    .map(
                        |(n, h, r)| {
                            if r.is_empty() { format!("{n}: {h}") } else { format!("{n}: {h} ({r})") }
                        },
                    )
                    .collect::<Vec<_>>(),
                "nothing",
            ),
        );
        match &self.incident {
            Some(i) => {
                let stage_for = human(now - i.stage_entered_at);
                w.insert("title", i.title.clone());
                w.insert("severity", i.severity.to_string());
                w.insert("stage", i.stage.to_string());
                w.insert("stage_elapsed", stage_for);
                w.insert("status", i.status.name().to_owned());
                w.insert("elapsed", human(now - i.declared_at));
                w.insert("started", format!("{} UTC", hhmm(i.declared_at)));
                w.insert("commander", i.roles.commander.clone().unwrap_or_else(|| "nobody yet".to_owned()));
                w.insert("plain_stage", plain_stage(i).to_owned());
                w.insert("public_status", public_stage_of(i).to_owned());
                w.insert(
                    "next_steps",
                    list(&self.next_steps, "no runbook step open: say what is being tried"),
                );
            }
            None => {
                for key in [
                    "title",
                    "severity",
                    "stage",
                    "stage_elapsed",
                    "status",
                    "elapsed",
                    "started",
                    "commander",
                    "plain_stage",
                    "public_status",
                    "next_steps",
                ] {
                    w.insert(key, String::new());
                }
            }
        }
        w.insert("decisions", "none yet".to_owned());
        w
    }
}

/// The topology recorded on the incident as of `now`.
fn topology_at(events: &[Event], now: DateTime<Utc>) -> Option<TopologySpec> {
    events.iter().rev().filter(|e| e.at <= now).find_map(|e| match &e.kind {
        EventKind::TopologyRecorded { topology, .. } => Some(topology.clone()),
        _ => None,
    })
}

/// The reason of a node's last change of health before `now`.
fn reason_of(events: &[Event], node: &str, now: DateTime<Utc>) -> Option<String> {
    events.iter().rev().filter(|e| e.at <= now).find_map(|e| match &e.kind {
        EventKind::HealthChanged { node: n, reason, .. } if n == node => Some(reason.clone()),
        _ => None,
    })
}

/// Since when an entrypoint has been down or impacted without a break, as of `now`: one pass
/// over the log, the health and topology kept as it goes and the blast radius looked at after
/// the last event of each instant that changed them. (Seeking the replay at each such instant
/// instead took 200 s on an incident of 400 000 events: `cargo bench -p warroom --bench
/// postmortem`.)
fn outage_since(replay: &Replay, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let mut walk = replay.health_walk();
    let mut changed = false;
    let mut since = None;
    while let Some((e, changed_now)) = walk.step() {
        if e.at > now {
            break;
        }
        changed |= changed_now;
        // The state of an instant is the one after all its events.
        if !changed || walk.next_at() == Some(e.at) {
            continue;
        }
        changed = false;
        let out = walk.radius().is_some_and(|r| !r.entrypoints_down.is_empty());
        since = match (since, out) {
            (_, false) => None,
            (None, true) => Some(e.at),
            (Some(s), true) => Some(s),
        };
    }
    since
}

fn plain_stage(i: &Incident) -> &'static str {
    if i.status == Status::Resolved {
        return "resolved";
    }
    match i.stage {
        Stage::Detect => "we are confirming what is wrong",
        Stage::Identify => "we are finding the cause",
        Stage::Isolate => "we are containing the damage",
        Stage::Recover => "the fix is in and service is recovering",
        Stage::Analyze => "service is restored; we are analysing the cause",
    }
}

fn public_stage(stage: Stage) -> &'static str {
    match stage {
        Stage::Detect => "We are investigating.",
        Stage::Identify | Stage::Isolate => "We have identified the issue and are working on a fix.",
        Stage::Recover => "A fix is in place and we are monitoring the results.",
        Stage::Analyze => "Service is restored.",
    }
}

fn public_stage_of(i: &Incident) -> &'static str {
    if i.status == Status::Resolved { "The issue is resolved." } else { public_stage(i.stage) }
}

fn hhmm(t: DateTime<Utc>) -> String {
    t.format("%H:%M").to_string()
}

fn human(d: Duration) -> String {
    let m = d.num_minutes().max(0);
    if m < 60 { format!("{m} min") } else { format!("{} h {:02} min", m / 60, m % 60) }
}

fn join_words(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

fn capitalize(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use ulid::Ulid;

    use super::*;
    use crate::model::Severity;

    /// What `outage_since` must say, by its definition: the replay seen at each instant a health
    /// or topology was recorded.
    fn seen_at_each_change(replay: &Replay, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let mut since = None;
        for e in replay.events().iter().filter(|e| {
            e.at <= now
                && matches!(e.kind, EventKind::HealthChanged { .. } | EventKind::TopologyRecorded { .. })
        }) {
            let out = replay.at(e.at).and_then(|m| m.radius).is_some_and(|r| !r.entrypoints_down.is_empty());
            since = match (since, out) {
                (_, false) => None,
                (None, true) => Some(e.at),
                (Some(s), true) => Some(s),
            };
        }
        since
    }

    /// The one pass says what seeking the replay at each change says, on logs where outages
    /// come and go, several changes share an instant (a node down and up again in the same
    /// second), and the topology is recorded again midway; asked at many instants.
    #[test]
    fn the_outage_is_dated_as_the_replay_sees_it() {
        let topology = crate::rehearsal::reference_topology().unwrap();
        let t0 = Utc.with_ymd_and_hms(2026, 11, 23, 3, 0, 0).unwrap();
        let mut outages_seen = 0;
        for seed in 0..8 {
            let log = crate::replay::health_log(seed, 300, &[(150, topology.spec())]);
            let secs = (log[log.len() - 1].at - t0).num_seconds();
            let replay = Replay::new(log, Vec::new()).unwrap();
            for secs in (0..=secs + 1).step_by(5) {
                let now = t0 + Duration::seconds(secs);
                let expected = seen_at_each_change(&replay, now);
                outages_seen += usize::from(expected.is_some_and(|s| s > t0 + Duration::seconds(1)));
                assert_eq!(outage_since(&replay, now), expected, "seed {seed}, at +{secs} s");
            }
        }
        assert!(outages_seen > 20, "the logs make outages start after the first change: {outages_seen}");
    }

    /// An entrypoint down, then up and down again within one instant (two sources' readings
    /// recorded in the same second): the outage goes on from its start; it ends when the
    /// entrypoint is up at the end of an instant.
    #[test]
    fn a_flicker_within_one_instant_is_no_new_outage() {
        let topology = crate::rehearsal::reference_topology().unwrap();
        let entry = topology.nodes().find(|n| n.entrypoint).map(|n| n.id.clone()).unwrap();
        let t0 = Utc.with_ymd_and_hms(2026, 11, 23, 3, 0, 0).unwrap();
        let at = |secs| t0 + Duration::seconds(secs);
        let id = Ulid::new();
        let event = |secs: i64, kind| Event::new(id, at(secs), at(secs), "test", None, kind);
        let health = |secs, to| {
            event(
                secs,
                EventKind::HealthChanged {
                    node: entry.clone(),
                    from: Health::Unknown,
                    to,
                    reason: String::new(),
                },
            )
        };
        let log = vec![
            event(
                0,
                EventKind::Declared {
                    title: "t".into(),
                    severity: Severity::Sev1,
                    commander: None,
                    local: false,
                },
            ),
            event(1, EventKind::TopologyRecorded { topology: topology.spec(), health: BTreeMap::new() }),
            health(10, Health::Down),
            health(20, Health::Healthy),
            health(20, Health::Down),
            health(40, Health::Healthy),
        ];
        let replay = Replay::new(log, Vec::new()).unwrap();
        assert_eq!(outage_since(&replay, at(5)), None);
        assert_eq!(outage_since(&replay, at(30)), Some(at(10)));
        assert_eq!(outage_since(&replay, at(40)), None);
    }
}
