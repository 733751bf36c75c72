//! WeCom credentials shared by every instance: one row per credential.

use crate::db::Db;

/// A credential as stored: `value` is empty once invalidated.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StoredCredential {
    pub value: String,
    /// Unix milliseconds from which it should be refetched.
    pub refresh_at: i64,
    pub expires_at: i64,
}

pub async fn read(db: &Db, name: &str) -> Result<Option<StoredCredential>, sqlx::Error> {
    sqlx::query_as("SELECT value, refresh_at, expires_at FROM wecom_credentials WHERE name = $1")
        .bind(name)
        .fetch_optional(db)
        .await
}

pub async fn write(db: &Db, name: &str, c: &StoredCredential) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO wecom_credentials (name, value, refresh_at, expires_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (name) DO UPDATE SET value = excluded.value,
           refresh_at = excluded.refresh_at, expires_at = excluded.expires_at",
    )
    .bind(name)
    .bind(&c.value)
    .bind(c.refresh_at)
    .bind(c.expires_at)
    .execute(db)
    .await
    .map(drop)
}

/// Empties the credential if it is still `stale` (a newer one is kept).
pub async fn clear_if(db: &Db, name: &str, stale: &str) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE wecom_credentials SET value = '' WHERE name = $1 AND value = $2")
        .bind(name)
        .bind(stale)
        .execute(db)
        .await
        .map(drop)
}
