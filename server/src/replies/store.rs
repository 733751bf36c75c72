//! The quick replies' rows (`quick_replies`) and the list's one change-at-a-time row
//! (`quick_reply_list`).

use desk_shared::replies::Reply;
use sqlx::FromRow;

use crate::db::{Db, Tx};

#[derive(Debug, Clone, FromRow)]
pub struct ReplyRow {
    pub id: i64,
    pub title: String,
    pub text: String,
    pub group_name: String,
    pub use_count: i64,
}

impl From<ReplyRow> for Reply {
    fn from(r: ReplyRow) -> Self {
        Reply {
            id: r.id,
            title: r.title,
            text: r.text,
            group: r.group_name,
            use_count: r.use_count,
        }
    }
}

/// A reply as an admin wrote it (already checked).
#[derive(Debug, Clone)]
pub struct NewReply<'a> {
    pub title: &'a str,
    pub text: &'a str,
    pub group: &'a str,
}

const COLUMNS: &str = "id, title, text, group_name, use_count";

/// Every reply, in the order the admins gave.
pub async fn all(db: &Db) -> Result<Vec<ReplyRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM quick_replies ORDER BY position, id"
    ))
    .fetch_all(db)
    .await
}

/// How many replies there are.
pub async fn count(db: &Db) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT COUNT(*) FROM quick_replies")
        .fetch_one(db)
        .await
}

/// Makes `tx` the one change of the list's shape under way: its first statement, a
/// write, so SQLite takes the write lock at once and PostgreSQL makes a second such
/// transaction wait for this one's end (and then see what it wrote).
pub async fn lock_list(tx: &mut Tx<'_>) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE quick_reply_list SET changes = changes + 1 WHERE id = 1")
        .execute(&mut **tx)
        .await
        .map(drop)
}

/// The ids of every reply, in order (inside a locked change).
pub async fn ids(tx: &mut Tx<'_>) -> Result<Vec<i64>, sqlx::Error> {
    sqlx::query_scalar("SELECT id FROM quick_replies ORDER BY position, id")
        .fetch_all(&mut **tx)
        .await
}

/// Appends `reply` after the last one, unless there are `max` already (`None` then).
/// Takes the list's lock itself.
pub async fn append(
    tx: &mut Tx<'_>,
    reply: &NewReply<'_>,
    by: &str,
    now: i64,
    max: usize,
) -> Result<Option<ReplyRow>, sqlx::Error> {
    lock_list(tx).await?;
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM quick_replies")
        .fetch_one(&mut **tx)
        .await?;
    if n >= max as i64 {
        return Ok(None);
    }
    let row = sqlx::query_as(&format!(
        "INSERT INTO quick_replies
           (title, text, group_name, position, use_count, created_at, updated_at, updated_by)
         VALUES ($1, $2, $3, (SELECT COALESCE(MAX(position), -1) + 1 FROM quick_replies),
           0, $4, $4, $5)
         RETURNING {COLUMNS}"
    ))
    .bind(reply.title)
    .bind(reply.text)
    .bind(reply.group)
    .bind(now)
    .bind(by)
    .fetch_one(&mut **tx)
    .await?;
    Ok(Some(row))
}

/// Rewrites reply `id`; `None` when there is no such reply.
pub async fn update(
    tx: &mut Tx<'_>,
    id: i64,
    reply: &NewReply<'_>,
    by: &str,
    now: i64,
) -> Result<Option<ReplyRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "UPDATE quick_replies SET title = $2, text = $3, group_name = $4, updated_at = $5,
           updated_by = $6
         WHERE id = $1 RETURNING {COLUMNS}"
    ))
    .bind(id)
    .bind(reply.title)
    .bind(reply.text)
    .bind(reply.group)
    .bind(now)
    .bind(by)
    .fetch_optional(&mut **tx)
    .await
}

/// Deletes reply `id`; its title, `None` when there was no such reply.
pub async fn delete(tx: &mut Tx<'_>, id: i64) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("DELETE FROM quick_replies WHERE id = $1 RETURNING title")
        .bind(id)
        .fetch_optional(&mut **tx)
        .await
}

/// Gives each reply of `ids` its place in that order (inside a locked change that
/// checked `ids` is every reply).
pub async fn set_order(tx: &mut Tx<'_>, ids: &[i64]) -> Result<(), sqlx::Error> {
    for (position, id) in ids.iter().enumerate() {
        sqlx::query("UPDATE quick_replies SET position = $2 WHERE id = $1 AND position <> $2")
            .bind(id)
            .bind(position as i64)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// Counts one more use of reply `id` (one statement: sends at once never lose one);
/// its title, `None` when there is no such reply.
pub async fn count_use(tx: &mut Tx<'_>, id: i64) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar(
        "UPDATE quick_replies SET use_count = use_count + 1 WHERE id = $1 RETURNING title",
    )
    .bind(id)
    .fetch_optional(&mut **tx)
    .await
}
