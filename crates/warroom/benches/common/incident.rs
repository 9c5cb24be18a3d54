//! The incident the benchmarks write: four hours of a real-looking response (health changes,
//! alerts firing and resolving, notes, check outcomes, a few stage changes) and four series of
//! samples every 5 s, into a real SQLite file.

use chrono::{DateTime, Duration, TimeZone, Utc};
use ulid::Ulid;
use warroom::model::{Event, EventKind, Health, Metric, Sample, Severity, Stage};
use warroom::store::Store;

/// How long the incident lasts, in seconds.
pub const SPAN_SECS: i64 = 4 * 3600;

fn event(incident: Ulid, at: DateTime<Utc>, origin: &str, kind: EventKind) -> Event {
    Event::new(incident, at, at, origin, None, kind)
}

/// Writes an incident of `count` events; returns its id.
pub fn write_incident(store: &mut Store, count: usize) -> Ulid {
    let t0 = Utc.with_ymd_and_hms(2026, 11, 20, 3, 0, 0).unwrap();
    let id = Ulid::new();
    let declared = EventKind::Declared {
        title: "bench".into(),
        severity: Severity::Sev1,
        commander: Some("Mina".into()),
        local: false,
    };
    let topology = warroom::rehearsal::reference_topology().unwrap();
    let health = topology.nodes().map(|n| (n.id.clone(), Health::Healthy)).collect();
    let mut events = vec![
        event(id, t0, "cli", declared),
        event(id, t0, "drill", EventKind::TopologyRecorded { topology: topology.spec(), health }),
    ];
    let nodes: Vec<String> = topology.nodes().map(|n| n.id.clone()).collect();
    let stages = [Stage::Identify, Stage::Isolate, Stage::Recover];
    let mut state = vec![Health::Healthy; nodes.len()];
    while events.len() < count - 1 {
        let n = events.len();
        let at = t0 + Duration::milliseconds(SPAN_SECS * 1000 * n as i64 / count as i64);
        let node = n % nodes.len();
        let kind = match n % 10 {
            0..=3 => {
                let to = match state[node] {
                    Health::Healthy => Health::Degraded,
                    Health::Degraded => Health::Down,
                    _ => Health::Healthy,
                };
                let from = std::mem::replace(&mut state[node], to);
                EventKind::HealthChanged { node: nodes[node].clone(), from, to, reason: "bench".into() }
            }
            4 => EventKind::AlertFired {
                name: format!("Alert{}", n % 50),
                node: nodes[node].clone(),
                severity: "critical".into(),
                summary: "bench alert".into(),
                fingerprint: format!("fp{}", n % 50),
                starts_at: at,
            },
            5 => EventKind::AlertResolved {
                name: format!("Alert{}", (n - 1) % 50),
                node: nodes[node].clone(),
                fingerprint: format!("fp{}", (n - 1) % 50),
            },
            6 | 7 => EventKind::Note { text: format!("note {n}: looked at the pool again #cause") },
            // A real response changes stage a handful of times: every 10 000th event here.
            9 if n % 10_000 == 9 => EventKind::StageEntered { stage: stages[(n / 10_000) % 3] },
            _ => EventKind::CheckEvaluated {
                runbook: "db-pool-exhaustion".into(),
                step: format!("recover-{}", n % 3),
                passed: Some(n % 4 == 0),
                observed: "0.5".into(),
            },
        };
        events.push(event(id, at, if n % 10 >= 6 { "desktop" } else { "drill" }, kind));
    }
    events.push(event(id, t0 + Duration::seconds(SPAN_SECS), "cli", EventKind::Resolved));
    for batch in events.chunks_mut(10_000) {
        store.append(batch).unwrap();
    }
    let mut samples = Vec::new();
    for (node, metric) in [
        ("order-service", Metric::Http5xxRatio),
        ("order-service", Metric::LatencyP99Seconds),
        ("mysql-primary", Metric::DbPoolRatio),
        ("payment-service", Metric::Http5xxRatio),
    ] {
        for k in 0..(SPAN_SECS / 5) {
            let value = 0.5 + 0.4 * ((k as f64) / 100.0).sin();
            samples.push(Sample { node: node.into(), metric, value, at: t0 + Duration::seconds(k * 5) });
        }
    }
    store.record_samples(id, &samples).unwrap();
    id
}
