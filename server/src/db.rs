//! The database: SQLite (the embedded default, one instance) or PostgreSQL (several
//! instances), through sqlx's `Any` driver so every capability's `store.rs` runs the
//! same SQL on both (`$1` placeholders, `ON CONFLICT`, `RETURNING`). Where the two
//! truly differ (claiming work rows) a store asks `backend()` once.

use std::str::FromStr;
use std::time::Duration;

use anyhow::Context;
use sqlx::any::{AnyPoolOptions, AnyTypeInfoKind};
use sqlx::migrate::Migrator;
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{Any, Decode, Executor, Type};

pub mod schema;

/// A connection pool to either backend.
pub type Db = sqlx::AnyPool;
/// A transaction on it.
pub type Tx<'a> = sqlx::Transaction<'a, Any>;

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

/// The backend of an open pool.
pub fn backend(db: &Db) -> Backend {
    match db.connect_options().database_url.scheme() {
        "sqlite" => Backend::Sqlite,
        _ => Backend::Postgres,
    }
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
        .run(&pool)
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
    if !in_memory {
        if let Some(dir) = filename.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create database folder {}", dir.display()))?;
        }
        if !url.contains('?') {
            url.push_str("?mode=rwc");
        }
    }
    let mut pool = AnyPoolOptions::new()
        // An in-memory database lives in one connection, which must never be closed.
        .max_connections(if in_memory { 1 } else { 8 })
        // A local file does not go away under a pooled connection: no ping per use
        // (measured: 160 -> 128 µs of CPU per one-row insert).
        .test_before_acquire(false)
        .after_connect(|conn, _| {
            Box::pin(async move {
                conn.execute(
                    "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                     PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;",
                )
                .await
                .map(drop)
            })
        });
    if in_memory {
        pool = pool.idle_timeout(None).max_lifetime(None);
    }
    Ok(pool.connect(&url).await?)
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
