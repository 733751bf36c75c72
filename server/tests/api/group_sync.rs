//! The periodic re-read of the orders' groups (`[groups] resync_every_secs`): what a
//! missed `change_external_chat` callback would have told shows anyway.

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::*;

/// Config for a re-sync every second at `pace_ms`, with the demo fixture's pool.
fn resync_every_second(pace_ms: u64) -> impl Fn(String) -> String {
    move |c| {
        format!(
            "{c}\n[groups]\nresync_every_secs = 1\npace_ms = {pace_ms}\n[pool]\nowner_userids = [\"wangqiang\"]\n"
        )
    }
}

/// A server re-reading its groups every second; the simulator raises no callbacks
/// (the server misses every one).
async fn app_missing_callbacks(pace_ms: u64) -> TestApp {
    let app = spawn_app_with(spawn_simulator().await, resync_every_second(pace_ms)).await;
    app.sim.set_callback_url("").await;
    app
}

/// Order `id` with a group made in the client holding `customers`, recorded; its chat.
async fn order_with_group(app: &TestApp, session: &str, id: &str, customers: &[&str]) -> String {
    app.put_order_for(id).await;
    let chat = app
        .make_customer_group("zhangwei", &["zhangwei", "lina"], customers)
        .await;
    let r = app
        .post_as(
            session,
            &format!("/api/orders/{id}/group"),
            &json!({"chatId": chat, "groupName": "王女士新房服务群", "externalUserIds": ["wmDemo0000"]}),
        )
        .await;
    assert_eq!(r.status(), 201, "{id}");
    chat
}

/// A change made in the simulated WeCom (its callback goes nowhere).
async fn sim_change(sim: &Sim, method: Method, path: &str, body: Value) -> Value {
    let r = sim
        .http
        .request(method, format!("{}{path}", sim.url))
        .json(&body)
        .send()
        .await
        .expect("simulator answers");
    assert!(r.status().is_success(), "{path}: {}", r.status());
    r.json().await.unwrap_or_default()
}

/// The orders the sidebar lists for customer `external` as `session`'s member.
async fn orders_of_customer(app: &TestApp, session: &str, external: &str) -> Vec<String> {
    let v: Value = app
        .get_as(session, &format!("/api/contacts/{external}/profile"))
        .await
        .json()
        .await
        .expect("json");
    v["orders"]
        .as_array()
        .expect("orders")
        .iter()
        .map(|o| o["id"].as_str().unwrap_or_default().to_string())
        .collect()
}

/// When the simulator saw each `groupchat/get` (unix ms), oldest first.
async fn group_reads(sim: &Sim) -> Vec<i64> {
    let v = sim.get_json("/sim/stats").await;
    v["times"]["externalcontact/groupchat/get"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_i64).collect())
        .unwrap_or_default()
}

#[tokio::test]
async fn a_customer_who_left_unseen_no_longer_finds_the_order_after_the_resync() {
    let app = app_missing_callbacks(50).await;
    let zhangwei = app.login("zhangwei").await;
    let chat = order_with_group(&app, &zhangwei, "DD-R1", &["wmDemo0000", "wmDemo0005"]).await;
    // 杨先生 has no phone in any remark: the order is his only through the group.
    assert_eq!(
        orders_of_customer(&app, &zhangwei, "wmDemo0005").await,
        ["DD-R1"]
    );

    sim_change(
        &app.sim,
        Method::DELETE,
        &format!("/sim/groups/{chat}/members/wmDemo0005"),
        json!({}),
    )
    .await;
    eventually("the group re-read without 杨先生", 10, || async {
        orders_of_customer(&app, &zhangwei, "wmDemo0005")
            .await
            .is_empty()
            .then_some(())
    })
    .await;
    assert_eq!(
        orders_of_customer(&app, &zhangwei, "wmDemo0000").await,
        ["DD-R1"],
        "the order's customer is still in it"
    );
    let order = app.order_as(&zhangwei, "DD-R1").await;
    assert_eq!(order["group"]["chatId"], chat.as_str());
    assert_eq!(order["group"]["dismissedAt"], Value::Null);
}

#[tokio::test]
async fn a_customer_who_scanned_unseen_marks_the_order_joined_after_the_resync() {
    let app = app_missing_callbacks(50).await;
    let admin = app.login("wangqiang").await;
    let r = app
        .post_as(
            &admin,
            "/api/admin/pool",
            &json!({"chatIds": ["wrPool0000", "wrPool0001"]}),
        )
        .await;
    assert_eq!(r.status(), 200);
    app.put_order_for("DD-R2").await;
    let zhangwei = app.login("zhangwei").await;
    let way: Value = app
        .post_as(&zhangwei, "/api/orders/DD-R2/join-way", &json!({}))
        .await
        .json()
        .await
        .expect("json");
    let config = way["configId"].as_str().expect("configId");
    let chat = way["chatId"].as_str().expect("chatId");
    // Someone invited (no state) is in the group, but is not the order's customer.
    sim_change(
        &app.sim,
        Method::POST,
        &format!("/sim/groups/{chat}/members"),
        json!({"userid": "wmDemo0002", "type": 2}),
    )
    .await;
    app.worker_looked("groups.resync").await;
    let order = app.order_as(&zhangwei, "DD-R2").await;
    assert_eq!(order["group"]["customerJoinedAt"], Value::Null, "{order}");

    sim_change(
        &app.sim,
        Method::POST,
        &format!("/sim/join-ways/{config}/scan"),
        json!({"externalUserId": "wmDemo0000"}),
    )
    .await;
    let joined = eventually("客户已进群 after the re-sync", 10, || async {
        app.order_as(&zhangwei, "DD-R2").await["group"]["customerJoinedAt"].as_i64()
    })
    .await;
    let groups = app.sim.get_json("/sim/groups").await;
    let scanned = groups["groups"]
        .as_array()
        .expect("groups")
        .iter()
        .find(|g| g["chat_id"] == chat)
        .and_then(|g| {
            g["member_list"]
                .as_array()?
                .iter()
                .find(|m| m["userid"] == "wmDemo0000")
                .cloned()
        })
        .expect("the customer in the simulator's group");
    assert_eq!(
        Some(joined),
        scanned["join_time"].as_i64(),
        "when WeCom says they joined"
    );
}

#[tokio::test]
async fn a_group_dismissed_unseen_shows_as_dismissed_and_is_not_read_again() {
    let app = app_missing_callbacks(50).await;
    let zhangwei = app.login("zhangwei").await;
    let chat = order_with_group(&app, &zhangwei, "DD-R3", &["wmDemo0000"]).await;
    assert_eq!(
        app.order_as(&zhangwei, "DD-R3").await["group"]["dismissedAt"],
        Value::Null
    );
    let before = desk_server::clock::now_secs();

    sim_change(
        &app.sim,
        Method::POST,
        &format!("/sim/groups/{chat}/dismiss"),
        json!({}),
    )
    .await;
    let dismissed = eventually("the group shown as dismissed", 10, || async {
        app.order_as(&zhangwei, "DD-R3").await["group"]["dismissedAt"].as_i64()
    })
    .await;
    assert!(dismissed >= before, "{dismissed} < {before}");
    let order = app.order_as(&zhangwei, "DD-R3").await;
    assert_eq!(order["group"]["chatId"], chat.as_str(), "still the order's");

    let reads = app.sim.calls("externalcontact/groupchat/get").await;
    app.worker_looked("groups.resync").await;
    assert_eq!(
        app.sim.calls("externalcontact/groupchat/get").await,
        reads,
        "a dismissed group is not asked about again"
    );
}

#[tokio::test]
async fn a_round_paces_its_reads_even_with_two_instances() {
    let sim = spawn_simulator().await;
    let apps = spawn_instances_with(&sim, 2, resync_every_second(100)).await;
    sim.set_callback_url("").await;
    let app = &apps[0];
    let zhangwei = app.login("zhangwei").await;
    for i in 0..5 {
        order_with_group(app, &zhangwei, &format!("DD-P{i}"), &["wmDemo0000"]).await;
    }
    let r = sim
        .http
        .delete(format!("{}/sim/stats", sim.url))
        .send()
        .await
        .expect("reset");
    assert!(r.status().is_success());

    let reads = eventually("two rounds of five reads", 15, || async {
        let t = group_reads(&sim).await;
        (t.len() >= 10).then_some(t)
    })
    .await;
    assert!(
        reads[4] - reads[0] >= 400,
        "five reads spread over {} ms: {reads:?}",
        reads[4] - reads[0]
    );
    let gaps: Vec<i64> = reads.windows(2).map(|w| w[1] - w[0]).collect();
    assert!(
        gaps.iter().all(|g| *g >= 80),
        "no two reads closer than the pace, whichever instance made them: {gaps:?}"
    );
}

#[tokio::test]
async fn a_group_that_keeps_failing_does_not_stop_the_others_and_is_tried_again() {
    let app = app_missing_callbacks(50).await;
    let zhangwei = app.login("zhangwei").await;
    let mut chats = Vec::new();
    for id in ["DD-F0", "DD-F1", "DD-F2"] {
        chats.push(order_with_group(&app, &zhangwei, id, &["wmDemo0000"]).await);
    }
    // WeCom is busy for the middle group only, however often it is asked. After a
    // round or two it is the least recently read, so the first a round reads.
    app.sim
        .set_faults(json!({ "busyChatIds": [chats[1]] }))
        .await;
    app.worker_looked("groups.resync").await;
    for chat in &chats {
        sim_change(
            &app.sim,
            Method::POST,
            &format!("/sim/groups/{chat}/dismiss"),
            json!({}),
        )
        .await;
    }
    let dismissed = |id: &'static str| {
        let (app, zhangwei) = (&app, &zhangwei);
        async move { app.order_as(zhangwei, id).await["group"]["dismissedAt"].as_i64() }
    };
    eventually("the groups after the failing one re-read", 10, || async {
        (dismissed("DD-F0").await.is_some() && dismissed("DD-F2").await.is_some()).then_some(())
    })
    .await;
    app.worker_looked("groups.resync").await;
    assert_eq!(dismissed("DD-F1").await, None, "its reads kept failing");

    app.sim.set_faults(json!({})).await;
    eventually(
        "the failed group read again in a later round",
        10,
        || async { dismissed("DD-F1").await },
    )
    .await;
}
