//! Which desktop notifications to show: a new critical alert, a node going down. During an
//! alert storm a responder needs one summary, not 200 pop-ups, so what happens within a cycle is
//! grouped into one notification, and at most one is shown per [`Notifier::COOLDOWN`]: what
//! comes in meanwhile is held and shown as one summary when the cooldown is over. Muting drops
//! notifications (they are all on the timeline anyway) until unmuted.
//!
//! This decides only *what* to show and *when*; the desktop shell shows it.

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::model::Health;
use crate::monitor::Changes;

/// One notification to show.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(any(test, feature = "ts"), derive(ts_rs::TS), ts(export))]
pub struct Notification {
    pub title: String,
    pub body: String,
}

/// Something worth a pop-up.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Item {
    Alert { name: String, node: String },
    Down { node: String },
}

/// Groups, rate-limits and mutes notifications.
#[derive(Debug, Default)]
pub struct Notifier {
    muted: bool,
    held: Vec<Item>,
    last_shown: Option<DateTime<Utc>>,
}

impl Notifier {
    /// At most one notification per this long.
    pub const COOLDOWN: Duration = Duration::from_secs(30);
    /// Items named in a summary; the rest are counted.
    const NAMED: usize = 3;

    /// Whether notifications are muted.
    pub fn muted(&self) -> bool {
        self.muted
    }

    /// Mutes or unmutes; muting also drops what is held.
    pub fn set_muted(&mut self, muted: bool) {
        self.muted = muted;
        if muted {
            self.held.clear();
        }
    }

    /// Takes in one cycle's changes at `now`; returns the notification to show now, if any.
    /// Call it every cycle, with or without changes, so that held items are shown once the
    /// cooldown is over.
    pub fn offer(&mut self, changes: &Changes, now: DateTime<Utc>) -> Option<Notification> {
        if self.muted {
            return None;
        }
        self.held.extend(
            changes
                .fired
                .iter()
                .filter(|a| a.firing && a.severity.eq_ignore_ascii_case("critical"))
                .map(|a| Item::Alert { name: a.name.clone(), node: a.node.clone() }),
        );
        self.held.extend(
            changes
                .health
                .iter()
                .filter(|c| c.to == Health::Down && c.from != Health::Down)
                .map(|c| Item::Down { node: c.node.clone() }),
        );
        if self.held.is_empty() {
            return None;
        }
        let cooled = self.last_shown.is_none_or(|last| {
            now.signed_duration_since(last).to_std().is_ok_and(|elapsed| elapsed >= Self::COOLDOWN)
        });
        if !cooled {
            return None;
        }
        self.last_shown = Some(now);
        Some(summary(&std::mem::take(&mut self.held)))
    }
}

fn summary(items: &[Item]) -> Notification {
    if let [item] = items {
        return match item {
            Item::Alert { name, node } => {
                Notification { title: format!("Critical alert: {name}"), body: format!("on {node}") }
            }
            Item::Down { node } => Notification {
                title: format!("{node} is down"),
                body: "see the blast radius in warroom".to_owned(),
            },
        };
    }
    let alerts: Vec<String> = items
        .iter()
        .filter_map(|i| match i {
            Item::Alert { name, node } => Some(format!("{name} on {node}")),
            Item::Down { .. } => None,
        })
        .collect();
    let down: Vec<String> = items
        .iter()
        .filter_map(|i| match i {
            Item::Down { node } => Some(node.clone()),
            Item::Alert { .. } => None,
        })
        .collect();
    let mut title = Vec::new();
    if !alerts.is_empty() {
        title.push(format!("{} critical alert{}", alerts.len(), plural(alerts.len())));
    }
    if !down.is_empty() {
        title.push(format!("{} node{} down", down.len(), plural(down.len())));
    }
    let mut body = Vec::new();
    if !down.is_empty() {
        body.push(format!("Down: {}", named(&down)));
    }
    if !alerts.is_empty() {
        body.push(format!("Alerts: {}", named(&alerts)));
    }
    Notification { title: title.join(", "), body: body.join("\n") }
}

fn named(items: &[String]) -> String {
    let mut text = items.iter().take(Notifier::NAMED).cloned().collect::<Vec<_>>().join(", ");
    if items.len() > Notifier::NAMED {
        text.push_str(&format!(" and {} more", items.len() - Notifier::NAMED));
    }
    text
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Alert;
    use crate::monitor::HealthChange;

    fn alert(name: &str, severity: &str) -> Alert {
        Alert {
            name: name.into(),
            node: "order-service".into(),
            severity: severity.into(),
            firing: true,
            state: crate::model::AlertState::Firing,
            summary: String::new(),
            at: DateTime::<Utc>::UNIX_EPOCH,
            fingerprint: name.into(),
            starts_at: DateTime::<Utc>::UNIX_EPOCH,
            runbook_url: None,
        }
    }

    fn down(node: &str) -> HealthChange {
        HealthChange {
            node: node.into(),
            from: Health::Healthy,
            to: Health::Down,
            reason: String::new(),
            at: DateTime::<Utc>::UNIX_EPOCH,
        }
    }

    fn at(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + secs, 0).unwrap()
    }

    #[test]
    fn one_critical_alert_is_one_notification_and_warnings_are_none() {
        let mut n = Notifier::default();
        let changes = Changes { fired: vec![alert("HighErrorRate", "critical")], ..Changes::default() };
        let shown = n.offer(&changes, at(0)).unwrap();
        assert_eq!(shown.title, "Critical alert: HighErrorRate");
        assert_eq!(shown.body, "on order-service");
        let warning = Changes { fired: vec![alert("DiskFilling", "warning")], ..Changes::default() };
        assert_eq!(n.offer(&warning, at(60)), None);
    }

    #[test]
    fn a_storm_is_one_summary_then_one_more_after_the_cooldown() {
        let mut n = Notifier::default();
        let storm = Changes {
            fired: (0..200).map(|i| alert(&format!("A{i}"), "critical")).collect(),
            health: vec![down("order-service"), down("payment-service")],
            ..Changes::default()
        };
        let shown = n.offer(&storm, at(0)).unwrap();
        assert_eq!(shown.title, "200 critical alerts, 2 nodes down");
        assert_eq!(
            shown.body,
            "Down: order-service, payment-service\nAlerts: A0 on order-service, A1 on order-service, A2 on order-service and 197 more"
        );
        // More arrives during the cooldown: held, not shown.
        let more = Changes { health: vec![down("mysql-primary")], ..Changes::default() };
        assert_eq!(n.offer(&more, at(10)), None);
        assert_eq!(n.offer(&Changes::default(), at(20)), None);
        // The cooldown is over: what was held comes as one notification, even with nothing new.
        let later = n.offer(&Changes::default(), at(31)).unwrap();
        assert_eq!(later.title, "mysql-primary is down");
        assert_eq!(n.offer(&Changes::default(), at(70)), None, "nothing held, nothing shown");
    }

    #[test]
    fn muted_shows_nothing_and_forgets_what_was_held() {
        let mut n = Notifier::default();
        let changes = Changes { health: vec![down("redis-1")], ..Changes::default() };
        n.offer(&changes, at(0)).unwrap();
        assert_eq!(n.offer(&changes, at(5)), None);
        n.set_muted(true);
        assert!(n.muted());
        assert_eq!(n.offer(&changes, at(100)), None);
        n.set_muted(false);
        assert_eq!(n.offer(&Changes::default(), at(200)), None, "what came while muted is not replayed");
        assert_eq!(n.offer(&changes, at(300)).unwrap().title, "redis-1 is down");
    }
}
