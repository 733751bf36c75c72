//! The callback inbox: each delivered message or event stored once.

use crate::db::{backend, placeholders, Backend, Db};

use crate::clock::now_secs;

/// A decrypted callback as it is kept.
pub struct Delivery<'a> {
    pub dedup_key: &'a str,
    pub msg_type: &'a str,
    pub event: &'a str,
    pub change_type: &'a str,
    pub body: &'a str,
}

/// Stores `d` unless its key was stored before; whether it was new.
pub async fn insert_once(db: &Db, d: &Delivery<'_>) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "INSERT INTO callback_inbox (dedup_key, received_at, msg_type, event, change_type, body)
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (dedup_key) DO NOTHING",
    )
    .bind(d.dedup_key)
    .bind(now_secs())
    .bind(d.msg_type)
    .bind(d.event)
    .bind(d.change_type)
    .bind(d.body)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// A stored delivery a worker has claimed.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Claimed {
    pub dedup_key: String,
    pub body: String,
    pub attempts: i64,
}

/// Claims up to `limit` unprocessed deliveries for `worker` until `until_ms` (a lease:
/// when it passes unprocessed, another worker may claim them). No row is handed to
/// two workers at once: PostgreSQL skips rows another transaction holds; SQLite has
/// one writer, so the statement is atomic by itself.
pub async fn claim_pending(
    db: &Db,
    worker: &str,
    limit: i64,
    now_ms: i64,
    until_ms: i64,
    urgent_only: bool,
) -> Result<Vec<Claimed>, sqlx::Error> {
    let lock = match backend(db) {
        Backend::Postgres => "FOR UPDATE SKIP LOCKED",
        Backend::Sqlite => "",
    };
    // The partial index `callback_inbox_urgent` serves the urgent look.
    let urgent = if urgent_only { "AND urgent = 1" } else { "" };
    let sql = format!(
        "UPDATE callback_inbox SET claimed_by = $1, claimed_until = $2, attempts = attempts + 1
         WHERE dedup_key IN (
           SELECT dedup_key FROM callback_inbox
           WHERE processed_at IS NULL AND failed_at IS NULL {urgent}
             AND (claimed_until IS NULL OR claimed_until < $3)
           ORDER BY received_at, dedup_key LIMIT $4 {lock})
         RETURNING dedup_key, body, attempts"
    );
    sqlx::query_as(&sql)
        .bind(worker)
        .bind(until_ms)
        .bind(now_ms)
        .bind(limit)
        .fetch_all(db)
        .await
}

/// Marks deliveries `worker` claimed as done, in one statement; how many were still
/// `worker`'s (a claim that ran out may have been taken by another worker).
pub async fn mark_processed_many(
    db: &Db,
    worker: &str,
    dedup_keys: &[String],
) -> Result<u64, sqlx::Error> {
    if dedup_keys.is_empty() {
        return Ok(0);
    }
    let sql = format!(
        "UPDATE callback_inbox SET processed_at = $1, claimed_by = NULL, claimed_until = NULL
         WHERE claimed_by = $2 AND dedup_key IN ({})",
        placeholders(3, dedup_keys.len())
    );
    let mut query = sqlx::query(&sql).bind(now_secs()).bind(worker);
    for key in dedup_keys {
        query = query.bind(key);
    }
    Ok(query.execute(db).await?.rows_affected())
}

/// Keeps `dedup_keys` (still `worker`'s) claimed until `until_ms`: a batch still in
/// hand when WeCom is slow.
pub async fn extend_claims(
    db: &Db,
    worker: &str,
    dedup_keys: &[String],
    until_ms: i64,
) -> Result<u64, sqlx::Error> {
    if dedup_keys.is_empty() {
        return Ok(0);
    }
    let sql = format!(
        "UPDATE callback_inbox SET claimed_until = $1
         WHERE claimed_by = $2 AND dedup_key IN ({})",
        placeholders(3, dedup_keys.len())
    );
    let mut query = sqlx::query(&sql).bind(until_ms).bind(worker);
    for key in dedup_keys {
        query = query.bind(key);
    }
    Ok(query.execute(db).await?.rows_affected())
}

/// A delivery `worker` could not process: tried again from `not_before_ms` (no other
/// worker takes it before), with the reason kept.
pub async fn retry_later(
    db: &Db,
    worker: &str,
    dedup_key: &str,
    not_before_ms: i64,
    error: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE callback_inbox SET claimed_by = NULL, claimed_until = $1, last_error = $2
         WHERE dedup_key = $3 AND claimed_by = $4",
    )
    .bind(not_before_ms)
    .bind(error)
    .bind(dedup_key)
    .bind(worker)
    .execute(db)
    .await?;
    Ok(())
}

/// A delivery given up on after its last try; kept with the reason for an admin.
pub async fn mark_failed(
    db: &Db,
    worker: &str,
    dedup_key: &str,
    error: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE callback_inbox SET failed_at = $1, last_error = $2, claimed_by = NULL,
           claimed_until = NULL
         WHERE dedup_key = $3 AND claimed_by = $4",
    )
    .bind(now_secs())
    .bind(error)
    .bind(dedup_key)
    .bind(worker)
    .execute(db)
    .await?;
    Ok(())
}

/// On SQLite there is one instance: claims left over at its start are a dead
/// process's, so they are let go at once instead of when they run out.
pub async fn release_claims(db: &Db) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query(
        "UPDATE callback_inbox SET claimed_by = NULL, claimed_until = NULL
         WHERE processed_at IS NULL AND claimed_by IS NOT NULL",
    )
    .execute(db)
    .await?
    .rows_affected())
}

/// Forgets processed deliveries received before `before_secs`. Safe for
/// de-duplication once `before_secs` is further back than the timestamps the endpoint
/// accepts (`callback.max_clock_skew_secs`): an older replay is refused anyway.
pub async fn forget_processed(db: &Db, before_secs: i64) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query(
        "DELETE FROM callback_inbox WHERE processed_at IS NOT NULL AND received_at < $1",
    )
    .bind(before_secs)
    .execute(db)
    .await?
    .rows_affected())
}

/// A delivery to store, owned (it waits in the writer's queue).
#[derive(Debug, Clone)]
pub struct NewDelivery {
    pub dedup_key: String,
    pub msg_type: String,
    pub event: String,
    pub change_type: String,
    pub body: String,
    /// Worked ahead of the queue (an add event with a welcome code).
    pub urgent: bool,
}

/// Most deliveries one statement stores.
pub const MAX_BATCH: usize = 64;

/// Stores `batch` in one statement, each unless its key was stored before (also by an
/// earlier row of the same batch); the keys stored now.
pub async fn insert_batch(
    db: &Db,
    batch: &[NewDelivery],
) -> Result<std::collections::HashSet<String>, sqlx::Error> {
    let now = now_secs();
    let rows: Vec<String> = (0..batch.len())
        .map(|i| format!("({})", placeholders(i * 7 + 1, 7)))
        .collect();
    let sql = format!(
        "INSERT INTO callback_inbox (dedup_key, received_at, msg_type, event, change_type, body,
           urgent)
         VALUES {} ON CONFLICT (dedup_key) DO NOTHING RETURNING dedup_key",
        rows.join(", ")
    );
    let mut query = sqlx::query_scalar::<_, String>(&sql);
    for d in batch {
        query = query
            .bind(&d.dedup_key)
            .bind(now)
            .bind(&d.msg_type)
            .bind(&d.event)
            .bind(&d.change_type)
            .bind(&d.body)
            .bind(i64::from(d.urgent));
    }
    Ok(query.fetch_all(db).await?.into_iter().collect())
}
