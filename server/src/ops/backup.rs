//! `wecom-desk backup` and `wecom-desk restore`. SQLite: `VACUUM INTO` writes a
//! consistent copy in one read transaction, so the server keeps serving (and writing)
//! meanwhile; a restore checks the backup, refuses to replace a database a process
//! has open, and puts a fresh copy of the backup in place. PostgreSQL: nothing is
//! done here; the `pg_dump` / `pg_restore` command to run is printed, without the
//! password.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use anyhow::{bail, Context};
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection, SqliteLockingMode};
use sqlx::{ConnectOptions, Connection};

use super::{store, Outcome, KEY_TABLES};
use crate::db::{redact, schema, Backend};

const PASSWORD_HINT: &str = "The password is not shown: the command asks for it, or reads \
     PGPASSWORD or ~/.pgpass.";

/// Backs the database at `url` up to the new file `to` (SQLite), or says how to
/// (PostgreSQL).
pub async fn backup(url: &str, to: &Path) -> anyhow::Result<Outcome> {
    if Backend::of_url(url)? == Backend::Postgres {
        return Ok(Outcome::RunThis(format!(
            "PostgreSQL is backed up with its own tool; nothing was written. Run:\n\n  \
             pg_dump --format=custom --file={} {}\n\n{PASSWORD_HINT}\n",
            shell_quoted(&to.to_string_lossy()),
            shell_quoted(&tool_url(url)),
        )));
    }
    let database = existing_file(url)?;
    if to.exists() {
        bail!(
            "{} exists: a backup never overwrites a file; give a new path",
            to.display()
        );
    }
    let to_text = to.to_str().context("the backup's path must be UTF-8")?;
    if let Some(dir) = to.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create folder {}", dir.display()))?;
    }
    let mut conn = open_read_only(&database).await?;
    store::vacuum_into(&mut conn, to_text)
        .await
        .with_context(|| format!("cannot write the backup {}", to.display()))?;
    conn.close().await?;
    Ok(Outcome::Done(format!(
        "backup of {} written to {}\n{}restore it with: wecom-desk restore --config FILE --from {}\n",
        database.display(),
        to.display(),
        describe(to).await?,
        shell_quoted(to_text),
    )))
}

/// Puts the backup `from` in place of the database at `url` (SQLite; `force` to
/// replace an existing file), or says how to (PostgreSQL).
pub async fn restore(url: &str, from: &Path, force: bool) -> anyhow::Result<Outcome> {
    if Backend::of_url(url)? == Backend::Postgres {
        return Ok(Outcome::RunThis(format!(
            "PostgreSQL is restored with its own tool; nothing was changed. Stop the servers, \
             then run:\n\n  pg_restore --clean --if-exists --no-owner --dbname={} {}\n\n{PASSWORD_HINT}\n",
            shell_quoted(&tool_url(url)),
            shell_quoted(&from.to_string_lossy()),
        )));
    }
    let target = sqlite_file(url)?;
    let version = check_backup(from).await?;
    if target.exists() && same_file(&target, from) {
        bail!("{} is the configured database itself", from.display());
    }
    // A database moved aside while a server still has it open leaves its log behind:
    // that server would go on writing to the old file while new connections read this.
    if !target.exists() && side_files(&target).iter().any(|f| f.exists()) {
        bail!(
            "{} is gone but its -wal/-shm files are there: a server may still have it open. \
             Stop the server (if none runs, remove those files), then run again",
            target.display()
        );
    }
    let lock = if target.exists() {
        if !force {
            bail!(
                "{} exists: restore replaces it with the backup. Keep a copy of it if you may \
                 need it (wecom-desk backup), then run again with --force",
                target.display()
            );
        }
        lock_unused(&target).await?
    } else {
        None
    };
    if let Some(dir) = target.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create folder {}", dir.display()))?;
    }
    // A fresh copy beside the target, then one rename: the target is never half written.
    let mut staged = target.clone().into_os_string();
    staged.push(".restoring");
    let staged = PathBuf::from(staged);
    remove_if_there(&staged)?;
    let staged_text = staged
        .to_str()
        .context("the database's path must be UTF-8")?;
    let mut backup = open_read_only(from).await?;
    store::vacuum_into(&mut backup, staged_text)
        .await
        .with_context(|| format!("cannot copy {} to {}", from.display(), staged.display()))?;
    backup.close().await?;
    same_owner_as_folder(&staged)?;
    std::fs::rename(&staged, &target)
        .with_context(|| format!("cannot move {} into place", staged.display()))?;
    if let Some(lock) = lock {
        store::unlock(lock).await?;
    }
    // The replaced database's write-ahead log must never be read as the new one's.
    for side in side_files(&target) {
        remove_if_there(&side)?;
    }
    Ok(Outcome::Done(format!(
        "restored {} (schema version {version}) to {}\n{}start the server: it applies this \
         release's newer migrations, if any\n",
        from.display(),
        std::path::absolute(&target)
            .unwrap_or_else(|_| target.clone())
            .display(),
        describe(&target).await?,
    )))
}

/// A database's write-ahead log and shared-memory files.
fn side_files(target: &Path) -> [PathBuf; 2] {
    ["-wal", "-shm"].map(|suffix| {
        let mut side = target.as_os_str().to_owned();
        side.push(suffix);
        PathBuf::from(side)
    })
}

/// Gives a restored file its folder's owner, so the service (the data directory's
/// owner) can write it when root ran the restore. Only root may: for anyone else the
/// file is already theirs.
fn same_owner_as_folder(file: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::MetadataExt;
    let folder = match file.parent().filter(|d| !d.as_os_str().is_empty()) {
        Some(d) => d.to_path_buf(),
        None => PathBuf::from("."),
    };
    let owner =
        std::fs::metadata(&folder).with_context(|| format!("cannot read {}", folder.display()))?;
    let mine =
        std::fs::metadata(file).with_context(|| format!("cannot read {}", file.display()))?;
    if (mine.uid(), mine.gid()) == (owner.uid(), owner.gid()) {
        return Ok(());
    }
    match std::os::unix::fs::chown(file, Some(owner.uid()), Some(owner.gid())) {
        Ok(()) => Ok(()),
        // Not root: the file stays the restorer's, who can write it.
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => Ok(()),
        Err(e) => {
            Err(e).with_context(|| format!("cannot give {} its folder's owner", file.display()))
        }
    }
}

/// The file a SQLite URL names (not an in-memory database).
pub(super) fn sqlite_file(url: &str) -> anyhow::Result<PathBuf> {
    let options = SqliteConnectOptions::from_str(url)
        .with_context(|| format!("{} is not a SQLite URL", redact(url)))?;
    let file = options.get_filename().to_path_buf();
    if url.contains(":memory:") || url.contains("mode=memory") || file.as_os_str().is_empty() {
        bail!("{url} is an in-memory database: there is nothing on disk to copy");
    }
    Ok(file)
}

/// As `sqlite_file`, for a database that must be there already.
pub(super) fn existing_file(url: &str) -> anyhow::Result<PathBuf> {
    let file = sqlite_file(url)?;
    if !file.is_file() {
        bail!("there is no database at {} ({url})", file.display());
    }
    Ok(file)
}

async fn open_read_only(file: &Path) -> anyhow::Result<SqliteConnection> {
    SqliteConnectOptions::new()
        .filename(file)
        .read_only(true)
        .busy_timeout(Duration::from_secs(5))
        .connect()
        .await
        .with_context(|| format!("cannot open {}", file.display()))
}

/// A backup worth restoring: a SQLite file that passes its quick check, migrated by a
/// release no newer than this one. Its schema version.
async fn check_backup(from: &Path) -> anyhow::Result<i64> {
    let mut file = std::fs::File::open(from)
        .with_context(|| format!("cannot read the backup {}", from.display()))?;
    let mut head = [0u8; 16];
    if std::io::Read::read_exact(&mut file, &mut head).is_err() || &head != b"SQLite format 3\0" {
        bail!("{} is not a SQLite database", from.display());
    }
    let mut conn = open_read_only(from).await?;
    let check = store::quick_check(&mut conn).await?;
    if check != "ok" {
        bail!(
            "{} is damaged ({check}): choose another backup",
            from.display()
        );
    }
    let Some(version) = store::file_version(&mut conn).await? else {
        bail!(
            "{} is not a wecom-desk database (no _sqlx_migrations)",
            from.display()
        );
    };
    conn.close().await?;
    let binary = schema::newest_known(Backend::Sqlite);
    if version > binary {
        return Err(schema::NewerDatabase {
            database: version,
            binary,
        })
        .with_context(|| format!("the backup {}", from.display()));
    }
    Ok(version)
}

/// The target's write lock, held until the backup is in place; refused while another
/// process (a running server) has the file open. `None` for a file SQLite cannot
/// read (a damaged database is what a restore replaces).
async fn lock_unused(target: &Path) -> anyhow::Result<Option<SqliteConnection>> {
    let conn = SqliteConnectOptions::new()
        .filename(target)
        .locking_mode(SqliteLockingMode::Exclusive)
        .busy_timeout(Duration::ZERO)
        .connect()
        .await;
    let mut conn = match conn {
        Ok(conn) => conn,
        Err(e) if busy(&e) => return Err(in_use(target)),
        Err(_) => return Ok(None),
    };
    match store::lock_exclusively(&mut conn).await {
        Ok(()) => Ok(Some(conn)),
        Err(e) if busy(&e) => Err(in_use(target)),
        Err(_) => Ok(None),
    }
}

fn busy(e: &sqlx::Error) -> bool {
    // SQLITE_BUSY (5) and SQLITE_LOCKED (6), with their extended codes.
    e.as_database_error()
        .and_then(|d| d.code())
        .and_then(|c| c.parse::<i32>().ok())
        .is_some_and(|c| matches!(c & 0xff, 5 | 6))
}

fn in_use(target: &Path) -> anyhow::Error {
    anyhow::anyhow!(
        "{} is in use (is wecom-desk serve running on it?): stop the server, then restore",
        target.display()
    )
}

/// Its schema version and the rows of the key tables, one line each.
async fn describe(file: &Path) -> anyhow::Result<String> {
    let mut conn = open_read_only(file).await?;
    let version = store::file_version(&mut conn).await?.unwrap_or(0);
    let size = std::fs::metadata(file).map(|m| m.len()).unwrap_or(0);
    let mut out = format!("  {size} bytes, schema version {version}\n");
    let tables = store::file_tables(&mut conn).await?;
    for table in KEY_TABLES.iter().filter(|t| tables.iter().any(|n| n == *t)) {
        let n = store::file_count(&mut conn, table).await?;
        out.push_str(&format!("  {table:<16} {n:>9} rows\n"));
    }
    conn.close().await?;
    Ok(out)
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

fn remove_if_there(path: &Path) -> anyhow::Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(e).with_context(|| format!("cannot remove {}", path.display()))
        }
        _ => Ok(()),
    }
}

/// A PostgreSQL URL as `pg_dump` takes it, without its password (in the user part or
/// the query); the redacted URL when it cannot be parsed.
pub fn tool_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.has_host() => {
            let _ = u.set_password(None);
            let kept: Vec<(String, String)> = u
                .query_pairs()
                .filter(|(k, _)| k != "password")
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect();
            if kept.is_empty() {
                u.set_query(None);
            } else {
                u.query_pairs_mut().clear().extend_pairs(kept);
            }
            u.to_string()
        }
        _ => redact(url),
    }
}

/// `s` as one shell word.
fn shell_quoted(s: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "@%+=:,./_-".contains(c);
    if !s.is_empty() && s.chars().all(plain) {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_commands_printed_for_postgres_never_carry_the_password() {
        assert_eq!(
            tool_url("postgres://desk:s3cret@db.internal:5432/desk?sslmode=require&password=x"),
            "postgres://desk@db.internal:5432/desk?sslmode=require"
        );
        assert_eq!(
            tool_url("postgresql://desk@db/desk"),
            "postgresql://desk@db/desk"
        );
        assert!(!tool_url("postgres://desk:ab/cd#e?f@db/desk").contains("ab/cd"));
        assert_eq!(
            shell_quoted("/var/backups/desk.dump"),
            "/var/backups/desk.dump"
        );
        assert_eq!(shell_quoted("it's here"), "'it'\\''s here'");
    }
}
