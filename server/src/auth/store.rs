//! Sessions in the database: created at login, read on every request that needs
//! the member.

use rand::RngCore;
use sha1::{Digest, Sha1};
use sqlx::SqlitePool;

use desk_shared::SessionUser;

use crate::clock::now_secs;

/// How long a session lives on the server. The cookie itself has no Max-Age, so it
/// dies with the WeCom webview long before this.
pub const SESSION_SECS: i64 = 12 * 3600;

fn hash(token: &str) -> String {
    hex::encode(Sha1::digest(token.as_bytes()))
}

/// Creates a session for `user` and returns the token for the cookie.
pub async fn create(db: &SqlitePool, user: &SessionUser) -> Result<String, sqlx::Error> {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    let token = hex::encode(bytes);
    let now = now_secs();
    sqlx::query(
        "INSERT INTO sessions (token_hash, userid, name, avatar, created_at, expires_at)
         VALUES (?, ?, ?, ?, ?, ?)",
    )
    .bind(hash(&token))
    .bind(&user.user_id)
    .bind(&user.name)
    .bind(&user.avatar)
    .bind(now)
    .bind(now + SESSION_SECS)
    .execute(db)
    .await?;
    // Expired sessions are swept at each login; there are few.
    sqlx::query("DELETE FROM sessions WHERE expires_at < ?")
        .bind(now)
        .execute(db)
        .await?;
    Ok(token)
}

/// The member behind a session token, if the session exists and has not expired.
pub async fn find(db: &SqlitePool, token: &str) -> Result<Option<SessionUser>, sqlx::Error> {
    let row: Option<(String, String, String)> = sqlx::query_as(
        "SELECT userid, name, avatar FROM sessions WHERE token_hash = ? AND expires_at >= ?",
    )
    .bind(hash(token))
    .bind(now_secs())
    .fetch_optional(db)
    .await?;
    Ok(row.map(|(user_id, name, avatar)| SessionUser {
        user_id,
        name,
        avatar,
    }))
}
