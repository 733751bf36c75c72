//! Upgrades keep every row. The oldest schema this release upgrades from (sqlite
//! 0012 / postgres 0007, see tests/fixtures/upgrade/README.md) is loaded from a dump
//! that release wrote through its API; this server starts on it and answers every
//! order, group, session, outbox and inbox row, audit entry and staff binding. A
//! server on a database a newer release migrated refuses to start and leaves it as
//! it was.

use std::collections::BTreeMap;
use std::time::Duration;

use desk_shared::admin::{AdminOrders, AuditPage, OutboxMessages};
use desk_shared::Orders;
use reqwest::Method;
use serde_json::{json, Value};
use sqlx::{AnyConnection, Connection, Executor};

use crate::helpers::*;

pub const SQLITE_DUMP: &str = include_str!("../fixtures/upgrade/sqlite-0012.sql");
const POSTGRES_DUMP: &str = include_str!("../fixtures/upgrade/postgres-0007.sql");

/// Every table of the oldest supported schema.
const OLD_TABLES: [&str; 20] = [
    "audit_log",
    "callback_inbox",
    "conversation_messages",
    "conversations",
    "customer_phones",
    "customer_syncs",
    "customers",
    "join_ways",
    "leases",
    "order_group_customers",
    "order_groups",
    "order_staff_chats",
    "orders",
    "outbox",
    "pool_groups",
    "pool_level",
    "robot_sends",
    "sessions",
    "staff_bindings",
    "wecom_credentials",
];

/// Tables a running server adds to or prunes by age by design: the outbox forgets
/// sent rows after 30 days, robot sends after minutes; leases and WeCom credentials
/// are taken and renewed by whoever runs. Every other table is compared again after
/// the server has run.
const KEPT_BY_AGE_OR_RUN: [&str; 4] = ["leases", "outbox", "robot_sends", "wecom_credentials"];

/// The cookie `userid` logged in with when the fixture was written.
pub fn fixture_cookie(dump: &str, userid: &str) -> String {
    dump.lines()
        .find_map(|l| l.strip_prefix(&format!("-- cookie {userid} ")))
        .unwrap_or_else(|| panic!("the fixture names {userid}'s cookie"))
        .to_string()
}

/// Rows of `table` the dump inserts.
fn dumped_rows(dump: &str, table: &str) -> i64 {
    let sqlite = format!("INSERT INTO \"{table}\" VALUES");
    let postgres = format!("INSERT INTO public.{table} VALUES");
    dump.lines()
        .filter(|l| l.starts_with(&sqlite) || l.starts_with(&postgres))
        .count() as i64
}

/// A connection that runs no migrations.
pub async fn raw(url: &str) -> AnyConnection {
    sqlx::any::install_default_drivers();
    let url = if url.starts_with("sqlite:") && !url.contains('?') {
        format!("{url}?mode=rwc")
    } else {
        url.to_string()
    };
    AnyConnection::connect(&url).await.expect("connect")
}

pub async fn load(url: &str, dump: &str) {
    let mut conn = raw(url).await;
    conn.execute(dump).await.expect("the dump loads");
    conn.close().await.expect("close");
}

/// Rows per table (and the migrations applied), read without migrating.
async fn counts(url: &str, tables: &[&str]) -> BTreeMap<String, i64> {
    let mut conn = raw(url).await;
    let mut out = BTreeMap::new();
    for table in tables.iter().chain(&["_sqlx_migrations"]) {
        let (n,): (i64,) = sqlx::query_as(&format!("SELECT COUNT(*) FROM {table}"))
            .fetch_one(&mut conn)
            .await
            .unwrap_or_else(|e| panic!("{table}: {e}"));
        out.insert(table.to_string(), n);
    }
    conn.close().await.expect("close");
    out
}

/// Sessions as long as the fixture's (20 years), no group re-sync (the fixture's
/// chats are not in this simulator), delivered callbacks kept for years.
pub fn upgrade_config(c: String) -> String {
    let c = c.replace(
        "[server]",
        "[server]\nsession_idle_secs = 630000000\nsession_max_secs = 630000000\n",
    );
    let c = c.replace(
        "[callback]",
        "[callback]\nmax_clock_skew_secs = 315360000\n",
    );
    format!("{c}\n[groups]\nresync_every_secs = 0\n")
}

/// Loads `dump` into the empty database at `url`, upgrades it, starts this server on
/// it and reads every kind of row back.
async fn upgrade_keeps_every_row(dir: tempfile::TempDir, url: &str, dump: &str) {
    load(url, dump).await;
    let before = counts(url, &OLD_TABLES).await;
    for table in OLD_TABLES {
        assert_eq!(before[table], dumped_rows(dump, table), "{table} loaded");
    }
    let mut conn = raw(url).await;
    let audit_rows: Vec<(i64, i64, String, String, String, String)> =
        sqlx::query_as("SELECT id, at, actor, action, subject, detail FROM audit_log ORDER BY id")
            .fetch_all(&mut conn)
            .await
            .expect("audit rows");
    let groups: Vec<(String, String, String, String)> =
        sqlx::query_as("SELECT order_id, chat_id, group_name, via FROM order_groups")
            .fetch_all(&mut conn)
            .await
            .expect("groups");
    conn.close().await.expect("close");

    // The upgrade: the migrations this server runs as it starts.
    desk_server::db::connect(url).await.expect("the upgrade");
    let after = counts(url, &OLD_TABLES).await;
    for table in OLD_TABLES {
        assert_eq!(after[table], before[table], "{table} after the upgrade");
    }
    assert!(after["_sqlx_migrations"] > before["_sqlx_migrations"]);

    let app = spawn_app_at(spawn_simulator().await, dir, url, upgrade_config).await;
    let zhangwei = fixture_cookie(dump, "zhangwei");
    let lina = fixture_cookie(dump, "lina");
    let admin = fixture_cookie(dump, "wangqiang");
    let me = app.json_as(&zhangwei, "/api/session").await;
    assert_eq!(
        me["user"]["userId"], "zhangwei",
        "the old session is still logged in: {me}"
    );

    // Orders with their groups, join way and staff chat, as the designer and the PM.
    let mine: Orders =
        serde_json::from_value(app.json_as(&zhangwei, "/api/orders").await).expect("orders");
    let ids: Vec<&str> = mine.orders.iter().map(|o| o.id.as_str()).collect();
    assert_eq!(ids.len(), 4, "zhangwei designs four: {ids:?}");
    let order = |id: &str| mine.orders.iter().find(|o| o.id == id).expect(id).clone();
    for (order_id, chat_id, group_name, via) in &groups {
        if let Some(mine) = mine.orders.iter().find(|o| &o.id == order_id) {
            let group = mine.group.as_ref().expect("the order's group");
            assert_eq!(
                (&group.chat_id, &group.group_name, &group.via),
                (chat_id, group_name, via)
            );
        }
    }
    assert_eq!(order("DD-U1").group.expect("DD-U1's group").via, "client");
    assert!(order("DD-U1")
        .group
        .expect("DD-U1's group")
        .customer_joined_at
        .is_some());
    assert_eq!(order("DD-U2").group.expect("DD-U2's group").via, "join_way");
    assert!(order("DD-U2").join_way.is_some(), "DD-U2's join QR code");
    assert!(order("DD-U3").staff_chat.is_some(), "DD-U3's staff chat");
    assert!(order("DD-U5").group.is_some());
    let theirs: Orders =
        serde_json::from_value(app.json_as(&lina, "/api/orders").await).expect("orders");
    assert_eq!(theirs.orders.len(), 5, "the PM of all five");
    let u4 = theirs
        .orders
        .iter()
        .find(|o| o.id == "DD-U4")
        .expect("DD-U4");
    assert!(u4.group.is_none() && u4.designer.user_id == "chenjing");

    // The admin console: orders, outbox, audit, pool.
    let all: AdminOrders =
        serde_json::from_value(app.json_as(&admin, "/api/admin/orders?limit=100").await)
            .expect("admin orders");
    assert_eq!((all.total, all.with_group), (5, 3));
    let failed: OutboxMessages = serde_json::from_value(
        app.json_as(&admin, "/api/admin/messages?status=failed")
            .await,
    )
    .expect("messages");
    assert_eq!((failed.counts.failed, failed.counts.queued), (1, 0));
    assert!(
        failed.messages[0].summary.starts_with("会失败的通知"),
        "{failed:?}"
    );
    let audit: AuditPage =
        serde_json::from_value(app.json_as(&admin, "/api/admin/audit?limit=100").await)
            .expect("audit");
    for (id, at, actor, action, subject, detail) in &audit_rows {
        let shown = audit.entries.iter().find(|e| e.id == *id).expect("listed");
        assert_eq!(
            (
                shown.at,
                &shown.actor,
                &shown.action,
                &shown.subject,
                &shown.detail
            ),
            (*at, actor, action, subject, detail)
        );
    }
    let pool = app.json_as(&admin, "/api/admin/pool").await;
    assert_eq!(pool.to_string().matches("wrPool000").count(), 4, "{pool}");

    // The integration API: staff bindings and a conversation's reply.
    let staff = app.v1_json("/staff").await;
    let bound: Vec<&str> = staff["staff"]
        .as_array()
        .expect("staff")
        .iter()
        .filter_map(|s| s["staffId"].as_str())
        .collect();
    assert_eq!(bound, ["s-cj", "s-li", "s-zw"], "{staff}");
    let replies: Value = app
        .v1(Method::GET, "/conversations/c-1/messages")
        .send()
        .await
        .expect("messages")
        .json()
        .await
        .expect("json");
    assert_eq!(
        replies["messages"][0]["text"], "明天上午十点到",
        "{replies}"
    );

    // Nothing went missing while the server ran and answered.
    let kept: Vec<&str> = OLD_TABLES
        .into_iter()
        .filter(|t| !KEPT_BY_AGE_OR_RUN.contains(t))
        .collect();
    let now = counts(url, &kept).await;
    for table in kept {
        assert_eq!(now[table], before[table], "{table} after the server ran");
    }
    // New rows continue the old ids (SQLite's AUTOINCREMENT, PostgreSQL's sequences).
    let r = app
        .send_as(
            Some(&admin),
            Method::PUT,
            "/api/admin/staff/s-wq",
            Some(&json!({"wecomUserId": "wangqiang"})),
        )
        .await;
    assert_eq!(r.status(), 201);
    let newest: AuditPage =
        serde_json::from_value(app.json_as(&admin, "/api/admin/audit?limit=1").await)
            .expect("audit");
    let last_old = audit_rows.last().expect("audit rows").0;
    assert_eq!(newest.entries[0].id, last_old + 1, "{newest:?}");
}

/// Migrates `url` to this binary's schema, then marks it as migrated by a release
/// with a migration 9999 this binary does not have.
async fn from_a_newer_release(url: &str) {
    desk_server::db::connect(url).await.expect("migrate");
    let mut conn = raw(url).await;
    sqlx::query(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time)
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(9999_i64)
    .bind("a release from the future")
    .bind(true)
    .bind(vec![0_u8; 48])
    .bind(0_i64)
    .execute(&mut conn)
    .await
    .expect("a newer migration");
    conn.execute("CREATE TABLE from_the_future (id BIGINT PRIMARY KEY)")
        .await
        .expect("a newer table");
    conn.close().await.expect("close");
}

/// `wecom-desk serve` on a database a newer release migrated: it exits at once, says
/// why, and the database is as it was.
async fn a_newer_database_is_refused(dir: tempfile::TempDir, url: &str) {
    from_a_newer_release(url).await;
    let before = counts(url, &["orders", "from_the_future"]).await;
    let sim = spawn_simulator().await;
    let config = dir.path().join("desk.toml");
    std::fs::write(&config, config_text(&sim.url, SECRET, url)).expect("config");
    let run = tokio::process::Command::new(env!("CARGO_BIN_EXE_wecom-desk"))
        .args(["serve", "--config"])
        .arg(&config)
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(Duration::from_secs(30), run)
        .await
        .expect("it stops at once instead of serving")
        .expect("ran");
    assert!(!out.status.success());
    let said = String::from_utf8_lossy(&out.stderr);
    let backend = desk_server::db::Backend::of_url(url).expect("backend");
    let newest = desk_server::db::schema::newest_known(backend);
    for words in [
        "错误 / error:",
        "schema version 9999",
        &format!("newest ({newest})"),
        "this wecom-desk is older than the database; install the newer release or restore a backup",
    ] {
        assert!(said.contains(words), "{words:?} in {said}");
    }
    assert!(!said.contains("s3cret-pw"), "no password: {said}");
    assert_eq!(counts(url, &["orders", "from_the_future"]).await, before);
}

mod sqlite_only {
    use super::*;

    #[tokio::test]
    async fn an_upgrade_from_sqlite_schema_0012_keeps_every_row_and_answers_it() {
        let dir = tempfile::tempdir().expect("dir");
        let url = format!("sqlite://{}/desk.db", dir.path().display());
        upgrade_keeps_every_row(dir, &url, SQLITE_DUMP).await;
    }

    #[tokio::test]
    async fn a_server_refuses_a_sqlite_database_a_newer_release_migrated() {
        let dir = tempfile::tempdir().expect("dir");
        let url = format!("sqlite://{}/desk.db", dir.path().display());
        a_newer_database_is_refused(dir, &url).await;
    }
}

mod postgres_only {
    use super::*;

    #[tokio::test]
    #[ignore = "needs PostgreSQL (make unit runs it on its second pass)"]
    async fn an_upgrade_from_postgres_schema_0007_keeps_every_row_and_answers_it() {
        require_postgres();
        let dir = tempfile::tempdir().expect("dir");
        let url = fresh_database_url(dir.path()).await;
        upgrade_keeps_every_row(dir, &url, POSTGRES_DUMP).await;
    }

    #[tokio::test]
    #[ignore = "needs PostgreSQL (make unit runs it on its second pass)"]
    async fn a_server_refuses_a_postgres_database_a_newer_release_migrated() {
        require_postgres();
        let dir = tempfile::tempdir().expect("dir");
        // A password in the URL (the test cluster trusts any), never to be shown.
        let url = fresh_database_url(dir.path()).await.replacen(
            "postgres://desk@",
            "postgres://desk:s3cret-pw@",
            1,
        );
        a_newer_database_is_refused(dir, &url).await;
    }
}
