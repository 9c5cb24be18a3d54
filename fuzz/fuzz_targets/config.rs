//! Any text as warroom.toml: parsing never panics; an error names the file and, when it has one,
//! a line inside the text.

#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use warroom::config::Config;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let lines = text.lines().count() + 1;
    if let Err(e) = Config::parse(Path::new("/nonexistent/warroom.toml"), text) {
        assert!(e.line.is_none_or(|l| (1..=lines).contains(&l)), "{e}");
    }
});
