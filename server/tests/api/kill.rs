//! Nothing lost: `wecom-desk serve` (the real binary) killed with SIGKILL in the middle
//! of a flood of members' texts to the app. Every text it answered 200 before it died
//! is processed once the server is back on the same database, and none twice: one
//! inbox row each, processed and not failed, and one reply in the conversation, one
//! acknowledgement to the member and one `staff.replied` event each. Runs on SQLite
//! and (in `make unit`'s second pass) on PostgreSQL.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use desk_server::db::Db;
use desk_server::wecom::crypto::CallbackCrypto;
use parking_lot::Mutex;
use reqwest::Method;
use serde_json::json;

use crate::helpers::*;

const ROBOT_KEY: &str = "demo-robot-key-0001";
/// The conversation every text answers (`#c-kill …`).
const CONVERSATION: &str = "c-kill";
/// The demo corp's members still in the company, each bound to a staff id.
const MEMBERS: [&str; 5] = ["zhangwei", "lina", "wangqiang", "chenjing", "zhoumin"];
/// Concurrent senders (WeCom's parallel deliveries).
const SENDERS: usize = 8;
/// Texts answered 200 before the kill, at least: somewhere in this range, so runs
/// catch the worker at different points.
const KILL_AFTER: std::ops::Range<usize> = 600..1200;

/// The config: the demo robot (for the notification the texts answer), the events
/// endpoint (each routed text queues a `staff.replied` event), fast outbox retries.
fn kill_config(sim_url: &str, events: &str) -> impl FnOnce(String) -> String {
    let robot = format!("{sim_url}/cgi-bin/webhook/send?key={ROBOT_KEY}");
    let events = events.to_string();
    move |c: String| {
        let c = c.replace(
            "[integration]",
            &format!(
                "[integration]\nevents_url = \"{events}\"\nevents_secret = \"{EVENTS_SECRET}\"\n"
            ),
        );
        format!(
            "{c}\n[robot]\nwebhook_urls = {{ store = \"{robot}\" }}\n[outbox]\nretry_base_ms = 50\nretry_max_ms = 400\n"
        )
    }
}

/// The text with `msg_id`: from one of the members, to the conversation.
fn text_of(msg_id: u64) -> String {
    let from = MEMBERS[(msg_id as usize) % MEMBERS.len()];
    text_message(from, &format!("#{CONVERSATION} 第{msg_id}条"), msg_id)
}

/// `plain` posted as WeCom does (encrypted, signed, now): the status, or the
/// transport error (no answer).
async fn deliver(
    http: &reqwest::Client,
    address: &str,
    crypto: &CallbackCrypto,
    plain: &str,
) -> Result<u16, reqwest::Error> {
    let encrypt = crypto.encrypt(plain);
    let ts = desk_server::clock::now_secs().to_string();
    let nonce = format!("{:x}", rand::random::<u32>());
    let sig = crypto.sign(&ts, &nonce, &encrypt);
    let r = http
        .post(format!(
            "{address}/wecom/callback?msg_signature={sig}&timestamp={ts}&nonce={nonce}"
        ))
        .body(format!(
            "<xml><ToUserName><![CDATA[{CORP_ID}]]></ToUserName><Encrypt><![CDATA[{encrypt}]]></Encrypt><AgentID><![CDATA[{AGENT_ID}]]></AgentID></xml>"
        ))
        .send()
        .await?;
    Ok(r.status().as_u16())
}

/// One row of `callback_inbox`, as the test reads it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
struct InboxRow {
    dedup_key: String,
    attempts: i64,
    claimed_by: Option<String>,
    processed_at: Option<i64>,
    failed_at: Option<i64>,
    last_error: Option<String>,
}

async fn inbox(db: &Db) -> BTreeMap<String, InboxRow> {
    let rows: Vec<InboxRow> = sqlx::query_as(
        "SELECT dedup_key, attempts, claimed_by, processed_at, failed_at, last_error
         FROM callback_inbox",
    )
    .fetch_all(db)
    .await
    .expect("callback_inbox");
    let n = rows.len();
    let by_key: BTreeMap<String, InboxRow> =
        rows.into_iter().map(|r| (r.dedup_key.clone(), r)).collect();
    assert_eq!(
        by_key.len(),
        n,
        "a dedup key has two rows in callback_inbox"
    );
    by_key
}

async fn count(db: &Db, sql: &str) -> i64 {
    sqlx::query_scalar(sql)
        .fetch_one(db)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// Panics unless `got` holds each of `expected`'s values as many times as it does,
/// naming a few that are missing or extra.
fn assert_same<'a>(
    what: &str,
    got: impl Iterator<Item = &'a str>,
    expected: impl Iterator<Item = &'a str>,
) {
    let mut diff: BTreeMap<&str, i64> = BTreeMap::new();
    for v in got {
        *diff.entry(v).or_default() += 1;
    }
    for v in expected {
        *diff.entry(v).or_default() -= 1;
    }
    diff.retain(|_, n| *n != 0);
    let extra: Vec<_> = diff.iter().filter(|(_, n)| **n > 0).take(10).collect();
    let missing: Vec<_> = diff.iter().filter(|(_, n)| **n < 0).take(10).collect();
    assert!(
        diff.is_empty(),
        "{what}: {} values off; extra (value, how many more): {extra:?}; missing: {missing:?}",
        diff.len()
    );
}

/// The texts' keys among `rows` (`msg:<MsgId>`): every callback the flood sent.
fn text_keys(rows: &BTreeMap<String, InboxRow>) -> BTreeSet<String> {
    rows.keys()
        .filter(|k| k.starts_with("msg:"))
        .cloned()
        .collect()
}

#[tokio::test]
async fn a_server_killed_during_a_flood_processes_every_answered_callback_once_after_restart() {
    let sim = spawn_simulator().await;
    let (events, _received) = events_receiver(0).await;
    let dir = tempfile::tempdir().expect("dir");
    let db_url = fresh_database_url(dir.path()).await;
    let backend = if on_postgres() { "postgres" } else { "sqlite" };

    let mut first = ServeProcess::start_on(
        &sim,
        tempfile::tempdir().expect("dir"),
        &db_url,
        kill_config(&sim.url, &events),
    )
    .await;
    let address = first.address.clone();
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client");
    // Each member bound to a staff id; one notification to the conversation, for
    // nobody in particular (anyone in the robot's group may answer it by `#c-kill`).
    for (i, member) in MEMBERS.iter().enumerate() {
        let r = http
            .put(format!("{address}/api/v1/staff/s-{i}"))
            .bearer_auth(API_KEY)
            .json(&json!({ "wecomUserId": member }))
            .send()
            .await
            .expect("bind");
        assert_eq!(r.status(), 201, "bind {member}");
    }
    let r = http
        .request(Method::POST, format!("{address}/api/v1/notifications"))
        .bearer_auth(API_KEY)
        .json(&json!({"conversationId": CONVERSATION, "text": "王女士：明天几点到？"}))
        .send()
        .await
        .expect("notify");
    assert_eq!(r.status(), 202);
    eventually("the robot's post", 20, || async {
        (!sim.robot_texts().await.is_empty()).then_some(())
    })
    .await;

    // The flood: senders post texts with distinct MsgIds until the server is gone.
    let crypto = Arc::new(wecom_crypto());
    let next_id = Arc::new(AtomicU64::new(1));
    let answered = Arc::new(Mutex::new(Vec::<u64>::new()));
    let statuses = Arc::new(Mutex::new(BTreeMap::<u16, usize>::new()));
    let killing = Arc::new(AtomicBool::new(false));
    let errors_before_kill = Arc::new(Mutex::new(Vec::<String>::new()));
    let flood_started = Instant::now();
    let senders: Vec<_> = (0..SENDERS)
        .map(|_| {
            let (http, address, crypto) = (http.clone(), address.clone(), crypto.clone());
            let (next_id, answered, statuses) =
                (next_id.clone(), answered.clone(), statuses.clone());
            let (killing, errors) = (killing.clone(), errors_before_kill.clone());
            tokio::spawn(async move {
                while !killing.load(Ordering::SeqCst) {
                    let id = next_id.fetch_add(1, Ordering::SeqCst);
                    match deliver(&http, &address, &crypto, &text_of(id)).await {
                        Ok(status) => {
                            *statuses.lock().entry(status).or_default() += 1;
                            // 503 (the inbox full) or 500: not answered; WeCom retries.
                            if status == 200 {
                                answered.lock().push(id);
                            }
                        }
                        Err(e) => {
                            if !killing.load(Ordering::SeqCst) {
                                errors.lock().push(e.to_string());
                            }
                            // The server is gone (or going): this sender stops.
                            break;
                        }
                    }
                }
            })
        })
        .collect();
    let kill_after = rand::Rng::gen_range(&mut rand::thread_rng(), KILL_AFTER);
    let deadline = Instant::now() + Duration::from_secs(120);
    while answered.lock().len() < kill_after {
        assert!(
            Instant::now() < deadline,
            "only {} texts answered 200 in 120 s: {:?}; errors {:?}",
            answered.lock().len(),
            statuses.lock(),
            errors_before_kill.lock()
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    killing.store(true, Ordering::SeqCst);
    first.child.kill().await.expect("SIGKILL");
    let flood_secs = flood_started.elapsed().as_secs_f64();
    for s in senders {
        s.await.expect("sender");
    }
    drop(first);
    let answered: BTreeSet<u64> = answered.lock().iter().copied().collect();
    let sent = next_id.load(Ordering::SeqCst) - 1;
    assert!(
        errors_before_kill.lock().is_empty(),
        "requests failed while the server was up: {:?}",
        errors_before_kill.lock()
    );
    let statuses = statuses.lock().clone();
    assert!(
        statuses.keys().all(|s| [200, 500, 503].contains(s)),
        "a text was refused (wrongly signed?): {statuses:?}"
    );

    // At the kill: every answered text is stored (answered only once durable).
    let db = desk_server::db::connect(&db_url).await.expect("database");
    let at_kill = inbox(&db).await;
    let missing: Vec<&u64> = answered
        .iter()
        .filter(|id| !at_kill.contains_key(&format!("msg:{id}")))
        .collect();
    assert!(
        missing.is_empty(),
        "{} of {} texts answered 200 are not in callback_inbox after the kill: {:?}",
        missing.len(),
        answered.len(),
        &missing[..missing.len().min(20)]
    );
    let done_at_kill: BTreeMap<&String, &InboxRow> = at_kill
        .iter()
        .filter(|(_, r)| r.processed_at.is_some())
        .collect();
    let claimed_at_kill: BTreeSet<String> = at_kill
        .values()
        .filter(|r| r.processed_at.is_none() && r.claimed_by.is_some())
        .map(|r| r.dedup_key.clone())
        .collect();
    let dead_workers: BTreeSet<String> = at_kill
        .values()
        .filter(|r| r.processed_at.is_none())
        .filter_map(|r| r.claimed_by.clone())
        .collect();

    // Started again on the same database; everything stored is worked off.
    let restarted = Instant::now();
    let _second = ServeProcess::start_on(
        &sim,
        tempfile::tempdir().expect("dir"),
        &db_url,
        kill_config(&sim.url, &events),
    )
    .await;
    let pending_sql =
        "SELECT COUNT(*) FROM callback_inbox WHERE processed_at IS NULL AND failed_at IS NULL";
    let mut lease_expired_by_test = 0;
    if on_postgres() && !dead_workers.is_empty() {
        // Several instances share PostgreSQL: what the dead process had claimed is
        // another's only when its lease runs out (the worker's CLAIM_MS, minutes).
        // Everything else is processed first; then the lease is made to run out now
        // (what waiting would do) and the rest must follow.
        let held = claimed_at_kill.len();
        let deadline = Instant::now() + Duration::from_secs(180);
        loop {
            let pending: Vec<Option<String>> = sqlx::query_scalar(
                "SELECT claimed_by FROM callback_inbox
                 WHERE processed_at IS NULL AND failed_at IS NULL",
            )
            .fetch_all(&db)
            .await
            .expect("pending");
            let others = pending
                .iter()
                .filter(|w| w.as_ref().is_none_or(|w| !dead_workers.contains(w)))
                .count();
            if others == 0 {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "{others} callbacks besides the {held} the dead process held still pending 180 s after the restart"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        for worker in &dead_workers {
            lease_expired_by_test += sqlx::query(
                "UPDATE callback_inbox SET claimed_until = 0
                 WHERE claimed_by = $1 AND processed_at IS NULL",
            )
            .bind(worker)
            .execute(&db)
            .await
            .expect("expire the dead process's lease")
            .rows_affected();
        }
    }
    let deadline = Instant::now() + Duration::from_secs(180);
    loop {
        let pending = count(&db, pending_sql).await;
        if pending == 0 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{pending} callbacks still pending 180 s after the restart"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let drain_secs = restarted.elapsed().as_secs_f64();

    let after = inbox(&db).await;
    let keys = text_keys(&after);
    // Nothing but the flood's texts arrived, and nothing was given up on.
    assert_eq!(keys.len(), after.len(), "only texts were delivered");
    let failed: Vec<&InboxRow> = after.values().filter(|r| r.failed_at.is_some()).collect();
    assert!(failed.is_empty(), "callbacks given up on: {failed:?}");
    // Every answered text: its one row, processed.
    for id in &answered {
        let row = after
            .get(&format!("msg:{id}"))
            .unwrap_or_else(|| panic!("text {id} was answered 200 and is not stored"));
        assert!(
            row.processed_at.is_some(),
            "text {id} not processed: {row:?}"
        );
    }
    // Nothing stored before the kill went missing.
    for key in at_kill.keys() {
        assert!(
            after.contains_key(key),
            "{key} disappeared after the restart"
        );
    }
    // Processed before the kill: not taken again after the restart.
    for (key, before) in &done_at_kill {
        let now = &after[*key];
        assert_eq!(
            (now.attempts, now.processed_at),
            (before.attempts, before.processed_at),
            "{key} was processed before the kill and again after it"
        );
    }
    // Taken more than once only when the dead process held it or acting on it failed.
    for row in after.values() {
        assert!(
            row.attempts == 1
                || claimed_at_kill.contains(&row.dedup_key)
                || row.last_error.is_some(),
            "{} was taken {} times: {row:?}",
            row.dedup_key,
            row.attempts
        );
    }

    // The work of each text happened once, told apart by the text itself (「第N条」):
    // one reply in the conversation, one `staff.replied` event, one acknowledgement
    // to the member who wrote it; none twice, nothing else.
    let expected: BTreeMap<String, &str> = keys
        .iter()
        .map(|k| {
            let id: u64 = k.trim_start_matches("msg:").parse().expect("a MsgId");
            (format!("第{id}条"), MEMBERS[(id as usize) % MEMBERS.len()])
        })
        .collect();
    let replies: Vec<String> = sqlx::query_scalar("SELECT text FROM conversation_messages")
        .fetch_all(&db)
        .await
        .expect("replies");
    assert_same(
        "one reply in the conversation per stored text",
        replies.iter().map(String::as_str),
        expected.keys().map(String::as_str),
    );
    let outbox: Vec<(String, String, String)> =
        sqlx::query_as("SELECT kind, target, payload FROM outbox")
            .fetch_all(&db)
            .await
            .expect("outbox");
    let events: Vec<String> = outbox
        .iter()
        .filter(|(kind, _, _)| kind == "event")
        .map(|(_, _, payload)| {
            let e: serde_json::Value = serde_json::from_str(payload).expect("event JSON");
            assert_eq!(e["type"], "staff.replied", "{payload}");
            assert_eq!(e["data"]["conversationId"], CONVERSATION, "{payload}");
            e["data"]["text"].as_str().expect("its text").to_string()
        })
        .collect();
    assert_same(
        "one staff.replied event per stored text",
        events.iter().map(String::as_str),
        expected.keys().map(String::as_str),
    );
    let acks = outbox
        .iter()
        .filter(|(kind, _, _)| kind == "app_message")
        .map(|(_, target, _)| target.as_str());
    assert_same(
        "one acknowledgement to its member per stored text",
        acks,
        expected.values().copied(),
    );
    assert_eq!(
        outbox.iter().filter(|(kind, _, _)| kind == "robot").count(),
        1,
        "the one notification"
    );

    let processed_at_kill = done_at_kill.len();
    let stored_unanswered = keys.len() - answered.len();
    let retried = after.values().filter(|r| r.attempts > 1).count();
    eprintln!(
        "kill test ({backend}): {sent} texts sent in {flood_secs:.1} s by {SENDERS} senders, \
         answered 200: {}, statuses {statuses:?}; at the kill: stored {}, processed {processed_at_kill}, \
         claimed {} (by {} worker(s)), unclaimed {}; stored without a 200 (cut off): {stored_unanswered}; \
         after the restart: {} processed in {drain_secs:.1} s, {retried} taken twice, \
         leases expired by the test: {lease_expired_by_test}",
        answered.len(),
        at_kill.len(),
        claimed_at_kill.len(),
        dead_workers.len(),
        at_kill.len() - processed_at_kill - claimed_at_kill.len(),
        keys.len(),
    );
    db.close().await;
    drop(dir);
}
