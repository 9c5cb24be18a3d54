//! Small helpers for text that users wrote: where in a file an error is, its words
//! single-spaced, and how to show it on a terminal without letting it drive the terminal.

use std::borrow::Cow;

/// The 1-based line on which byte `offset` of `text` stands (line 1 for an offset past the end
/// or inside a character, which parsers never give but need not panic on).
pub fn line_at(text: &str, offset: usize) -> usize {
    text.get(..offset).map_or(1, |before| before.matches('\n').count() + 1)
}

/// The lines of a text, indexed once: [`line_at`] for many offsets without rescanning the text
/// before each one.
pub struct Lines<'t> {
    text: &'t str,
    /// The offset of every `\n`, in order.
    newlines: Vec<usize>,
}

impl<'t> Lines<'t> {
    pub fn new(text: &'t str) -> Lines<'t> {
        Lines { text, newlines: text.match_indices('\n').map(|(at, _)| at).collect() }
    }

    /// The 1-based line on which byte `offset` stands: the same as [`line_at`] for every offset
    /// (line 1 past the end or inside a character).
    pub fn at(&self, offset: usize) -> usize {
        if !self.text.is_char_boundary(offset) {
            return 1;
        }
        self.newlines.partition_point(|&newline| newline < offset) + 1
    }
}

/// The words of `text` separated by single spaces: runs of whitespace (line breaks included) as
/// one space, none at either end.
pub fn single_spaced(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `text` made safe to print on a terminal as one line: every control character (ESC, BEL, CR,
/// NUL, DEL, the C1 controls, and `\n`) written the way Rust writes it in a string literal
/// (`\u{1b}`, `\u{7}`, `\r`, `\n`), `\t` kept. Text from outside (a title, a note, a server's
/// error body) could otherwise move the cursor, recolour or rewrite a line already printed, or
/// retitle the window. Borrowed, not copied, when there is nothing to escape.
pub fn printable(text: &str) -> Cow<'_, str> {
    escaped(text, false)
}

/// [`printable`] for a text printed as several lines on purpose (a drafted update): its line
/// breaks (`\n`) are kept, every other control character but `\t` is escaped.
pub fn printable_lines(text: &str) -> Cow<'_, str> {
    escaped(text, true)
}

fn escaped(text: &str, keep_line_breaks: bool) -> Cow<'_, str> {
    let escape = |c: char| c.is_control() && c != '\t' && !(keep_line_breaks && c == '\n');
    if !text.chars().any(escape) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if escape(c) {
            out.extend(c.escape_debug());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// `text` with every line break a `\n`: CRLF and a lone CR (old Mac files) become one each.
/// Returned without a copy when there is no CR.
pub fn unix_lines(text: &str) -> std::borrow::Cow<'_, str> {
    if text.contains('\r') {
        std::borrow::Cow::Owned(text.replace("\r\n", "\n").replace('\r', "\n"))
    } else {
        std::borrow::Cow::Borrowed(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_count_from_one() {
        assert_eq!(line_at("a\nb\nc", 0), 1);
        assert_eq!(line_at("a\nb\nc", 2), 2);
        assert_eq!(line_at("a\nb\nc", 4), 3);
        assert_eq!(line_at("é", 1), 1);
    }

    #[test]
    fn the_line_index_agrees_with_line_at_everywhere() {
        let texts = ["", "a", "\n", "\n\n", "a\nb\nc", "a\nb\n", "é\nü\r\nx\n", "## 탐지\n- [ ] 확인\n"];
        for text in texts {
            let lines = Lines::new(text);
            for offset in 0..=text.len() + 2 {
                assert_eq!(lines.at(offset), line_at(text, offset), "{text:?} at {offset}");
            }
        }
    }

    #[test]
    fn single_spacing_joins_words_with_one_space() {
        assert_eq!(single_spaced("  a \t b\n\nc  "), "a b c");
        assert_eq!(single_spaced(" \n "), "");
    }

    #[test]
    fn control_characters_are_escaped_for_the_terminal() {
        let hostile = "\u{1b}]0;pwned\u{7}\u{1b}[32mOK\r\u{0}\u{7f}\u{9b}2J";
        let shown = printable(hostile);
        assert_eq!(shown, "\\u{1b}]0;pwned\\u{7}\\u{1b}[32mOK\\r\\0\\u{7f}\\u{9b}2J");
        assert!(!shown.chars().any(char::is_control), "{shown}");
        assert_eq!(printable("two\nlines"), "two\\nlines", "one line stays one line");
        assert_eq!(printable_lines("two\nlines\r\n"), "two\nlines\\r\n", "line breaks kept on purpose");
    }

    #[test]
    fn printable_text_is_kept_as_it_is_without_a_copy() {
        for text in ["", "Checkout returns 500", "tab\tseparated", "탐지 → 복구 ✓", "back\\slash \"quoted\""]
        {
            assert!(matches!(printable(text), Cow::Borrowed(t) if t == text), "{text:?}");
        }
        assert!(matches!(printable_lines("a\nb"), Cow::Borrowed("a\nb")));
    }
}
