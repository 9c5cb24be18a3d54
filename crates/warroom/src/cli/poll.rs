//! `warroom poll`: the configured sources, once or continuously, headless.

use std::path::Path;

use anyhow::Result;
use chrono::Utc;
use warroom::config::Config;
use warroom::live::{Live, Report};

use super::print;

/// One cycle, then every node's health and every source's status.
pub fn once(config: &Path, json: bool) -> Result<()> {
    let config = Config::read(config)?;
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let live = Live::start(&config)?;
    runtime.block_on(live.cycle(Utc::now()));
    let report = live.report(Utc::now());
    if json { print::json(&report) } else { text(&report) }
}

/// Polls forever, printing each health change and each source problem as it happens.
pub fn watch(config: &Path) -> Result<()> {
    let config = Config::read(config)?;
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let live = Live::start(&config)?;
    runtime.block_on(async {
        let mut ticker = tokio::time::interval(live.interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            ticker.tick().await;
            let now = Utc::now();
            let changes = live.cycle(now).await;
            for a in &changes.fired {
                say!("{}  ALERT {} firing on {} ({})", now.format("%H:%M:%S"), a.name, a.node, a.severity);
            }
            for c in changes.health {
                say!("{}  {:<20} {} → {}  ({})", now.format("%H:%M:%S"), c.node, c.from, c.to, c.reason);
            }
            for p in live.report(now).problems {
                say!("{}  source {}: {}", now.format("%H:%M:%S"), p.source, p.message);
            }
        }
    })
}

fn text(report: &Report) -> Result<()> {
    for n in &report.nodes {
        let age = n.age_secs.map(|a| format!("{a:.0} s old")).unwrap_or_else(|| "no data".to_owned());
        say!("{:<24} {:<9} {:<12} {}", n.id, n.health.name(), age, n.reasons.join("; "));
    }
    let blast = &report.blast;
    if !blast.entrypoints_down.is_empty() {
        say!("OUTAGE: entrypoints down: {}", blast.entrypoints_down.join(", "));
    }
    for i in &blast.impacted {
        say!("impacted {:<15} because {}", i.id, i.reason.join(" → "));
    }
    for a in &report.alerts {
        say!("ALERT {:<30} on {:<20} {:<9} {}", a.name, a.node, a.severity, a.summary);
    }
    for w in &report.warnings {
        say!("warning: {w}");
    }
    for s in &report.sources {
        let state = match (&s.failing_since, &s.last_error) {
            (Some(since), Some(err)) => format!("FAILING since {}: {err}", since.format("%H:%M:%S")),
            _ => "ok".to_owned(),
        };
        say!("source {:<12} {:?}  {state}", s.name, s.breaker);
    }
    say!("{} requests this cycle", report.queries);
    Ok(())
}
