//! Lease rows: one holder per name until the lease runs out or is let go.

use crate::db::Db;

/// Takes `name` for `holder` until `until_ms`, unless someone else holds it and their
/// lease has not run out at `now_ms`; whether it was taken.
pub async fn try_take(
    db: &Db,
    name: &str,
    holder: &str,
    now_ms: i64,
    until_ms: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "INSERT INTO leases (name, holder, until) VALUES ($1, $2, $3)
         ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, until = excluded.until
         WHERE leases.until < $4",
    )
    .bind(name)
    .bind(holder)
    .bind(until_ms)
    .bind(now_ms)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Lets go of `name` if `holder` still holds it.
pub async fn release(db: &Db, name: &str, holder: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM leases WHERE name = $1 AND holder = $2")
        .bind(name)
        .bind(holder)
        .execute(db)
        .await
        .map(drop)
}

/// Lets go of every lease whose name starts with `prefix` (on SQLite, one instance:
/// at start, what a dead process held).
pub async fn release_all(db: &Db, prefix: &str) -> Result<u64, sqlx::Error> {
    Ok(
        sqlx::query("DELETE FROM leases WHERE name LIKE $1 ESCAPE '!'")
            .bind(format!(
                "{}%",
                prefix
                    .replace('!', "!!")
                    .replace('%', "!%")
                    .replace('_', "!_")
            ))
            .execute(db)
            .await?
            .rows_affected(),
    )
}
