//! `wecom-desk backup` and `wecom-desk restore`, run as the binary. On SQLite a backup
//! taken while the server writes is a consistent copy (the orders in it are exactly
//! the first ones written), and a server started on its restore answers the API as
//! the original did; a restore refuses what it must not put in place. On PostgreSQL
//! both print the command to run, never the password.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};
use sqlx::{Connection, SqliteConnection};

use crate::helpers::*;

/// Runs `wecom-desk ARGS`: (exit code, stdout, stderr).
pub async fn wecom_desk(args: &[&str]) -> (i32, String, String) {
    let run = tokio::process::Command::new(env!("CARGO_BIN_EXE_wecom-desk"))
        .args(args)
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(Duration::from_secs(60), run)
        .await
        .expect("done within 60 s")
        .expect("ran");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A config file in `dir` for a server on `db`.
/// `wecom-desk backup --config config --to to`.
async fn back_up(config: &str, to: &Path) -> (i32, String, String) {
    wecom_desk(&[
        "backup",
        "--config",
        config,
        "--to",
        &to.display().to_string(),
    ])
    .await
}

fn config_file(dir: &Path, sim: &Sim, db: &str) -> String {
    let path = dir.join(format!("desk-{:x}.toml", rand::random::<u32>()));
    std::fs::write(&path, config_text(&sim.url, SECRET, db)).expect("config");
    path.display().to_string()
}

pub fn sqlite_url(file: &Path) -> String {
    format!("sqlite://{}", file.display())
}

async fn open(file: &Path) -> SqliteConnection {
    SqliteConnection::connect(&format!("{}?mode=ro", sqlite_url(file)))
        .await
        .expect("open")
}

async fn order_ids(file: &Path) -> Vec<String> {
    let mut conn = open(file).await;
    sqlx::query_scalar("SELECT id FROM orders ORDER BY id")
        .fetch_all(&mut conn)
        .await
        .expect("orders")
}

/// `GET path` as `cookie`, every page (`limit=100&offset=…`): the items under `key`.
async fn all_pages(app: &TestApp, cookie: &str, path: &str, key: &str) -> Vec<Value> {
    let mut out = Vec::new();
    loop {
        let sep = if path.contains('?') { '&' } else { '?' };
        let r = app
            .get_as(
                cookie,
                &format!("{path}{sep}limit=100&offset={}", out.len()),
            )
            .await;
        assert_eq!(r.status(), 200, "{path}");
        let v: Value = r.json().await.expect("json");
        let page = v[key].as_array().expect(key).clone();
        if page.is_empty() {
            return out;
        }
        out.extend(page);
    }
}

/// The whole audit log as the console pages it.
async fn audit(app: &TestApp, cookie: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut before = String::new();
    loop {
        let v: Value = app
            .get_as(cookie, &format!("/api/admin/audit?limit=100{before}"))
            .await
            .json()
            .await
            .expect("json");
        out.extend(v["entries"].as_array().expect("entries").iter().cloned());
        match v["nextBefore"].as_i64() {
            Some(id) => before = format!("&before={id}"),
            None => return out,
        }
    }
}

/// What the admin, a designer and the business system see.
async fn answers(
    app: &TestApp,
    admin: &str,
    designer: &str,
) -> (Vec<Value>, Vec<Value>, Value, Value) {
    let orders = all_pages(app, admin, "/api/admin/orders", "orders").await;
    let log = audit(app, admin).await;
    let mine: Value = app
        .get_as(designer, "/api/orders")
        .await
        .json()
        .await
        .expect("json");
    let staff = app.v1_json("/staff").await;
    (orders, log, mine, staff)
}

/// Pushes orders BK-0000, BK-0001, … one after another (and moves staff id s-1
/// between two members, an audited change, after each) until `stop`; how many.
fn keep_writing(app: &TestApp, stop: Arc<AtomicBool>) -> tokio::task::JoinHandle<usize> {
    let (http, address) = (app.http.clone(), app.address.clone());
    tokio::spawn(async move {
        let mut n = 0;
        while !stop.load(Ordering::SeqCst) {
            let title = format!("BK-{n:04} 新房装修");
            let order = OrderFields {
                title: &title,
                ..Default::default()
            }
            .json();
            let r = http
                .put(format!("{address}/api/v1/orders/BK-{n:04}"))
                .bearer_auth(API_KEY)
                .json(&order)
                .send()
                .await
                .expect("push");
            assert!(r.status().is_success(), "{}", r.status());
            let member = if n % 2 == 0 { "zhangwei" } else { "lina" };
            let r = http
                .put(format!("{address}/api/v1/staff/s-1"))
                .bearer_auth(API_KEY)
                .json(&json!({ "wecomUserId": member }))
                .send()
                .await
                .expect("bind");
            assert!(r.status().is_success(), "{}", r.status());
            n += 1;
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        n
    })
}

mod sqlite_only {
    use super::*;

    #[tokio::test]
    async fn a_backup_taken_while_orders_are_written_restores_to_a_server_that_answers_the_same() {
        let sim = spawn_simulator().await;
        let dir = tempfile::tempdir().expect("dir");
        let work = tempfile::tempdir().expect("dir");
        let db = dir.path().join("desk.db");
        let app = spawn_app_at(sim.clone(), dir, &sqlite_url(&db), |c| c).await;
        let admin = app.login("wangqiang").await;
        let zhangwei = app.login("zhangwei").await;
        let config = config_file(work.path(), &sim, &sqlite_url(&db));

        // A backup in the middle of the writes.
        let stop = Arc::new(AtomicBool::new(false));
        let writer = keep_writing(&app, stop.clone());
        eventually("20 orders written", 30, || async {
            (order_ids(&db).await.len() >= 20).then_some(())
        })
        .await;
        let during = work.path().join("backups/during.db");
        let (code, out, err) = back_up(&config, &during).await;
        assert_eq!(code, 0, "{out}{err}");
        assert!(out.contains("backup of") && out.contains("orders"), "{out}");
        let at_backup = order_ids(&db).await.len();
        eventually("20 more orders written", 30, || async {
            (order_ids(&db).await.len() >= at_backup + 20).then_some(())
        })
        .await;
        stop.store(true, Ordering::SeqCst);
        let written = writer.await.expect("writer");

        let mut conn = open(&during).await;
        let check: String = sqlx::query_scalar("PRAGMA integrity_check")
            .fetch_one(&mut conn)
            .await
            .expect("check");
        assert_eq!(check, "ok");
        let saved = order_ids(&during).await;
        assert!(
            saved.len() >= 20 && saved.len() < written,
            "{} of {written}",
            saved.len()
        );
        let prefix: Vec<String> = (0..saved.len()).map(|i| format!("BK-{i:04}")).collect();
        assert_eq!(
            saved, prefix,
            "a consistent copy holds the first orders written"
        );

        // Restored to a new file, a server on it answers as the original did then.
        let restored = work.path().join("restored/desk.db");
        let config_b = config_file(work.path(), &sim, &sqlite_url(&restored));
        let (code, out, err) = wecom_desk(&[
            "restore",
            "--config",
            &config_b,
            "--from",
            &during.display().to_string(),
        ])
        .await;
        assert_eq!(code, 0, "{out}{err}");
        assert!(out.contains("restored"), "{out}");
        let b = spawn_app_at(
            sim.clone(),
            tempfile::tempdir().expect("dir"),
            &sqlite_url(&restored),
            |c| c,
        )
        .await;
        let (orders_a, audit_a, mine_a, _) = answers(&app, &admin, &zhangwei).await;
        let (orders_b, audit_b, mine_b, _) = answers(&b, &admin, &zhangwei).await;
        let kept = |list: &[Value]| -> Vec<Value> {
            list.iter()
                .filter(|o| saved.iter().any(|id| o["id"] == id.as_str()))
                .cloned()
                .collect()
        };
        assert_eq!(orders_b, kept(&orders_a), "the admin's order list");
        assert_eq!(
            mine_b["orders"].as_array().cloned().unwrap_or_default(),
            kept(mine_a["orders"].as_array().expect("orders"))
        );
        let newest_b = audit_b
            .first()
            .and_then(|e| e["id"].as_i64())
            .expect("audited");
        let older: Vec<Value> = audit_a
            .iter()
            .filter(|e| e["id"].as_i64().is_some_and(|id| id <= newest_b))
            .cloned()
            .collect();
        assert_eq!(audit_b, older, "the audit log up to the backup");

        // Taken when the writes stopped, a backup answers exactly the same.
        let after = work.path().join("backups/after.db");
        let (code, out, err) = back_up(&config, &after).await;
        assert_eq!(code, 0, "{out}{err}");
        // Server b runs on its file: a restore over it is refused and changes nothing.
        let (code, out, err) = wecom_desk(&[
            "restore",
            "--config",
            &config_b,
            "--from",
            &after.display().to_string(),
            "--force",
        ])
        .await;
        assert_eq!(code, 1, "{out}{err}");
        assert!(
            err.contains("is in use") && err.contains("stop the server"),
            "{err}"
        );
        assert_eq!(order_ids(&restored).await, saved);
        let again = work.path().join("again/desk.db");
        let config_c = config_file(work.path(), &sim, &sqlite_url(&again));
        let (code, out, err) = wecom_desk(&[
            "restore",
            "--config",
            &config_c,
            "--from",
            &after.display().to_string(),
        ])
        .await;
        assert_eq!(code, 0, "{out}{err}");
        let c = spawn_app_at(
            sim,
            tempfile::tempdir().expect("dir"),
            &sqlite_url(&again),
            |c| c,
        )
        .await;
        assert_eq!(
            answers(&c, &admin, &zhangwei).await,
            answers(&app, &admin, &zhangwei).await
        );
        // And a backup never overwrites a file.
        let (code, _, err) = back_up(&config, &after).await;
        assert_eq!(code, 1);
        assert!(
            err.contains("错误 / error:") && err.contains("exists"),
            "{err}"
        );
    }

    #[tokio::test]
    async fn a_restore_refuses_a_file_that_is_not_a_backup_of_this_release_or_older() {
        let sim = spawn_simulator().await;
        let work = tempfile::tempdir().expect("dir");
        let db = work.path().join("live/desk.db");
        desk_server::db::connect(&sqlite_url(&db))
            .await
            .expect("a database")
            .close()
            .await;
        let config = config_file(work.path(), &sim, &sqlite_url(&db));
        let backup = work.path().join("desk-backup.db");
        let (code, out, err) = back_up(&config, &backup).await;
        assert_eq!(code, 0, "{out}{err}");
        let restore = |from: PathBuf, force: bool| {
            let config = config.clone();
            async move {
                let from = from.display().to_string();
                let mut args = vec!["restore", "--config", &config, "--from", &from];
                if force {
                    args.push("--force");
                }
                wecom_desk(&args).await
            }
        };
        // A row written after the backup: there as long as nothing replaced the file.
        let marked = || async {
            let mut conn = open(&db).await;
            let n: i64 =
                sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'marker'")
                    .fetch_one(&mut conn)
                    .await
                    .expect("count");
            conn.close().await.expect("close");
            n == 1
        };
        let mut conn = SqliteConnection::connect(&sqlite_url(&db))
            .await
            .expect("live");
        sqlx::query(
            "INSERT INTO audit_log (at, actor, action, subject) VALUES (0, 'test', 'marker', 'live')",
        )
        .execute(&mut conn)
        .await
        .expect("marker");
        conn.close().await.expect("close");

        // The database is there: replacing it needs --force.
        let (code, _, err) = restore(backup.clone(), false).await;
        assert_eq!(code, 1);
        assert!(err.contains("exists") && err.contains("--force"), "{err}");
        // Not a SQLite file; SQLite but not ours; ours from a newer release.
        let text = work.path().join("notes.txt");
        std::fs::write(&text, "not a database").expect("write");
        let (code, _, err) = restore(text, true).await;
        assert_eq!(code, 1);
        assert!(err.contains("is not a SQLite database"), "{err}");
        let other = work.path().join("other.db");
        let mut conn = SqliteConnection::connect(&format!("{}?mode=rwc", sqlite_url(&other)))
            .await
            .expect("other");
        sqlx::query("CREATE TABLE t (x)")
            .execute(&mut conn)
            .await
            .expect("table");
        conn.close().await.expect("close");
        let (code, _, err) = restore(other, true).await;
        assert_eq!(code, 1);
        assert!(err.contains("not a wecom-desk database"), "{err}");
        let newer = work.path().join("newer.db");
        std::fs::copy(&backup, &newer).expect("copy");
        let mut conn = SqliteConnection::connect(&sqlite_url(&newer))
            .await
            .expect("newer");
        sqlx::query(
            "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time)
             VALUES (9999, 'from the future', 1, x'00', 0)",
        )
        .execute(&mut conn)
        .await
        .expect("a newer migration");
        conn.close().await.expect("close");
        let (code, _, err) = restore(newer, true).await;
        assert_eq!(code, 1);
        assert!(
            err.contains("this wecom-desk is older than the database"),
            "{err}"
        );
        // A process has the database open.
        let holder = desk_server::db::connect(&sqlite_url(&db))
            .await
            .expect("open");
        desk_server::db::ping(&holder).await.expect("in use");
        let (code, _, err) = restore(backup.clone(), true).await;
        assert_eq!(code, 1);
        assert!(err.contains("is in use"), "{err}");
        holder.close().await;
        assert!(marked().await, "the database is as it was");

        // Nobody has it open: --force puts the backup in place.
        let (code, out, err) = restore(backup, true).await;
        assert_eq!(code, 0, "{out}{err}");
        assert!(
            out.contains("restored") && out.contains("schema version"),
            "{out}"
        );
        assert!(!marked().await, "the backup replaced it");
        desk_server::db::connect(&sqlite_url(&db))
            .await
            .expect("the restored database opens")
            .close()
            .await;

        // A database gone while its log is still there (moved aside while a server may
        // still have it open): refused, and nothing is put in place. (Another file than
        // the one above: SQLite removes a log when the last connection to it closes,
        // which may come a moment after `close` returns.)
        let gone = work.path().join("gone/desk.db");
        std::fs::create_dir_all(gone.parent().expect("folder")).expect("folder");
        let gone_config = config_file(work.path(), &sim, &sqlite_url(&gone));
        let wal = PathBuf::from(format!("{}-wal", gone.display()));
        std::fs::write(&wal, b"").expect("a left-over log");
        let from = work.path().join("desk-backup.db").display().to_string();
        let args = ["restore", "--config", &gone_config, "--from", &from];
        let (code, _, err) = wecom_desk(&args).await;
        assert_eq!(code, 1);
        assert!(
            err.contains("-wal/-shm") && err.contains("Stop the server"),
            "{err}"
        );
        assert!(!gone.exists(), "nothing put in place");
        // Without it, the restore goes ahead and names the file it wrote.
        std::fs::remove_file(&wal).expect("the log gone");
        let (code, out, err) = wecom_desk(&args).await;
        assert_eq!(code, 0, "{out}{err}");
        let shown = std::path::absolute(&gone)
            .expect("absolute")
            .display()
            .to_string();
        assert!(out.contains(&shown), "the absolute path is named: {out}");
    }
}

#[tokio::test]
async fn on_postgres_backup_and_restore_print_the_command_to_run_without_the_password() {
    let sim = spawn_simulator().await;
    let work = tempfile::tempdir().expect("dir");
    let config = config_file(
        work.path(),
        &sim,
        "postgres://desk:s3cret-pw@db.internal:5432/desk?sslmode=require",
    );
    let dump = work.path().join("desk.dump").display().to_string();
    let shown = "'postgres://desk@db.internal:5432/desk?sslmode=require'";

    let (code, out, err) = wecom_desk(&["backup", "--config", &config, "--to", &dump]).await;
    assert_eq!(code, 3, "{out}{err}");
    assert!(
        out.contains(&format!("pg_dump --format=custom --file={dump} {shown}")),
        "{out}"
    );
    assert!(!Path::new(&dump).exists(), "nothing written");
    let (code, out2, err2) = wecom_desk(&["restore", "--config", &config, "--from", &dump]).await;
    assert_eq!(code, 3, "{out2}{err2}");
    assert!(
        out2.contains(&format!(
            "pg_restore --clean --if-exists --no-owner --dbname={shown} {dump}"
        )),
        "{out2}"
    );
    for said in [out, err, out2, err2] {
        assert!(!said.contains("s3cret-pw"), "{said}");
    }
}
