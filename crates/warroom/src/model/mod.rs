//! The incident model: what an incident is and what can happen to it.
//!
//! This module depends on nothing else in the crate. An [`Event`] is a fact about an incident
//! (declared, stage entered, note written, ...); an [`Incident`] is what those facts add up to.
//! Nothing here is ever updated in place: a change is a new event, and the state is re-derived.

mod action;
mod change;
mod event;
mod health;
mod incident;
mod parse;
mod role;
mod severity;
mod stage;
pub mod topology;
mod update;

pub use action::{ActionItem, ActionKind, ActionStatus};
pub use change::{Change, ChangeKind};
pub use event::{Event, EventKind, next_id};
pub use health::{Alert, AlertState, Health, LogLine, Metric, Sample, Signals};
pub use incident::{AttachedRunbook, CheckMark, Incident, Roles, StageVisit, Status, StepMark};
pub use parse::ParseError;
pub use role::Role;
pub use severity::Severity;
pub use stage::Stage;
pub use update::{Audience, StakeholderUpdate, UpdateState};
