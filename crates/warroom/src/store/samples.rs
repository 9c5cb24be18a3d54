//! Metric samples kept with an incident (its affected nodes' signals), for charts and replay.
//! Writing a sample twice keeps the first: recording is idempotent.

use rusqlite::{Transaction, params};
use ulid::Ulid;

use super::{Store, StoreError};
use crate::model::{Metric, Sample};
use crate::time;

impl Store {
    /// Keeps `samples` with the incident, in one transaction; non-finite values are skipped.
    /// Returns how many were new.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`] (an unknown incident) or [`StoreError::Locked`].
    pub fn record_samples(&mut self, incident: Ulid, samples: &[Sample]) -> Result<usize, StoreError> {
        let path = self.path.clone();
        let sqlite = |e| StoreError::from_sqlite(&path, e);
        let tx = self.conn.transaction().map_err(sqlite)?;
        let added = insert_samples(&tx, incident, samples).map_err(sqlite)?;
        tx.commit().map_err(sqlite)?;
        Ok(added)
    }

    /// Every sample kept with the incident, by node, metric and time.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`], [`StoreError::Unreadable`] for a metric or time this build cannot
    /// read.
    pub fn samples(&self, incident: Ulid) -> Result<Vec<Sample>, StoreError> {
        let sqlite = |e| StoreError::from_sqlite(&self.path, e);
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT node, metric, at, value FROM samples WHERE incident = ?1 ORDER BY node, metric, at",
            )
            .map_err(sqlite)?;
        let rows = stmt
            .query_map([incident.to_string()], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, f64>(3)?,
                ))
            })
            .map_err(sqlite)?;
        let mut samples = Vec::new();
        for row in rows {
            let (node, metric, at, value) = row.map_err(sqlite)?;
            let unreadable = |reason: String| StoreError::Unreadable {
                path: self.path.clone(),
                event: format!("sample {node}/{metric} at {at}"),
                reason,
            };
            let metric: Metric =
                metric.parse().map_err(|e: crate::model::ParseError| unreadable(e.to_string()))?;
            let at = time::parse(&at).map_err(|e| unreadable(e.to_string()))?;
            samples.push(Sample { node, metric, value, at });
        }
        Ok(samples)
    }
}

/// [`Store::record_samples`] inside a transaction (an import writes its samples in its own).
pub(super) fn insert_samples(
    tx: &Transaction<'_>,
    incident: Ulid,
    samples: &[Sample],
) -> rusqlite::Result<usize> {
    let mut insert = tx.prepare_cached(
        "INSERT OR IGNORE INTO samples (incident, node, metric, at, value) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    let id = incident.to_string();
    let mut added = 0;
    for s in samples.iter().filter(|s| s.value.is_finite()) {
        added += insert.execute(params![
            id,
            s.node,
            s.metric.name(),
            time::to_db(time::truncate(s.at)),
            s.value
        ])?;
    }
    Ok(added)
}
