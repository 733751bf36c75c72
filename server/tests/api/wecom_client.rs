use std::time::{Duration, Instant};

use desk_server::wecom::WeComError;
use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn a_call_after_all_tokens_were_revoked_succeeds_after_one_transparent_refresh() {
    let sim = spawn_simulator().await;
    let client = sim.client();
    assert_eq!(
        client.member("zhangwei").await.expect("first call").name,
        "张伟"
    );
    assert_eq!(sim.calls("gettoken").await, 1);

    sim.revoke_tokens().await;
    let m = client
        .member("lina")
        .await
        .expect("recovered transparently");
    assert_eq!(m.name, "李娜");
    assert_eq!(sim.calls("gettoken").await, 2, "exactly one new token");
    assert_eq!(
        sim.calls("user/get").await,
        3,
        "the rejected call was retried once"
    );
}

#[tokio::test]
async fn a_failed_token_refetch_surfaces_its_error_without_looping() {
    let sim = spawn_simulator().await;
    let client = sim.client();
    client.member("zhangwei").await.expect("warm");
    // The token is revoked and WeCom rate-limits every call after the next one.
    sim.revoke_tokens().await;
    sim.set_faults(json!({ "rateLimitAfter": 1 })).await;
    let err = client.member("lina").await.expect_err("fails");
    // First call: 40014 (revoked) → refetch → gettoken rate limited → typed 45009.
    assert_eq!(err.errcode(), Some(45009));
}

#[tokio::test]
async fn one_busy_answer_is_retried() {
    let sim = spawn_simulator().await;
    let client = sim.client();
    client.member("zhangwei").await.expect("warm");
    sim.set_faults(json!({ "busyNext": 1 })).await;
    let m = client.member("wangqiang").await.expect("retried after -1");
    assert_eq!(m.userid, "wangqiang");
    assert_eq!(sim.calls("user/get").await, 3);
}

#[tokio::test]
async fn an_http_5xx_is_retried() {
    let sim = spawn_simulator().await;
    let client = sim.client();
    client.member("zhangwei").await.expect("warm");
    sim.set_faults(json!({ "httpErrorNext": 2, "httpErrorStatus": 503 }))
        .await;
    client.member("lina").await.expect("retried after two 503s");
    assert_eq!(sim.calls("user/get").await, 4);
}

#[tokio::test]
async fn a_45009_is_never_retried_at_once() {
    let sim = spawn_simulator().await;
    let client = sim.client();
    client.member("zhangwei").await.expect("warm");
    sim.set_faults(json!({ "rateLimitAfter": 0 })).await;
    let started = Instant::now();
    let err = tokio::time::timeout(Duration::from_secs(10), client.member("lina"))
        .await
        .expect("gives up in bounded time")
        .expect_err("rate limited");
    assert!(started.elapsed() < Duration::from_secs(2));
    assert!(
        matches!(err, WeComError::Api { errcode: 45009, .. }),
        "{err:?}"
    );
    assert!(err.is_rate_limited());
    assert!(err.admin_detail().to_string().contains("45009"));
    // 1 warm + 1 try: WeCom blocks the caller for the rest of the window, and a
    // retry within seconds would only extend it.
    assert_eq!(sim.calls("user/get").await, 2);
}

#[tokio::test]
async fn too_many_concurrent_calls_and_a_busy_wecom_are_retried_quickly() {
    let sim = spawn_simulator().await;
    let client = sim.client();
    client.member("zhangwei").await.expect("warm");
    sim.set_faults(json!({ "concurrentNext": 2 })).await;
    client
        .member("lina")
        .await
        .expect("retried after two 45033");
    assert_eq!(sim.calls("user/get").await, 4);
}

#[tokio::test]
async fn a_wrong_secret_is_a_typed_40001_and_is_not_hammered() {
    let sim = spawn_simulator().await;
    let client = sim.client_with_secret("wrong");
    let err = client.member("zhangwei").await.expect_err("wrong secret");
    assert_eq!(err.errcode(), Some(40001));
    assert_eq!(sim.calls("gettoken").await, 1, "no retry on a wrong secret");
    assert_eq!(sim.calls("user/get").await, 0);
}

#[tokio::test]
async fn an_unreachable_wecom_is_a_transport_error_within_the_timeout() {
    let sim = Sim {
        url: "http://127.0.0.1:9".into(),
        http: reqwest::Client::new(),
    };
    let err = sim.client().member("x").await.expect_err("unreachable");
    assert!(matches!(err, WeComError::Transport(_)), "{err:?}");
    assert!(!format!("{err}").contains(SECRET), "no secret in the error");
}

#[tokio::test]
async fn a_token_is_refreshed_before_it_expires() {
    let sim = spawn_simulator().await;
    let r = sim
        .http
        .put(format!("{}/sim/lifetimes", sim.url))
        .json(&json!({ "tokenSecs": 2, "ticketSecs": 7200 }))
        .send()
        .await
        .expect("lifetimes");
    assert!(r.status().is_success());
    let clock = desk_server::clock::Clock::system();
    let client = sim.client_on(SECRET, clock.clone());
    client.member("zhangwei").await.expect("first");
    // 2 s lifetime → refreshed after 1.8 s. The client's clock moves 1.9 s, WeCom's
    // 2 s: the old token has expired there, so a call with it would get 42001.
    clock.advance(Duration::from_millis(1900));
    sim.advance(2).await;
    client.member("zhangwei").await.expect("second");
    assert_eq!(sim.calls("gettoken").await, 2);
    assert_eq!(sim.calls("user/get").await, 2, "no call was rejected");
}

#[tokio::test]
async fn customers_come_in_pages_of_at_most_100_following_the_cursor() {
    let sim = spawn_simulator().await;
    let client = sim.client();
    let mut cursor = String::new();
    let mut seen = Vec::new();
    loop {
        let page = client
            .customers_page(&["zhangwei".to_string()], &cursor, 10)
            .await
            .expect("page");
        assert!(page.external_contact_list.len() <= 10);
        seen.extend(
            page.external_contact_list
                .into_iter()
                .map(|c| c.external_contact.external_userid),
        );
        if page.next_cursor.is_empty() {
            break;
        }
        cursor = page.next_cursor;
    }
    let ids = client.customer_ids("zhangwei").await.expect("list");
    assert_eq!(seen, ids);
    assert!(seen.len() >= 20);
}

#[tokio::test]
async fn a_member_without_customers_is_an_empty_list() {
    let sim = spawn_simulator().await;
    let client = sim.client();
    assert!(client
        .customer_ids("wangqiang")
        .await
        .expect("84061 → empty")
        .is_empty());
    let page = client
        .customers_page(&["wangqiang".to_string()], "", 100)
        .await
        .expect("84061 → empty");
    assert!(page.external_contact_list.is_empty() && page.next_cursor.is_empty());
}

#[tokio::test]
async fn typed_errors_name_the_errcode_for_unknown_ids() {
    let sim = spawn_simulator().await;
    let client = sim.client();
    assert_eq!(
        client.member("ghost").await.expect_err("x").errcode(),
        Some(60111)
    );
    assert_eq!(
        client
            .customer("wmNope", "")
            .await
            .expect_err("x")
            .errcode(),
        Some(40096)
    );
    assert_eq!(
        client.group_chat("wrNope").await.expect_err("x").errcode(),
        Some(40050)
    );
    assert_eq!(
        client.app_chat("nope").await.expect_err("x").errcode(),
        Some(86003)
    );
}
