//! Several instances on one database behave as one; races that a single instance
//! also meets. The three-instance tests need PostgreSQL: they are `#[ignore]`d and
//! `make unit` runs them on its PostgreSQL pass (`--include-ignored`); on SQLite one
//! instance is the design.

use std::collections::HashSet;

use serde_json::{json, Value};

use crate::helpers::*;

fn order(designer: &str, phone: &str) -> Value {
    OrderFields {
        designer,
        phone,
        ..Default::default()
    }
    .json()
}

#[tokio::test]
async fn of_concurrent_first_writes_of_one_order_exactly_one_is_new() {
    let apps = if on_postgres() {
        spawn_instances(&spawn_simulator().await, 3).await
    } else {
        vec![spawn_app().await]
    };
    let body = order("zhangwei", "13900000000");
    let writes = (0..20).map(|i| apps[i % apps.len()].put_order("DD-7", &body));
    let statuses: Vec<u16> = futures::future::join_all(writes)
        .await
        .iter()
        .map(|r| r.status().as_u16())
        .collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| [200, 201].contains(s)),
        "{statuses:?}"
    );
}

#[tokio::test]
async fn claiming_work_rows_never_hands_one_row_to_two_workers() {
    use desk_server::callback::store::{
        claim_pending, extend_claims, insert_once, mark_processed_many, Delivery,
    };

    // The store alone: a running server's own worker would take rows too.
    let dir = tempfile::tempdir().expect("dir");
    let db = desk_server::db::connect(&fresh_database_url(dir.path()).await)
        .await
        .expect("db");
    for i in 0..60 {
        let key = format!("msg:{i}");
        let d = Delivery {
            dedup_key: &key,
            msg_type: "text",
            event: "",
            change_type: "",
            body: "<xml/>",
        };
        assert!(insert_once(&db, &d).await.expect("insert"));
        assert!(!insert_once(&db, &d).await.expect("again"), "insert-once");
    }
    let now = desk_server::clock::now_millis();
    let workers = (0..6).map(|w| {
        let db = db.clone();
        tokio::spawn(async move {
            let mut mine = Vec::new();
            loop {
                let batch = claim_pending(&db, &format!("w{w}"), 7, now, now + 60_000, false)
                    .await
                    .expect("claim");
                if batch.is_empty() {
                    return mine;
                }
                for row in batch {
                    mine.push(row.dedup_key);
                }
            }
        })
    });
    let mut all = Vec::new();
    for w in futures::future::join_all(workers).await {
        all.extend(w.expect("worker"));
    }
    let distinct: HashSet<_> = all.iter().collect();
    assert_eq!(all.len(), 60, "every row claimed once");
    assert_eq!(distinct.len(), 60, "no row claimed twice");

    // A lease that ran out lets another worker take the row; a processed row is done;
    // only the worker holding a claim can mark it done.
    let holder = claim_holder(&db, "msg:0").await;
    let key = ["msg:0".to_string()];
    assert_eq!(
        mark_processed_many(&db, "someone-else", &key)
            .await
            .expect("not theirs"),
        0
    );
    assert_eq!(
        mark_processed_many(&db, &holder, &key).await.expect("done"),
        1
    );
    // A batch still in hand is claimed again by its worker (only by it): it is not
    // handed out when the first claim would have run out.
    let later = now + 120_000;
    let holder = claim_holder(&db, "msg:1").await;
    let key = ["msg:1".to_string()];
    assert_eq!(
        extend_claims(&db, "someone-else", &key, later + 60_000)
            .await
            .expect("not theirs"),
        0
    );
    assert_eq!(
        extend_claims(&db, &holder, &key, later + 60_000)
            .await
            .expect("extended"),
        1
    );
    let again = claim_pending(&db, "late", 100, later, later + 60_000, false)
        .await
        .expect("claim");
    assert_eq!(again.len(), 58);
    assert!(again.iter().all(|r| r.attempts == 2));
    assert!(again.iter().all(|r| r.dedup_key != "msg:1"));
}

async fn claim_holder(db: &desk_server::db::Db, key: &str) -> String {
    let (holder,): (String,) =
        sqlx::query_as("SELECT claimed_by FROM callback_inbox WHERE dedup_key = $1")
            .bind(key)
            .fetch_one(db)
            .await
            .expect("claimed row");
    holder
}

#[tokio::test]
async fn processed_callbacks_past_keeping_are_forgotten_and_pending_ones_never() {
    use desk_server::callback::store::{forget_processed, insert_once, Delivery};

    let dir = tempfile::tempdir().expect("dir");
    let db = desk_server::db::connect(&fresh_database_url(dir.path()).await)
        .await
        .expect("db");
    for key in ["msg:old-done", "msg:old-pending", "msg:new-done"] {
        let d = Delivery {
            dedup_key: key,
            msg_type: "text",
            event: "",
            change_type: "",
            body: "<xml/>",
        };
        insert_once(&db, &d).await.expect("insert");
    }
    let now = desk_server::clock::now_secs();
    let three_days_ago = now - 3 * 86_400;
    for (key, received, processed) in [
        ("msg:old-done", three_days_ago, Some(three_days_ago)),
        ("msg:old-pending", three_days_ago, None),
        ("msg:new-done", now, Some(now)),
    ] {
        sqlx::query(
            "UPDATE callback_inbox SET received_at = $1, processed_at = $2 WHERE dedup_key = $3",
        )
        .bind(received)
        .bind(processed)
        .bind(key)
        .execute(&db)
        .await
        .expect("age");
    }
    assert_eq!(
        forget_processed(&db, now - 86_400).await.expect("forget"),
        1
    );
    let left: Vec<String> =
        sqlx::query_scalar("SELECT dedup_key FROM callback_inbox ORDER BY dedup_key")
            .fetch_all(&db)
            .await
            .expect("keys");
    assert_eq!(left, ["msg:new-done", "msg:old-pending"]);
}

#[tokio::test]
async fn app_messages_still_being_sent_stay_with_their_worker() {
    use desk_server::outbox::app_store::extend_claims;
    use desk_server::outbox::store::{claim, insert, Kind, NewRow, Take};

    let dir = tempfile::tempdir().expect("dir");
    let db = desk_server::db::connect(&fresh_database_url(dir.path()).await)
        .await
        .expect("db");
    let now = desk_server::clock::now_millis();
    let mut tx = db.begin().await.expect("tx");
    for i in 0..3 {
        let id = format!("ack_{i}");
        let row = NewRow {
            id: &id,
            kind: Kind::AppMessage,
            target: "lina",
            payload: "{}",
            conversation_id: None,
            staff_id: None,
        };
        insert(&mut tx, &row, now).await.expect("queued");
    }
    tx.commit().await.expect("commit");
    let rows = claim(&db, "w1", Take::AppTarget("lina"), 500, now, now + 60_000)
        .await
        .expect("claim");
    assert_eq!(rows.len(), 3);
    // Past the first claim, a WeCom still answering slowly: the rows in hand (not the
    // one sent) are claimed again by their worker, and only by it.
    let later = now + 120_000;
    let in_hand = [rows[1].id.as_str(), rows[2].id.as_str()];
    extend_claims(&db, "someone-else", &in_hand, later + 60_000)
        .await
        .expect("not theirs");
    let taken = claim(
        &db,
        "w2",
        Take::AppTarget("lina"),
        500,
        now + 61_000,
        now + 100_000,
    )
    .await
    .expect("claim");
    assert_eq!(taken.len(), 3, "a claim run out is anybody's");
    extend_claims(&db, "w2", &in_hand, later + 60_000)
        .await
        .expect("extended");
    let again = claim(
        &db,
        "w3",
        Take::AppTarget("lina"),
        500,
        later,
        later + 60_000,
    )
    .await
    .expect("claim");
    let ids: Vec<&str> = again.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, [rows[0].id.as_str()], "only the row not kept is taken");
}

mod sqlite_only {
    #[tokio::test]
    #[ignore = "SQLite only: its WAL (make unit runs it on the SQLite pass)"]
    async fn the_wal_is_copied_back_while_the_database_is_open() {
        let dir = tempfile::tempdir().expect("dir");
        let file = dir.path().join("wal.db");
        let db = desk_server::db::connect(&format!("sqlite://{}", file.display()))
            .await
            .expect("db");
        let size = || std::fs::metadata(&file).expect("db file").len();
        let before = size();
        sqlx::query("CREATE TABLE filler (n INTEGER, pad TEXT)")
            .execute(&db)
            .await
            .expect("table");
        for n in 0..200 {
            sqlx::query("INSERT INTO filler (n, pad) VALUES ($1, $2)")
                .bind(n)
                .bind("x".repeat(2000))
                .execute(&db)
                .await
                .expect("insert");
        }
        // No commit copies the WAL back (a checkpoint inside a commit made the answers of
        // that moment wait); the checkpointer does, with the database open.
        let copied = async {
            while size() < before + 200 * 2000 {
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
        };
        tokio::time::timeout(std::time::Duration::from_secs(10), copied)
            .await
            .expect("the rows reach the database file within 10 s");
        db.close().await;
    }
}

/// Tests of several instances: PostgreSQL only.
mod postgres_only {
    use super::*;

    #[tokio::test]
    #[ignore = "needs PostgreSQL: several instances (make unit runs it on its second pass)"]
    async fn three_instances_fetch_the_token_and_each_ticket_exactly_once() {
        require_postgres();
        let sim = spawn_simulator().await;
        // Slow WeCom, so the 300 cold requests really pile up on all three.
        sim.set_faults(json!({"latencyMs": 300})).await;
        let apps = spawn_instances(&sim, 3).await;
        let requests = (0..300).map(|i| apps[i % 3].post_signatures("https://desk.example.com/"));
        for r in futures::future::join_all(requests).await {
            assert_eq!(r.status(), 200);
        }
        assert_eq!(sim.calls("gettoken").await, 1, "one token for all");
        assert_eq!(sim.calls("get_jsapi_ticket").await, 1, "one corp ticket");
        assert_eq!(sim.calls("ticket/get").await, 1, "one app ticket");

        // Tokens revoked: each instance meets 40014, and the token is refetched once.
        sim.set_faults(json!({"latencyMs": 50})).await;
        sim.revoke_tokens().await;
        let logins = apps
            .iter()
            .flat_map(|a| [a.login("zhangwei"), a.login("lina")]);
        futures::future::join_all(logins).await;
        assert_eq!(sim.calls("gettoken").await, 2, "one refetch for all three");
    }

    #[tokio::test]
    #[ignore = "needs PostgreSQL: several instances (make unit runs it on its second pass)"]
    async fn three_instances_refresh_a_members_customers_once_and_share_sessions() {
        require_postgres();
        let sim = spawn_simulator_with(demo_fixture_with(
            "[[generate]]\nuserid = \"zhangwei\"\ncount = 250\n",
        ))
        .await;
        sim.set_faults(json!({"latencyMs": 100})).await;
        let apps = spawn_instances(&sim, 3).await;
        assert_eq!(
            apps[0]
                .put_order("DD-1", &order("zhangwei", "13900000000"))
                .await
                .status(),
            201
        );
        // Logged in on one instance, the session works on every one (it is a row).
        let session = apps[0].login("zhangwei").await;
        let pages_before = sim.calls("externalcontact/batch/get_by_user").await;
        let matching = (0..30).map(|i| apps[i % 3].get_as(&session, "/api/orders/DD-1/candidates"));
        for r in futures::future::join_all(matching).await {
            assert_eq!(r.status(), 200);
            let c: desk_shared::Candidates = r.json().await.expect("json");
            assert_eq!(c.candidates.len(), 1);
        }
        // 26 demo customers + 250 generated: three pages, fetched by one instance.
        assert_eq!(
            sim.calls("externalcontact/batch/get_by_user").await - pages_before,
            3
        );
        // The order is the same everywhere.
        for app in &apps {
            let o: desk_shared::Order = app
                .get_as(&session, "/api/orders/DD-1")
                .await
                .json()
                .await
                .expect("order");
            assert_eq!(o.customer_phone, "13900000000");
        }
    }
}
