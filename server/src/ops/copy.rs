//! `wecom-desk migrate`: a company that outgrew one instance moves its SQLite
//! database to PostgreSQL. Both are brought to this binary's schema first; the target
//! must be empty; every table is copied row for row in one transaction on the target
//! (parents before the tables that refer to them, many rows per INSERT) from one read
//! transaction on the source (a consistent snapshot even if a server still writes);
//! PostgreSQL's sequences then continue after the copied ids, and the row counts are
//! compared before the transaction commits.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{bail, Context};
use futures::TryStreamExt;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::store::{self, Cell};
use crate::db::{self, redact, schema, Backend};

/// Tables a migration fills (the quick replies' lock row): the target's rows are
/// replaced by the source's, and do not make the target count as in use.
const SEEDED_BY_MIGRATIONS: &[&str] = &["quick_reply_list"];

/// Bound values per INSERT stay well under PostgreSQL's 65,535 parameters.
const VALUES_PER_INSERT: usize = 30_000;
const ROWS_PER_INSERT: usize = 500;

/// What `migrate` copied.
#[derive(Debug)]
pub struct Copied {
    /// The source and target as they may be shown (no password).
    pub from: String,
    pub to: String,
    /// The schema version both are at.
    pub versions: (i64, i64),
    /// Each table and its rows, in the order copied.
    pub tables: Vec<(String, i64)>,
}

impl Copied {
    /// What the command prints.
    pub fn render(&self) -> String {
        let mut out = format!(
            "copied {} (schema {}) to {} (schema {}):\n",
            self.from, self.versions.0, self.to, self.versions.1
        );
        for (table, n) in &self.tables {
            out.push_str(&format!("  {table:<24} {n:>9} rows\n"));
        }
        let rows: i64 = self.tables.iter().map(|(_, n)| n).sum();
        out.push_str(&format!(
            "{} tables, {rows} rows; every table's count matches the source.\n\
             Rows written to the SQLite database after this copy are not in it: point \
             database.url at PostgreSQL before the server starts again.\n",
            self.tables.len()
        ));
        out
    }
}

/// One table to copy: its columns in the target's order and the type each is written as.
struct Plan {
    table: String,
    columns: Vec<String>,
    kinds: Vec<Kind>,
}

#[derive(Debug, Clone, Copy)]
enum Kind {
    Int,
    Bool,
    Float,
    Text,
    Bytes,
}

impl Kind {
    fn of(postgres_type: &str) -> Option<Self> {
        Some(match postgres_type {
            "bigint" | "integer" | "smallint" => Kind::Int,
            "boolean" => Kind::Bool,
            "double precision" | "real" => Kind::Float,
            "text" | "character varying" | "character" => Kind::Text,
            "bytea" => Kind::Bytes,
            _ => return None,
        })
    }
}

/// Copies the SQLite database at `from` into the empty PostgreSQL database at `to`.
pub async fn migrate(from: &str, to: &str) -> anyhow::Result<Copied> {
    if Backend::of_url(from)? != Backend::Sqlite || Backend::of_url(to)? != Backend::Postgres {
        bail!(
            "migrate copies a SQLite database into PostgreSQL: --from sqlite://… --to postgres://… \
             (got {} → {})",
            redact(from),
            redact(to)
        );
    }
    // No empty database made by a typo in the path.
    super::backup::existing_file(from)?;
    let (shown_from, shown_to) = (redact(from), redact(to));
    let source = db::connect(from).await?;
    let target = db::connect(to).await?;
    let versions = (
        schema::newest_known(Backend::Sqlite),
        schema::newest_known(Backend::Postgres),
    );
    let mut src = source.begin().await?;
    let mut dst = target.begin().await?;
    let plans = plan(&mut src, &mut dst).await?;
    refuse_in_use(&mut dst, &plans, &shown_to).await?;

    let mut tables = Vec::new();
    for plan in &plans {
        let n = copy_table(&mut src, &mut dst, plan)
            .await
            .with_context(|| format!("copying {}", plan.table))?;
        let (expected, copied) = (
            store::count(&mut src, &plan.table).await?,
            store::count(&mut dst, &plan.table).await?,
        );
        if expected != n || copied != n {
            bail!(
                "{}: {expected} rows in the source, {copied} in the target: nothing was committed",
                plan.table
            );
        }
        tables.push((plan.table.clone(), n));
    }
    continue_sequences(&mut src, &mut dst).await?;
    dst.commit()
        .await
        .with_context(|| format!("cannot commit the copy on {shown_to}"))?;
    src.rollback().await?;
    Ok(Copied {
        from: shown_from,
        to: shown_to,
        versions,
        tables,
    })
}

/// Every table of both sides, parents first; refused when the two schemas differ.
async fn plan(src: &mut AnyConnection, dst: &mut AnyConnection) -> anyhow::Result<Vec<Plan>> {
    let source: BTreeSet<String> = store::sqlite_tables(src).await?.into_iter().collect();
    let target: BTreeSet<String> = store::postgres_tables(dst).await?.into_iter().collect();
    if source != target {
        bail!(
            "the two databases have different tables (only in SQLite: {:?}; only in PostgreSQL: {:?})",
            source.difference(&target).collect::<Vec<_>>(),
            target.difference(&source).collect::<Vec<_>>()
        );
    }
    let mut parents = BTreeMap::new();
    for table in &source {
        let refs: BTreeSet<String> = store::sqlite_parents(src, table)
            .await?
            .into_iter()
            .filter(|p| p != table)
            .collect();
        parents.insert(table.clone(), refs);
    }
    let mut ordered: Vec<String> = Vec::new();
    while ordered.len() < parents.len() {
        let ready: Vec<String> = parents
            .iter()
            .filter(|(t, refs)| !ordered.contains(t) && refs.iter().all(|p| ordered.contains(p)))
            .map(|(t, _)| t.clone())
            .collect();
        if ready.is_empty() {
            bail!("the tables' foreign keys form a cycle: cannot order the copy");
        }
        ordered.extend(ready);
    }
    let mut plans = Vec::new();
    for table in ordered {
        let theirs: BTreeSet<String> = store::sqlite_columns(src, &table)
            .await?
            .into_iter()
            .collect();
        let ours = store::postgres_columns(dst, &table).await?;
        let names: BTreeSet<String> = ours.iter().map(|(c, _)| c.clone()).collect();
        if theirs != names {
            bail!(
                "{table} has other columns in SQLite ({theirs:?}) than in PostgreSQL ({names:?})"
            );
        }
        let mut kinds = Vec::new();
        for (column, ty) in &ours {
            kinds.push(Kind::of(ty).with_context(|| {
                format!("{table}.{column} is {ty} in PostgreSQL: migrate cannot copy that type")
            })?);
        }
        plans.push(Plan {
            table,
            columns: ours.into_iter().map(|(c, _)| c).collect(),
            kinds,
        });
    }
    Ok(plans)
}

/// Refuses a target that holds rows (another company's, or a server's that already
/// ran on it); empties the tables the migrations filled.
async fn refuse_in_use(dst: &mut AnyConnection, plans: &[Plan], shown: &str) -> anyhow::Result<()> {
    let mut used = Vec::new();
    for plan in plans {
        if SEEDED_BY_MIGRATIONS.contains(&plan.table.as_str()) {
            store::clear(dst, &plan.table).await?;
            continue;
        }
        let n = store::count(dst, &plan.table).await?;
        if n > 0 {
            used.push(format!("{}: {n}", plan.table));
        }
    }
    if !used.is_empty() {
        bail!(
            "{shown} is not empty ({}): migrate copies into an empty database only; create a \
             new one (CREATE DATABASE …) and give its URL",
            used.join(", ")
        );
    }
    Ok(())
}

/// Copies one table in batches; the rows read.
async fn copy_table(
    src: &mut AnyConnection,
    dst: &mut AnyConnection,
    plan: &Plan,
) -> anyhow::Result<i64> {
    let per_insert = (VALUES_PER_INSERT / plan.columns.len().max(1)).clamp(1, ROWS_PER_INSERT);
    let sql = store::select_all(&plan.table, &plan.columns);
    let mut rows = store::rows(src, &sql);
    let mut batch = Vec::with_capacity(per_insert);
    let mut n = 0i64;
    while let Some(row) = rows.try_next().await? {
        n += 1;
        batch.push(cells(&row, plan).with_context(|| format!("row {n}"))?);
        if batch.len() == per_insert {
            store::insert(dst, &plan.table, &plan.columns, std::mem::take(&mut batch)).await?;
        }
    }
    store::insert(dst, &plan.table, &plan.columns, batch).await?;
    Ok(n)
}

/// A source row's values, typed as the target's columns are.
fn cells(row: &AnyRow, plan: &Plan) -> anyhow::Result<Vec<Cell>> {
    plan.kinds
        .iter()
        .enumerate()
        .map(|(i, kind)| cell(row, i, *kind).with_context(|| format!("column {}", plan.columns[i])))
        .collect()
}

fn cell(row: &AnyRow, i: usize, kind: Kind) -> Result<Cell, sqlx::Error> {
    Ok(match kind {
        Kind::Int => Cell::Int(row.try_get(i)?),
        Kind::Bool => Cell::Bool(row.try_get::<Option<i64>, _>(i)?.map(|v| v != 0)),
        Kind::Float => Cell::Float(row.try_get(i)?),
        Kind::Text => Cell::Text(row.try_get(i)?),
        Kind::Bytes => Cell::Bytes(row.try_get(i)?),
    })
}

/// Each PostgreSQL sequence continues after the highest id copied (or SQLite's last
/// handed-out id, which `AUTOINCREMENT` never reuses, when that is higher).
async fn continue_sequences(
    src: &mut AnyConnection,
    dst: &mut AnyConnection,
) -> anyhow::Result<()> {
    for (table, column) in store::sequence_columns(dst).await? {
        let copied = store::max_of(dst, &table, &column).await?.unwrap_or(0);
        let handed_out = store::sqlite_last_id(src, &table).await?.unwrap_or(0);
        store::continue_after(dst, &table, &column, copied.max(handed_out))
            .await
            .with_context(|| format!("cannot set the sequence of {table}.{column}"))?;
    }
    Ok(())
}
