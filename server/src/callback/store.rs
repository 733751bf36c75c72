//! The callback inbox: each delivered message or event stored once.

use sqlx::SqlitePool;

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
pub async fn insert_once(db: &SqlitePool, d: &Delivery<'_>) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "INSERT INTO callback_inbox (dedup_key, received_at, msg_type, event, change_type, body)
         VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (dedup_key) DO NOTHING",
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
