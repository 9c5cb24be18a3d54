//! One thin command per user action or read, grouped by the window's areas. Each takes the state,
//! calls the core and maps its error; none holds a rule of its own. Actions are invoked over
//! Tauri's IPC (`list.rs`); reads come over the window's read protocol (`read.rs`).

pub mod app;
pub mod changes;
pub mod feed;
pub mod incident;
pub mod review;
pub mod runbook;
pub mod sources;
pub mod updates;
