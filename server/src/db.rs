//! The database: SQLite (the embedded default, one instance) or PostgreSQL (several
//! instances), through sqlx's `Any` driver so every capability's `store.rs` runs the
//! same SQL on both (`$1` placeholders, `ON CONFLICT`, `RETURNING`). Where the two
//! truly differ (claiming work rows) a store asks `backend()` once.
//!
//! **One writer per process on SQLite.** SQLite lets one connection write at a time;
//! a second writer waits in SQLite's busy handler, which sleeps 1 to 100 ms at a time,
//! so a request that only inserts a row could wait 100 ms while the callback worker
//! writes. `Db` therefore keeps two pools on SQLite: reads (`SELECT`) on several
//! connections (WAL: readers never wait for the writer, nor it for them; `query_only`,
//! so a write sent there fails loudly) and every write and every transaction on one
//! connection, which writers take in turn in the process, woken the moment it is
//! free. Which pool a statement goes to is decided by the statement itself, so every
//! store runs unchanged. On PostgreSQL (row locks, several instances) both are one pool.

use std::str::FromStr;
use std::time::Duration;

use anyhow::Context;
use futures::future::BoxFuture;
use futures::stream::BoxStream;
use sqlx::any::{AnyPoolOptions, AnyQueryResult, AnyRow, AnyTypeInfo, AnyTypeInfoKind};
use sqlx::migrate::Migrator;
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{Any, AnyPool, Decode, Describe, Either, Execute, Executor, Type};

pub mod schema;

/// The database of either backend: the pool reads go to and the pool writes go to
/// (one connection on SQLite; the same pool on PostgreSQL). Cheap to clone. Used as
/// an sqlx executor (`.execute(&db)`, `.fetch_all(&db)`), and `begin()` starts a
/// transaction on the writer.
#[derive(Debug, Clone)]
pub struct Db {
    read: AnyPool,
    write: AnyPool,
    /// SQLite in a file: the connection that checkpoints the WAL (`checkpoints`).
    checkpointer: Option<AnyPool>,
    backend: Backend,
}

/// A transaction on it.
pub type Tx<'a> = sqlx::Transaction<'a, Any>;

impl Db {
    /// Both pools one (PostgreSQL, or an in-memory SQLite database, which lives in one
    /// connection).
    fn single(pool: AnyPool, backend: Backend) -> Self {
        Self {
            read: pool.clone(),
            write: pool,
            checkpointer: None,
            backend,
        }
    }

    /// A transaction, on the writer (so on SQLite the process's one writing connection:
    /// keep it short, never across a call to WeCom).
    pub async fn begin(&self) -> Result<Tx<'static>, sqlx::Error> {
        self.write.begin().await
    }

    /// The pool every write goes to (migrations, tools that need a connection).
    pub fn writer(&self) -> &AnyPool {
        &self.write
    }

    /// Closes both pools.
    pub async fn close(&self) {
        self.read.close().await;
        self.write.close().await;
        if let Some(pool) = &self.checkpointer {
            pool.close().await;
        }
    }

    /// The pool `sql` runs on: a `SELECT` on the readers, anything else on the writer.
    fn pool_for(&self, sql: &str) -> &AnyPool {
        match is_read(sql) {
            true => &self.read,
            false => &self.write,
        }
    }
}

/// Whether `sql` only reads: it starts with `SELECT` (a `WITH` may write, and goes to
/// the writer).
fn is_read(sql: &str) -> bool {
    sql.trim_start()
        .get(..6)
        .is_some_and(|w| w.eq_ignore_ascii_case("select"))
}

impl<'c> Executor<'c> for &'c Db {
    type Database = Any;

    fn fetch_many<'e, 'q: 'e, E>(
        self,
        query: E,
    ) -> BoxStream<'e, Result<Either<AnyQueryResult, AnyRow>, sqlx::Error>>
    where
        'c: 'e,
        E: 'q + Execute<'q, Any>,
    {
        self.pool_for(query.sql()).fetch_many(query)
    }

    fn fetch_optional<'e, 'q: 'e, E>(
        self,
        query: E,
    ) -> BoxFuture<'e, Result<Option<AnyRow>, sqlx::Error>>
    where
        'c: 'e,
        E: 'q + Execute<'q, Any>,
    {
        self.pool_for(query.sql()).fetch_optional(query)
    }

    fn prepare_with<'e, 'q: 'e>(
        self,
        sql: &'q str,
        parameters: &'e [AnyTypeInfo],
    ) -> BoxFuture<'e, Result<<Any as sqlx::Database>::Statement<'q>, sqlx::Error>>
    where
        'c: 'e,
    {
        self.pool_for(sql).prepare_with(sql, parameters)
    }

    fn describe<'e, 'q: 'e>(self, sql: &'q str) -> BoxFuture<'e, Result<Describe<Any>, sqlx::Error>>
    where
        'c: 'e,
    {
        self.pool_for(sql).describe(sql)
    }
}

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/postgres");

/// Which database a URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn of_url(url: &str) -> anyhow::Result<Self> {
        if url.starts_with("sqlite:") {
            Ok(Self::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Self::Postgres)
        } else {
            anyhow::bail!(
                "database.url must start with sqlite: or postgres:// (got {})",
                redact(url)
            )
        }
    }
}

/// The backend of an open database.
pub fn backend(db: &Db) -> Backend {
    db.backend
}

/// A database URL as it may be shown: no user or password, no query.
pub fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(u) if u.has_host() => format!(
            "{}://{}{}{}",
            u.scheme(),
            u.host_str().unwrap_or_default(),
            u.port().map(|p| format!(":{p}")).unwrap_or_default(),
            u.path()
        ),
        // Unparseable (a password with `/` or `#` in it, say): the scheme alone.
        _ => match url.split_once(':') {
            Some((scheme, _)) if scheme.starts_with("sqlite") => {
                url.split('?').next().unwrap_or_default().to_string()
            }
            Some((scheme, _)) => format!("{scheme}://…"),
            None => "…".to_string(),
        },
    }
}

/// `$first, $first+1, …`: `n` numbered parameters (a list bound one by one).
pub fn placeholders(first: usize, n: usize) -> String {
    (first..first + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Whether the database answers (`/healthz`).
pub async fn ping(db: &Db) -> Result<(), sqlx::Error> {
    sqlx::query("SELECT 1").execute(db).await.map(drop)
}

/// The migrations this binary applies on `backend`.
pub fn migrator(backend: Backend) -> &'static Migrator {
    match backend {
        Backend::Sqlite => &SQLITE_MIGRATIONS,
        Backend::Postgres => &POSTGRES_MIGRATIONS,
    }
}

/// Opens the database at `url` (creating a SQLite file and its folder if needed) and
/// applies the migrations of its backend; refuses a database a newer release wrote
/// (`schema::NewerDatabase`) before touching it.
pub async fn connect(url: &str) -> anyhow::Result<Db> {
    let pool = open(url).await?;
    let shown = redact(url);
    schema::refuse_newer(&pool)
        .await
        .with_context(|| format!("database {shown}"))?;
    migrator(backend(&pool))
        .run(pool.writer())
        .await
        .with_context(|| format!("database migrations failed on {shown}"))?;
    Ok(pool)
}

/// Opens the database at `url` as `connect` does, without migrating it.
async fn open(url: &str) -> anyhow::Result<Db> {
    sqlx::any::install_default_drivers();
    let shown = redact(url);
    let pool = match Backend::of_url(url)? {
        Backend::Sqlite => connect_sqlite(url).await,
        Backend::Postgres => AnyPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(10))
            .connect(url)
            .await
            .map(|pool| Db::single(pool, Backend::Postgres))
            .map_err(anyhow::Error::from),
    }
    .with_context(|| format!("cannot open database {shown}"))?;
    Ok(pool)
}

async fn connect_sqlite(url: &str) -> anyhow::Result<Db> {
    let options = SqliteConnectOptions::from_str(url)
        .with_context(|| format!("database.url {url:?} is not a valid SQLite URL"))?;
    let filename = options.get_filename();
    let in_memory = url.contains(":memory:") || filename.as_os_str().is_empty();
    let mut url = url.to_string();
    if in_memory {
        // An in-memory database lives in one connection, which must never be closed.
        let pool = sqlite_pool(1, "")
            .idle_timeout(None)
            .max_lifetime(None)
            .connect(&url)
            .await?;
        return Ok(Db::single(pool, Backend::Sqlite));
    }
    if let Some(dir) = filename.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create database folder {}", dir.display()))?;
    }
    if !url.contains('?') {
        url.push_str("?mode=rwc");
    }
    // The writer first: it creates the file and puts it in WAL mode. Its commits never
    // copy the WAL back (see `checkpoints`); a WAL that grew under a burst is cut back
    // when it starts over.
    let write = sqlite_pool(
        1,
        "PRAGMA wal_autocheckpoint = 0; PRAGMA journal_size_limit = 67108864;",
    )
    .connect(&url)
    .await?;
    // Readers refuse to write: a write sent there fails loudly.
    let read = sqlite_pool(8, "PRAGMA query_only = ON;")
        .connect(&url)
        .await?;
    // A RESTART waiting for a long reader holds writes back: not for long.
    let checkpointer = sqlite_pool(1, "PRAGMA busy_timeout = 20;")
        .connect(&url)
        .await?;
    tokio::spawn(checkpoints(checkpointer.clone()));
    Ok(Db {
        read,
        write,
        checkpointer: Some(checkpointer),
        backend: Backend::Sqlite,
    })
}

/// Every connection's settings.
const PRAGMAS: &str = "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
     PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;";

/// How often the WAL is copied back into the database file.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(100);
/// Past this many pages (64 MB) in the WAL, it is made to start over.
const RESTART_PAGES: i64 = 16_384;

/// Copies the WAL back into the database file every `CHECKPOINT_EVERY`, on a
/// connection of its own, until the pool closes.
///
/// By default SQLite does it inside the commit that takes the WAL past 1,000 pages,
/// two `fsync`s included, and every writer waits for that commit: under a thousand
/// callbacks a second that was every fraction of a second, and the p99 of their
/// acknowledgements (measured: 5.7–6.5 ms with it, 1.3–2 ms without). A PASSIVE
/// checkpoint takes no writer's lock, so the one writer goes on meanwhile. Under
/// steady writes some reader always holds a recent snapshot and the WAL would never
/// start over, so past `RESTART_PAGES` a RESTART checkpoint holds new writes back
/// until the readers of the old WAL are done (a millisecond or so, once per 64 MB; at
/// most 20 ms, then it is tried again at the next turn).
async fn checkpoints(pool: AnyPool) {
    loop {
        tokio::time::sleep(CHECKPOINT_EVERY).await;
        if pool.is_closed() {
            return;
        }
        let copied: Result<(i64, i64, i64), _> = sqlx::query_as("PRAGMA wal_checkpoint(PASSIVE)")
            .fetch_one(&pool)
            .await;
        let restart = match copied {
            Ok((_, pages, _)) => pages >= RESTART_PAGES,
            Err(_) if pool.is_closed() => return,
            Err(e) => {
                tracing::warn!(error = %e, "WAL checkpoint failed; trying again");
                false
            }
        };
        if restart {
            if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(RESTART)")
                .execute(&pool)
                .await
            {
                tracing::warn!(error = %e, "the WAL could not start over; trying again");
            }
        }
    }
}

/// A SQLite pool of `max` connections, each in WAL mode, then set by its own `pragmas`.
fn sqlite_pool(max: u32, pragmas: &'static str) -> AnyPoolOptions {
    AnyPoolOptions::new()
        .max_connections(max)
        // Writers wait here, in turn, for the one writing connection.
        .acquire_timeout(Duration::from_secs(30))
        // A local file does not go away under a pooled connection: no ping per use
        // (measured: 160 -> 128 µs of CPU per one-row insert).
        .test_before_acquire(false)
        .after_connect(move |conn, _| {
            Box::pin(async move {
                conn.execute(PRAGMAS).await?;
                if !pragmas.is_empty() {
                    conn.execute(pragmas).await?;
                }
                Ok(())
            })
        })
}

/// A boolean as either backend gives it: PostgreSQL's `BOOLEAN`, SQLite's 0/1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DbBool(pub bool);

impl Type<Any> for DbBool {
    fn type_info() -> sqlx::any::AnyTypeInfo {
        <bool as Type<Any>>::type_info()
    }

    fn compatible(ty: &sqlx::any::AnyTypeInfo) -> bool {
        ty.kind() == AnyTypeInfoKind::Bool || ty.kind().is_integer()
    }
}

impl<'r> Decode<'r, Any> for DbBool {
    fn decode(v: sqlx::any::AnyValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
        use sqlx::ValueRef;
        if v.type_info().kind() == AnyTypeInfoKind::Bool {
            <bool as Decode<Any>>::decode(v).map(DbBool)
        } else {
            <i64 as Decode<Any>>::decode(v).map(|n| DbBool(n != 0))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_name_their_backend_and_never_show_a_password() {
        assert_eq!(
            Backend::of_url("sqlite://data/desk.db").ok(),
            Some(Backend::Sqlite)
        );
        assert_eq!(
            Backend::of_url("sqlite::memory:").ok(),
            Some(Backend::Sqlite)
        );
        assert_eq!(
            Backend::of_url("postgres://u:pw@db:5432/desk").ok(),
            Some(Backend::Postgres)
        );
        assert!(Backend::of_url("mysql://x").is_err());
        let shown = redact("postgres://desk:s3cret@db.internal:5432/desk?sslmode=require");
        assert_eq!(shown, "postgres://db.internal:5432/desk");
        let err = Backend::of_url("mysql://u:s3cret@h/x").expect_err("refused");
        assert!(!err.to_string().contains("s3cret"));
        // A password the URL parser cannot read still never shows.
        assert_eq!(redact("postgres://desk:ab/cd#e?f@db/desk"), "postgres://…");
        assert_eq!(
            redact("sqlite://data/desk.db?mode=rwc"),
            "sqlite://data/desk.db"
        );
    }
}
