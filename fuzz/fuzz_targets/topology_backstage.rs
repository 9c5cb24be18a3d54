//! Any text as a Backstage catalog (YAML, several documents): parsing never panics, and what
//! parses builds (or is refused with its problems) without panicking.

#![no_main]

use libfuzzer_sys::fuzz_target;
use warroom::topology::parse_backstage;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    match parse_backstage(text) {
        Err(problems) => assert!(!problems.is_empty(), "an error without a problem"),
        Ok(catalog) => {
            let _ = catalog.build();
        }
    }
});
