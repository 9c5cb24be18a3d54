//! The infrastructure as a dependency graph: nodes, who depends on whom, and redundancy.
//!
//! A [`Topology`] is built from a [`TopologySpec`] (read from warroom's TOML topology file, a
//! Backstage catalog, or later discovered from service-graph metrics). Building checks the spec
//! and reports every [`Problem`] with its line. Inside, it is a petgraph graph whose vertices are
//! the nodes plus one vertex per redundancy group; nothing outside this module sees petgraph.
//!
//! Edges point from the dependent to what it depends on. A dependency on a member of a
//! redundancy group is a dependency on the group: that is what failover means, and it is what
//! lets the blast radius stop where a healthy replica absorbs a failure.

mod backstage;
mod blast;
mod discovery;
mod file;
mod graph;
mod outage;
mod problem;
mod spof;
/// The topology as plain data: it lives in `model` because the log records snapshots of it.
pub(crate) use crate::model::topology as spec;

pub use crate::model::Health;
pub use crate::model::topology::{DependencySpec, GroupSpec, NodeKind, NodeSpec, Strength, TopologySpec};
pub use backstage::{Catalog, parse_backstage};
pub use blast::{BlastRadius, GroupState, Impacted, Reason};
pub use file::{parse_toml, read, read_spec, read_toml};
pub use graph::{Dependency, Group, Node, Topology, TopologyError};
pub use outage::{AffectedEntrypoint, Draft, Hop, Outage, State as OutageState};
pub use problem::{Level, Problem, located};
