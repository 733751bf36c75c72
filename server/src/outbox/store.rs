//! The outbox in the database: rows claimed by one worker at a time (a lease, as the
//! callback inbox's), sent, retried later or failed; and the robots' recent sends.

use crate::db::{backend, Backend, Db, Tx};

/// What goes out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A notification to a group robot; `target` is the robot's name.
    Robot,
    /// An event to `integration.events_url`.
    Event,
    /// An app message (`message/send`) to members; `target` is `u1|u2`.
    AppMessage,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Robot => "robot",
            Kind::Event => "event",
            Kind::AppMessage => "app_message",
        }
    }

    pub fn of(s: &str) -> Option<Self> {
        [Kind::Robot, Kind::Event, Kind::AppMessage]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

/// A row to send.
pub struct NewRow<'a> {
    pub id: &'a str,
    pub kind: Kind,
    pub target: &'a str,
    pub payload: &'a str,
    pub conversation_id: Option<&'a str>,
    /// A notification's staff id: once posted, that member's replies go there.
    pub staff_id: Option<&'a str>,
}

/// Queues `row` unless a row with its id is there already (a redelivered callback, a
/// repeated request); whether it was new.
pub async fn insert(tx: &mut Tx<'_>, row: &NewRow<'_>, now_ms: i64) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "INSERT INTO outbox (id, kind, target, payload, status, next_at, created_at,
           conversation_id, staff_id)
         VALUES ($1, $2, $3, $4, 'queued', $5, $5, $6, $7) ON CONFLICT (id) DO NOTHING",
    )
    .bind(row.id)
    .bind(row.kind.as_str())
    .bind(row.target)
    .bind(row.payload)
    .bind(now_ms)
    .bind(row.conversation_id)
    .bind(row.staff_id)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// A row a worker has claimed.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub id: String,
    pub kind: Kind,
    pub target: String,
    pub payload: String,
    /// This one included.
    pub attempts: i64,
    pub created_at: i64,
}

#[derive(sqlx::FromRow)]
struct ClaimedRow {
    id: String,
    kind: String,
    target: String,
    payload: String,
    attempts: i64,
    created_at: i64,
}

/// Which due rows a claim takes.
pub enum Take<'a> {
    /// Events (not robots nor app messages: they go by their robot's or member's
    /// window).
    Kind(Kind),
    /// One robot's, oldest first.
    Robot(&'a str),
    /// The app messages to one target (`u1` or `u1|u2`), oldest first.
    AppTarget(&'a str),
}

/// Claims up to `limit` due rows for `worker` until `until_ms`, counting the attempt.
/// No row is handed to two workers at once (PostgreSQL skips rows another
/// transaction holds; SQLite has one writer).
pub async fn claim(
    db: &Db,
    worker: &str,
    take: Take<'_>,
    limit: i64,
    now_ms: i64,
    until_ms: i64,
) -> Result<Vec<Claimed>, sqlx::Error> {
    let lock = match backend(db) {
        Backend::Postgres => "FOR UPDATE SKIP LOCKED",
        Backend::Sqlite => "",
    };
    let (which, value) = match take {
        Take::Kind(kind) => ("kind = $5", kind.as_str()),
        Take::Robot(name) => ("kind = 'robot' AND target = $5", name),
        Take::AppTarget(target) => ("kind = 'app_message' AND target = $5", target),
    };
    let sql = format!(
        "UPDATE outbox SET claimed_by = $1, claimed_until = $2, attempts = attempts + 1
         WHERE id IN (
           SELECT id FROM outbox
           WHERE status = 'queued' AND next_at <= $3
             AND (claimed_until IS NULL OR claimed_until < $3) AND {which}
           ORDER BY next_at, created_at, id LIMIT $4 {lock})
         RETURNING id, kind, target, payload, attempts, created_at"
    );
    let rows: Vec<ClaimedRow> = sqlx::query_as(&sql)
        .bind(worker)
        .bind(until_ms)
        .bind(now_ms)
        .bind(limit)
        .bind(value)
        .fetch_all(db)
        .await?;
    let mut claimed: Vec<Claimed> = rows
        .into_iter()
        .filter_map(|r| {
            Some(Claimed {
                kind: Kind::of(&r.kind)?,
                id: r.id,
                target: r.target,
                payload: r.payload,
                attempts: r.attempts,
                created_at: r.created_at,
            })
        })
        .collect();
    // RETURNING does not keep the subquery's order: oldest first.
    claimed.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
    Ok(claimed)
}

/// The robots with rows due now.
pub async fn robots_due(db: &Db, now_ms: i64) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT DISTINCT target FROM outbox
         WHERE status = 'queued' AND kind = 'robot' AND next_at <= $1
           AND (claimed_until IS NULL OR claimed_until < $1)",
    )
    .bind(now_ms)
    .fetch_all(db)
    .await
}

/// Done. False when the claim was no longer `worker`'s.
pub async fn mark_sent(db: &Db, worker: &str, id: &str, now_ms: i64) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE outbox SET status = 'sent', sent_at = $1, last_error = NULL,
           claimed_by = NULL, claimed_until = NULL
         WHERE id = $2 AND claimed_by = $3",
    )
    .bind(now_ms)
    .bind(id)
    .bind(worker)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Tried again at `next_at`, with why it did not go now. `refund`: this attempt does
/// not count towards the limit (the robot was only over its rate).
pub async fn retry_later(
    db: &Db,
    worker: &str,
    id: &str,
    next_at: i64,
    error: &str,
    refund: bool,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE outbox SET next_at = $1, last_error = $2, claimed_by = NULL, claimed_until = NULL,
           attempts = attempts - $3
         WHERE id = $4 AND claimed_by = $5",
    )
    .bind(next_at)
    .bind(error)
    .bind(i64::from(refund))
    .bind(id)
    .bind(worker)
    .execute(db)
    .await?;
    Ok(())
}

/// Given up on, with the reason, in the caller's transaction (which also queues the
/// event saying so). False when the claim was no longer `worker`'s.
pub async fn mark_failed(
    tx: &mut Tx<'_>,
    worker: &str,
    id: &str,
    error: &str,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE outbox SET status = 'failed', last_error = $1, claimed_by = NULL, claimed_until = NULL
         WHERE id = $2 AND claimed_by = $3",
    )
    .bind(error)
    .bind(id)
    .bind(worker)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// A failed row queued again from its first attempt (an admin's retry); false when
/// the row is not failed.
pub async fn requeue_failed(tx: &mut Tx<'_>, id: &str, now_ms: i64) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE outbox SET status = 'queued', attempts = 0, next_at = $1
         WHERE id = $2 AND status = 'failed'",
    )
    .bind(now_ms)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// A row as `GET /api/v1/notifications/{id}` shows it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RowState {
    pub id: String,
    pub kind: String,
    pub status: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub sent_at: Option<i64>,
    pub conversation_id: Option<String>,
    pub payload: String,
    /// The robot's name, an event's type, a member's userid: where it goes.
    pub target: String,
}

pub async fn get(db: &Db, id: &str) -> Result<Option<RowState>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, kind, status, attempts, last_error, sent_at, conversation_id, payload, target
         FROM outbox WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(db)
    .await
}

/// How many messages went to `robot` since `since_ms`, and when the oldest of them went.
pub async fn robot_sends_since(
    db: &Db,
    robot: &str,
    since_ms: i64,
) -> Result<(i64, Option<i64>), sqlx::Error> {
    let (count, oldest): (i64, Option<i64>) = sqlx::query_as(
        "SELECT COUNT(*), MIN(sent_at) FROM robot_sends WHERE robot = $1 AND sent_at > $2",
    )
    .bind(robot)
    .bind(since_ms)
    .fetch_one(db)
    .await?;
    Ok((count, oldest))
}

/// Counts a message handed to `robot` (before it is sent: a crash after sending still
/// counts it).
pub async fn record_robot_send(db: &Db, robot: &str, at_ms: i64) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO robot_sends (robot, sent_at) VALUES ($1, $2)")
        .bind(robot)
        .bind(at_ms)
        .execute(db)
        .await?;
    Ok(())
}

/// Forgets sends older than `before_ms`.
pub async fn prune_robot_sends(db: &Db, before_ms: i64) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query("DELETE FROM robot_sends WHERE sent_at < $1")
        .bind(before_ms)
        .execute(db)
        .await?
        .rows_affected())
}

/// The conversation a notification row is about.
pub async fn get_conversation_id(tx: &mut Tx<'_>, id: &str) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT conversation_id FROM outbox WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut **tx)
        .await
        .map(Option::flatten)
}

/// On SQLite there is one instance: claims left over at its start are a dead
/// process's, so they are let go at once instead of when they run out.
pub async fn release_claims(db: &Db) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query(
        "UPDATE outbox SET claimed_by = NULL, claimed_until = NULL
         WHERE status = 'queued' AND claimed_by IS NOT NULL",
    )
    .execute(db)
    .await?
    .rows_affected())
}

/// Forgets rows sent before `before_ms` (failed rows stay for an admin).
pub async fn forget_sent(db: &Db, before_ms: i64) -> Result<u64, sqlx::Error> {
    Ok(
        sqlx::query("DELETE FROM outbox WHERE status = 'sent' AND sent_at < $1")
            .bind(before_ms)
            .execute(db)
            .await?
            .rows_affected(),
    )
}

/// A row as the admin console lists it.
#[derive(Debug, sqlx::FromRow)]
pub struct ListedRow {
    pub id: String,
    pub kind: String,
    pub status: String,
    pub target: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub sent_at: Option<i64>,
    pub conversation_id: Option<String>,
    pub staff_id: Option<String>,
    pub payload: String,
}

/// Rows in `status` (every status when `None`), newest first.
pub async fn list(
    db: &Db,
    status: Option<&str>,
    offset: i64,
    limit: i64,
) -> Result<Vec<ListedRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, kind, status, target, attempts, last_error, created_at, sent_at,
                conversation_id, staff_id, payload
         FROM outbox WHERE ($1 IS NULL OR status = $1)
         ORDER BY created_at DESC, id LIMIT $2 OFFSET $3",
    )
    .bind(status)
    .bind(limit)
    .bind(offset)
    .fetch_all(db)
    .await
}

/// How many rows are in each status.
pub async fn counts(db: &Db) -> Result<Vec<(String, i64)>, sqlx::Error> {
    sqlx::query_as("SELECT status, COUNT(*) FROM outbox GROUP BY status")
        .fetch_all(db)
        .await
}

/// What one kind of row has waiting: rows not yet sent, when the oldest of them was
/// queued, and rows given up on (for `/metrics`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backlog {
    pub kind: Kind,
    pub queued: i64,
    pub oldest_queued_ms: Option<i64>,
    pub failed: i64,
}

/// The backlog of every kind that has queued or failed rows, in one query.
pub async fn backlog(db: &Db) -> Result<Vec<Backlog>, sqlx::Error> {
    let rows: Vec<(String, i64, Option<i64>, i64)> = sqlx::query_as(
        "SELECT kind,
           SUM(CASE WHEN status = 'queued' THEN 1 ELSE 0 END),
           MIN(CASE WHEN status = 'queued' THEN created_at END),
           SUM(CASE WHEN status = 'failed' THEN 1 ELSE 0 END)
         FROM outbox WHERE status IN ('queued', 'failed') GROUP BY kind",
    )
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(kind, queued, oldest_queued_ms, failed)| {
            Some(Backlog {
                kind: Kind::of(&kind)?,
                queued,
                oldest_queued_ms,
                failed,
            })
        })
        .collect())
}
