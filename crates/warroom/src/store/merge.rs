//! Events written elsewhere coming into this log: pulled from the hub, or imported from a file
//! (`store/import.rs`). Each is checked against its device's chain before it is folded; what
//! breaks a chain is left out and reported, never folded.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::path::Path;

use rusqlite::{Transaction, TransactionBehavior};

use super::chain::{self, ChainProblem, Row};
use super::events::{Insert, Writing, known};
use super::{Store, StoreError, folds};

/// What a merge of rows from elsewhere did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Merged {
    /// Events new to this log.
    pub added: usize,
    /// Events it had already (the same, hash for hash).
    pub known: usize,
    /// Events left out because they break their chain (nothing of them was folded).
    pub problems: Vec<ChainProblem>,
    /// The local sequence numbers the added events got, in order.
    pub seqs: Vec<i64>,
    /// How many events were added, by the device that wrote them.
    pub from: BTreeMap<String, usize>,
}

impl Store {
    /// Adds rows written elsewhere (another laptop's, through the hub), in one transaction, in
    /// the order given (each chain in the order it was written). A row already here is counted
    /// (and reported if it differs from the copy here); a row that breaks its chain, or cannot be
    /// read, is left out and reported, with the rest of its chain after it.
    ///
    /// # Errors
    /// [`StoreError::Locked`], [`StoreError::Sqlite`]; nothing is written then.
    pub fn merge(&mut self, rows: &[Row]) -> Result<Merged, StoreError> {
        let path = self.path.clone();
        let sqlite = |e| StoreError::from_sqlite(&path, e);
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(sqlite)?;
        let merged = merge_rows(&tx, &mut Writing::default(), rows, &path)?;
        tx.commit().map_err(sqlite)?;
        Ok(merged)
    }
}

/// [`Store::merge`] inside a transaction.
pub(super) fn merge_rows(
    tx: &Transaction<'_>,
    writing: &mut Writing,
    rows: &[Row],
    path: &Path,
) -> Result<Merged, StoreError> {
    let sqlite = |e| StoreError::from_sqlite(path, e);
    let mut merged = Merged::default();
    let mut fresh = Vec::new();
    for row in rows {
        if let Some(hash) = known(tx, &row.id).map_err(sqlite)? {
            if hash.as_deref() == Some(row.hash.as_str()) {
                // The same hash says the same event only if the row still says what was sealed.
                match chain::breaks(row, |_| true) {
                    Some(problem) => merged.problems.push(problem),
                    None => merged.known += 1,
                }
            } else {
                merged.problems.push(ChainProblem {
                    device: row.device.clone(),
                    incident: row.incident.clone(),
                    event: row.id.clone(),
                    reason: "does not match its chain: it differs from the copy this laptop already has"
                        .to_owned(),
                });
            }
            continue;
        }
        let follows = match &row.prev {
            None => true,
            // Nearly always the event before is its chain's head here; only a fork (two
            // copies of one device's log went on apart) makes the chain be looked along.
            Some(prev) => {
                writing.head(tx, &row.incident, &row.device).map_err(sqlite)?.as_ref() == Some(prev)
                    || tx
                        .prepare_cached(
                            "SELECT 1 FROM events WHERE incident = ?2 AND device = ?3 AND hash = ?1",
                        )
                        .and_then(|mut stmt| stmt.exists([prev, &row.incident, &row.device]))
                        .map_err(sqlite)?
            }
        };
        if let Some(problem) = chain::breaks(row, |_| follows) {
            merged.problems.push(problem);
            continue;
        }
        let event = match row.decode() {
            Ok(event) => event,
            Err(reason) => {
                merged.problems.push(ChainProblem {
                    device: row.device.clone(),
                    incident: row.incident.clone(),
                    event: row.id.clone(),
                    reason: format!("cannot be read ({reason}): was it written by a newer warroom?"),
                });
                continue;
            }
        };
        match writing.insert(tx, row) {
            Ok(()) => {}
            Err(Insert::UnknownIncident) => {
                merged.problems.push(ChainProblem {
                    device: row.device.clone(),
                    incident: row.incident.clone(),
                    event: row.id.clone(),
                    reason: "belongs to an incident whose declaration has not arrived".to_owned(),
                });
                continue;
            }
            Err(Insert::Sqlite(e)) => return Err(sqlite(e)),
        }
        merged.added += 1;
        merged.seqs.push(tx.last_insert_rowid());
        *merged.from.entry(row.device.clone()).or_default() += 1;
        fresh.push(event);
    }
    folds::fold_in(tx, &fresh).map_err(sqlite)?;
    Ok(merged)
}

/// Rows put in an order they can be merged in: each device's chain from where it starts in
/// the set (a row following no other row of the set: the chain's first event, or the first after
/// what the log has, a fork's included) following `prev`, the chain holding the declaration
/// first. Rows no chain leads to come last (they will be reported).
pub(super) fn chain_order(rows: Vec<Row>) -> Vec<Row> {
    // Each row by what it follows, in the order given: one lookup per step of a chain (a scan of
    // every row left for each step made a big import quadratic).
    let mut after: HashMap<(&str, &str, Option<&str>), VecDeque<usize>> = HashMap::new();
    for (i, r) in rows.iter().enumerate() {
        after.entry((r.incident.as_str(), r.device.as_str(), r.prev.as_deref())).or_default().push_back(i);
    }
    let hashes: HashSet<(&str, &str, &str)> =
        rows.iter().map(|r| (r.incident.as_str(), r.device.as_str(), r.hash.as_str())).collect();
    let starts = rows.iter().enumerate().filter(|(_, r)| {
        r.prev.as_deref().is_none_or(|prev| !hashes.contains(&(r.incident.as_str(), r.device.as_str(), prev)))
    });
    let mut used = vec![false; rows.len()];
    let mut chains: Vec<Vec<usize>> = Vec::new();
    for (start, r) in starts {
        if used[start] {
            continue;
        }
        let (incident, device) = (r.incident.as_str(), r.device.as_str());
        let mut chain = Vec::new();
        let mut next = Some(start);
        while let Some(i) = next {
            used[i] = true;
            chain.push(i);
            let key = (incident, device, Some(rows[i].hash.as_str()));
            next = after.get_mut(&key).and_then(VecDeque::pop_front).filter(|&j| !used[j]);
        }
        chains.push(chain);
    }
    chains.sort_by_key(|c| !c.iter().any(|&i| rows[i].kind == "declared"));
    let order: Vec<usize> =
        chains.into_iter().flatten().chain((0..rows.len()).filter(|&i| !used[i])).collect();
    let mut slots: Vec<Option<Row>> = rows.into_iter().map(Some).collect();
    order.into_iter().filter_map(|i| slots[i].take()).collect()
}
