//! Sessions in the database: created at login, read (and kept alive) on every request
//! that needs the member, deleted at logout.

use crate::db::Db;
use rand::RngCore;
use sha1::{Digest, Sha1};

use desk_shared::SessionUser;

/// How long sessions live: unused (`idle`) and in all (`max`), in seconds. The cookie
/// itself has no Max-Age, so it dies with the WeCom webview long before either.
#[derive(Debug, Clone, Copy)]
pub struct SessionLifetime {
    pub idle: i64,
    pub max: i64,
}

impl SessionLifetime {
    /// How stale `last_seen_at` may get before a request writes it again: a busy
    /// member does not cost a write per request, and the idle timeout stays exact
    /// to within a quarter of itself (at most a minute).
    fn touch_after(&self) -> i64 {
        (self.idle / 4).clamp(0, 60)
    }
}

fn hash(token: &str) -> String {
    hex::encode(Sha1::digest(token.as_bytes()))
}

/// Creates a session for `user` at `now` (unix seconds) and returns the token for the
/// cookie.
pub async fn create(
    db: &Db,
    user: &SessionUser,
    life: SessionLifetime,
    now: i64,
) -> Result<String, sqlx::Error> {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    let token = hex::encode(bytes);
    sqlx::query(
        "INSERT INTO sessions (token_hash, userid, name, avatar, created_at, expires_at, last_seen_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(hash(&token))
    .bind(&user.user_id)
    .bind(&user.name)
    .bind(&user.avatar)
    .bind(now)
    .bind(now + life.max)
    .bind(now)
    .execute(db)
    .await?;
    Ok(token)
}

/// Deletes every session that has ended (by age or idleness); how many.
pub async fn sweep(db: &Db, life: SessionLifetime, now: i64) -> Result<u64, sqlx::Error> {
    let done = sqlx::query("DELETE FROM sessions WHERE expires_at < $1 OR last_seen_at < $2")
        .bind(now)
        .bind(now - life.idle)
        .execute(db)
        .await?;
    Ok(done.rows_affected())
}

#[derive(sqlx::FromRow)]
struct SessionRow {
    userid: String,
    name: String,
    avatar: String,
    last_seen_at: i64,
}

/// The member behind a session token, if the session has ended neither by age nor by
/// idleness; marks it used.
pub async fn find(
    db: &Db,
    token: &str,
    life: SessionLifetime,
    now: i64,
) -> Result<Option<SessionUser>, sqlx::Error> {
    let token_hash = hash(token);
    let row: Option<SessionRow> = sqlx::query_as(
        "SELECT userid, name, avatar, last_seen_at FROM sessions
         WHERE token_hash = $1 AND expires_at >= $2 AND last_seen_at >= $3",
    )
    .bind(&token_hash)
    .bind(now)
    .bind(now - life.idle)
    .fetch_optional(db)
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    if now - row.last_seen_at >= life.touch_after() {
        sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE token_hash = $2")
            .bind(now)
            .bind(&token_hash)
            .execute(db)
            .await?;
    }
    Ok(Some(SessionUser {
        user_id: row.userid,
        name: row.name,
        avatar: row.avatar,
    }))
}

/// Ends the session behind `token` (nothing when there is none).
pub async fn delete(db: &Db, token: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
        .bind(hash(token))
        .execute(db)
        .await
        .map(drop)
}

/// Ends every session of `user_id` (a member who left): the name a session knew them
/// by, if they had one.
pub async fn delete_of(db: &Db, user_id: &str) -> Result<Option<String>, sqlx::Error> {
    let name: Option<(String,)> =
        sqlx::query_as("SELECT name FROM sessions WHERE userid = $1 LIMIT 1")
            .bind(user_id)
            .fetch_optional(db)
            .await?;
    sqlx::query("DELETE FROM sessions WHERE userid = $1")
        .bind(user_id)
        .execute(db)
        .await?;
    Ok(name.map(|n| n.0))
}

/// Whether `user_id` left the company (handover's `leavers`, read here: a member who
/// left never gets a session).
pub async fn has_left(db: &Db, user_id: &str) -> Result<bool, sqlx::Error> {
    let n: (i64,) = sqlx::query_as("SELECT COUNT(*) FROM leavers WHERE user_id = $1")
        .bind(user_id)
        .fetch_one(db)
        .await?;
    Ok(n.0 > 0)
}
