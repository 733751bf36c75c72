//! The outbox at scale: thousands of app-message replies queued at once go out
//! merged, within WeCom's 30 a minute to one member (past which the simulator, as
//! WeCom, drops a message without an error), every reply's text exactly once.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use desk_server::outbox::store::{insert, Kind, NewRow};
use desk_server::outbox::AppMessagePayload;
use desk_server::wecom::types::{MessageContent, Text};

use crate::helpers::*;

/// `n` members more in the demo corp: `scale000`, `scale001`, …
fn corp_with_members(n: usize) -> Fixture {
    let members: String = (0..n)
        .map(|i| format!("[[members]]\nuserid = \"scale{i:03}\"\nname = \"成员{i}\"\n"))
        .collect();
    demo_fixture_with(&members)
}

/// Queues app-message replies straight into the outbox, one transaction: `(id, member,
/// text)`, each a millisecond after the one before.
async fn queue_replies(app: &TestApp, replies: &[(String, String, String)]) {
    let db = app.db().await;
    let mut tx = db.begin().await.expect("begin");
    let base = desk_server::clock::now_millis() - 60_000;
    for (n, (id, member, text)) in replies.iter().enumerate() {
        let payload = serde_json::to_string(&AppMessagePayload {
            touser: vec![member.clone()],
            content: MessageContent::Text {
                text: Text {
                    content: text.clone(),
                },
            },
        })
        .expect("payload");
        let row = NewRow {
            id,
            kind: Kind::AppMessage,
            target: member,
            payload: &payload,
            conversation_id: None,
            staff_id: None,
        };
        let at = base + i64::try_from(n).expect("small");
        assert!(insert(&mut tx, &row, at).await.expect("insert"));
    }
    tx.commit().await.expect("commit");
}

/// What the simulator took through `message/send`: (member, unix secs, texts), oldest
/// first, each merged text split back into the replies it joined.
async fn app_messages(sim: &Sim) -> Vec<(String, i64, Vec<String>)> {
    let v = sim.get_json("/sim/messages").await;
    v["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .filter(|m| m["via"] == "message/send")
        .map(|m| {
            let content = m["body"]["text"]["content"].as_str().unwrap_or_default();
            (
                m["to"].as_str().unwrap_or_default().to_string(),
                m["at"].as_i64().expect("at"),
                content.split("\n\n").map(str::to_string).collect(),
            )
        })
        .collect()
}

/// Every `(_, member, text)` of `replies` arrived exactly once, to that member, in the
/// order queued; no member got more than 30 messages in any 60 s of the simulator's
/// log. The number of messages.
fn check_each_arrived_once(
    replies: &[(String, String, String)],
    got: &[(String, i64, Vec<String>)],
) -> usize {
    let mut seen: HashMap<(&str, &str), usize> = HashMap::new();
    let mut order: HashMap<&str, Vec<&str>> = HashMap::new();
    for (to, _, texts) in got {
        for t in texts {
            *seen.entry((to.as_str(), t.as_str())).or_default() += 1;
            order.entry(to.as_str()).or_default().push(t.as_str());
        }
    }
    for (_, member, text) in replies {
        let n = seen.remove(&(member.as_str(), text.as_str())).unwrap_or(0);
        assert_eq!(n, 1, "{text:?} to {member} arrived {n} times");
    }
    assert!(seen.is_empty(), "texts nobody queued: {seen:?}");
    let mut queued: HashMap<&str, Vec<&str>> = HashMap::new();
    for (_, member, text) in replies {
        queued
            .entry(member.as_str())
            .or_default()
            .push(text.as_str());
    }
    assert_eq!(order, queued, "each member's replies in the order queued");
    let mut times: HashMap<&str, Vec<i64>> = HashMap::new();
    for (to, at, _) in got {
        times.entry(to.as_str()).or_default().push(*at);
    }
    for (member, at) in &times {
        for (i, a) in at.iter().enumerate() {
            let within = at[i..].iter().filter(|b| **b < a + 60).count();
            assert!(
                within <= 30,
                "{within} to {member} in the minute from {a}: {at:?}"
            );
        }
    }
    got.len()
}

async fn sent_rows(app: &TestApp) -> i64 {
    app.count("SELECT COUNT(*) FROM outbox WHERE kind = 'app_message' AND status = 'sent'")
        .await
}

#[tokio::test]
async fn ten_thousand_replies_to_a_hundred_members_arrive_once_each_merged_within_the_limits() {
    const MEMBERS: usize = 100;
    const EACH: usize = 100;
    let app = spawn_app_on(spawn_simulator_with(corp_with_members(MEMBERS)).await).await;
    // Interleaved, as replies come in: the first of every member, then the second…
    let replies: Vec<(String, String, String)> = (0..EACH)
        .flat_map(|i| {
            (0..MEMBERS).map(move |m| {
                (
                    format!("scale-{m:03}-{i:03}"),
                    format!("scale{m:03}"),
                    format!("已送达会话 #web:{m:03}-{i:03}。"),
                )
            })
        })
        .collect();
    let started = Instant::now();
    queue_replies(&app, &replies).await;
    let total = i64::try_from(replies.len()).expect("small");
    eventually("every reply sent", 300, || async {
        (sent_rows(&app).await >= total).then_some(())
    })
    .await;
    let took = started.elapsed();
    eprintln!(
        "outbox_scale: {} app-message replies to {MEMBERS} members drained in {:.2} s",
        replies.len(),
        took.as_secs_f64()
    );
    app.worker_looked("outbox").await;
    let got = app_messages(&app.sim).await;
    let messages = check_each_arrived_once(&replies, &got);
    let calls = app.sim.calls("message/send").await;
    eprintln!("outbox_scale: {calls} message/send calls for {total} replies");
    assert_eq!(calls as usize, messages, "no call the simulator dropped");
    assert!(
        messages * 10 <= replies.len(),
        "merged: {messages} messages for {} replies",
        replies.len()
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM outbox WHERE status <> 'sent'")
            .await,
        0
    );
}

/// Moves the simulator's clock, then the server's: WeCom never sees a minute end
/// before the server does.
async fn advance(app: &TestApp, secs: u64) {
    app.sim.advance(secs).await;
    app.clock.advance(Duration::from_secs(secs));
}

#[tokio::test]
async fn replies_past_a_members_window_wait_queued_and_each_arrives_once() {
    let app = spawn_app().await;
    // Too long to join two (1,082 bytes each): one message a reply.
    let replies: Vec<(String, String, String)> = (0..40)
        .map(|i| {
            (
                format!("long-{i:02}"),
                "lina".to_string(),
                format!("{i:02}{}", "长".repeat(360)),
            )
        })
        .collect();
    queue_replies(&app, &replies).await;
    // Each a full message: they go at once, up to the window's 30.
    eventually("the window's thirty", 20, || async {
        (sent_rows(&app).await >= 30).then_some(())
    })
    .await;
    app.worker_looked("outbox").await;
    assert_eq!(sent_rows(&app).await, 30, "the 31st waits for the window");
    let (waiting, attempts): (i64, i64) = sqlx::query_as(
        "SELECT COUNT(*), COALESCE(MAX(attempts), 0) FROM outbox
         WHERE kind = 'app_message' AND status = 'queued'",
    )
    .fetch_one(&app.db().await)
    .await
    .expect("outbox");
    assert_eq!(waiting, 10, "the rest wait, queued");
    assert_eq!(attempts, 0, "waiting for the window is no try");
    // The minutes pass, for the server and for WeCom.
    for _ in 0..60 {
        if sent_rows(&app).await >= 40 {
            break;
        }
        advance(&app, 15).await;
        app.worker_looked("outbox").await;
    }
    assert_eq!(sent_rows(&app).await, 40);
    let got = app_messages(&app.sim).await;
    assert_eq!(check_each_arrived_once(&replies, &got), 40);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM outbox WHERE status = 'failed'")
            .await,
        0
    );
}
