//! A topology as plain data, before it is checked and built into a graph (`crate::topology`).
//!
//! Every importer (the TOML file, a Backstage catalog) produces this; every item keeps the line
//! it came from so that problems can point at it.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// What a node is. Unknown kinds from other tools are kept as [`NodeKind::Other`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NodeKind {
    Gateway,
    Service,
    Database,
    Cache,
    Queue,
    ComputeNode,
    ExternalProvider,
    Storage,
    Website,
    #[serde(untagged)]
    Other(String),
}

impl NodeKind {
    /// The snake_case name.
    pub fn name(&self) -> &str {
        match self {
            NodeKind::Gateway => "gateway",
            NodeKind::Service => "service",
            NodeKind::Database => "database",
            NodeKind::Cache => "cache",
            NodeKind::Queue => "queue",
            NodeKind::ComputeNode => "compute_node",
            NodeKind::ExternalProvider => "external_provider",
            NodeKind::Storage => "storage",
            NodeKind::Website => "website",
            NodeKind::Other(other) => other,
        }
    }
}

impl FromStr for NodeKind {
    type Err = std::convert::Infallible;

    /// Never fails: known names (and a few common synonyms) map to their kind, others are kept.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let lower = s.trim().to_ascii_lowercase().replace('-', "_");
        Ok(match lower.as_str() {
            "gateway" | "api_gateway" | "load_balancer" => NodeKind::Gateway,
            "service" | "microservice" => NodeKind::Service,
            "database" | "db" => NodeKind::Database,
            "cache" => NodeKind::Cache,
            "queue" | "message_queue" | "broker" => NodeKind::Queue,
            "compute_node" | "node" | "host" | "vm" => NodeKind::ComputeNode,
            "external_provider" | "external" | "provider" | "saas" => NodeKind::ExternalProvider,
            "storage" | "bucket" => NodeKind::Storage,
            "website" | "frontend" => NodeKind::Website,
            _ => NodeKind::Other(s.trim().to_owned()),
        })
    }
}

impl fmt::Display for NodeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How a dependency fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(any(test, feature = "ts"), derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "snake_case")]
pub enum Strength {
    /// The dependent fails without it.
    Hard,
    /// The dependent degrades without it (a cache with a database fallback).
    Soft,
}

/// One node as given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeSpec {
    pub id: String,
    pub name: String,
    pub kind: NodeKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// What customers call it (public status updates never use internal names).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_name: Option<String>,
    /// The system it is part of (Backstage's `spec.system`): the graph lays a system's nodes
    /// out together. Absent in logs written before it existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system: Option<String>,
    /// User-facing: its failure is the outage users see.
    #[serde(default)]
    pub entrypoint: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub depends_on: Vec<DependencySpec>,
    /// The line the node starts at, when it came from a file.
    #[serde(skip)]
    pub line: Option<usize>,
}

impl NodeSpec {
    /// A service known by its id alone: no name, owner or system, not an entrypoint, no
    /// dependencies (what generated topologies and tests start from).
    pub fn service(id: impl Into<String>) -> NodeSpec {
        NodeSpec {
            id: id.into(),
            name: String::new(),
            kind: NodeKind::Service,
            owner: None,
            public_name: None,
            system: None,
            entrypoint: false,
            depends_on: Vec::new(),
            line: None,
        }
    }
}

impl DependencySpec {
    /// A dependency of this strength on `target`, from no file.
    pub fn on(target: impl Into<String>, strength: Strength) -> DependencySpec {
        DependencySpec { target: target.into(), strength, line: None }
    }
}

/// "This node depends on `target`" (a node id or a group id).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DependencySpec {
    pub target: String,
    pub strength: Strength,
    #[serde(skip)]
    pub line: Option<usize>,
}

/// A redundancy group: replicas or a failover pair, and how many must be healthy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupSpec {
    pub id: String,
    pub members: Vec<String>,
    /// How many members must be healthy for the group to serve.
    pub needs: usize,
    #[serde(skip)]
    pub line: Option<usize>,
}

/// A whole topology as given, before checking. As JSON (without lines) it is the snapshot an
/// incident's log records, so that replay can draw the graph as it was.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TopologySpec {
    pub nodes: Vec<NodeSpec>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<GroupSpec>,
}
