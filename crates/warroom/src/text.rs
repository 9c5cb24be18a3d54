//! Small helpers for text that users wrote: where in a file an error is, and its words
//! single-spaced.

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
}
