//! `warroom topology ...`: check a topology file, compute a blast radius, list single points of
//! failure. These read a file and print; they touch no incident log.

use std::path::{Path, PathBuf};

use anyhow::{Result, bail};
use clap::Subcommand;
use warroom::topology::{Level, Topology, TopologyError, located, read};

use super::print;

#[derive(Debug, Subcommand)]
pub enum TopologyCommand {
    /// Validate a topology file: every problem with its line; exit 1 on errors.
    Check {
        /// The topology: warroom TOML, or a Backstage catalog (.yaml).
        file: PathBuf,
    },
    /// What is down, impacted and degraded if these nodes fail.
    Blast {
        /// The topology: warroom TOML, or a Backstage catalog (.yaml).
        file: PathBuf,
        /// The failed node ids, comma-separated.
        #[arg(long, value_delimiter = ',', required = true)]
        fail: Vec<String>,
        /// Print JSON: {"down", "impacted": [{"id", "reason"}], "degraded", "entrypoints_down"}.
        #[arg(long)]
        json: bool,
    },
    /// Nodes whose failure alone takes down an entrypoint.
    Spof {
        /// The topology: warroom TOML, or a Backstage catalog (.yaml).
        file: PathBuf,
        /// Print JSON: [{"id", "entrypoints_down"}].
        #[arg(long)]
        json: bool,
    },
}

pub fn run(cmd: TopologyCommand) -> Result<()> {
    match cmd {
        TopologyCommand::Check { file } => {
            let topo = load(&file)?;
            for warning in topo.warnings() {
                say!("{}", located(&file, warning));
            }
            say!(
                "{}: ok: {} nodes, {} dependencies, {} groups",
                file.display(),
                topo.len(),
                topo.dependencies().len(),
                topo.groups().len()
            );
            Ok(())
        }
        TopologyCommand::Blast { file, fail, json } => {
            let topo = load(&file)?;
            if let Some(unknown) = fail.iter().find(|id| topo.node(id).is_none()) {
                bail!("--fail: no node '{unknown}' in {}", file.display());
            }
            let radius = topo.what_if(&fail);
            if json {
                return print::json(&radius);
            }
            say!("down:      {}", list(&radius.down));
            say!("entrypoints down: {}", list(&radius.entrypoints_down));
            for impacted in &radius.impacted {
                say!("impacted:  {}", topo.explain(&radius, &impacted.id).unwrap_or_default());
            }
            say!("degraded:  {}", list(&radius.degraded));
            for g in &radius.groups {
                say!(
                    "group {}: {} of {} healthy (needs {}){}",
                    g.id,
                    g.healthy,
                    g.members,
                    g.needs,
                    if g.down { ": DOWN" } else { "" }
                );
            }
            Ok(())
        }
        TopologyCommand::Spof { file, json } => {
            let topo = load(&file)?;
            let spofs = topo.single_points_of_failure();
            if json {
                let rows: Vec<serde_json::Value> = spofs
                    .iter()
                    .map(|(id, entry)| serde_json::json!({ "id": id, "entrypoints_down": entry }))
                    .collect();
                return print::json(&rows);
            }
            if spofs.is_empty() {
                say!("no single point of failure");
            }
            for (id, entrypoints) in spofs {
                say!("{id}: takes down {}", entrypoints.join(", "));
            }
            Ok(())
        }
    }
}

fn list(ids: &[String]) -> String {
    if ids.is_empty() { "-".to_owned() } else { ids.join(", ") }
}

/// Reads a topology, printing every problem as `file:line: level: message`.
fn load(file: &Path) -> Result<Topology> {
    read(file).map_err(|TopologyError { problems }| {
        for p in &problems {
            say_err!("{}", located(file, p));
        }
        let errors = problems.iter().filter(|p| p.level == Level::Error).count();
        anyhow::anyhow!("{}: {errors} error(s); see above", file.display())
    })
}
