//! Any text as an exported incident (`warroom import`): reading it never panics; an error names a
//! line inside the text when it has one.

#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use warroom::export::Exported;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let lines = text.lines().count() + 1;
    if let Err(e) = Exported::parse(Path::new("fuzz.json"), text) {
        assert!(e.line.is_none_or(|l| (1..=lines).contains(&l)), "{e}");
    }
});
