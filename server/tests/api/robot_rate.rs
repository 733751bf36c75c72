//! WeCom's 20 messages per robot per minute, held by the outbox: the server's and
//! the simulator's clocks are moved through the minute (no test waits it out).

use serde_json::json;

use crate::helpers::*;

async fn robot_app() -> TestApp {
    let sim = spawn_simulator().await;
    let robot = format!("{}/cgi-bin/webhook/send?key=demo-robot-key-0001", sim.url);
    spawn_app_with(sim, move |c| {
        format!("{c}\n[robot]\nwebhook_urls = [\"{robot}\"]\n[outbox]\nretry_base_ms = 50\nretry_max_ms = 400\n")
    })
    .await
}

/// When the simulator received each robot message (its clock, unix seconds), with
/// the text.
async fn robot_sends(sim: &Sim) -> Vec<(i64, String)> {
    let v = sim.get_json("/sim/messages").await;
    v["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .filter(|m| m["via"] == "webhook/send")
        .map(|m| {
            let text = m["body"]["text"]["content"].as_str().unwrap_or_default();
            (m["at"].as_i64().expect("at"), text.to_string())
        })
        .collect()
}

#[tokio::test]
async fn twenty_five_notifications_to_one_robot_all_arrive_never_more_than_twenty_a_minute() {
    let app = robot_app().await;
    for i in 0..25 {
        app_notify_ok(
            &app,
            json!({"conversationId": format!("c-{i}"), "text": format!("消息{i:02}")}),
        )
        .await;
    }
    eventually("the first twenty at once", 20, || async {
        (app.sim.robot_texts().await.len() >= 20).then_some(())
    })
    .await;
    app.worker_looked("outbox").await;
    assert_eq!(app.sim.robot_texts().await.len(), 20, "the 21st waits");
    // A minute passes, for the server and for WeCom.
    app.advance(61).await;
    let sends = eventually("all 25 after the minute", 20, || async {
        let s = robot_sends(&app.sim).await;
        (s.len() >= 25).then_some(s)
    })
    .await;
    for (i, (a, _)) in sends.iter().enumerate() {
        let within = sends[i..].iter().filter(|(b, _)| *b < a + 60).count();
        assert!(
            within <= 20,
            "{within} in the minute from message {i}: {sends:?}"
        );
    }
    assert!(sends[20].0 >= sends[0].0 + 60, "the 21st waited: {sends:?}");
    for i in 0..25 {
        let prefix = format!("消息{i:02}");
        assert_eq!(
            sends.iter().filter(|(_, t)| t.starts_with(&prefix)).count(),
            1
        );
    }
    // The simulator refuses a 21st in a minute (45009): no try was refused.
    assert_eq!(
        app.sim.calls("webhook/send").await,
        25,
        "never over WeCom's limit"
    );
}

#[tokio::test]
async fn a_robot_over_its_rate_waits_for_the_window_and_each_message_arrives_once() {
    let app = robot_app().await;
    eventually("the warm-up done", 10, || async {
        (app.sim.calls("get_jsapi_ticket").await > 0).then_some(())
    })
    .await;
    // WeCom says 45009 to everything for a while (another system shares the robot).
    app.sim.set_faults(json!({"rateLimitAfter": 0})).await;
    let ids = [
        app_notify_ok(&app, json!({"conversationId": "c-a", "text": "限流一"})).await,
        app_notify_ok(&app, json!({"conversationId": "c-b", "text": "限流二"})).await,
        app_notify_ok(&app, json!({"conversationId": "c-c", "text": "限流三"})).await,
    ];
    eventually("each tried once", 10, || async {
        (app.sim.calls("webhook/send").await >= 1).then_some(())
    })
    .await;
    app.worker_looked("outbox").await;
    app.worker_looked("outbox").await;
    let tried = app.sim.calls("webhook/send").await;
    assert!(
        tried <= 3,
        "no hammering while WeCom says 45009: {tried} tries"
    );
    for id in &ids {
        let state = app.notification(id).await;
        assert_eq!(state["status"], "queued");
        assert_eq!(
            state["attempts"], 0,
            "a rate-limited try does not count: {state}"
        );
        let why = state["lastError"].as_str().unwrap_or_default();
        assert!(
            why.contains("45009"),
            "each was tried once and says why: {state}"
        );
    }
    app.sim.set_faults(json!({})).await;
    // The server waits out WeCom's minute (on its clock) before trying again.
    app.advance(61).await;
    let texts = eventually("all three after the window", 20, || async {
        let t = app.sim.robot_texts().await;
        (t.len() >= 3).then_some(t)
    })
    .await;
    app.worker_looked("outbox").await;
    assert_eq!(app.sim.robot_texts().await.len(), 3, "{texts:?}");
    for want in ["限流一", "限流二", "限流三"] {
        assert_eq!(texts.iter().filter(|t| t.starts_with(want)).count(), 1);
    }
}
