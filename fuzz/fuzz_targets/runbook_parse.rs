//! Any bytes given to the runbook parser: it never panics, and every line it reports (a problem's,
//! a step's, a check's) is inside the text.

#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use warroom::runbook::Runbook;

fuzz_target!(|data: &[u8]| {
    let path = Path::new("fuzz.md");
    let result = match std::str::from_utf8(data) {
        Ok(text) => Runbook::parse(path, text),
        Err(_) => Runbook::from_bytes(path, data),
    };
    // A line past the last one is allowed (a problem at the end of a file without a final newline).
    // Line breaks are counted as editors count them: CRLF and a lone CR are one each.
    let text = String::from_utf8_lossy(data);
    let lines = warroom::text::unix_lines(&text).matches('\n').count() + 1;
    let inside = |line: usize| (1..=lines + 1).contains(&line);
    match result {
        Err(problems) => {
            assert!(!problems.is_empty(), "an error without a problem");
            for problem in &problems {
                assert!(inside(problem.line), "{problem} is outside the {lines} lines");
            }
        }
        Ok(runbook) => {
            for step in runbook.steps() {
                assert!(inside(step.line), "step {} on line {} of {lines}", step.id, step.line);
                if let Some(check) = &step.check {
                    assert!(inside(check.line), "check of {} on line {} of {lines}", step.id, check.line);
                }
            }
        }
    }
});
