//! Small helpers for text that users wrote: where in a file an error is.

/// The 1-based line on which byte `offset` of `text` stands (line 1 for an offset past the end
/// or inside a character, which parsers never give but need not panic on).
pub fn line_at(text: &str, offset: usize) -> usize {
    text.get(..offset).map_or(1, |before| before.matches('\n').count() + 1)
}

#[cfg(test)]
mod tests {
    #[test]
    fn lines_count_from_one() {
        assert_eq!(super::line_at("a\nb\nc", 0), 1);
        assert_eq!(super::line_at("a\nb\nc", 2), 2);
        assert_eq!(super::line_at("a\nb\nc", 4), 3);
        assert_eq!(super::line_at("é", 1), 1);
    }
}
