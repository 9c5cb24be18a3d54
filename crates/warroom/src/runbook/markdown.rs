//! The Markdown side: pulldown-cmark's event stream cut into blocks, and a block read as plain
//! text with its links and code blocks.
//!
//! pulldown-cmark gives a flat stream of start/end events with byte ranges; a runbook is easier
//! to read as blocks (a heading, a paragraph, a list, a list item, a code block), so the stream is
//! cut where its nesting returns to zero. Lines come from the byte offsets through the file's
//! [`Lines`], indexed once per parse.

use std::ops::Range;

use pulldown_cmark::{CodeBlockKind, Event, Options, Parser, Tag, TagEnd};

use super::Link;
use crate::text::{Lines, single_spaced};

/// An event and the bytes of the source it stands for.
pub(super) type Ev<'a> = (Event<'a>, Range<usize>);

/// CommonMark with GitHub's task lists, tables and strikethrough, and YAML front matter.
pub(super) fn events(text: &str) -> Vec<Ev<'_>> {
    let options = Options::ENABLE_TASKLISTS
        | Options::ENABLE_YAML_STYLE_METADATA_BLOCKS
        | Options::ENABLE_TABLES
        | Options::ENABLE_STRIKETHROUGH;
    Parser::new_ext(text, options).into_offset_iter().collect()
}

/// Cuts a balanced run of events into its top-level blocks: each a `Start .. End` run, or one
/// event on its own (a rule, HTML, text at the top of a list item).
pub(super) fn blocks<'e, 'a>(events: &'e [Ev<'a>]) -> Vec<&'e [Ev<'a>]> {
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    for (i, (event, _)) in events.iter().enumerate() {
        match event {
            Event::Start(_) => {
                if depth == 0 {
                    start = i;
                }
                depth += 1;
            }
            Event::End(_) => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    out.extend(events.get(start..=i));
                }
            }
            _ if depth == 0 => out.extend(events.get(i..=i)),
            _ => {}
        }
    }
    out
}

/// The events inside a `Start .. End` block.
pub(super) fn inner<'e, 'a>(block: &'e [Ev<'a>]) -> &'e [Ev<'a>] {
    block.get(1..block.len().saturating_sub(1)).unwrap_or_default()
}

/// The line a block starts on.
pub(super) fn line_of(block: &[Ev<'_>], lines: &Lines<'_>) -> usize {
    block.first().map_or(1, |(_, range)| lines.at(range.start))
}

/// A fenced (or indented) code block.
#[derive(Debug)]
pub(super) struct Code {
    /// The first word of the info string, lower case (`promql`, `sh`); empty when none.
    pub info: String,
    /// The line of the opening fence.
    pub line: usize,
    /// Every line of the content, with its line in the file.
    pub lines: Vec<(usize, String)>,
}

impl Code {
    /// The content as one text.
    pub fn body(&self) -> String {
        let lines: Vec<&str> = self.lines.iter().map(|(_, l)| l.as_str()).collect();
        lines.join("\n").trim_end().to_owned()
    }
}

/// A block read for people: its plain text, and what it carries.
#[derive(Debug, Default)]
pub(super) struct Content {
    /// Inline code kept as text, links' text kept; soft breaks are spaces, blocks (paragraphs,
    /// nested list items as `- ...`) are lines. Code blocks and HTML are left out.
    pub text: String,
    /// The task-list marker at the start of a list item: `Some(checked)`.
    pub task: Option<bool>,
    /// Task-list markers further in (nested items), kept in the text as `[ ]`.
    pub nested_tasks: bool,
    pub links: Vec<Link>,
    pub codes: Vec<Code>,
}

/// Plain text that joins pieces with the separator the structure asks for.
#[derive(Default)]
struct TextBuf {
    out: String,
    pending: Option<char>,
}

impl TextBuf {
    fn push(&mut self, s: &str) {
        if s.is_empty() {
            return;
        }
        if let Some(sep) = self.pending.take().filter(|_| !self.out.is_empty()) {
            self.out.push(sep);
        }
        self.out.push_str(s);
    }

    fn space(&mut self) {
        self.pending.get_or_insert(' ');
    }

    fn line(&mut self) {
        self.pending = Some('\n');
    }
}

/// Reads a run of events (a paragraph, the inside of a list item) as [`Content`].
pub(super) fn content(events: &[Ev<'_>], lines: &Lines<'_>) -> Content {
    let mut out = Content::default();
    let mut buf = TextBuf::default();
    let mut open_links: Vec<Link> = Vec::new();
    let mut code: Option<Code> = None;
    let mut images = 0usize;
    let mut lists = 0usize;
    for (event, range) in events {
        if let Some(block) = code.as_mut() {
            match event {
                Event::Text(t) => push_code_text(block, t, lines.at(range.start)),
                Event::End(TagEnd::CodeBlock) => out.codes.extend(code.take().map(finish_code)),
                _ => {}
            }
            continue;
        }
        match event {
            Event::Start(Tag::CodeBlock(kind)) => {
                buf.line();
                let info = match kind {
                    CodeBlockKind::Fenced(info) => {
                        info.split_whitespace().next().unwrap_or_default().to_ascii_lowercase()
                    }
                    CodeBlockKind::Indented => String::new(),
                };
                code = Some(Code { info, line: lines.at(range.start), lines: Vec::new() });
            }
            Event::Start(Tag::List(_)) => {
                lists += 1;
                buf.line();
            }
            Event::End(TagEnd::List(_)) => {
                lists = lists.saturating_sub(1);
                buf.line();
            }
            Event::Start(Tag::Item) => {
                buf.line();
                buf.push("- ");
            }
            Event::TaskListMarker(checked) if lists == 0 && out.task.is_none() && buf.out.is_empty() => {
                out.task = Some(*checked);
            }
            Event::TaskListMarker(checked) => {
                out.nested_tasks = true;
                buf.push(if *checked { "[x] " } else { "[ ] " });
            }
            Event::Start(
                Tag::Paragraph | Tag::Heading { .. } | Tag::BlockQuote(_) | Tag::TableHead | Tag::TableRow,
            )
            | Event::End(
                TagEnd::Paragraph
                | TagEnd::Heading(_)
                | TagEnd::BlockQuote(_)
                | TagEnd::TableHead
                | TagEnd::TableRow
                | TagEnd::Item,
            )
            | Event::HardBreak
            | Event::Rule => buf.line(),
            Event::Start(Tag::TableCell) => buf.space(),
            Event::Start(Tag::Link { dest_url, .. }) => {
                open_links.push(Link { text: String::new(), url: dest_url.to_string() });
            }
            Event::End(TagEnd::Link) => {
                if let Some(mut link) = open_links.pop() {
                    link.text = single_spaced(&link.text);
                    if link.text.is_empty() {
                        link.text.clone_from(&link.url);
                    }
                    out.links.push(link);
                }
            }
            Event::Start(Tag::Image { .. }) => images += 1,
            Event::End(TagEnd::Image) => images = images.saturating_sub(1),
            Event::Text(t) | Event::Code(t) if images == 0 => {
                buf.push(t);
                for link in &mut open_links {
                    link.text.push_str(t);
                }
            }
            Event::SoftBreak => {
                buf.space();
                for link in &mut open_links {
                    link.text.push(' ');
                }
            }
            _ => {}
        }
    }
    // A code block cut off by the end of the run (never from a balanced run) still counts.
    out.codes.extend(code.map(finish_code));
    out.text = buf.out.trim().to_owned();
    out
}

/// Adds a piece of a code block's text, which starts on `line`, to its lines.
fn push_code_text(code: &mut Code, piece: &str, mut line: usize) {
    let mut open = code.lines.last().is_some_and(|(_, l)| !l.ends_with('\n'));
    for part in piece.split_inclusive('\n') {
        if !open {
            code.lines.push((line, String::new()));
        }
        if let Some((_, current)) = code.lines.last_mut() {
            current.push_str(part);
        }
        open = !part.ends_with('\n');
        if !open {
            line += 1;
        }
    }
}

/// Drops the line ends that [`push_code_text`] keeps to know where lines end.
fn finish_code(mut code: Code) -> Code {
    for (_, line) in &mut code.lines {
        let trimmed = line.trim_end_matches(['\n', '\r']).len();
        line.truncate(trimmed);
    }
    code
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_list_item_reads_as_text_links_and_code_with_lines() {
        let text = "- [x] Open the [dashboard](https://g/d?n=$node) and run `top`\n  \
                    over two lines.\n  ```sh\n  kubectl get pods\n  kubectl top pods\n  ```\n  - a sub-point\n";
        let events = events(text);
        let list = blocks(&events);
        let items = blocks(inner(list[0]));
        let c = content(inner(items[0]), &Lines::new(text));
        assert_eq!(c.task, Some(true));
        assert_eq!(c.text, "Open the dashboard and run top over two lines.\n- a sub-point");
        assert_eq!(
            c.links,
            vec![Link { text: "dashboard".to_owned(), url: "https://g/d?n=$node".to_owned() }]
        );
        assert_eq!(c.codes.len(), 1);
        assert_eq!(c.codes[0].info, "sh");
        assert_eq!(c.codes[0].line, 3);
        assert_eq!(
            c.codes[0].lines,
            vec![(4, "kubectl get pods".to_owned()), (5, "kubectl top pods".to_owned())]
        );
    }
}
