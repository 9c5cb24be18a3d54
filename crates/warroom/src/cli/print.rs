//! How the CLI prints incidents and events for people, and JSON for scripts.

use anyhow::Result;
use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use warroom::model::{Event, Incident, Role};

/// Pretty JSON on stdout.
pub fn json<T: Serialize + ?Sized>(value: &T) -> Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

fn utc(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// One line per incident: id, severity, status, stage, declared, title.
pub fn incidents(incidents: &[Incident]) -> Result<()> {
    if incidents.is_empty() {
        println!("no incidents yet: `warroom incident declare --title ... --severity SEV2` starts one");
        return Ok(());
    }
    println!("{:<26}  {:<4}  {:<8}  {:<8}  {:<20}  TITLE", "ID", "SEV", "STATUS", "STAGE", "DECLARED");
    for i in incidents {
        println!(
            "{:<26}  {:<4}  {:<8}  {:<8}  {:<20}  {}",
            i.id,
            i.severity.name(),
            i.status.name(),
            i.stage.name(),
            utc(i.declared_at),
            i.title
        );
    }
    Ok(())
}

/// The header of one incident.
pub fn incident(i: &Incident) -> Result<()> {
    println!("{}  {}", i.id, i.title);
    println!("severity:  {} ({})", i.severity, i.severity.meaning());
    println!("status:    {}", i.status.name());
    println!("stage:     {} (since {})", i.stage, utc(i.stage_entered_at));
    println!("declared:  {}", utc(i.declared_at));
    if let Some(at) = i.resolved_at {
        println!("resolved:  {}", utc(at));
    }
    for role in Role::ALL {
        println!("{:<10} {}", format!("{role}:"), i.roles.get(role).unwrap_or("-"));
    }
    println!("events:    {}", i.events);
    Ok(())
}

/// One line per event: time (UTC), who, what.
pub fn timeline(events: &[Event]) -> Result<()> {
    for e in events {
        let by = match (e.by.as_deref(), e.device.as_str()) {
            (Some(b), "") => format!(" [{b}]"),
            (Some(b), device) => format!(" [{b} @ {device}]"),
            (None, "") => String::new(),
            (None, device) => format!(" [@ {device}]"),
        };
        println!("{}  {}{}", utc(e.at), e.kind.describe(), by);
    }
    Ok(())
}

/// An incident at an instant, for `warroom replay`.
fn list(ids: &[String]) -> String {
    if ids.is_empty() { "none".to_owned() } else { ids.join(", ") }
}

pub fn moment(m: &warroom::replay::Moment) -> Result<()> {
    let i = &m.incident;
    let in_stage = m.at.signed_duration_since(i.stage_entered_at).num_minutes();
    println!("{} at {}", i.title, m.at.to_rfc3339_opts(SecondsFormat::Secs, true));
    println!("{} {}, stage {} for {in_stage} min", i.severity, i.status.name(), i.stage);
    for role in Role::ALL {
        if let Some(name) = i.roles.get(role) {
            println!("{}: {name}", role.title());
        }
    }
    for (node, health) in &m.health {
        println!("node {node}: {health}");
    }
    if let Some(r) = &m.radius {
        println!(
            "blast radius: down {}, impacted {}, degraded {}, entrypoints down {}",
            list(&r.down),
            list(&r.impacted.iter().map(|i| i.id.clone()).collect::<Vec<_>>()),
            list(&r.degraded),
            list(&r.entrypoints_down)
        );
    }
    for a in &m.alerts {
        println!(
            "alert {} firing on {} ({}) since {}",
            a.name,
            a.node,
            a.severity,
            a.since.format("%H:%M:%S")
        );
    }
    for r in &i.runbooks {
        println!("runbook {}: {} step(s) done, {} skipped", r.id, r.done.len(), r.skipped.len());
        for (step, check) in &r.checks {
            let outcome = match check.passed {
                Some(true) => "passed",
                Some(false) => "failed",
                None => "no answer",
            };
            println!("  check {step} {outcome}: {}", check.observed);
        }
    }
    for n in &m.notes {
        let by = n.by.as_deref().map(|b| format!(" ({b})")).unwrap_or_default();
        println!("note {}{by}: {}", n.at.format("%H:%M:%S"), n.text);
    }
    Ok(())
}
