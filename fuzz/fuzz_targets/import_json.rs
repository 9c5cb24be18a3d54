//! Any bytes as an exported incident (`warroom import`, read as it streams into a log in
//! memory, one log for every input: what one input imports, the next meets): reading it never
//! panics; an error names a line inside the text when it has one.

#![no_main]

use std::cell::RefCell;
use std::path::Path;

use libfuzzer_sys::fuzz_target;
use warroom::export::{ImportFailed, import};
use warroom::store::Store;

thread_local! {
    static LOG: RefCell<Option<Store>> = RefCell::new(Store::open_in_memory().ok());
}

fuzz_target!(|data: &[u8]| {
    LOG.with_borrow_mut(|log| {
        let Some(store) = log else { return };
        let lines = data.split(|b| *b == b'\n').count();
        if let Err(ImportFailed::File(e)) = import(Path::new("fuzz.json"), data, store) {
            assert!(e.line.is_none_or(|l| (1..=lines).contains(&l)), "{e}");
        }
    });
});
