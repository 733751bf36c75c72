//! Groups without the client flow: server-made staff chats, and join QR codes per order
//! from a pool of pre-built empty customer groups.

use std::collections::HashSet;

use futures::future::join_all;
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::*;

/// The demo fixture's empty customer groups, owned by wangqiang (an admin).
const POOL: [&str; 6] = [
    "wrPool0000",
    "wrPool0001",
    "wrPool0002",
    "wrPool0003",
    "wrPool0004",
    "wrPool0005",
];

async fn pool_app() -> TestApp {
    let sim = spawn_simulator().await;
    let robot = format!("{}/cgi-bin/webhook/send?key=demo-robot-key-0001", sim.url);
    spawn_app_with(sim, move |c| {
        format!(
            "{c}\n[robot]\nwebhook_urls = [\"{robot}\"]\n[pool]\nowner_userids = [\"wangqiang\"]\nlow_threshold = 3\n[outbox]\nretry_base_ms = 50\n"
        )
    })
    .await
}

async fn register(app: &TestApp, admin: &str, chats: &[&str]) -> Value {
    let r = app
        .post_as(admin, "/api/admin/pool", &json!({ "chatIds": chats }))
        .await;
    assert_eq!(r.status(), 200);
    r.json().await.expect("json")
}

async fn join_way(app: &TestApp, session: &str, order: &str) -> reqwest::Response {
    app.post_as(
        session,
        &format!("/api/orders/{order}/join-way"),
        &json!({}),
    )
    .await
}

/// `add_join_way` and `get_join_way` calls the simulator has seen.
async fn join_way_calls(sim: &Sim) -> (u64, u64) {
    (
        sim.calls("externalcontact/groupchat/add_join_way").await,
        sim.calls("externalcontact/groupchat/get_join_way").await,
    )
}

/// App messages the admins got from the pool (its alerts).
async fn pool_alerts(sim: &Sim) -> Vec<String> {
    let v = sim.get_json("/sim/messages").await;
    v["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .filter(|m| m["via"] == "message/send" && m["to"] == "wangqiang")
        .map(|m| {
            m["body"]["text"]["content"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        })
        .filter(|t| t.contains("群池"))
        .collect()
}

#[tokio::test]
async fn twenty_concurrent_staff_chat_requests_make_one_chat_and_tell_its_members_once() {
    let app = pool_app().await;
    app.put_order_for("DD-S1").await;
    let zhangwei = app.login("zhangwei").await;
    let answers = join_all((0..20).map(|_| async {
        let r = app
            .post_as(&zhangwei, "/api/orders/DD-S1/appchat", &json!({}))
            .await;
        let status = r.status().as_u16();
        (status, r.json::<Value>().await.expect("json"))
    }))
    .await;
    let created = answers.iter().filter(|(s, _)| *s == 201).count();
    assert_eq!(created, 1, "{answers:?}");
    assert!(
        answers.iter().all(|(s, _)| *s == 201 || *s == 200),
        "{answers:?}"
    );
    let ids: HashSet<&str> = answers
        .iter()
        .map(|(_, v)| v["chatId"].as_str().expect("chatId"))
        .collect();
    assert_eq!(ids.len(), 1);
    let chat_id = ids.into_iter().next().expect("one").to_string();
    assert!(chat_id.len() <= 32 && chat_id.chars().all(|c| c.is_ascii_alphanumeric()));
    assert_eq!(app.sim.calls("appchat/create").await, 1);

    let order = app.order_as(&zhangwei, "DD-S1").await;
    assert_eq!(order["staffChat"]["chatId"], chat_id.as_str());
    let card = eventually("the app message to the members", 10, || async {
        let v = app.sim.get_json("/sim/messages").await;
        v["messages"]
            .as_array()
            .expect("messages")
            .iter()
            .find(|m| m["via"] == "message/send" && m["body"]["msgtype"] == "textcard")
            .cloned()
    })
    .await;
    assert_eq!(card["to"], "zhangwei|lina");
    assert!(card["body"]["textcard"]["url"]
        .as_str()
        .expect("url")
        .ends_with("/orders/DD-S1"));

    // A member not on the order.
    let chenjing = app.login("chenjing").await;
    let r = app
        .post_as(&chenjing, "/api/orders/DD-S1/appchat", &json!({}))
        .await;
    assert_eq!(r.status(), 403);
    // A misspelt field is an error, not ignored.
    let r = app
        .post_as(
            &zhangwei,
            "/api/orders/DD-S1/appchat",
            &json!({"extraUserId": ["x"]}),
        )
        .await;
    assert_eq!(r.status(), 400);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'staff_chat.created'")
            .await,
        1
    );
}

#[tokio::test]
async fn a_join_way_is_reused_as_stored_asked_for_again_or_made() {
    let app = pool_app().await;
    let admin = app.login("wangqiang").await;
    register(&app, &admin, &POOL).await;
    app.put_order_for("DD-Q1").await;
    let zhangwei = app.login("zhangwei").await;

    // Neither stored: made.
    let r = join_way(&app, &zhangwei, "DD-Q1").await;
    assert_eq!(r.status(), 201);
    let made: Value = r.json().await.expect("json");
    let qr = made["qrCode"].as_str().expect("qrCode").to_string();
    assert!(POOL.contains(&made["chatId"].as_str().expect("chatId")));
    assert_eq!(join_way_calls(&app.sim).await, (1, 1));
    // The QR code is a real image, a PNG as WeCom's are JPG or PNG.
    let image = app.sim.http.get(&qr).send().await.expect("qr");
    assert_eq!(image.status(), 200);
    assert_eq!(header(&image, "content-type"), "image/png");
    assert!(image
        .bytes()
        .await
        .expect("png")
        .starts_with(b"\x89PNG\r\n\x1a\n"));

    // Stored: answered with no WeCom call.
    let r = join_way(&app, &zhangwei, "DD-Q1").await;
    assert_eq!(r.status(), 200);
    let again: Value = r.json().await.expect("json");
    assert_eq!(again, made);
    assert_eq!(join_way_calls(&app.sim).await, (1, 1));

    // Only the config id (the QR code was lost): asked for, not made again.
    sqlx::query("UPDATE join_ways SET qr_code = NULL WHERE order_id = 'DD-Q1'")
        .execute(&app.db().await)
        .await
        .expect("forget the qr");
    let r = join_way(&app, &zhangwei, "DD-Q1").await;
    assert!(r.status().is_success());
    let asked: Value = r.json().await.expect("json");
    assert_eq!(asked["configId"], made["configId"]);
    assert_eq!(join_way_calls(&app.sim).await, (1, 2));

    // The order shows its group (via the join way) and its QR code.
    let order = app.order_as(&zhangwei, "DD-Q1").await;
    assert_eq!(order["group"]["via"], "join_way");
    assert_eq!(order["group"]["chatId"], made["chatId"]);
    assert_eq!(order["group"]["customerJoinedAt"], Value::Null);
    assert_eq!(order["joinWay"]["qrCode"], made["qrCode"]);
    let chenjing = app.login("chenjing").await;
    assert_eq!(join_way(&app, &chenjing, "DD-Q1").await.status(), 403);
}

#[tokio::test]
async fn concurrent_join_way_requests_make_one_and_two_orders_never_share_a_group() {
    let app = pool_app().await;
    let admin = app.login("wangqiang").await;
    register(&app, &admin, &POOL).await;
    for id in ["DD-C1", "DD-C2", "DD-C3"] {
        app.put_order_for(id).await;
    }
    let zhangwei = app.login("zhangwei").await;
    let answers = join_all((0..20).map(|_| async {
        let r = join_way(&app, &zhangwei, "DD-C1").await;
        (r.status().as_u16(), r.json::<Value>().await.expect("json"))
    }))
    .await;
    assert_eq!(
        answers.iter().filter(|(s, _)| *s == 201).count(),
        1,
        "{answers:?}"
    );
    let chats: HashSet<String> = answers
        .iter()
        .map(|(_, v)| v["chatId"].as_str().expect("chatId").to_string())
        .collect();
    assert_eq!(chats.len(), 1);
    assert_eq!(
        app.sim
            .calls("externalcontact/groupchat/add_join_way")
            .await,
        1
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM pool_groups WHERE order_id IS NOT NULL")
            .await,
        1
    );
    let (two, three) = tokio::join!(
        join_way(&app, &zhangwei, "DD-C2"),
        join_way(&app, &zhangwei, "DD-C3")
    );
    let mut all: Vec<String> = chats.into_iter().collect();
    for r in [two, three] {
        assert_eq!(r.status(), 201);
        let v: Value = r.json().await.expect("json");
        all.push(v["chatId"].as_str().expect("chatId").to_string());
    }
    let distinct: HashSet<&String> = all.iter().collect();
    assert_eq!(distinct.len(), 3, "one group per order: {all:?}");
}

#[tokio::test]
async fn an_empty_pool_is_a_409_and_one_alert_and_a_low_pool_is_told_once_per_crossing() {
    let app = pool_app().await;
    for id in ["DD-E1", "DD-E2", "DD-E3", "DD-E4", "DD-E5", "DD-E6"] {
        app.put_order_for(id).await;
    }
    let zhangwei = app.login("zhangwei").await;
    for _ in 0..2 {
        let r = join_way(&app, &zhangwei, "DD-E1").await;
        assert_eq!(r.status(), 409);
        let e = error_body(r).await;
        assert_eq!(e.code, "pool_empty");
        assert!(e.message.contains("已通知管理员"), "{}", e.message);
    }
    let alerts = eventually("the admins told", 10, || async {
        let a = pool_alerts(&app.sim).await;
        (!a.is_empty()).then_some(a)
    })
    .await;
    assert!(alerts[0].contains("群池已空"), "{alerts:?}");

    // Four groups: the threshold is 3, so the second taken crosses it.
    let admin = app.login("wangqiang").await;
    let added = register(&app, &admin, &POOL[..4]).await;
    assert_eq!(added["free"], 4);
    for id in ["DD-E1", "DD-E2", "DD-E3"] {
        assert_eq!(join_way(&app, &zhangwei, id).await.status(), 201);
    }
    let alerts = eventually("the low alert", 10, || async {
        let a = pool_alerts(&app.sim).await;
        (a.len() >= 2).then_some(a)
    })
    .await;
    assert!(alerts[1].contains("只剩 2 个"), "{alerts:?}");
    // Still low after the third (1 free): no second alert for the same crossing.
    app.worker_looked("outbox").await;
    assert_eq!(pool_alerts(&app.sim).await.len(), 2);
    // Topped up to 3, then down again: a second crossing, one more alert.
    register(&app, &admin, &POOL[4..]).await;
    for id in ["DD-E4", "DD-E5"] {
        assert_eq!(join_way(&app, &zhangwei, id).await.status(), 201);
    }
    let alerts = eventually("the second crossing's alert", 10, || async {
        let a = pool_alerts(&app.sim).await;
        (a.len() >= 3).then_some(a)
    })
    .await;
    app.worker_looked("outbox").await;
    assert_eq!(pool_alerts(&app.sim).await.len(), 3, "{alerts:?}");
    assert!(alerts[2].contains("只剩 2 个"), "{alerts:?}");
}

#[tokio::test]
async fn a_customer_scanning_the_code_joins_the_orders_group_and_closing_deletes_the_way() {
    let app = pool_app().await;
    let admin = app.login("wangqiang").await;
    register(&app, &admin, &POOL).await;
    app.put_order_for("DD-J2").await;
    let zhangwei = app.login("zhangwei").await;
    let way: Value = join_way(&app, &zhangwei, "DD-J2")
        .await
        .json()
        .await
        .expect("json");
    let config = way["configId"].as_str().expect("configId");
    let chat = way["chatId"].as_str().expect("chatId");

    // Someone added by invitation (no state) is not the order's customer.
    let r = app
        .sim
        .http
        .post(format!("{}/sim/groups/{chat}/members", app.sim.url))
        .json(&json!({"userid": "wmDemo0002", "type": 2}))
        .send()
        .await
        .expect("invite");
    assert!(r.status().is_success());
    // The customer scans the order's code.
    let r = app
        .sim
        .http
        .post(format!("{}/sim/join-ways/{config}/scan", app.sim.url))
        .json(&json!({"externalUserId": "wmDemo0000"}))
        .send()
        .await
        .expect("scan");
    assert!(r.status().is_success(), "{}", r.status());
    let joined = eventually("客户已进群", 10, || async {
        let order: Value = app
            .get_as(&zhangwei, "/api/orders/DD-J2")
            .await
            .json()
            .await
            .ok()?;
        order["group"]["customerJoinedAt"].as_i64()
    })
    .await;
    assert!(joined > 1_700_000_000);

    // Closed: the way is deleted at WeCom, the group stays the order's.
    let closed = json!({"title": "DD-J2 新房装修", "designerUserId": "zhangwei",
        "projectManagerUserId": "lina", "customerName": "王女士", "customerPhone": "13900000000",
        "status": "closed"});
    let r = app.put_order("DD-J2", &closed).await;
    assert_eq!(r.status(), 200);
    let order: Value = r.json().await.expect("json");
    assert_eq!(order["status"], "closed");
    assert_eq!(order["joinWay"], Value::Null);
    assert_eq!(order["group"]["chatId"], chat);
    assert_eq!(
        app.sim
            .calls("externalcontact/groupchat/del_join_way")
            .await,
        1
    );
    let r = join_way(&app, &zhangwei, "DD-J2").await;
    assert_eq!(r.status(), 409);
    assert_eq!(error_body(r).await.code, "order_closed");
    let bad = json!({"title": "x", "designerUserId": "zhangwei", "projectManagerUserId": "lina",
        "customerName": "王女士", "customerPhone": "13900000000", "status": "archived"});
    assert_eq!(app.put_order("DD-J2", &bad).await.status(), 400);
}

#[tokio::test]
async fn only_empty_customer_groups_enter_the_pool_and_only_admins_manage_it() {
    let app = pool_app().await;
    let member = app.login("zhangwei").await;
    for (method, path) in [
        (Method::GET, "/api/admin/pool"),
        (Method::POST, "/api/admin/pool"),
        (Method::POST, "/api/admin/pool/discover"),
    ] {
        let r = app
            .http
            .request(method.clone(), format!("{}{path}", app.address))
            .header("cookie", &member)
            .json(&json!({"chatIds": ["wrPool0000"]}))
            .send()
            .await
            .expect("answer");
        assert_eq!(r.status(), 403, "{method} {path}");
        assert_eq!(error_body(r).await.code, "admin_only");
        let r = app
            .http
            .request(method.clone(), format!("{}{path}", app.address))
            .json(&json!({"chatIds": ["wrPool0000"]}))
            .send()
            .await
            .expect("answer");
        assert_eq!(r.status(), 401, "{method} {path} without a session");
    }
    let admin = app.login("wangqiang").await;
    let v = register(
        &app,
        &admin,
        &["wrPool0000", "wrDemoWang0001", "wrNoSuchChat", "wrPool0000"],
    )
    .await;
    let results = v["results"].as_array().expect("results");
    assert_eq!(results[0]["added"], true);
    assert_eq!(results[1]["added"], false, "a group with a customer");
    assert!(results[1]["reason"]
        .as_str()
        .expect("why")
        .contains("已经有客户"));
    assert_eq!(results[2]["added"], false);
    assert_eq!(results[3]["added"], false, "twice");
    assert_eq!(v["free"], 1);
    // Discovery finds wangqiang's other empty groups.
    let r = app
        .post_as(&admin, "/api/admin/pool/discover", &json!({}))
        .await;
    assert_eq!(r.status(), 200);
    let found: Value = r.json().await.expect("json");
    assert_eq!(found["free"], POOL.len());
    let listed: Value = app
        .get_as(&admin, "/api/admin/pool")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(listed["free"], POOL.len());
    assert_eq!(listed["assigned"], 0);
    assert_eq!(listed["lowThreshold"], 3);
    assert_eq!(
        listed["groups"].as_array().expect("groups").len(),
        POOL.len()
    );
}
