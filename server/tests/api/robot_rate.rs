//! WeCom's 20 messages per robot per minute, held by the outbox: these tests wait
//! through a real minute (WeCom's window is not ours to shorten).

use std::time::{Duration, Instant};

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

#[tokio::test]
async fn twenty_five_notifications_to_one_robot_all_arrive_never_more_than_twenty_a_minute() {
    let app = robot_app().await;
    let started = Instant::now();
    for i in 0..25 {
        app_notify_ok(
            &app,
            json!({"conversationId": format!("c-{i}"), "text": format!("消息{i:02}")}),
        )
        .await;
    }
    // When each text was first seen at the simulator.
    let mut seen: Vec<(String, Duration)> = Vec::new();
    while seen.len() < 25 {
        assert!(
            started.elapsed() < Duration::from_secs(90),
            "only {} arrived",
            seen.len()
        );
        for t in app.sim.robot_texts().await {
            if !seen.iter().any(|(s, _)| *s == t) {
                seen.push((t, started.elapsed()));
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let times: Vec<Duration> = seen.iter().map(|(_, at)| *at).collect();
    assert!(
        times[19] < Duration::from_secs(10),
        "the first 20 go at once: {times:?}"
    );
    assert!(
        times[20] >= times[0] + Duration::from_secs(60),
        "the 21st waits for the minute: {times:?}"
    );
    for (i, a) in times.iter().enumerate() {
        let within = times[i..]
            .iter()
            .filter(|b| **b < *a + Duration::from_secs(60))
            .count();
        assert!(
            within <= 20,
            "{within} in the minute from message {i}: {times:?}"
        );
    }
    for i in 0..25 {
        let prefix = format!("消息{i:02}");
        assert_eq!(
            seen.iter().filter(|(t, _)| t.starts_with(&prefix)).count(),
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
    tokio::time::sleep(Duration::from_secs(3)).await;
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
    let texts = eventually("all three after the window", 80, || async {
        let t = app.sim.robot_texts().await;
        (t.len() >= 3).then_some(t)
    })
    .await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(app.sim.robot_texts().await.len(), 3, "{texts:?}");
    for want in ["限流一", "限流二", "限流三"] {
        assert_eq!(texts.iter().filter(|t| t.starts_with(want)).count(), 1);
    }
}
