//! warroom's core: the incident log and everything built on it.
//!
//! Everything that happens in an incident is an [`model::Event`] appended to its timeline; the
//! incident's current state is the fold of those events ([`model::Incident::fold`]). The
//! [`store`] keeps the log durable in SQLite, [`ops`] validates and records what responders do.
//! The CLI (`src/main.rs`) and the desktop shell are both thin adapters over this library: it
//! knows nothing of Tauri, GTK or the terminal.

pub mod changes;
pub mod chart;
pub mod checks;
pub mod config;
pub mod export;
pub mod files;
pub mod health;
pub mod live;
pub mod model;
pub mod monitor;
pub mod notify;
pub mod ops;
pub mod postmortem;
pub mod rehearsal;
pub mod replay;
pub mod review;
pub mod runbook;
pub mod runtime;
pub mod secret;
pub mod sources;
pub mod store;
pub mod sync;
pub mod text;
pub mod time;
pub mod topology;
pub mod updates;
