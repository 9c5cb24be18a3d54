//! The postmortem draft, written from the log: `warroom export ID --format md` and the window's
//! Export button.
//!
//! Its sections are the union of the well-known templates (Google SRE, PagerDuty, Atlassian).
//! What the log knows is filled in: the header, the metrics, the impact at the peak of the blast
//! radius, the timeline, the runbook record, the action items, charts of the affected nodes'
//! signals and the dependency graph at the peak. What only people know comes from notes tagged
//! for it (`#summary`, `#leadup`, `#fault`, `#trigger`, `#cause`, `#why`, `#detection`,
//! `#response`, `#fix`, `#well`, `#wrong`, `#lucky`, `#support`), and is otherwise a clearly
//! marked prompt. Every piece of outside text is escaped ([`markdown::escape`]).

mod charts;
pub mod markdown;
pub mod mermaid;
pub mod metrics;
#[cfg(test)]
mod tests;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, Utc};

use crate::changes::RankedChange;
use crate::chart::ChartError;
use crate::health::Thresholds;
use crate::model::{Audience, Event, EventKind, Incident, Role, Stage, StakeholderUpdate, UpdateState};
use crate::replay::Replay;
use crate::topology::Topology;
use crate::updates::Cadence;
use markdown::{Cell, escape, escape_inline, prompt, table};
pub use metrics::Metrics;

/// The SLOs the error-budget table always shows, in %.
pub const SLOS: [f64; 3] = [99.9, 99.95, 99.99];

/// How the postmortem is written.
#[derive(Debug, Clone)]
pub struct Options {
    /// The service's SLO, in % (the table marks it).
    pub slo: f64,
    /// The thresholds drawn on the charts.
    pub thresholds: Thresholds,
    /// Every incident in the log, for MTBF and MTTR.
    pub history: Vec<Incident>,
    /// When the draft is written (its "generated" line).
    pub now: DateTime<Utc>,
    /// At most this many charts.
    pub charts: usize,
    /// How often stakeholder updates were due (the longest gap is measured against it).
    pub cadence: Cadence,
}

impl Options {
    /// The defaults (SLO 99.9 %, the default thresholds, no other incidents, four charts), for
    /// a draft written at `now`.
    pub fn at(now: DateTime<Utc>) -> Options {
        Options {
            slo: 99.9,
            thresholds: Thresholds::default(),
            history: Vec::new(),
            now,
            charts: 4,
            cadence: Cadence::default(),
        }
    }
}

/// A file written beside the Markdown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Image {
    /// The file's name (no directory).
    pub file: String,
    pub bytes: Vec<u8>,
}

/// The draft and its images.
#[derive(Debug, Clone)]
pub struct Postmortem {
    pub markdown: String,
    pub images: Vec<Image>,
    pub metrics: Metrics,
}

/// What an export wrote: the Markdown first, then its charts.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(any(test, feature = "ts"), derive(ts_rs::TS), ts(export, rename = "ExportedFiles"))]
pub struct Exported {
    pub dir: String,
    pub files: Vec<String>,
}

/// Why the postmortem could not be written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PostmortemError {
    #[error("slo: a percentage between 0 and 100 (e.g. 99.9), not {0}")]
    Slo(f64),
    #[error("the log holds no declared event for this incident")]
    NotDeclared,
    #[error(transparent)]
    Chart(#[from] ChartError),
    #[error("cannot write {path}: {source}")]
    Write { path: PathBuf, source: std::io::Error },
}

impl PostmortemError {
    /// A stable code for the UI to branch on.
    pub fn code(&self) -> &'static str {
        match self {
            PostmortemError::Slo(_) => "invalid_input",
            PostmortemError::NotDeclared => "not_declared",
            PostmortemError::Chart(_) | PostmortemError::Write { .. } => "export_failed",
        }
    }
}

/// An SLO as given, if it is a percentage strictly between 0 and 100.
///
/// # Errors
/// [`PostmortemError::Slo`].
pub fn slo(given: f64) -> Result<f64, PostmortemError> {
    if given > 0.0 && given < 100.0 { Ok(given) } else { Err(PostmortemError::Slo(given)) }
}

/// Renders the postmortem of the replayed incident and writes it into `dir` (see [`write()`]):
/// what `warroom export --format md` and the window's export both do.
///
/// # Errors
/// As [`render`] and [`write()`].
pub fn export(replay: &Replay, options: &Options, dir: &Path) -> Result<Exported, PostmortemError> {
    let id = replay.incident_at(replay.last()).ok_or(PostmortemError::NotDeclared)?.id;
    let files = write(dir, &id.to_string(), &render(replay, options)?)?;
    Ok(Exported {
        dir: dir.display().to_string(),
        files: files.iter().map(|f| f.display().to_string()).collect(),
    })
}

/// Writes the postmortem of the replayed incident.
///
/// # Errors
/// [`PostmortemError::NotDeclared`], [`PostmortemError::Chart`].
pub fn render(replay: &Replay, options: &Options) -> Result<Postmortem, PostmortemError> {
    let incident = replay.incident_at(replay.last()).ok_or(PostmortemError::NotDeclared)?;
    let metrics = metrics::compute(replay, &incident, &options.history);
    let charts = charts::draw(replay, &incident, &metrics, options)?;
    let mut md = String::with_capacity(64 * 1024 + replay.events().len() * 120);
    header(&mut md, replay, &incident, &metrics, options);
    let notes = Notes::of(replay);
    let changes = crate::changes::ranked(replay.events());
    narrative(&mut md, &notes, &metrics, &incident, &changes);
    metrics_section(&mut md, &metrics, options);
    impact(&mut md, &metrics);
    if !charts.is_empty() {
        md.push_str("## Charts\n\nThe affected nodes' signals over the incident, with the stage changes marked and the thresholds dashed in red. Each chart is also an SVG beside this file.\n\n");
        for chart in &charts {
            let _ = writeln!(md, "![{}]({}) ([SVG]({}))\n", escape(&chart.title), chart.png, chart.svg);
        }
    }
    stakeholder_updates(&mut md, &incident, &metrics, &options.cadence);
    timeline(&mut md, replay, &metrics);
    runbook_record(&mut md, replay, &incident);
    for (heading, tag, ask) in [
        ("What went well", "well", "what helped: a good alert, a runbook that worked, a quick decision."),
        ("What went wrong", "wrong", "what slowed the response or made it worse."),
        ("Where we got lucky", "lucky", "what could have gone worse and did not, by chance."),
    ] {
        let _ = writeln!(md, "## {heading}\n");
        notes.section(&mut md, &[tag], ask);
    }
    actions(&mut md, &incident);
    md.push_str("## Supporting information\n\n");
    notes.list(&mut md, &["support"]);
    let _ = writeln!(
        md,
        "- The whole log: `warroom export {} --format json` (open it elsewhere with `warroom import`).\n- {} events, {} of them notes.",
        incident.id,
        replay.events().len(),
        notes.all.len()
    );
    provenance(&mut md, replay, &incident);
    let images = charts.into_iter().flat_map(|c| c.files).collect();
    Ok(Postmortem { markdown: md, images, metrics })
}

/// Writes `DIR/<id>.md` and its images beside it; each file is written whole to a temporary
/// file, synced and renamed (`files::write`), the Markdown last. Returns the paths written, the Markdown first.
///
/// # Errors
/// [`PostmortemError::Write`] naming the file.
pub fn write(dir: &Path, id: &str, postmortem: &Postmortem) -> Result<Vec<PathBuf>, PostmortemError> {
    let write = |path: PathBuf, bytes: &[u8]| -> Result<PathBuf, PostmortemError> {
        let fail = |source| PostmortemError::Write { path: path.clone(), source };
        std::fs::create_dir_all(dir).map_err(fail)?;
        // Whole or not at all: a failure leaves the earlier file as it was, nothing beside it.
        crate::files::write(&path, bytes).map_err(fail)?;
        Ok(path)
    };
    // Charts of an earlier export of this incident that this one does not draw again would be
    // left behind, looking current: they go (only files named as this export's own charts).
    let prefix = format!("{id}-chart-");
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let ours = name.starts_with(&prefix) && (name.ends_with(".png") || name.ends_with(".svg"));
            if ours && !postmortem.images.iter().any(|i| i.file == name) {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }
    let mut written = Vec::new();
    for image in &postmortem.images {
        written.push(write(dir.join(&image.file), &image.bytes)?);
    }
    written.insert(0, write(dir.join(format!("{id}.md")), postmortem.markdown.as_bytes())?);
    Ok(written)
}

/// "4 min", "1 h 02 min", "45 s".
pub fn human(d: Duration) -> String {
    let secs = d.num_seconds().max(0);
    match secs {
        s if s < 60 => format!("{s} s"),
        s if s < 3600 => {
            if s % 60 == 0 {
                format!("{} min", s / 60)
            } else {
                format!("{} min {:02} s", s / 60, s % 60)
            }
        }
        s => format!("{} h {:02} min", s / 3600, (s % 3600) / 60),
    }
}

fn stage_title(stage: Stage) -> &'static str {
    match stage {
        Stage::Detect => "Detect",
        Stage::Identify => "Identify",
        Stage::Isolate => "Isolate",
        Stage::Recover => "Recover",
        Stage::Analyze => "Root-cause analysis",
    }
}

fn utc(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

fn clock(t: DateTime<Utc>) -> String {
    t.format("%H:%M:%S").to_string()
}

fn header(md: &mut String, replay: &Replay, incident: &Incident, m: &Metrics, options: &Options) {
    let _ = writeln!(md, "# Postmortem: {}\n", escape(&incident.title));
    let severities: Vec<String> =
        m.severities.iter().map(|(s, secs)| format!("{s} for {}", human(Duration::seconds(*secs)))).collect();
    // Every holder of every role, handovers included, with when they took it.
    let mut holders: Vec<(Role, &str, DateTime<Utc>)> = Vec::new();
    for e in replay.events() {
        match &e.kind {
            EventKind::Declared { commander: Some(name), .. } => holders.push((Role::Commander, name, e.at)),
            EventKind::RoleAssigned { role, name } => holders.push((*role, name, e.at)),
            _ => {}
        }
    }
    let responders: Vec<String> = Role::ALL
        .iter()
        .filter_map(|role| {
            let names: Vec<String> = holders
                .iter()
                .filter(|(r, _, _)| r == role)
                .map(|(_, name, at)| format!("{} (from {})", escape(name), clock(*at)))
                .collect();
            (!names.is_empty()).then(|| format!("{}: {}", role.title(), names.join(", ")))
        })
        .collect();
    let mut authors: Vec<&str> = replay
        .events()
        .iter()
        .filter(|e| !metrics::MACHINE_ORIGINS.contains(&e.origin.as_str()))
        .filter_map(|e| e.by.as_deref())
        .collect();
    authors.sort_unstable();
    authors.dedup();
    let authors = if authors.is_empty() {
        incident.roles.commander.as_deref().map(escape).unwrap_or_else(|| "—".to_owned())
    } else {
        authors.iter().map(|a| escape(a)).collect::<Vec<_>>().join(", ")
    };
    let duration = match m.resolved_at {
        Some(r) => human(r - m.declared_at),
        None => "still active".to_owned(),
    };
    let rows: Vec<Vec<Cell>> = vec![
        vec!["Incident".into(), Cell::Md(format!("`{}`", incident.id))],
        vec![
            "Severity".into(),
            Cell::Md(format!("{} (time at each: {})", incident.severity, severities.join(", "))),
        ],
        vec!["Status".into(), incident.status.name().into()],
        vec!["Declared".into(), utc(m.declared_at).into()],
        vec!["Resolved".into(), m.resolved_at.map(utc).unwrap_or_default().into()],
        vec!["Duration".into(), duration.into()],
        vec![
            "Incident commander".into(),
            Cell::Md(incident.roles.commander.as_deref().map(escape).unwrap_or_else(|| "—".to_owned())),
        ],
        vec![
            "Responders".into(),
            Cell::Md(if responders.is_empty() { "—".to_owned() } else { responders.join("; ") }),
        ],
        vec!["Authors".into(), Cell::Md(authors)],
        vec![
            "Draft written".into(),
            format!("{} by warroom, from the incident log", utc(options.now)).into(),
        ],
    ];
    md.push_str(&table(&["Field", "Value"], &rows));
    md.push('\n');
}

/// A note, with the tags it carries and its text without them.
struct Note {
    at: DateTime<Utc>,
    by: Option<String>,
    tags: Vec<String>,
    text: String,
}

/// The notes of the incident.
struct Notes {
    all: Vec<Note>,
}

impl Notes {
    fn of(replay: &Replay) -> Notes {
        let all = replay
            .events()
            .iter()
            .filter_map(|e| match &e.kind {
                EventKind::Note { text } => {
                    let (tags, text) = tags_and_text(text);
                    Some(Note { at: e.at, by: e.by.clone(), tags, text })
                }
                _ => None,
            })
            .collect();
        Notes { all }
    }

    fn tagged<'a>(&'a self, tags: &'a [&str]) -> impl Iterator<Item = &'a Note> {
        self.all.iter().filter(|n| n.tags.iter().any(|t| tags.contains(&t.as_str())))
    }

    /// The notes tagged with one of `tags` as a list; `false` when there are none.
    fn list(&self, md: &mut String, tags: &[&str]) -> bool {
        let mut any = false;
        for note in self.tagged(tags) {
            let by = note.by.as_deref().map(|b| format!(" ({})", escape(b))).unwrap_or_default();
            let _ = writeln!(md, "- {} — {}{by}", escape(&note.text), clock(note.at));
            any = true;
        }
        if any {
            md.push('\n');
        }
        any
    }

    /// The notes tagged with one of `tags`, or the prompt `ask`.
    fn section(&self, md: &mut String, tags: &[&str], ask: &str) {
        if !self.list(md, tags) {
            md.push_str(&prompt(ask));
            md.push('\n');
        }
    }
}

/// The tags a note may carry, each filling its section (`impact-start` dates the impact).
const TAGS: [&str; 15] = [
    "impact-start",
    "summary",
    "leadup",
    "fault",
    "trigger",
    "cause",
    "contributing",
    "why",
    "detection",
    "response",
    "fix",
    "well",
    "wrong",
    "lucky",
    "support",
];

/// Whether a note carries `tag` (one of [`TAGS`], lower case), as [`tags_and_text`] reads it,
/// without building its text again: the metrics ask it of every note.
pub(crate) fn has_tag(text: &str, tag: &str) -> bool {
    text.split_whitespace().any(|word| tag_word(word).is_some_and(|w| w.eq_ignore_ascii_case(tag)))
}

/// A word read as a tag: `#Cause,` is `Cause`; `None` for a word without `#`.
fn tag_word(word: &str) -> Option<&str> {
    word.strip_prefix('#').map(|w| w.trim_end_matches(|c: char| !c.is_alphanumeric()))
}

/// The known tags in a note (`#Cause,` is `cause`), and its text without them.
pub(crate) fn tags_and_text(text: &str) -> (Vec<String>, String) {
    let mut tags: Vec<String> = Vec::new();
    let mut words: Vec<&str> = Vec::new();
    for word in text.split_whitespace() {
        let tag = tag_word(word).map(str::to_ascii_lowercase);
        match tag.filter(|t| TAGS.contains(&t.as_str())) {
            Some(tag) if tags.contains(&tag) => {}
            Some(tag) => tags.push(tag),
            None => words.push(word),
        }
    }
    (tags, words.join(" "))
}

fn narrative(md: &mut String, notes: &Notes, m: &Metrics, incident: &Incident, changes: &[RankedChange]) {
    let sections: [(&str, &[&str], &str); 6] = [
        (
            "Summary",
            &["summary"],
            "what happened and what users saw, in two or three sentences (tag a note `#summary`).",
        ),
        ("Leadup", &["leadup"], "the changes and circumstances that led up to it (`#leadup`)."),
        ("Fault / what happened", &["fault"], "what failed, technically (`#fault`)."),
        ("Trigger", &["trigger"], "the change or event that set it off (`#trigger`)."),
        (
            "Root causes and contributing factors",
            &["cause", "contributing"],
            "why it could happen, and what made it worse (`#cause`, `#contributing`).",
        ),
        ("Five whys", &["why"], "ask why five times, from the symptom down (`#why`)."),
    ];
    for (heading, tags, ask) in sections {
        let _ = writeln!(md, "## {heading}\n");
        match heading {
            "Leadup" => {
                notes.list(md, tags);
                leadup(md, changes, ask);
            }
            "Trigger" => {
                if !notes.list(md, tags) {
                    match changes.first() {
                        Some(top) => {
                            let _ = writeln!(
                                md,
                                "*Suggested by warroom, not confirmed:* {} ({} {}, {} UTC): {}. Confirm or replace it with a note tagged `#trigger`.\n",
                                escape(&top.change.summary),
                                top.change.kind.name(),
                                escape(&top.change.node),
                                clock(top.change.at),
                                escape(&top.reason)
                            );
                        }
                        None => {
                            md.push_str(&prompt(ask));
                            md.push('\n');
                        }
                    }
                }
            }
            _ => notes.section(md, tags, ask),
        }
    }
    md.push_str("## Detection\n\n");
    match (m.impact_start, m.first_alert_at) {
        (Some(start), _) if start > m.declared_at => {
            let _ = writeln!(
                md,
                "The incident was declared at {}, before the first sign of impact at {}.\n",
                clock(m.declared_at),
                clock(start)
            );
        }
        (Some(start), Some(alert)) => {
            let _ = writeln!(
                md,
                "Impact began at {}; the first alert started at {}; the incident was declared at {}, {} after the impact began.\n",
                clock(start),
                clock(alert),
                clock(m.declared_at),
                human(m.declared_at - start)
            );
        }
        (Some(start), None) => {
            let _ = writeln!(
                md,
                "Impact began at {} and no alert fired; the incident was declared at {}, {} later.\n",
                clock(start),
                clock(m.declared_at),
                human(m.declared_at - start)
            );
        }
        _ => {
            let _ = writeln!(
                md,
                "The incident was declared at {} before any alert or health change was recorded.\n",
                clock(m.declared_at)
            );
        }
    }
    notes.list(md, &["detection"]);
    md.push_str("## Response\n\n");
    match m.acknowledged_at {
        Some(at) => {
            let _ = write!(
                md,
                "The first response was recorded at {}, {} after the declaration.",
                clock(at),
                human(at - m.declared_at)
            );
        }
        None => md.push_str("No response by a person was recorded after the declaration."),
    }
    let stages: Vec<String> =
        incident.stage_log.iter().map(|v| format!("{} at {}", v.stage, clock(v.at))).collect();
    let _ = writeln!(md, " Stages: {}.\n", stages.join(" → "));
    notes.list(md, &["response"]);
    md.push_str("## Recovery / resolution\n\n");
    match (m.mitigated_at, m.resolved_at) {
        (Some(mitigated), Some(resolved)) => {
            let _ = writeln!(md, "Mitigated at {}; resolved at {}.\n", clock(mitigated), clock(resolved));
        }
        (None, Some(resolved)) => {
            let _ = writeln!(md, "Resolved at {}.\n", clock(resolved));
        }
        (Some(mitigated), None) => {
            let _ = writeln!(md, "Mitigated at {}; not resolved yet.\n", clock(mitigated));
        }
        (None, None) => md.push_str("Not mitigated or resolved yet.\n\n"),
    }
    notes.section(md, &["fix"], "what fixed it, and what was tried before (`#fix`).");
}

fn metrics_section(md: &mut String, m: &Metrics, options: &Options) {
    md.push_str("## Metrics\n\n");
    let span = |from: Option<DateTime<Utc>>, to: Option<DateTime<Utc>>, d: Option<Duration>| -> Vec<Cell> {
        vec![
            from.map(clock).unwrap_or_default().into(),
            to.map(clock).unwrap_or_default().into(),
            d.map(human).unwrap_or_else(|| "—".to_owned()).into(),
        ]
    };
    let from_impact = m.impact_start.or(Some(m.declared_at));
    match (m.impact_start, m.impact_start_from) {
        (Some(at), Some(from)) => {
            let _ = writeln!(
                md,
                "Impact start, for every metric below: {} UTC, from {from} (the earliest of the first alert's start, the first instant an entrypoint was down or impacted, and a note tagged `#impact-start`).{}\n",
                clock(at),
                if at > m.declared_at { " It came after the declaration: the incident was declared before users were affected." } else { "" }
            );
        }
        _ => md.push_str("No sign of impact was recorded (no alert, no entrypoint down or impacted, no note tagged `#impact-start`): the metrics count from the declaration.\n\n"),
    }
    let mut rows = Vec::new();
    for (name, basis, cells) in [
        (
            "Time to detect",
            "impact start → declared (detect stage)",
            span(m.impact_start, Some(m.declared_at), m.time_to_detect()),
        ),
        (
            "Time to acknowledge",
            "declared → first response by a person",
            span(Some(m.declared_at), m.acknowledged_at, m.time_to_acknowledge()),
        ),
        (
            "Time to mitigate",
            "impact start → users served again",
            span(from_impact, m.mitigated_at, m.time_to_mitigate()),
        ),
        (
            "Time to resolve",
            "declared → resolved",
            span(Some(m.declared_at), m.resolved_at, m.time_to_resolve()),
        ),
    ] {
        let mut row: Vec<Cell> = vec![name.into(), basis.into()];
        row.extend(cells);
        rows.push(row);
    }
    md.push_str(&table(&["Metric", "Measured", "From (UTC)", "To (UTC)", "Duration"], &rows));
    md.push_str("\n### Time in each stage\n\n");
    let rows: Vec<Vec<Cell>> = Stage::ALL
        .iter()
        .map(|stage| {
            let secs: i64 = m.stages.iter().filter(|(s, _)| s == stage).map(|(_, d)| d).sum();
            let visits = m.stages.iter().filter(|(s, _)| s == stage).count();
            vec![stage_title(*stage).into(), visits.to_string().into(), human(Duration::seconds(secs)).into()]
        })
        .collect();
    md.push_str(&table(&["Stage", "Visits", "Time"], &rows));
    md.push_str("\n### Availability and error budget\n\n");
    let _ = writeln!(
        md,
        "User-visible outage (an entrypoint down or impacted): **{:.1} minutes** in {} window(s).\n",
        m.outage_minutes(),
        m.outages.len()
    );
    let mut slos: Vec<f64> = SLOS.to_vec();
    if !slos.iter().any(|s| (s - options.slo).abs() < 1e-9) {
        slos.push(options.slo);
    }
    let rows: Vec<Vec<Cell>> = slos
        .iter()
        .map(|slo| {
            let month = metrics::MONTH_MINUTES * (100.0 - slo) / 100.0;
            let year = metrics::YEAR_MINUTES * (100.0 - slo) / 100.0;
            let mark = if (slo - options.slo).abs() < 1e-9 { " (ours)" } else { "" };
            vec![
                format!("{slo}%{mark}").into(),
                format!("{month:.2} min").into(),
                format!("{year:.1} min").into(),
                format!("{:.1}%", m.budget_share(*slo)).into(),
            ]
        })
        .collect();
    md.push_str(&table(&["SLO", "Budget a month (30 d)", "Budget a year", "Monthly budget used"], &rows));
    md.push('\n');
    match &m.availability {
        Some(a) => {
            let _ = writeln!(
                md,
                "Over the {} resolved incidents in this log: MTBF {}, MTTR {}, availability = MTBF / (MTBF + MTTR) = **{:.4}%**.\n",
                a.incidents,
                human(Duration::seconds(a.mtbf_secs)),
                human(Duration::seconds(a.mttr_secs)),
                a.ratio * 100.0
            );
        }
        None => md.push_str(
            "Availability = MTBF / (MTBF + MTTR) needs at least two resolved incidents in the log.\n\n",
        ),
    }
}

/// The changes found before and during the incident, most suspect first, with why; the
/// responders' own `#leadup` notes come before them. Without either, the prompt.
fn leadup(md: &mut String, changes: &[RankedChange], ask: &str) {
    if changes.is_empty() {
        md.push_str(&prompt(ask));
        md.push('\n');
        return;
    }
    md.push_str("Changes found in the look-back window, most suspect first (ranked by how close each is to what failed, in the dependency graph and in time):\n\n");
    let rows: Vec<Vec<Cell>> = changes
        .iter()
        .map(|r| {
            let by = r.change.by.as_deref().map(|b| format!(" ({b})")).unwrap_or_default();
            vec![
                r.rank.to_string().into(),
                clock(r.change.at).into(),
                r.change.node.clone().into(),
                r.change.kind.name().into(),
                format!("{}{by}", r.change.summary).into(),
                r.change.source.clone().into(),
                r.reason.clone().into(),
            ]
        })
        .collect();
    md.push_str(&table(&["#", "When (UTC)", "Node", "Kind", "Change", "Source", "Why it ranks here"], &rows));
    md.push('\n');
}

/// Every stakeholder update (time, audience, channel, state, text), the time to the first public
/// one from the impact's start, and the longest gap between updates against the cadence.
fn stakeholder_updates(md: &mut String, incident: &Incident, m: &Metrics, cadence: &Cadence) {
    md.push_str("## Stakeholder updates\n\n");
    let mut updates: Vec<&StakeholderUpdate> = incident.updates.iter().collect();
    updates.sort_by_key(|u| (u.queued_at, u.id.clone()));
    if updates.is_empty() {
        md.push_str("No stakeholder update was sent from warroom.\n\n");
        return;
    }
    let from = m.impact_start.unwrap_or(m.declared_at);
    let first_public = updates.iter().find(|u| u.audience == Audience::Public).map(|u| u.queued_at);
    let every = cadence.every(incident.severity);
    // The gaps between updates (an update to several channels at once is one), from the
    // declaration to the last update, and to the resolution or now while it is open.
    let mut instants: Vec<DateTime<Utc>> = vec![incident.declared_at];
    instants.extend(updates.iter().map(|u| u.queued_at));
    if let Some(resolved) = m.resolved_at {
        instants.push(resolved);
    }
    instants.dedup();
    let longest = instants.windows(2).map(|w| (w[1] - w[0], w[0], w[1])).max_by_key(|(d, _, _)| *d);
    let rows = vec![
        vec![
            Cell::from("Time to the first public update"),
            Cell::from("impact start → first update to the public"),
            Cell::from(match first_public {
                Some(at) => format!("{} (at {} UTC)", human(at - from), clock(at)),
                None => "no public update".to_owned(),
            }),
        ],
        vec![
            Cell::from("Longest gap between updates"),
            Cell::from("declared → each update → resolved"),
            Cell::from(match (longest, every) {
                (Some((gap, a, b)), Some(every)) => {
                    let every = Duration::from_std(every).unwrap_or(Duration::zero());
                    let verdict = if gap > every { "over the cadence" } else { "within the cadence" };
                    format!(
                        "{} ({} → {} UTC), {verdict} of {} for {}",
                        human(gap),
                        clock(a),
                        clock(b),
                        human(every),
                        incident.severity
                    )
                }
                (Some((gap, a, b)), None) => {
                    format!(
                        "{} ({} → {} UTC); {} has no cadence",
                        human(gap),
                        clock(a),
                        clock(b),
                        incident.severity
                    )
                }
                (None, _) => "—".to_owned(),
            }),
        ],
    ];
    md.push_str(&table(&["Metric", "Measured", "Value"], &rows));
    md.push('\n');
    for u in updates {
        let state = match u.state {
            UpdateState::Sent => format!("sent {}", u.sent_at.map(clock).unwrap_or_default()),
            UpdateState::Queued => "never sent".to_owned(),
            UpdateState::Failed => format!("failed: {}", u.error.as_deref().unwrap_or("")),
        };
        let by = u.by.as_deref().map(|b| format!(", by {b}")).unwrap_or_default();
        let _ = writeln!(
            md,
            "### {} UTC · {} · {} ({state}{by})\n\n**{}**\n",
            clock(u.queued_at),
            u.audience.name(),
            escape(&u.channel),
            escape(&u.subject)
        );
        for line in u.text.lines() {
            let _ = writeln!(md, "> {}", escape(line));
        }
        md.push('\n');
    }
}

fn impact(md: &mut String, m: &Metrics) {
    md.push_str("## Impact\n\n");
    match &m.peak {
        Some(peak) => {
            let r = &peak.radius;
            let _ = writeln!(
                md,
                "At the peak ({}): {} node(s) down, {} impacted, {} degraded; entrypoints down: {}.\n",
                clock(peak.at),
                r.down.len(),
                r.impacted.len(),
                r.degraded.len(),
                if r.entrypoints_down.is_empty() {
                    "none".to_owned()
                } else {
                    r.entrypoints_down.iter().map(|e| escape(e)).collect::<Vec<_>>().join(", ")
                }
            );
            // Down and degraded nodes say why in their own words (the reason of their last
            // health change); an impacted one by the path to what took it down.
            let own = |n: &String| {
                peak.reasons
                    .get(n)
                    .cloned()
                    .unwrap_or_else(|| "as recorded when recording started".to_owned())
            };
            let mut rows: Vec<Vec<Cell>> =
                r.down.iter().map(|n| vec![n.as_str().into(), "down".into(), own(n).into()]).collect();
            rows.extend(
                r.impacted
                    .iter()
                    .map(|i| vec![i.id.as_str().into(), "impacted".into(), i.reason.join(" → ").into()]),
            );
            rows.extend(r.degraded.iter().map(|n| {
                let why = peak.reasons.get(n).cloned().unwrap_or_else(|| "by what it depends on".to_owned());
                vec![n.as_str().into(), "degraded".into(), why.into()]
            }));
            md.push_str(&table(&["Node", "State", "Because"], &rows));
            md.push('\n');
        }
        None => md.push_str("No node was recorded down on a recorded topology.\n\n"),
    }
    if !m.entrypoints_affected.is_empty() {
        let list: Vec<String> = m.entrypoints_affected.iter().map(|e| escape(e)).collect();
        let _ = writeln!(md, "Entrypoints affected over the incident: {}.\n", list.join(", "));
    }
    md.push_str("### Alerts\n\n");
    if m.alerts.is_empty() {
        md.push_str("No alert fired.\n\n");
    } else {
        let rows: Vec<Vec<Cell>> = m
            .alerts
            .iter()
            .map(|a| {
                vec![
                    a.name.as_str().into(),
                    a.node.as_str().into(),
                    a.severity.as_str().into(),
                    clock(a.first_fired).into(),
                    a.resolved.map(clock).unwrap_or_else(|| "still firing".to_owned()).into(),
                    a.summary.as_str().into(),
                ]
            })
            .collect();
        md.push_str(&table(&["Alert", "Node", "Severity", "First fired", "Resolved", "Summary"], &rows));
        md.push('\n');
    }
    md.push_str("### Provider status incidents\n\n");
    if m.providers.is_empty() && m.status_pages.is_empty() {
        md.push_str("None seen.\n\n");
    } else {
        let mut rows: Vec<Vec<Cell>> = m
            .status_pages
            .iter()
            .map(|p| {
                let link = p.url.clone().unwrap_or_default();
                let status = format!("{} (impact {})", p.status, p.impact);
                vec![clock(p.at).into(), p.name.as_str().into(), status.into(), link.into()]
            })
            .collect();
        rows.extend(m.providers.iter().map(|p| {
            let health = format!("node {}", p.health.name());
            vec![clock(p.at).into(), p.node.as_str().into(), health.into(), p.reason.as_str().into()]
        }));
        md.push_str(&table(&["Time", "Provider or incident", "Status", "Details"], &rows));
        md.push('\n');
    }
    // The graph as it was at the peak: a later topology may have other nodes.
    let at_peak = m.peak.as_ref().and_then(|p| Some((p, Topology::build(&p.topology).ok()?)));
    if let Some((peak, topology)) = &at_peak {
        let _ = writeln!(
            md,
            "### Dependency graph at the peak ({})\n\n```mermaid\n{}```\n",
            clock(peak.at),
            mermaid::flowchart(topology, &peak.radius, &peak.health)
        );
    }
}

/// Where an event came from, as the timeline's "Source" column says it.
fn source(kind: &EventKind, origin: &str) -> &'static str {
    match kind {
        EventKind::AlertFired { .. } | EventKind::AlertResolved { .. } => "alert",
        EventKind::HealthChanged { .. } => "health change",
        EventKind::CheckEvaluated { .. } => "check",
        EventKind::RunbookAttached { .. }
        | EventKind::StepChecked { .. }
        | EventKind::StepsSkipped { .. } => "runbook",
        EventKind::ProviderIncident { .. } => "provider status",
        EventKind::ChangeSeen { .. } => "change",
        EventKind::UpdateQueued { .. } | EventKind::UpdateSent { .. } | EventKind::UpdateFailed { .. } => {
            "stakeholder update"
        }
        EventKind::TopologyRecorded { .. }
        | EventKind::RecordingStarted { .. }
        | EventKind::RecordingStopped => "system",
        _ if metrics::MACHINE_ORIGINS.contains(&origin) => "system",
        _ => "human",
    }
}

/// The timeline table, written row by row straight into the Markdown: it is the long part (one
/// row per event).
/// Whether an event is one of the key events a reader follows the incident by: what people
/// did and said, each alert's first firing, the outage beginning and ending (health changes of
/// entrypoints), what providers declared. Checks, samples of health and snapshots are in the
/// full log.
fn key_event(
    e: &Event,
    entrypoints: &std::collections::BTreeSet<String>,
    fired: &mut std::collections::BTreeSet<String>,
) -> bool {
    match &e.kind {
        EventKind::CheckEvaluated { .. }
        | EventKind::TopologyRecorded { .. }
        | EventKind::AlertResolved { .. } => false,
        EventKind::RecordingStarted { .. } | EventKind::RecordingStopped => false,
        // The update itself is a key event; that the channel took it is in the updates section.
        EventKind::UpdateSent { .. } => false,
        EventKind::HealthChanged { node, .. } => entrypoints.contains(node),
        EventKind::AlertFired { name, node, .. } => fired.insert(format!("{name}/{node}")),
        _ => true,
    }
}

fn timeline(md: &mut String, replay: &Replay, m: &Metrics) {
    md.push_str("## Timeline\n\nThe key events; every event of the log is in the full log after it. All times UTC.\n\n");
    let mut fired = std::collections::BTreeSet::new();
    // Worked from several laptops: each person's laptop is named with them.
    let laptops: std::collections::BTreeSet<&str> =
        replay.events().iter().map(|e| e.device.as_str()).filter(|d| !d.is_empty()).collect();
    let who = |e: &Event| match (&e.by, laptops.len() > 1) {
        (Some(by), true) => format!("{by} @ {}", e.device),
        (Some(by), false) => by.clone(),
        (None, _) => source(&e.kind, &e.origin).to_owned(),
    };
    let mut rows: Vec<(DateTime<Utc>, String, String)> = replay
        .events()
        .iter()
        .filter(|e| key_event(e, &m.entrypoints_affected, &mut fired))
        .map(|e| (e.at, e.kind.describe(), who(e)))
        .collect();
    for (k, (start, end)) in m.outages.iter().enumerate() {
        rows.push((
            *start,
            "users see an outage: an entrypoint is down or impacted".to_owned(),
            "blast radius".to_owned(),
        ));
        // The last window is still open when nothing mitigated it by the end.
        if k + 1 < m.outages.len() || m.mitigated_at.is_some() {
            rows.push((*end, "users are served again".to_owned(), "blast radius".to_owned()));
        }
    }
    rows.sort_by_key(|(at, _, _)| *at);
    // Parsed once: formatting a time from the pattern's text parses the pattern every time.
    let format: Vec<chrono::format::Item<'_>> =
        chrono::format::StrftimeItems::new("%Y-%m-%d %H:%M:%S").collect();
    md.push_str(&markdown::table_header(&["Time", "Event", "By"]));
    for (at, text, by) in &rows {
        let _ = write!(md, "| {} UTC | ", at.format_with_items(format.iter()));
        markdown::escape_into(md, text, false);
        md.push_str(" | ");
        markdown::escape_into(md, by, false);
        md.push_str(" |\n");
    }
    md.push('\n');
    md.push_str("## Full log\n\nEvery event, in time order.\n\n");
    md.push_str(&markdown::table_header(&["Time", "Stage", "Event", "Source"]));
    let mut stage = Stage::Detect;
    for e in replay.events() {
        if let EventKind::StageEntered { stage: s } = &e.kind {
            stage = *s;
        }
        let _ = write!(md, "| {} | {} | ", e.at.format_with_items(format.iter()), stage.name());
        markdown::escape_into(md, &e.kind.describe(), false);
        if e.by.is_some() {
            md.push_str(" (");
            markdown::escape_into(md, &who(e), false);
            md.push(')');
        }
        let _ = writeln!(md, " | {} |", source(&e.kind, &e.origin));
    }
    md.push('\n');
}

/// Which logs the draft was written from: each laptop's chain head, for `warroom verify`.
fn provenance(md: &mut String, replay: &Replay, incident: &Incident) {
    md.push_str("\n## Where this comes from\n\n");
    let heads = crate::store::chain::heads_of(replay.events());
    if heads.is_empty() {
        md.push_str("Written from events not sealed in a log (no chain heads to name).\n\n");
        return;
    }
    let laptops: std::collections::BTreeSet<&str> = heads.iter().map(|h| h.device.as_str()).collect();
    let _ = writeln!(
        md,
        "Written from the log{} of {} laptop{}; each laptop's events are sealed in a hash chain ending at the head below. `warroom verify {}` checks them.\n",
        if laptops.len() == 1 { "" } else { "s" },
        laptops.len(),
        if laptops.len() == 1 { "" } else { "s" },
        incident.id
    );
    md.push_str(&markdown::table_header(&["Laptop", "Events", "Chain head"]));
    for h in &heads {
        md.push_str("| ");
        markdown::escape_into(md, &h.device, false);
        let _ = writeln!(md, " | {} | `{}` |", h.events, h.head);
    }
    md.push('\n');
}

fn runbook_record(md: &mut String, replay: &Replay, incident: &Incident) {
    md.push_str("## Runbook record\n\n");
    if incident.runbooks.is_empty() {
        md.push_str("No runbook was attached.\n\n");
        return;
    }
    // The text of each step, as the checking and skipping events recorded it, and every
    // outcome of each step's check, in time order.
    let mut texts = std::collections::HashMap::new();
    let mut outcomes: std::collections::HashMap<(&str, &str), Vec<&Event>> = std::collections::HashMap::new();
    for e in replay.events() {
        match &e.kind {
            EventKind::StepChecked { runbook, step, text, .. } => {
                texts.insert((runbook.as_str(), step.as_str()), text.as_str());
            }
            EventKind::StepsSkipped { steps, texts: skipped, .. } => {
                for (key, text) in steps.iter().zip(skipped) {
                    if let Some((runbook, step)) = key.split_once('/') {
                        texts.entry((runbook, step)).or_insert(text.as_str());
                    }
                }
            }
            EventKind::CheckEvaluated { runbook, step, .. } => {
                outcomes.entry((runbook.as_str(), step.as_str())).or_default().push(e);
            }
            _ => {}
        }
    }
    for r in &incident.runbooks {
        let node = r.node.as_deref().map(|n| format!(" for {}", escape(n))).unwrap_or_default();
        let _ = writeln!(
            md,
            "### {} ({}){node}\n\nAttached at {}: {} step(s) done, {} skipped, {} check(s) passed, {} failed.\n",
            escape(&r.title),
            escape_inline(&r.id),
            clock(r.attached_at),
            r.done.len(),
            r.skipped.len(),
            r.checks.values().filter(|c| c.passed == Some(true)).count(),
            r.checks.values().filter(|c| c.passed == Some(false)).count()
        );
        let mut steps: Vec<&String> = r.done.keys().chain(r.skipped.iter()).chain(r.checks.keys()).collect();
        steps.sort_unstable();
        steps.dedup();
        let rows: Vec<Vec<Cell>> = steps
            .into_iter()
            .map(|step| {
                let done = r.done.get(step);
                let outcome = match (done, r.skipped.contains(step)) {
                    (Some(_), _) => "done",
                    (None, true) => "skipped",
                    (None, false) => "not done",
                };
                // What the check said when the step was ticked (that is what the responder saw),
                // else its last word.
                let seen = outcomes.get(&(r.id.as_str(), step.as_str())).and_then(|all| match done {
                    Some(d) => all.iter().rev().find(|e| e.at <= d.at).or(all.last()),
                    None => all.last(),
                });
                let check = seen.map_or(String::new(), |e| match &e.kind {
                    EventKind::CheckEvaluated { passed, observed, .. } => {
                        let verdict = match passed {
                            Some(true) => "passed",
                            Some(false) => "failed",
                            None => "not evaluable",
                        };
                        let when = match done {
                            Some(d) if e.at <= d.at => " when ticked",
                            Some(_) => " (nothing before it was ticked)",
                            None => "",
                        };
                        format!("{verdict}{when} at {} ({observed})", clock(e.at))
                    }
                    _ => String::new(),
                });
                vec![
                    step.as_str().into(),
                    texts.get(&(r.id.as_str(), step.as_str())).copied().unwrap_or("").into(),
                    outcome.into(),
                    done.map(|d| {
                        format!(
                            "{}{}",
                            clock(d.at),
                            d.by.as_deref().map(|b| format!(" by {b}")).unwrap_or_default()
                        )
                    })
                    .unwrap_or_default()
                    .into(),
                    check.into(),
                ]
            })
            .collect();
        md.push_str(&table(&["Step", "Text", "Outcome", "Done", "Check"], &rows));
        md.push('\n');
    }
}

fn actions(md: &mut String, incident: &Incident) {
    md.push_str("## Action items\n\n");
    if incident.actions.is_empty() {
        md.push_str(&prompt(&format!(
            "what will keep this from happening again, each with an owner (`warroom action add {} \"...\" --type prevent --owner NAME`, or in the window).",
            incident.id
        )));
        md.push('\n');
        return;
    }
    let rows: Vec<Vec<Cell>> = incident
        .actions
        .iter()
        .map(|a| {
            vec![
                a.id.as_str().into(),
                a.title.as_str().into(),
                a.kind.name().into(),
                a.owner.clone().unwrap_or_default().into(),
                a.ticket.clone().unwrap_or_default().into(),
                a.status.name().into(),
                a.due.map(|d| d.to_string()).unwrap_or_default().into(),
            ]
        })
        .collect();
    md.push_str(&table(&["Id", "Item", "Type", "Owner", "Ticket", "Status", "Due"], &rows));
    md.push('\n');
}
