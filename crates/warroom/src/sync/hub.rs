//! The team's hub: a PostgreSQL database every laptop pushes its events to and pulls the others'
//! from.
//!
//! The hub holds the events exactly as each laptop's log does (text, column by column, with their
//! chain), the samples, and who is connected (`presence`). Triggers refuse `UPDATE`, `DELETE` and
//! `TRUNCATE` of events and samples to everyone, the owner included; responders are granted
//! `SELECT` and `INSERT` only ([`super::GRANTS`]). Every insert into `events` sends a `NOTIFY` that
//! wakes the other laptops at once; they read from a cursor (the hub's own sequence number), so a
//! laptop that missed notifications (offline, asleep) catches up by reading on. Pushes take a
//! transaction-scoped advisory lock, so sequence numbers commit in order and a reader never skips
//! an event committed late.
//!
//! The schema is warroom's own ([`super::schema`]), created and migrated by `warroom sync init-hub`.

use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;
use tokio::sync::mpsc;
use tokio_postgres::{AsyncMessage, Client};

use super::schema::{CHANNEL, MIGRATIONS, PUSH_LOCK};
use super::{SyncConfig, SyncError};
use crate::store::{PendingSample, Row};

/// How long one request to the hub may take before the hub counts as unreachable.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a connection may take.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);

/// A laptop the hub has seen, and how long it has been silent.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(any(test, feature = "ts"), derive(ts_rs::TS), ts(export))]
pub struct Device {
    pub device: String,
    pub person: Option<String>,
    /// The incident it is on, if any.
    pub incident: Option<String>,
    /// What it runs: "desktop", "watch", "cli".
    pub app: String,
    pub last_seen: DateTime<Utc>,
    /// Seconds since it was last heard of, by the hub's clock.
    pub silent_secs: f64,
}

/// A connection to the hub, listening for pushes.
pub struct Hub {
    client: Client,
    notes: mpsc::UnboundedReceiver<()>,
    /// The hub's identity: a new hub (recreated, restored elsewhere) starts a new cursor.
    pub id: String,
}

impl Hub {
    /// Connects, checks the hub's schema is the one this build knows, and listens for pushes.
    ///
    /// # Errors
    /// [`SyncError`] naming the hub and what is wrong (unreachable, refused, no schema, a password
    /// that cannot be read).
    pub async fn connect(config: &SyncConfig) -> Result<Hub, SyncError> {
        let (client, notes) = open(config).await?;
        let version = within(client.query_opt("SELECT max(version) FROM warroom.migrations", &[]))
            .await
            .map_err(|e| match e {
                SyncError::Hub { code: Some(ref c), .. } if c == "42P01" || c == "3F000" => {
                    SyncError::NoSchema { hub: config.url.clone() }
                }
                other => other,
            })?
            .and_then(|row| row.get::<_, Option<i32>>(0))
            .unwrap_or(0);
        let known = i32::try_from(MIGRATIONS.len()).unwrap_or(i32::MAX);
        if version < known {
            return Err(SyncError::OldSchema { hub: config.url.clone(), found: version, needed: known });
        }
        if version > known {
            return Err(SyncError::NewSchema { hub: config.url.clone(), found: version, known });
        }
        let id: String = within(client.query_one("SELECT id FROM warroom.hub", &[])).await?.get(0);
        within(client.batch_execute(&format!("LISTEN {CHANNEL}"))).await?;
        Ok(Hub { client, notes, id })
    }

    /// Creates or migrates the hub's schema (as its admin). Returns the migrations applied.
    ///
    /// # Errors
    /// [`SyncError`] naming what the hub refused; nothing of a failed migration is kept.
    pub async fn init(config: &SyncConfig) -> Result<Vec<usize>, SyncError> {
        let (mut client, _notes) = open(config).await?;
        let tx = within(client.transaction()).await?;
        within(tx.execute("SELECT pg_advisory_xact_lock($1)", &[&PUSH_LOCK])).await?;
        within(tx.batch_execute(
            "CREATE SCHEMA IF NOT EXISTS warroom;
             CREATE TABLE IF NOT EXISTS warroom.migrations (
                 version integer PRIMARY KEY,
                 applied_at timestamptz NOT NULL DEFAULT now()
             );",
        ))
        .await?;
        let done: i32 = within(tx.query_one("SELECT coalesce(max(version), 0) FROM warroom.migrations", &[]))
            .await?
            .get(0);
        let mut applied = Vec::new();
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(usize::try_from(done).unwrap_or(0)) {
            let version = i32::try_from(i + 1).unwrap_or(i32::MAX);
            within(tx.batch_execute(sql)).await?;
            within(tx.execute("INSERT INTO warroom.migrations (version) VALUES ($1)", &[&version])).await?;
            applied.push(i + 1);
        }
        within(tx.commit()).await?;
        Ok(applied)
    }

    /// Adds events and samples the hub does not have yet (by id and by key), in one transaction.
    ///
    /// # Errors
    /// [`SyncError`] when the hub cannot be reached or refuses; nothing is added then.
    pub async fn push(&mut self, rows: &[Row], samples: &[PendingSample]) -> Result<(), SyncError> {
        if rows.is_empty() && samples.is_empty() {
            return Ok(());
        }
        let tx = within(self.client.transaction()).await?;
        within(tx.execute("SELECT pg_advisory_xact_lock($1)", &[&PUSH_LOCK])).await?;
        if !rows.is_empty() {
            let text = |f: fn(&Row) -> &str| rows.iter().map(|r| f(r).to_owned()).collect::<Vec<String>>();
            let actor: Vec<Option<String>> = rows.iter().map(|r| r.actor.clone()).collect();
            let prev: Vec<Option<String>> = rows.iter().map(|r| r.prev.clone()).collect();
            within(tx.execute(
                "INSERT INTO warroom.events
                     (id, incident, at, recorded_at, origin, actor, device, prev, hash, kind, data)
                 SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[],
                                      $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[])
                 ON CONFLICT (id) DO NOTHING",
                &[
                    &text(|r| &r.id),
                    &text(|r| &r.incident),
                    &text(|r| &r.at),
                    &text(|r| &r.recorded_at),
                    &text(|r| &r.origin),
                    &actor,
                    &text(|r| &r.device),
                    &prev,
                    &text(|r| &r.hash),
                    &text(|r| &r.kind),
                    &text(|r| &r.data),
                ],
            ))
            .await?;
        }
        if !samples.is_empty() {
            let text = |f: fn(&PendingSample) -> &str| {
                samples.iter().map(|s| f(s).to_owned()).collect::<Vec<String>>()
            };
            let values: Vec<f64> = samples.iter().map(|s| s.value).collect();
            within(tx.execute(
                "INSERT INTO warroom.samples (incident, node, metric, at, value)
                 SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::float8[])
                 ON CONFLICT (incident, node, metric, at) DO NOTHING",
                &[
                    &text(|s| &s.incident),
                    &text(|s| &s.node),
                    &text(|s| &s.metric),
                    &text(|s| &s.at),
                    &values,
                ],
            ))
            .await?;
        }
        within(tx.commit()).await
    }

    /// Up to `limit` events after the hub's sequence number `after`, in the hub's order, and the
    /// sequence number of the last one (`after` when there is none).
    ///
    /// # Errors
    /// [`SyncError`] when the hub cannot be reached.
    pub async fn pull(&self, after: i64, limit: i64) -> Result<(Vec<Row>, i64), SyncError> {
        let rows = within(self.client.query(
            "SELECT seq, id, incident, at, recorded_at, origin, actor, device, prev, hash, kind, data
             FROM warroom.events WHERE seq > $1 ORDER BY seq LIMIT $2",
            &[&after, &limit],
        ))
        .await?;
        let last = rows.last().map_or(after, |r| r.get(0));
        let rows = rows
            .iter()
            .map(|r| Row {
                id: r.get(1),
                incident: r.get(2),
                at: r.get(3),
                recorded_at: r.get(4),
                origin: r.get(5),
                actor: r.get(6),
                device: r.get(7),
                prev: r.get(8),
                hash: r.get(9),
                kind: r.get(10),
                data: r.get(11),
            })
            .collect();
        Ok((rows, last))
    }

    /// Up to `limit` samples after the hub's sequence number `after`, and the last one's number.
    ///
    /// # Errors
    /// [`SyncError`] when the hub cannot be reached.
    pub async fn pull_samples(&self, after: i64, limit: i64) -> Result<(Vec<PendingSample>, i64), SyncError> {
        let rows = within(self.client.query(
            "SELECT seq, incident, node, metric, at, value FROM warroom.samples
             WHERE seq > $1 ORDER BY seq LIMIT $2",
            &[&after, &limit],
        ))
        .await?;
        let last = rows.last().map_or(after, |r| r.get(0));
        let samples = rows
            .iter()
            .map(|r| PendingSample {
                incident: r.get(1),
                node: r.get(2),
                metric: r.get(3),
                at: r.get(4),
                value: r.get(5),
            })
            .collect();
        Ok((samples, last))
    }

    /// Says this laptop is here (who, on which incident, running what). When that changed (a
    /// new laptop, another person or incident), the hub announces it as it does a push, so the
    /// others read who is here at once instead of at their next heartbeat.
    ///
    /// # Errors
    /// [`SyncError`] when the hub cannot be reached.
    pub async fn heartbeat(
        &self,
        device: &str,
        person: Option<&str>,
        incident: Option<&str>,
        app: &str,
    ) -> Result<(), SyncError> {
        // Every part of one statement sees the table as it was before it: `before` is the row
        // the upsert replaces.
        within(self.client.execute(
            &format!(
                "WITH before AS (
                     SELECT person, incident, app FROM warroom.presence WHERE device = $1
                 ), here AS (
                     INSERT INTO warroom.presence (device, person, incident, app, last_seen)
                     VALUES ($1, $2, $3, $4, now())
                     ON CONFLICT (device) DO UPDATE SET person = EXCLUDED.person,
                         incident = EXCLUDED.incident, app = EXCLUDED.app, last_seen = now()
                 )
                 SELECT pg_notify('{CHANNEL}', 'presence')
                 WHERE NOT EXISTS (
                     SELECT 1 FROM before WHERE person IS NOT DISTINCT FROM $2::text
                         AND incident IS NOT DISTINCT FROM $3::text AND app = $4::text
                 )"
            ),
            &[&device, &person, &incident, &app],
        ))
        .await
        .map(|_| ())
    }

    /// Every laptop the hub has heard of, most recently heard first.
    ///
    /// # Errors
    /// [`SyncError`] when the hub cannot be reached.
    pub async fn devices(&self) -> Result<Vec<Device>, SyncError> {
        let rows = within(self.client.query(
            "SELECT device, person, incident, app, last_seen,
                    extract(epoch FROM now() - last_seen)::float8
             FROM warroom.presence ORDER BY last_seen DESC, device",
            &[],
        ))
        .await?;
        Ok(rows
            .iter()
            .map(|r| Device {
                device: r.get(0),
                person: r.get(1),
                incident: r.get(2),
                app: r.get(3),
                last_seen: r.get(4),
                silent_secs: r.get::<_, f64>(5).max(0.0),
            })
            .collect())
    }

    /// Waits for the next push announced by the hub; `None` once the connection is gone.
    pub async fn notified(&mut self) -> Option<()> {
        let got = self.notes.recv().await;
        // Several pushes while this laptop was busy: one read catches up with all of them.
        while self.notes.try_recv().is_ok() {}
        got
    }
}

/// Opens a connection (TLS where the hub offers or the URL asks for it), and a task that reads
/// its notifications.
async fn open(config: &SyncConfig) -> Result<(Client, mpsc::UnboundedReceiver<()>), SyncError> {
    let mut pg = tokio_postgres::Config::from_str(&config.url)
        .map_err(|e| SyncError::Config { hub: config.url.clone(), message: e.to_string() })?;
    if let Some(secret) = &config.password {
        let password =
            secret.resolve().map_err(|message| SyncError::Config { hub: config.url.clone(), message })?;
        pg.password(password);
    }
    let remote = pg.get_hosts().iter().any(|h| match h {
        tokio_postgres::config::Host::Tcp(name) => {
            !matches!(name.as_str(), "localhost" | "127.0.0.1" | "::1")
        }
        #[cfg(unix)]
        tokio_postgres::config::Host::Unix(_) => false,
    });
    // A hub across the network is reached over TLS only, unless the URL says sslmode=disable.
    if remote && !config.url.contains("sslmode=disable") {
        pg.ssl_mode(tokio_postgres::config::SslMode::Require);
    }
    pg.connect_timeout(CONNECT_TIMEOUT);
    pg.keepalives_idle(Duration::from_secs(10));
    pg.application_name("warroom");
    let mut tls = native_tls::TlsConnector::builder();
    if let Some(path) = &config.ca_file {
        let pem = std::fs::read(path).map_err(|e| SyncError::Config {
            hub: config.url.clone(),
            message: format!("ca_file {}: {e}", path.display()),
        })?;
        let cert = native_tls::Certificate::from_pem(&pem).map_err(|e| SyncError::Config {
            hub: config.url.clone(),
            message: format!("ca_file {}: not a PEM certificate ({e})", path.display()),
        })?;
        tls.add_root_certificate(cert);
    }
    if !config.tls_verify {
        tls.danger_accept_invalid_certs(true);
    }
    let tls = tls
        .build()
        .map_err(|e| SyncError::Config { hub: config.url.clone(), message: format!("TLS: {e}") })?;
    let connecting = pg.connect(postgres_native_tls::MakeTlsConnector::new(tls));
    let (client, mut connection) = tokio::time::timeout(CONNECT_TIMEOUT + Duration::from_secs(1), connecting)
        .await
        .map_err(|_| SyncError::Timeout)?
        .map_err(SyncError::from)?;
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        loop {
            match std::future::poll_fn(|cx| connection.poll_message(cx)).await {
                Some(Ok(AsyncMessage::Notification(_))) => {
                    if tx.send(()).is_err() {
                        return;
                    }
                }
                Some(Ok(_)) => {}
                Some(Err(e)) => {
                    tracing::debug!("hub connection: {e}");
                    return;
                }
                None => return,
            }
        }
    });
    Ok((client, rx))
}

/// A request to the hub, given [`REQUEST_TIMEOUT`].
async fn within<T>(request: impl Future<Output = Result<T, tokio_postgres::Error>>) -> Result<T, SyncError> {
    tokio::time::timeout(REQUEST_TIMEOUT, request)
        .await
        .map_err(|_| SyncError::Timeout)?
        .map_err(SyncError::from)
}
