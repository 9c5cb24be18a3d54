//! The warroom desktop app: the window over the core (see `lib.rs`).

#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    warroom_desktop::run();
}
