use std::collections::HashSet;

use desk_server::wecom::jssdk::sign;
use desk_shared::Signatures;
use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn both_signatures_verify_against_the_tickets_the_simulator_issued() {
    let app = spawn_app().await;
    let page = format!("{ORIGIN}/orders/42?from=menu&x=%E4%BD%A0");
    let resp = app.post_signatures(&format!("{page}#/detail")).await;
    assert_eq!(resp.status(), 200);
    let s: Signatures = resp.json().await.expect("signatures JSON");
    assert_eq!(s.corp_id, CORP_ID);
    assert_eq!(s.agent_id, AGENT_ID);

    let (corp_tickets, agent_tickets) = app.sim.tickets().await;
    assert_eq!(corp_tickets.len(), 1);
    assert_eq!(agent_tickets.len(), 1);
    // Recomputed here from the simulator's tickets, over the URL without its fragment.
    assert_eq!(
        s.corp.signature,
        sign(&corp_tickets[0], &s.corp.nonce_str, s.corp.timestamp, &page)
    );
    assert_eq!(
        s.agent.signature,
        sign(
            &agent_tickets[0],
            &s.agent.nonce_str,
            s.agent.timestamp,
            &page
        )
    );
    // The corp ticket must not sign for agentConfig (42012 in WeCom) and vice versa.
    assert_ne!(
        s.corp.signature,
        sign(
            &agent_tickets[0],
            &s.corp.nonce_str,
            s.corp.timestamp,
            &page
        )
    );

    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64;
    assert!(
        (now - s.corp.timestamp).abs() < 60,
        "timestamp is the current time"
    );
}

#[tokio::test]
async fn every_request_gets_a_fresh_nonce() {
    let app = spawn_app().await;
    let mut nonces = HashSet::new();
    for _ in 0..20 {
        let s: Signatures = app
            .post_signatures(&format!("{ORIGIN}/"))
            .await
            .json()
            .await
            .expect("json");
        assert!(nonces.insert(s.corp.nonce_str.clone()));
        assert!(nonces.insert(s.agent.nonce_str.clone()));
    }
}

#[tokio::test]
async fn two_hundred_concurrent_requests_on_a_cold_cache_fetch_each_credential_once() {
    let sim = spawn_simulator().await;
    // Hold every WeCom answer for 300 ms so the requests below pile up on the cold cache.
    sim.set_faults(json!({ "latencyMs": 300 })).await;
    let app = spawn_app_on(sim).await;
    let url = format!("{ORIGIN}/sidebar");
    let requests = (0..200).map(|_| app.post_signatures(&url));
    let responses = futures::future::join_all(requests).await;
    for r in responses {
        assert_eq!(r.status(), 200);
    }
    assert_eq!(app.sim.calls("gettoken").await, 1);
    assert_eq!(app.sim.calls("get_jsapi_ticket").await, 1);
    assert_eq!(app.sim.calls("ticket/get").await, 1);
}

#[tokio::test]
async fn signatures_keep_working_when_tickets_are_refreshed() {
    let sim = spawn_simulator().await;
    // Tickets of 2 s are refreshed 0.2 s before they end.
    let r = sim
        .http
        .put(format!("{}/sim/lifetimes", sim.url))
        .json(&json!({ "tokenSecs": 7200, "ticketSecs": 2 }))
        .send()
        .await
        .expect("lifetimes");
    assert!(r.status().is_success());
    let app = spawn_app_on(sim).await;
    let page = format!("{ORIGIN}/");
    app.post_signatures(&page).await;
    app.advance(3).await;
    let s: Signatures = app.post_signatures(&page).await.json().await.expect("json");
    let (corp, _) = app.sim.tickets().await;
    assert_eq!(
        corp.len(),
        1,
        "the old ticket has expired; one valid ticket"
    );
    assert_eq!(
        s.corp.signature,
        sign(&corp[0], &s.corp.nonce_str, s.corp.timestamp, &page)
    );
    assert_eq!(app.sim.calls("get_jsapi_ticket").await, 2);
}

#[tokio::test]
async fn a_foreign_origin_is_refused_with_400() {
    let app = spawn_app().await;
    for url in [
        "https://evil.example.com/",
        "http://desk.example.com/",
        "https://desk.example.com.evil.com/",
    ] {
        let resp = app.post_signatures(url).await;
        assert_eq!(resp.status(), 400, "{url}");
        let e = error_body(resp).await;
        assert_eq!(e.code, "origin_not_allowed");
        assert!(e.message.contains("allowed_origins"));
    }
}

#[tokio::test]
async fn a_malformed_url_is_refused_with_400() {
    let app = spawn_app().await;
    let resp = app.post_signatures("::not a url::").await;
    assert_eq!(resp.status(), 400);
    assert_eq!(error_body(resp).await.code, "bad_url");
}

#[tokio::test]
async fn malformed_json_is_400_and_an_oversized_body_is_413() {
    let app = spawn_app().await;
    let endpoint = format!("{}/api/jssdk/signatures", app.address);

    let resp = app
        .http
        .post(&endpoint)
        .header("content-type", "application/json")
        .body("{\"url\": ")
        .send()
        .await
        .expect("answer");
    assert_eq!(resp.status(), 400);
    assert_eq!(error_body(resp).await.code, "bad_json");

    let resp = app
        .http
        .post(&endpoint)
        .header("content-type", "application/json")
        .body("{\"href\": \"https://desk.example.com/\"}")
        .send()
        .await
        .expect("answer");
    assert_eq!(resp.status(), 400, "missing field");

    let big = json!({ "url": format!("{ORIGIN}/?q={}", "a".repeat(200_000)) });
    let resp = app
        .http
        .post(&endpoint)
        .json(&big)
        .send()
        .await
        .expect("answer");
    assert_eq!(resp.status(), 413);
    assert_eq!(error_body(resp).await.code, "body_too_large");

    let resp = app
        .http
        .post(&endpoint)
        .header("content-type", "text/plain")
        .body("url=x")
        .send()
        .await
        .expect("answer");
    assert_eq!(resp.status(), 400);
}
