//! The schema's version: the newest migration a database has applied (sqlx's
//! `_sqlx_migrations`) against the newest this binary knows. A database a newer
//! release migrated is refused before anything touches it: an older binary would
//! read and write rows whose meaning it does not know.
//!
//! Applied migrations are append-only: `migrations/applied.sha256` lists every file
//! with its SHA-256 and a test fails when one changed or went away.

use super::{backend, migrator, Backend, Db};

/// A database migrated by a newer release than this binary.
#[derive(Debug, thiserror::Error)]
#[error(
    "it is at schema version {database}, newer than this wecom-desk's newest ({binary}): \
     this wecom-desk is older than the database; install the newer release or restore a backup"
)]
pub struct NewerDatabase {
    /// The newest migration the database has applied.
    pub database: i64,
    /// The newest migration this binary has.
    pub binary: i64,
}

/// The newest migration this binary has for `backend`.
pub fn newest_known(backend: Backend) -> i64 {
    migrator(backend)
        .iter()
        .map(|m| m.version)
        .max()
        .unwrap_or(0)
}

/// The newest migration `db` has applied; `None` for a database no release has
/// migrated yet (no `_sqlx_migrations`).
pub async fn applied_version(db: &Db) -> Result<Option<i64>, sqlx::Error> {
    let exists = match backend(db) {
        Backend::Sqlite => {
            "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'"
        }
        Backend::Postgres => {
            "SELECT COUNT(*) FROM pg_catalog.pg_tables
             WHERE schemaname = current_schema() AND tablename = '_sqlx_migrations'"
        }
    };
    let (n,): (i64,) = sqlx::query_as(exists).fetch_one(db).await?;
    if n == 0 {
        return Ok(None);
    }
    let (version,): (Option<i64>,) = sqlx::query_as("SELECT MAX(version) FROM _sqlx_migrations")
        .fetch_one(db)
        .await?;
    Ok(version)
}

/// `Err(NewerDatabase)` when `db` has a migration this binary does not know.
pub async fn refuse_newer(db: &Db) -> anyhow::Result<()> {
    let binary = newest_known(backend(db));
    match applied_version(db).await? {
        Some(database) if database > binary => Err(NewerDatabase { database, binary }.into()),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::path::Path;

    use sha2::{Digest, Sha256};

    /// `sqlite/0001_x.sql` → its SHA-256, for every migration file in the tree.
    fn files(root: &Path) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        for dir in ["sqlite", "postgres"] {
            for entry in std::fs::read_dir(root.join(dir)).expect("migrations folder") {
                let path = entry.expect("entry").path();
                if path.extension().is_some_and(|e| e == "sql") {
                    let name = path.file_name().expect("name").to_string_lossy();
                    let bytes = std::fs::read(&path).expect("read migration");
                    out.insert(format!("{dir}/{name}"), hex::encode(Sha256::digest(&bytes)));
                }
            }
        }
        out
    }

    #[test]
    fn applied_migrations_never_change_and_every_new_one_is_listed() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
        let manifest = std::fs::read_to_string(root.join("applied.sha256")).expect("manifest");
        let listed: BTreeMap<String, String> = manifest
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
            .map(|l| {
                let (sum, name) = l.split_once("  ").expect("`<sha256>  <dir>/<file>` lines");
                (name.to_string(), sum.to_string())
            })
            .collect();
        let now = files(&root);
        let mut problems = Vec::new();
        for (name, sum) in &listed {
            match now.get(name) {
                None => problems.push(format!(
                    "{name} was applied by a release and is gone: put it back \
                     (databases in the field have run it)"
                )),
                Some(s) if s != sum => problems.push(format!(
                    "{name} changed after a release applied it: undo the change and add \
                     a new migration (the next number) that makes it instead"
                )),
                Some(_) => {}
            }
        }
        for name in now.keys().filter(|n| !listed.contains_key(*n)) {
            problems.push(format!(
                "{name} is new: once it is final, list it with \
                 `cd server/migrations && sha256sum {name} >> applied.sha256`"
            ));
        }
        assert!(
            problems.is_empty(),
            "migrations are append-only (server/migrations/applied.sha256):\n  {}",
            problems.join("\n  ")
        );
    }
}
