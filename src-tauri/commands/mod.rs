//! One thin command per user action, grouped by the area of the window they serve.
//!
//! Each is a few lines: take the state, call one core function, map the error. They are
//! `#[tauri::command(async)]`, so SQLite work never runs on the UI thread.

pub mod app;
pub mod drill;
pub mod incident;
pub mod review;
pub mod runbook;
pub mod sources;
