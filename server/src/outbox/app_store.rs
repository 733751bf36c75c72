//! The app messages' side of the outbox in the database: which members have messages
//! due, rows given back or sent together, and each member's recent sends (WeCom's
//! about 30 app messages a minute to one member), counted in the database by every
//! instance and across restarts, as `robot_sends` is for robots.

use crate::db::{placeholders, Db};

/// The targets (a member, or `u1|u2`) with app messages due now, the longest waiting
/// first, at most `limit`.
pub async fn app_targets_due(db: &Db, now_ms: i64, limit: i64) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT target FROM outbox
         WHERE kind = 'app_message' AND status = 'queued' AND next_at <= $1
           AND (claimed_until IS NULL OR claimed_until < $1)
         GROUP BY target ORDER BY MIN(next_at), target LIMIT $2",
    )
    .bind(now_ms)
    .bind(limit)
    .fetch_all(db)
    .await
}

/// The due app messages to `target` not tried before `until_ms` (its member's window
/// is full); claimed rows are left to their worker.
pub async fn postpone_target(
    db: &Db,
    target: &str,
    until_ms: i64,
    now_ms: i64,
) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query(
        "UPDATE outbox SET next_at = $1
         WHERE kind = 'app_message' AND status = 'queued' AND target = $2 AND next_at < $1
           AND (claimed_until IS NULL OR claimed_until < $3)",
    )
    .bind(until_ms)
    .bind(target)
    .bind(now_ms)
    .execute(db)
    .await?
    .rows_affected())
}

/// Ids in one statement at most.
const IDS_AT_ONCE: usize = 500;

/// Claimed rows given back untried: not before `next_at`, this attempt not counted,
/// their last error kept.
pub async fn release(db: &Db, worker: &str, ids: &[&str], next_at: i64) -> Result<(), sqlx::Error> {
    let set = "next_at = $1, claimed_by = NULL, claimed_until = NULL, attempts = attempts - 1";
    update_claimed(db, set, next_at, worker, ids).await
}

/// Rows still in hand (being sent, one message after another) kept this worker's
/// until `until_ms`, so another instance never takes them meanwhile.
pub async fn extend_claims(
    db: &Db,
    worker: &str,
    ids: &[&str],
    until_ms: i64,
) -> Result<(), sqlx::Error> {
    update_claimed(db, "claimed_until = $1", until_ms, worker, ids).await
}

/// Rows sent together (merged into one message).
pub async fn mark_all_sent(
    db: &Db,
    worker: &str,
    ids: &[&str],
    now_ms: i64,
) -> Result<(), sqlx::Error> {
    let set = "status = 'sent', sent_at = $1, last_error = NULL, claimed_by = NULL, \
               claimed_until = NULL";
    update_claimed(db, set, now_ms, worker, ids).await
}

/// `UPDATE outbox SET {set}` (`$1` is `value`) on those of `ids` that `worker` holds,
/// in one statement each `IDS_AT_ONCE`.
async fn update_claimed(
    db: &Db,
    set: &str,
    value: i64,
    worker: &str,
    ids: &[&str],
) -> Result<(), sqlx::Error> {
    for chunk in ids.chunks(IDS_AT_ONCE) {
        let sql = format!(
            "UPDATE outbox SET {set} WHERE claimed_by = $2 AND id IN ({})",
            placeholders(3, chunk.len())
        );
        // One statement per length of the list: not kept prepared.
        let mut q = sqlx::query(&sql).persistent(false).bind(value).bind(worker);
        for id in chunk {
            q = q.bind(*id);
        }
        q.execute(db).await?;
    }
    Ok(())
}

/// A member's sends in the window: how many, the oldest and the newest (unix ms).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Sends {
    pub count: i64,
    pub oldest: Option<i64>,
    pub newest: Option<i64>,
}

/// The app messages handed to WeCom for `userid` since `since_ms`.
pub async fn member_sends_since(
    db: &Db,
    userid: &str,
    since_ms: i64,
) -> Result<Sends, sqlx::Error> {
    let (count, oldest, newest): (i64, Option<i64>, Option<i64>) = sqlx::query_as(
        "SELECT COUNT(*), MIN(sent_at), MAX(sent_at) FROM app_message_sends
         WHERE userid = $1 AND sent_at > $2",
    )
    .bind(userid)
    .bind(since_ms)
    .fetch_one(db)
    .await?;
    Ok(Sends {
        count,
        oldest,
        newest,
    })
}

/// Counts one app message to `userid` at `at_ms` (before it is sent: a crash after
/// sending still counts it), unless `limit` were sent to them since `since_ms`; whether
/// it was counted. Atomic on both databases: each send of a member has the next
/// number, so two instances counting the same member's next send at once cannot both
/// have it (the second finds the number taken and counts nothing).
pub async fn take_member_send(
    db: &Db,
    userid: &str,
    at_ms: i64,
    since_ms: i64,
    limit: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "INSERT INTO app_message_sends (userid, seq, sent_at)
         SELECT $1, (SELECT COALESCE(MAX(seq), 0) + 1 FROM app_message_sends WHERE userid = $1), $2
         WHERE (SELECT COUNT(*) FROM app_message_sends WHERE userid = $1 AND sent_at > $3) < $4
         ON CONFLICT (userid, seq) DO NOTHING",
    )
    .bind(userid)
    .bind(at_ms)
    .bind(since_ms)
    .bind(limit)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Forgets members' sends older than `before_ms`.
pub async fn prune_member_sends(db: &Db, before_ms: i64) -> Result<u64, sqlx::Error> {
    Ok(
        sqlx::query("DELETE FROM app_message_sends WHERE sent_at < $1")
            .bind(before_ms)
            .execute(db)
            .await?
            .rows_affected(),
    )
}
