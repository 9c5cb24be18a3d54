//! The hash chains that make the log tamper-evident.
//!
//! Each device's events on an incident form a chain: an event's `prev` is the hash of the same
//! device's previous event on that incident, and its `hash` is the SHA-256 of what it says,
//! exactly as the log stores it (the text of every column, `prev` included). Changing, removing or
//! reordering an event breaks its chain at that point for whoever checks it: a laptop pulling from
//! the hub (nothing that breaks a chain is folded), or `warroom verify` offline.
//!
//! The hash covers the stored text, not a re-encoding of the decoded event, so an event reads the
//! same to every build: a newer warroom that learned a new optional field still checks an older
//! event's hash.

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::model::Event;
use crate::time;

/// An event exactly as the log (and the hub) keeps it: text, column by column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub id: String,
    pub incident: String,
    pub at: String,
    pub recorded_at: String,
    pub origin: String,
    pub actor: Option<String>,
    pub device: String,
    pub prev: Option<String>,
    pub hash: String,
    /// The kind's tag (`note`, `stage_entered`, ...).
    pub kind: String,
    /// The kind as JSON.
    pub data: String,
}

impl Row {
    /// The event as the log writes it (its device, `prev` and `hash` as the event has them).
    ///
    /// # Errors
    /// When the kind cannot be encoded as JSON (it always can: the types are plain data).
    pub fn of(event: &Event) -> Result<Row, serde_json::Error> {
        Ok(Row {
            id: event.id.to_string(),
            incident: event.incident.to_string(),
            at: time::to_db(event.at),
            recorded_at: time::to_db(event.recorded_at),
            origin: event.origin.clone(),
            actor: event.by.clone(),
            device: event.device.clone(),
            prev: event.prev.clone(),
            hash: event.hash.clone(),
            kind: event.kind.tag().to_owned(),
            data: serde_json::to_string(&event.kind)?,
        })
    }

    /// The hash of what the row says (every column but `hash` itself), as lowercase hex.
    pub fn seal(&self) -> String {
        // A JSON array: every field delimited and escaped, so no two rows share a text. Written
        // straight from the fields (a tuple is a JSON array), not through a `serde_json::Value`:
        // the same text, without copying every column on each append.
        let fields = (
            &self.id,
            &self.incident,
            &self.at,
            &self.recorded_at,
            &self.origin,
            &self.actor,
            &self.device,
            &self.prev,
            &self.kind,
            &self.data,
        );
        let mut hasher = Sha256::new();
        // Writing into a hasher never fails, and the fields are strings: nothing to refuse.
        if serde_json::to_writer(&mut hasher, &fields).is_err() {
            return String::new();
        }
        format!("{:x}", hasher.finalize())
    }

    /// The event the row holds.
    ///
    /// # Errors
    /// What cannot be read (an id, a time, the kind), in words.
    pub fn decode(&self) -> Result<Event, String> {
        Ok(Event {
            id: ulid::Ulid::from_string(&self.id).map_err(|e| format!("id: {e}"))?,
            incident: ulid::Ulid::from_string(&self.incident).map_err(|e| format!("incident: {e}"))?,
            at: time::parse(&self.at).map_err(|e| e.to_string())?,
            recorded_at: time::parse(&self.recorded_at).map_err(|e| e.to_string())?,
            kind: serde_json::from_str(&self.data).map_err(|e| e.to_string())?,
            origin: self.origin.clone(),
            by: self.actor.clone(),
            device: self.device.clone(),
            prev: self.prev.clone(),
            hash: self.hash.clone(),
        })
    }
}

/// The end of one device's chain on an incident.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
#[cfg_attr(any(test, feature = "ts"), derive(ts_rs::TS), ts(export))]
pub struct ChainHead {
    pub device: String,
    /// How many events the chain holds.
    pub events: usize,
    /// The hash of its last event.
    pub head: String,
}

/// An event that breaks its chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(any(test, feature = "ts"), derive(ts_rs::TS), ts(export))]
pub struct ChainProblem {
    pub device: String,
    pub incident: String,
    pub event: String,
    /// What is wrong, in words.
    pub reason: String,
}

impl std::fmt::Display for ChainProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "device {}: event {} {}", self.device, self.event, self.reason)
    }
}

/// The chain heads of events as they travel (an export, a replay): per device, how many events
/// and the hash of the last (each branch's last, if two copies of a log went on apart). Events
/// not written to a log yet (no hash) are left out.
pub fn heads_of(events: &[Event]) -> Vec<ChainHead> {
    let mut devices: std::collections::BTreeMap<&str, (usize, Vec<&Event>)> =
        std::collections::BTreeMap::new();
    for e in events.iter().filter(|e| !e.hash.is_empty()) {
        let entry = devices.entry(e.device.as_str()).or_default();
        entry.0 += 1;
        entry.1.push(e);
    }
    let mut heads = Vec::new();
    for (device, (count, chain)) in devices {
        let followed: std::collections::HashSet<&str> =
            chain.iter().filter_map(|e| e.prev.as_deref()).collect();
        let mut tips: Vec<&Event> =
            chain.into_iter().filter(|e| !followed.contains(e.hash.as_str())).collect();
        tips.sort_by_key(|e| (e.recorded_at, e.id));
        for tip in tips {
            heads.push(ChainHead { device: device.to_owned(), events: count, head: tip.hash.clone() });
        }
    }
    heads
}

/// Why a row does not belong in its chain, if it does not. `sealed` says whether an event of the
/// same device on the same incident has this hash (the row's `prev` must be one).
///
/// Two copies of one device's log (a laptop restored from a backup, two logs named alike) each
/// go on from the same event: the chain forks, and both branches hold. What never holds is an
/// event whose content changed (its hash), or one that follows an event nobody has (changed or
/// removed).
pub(crate) fn breaks(row: &Row, sealed: impl Fn(&str) -> bool) -> Option<ChainProblem> {
    let reason = if row.seal() != row.hash {
        "does not match its chain: what it says was changed after it was written"
    } else if row.prev.as_deref().is_some_and(|prev| !sealed(prev)) {
        "does not match its chain: the event before it was changed or removed"
    } else {
        return None;
    };
    Some(ChainProblem {
        device: row.device.clone(),
        incident: row.incident.clone(),
        event: row.id.clone(),
        reason: reason.to_owned(),
    })
}

/// Checks every chain in `rows` (one incident's, in the order they were written): the heads, and
/// every event that breaks its chain.
pub(crate) fn check(rows: &[Row]) -> (Vec<ChainHead>, Vec<ChainProblem>) {
    let mut heads: Vec<ChainHead> = Vec::new();
    let mut sealed: std::collections::HashSet<(&str, &str)> = std::collections::HashSet::new();
    let mut problems = Vec::new();
    for row in rows {
        if let Some(problem) = breaks(row, |prev| sealed.contains(&(row.device.as_str(), prev))) {
            problems.push(problem);
        }
        sealed.insert((row.device.as_str(), row.hash.as_str()));
        match heads.iter_mut().find(|h| h.device == row.device) {
            Some(head) => {
                head.events += 1;
                head.head.clone_from(&row.hash);
            }
            None => heads.push(ChainHead { device: row.device.clone(), events: 1, head: row.hash.clone() }),
        }
    }
    heads.sort_by(|a, b| a.device.cmp(&b.device));
    (heads, problems)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(device: &str, prev: Option<&str>, data: &str) -> Row {
        let mut row = Row {
            id: crate::model::next_id().to_string(),
            incident: "01JDX00000000000000000000A".into(),
            at: "2026-11-30T03:00:00.000000Z".into(),
            recorded_at: "2026-11-30T03:00:00.000000Z".into(),
            origin: "cli".into(),
            actor: Some("mina".into()),
            device: device.into(),
            prev: prev.map(str::to_owned),
            hash: String::new(),
            kind: "note".into(),
            data: data.into(),
        };
        row.hash = row.seal();
        row
    }

    #[test]
    fn a_change_a_removal_and_a_forged_hash_each_break_the_chain_where_they_are() {
        let a = row("mina-laptop", None, r#"{"type":"note","text":"one"}"#);
        let b = row("mina-laptop", Some(&a.hash), r#"{"type":"note","text":"two"}"#);
        let c = row("mina-laptop", Some(&b.hash), r#"{"type":"note","text":"three"}"#);
        let other = row("joon-laptop", None, r#"{"type":"note","text":"mine"}"#);
        let (heads, problems) = check(&[a.clone(), other.clone(), b.clone(), c.clone()]);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(heads.len(), 2);
        assert_eq!(heads[1], ChainHead { device: "mina-laptop".into(), events: 3, head: c.hash.clone() });

        let mut changed = b.clone();
        changed.data = r#"{"type":"note","text":"TWO"}"#.into();
        let (_, problems) = check(&[a.clone(), changed.clone(), c.clone()]);
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].event, b.id);
        assert!(problems[0].to_string().starts_with("device mina-laptop: event "), "{}", problems[0]);

        // Changed and re-hashed: the next event no longer follows it.
        changed.hash = changed.seal();
        let (_, problems) = check(&[a.clone(), changed, c.clone()]);
        assert_eq!(problems.iter().map(|p| p.event.clone()).collect::<Vec<_>>(), vec![c.id.clone()]);

        let (_, problems) = check(&[a.clone(), c.clone()]);
        assert_eq!(problems.len(), 1, "a removal shows at the event after it");
        assert!(problems[0].reason.contains("changed or removed"));

        // Two copies of the log went on from the same event: a fork, and both branches hold.
        let fork = row("mina-laptop", Some(&b.hash), r#"{"type":"note","text":"three, elsewhere"}"#);
        let (heads, problems) = check(&[a, b, c, fork.clone()]);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(heads[0].events, 4);
        assert_eq!(heads[0].head, fork.hash);
    }

    /// The seal as it was first written (through a `serde_json::Value`): the hashes of every
    /// log written since depend on this exact text.
    fn seal_as_first_written(row: &Row) -> String {
        let text = serde_json::json!([
            row.id,
            row.incident,
            row.at,
            row.recorded_at,
            row.origin,
            row.actor,
            row.device,
            row.prev,
            row.kind,
            row.data,
        ])
        .to_string();
        format!("{:x}", Sha256::digest(text.as_bytes()))
    }

    #[test]
    fn the_seal_is_the_same_text_as_it_always_was() {
        let mut tricky = row(
            "mina's \"laptop\" \u{e9}\u{1f525}\n\t\u{1}",
            Some("ab\\cd"),
            r#"{"type":"note","text":"a \"quoted\" </b>"}"#,
        );
        tricky.actor = None;
        for r in [row("mina-laptop", None, r#"{"type":"note","text":"one"}"#), tricky] {
            assert_eq!(r.seal(), seal_as_first_written(&r));
        }
    }

    #[test]
    fn every_column_is_sealed() {
        let a = row("mina-laptop", None, r#"{"type":"note","text":"one"}"#);
        let edits: [fn(&mut Row); 9] = [
            |r| r.id.push('X'),
            |r| r.incident.push('X'),
            |r| r.at = "2026-11-30T03:00:01.000000Z".into(),
            |r| r.recorded_at = "2026-11-30T03:00:01.000000Z".into(),
            |r| r.origin = "desktop".into(),
            |r| r.actor = None,
            |r| r.device = "joon-laptop".into(),
            |r| r.prev = Some("00".into()),
            |r| r.kind = "resolved".into(),
        ];
        for edit in edits {
            let mut b = a.clone();
            edit(&mut b);
            assert_ne!(b.seal(), a.hash);
        }
    }
}
