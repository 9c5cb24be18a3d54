//! `warroom incident ...`: declare, list, show and change incidents.

use anyhow::Result;
use chrono::{DateTime, Utc};
use clap::Subcommand;
use warroom::model::{Role, Severity, Stage};
use warroom::ops::{self, Actor, Declaration};
use warroom::store::Store;

use super::{parse_at, print, role_parser, severity_parser, stage_parser};

#[derive(Debug, Subcommand)]
pub enum IncidentCommand {
    /// Declare a new incident; prints its id.
    Declare {
        /// What is broken, in a few words.
        #[arg(long)]
        title: String,
        /// How bad it is.
        #[arg(long, value_parser = severity_parser(), ignore_case = true)]
        severity: Severity,
        /// Who commands the response.
        #[arg(long)]
        commander: Option<String>,
        /// When it was declared (RFC 3339); default now.
        #[arg(long, value_parser = parse_at)]
        at: Option<DateTime<Utc>>,
        /// Keep it on this laptop: never synced to the team's hub.
        #[arg(long)]
        local: bool,
    },
    /// List incidents, most recent first.
    List {
        /// Print JSON (an array of incidents) instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Show one incident: severity, status, stage, roles.
    Show {
        /// The incident id, or a unique prefix of it.
        id: String,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Enter a response stage (the next, or an earlier one again); prints the event id.
    Stage {
        /// The incident id, or a unique prefix of it.
        id: String,
        /// The stage to enter.
        #[arg(value_parser = stage_parser(), ignore_case = true)]
        stage: Stage,
        /// When (RFC 3339); default now.
        #[arg(long, value_parser = parse_at)]
        at: Option<DateTime<Utc>>,
    },
    /// Add a note to the timeline; prints the event id.
    Note {
        /// The incident id, or a unique prefix of it.
        id: String,
        /// The note.
        text: String,
        /// When (RFC 3339); default now.
        #[arg(long, value_parser = parse_at)]
        at: Option<DateTime<Utc>>,
    },
    /// Give a role to a person.
    Role {
        /// The incident id, or a unique prefix of it.
        id: String,
        /// The role.
        #[arg(value_parser = role_parser(), ignore_case = true)]
        role: Role,
        /// The person's name.
        name: String,
        /// When (RFC 3339); default now.
        #[arg(long, value_parser = parse_at)]
        at: Option<DateTime<Utc>>,
    },
    /// Change the severity.
    Severity {
        /// The incident id, or a unique prefix of it.
        id: String,
        /// The new severity.
        #[arg(value_parser = severity_parser(), ignore_case = true)]
        severity: Severity,
        /// When (RFC 3339); default now.
        #[arg(long, value_parser = parse_at)]
        at: Option<DateTime<Utc>>,
    },
    /// Mark the incident resolved.
    Resolve {
        /// The incident id, or a unique prefix of it.
        id: String,
        /// When (RFC 3339); default now.
        #[arg(long, value_parser = parse_at)]
        at: Option<DateTime<Utc>>,
    },
    /// Reopen a resolved incident.
    Reopen {
        /// The incident id, or a unique prefix of it.
        id: String,
        /// When (RFC 3339); default now.
        #[arg(long, value_parser = parse_at)]
        at: Option<DateTime<Utc>>,
    },
}

pub fn run(store: &mut Store, actor: &Actor, cmd: IncidentCommand) -> Result<()> {
    match cmd {
        IncidentCommand::Declare { title, severity, commander, at, local } => {
            let incident = ops::declare(store, actor, Declaration { title, severity, commander, at, local })?;
            say!("{}", incident.id);
        }
        IncidentCommand::List { json } => {
            let incidents = store.incidents()?;
            if json { print::json(&incidents)? } else { print::incidents(&incidents)? }
        }
        IncidentCommand::Show { id, json } => {
            let incident = store.incident(store.find_incident(&id)?)?;
            if json { print::json(&incident)? } else { print::incident(&incident)? }
        }
        IncidentCommand::Stage { id, stage, at } => {
            let id = store.find_incident(&id)?;
            let event = ops::enter_stage(store, actor, id, stage, at)?;
            say!("{}", event.id);
        }
        IncidentCommand::Note { id, text, at } => {
            let id = store.find_incident(&id)?;
            let event = ops::add_note(store, actor, id, &text, at)?;
            say!("{}", event.id);
        }
        IncidentCommand::Role { id, role, name, at } => {
            let id = store.find_incident(&id)?;
            let event = ops::assign_role(store, actor, id, role, &name, at)?;
            say!("{}", event.id);
        }
        IncidentCommand::Severity { id, severity, at } => {
            let id = store.find_incident(&id)?;
            let event = ops::change_severity(store, actor, id, severity, at)?;
            say!("{}", event.id);
        }
        IncidentCommand::Resolve { id, at } => {
            let id = store.find_incident(&id)?;
            let event = ops::resolve(store, actor, id, at)?;
            say!("{}", event.id);
        }
        IncidentCommand::Reopen { id, at } => {
            let id = store.find_incident(&id)?;
            let event = ops::reopen(store, actor, id, at)?;
            say!("{}", event.id);
        }
    }
    Ok(())
}
