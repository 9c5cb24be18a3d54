//! How the CLI prints incidents and events for people, and JSON for scripts.
//!
//! Every byte the CLI writes goes through here. What people read carries outside text (titles,
//! notes, names, runbook steps, a server's error body), and a terminal obeys the control
//! characters in it: an ESC sequence recolours or rewrites a line, retitles the window; a CR
//! returns to the start of the line to print over it. So a line for people is printed through
//! [`printable`], its control characters escaped (`\u{1b}`, `\r`), with [`line`] (`say!`) and
//! [`line_to_stderr`] (`say_err!`); a text of several lines on purpose through [`text`]. JSON
//! needs nothing: serde escapes every control character in a string. The module tree denies
//! `println!` and `eprintln!` (`clippy::print_stdout`, `clippy::print_stderr`) so that no print
//! goes around this.

use std::fmt;

use anyhow::Result;
use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use warroom::model::{Event, Incident, Role};
use warroom::text::{printable, printable_lines};

/// One line for people on stdout, its control characters escaped. Use `say!`.
#[allow(clippy::print_stdout, reason = "the one way a line for people reaches stdout")]
pub fn line(args: fmt::Arguments<'_>) {
    println!("{}", printable(&args.to_string()));
}

/// One line for people on stderr (a warning, what happened on the side), its control characters
/// escaped. Use `say_err!`.
#[allow(clippy::print_stderr, reason = "the one way a line for people reaches stderr")]
pub fn line_to_stderr(args: fmt::Arguments<'_>) {
    eprintln!("{}", printable(&args.to_string()));
}

/// A text of several lines on purpose (a drafted update, SQL to run) on stdout: its line breaks
/// kept, every other control character but tabs escaped, and a line break after it.
#[allow(clippy::print_stdout, reason = "the one way a text for people reaches stdout")]
pub fn text(text: &str) {
    println!("{}", printable_lines(text));
}

/// Pretty JSON on stdout.
#[allow(clippy::print_stdout, reason = "JSON escapes every control character itself")]
pub fn json<T: Serialize + ?Sized>(value: &T) -> Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

/// JSON on one line of stdout (a stream of changes, one a line).
#[allow(clippy::print_stdout, reason = "JSON escapes every control character itself")]
pub fn json_line<T: Serialize + ?Sized>(value: &T) -> Result<()> {
    println!("{}", serde_json::to_string(value)?);
    Ok(())
}

fn utc(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// One line per incident: id, severity, status, stage, declared, title.
pub fn incidents(incidents: &[Incident]) -> Result<()> {
    if incidents.is_empty() {
        say!("no incidents yet: `warroom incident declare --title ... --severity SEV2` starts one");
        return Ok(());
    }
    say!("{:<26}  {:<4}  {:<8}  {:<8}  {:<20}  TITLE", "ID", "SEV", "STATUS", "STAGE", "DECLARED");
    for i in incidents {
        say!(
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
    say!("{}  {}", i.id, i.title);
    say!("severity:  {} ({})", i.severity, i.severity.meaning());
    say!("status:    {}", i.status.name());
    say!("stage:     {} (since {})", i.stage, utc(i.stage_entered_at));
    say!("declared:  {}", utc(i.declared_at));
    if let Some(at) = i.resolved_at {
        say!("resolved:  {}", utc(at));
    }
    for role in Role::ALL {
        say!("{:<10} {}", format!("{role}:"), i.roles.get(role).unwrap_or("-"));
    }
    say!("events:    {}", i.events);
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
        say!("{}  {}{}", utc(e.at), e.kind.describe(), by);
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
    say!("{} at {}", i.title, m.at.to_rfc3339_opts(SecondsFormat::Secs, true));
    say!("{} {}, stage {} for {in_stage} min", i.severity, i.status.name(), i.stage);
    for role in Role::ALL {
        if let Some(name) = i.roles.get(role) {
            say!("{}: {name}", role.title());
        }
    }
    for (node, health) in &m.health {
        say!("node {node}: {health}");
    }
    if let Some(r) = &m.radius {
        say!(
            "blast radius: down {}, impacted {}, degraded {}, entrypoints down {}",
            list(&r.down),
            list(&r.impacted.iter().map(|i| i.id.clone()).collect::<Vec<_>>()),
            list(&r.degraded),
            list(&r.entrypoints_down)
        );
    }
    for a in &m.alerts {
        say!("alert {} firing on {} ({}) since {}", a.name, a.node, a.severity, a.since.format("%H:%M:%S"));
    }
    for r in &i.runbooks {
        say!("runbook {}: {} step(s) done, {} skipped", r.id, r.done.len(), r.skipped.len());
        for (step, check) in &r.checks {
            let outcome = match check.passed {
                Some(true) => "passed",
                Some(false) => "failed",
                None => "no answer",
            };
            say!("  check {step} {outcome}: {}", check.observed);
        }
    }
    for n in &m.notes {
        let by = n.by.as_deref().map(|b| format!(" ({b})")).unwrap_or_default();
        say!("note {}{by}: {}", n.at.format("%H:%M:%S"), n.text);
    }
    Ok(())
}
