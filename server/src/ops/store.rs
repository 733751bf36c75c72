//! The SQL of `backup`, `restore` and `migrate`: SQLite files (`VACUUM INTO`, checks,
//! the write lock) and the catalogue and rows of both databases, named by what the
//! catalogue says (never by input).

use futures::stream::BoxStream;
use sqlx::any::AnyRow;
use sqlx::sqlite::SqliteConnection;
use sqlx::{AnyConnection, Connection};

/// Table and column names as SQL writes them: double-quoted.
pub fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

// ---- SQLite files ----

/// A consistent copy of the whole database (one read transaction) into a new file.
pub async fn vacuum_into(conn: &mut SqliteConnection, path: &str) -> Result<(), sqlx::Error> {
    sqlx::query("VACUUM INTO $1")
        .bind(path)
        .execute(conn)
        .await
        .map(drop)
}

/// `PRAGMA quick_check`: `ok`, or what is wrong.
pub async fn quick_check(conn: &mut SqliteConnection) -> Result<String, sqlx::Error> {
    sqlx::query_scalar("PRAGMA quick_check")
        .fetch_one(conn)
        .await
}

/// The application's tables in a SQLite file (sqlx's and SQLite's own left out).
pub async fn file_tables(conn: &mut SqliteConnection) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table'
         AND name NOT LIKE 'sqlite!_%' ESCAPE '!' AND name <> '_sqlx_migrations' ORDER BY name",
    )
    .fetch_all(conn)
    .await
}

/// The newest migration a SQLite file has applied; `None` without `_sqlx_migrations`.
pub async fn file_version(conn: &mut SqliteConnection) -> Result<Option<i64>, sqlx::Error> {
    let (n,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'",
    )
    .fetch_one(&mut *conn)
    .await?;
    if n == 0 {
        return Ok(None);
    }
    sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations")
        .fetch_one(conn)
        .await
}

/// Rows in `table` of a SQLite file (a name from `file_tables`).
pub async fn file_count(conn: &mut SqliteConnection, table: &str) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {}", quoted(table)))
        .fetch_one(conn)
        .await
}

/// Takes the database's write lock and keeps it (the connection is in exclusive
/// locking mode): fails with SQLITE_BUSY while another process has the file open
/// (WAL mode: every open connection holds a shared lock).
pub async fn lock_exclusively(conn: &mut SqliteConnection) -> Result<(), sqlx::Error> {
    sqlx::query("BEGIN EXCLUSIVE").execute(conn).await.map(drop)
}

/// Lets go of the lock `lock_exclusively` took.
pub async fn unlock(mut conn: SqliteConnection) -> Result<(), sqlx::Error> {
    sqlx::query("ROLLBACK").execute(&mut conn).await?;
    conn.close().await
}

// ---- Both databases, through `Any` (migrate) ----

/// The application's tables on the SQLite side.
pub async fn sqlite_tables(conn: &mut AnyConnection) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table'
         AND name NOT LIKE 'sqlite!_%' ESCAPE '!' AND name <> '_sqlx_migrations' ORDER BY name",
    )
    .fetch_all(conn)
    .await
}

/// The application's tables on the PostgreSQL side (its current schema).
pub async fn postgres_tables(conn: &mut AnyConnection) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT tablename::text FROM pg_catalog.pg_tables
         WHERE schemaname = current_schema() AND tablename <> '_sqlx_migrations'
         ORDER BY tablename",
    )
    .fetch_all(conn)
    .await
}

/// The tables `table` refers to (its foreign keys), on the SQLite side.
pub async fn sqlite_parents(
    conn: &mut AnyConnection,
    table: &str,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT DISTINCT \"table\" FROM pragma_foreign_key_list($1)")
        .bind(table)
        .fetch_all(conn)
        .await
}

/// `table`'s columns in order, on the SQLite side.
pub async fn sqlite_columns(
    conn: &mut AnyConnection,
    table: &str,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT name FROM pragma_table_info($1) ORDER BY cid")
        .bind(table)
        .fetch_all(conn)
        .await
}

/// `table`'s columns in order with their types (`bigint`, `text`, …), on the
/// PostgreSQL side.
pub async fn postgres_columns(
    conn: &mut AnyConnection,
    table: &str,
) -> Result<Vec<(String, String)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT column_name::text, data_type::text FROM information_schema.columns
         WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position",
    )
    .bind(table)
    .fetch_all(conn)
    .await
}

/// Rows in `table` (a name from the catalogue).
pub async fn count(conn: &mut AnyConnection, table: &str) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {}", quoted(table)))
        .fetch_one(conn)
        .await
}

/// Empties `table` (rows a migration wrote on the target, replaced by the source's).
pub async fn clear(conn: &mut AnyConnection, table: &str) -> Result<(), sqlx::Error> {
    sqlx::query(&format!("DELETE FROM {}", quoted(table)))
        .execute(conn)
        .await
        .map(drop)
}

/// The query `rows` runs: every row of `table`, `columns` in order.
pub fn select_all(table: &str, columns: &[String]) -> String {
    let list: Vec<String> = columns.iter().map(|c| quoted(c)).collect();
    format!("SELECT {} FROM {}", list.join(", "), quoted(table))
}

/// The rows `select_all` names, as they come.
pub fn rows<'c>(
    conn: &'c mut AnyConnection,
    sql: &'c str,
) -> BoxStream<'c, Result<AnyRow, sqlx::Error>> {
    sqlx::query(sql).fetch(conn)
}

/// One value to write, typed as its target column is.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Int(Option<i64>),
    Bool(Option<bool>),
    Float(Option<f64>),
    Text(Option<String>),
    Bytes(Option<Vec<u8>>),
}

/// Inserts `rows` (each with a value per column of `columns`) in one statement.
pub async fn insert(
    conn: &mut AnyConnection,
    table: &str,
    columns: &[String],
    rows: Vec<Vec<Cell>>,
) -> Result<(), sqlx::Error> {
    if rows.is_empty() {
        return Ok(());
    }
    let names: Vec<String> = columns.iter().map(|c| quoted(c)).collect();
    let mut n = 0;
    let tuples: Vec<String> = rows
        .iter()
        .map(|row| {
            let marks: Vec<String> = row
                .iter()
                .map(|_| {
                    n += 1;
                    format!("${n}")
                })
                .collect();
            format!("({})", marks.join(", "))
        })
        .collect();
    let sql = format!(
        "INSERT INTO {} ({}) VALUES {}",
        quoted(table),
        names.join(", "),
        tuples.join(", ")
    );
    let mut query = sqlx::query(&sql);
    for cell in rows.into_iter().flatten() {
        query = match cell {
            Cell::Int(v) => query.bind(v),
            Cell::Bool(v) => query.bind(v),
            Cell::Float(v) => query.bind(v),
            Cell::Text(v) => query.bind(v),
            Cell::Bytes(v) => query.bind(v),
        };
    }
    query.execute(conn).await.map(drop)
}

/// The (table, column) pairs PostgreSQL numbers from a sequence (`BIGSERIAL`,
/// identity columns).
pub async fn sequence_columns(
    conn: &mut AnyConnection,
) -> Result<Vec<(String, String)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT table_name::text, column_name::text FROM information_schema.columns
         WHERE table_schema = current_schema() AND table_name <> '_sqlx_migrations'
           AND (is_identity = 'YES' OR column_default LIKE 'nextval(%')
         ORDER BY table_name, column_name",
    )
    .fetch_all(conn)
    .await
}

/// The highest value in `table`.`column`.
pub async fn max_of(
    conn: &mut AnyConnection,
    table: &str,
    column: &str,
) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar(&format!(
        "SELECT MAX({}) FROM {}",
        quoted(column),
        quoted(table)
    ))
    .fetch_one(conn)
    .await
}

/// The last id SQLite handed out for `table` (`AUTOINCREMENT`: never reused, even
/// after the row with it was deleted).
pub async fn sqlite_last_id(
    conn: &mut AnyConnection,
    table: &str,
) -> Result<Option<i64>, sqlx::Error> {
    let (n,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_sequence'",
    )
    .fetch_one(&mut *conn)
    .await?;
    if n == 0 {
        return Ok(None);
    }
    sqlx::query_scalar("SELECT seq FROM sqlite_sequence WHERE name = $1")
        .bind(table)
        .fetch_optional(conn)
        .await
}

/// Makes `table`.`column`'s sequence hand out `last + 1` next.
pub async fn continue_after(
    conn: &mut AnyConnection,
    table: &str,
    column: &str,
    last: i64,
) -> Result<(), sqlx::Error> {
    // setval(seq, 1, false): the next is 1 (an empty table); (seq, n, true): n + 1.
    let (value, called) = if last > 0 { (last, true) } else { (1, false) };
    sqlx::query("SELECT setval(pg_get_serial_sequence($1, $2), $3, $4)")
        .bind(quoted(table))
        .bind(column)
        .bind(value)
        .bind(called)
        .execute(conn)
        .await
        .map(drop)
}
