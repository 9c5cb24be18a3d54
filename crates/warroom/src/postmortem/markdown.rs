//! Writing outside text into GitHub-flavoured Markdown so that it stays text: notes, alert
//! summaries, node names and log lines can hold Markdown or HTML, and none of it may become a
//! link, an image, a heading, a table cell border or a tag in the postmortem.

use std::fmt::Write;

/// Whether `c` can start inline markup anywhere (CommonMark and GFM, incl. GitHub's `$` math
/// and `~` strikethrough): always backslash-escaped, which CommonMark allows for any ASCII
/// punctuation. A `match` (a jump table), not a scan of a list: it is asked of every character
/// of a long timeline.
fn inline(c: char) -> bool {
    matches!(
        c,
        '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '~' | '&' | '!' | '#' | '$' | '{' | '}'
    )
}

/// Characters that only mean something at the start of a block (a list item, a thematic break, a
/// setext underline, a block quote): escaped there.
const LEADING: &[char] = &['-', '+', '=', '>', ':'];

/// `text` as one line of Markdown that renders as exactly that text, wherever the line is (the
/// start of a list item included).
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    escape_into(&mut out, text, true);
    out
}

/// `text` as Markdown inside a line that something else starts (a table cell, after a label).
pub fn escape_inline(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    escape_into(&mut out, text, false);
    out
}

/// Appends `text` to `out` escaped, its whitespace runs (line breaks included) as one space,
/// none at either end. `at_line_start`: the text begins a block (a list item's content), where
/// `-`, `+`, `=`, `>` and `1.` would start one.
pub fn escape_into(out: &mut String, text: &str, at_line_start: bool) {
    let text = text.trim();
    let digits = text.chars().take_while(char::is_ascii_digit).count();
    let mut space = false;
    for (i, c) in text.chars().enumerate() {
        if c.is_whitespace() {
            space = true;
            continue;
        }
        if std::mem::take(&mut space) {
            out.push(' ');
        }
        let ordered_list = at_line_start && i == digits && digits > 0 && (c == '.' || c == ')');
        if inline(c) || (at_line_start && i == 0 && LEADING.contains(&c)) || ordered_list {
            out.push('\\');
        }
        out.push(c);
    }
}

/// A GFM table: the header, then the rows, each cell escaped unless the caller marked it as
/// Markdown already (`Cell::Md`); an empty cell is a dash.
pub fn table(header: &[&str], rows: &[Vec<Cell>]) -> String {
    let mut out = table_header(header);
    for row in rows {
        out.push('|');
        for cell in row {
            out.push(' ');
            match cell {
                Cell::Text(t) if t.trim().is_empty() => out.push('—'),
                Cell::Text(t) => escape_into(&mut out, t, false),
                Cell::Md(m) => out.push_str(m),
            }
            out.push_str(" |");
        }
        out.push('\n');
    }
    out
}

/// A GFM table's header and delimiter rows.
pub fn table_header(header: &[&str]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "| {} |", header.join(" | "));
    let _ = writeln!(out, "|{}", "---|".repeat(header.len()));
    out
}

/// A table cell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cell {
    /// Outside text: escaped.
    Text(String),
    /// Markdown the postmortem wrote itself.
    Md(String),
}

impl From<&str> for Cell {
    fn from(text: &str) -> Cell {
        Cell::Text(text.to_owned())
    }
}

impl From<String> for Cell {
    fn from(text: String) -> Cell {
        Cell::Text(text)
    }
}

/// A prompt for what the log cannot tell: clearly marked, to be replaced by the team.
pub fn prompt(what: &str) -> String {
    format!("> **To fill in:** {what}\n")
}

#[cfg(test)]
pub(crate) mod tests {
    use pulldown_cmark::{Event, Options, Parser, Tag};

    use super::*;

    /// What GitHub renders: GFM with math and footnotes (no smart punctuation).
    pub(crate) fn gfm() -> Options {
        Options::ENABLE_TABLES
            | Options::ENABLE_STRIKETHROUGH
            | Options::ENABLE_TASKLISTS
            | Options::ENABLE_FOOTNOTES
            | Options::ENABLE_MATH
            | Options::ENABLE_GFM
    }

    /// Parses `md` as GFM and returns its text, failing on any HTML, link or image.
    fn text_of(md: &str) -> String {
        let mut text = String::new();
        for event in Parser::new_ext(md, gfm()) {
            match event {
                Event::Text(t) | Event::Code(t) => text.push_str(&t),
                Event::Html(h) | Event::InlineHtml(h) => panic!("HTML got through: {h} in {md}"),
                Event::Start(Tag::Link { .. } | Tag::Image { .. }) => panic!("a link got through: {md}"),
                Event::Start(Tag::Heading { .. } | Tag::List(_) | Tag::BlockQuote(_)) => {
                    panic!("a block got through: {md}")
                }
                Event::Start(Tag::Emphasis | Tag::Strong | Tag::Strikethrough) => {
                    panic!("emphasis got through: {md}")
                }
                Event::InlineMath(_) | Event::DisplayMath(_) => panic!("math got through: {md}"),
                _ => {}
            }
        }
        text
    }

    /// Issue 17: the list became a `match`; it escapes exactly the characters it did.
    #[test]
    fn the_inline_characters_are_the_ones_the_list_named() {
        let list = ['\\', '`', '*', '_', '[', ']', '<', '>', '|', '~', '&', '!', '#', '$', '{', '}'];
        for c in (0u8..128).map(char::from).chain(['—', 'é', '｜']) {
            assert_eq!(inline(c), list.contains(&c), "{c:?}");
        }
    }

    #[test]
    fn hostile_text_renders_as_itself() {
        let hostile = [
            "<script>alert(1)</script>",
            "<img src=x onerror=alert(1)>",
            "[click me](javascript:alert(1))",
            "![x](http://evil.example/x.png)",
            "# not a heading",
            "- not a list",
            "1. not a list either",
            "> not a quote",
            "**not bold** _nor this_ ~~nor this~~",
            "`code` and $x^2$ and &amp; and &lt;b&gt;",
            "a | b | c",
            "---",
            "back\\slash",
        ];
        for text in hostile {
            let md = format!("{}\n", escape(text));
            assert_eq!(text_of(&md), text, "{md}");
        }
    }

    #[test]
    fn newlines_do_not_break_out_of_a_line_or_a_cell() {
        let md = table(&["a", "b"], &[vec!["one\n\n# two".into(), "x|y\n| z |".into()]]);
        let rows: Vec<&str> = md.lines().collect();
        assert_eq!(rows.len(), 3, "{md}");
        let cells = Parser::new_ext(&md, gfm()).filter(|e| matches!(e, Event::Start(Tag::TableCell))).count();
        assert_eq!(cells, 4, "two columns, header and one row: {md}");
    }
}
