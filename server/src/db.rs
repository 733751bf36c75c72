//! The embedded database: SQLite through sqlx, WAL, migrations applied at start.

use std::str::FromStr;
use std::time::Duration;

use anyhow::Context;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::SqlitePool;

/// Whether the database answers (`/healthz`).
pub async fn ping(db: &SqlitePool) -> Result<(), sqlx::Error> {
    sqlx::query("SELECT 1").execute(db).await.map(drop)
}

/// Opens (creating if needed) the database at `url` and applies the migrations.
pub async fn connect(url: &str) -> anyhow::Result<SqlitePool> {
    let options = SqliteConnectOptions::from_str(url)
        .with_context(|| format!("database.url {url:?} is not a valid SQLite URL"))?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(5));
    let filename = options.get_filename();
    let in_memory = url.contains(":memory:") || filename.as_os_str().is_empty();
    if !in_memory {
        if let Some(dir) = filename.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create database folder {}", dir.display()))?;
        }
    }
    let pool = SqlitePoolOptions::new()
        // An in-memory database lives in one connection.
        .max_connections(if in_memory { 1 } else { 8 })
        .connect_with(options)
        .await
        .with_context(|| format!("cannot open database {url}"))?;
    sqlx::migrate!("./migrations")
        .run(&pool)
        .await
        .context("database migrations failed")?;
    Ok(pool)
}
