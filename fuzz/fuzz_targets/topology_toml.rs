//! Any text as a warroom topology file: parsing never panics, every problem's line is inside the
//! text, and a topology that parses builds (or is refused with its problems) without panicking,
//! whatever its shape (cycles, self-references, huge groups).

#![no_main]

use libfuzzer_sys::fuzz_target;
use warroom::topology::{Topology, parse_toml};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let lines = text.lines().count() + 1;
    match parse_toml(text) {
        Err(problem) => assert!(problem.line.is_none_or(|l| (1..=lines).contains(&l)), "{problem}"),
        Ok(spec) => {
            if let Ok(topology) = Topology::build(&spec) {
                let _ = topology.single_points_of_failure();
            }
        }
    }
});
