//! The audit log: append-only, hash-chained.
//!
//! Every record is one insert and never changes (the database refuses `UPDATE` and `DELETE`
//! on `audit` with triggers). A write sent to Kalshi is two records: the request
//! ([`Store::audit_begin`]: actor, operation, method, the exact path and query sent, the
//! body and its SHA-256) and, once answered, its outcome ([`Store::audit_outcome`], which
//! refers to the first). A refusal is one record.
//!
//! **The chain.** Each record carries `prev_hash`, the hash of the record before it, and
//! `hash` = SHA-256 (hex) of the JSON array `[prev_hash, ts_ms, actor, operation, method,
//! path, body_sha256, client_order_id, outcome, status, error, refers_to]`. The table
//! `audit_head` holds the number of chained records and the last hash; it is updated in the
//! insert's transaction, which also serializes inserts (its row lock on PostgreSQL, the write
//! lock on SQLite), so two desks sharing a database extend one chain. [`Store::audit_verify`]
//! (`kalshi-desk audit verify`) recomputes it and names the first record that does not fit:
//! an edited field, a removed record, a removed tail.
//!
//! Records written before the chain existed (no hash) are counted as such and must all come
//! before the first chained one.

use serde::Serialize;
use sha2::{Digest as _, Sha256};
use shared::auth::{AuditEntry, AuditQuery};
use sqlx::Row as _;

use super::{now_ms, Result, Store};

/// The `prev_hash` of the first chained record.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// What a write was: the request as it is sent.
#[derive(Clone, Copy, Debug, Default)]
pub struct AuditTarget<'a> {
    /// `POST`, `PUT`, `DELETE`, … (empty for a desk action that sends nothing to Kalshi).
    pub method: &'a str,
    /// The exact path and query sent, e.g.
    /// `/trade-api/v2/portfolio/events/orders/ID?subaccount=2`, or the desk's own route.
    pub path: &'a str,
    /// The request body as sent (JSON text; empty when none).
    pub body: &'a str,
    /// The order's client order id, when the body has one.
    pub client_order_id: Option<&'a str>,
}

/// One break in the chain: the first record that does not fit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AuditBreak {
    /// The record's id (for a removed tail: the last record that is there).
    pub id: i64,
    /// What is wrong with it.
    pub reason: String,
}

/// What [`Store::audit_verify`] found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AuditVerdict {
    /// Chained records checked.
    pub records: u64,
    /// Records from before the chain existed (no hash).
    pub legacy: u64,
    /// The first break, if any.
    pub first_break: Option<AuditBreak>,
}

/// One record as stored (the columns the hash covers).
#[derive(Clone, Debug, Default)]
struct Record {
    ts_ms: i64,
    actor: String,
    operation: String,
    method: String,
    path: String,
    body: String,
    body_sha256: String,
    client_order_id: Option<String>,
    outcome: String,
    status: Option<i64>,
    error: Option<String>,
    refers_to: Option<i64>,
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

impl Record {
    /// The record's hash, chained to `prev`.
    fn hash(&self, prev: &str) -> String {
        let fields = serde_json::json!([
            prev,
            self.ts_ms,
            self.actor,
            self.operation,
            self.method,
            self.path,
            self.body_sha256,
            self.client_order_id,
            self.outcome,
            self.status,
            self.error,
            self.refers_to,
        ]);
        sha256_hex(fields.to_string().as_bytes())
    }

    fn read(row: &impl RowLike) -> Result<(i64, Record, Option<String>, Option<String>)> {
        Ok((
            row.i64("id")?,
            Record {
                ts_ms: row.i64("ts_ms")?,
                actor: row.string("actor")?,
                operation: row.string("operation")?,
                method: row.opt_string("method")?.unwrap_or_default(),
                path: row.opt_string("path")?.unwrap_or_default(),
                body: row.string("body")?,
                body_sha256: row.opt_string("body_sha256")?.unwrap_or_default(),
                client_order_id: row.opt_string("client_order_id")?,
                outcome: row.string("outcome")?,
                status: row.opt_i64("status")?,
                error: row.opt_string("error")?,
                refers_to: row.opt_i64("refers_to")?,
            },
            row.opt_string("prev_hash")?,
            row.opt_string("hash")?,
        ))
    }
}

/// Column reads shared by the SQLite and PostgreSQL rows.
trait RowLike {
    fn i64(&self, c: &str) -> Result<i64>;
    fn opt_i64(&self, c: &str) -> Result<Option<i64>>;
    fn string(&self, c: &str) -> Result<String>;
    fn opt_string(&self, c: &str) -> Result<Option<String>>;
}

macro_rules! row_like {
    ($row:ty) => {
        impl RowLike for $row {
            fn i64(&self, c: &str) -> Result<i64> {
                Ok(self.try_get(c)?)
            }
            fn opt_i64(&self, c: &str) -> Result<Option<i64>> {
                Ok(self.try_get(c)?)
            }
            fn string(&self, c: &str) -> Result<String> {
                Ok(self.try_get(c)?)
            }
            fn opt_string(&self, c: &str) -> Result<Option<String>> {
                Ok(self.try_get(c)?)
            }
        }
    };
}
row_like!(sqlx::sqlite::SqliteRow);
row_like!(sqlx::postgres::PgRow);

/// Columns of the audit view: each request with its outcome record folded in.
const VIEW_COLUMNS: &str = "a.id, a.ts_ms, a.actor, a.operation, a.body, a.client_order_id, \
     a.method, a.path, a.body_sha256, COALESCE(o.outcome, a.outcome) AS outcome, \
     COALESCE(o.status, a.status) AS status, COALESCE(o.error, a.error) AS error";

impl Store {
    /// Records a write about to be sent (outcome `pending`); returns its id for
    /// [`Store::audit_outcome`].
    pub async fn audit_begin(
        &self,
        actor: &str,
        operation: &str,
        target: &AuditTarget<'_>,
    ) -> Result<i64> {
        self.append(Record {
            actor: actor.to_owned(),
            operation: operation.to_owned(),
            method: target.method.to_owned(),
            path: target.path.to_owned(),
            body: target.body.to_owned(),
            body_sha256: sha256_hex(target.body.as_bytes()),
            client_order_id: target.client_order_id.map(str::to_owned),
            outcome: "pending".to_owned(),
            ..Record::default()
        })
        .await
    }

    /// Records the outcome of request record `refers_to`: `ok` or `error`, the HTTP status
    /// (if an answer came) and the error text. A second record; the first never changes.
    pub async fn audit_outcome(
        &self,
        refers_to: i64,
        actor: &str,
        operation: &str,
        outcome: &str,
        status: Option<u16>,
        error: Option<&str>,
    ) -> Result<i64> {
        self.append(Record {
            actor: actor.to_owned(),
            operation: operation.to_owned(),
            body_sha256: sha256_hex(b""),
            outcome: outcome.to_owned(),
            status: status.map(i64::from),
            error: error.map(str::to_owned),
            refers_to: Some(refers_to),
            ..Record::default()
        })
        .await
    }

    /// Records a refused attempt (never sent): outcome `refused`, the desk's status.
    pub async fn audit_refused(
        &self,
        actor: &str,
        operation: &str,
        status: u16,
        reason: &str,
    ) -> Result<i64> {
        self.append(Record {
            actor: actor.to_owned(),
            operation: operation.to_owned(),
            body_sha256: sha256_hex(b""),
            outcome: "refused".to_owned(),
            status: Some(i64::from(status)),
            error: Some(reason.to_owned()),
            ..Record::default()
        })
        .await
    }

    /// Appends `record` to the chain in one transaction with the head.
    async fn append(&self, mut record: Record) -> Result<i64> {
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            // The head's row is taken first: concurrent inserts wait here.
            let head = sqlx::query(
                "UPDATE audit_head SET records = records + 1 WHERE id = 1 RETURNING hash")
                .fetch_one(&mut *tx).await?;
            let prev: String = head.try_get("hash")?;
            record.ts_ms = now_ms();
            let hash = record.hash(&prev);
            let row = sqlx::query(
                "INSERT INTO audit (ts_ms, actor, operation, body, client_order_id, outcome, status, \
                 error, method, path, body_sha256, refers_to, prev_hash, hash) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id")
                .bind(record.ts_ms).bind(&record.actor).bind(&record.operation).bind(&record.body)
                .bind(&record.client_order_id).bind(&record.outcome).bind(record.status)
                .bind(&record.error).bind(&record.method).bind(&record.path)
                .bind(&record.body_sha256).bind(record.refers_to).bind(&prev).bind(&hash)
                .fetch_one(&mut *tx).await?;
            let id: i64 = row.try_get("id")?;
            sqlx::query("UPDATE audit_head SET hash = $1 WHERE id = 1")
                .bind(&hash).execute(&mut *tx).await?;
            tx.commit().await?;
            Ok(id)
        })
    }

    /// Recomputes the chain from the first record to the head; see the module docs.
    pub async fn audit_verify(&self) -> Result<AuditVerdict> {
        const PAGE: i64 = 1_000;
        let mut verdict = AuditVerdict {
            records: 0,
            legacy: 0,
            first_break: None,
        };
        let mut running = GENESIS_HASH.to_owned();
        let mut last_id = 0_i64;
        let mut after = i64::MIN;
        'pages: loop {
            let rows: Vec<(i64, Record, Option<String>, Option<String>)> = on_pool!(self, pool => {
                let rows = sqlx::query(
                    "SELECT id, ts_ms, actor, operation, method, path, body, body_sha256, \
                     client_order_id, outcome, status, error, refers_to, prev_hash, hash \
                     FROM audit WHERE id > $1 ORDER BY id LIMIT $2")
                    .bind(after).bind(PAGE).fetch_all(pool).await?;
                rows.iter().map(Record::read).collect::<Result<Vec<_>>>()?
            });
            let Some(last) = rows.last() else { break };
            after = last.0;
            for (id, record, prev, hash) in rows {
                let broken = |reason: &str| AuditBreak {
                    id,
                    reason: reason.to_owned(),
                };
                let Some(hash) = hash else {
                    if verdict.records == 0 {
                        verdict.legacy += 1;
                        last_id = id;
                        continue;
                    }
                    verdict.first_break = Some(broken("a record without a hash inside the chain"));
                    break 'pages;
                };
                if prev.as_deref() != Some(running.as_str()) {
                    verdict.first_break = Some(broken(
                        "its prev_hash is not the hash of the record before it (a record before it was removed or changed)",
                    ));
                    break 'pages;
                }
                if sha256_hex(record.body.as_bytes()) != record.body_sha256 {
                    verdict.first_break = Some(broken("its body does not match its body_sha256"));
                    break 'pages;
                }
                if record.hash(&running) != hash {
                    verdict.first_break = Some(broken("its fields do not match its hash"));
                    break 'pages;
                }
                running = hash;
                verdict.records += 1;
                last_id = id;
            }
        }
        if verdict.first_break.is_none() {
            let (records, hash): (i64, String) = on_pool!(self, pool => {
                let row = sqlx::query("SELECT records, hash FROM audit_head WHERE id = 1")
                    .fetch_one(pool).await?;
                (row.try_get("records")?, row.try_get("hash")?)
            });
            if u64::try_from(records).ok() != Some(verdict.records) || hash != running {
                verdict.first_break = Some(AuditBreak {
                    id: last_id,
                    reason: format!(
                        "the head says {records} records ending in {hash}; {} are there: records after this one were removed",
                        verdict.records
                    ),
                });
            }
        }
        Ok(verdict)
    }

    /// Audit records matching `q`, newest first: each request with its outcome folded in
    /// (outcome records themselves are not listed).
    pub async fn audit(&self, q: &AuditQuery) -> Result<Vec<AuditEntry>> {
        let mut clauses = vec!["a.refers_to IS NULL".to_owned()];
        let mut n = 0;
        let mut mark = || {
            n += 1;
            format!("${n}")
        };
        if q.user.is_some() {
            clauses.push(format!("a.actor = {}", mark()));
        }
        if q.operation.is_some() {
            clauses.push(format!("a.operation = {}", mark()));
        }
        if q.from_ms.is_some() {
            clauses.push(format!("a.ts_ms >= {}", mark()));
        }
        if q.to_ms.is_some() {
            clauses.push(format!("a.ts_ms <= {}", mark()));
        }
        let limit_mark = mark();
        let sql = format!(
            "SELECT {VIEW_COLUMNS} FROM audit a LEFT JOIN audit o ON o.refers_to = a.id \
             WHERE {} ORDER BY a.id DESC LIMIT {limit_mark}",
            clauses.join(" AND ")
        );
        let limit = q.limit.unwrap_or(500).clamp(1, 10_000);
        on_pool!(self, pool => {
            let mut query = sqlx::query(&sql);
            if let Some(u) = &q.user { query = query.bind(u); }
            if let Some(o) = &q.operation { query = query.bind(o); }
            if let Some(f) = q.from_ms { query = query.bind(f); }
            if let Some(t) = q.to_ms { query = query.bind(t); }
            let rows = query.bind(limit).fetch_all(pool).await?;
            let mut out = Vec::with_capacity(rows.len());
            for row in &rows {
                out.push(AuditEntry {
                    id: row.try_get("id")?,
                    ts_ms: row.try_get("ts_ms")?,
                    actor: row.try_get("actor")?,
                    operation: row.try_get("operation")?,
                    body: row.try_get("body")?,
                    client_order_id: row.try_get("client_order_id")?,
                    method: row.try_get::<Option<String>, _>("method")?.filter(|s| !s.is_empty()),
                    path: row.try_get::<Option<String>, _>("path")?.filter(|s| !s.is_empty()),
                    body_sha256: row.try_get("body_sha256")?,
                    outcome: row.try_get("outcome")?,
                    status: row.try_get("status")?,
                    error: row.try_get("error")?,
                });
            }
            Ok(out)
        })
    }
}
