//! Reading a runbook file: front matter, stage sections, steps, and every problem on the way.
//!
//! A runbook written for warroom has task-list steps (`- [ ] ...`) under `##` stage headings. A
//! file without a single task-list item is taken as imported (a prometheus-operator runbook):
//! each top-level list item of a stage section is a step, and a section without a list is one
//! step, its prose. Content of a section outside any step goes to the step before it (or the
//! section's first step): code blocks (commands) and links. Other text between steps is left
//! out; the text before the first `##` is the runbook's summary.
//!
//! What a runbook written for another tool uses and warroom does not map is kept and warned
//! about, not refused: front-matter keys (Hugo's `weight`, `aliases`) are kept as written, a `##`
//! section that names no stage (`## Troubleshooting`, `## Escalation`) is kept as reference text
//! under the stage it follows (or the runbook's own references), an empty section is skipped, and
//! repeated step texts keep their distinct ids. A heading or key one or two letters away from a
//! known one (`## Recvoer`, `applies-to`) is still an error: that is a typo, and its steps would be
//! lost.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use pulldown_cmark::{Event, HeadingLevel, Tag};

use super::check::{self, Promql};
use super::front::{self, Front};
use super::heading;
use super::markdown::{self, Code, Content, Ev, blocks, content, inner, line_of};
use super::problem::Problems;
use super::{Link, Linted, Reference, Runbook, StageSteps, Step};
use crate::model::Stage;
use crate::text::Lines;

/// Info strings of the code blocks shown as commands (never run).
const COMMAND_INFOS: [&str; 4] = ["sh", "shell", "bash", "console"];

/// A `##` section: its heading and the blocks under it.
struct Section<'e, 'a> {
    name: String,
    line: usize,
    stage: Option<Stage>,
    blocks: Vec<&'e [Ev<'a>]>,
}

/// Code blocks and links found outside any step, waiting for the section's first step.
#[derive(Default)]
struct Stray {
    codes: Vec<Code>,
    links: Vec<Link>,
}

pub(super) fn parse(path: &Path, text: &str) -> Linted {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    // Line breaks as editors (and the YAML front matter) count them: CRLF, and a lone CR, are
    // one break each; every line a problem or a step names is counted the same way.
    let normalized = crate::text::unix_lines(text);
    let text = normalized.as_ref();
    let lines = Lines::new(text);
    let mut problems = Problems::new(path);
    let events = markdown::events(text);
    let imported = !events.iter().any(|(e, _)| matches!(e, Event::TaskListMarker(_)));

    let mut front: Option<Front> = None;
    let mut h1: Option<String> = None;
    let mut preamble = Vec::new();
    let mut sections: Vec<Section<'_, '_>> = Vec::new();
    for block in blocks(&events) {
        let Some((first, range)) = block.first() else { continue };
        match first {
            Event::Start(Tag::MetadataBlock(_)) if range.start == 0 => {
                front = Some(read_front(block, text, &lines, &mut problems));
            }
            Event::Start(Tag::MetadataBlock(_)) => problems.add(
                line_of(block, &lines),
                "a `---` block below the top is read as front matter: front matter belongs on the \
                 first line; for a horizontal rule use `***`",
            ),
            Event::Start(Tag::Heading { level: HeadingLevel::H1, .. }) => {
                let title = content(inner(block), &lines).text;
                if h1.is_none() && !title.is_empty() {
                    h1 = Some(title);
                }
            }
            Event::Start(Tag::Heading { level: HeadingLevel::H2, .. }) => {
                let name = content(inner(block), &lines).text;
                let stage = heading::stage(&name);
                sections.push(Section { name, line: line_of(block, &lines), stage, blocks: Vec::new() });
            }
            _ => match sections.last_mut() {
                Some(section) => section.blocks.push(block),
                None => preamble.push(block),
            },
        }
    }
    if front.is_none() && text.lines().next().is_some_and(|l| l.trim_end() == "---") {
        problems.add(
            1,
            "front matter: no closing `---` line (or a blank first line): write `---`, the YAML, then `---`",
        );
    }
    let front = front.unwrap_or_default();

    let mut by_stage: BTreeMap<Stage, Vec<Step>> = BTreeMap::new();
    let mut referenced: BTreeMap<Stage, Vec<Reference>> = BTreeMap::new();
    let mut references = Vec::new();
    let mut last_stage: Option<Stage> = None;
    let mut any_stage = false;
    for section in &sections {
        let meant = section.stage.is_none().then(|| heading::close_to(&section.name)).flatten();
        let stage = match (section.stage, meant) {
            (Some(stage), _) => Some(stage),
            // An imported runbook's variant of a heading (`## Mitigating`) is read as the heading.
            (None, Some(meant)) if imported => {
                let stage = heading::stage(meant);
                if let Some(stage) = stage {
                    problems.warn(
                        section.line,
                        format!("section '{}' read as '## {meant}' ({stage})", section.name),
                    );
                }
                stage
            }
            (None, Some(meant)) => {
                problems.add(
                    section.line,
                    format!(
                        "unknown section '{}': did you mean '## {meant}'? A `##` heading names a stage: {}",
                        section.name,
                        heading::accepted()
                    ),
                );
                continue;
            }
            (None, None) => None,
        };
        let Some(stage) = stage else {
            let reference = reference(section, &lines);
            let under = match last_stage {
                Some(stage) => {
                    referenced.entry(stage).or_default().push(reference);
                    format!("under {stage}")
                }
                None => {
                    references.push(reference);
                    "in the runbook's references".to_owned()
                }
            };
            problems.warn(
                section.line,
                format!(
                    "section '{}' names no stage: kept as reference text {under}, not as steps (a \
                     stage is one of: {})",
                    section.name,
                    heading::accepted()
                ),
            );
            continue;
        };
        last_stage = Some(stage);
        any_stage = true;
        let steps = section_steps(section, imported, &lines, &mut problems);
        if steps.is_empty() {
            if imported {
                problems.warn(section.line, format!("section '{}' is empty: skipped", section.name));
            } else {
                problems.add(
                    section.line,
                    format!("section '{}' has no steps: add task items, `- [ ] what to do`", section.name),
                );
            }
        }
        by_stage.entry(stage).or_default().extend(steps);
    }
    if !any_stage {
        let message = "no stage section: a runbook needs `##` headings such as ## Detect, ## Identify, \
                       ## Isolate, ## Recover, ## Analyze";
        if imported {
            problems.warn(1, format!("{message} (read as text only: nothing to tick)"));
        } else {
            problems.add(1, message);
        }
    }
    let stages = number_steps(by_stage, referenced, &mut references, &mut problems);

    if problems.has_errors() {
        return Linted { runbook: None, problems: problems.into_sorted() };
    }
    let id = front.id.unwrap_or_else(|| default_id(path));
    let title = front.title.or(h1).unwrap_or_else(|| id.clone());
    let summary: Vec<String> = preamble
        .iter()
        .filter(|b| {
            matches!(b.first(), Some((Event::Start(Tag::Paragraph | Tag::List(_) | Tag::BlockQuote(_)), _)))
        })
        .map(|b| content(b, &lines).text)
        .filter(|t| !t.is_empty())
        .collect();
    let runbook = Runbook {
        id,
        title,
        severity: front.severity,
        summary: summary.join("\n\n"),
        applies_to: front.applies_to,
        stages,
        imported,
        references,
        extra_front_matter: front.extra,
    };
    Linted { runbook: Some(runbook), problems: problems.into_sorted() }
}

/// A section that names no stage, as text to read: its blocks' text, its code, its links.
fn reference(section: &Section<'_, '_>, lines: &Lines<'_>) -> Reference {
    let mut texts = Vec::new();
    let mut commands = Vec::new();
    let mut links = Vec::new();
    for block in &section.blocks {
        let found = content(block, lines);
        if !found.text.is_empty() {
            texts.push(found.text);
        }
        commands.extend(found.codes.iter().map(Code::body).filter(|body| !body.is_empty()));
        links.extend(found.links);
    }
    Reference { title: section.name.clone(), text: texts.join("\n"), line: section.line, commands, links }
}

/// Parses the YAML inside the front matter block.
fn read_front(block: &[Ev<'_>], text: &str, lines: &Lines<'_>, problems: &mut Problems<'_>) -> Front {
    let texts: Vec<&std::ops::Range<usize>> =
        inner(block).iter().filter(|(e, _)| matches!(e, Event::Text(_))).map(|(_, r)| r).collect();
    let (Some(first), Some(last)) = (texts.first(), texts.last()) else { return Front::default() };
    let yaml = text.get(first.start..last.end).unwrap_or_default();
    front::parse(yaml, lines.at(first.start), problems)
}

/// The id of a runbook whose front matter names none: its file name, lower case, other characters
/// as dashes (`KubePodCrashLooping.md` is `kubepodcrashlooping`).
fn default_id(path: &Path) -> String {
    let stem = path.file_stem().map(|s| s.to_string_lossy().to_lowercase()).unwrap_or_default();
    let mut id = String::new();
    for c in stem.chars() {
        let c = if c.is_ascii_lowercase() || c.is_ascii_digit() { c } else { '-' };
        if !(c == '-' && (id.is_empty() || id.ends_with('-'))) {
            id.push(c);
        }
    }
    let id = id.trim_end_matches('-');
    if id.is_empty() { "runbook".to_owned() } else { id.to_owned() }
}

/// The steps of one stage section.
fn section_steps(
    section: &Section<'_, '_>,
    imported: bool,
    lines: &Lines<'_>,
    problems: &mut Problems<'_>,
) -> Vec<Step> {
    let mut steps: Vec<Step> = Vec::new();
    let mut stray = Stray::default();
    let mut prose: Vec<(String, usize)> = Vec::new();
    for block in &section.blocks {
        match block.first() {
            Some((Event::Start(Tag::List(_)), _)) => {
                for item in blocks(inner(block)) {
                    let found = content(inner(item), lines);
                    if found.task.is_some() || imported {
                        steps.extend(new_step(found, line_of(item, lines), imported, problems));
                    } else {
                        if looks_like_a_task(&found.text) {
                            problems.add(
                                line_of(item, lines),
                                "not a task item, so not a step: write `- [ ] ` (one space between the \
                                 brackets, one after) or `- [x] `",
                            );
                        } else if found.nested_tasks {
                            problems.add(
                                line_of(item, lines),
                                "task items nested under a plain list item are not steps: make them \
                                 top-level items of the section",
                            );
                        }
                        put_aside(found, &mut steps, &mut stray, imported, problems);
                    }
                }
            }
            Some((Event::Start(Tag::Paragraph), _)) => {
                let found = content(block, lines);
                if !found.text.is_empty() {
                    prose.push((found.text.clone(), line_of(block, lines)));
                }
                put_aside(found, &mut steps, &mut stray, imported, problems);
            }
            _ => put_aside(content(block, lines), &mut steps, &mut stray, imported, problems),
        }
    }
    // A section of prose and code blocks without a list is one step: its prose, its commands.
    if steps.is_empty() && imported && !section.blocks.is_empty() {
        let line = prose.first().map_or(section.line, |(_, line)| *line);
        let text = if prose.is_empty() {
            section.name.clone()
        } else {
            prose.into_iter().map(|(text, _)| text).collect::<Vec<_>>().join("\n")
        };
        steps.push(Step {
            id: String::new(),
            text,
            line,
            done_in_file: false,
            check: None,
            commands: Vec::new(),
            links: Vec::new(),
        });
    }
    if let Some(first) = steps.first_mut() {
        first.links.splice(0..0, stray.links);
        for code in stray.codes {
            attach_code(first, code, imported, problems);
        }
    }
    steps
}

/// Whether a list item's text starts like a mistyped task-list marker (`[]`, `[ x]`, `[*]`):
/// Markdown makes it a plain item, and the step would silently be missing.
fn looks_like_a_task(text: &str) -> bool {
    let Some(rest) = text.strip_prefix('[') else { return false };
    let inside: String = rest.chars().take_while(|c| *c != ']').take(4).collect();
    inside.chars().count() <= 3
        && rest.chars().nth(inside.chars().count()) == Some(']')
        && inside.chars().all(|c| c.is_whitespace() || "xX*v✓✔-".contains(c))
}

/// A list item as a step; `None` (and a problem) when it says nothing.
fn new_step(found: Content, line: usize, imported: bool, problems: &mut Problems<'_>) -> Option<Step> {
    if found.text.is_empty() {
        problems.add(line, "a step without text: say what to do after `- [ ]`");
        return None;
    }
    let mut step = Step {
        id: String::new(),
        text: found.text,
        line,
        done_in_file: found.task.unwrap_or(false),
        check: None,
        commands: Vec::new(),
        links: found.links,
    };
    for code in found.codes {
        attach_code(&mut step, code, imported, problems);
    }
    Some(step)
}

/// Content outside any step: its code blocks and links go to the step before it, or wait for the
/// section's first step. A check there is a problem in a warroom runbook: it was meant for a step
/// but is not indented under it.
fn put_aside(
    found: Content,
    steps: &mut [Step],
    stray: &mut Stray,
    imported: bool,
    problems: &mut Problems<'_>,
) {
    for code in found.codes {
        if code.info == "promql" && !imported {
            problems.add(code.line, "a check outside a step: indent the promql block under its `- [ ]` item");
            continue;
        }
        match steps.last_mut() {
            Some(step) => attach_code(step, code, imported, problems),
            None => stray.codes.push(code),
        }
    }
    match steps.last_mut() {
        Some(step) => step.links.extend(found.links),
        None => stray.links.extend(found.links),
    }
}

/// A code block inside (or given to) a step: a check, a command, or nothing warroom uses.
fn attach_code(step: &mut Step, code: Code, imported: bool, problems: &mut Problems<'_>) {
    if code.info == "promql" {
        match check::parse_promql(&code.lines, code.line, problems) {
            Promql::Check(check) => match &step.check {
                Some(first) => problems.add(
                    check.line,
                    format!(
                        "a second check in one step (the first is on line {}): split the step in two",
                        first.line
                    ),
                ),
                None => step.check = Some(check),
            },
            Promql::Query(query) if imported => step.commands.push(query),
            Promql::Query(_) => problems.add(
                code.line,
                "a check without a condition: add a line such as `expect: < 0.02` under the query",
            ),
            Promql::Invalid => {}
        }
    } else if COMMAND_INFOS.contains(&code.info.as_str()) {
        let body = code.body();
        if !body.is_empty() {
            step.commands.push(body);
        }
    }
}

/// Gives every step its id (`recover-2`, by position: repeated texts keep distinct ids), warns of
/// steps written twice in one stage, and puts each stage's references with it (a stage without
/// steps gives its references to the runbook's).
fn number_steps(
    by_stage: BTreeMap<Stage, Vec<Step>>,
    mut referenced: BTreeMap<Stage, Vec<Reference>>,
    loose: &mut Vec<Reference>,
    problems: &mut Problems<'_>,
) -> Vec<StageSteps> {
    let mut stages = Vec::new();
    for (stage, mut steps) in by_stage {
        let mut seen: HashMap<&str, usize> = HashMap::new();
        for (n, step) in steps.iter_mut().enumerate() {
            step.id = format!("{stage}-{}", n + 1);
        }
        for step in &steps {
            let first = *seen.entry(&step.text).or_insert(step.line);
            if first != step.line {
                problems.warn(
                    step.line,
                    format!(
                        "the same step twice in {stage} (first on line {first}): '{}'; both are kept, as {}",
                        short(&step.text),
                        step.id
                    ),
                );
            }
        }
        let references = referenced.remove(&stage).unwrap_or_default();
        if steps.is_empty() {
            loose.extend(references);
        } else {
            stages.push(StageSteps { stage, steps, references });
        }
    }
    loose.extend(referenced.into_values().flatten());
    loose.sort_by_key(|r| r.line);
    stages
}

/// The start of a long text, for messages.
fn short(text: &str) -> String {
    const MAX: usize = 60;
    match text.char_indices().nth(MAX) {
        Some((at, _)) => format!("{}...", &text[..at]),
        None => text.to_owned(),
    }
}
