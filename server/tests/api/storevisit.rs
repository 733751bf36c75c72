//! The store visit in one scan: an order's 「联系我」 code (`POST
//! /api/orders/{id}/contact-way`), a customer scanning it (the add event with the
//! code's `State` and a `WelcomeCode`), the welcome with the order group's join QR
//! code, and new orders announced to their designer and project manager.

use futures::future::join_all;
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::*;

const POOL: [&str; 2] = ["wrPool0000", "wrPool0001"];

/// A server whose pool has two free groups and whose events go to a receiver.
async fn visit_app() -> (TestApp, Received) {
    let (url, got) = events_receiver(0).await;
    let app = spawn_app_with(spawn_simulator().await, |c| {
        c.replace(
            "[integration]",
            &format!("[integration]\nevents_url = \"{url}\"\nevents_secret = \"{EVENTS_SECRET}\""),
        )
    })
    .await;
    let admin = app.login("wangqiang").await;
    let r = app
        .post_as(&admin, "/api/admin/pool", &json!({ "chatIds": POOL }))
        .await;
    assert_eq!(r.status(), 200);
    (app, got)
}

/// `POST /api/orders/{order}/contact-way` as the H5 sends it (no body).
async fn contact_way(app: &TestApp, session: &str, order: &str) -> reqwest::Response {
    app.send_as(
        Some(session),
        Method::POST,
        &format!("/api/orders/{order}/contact-way"),
        None,
    )
    .await
}

/// The order's code, made (201) or had (200).
async fn config_id_of(app: &TestApp, session: &str, order: &str) -> String {
    let r = contact_way(app, session, order).await;
    assert!(matches!(r.status().as_u16(), 200 | 201), "{}", r.status());
    let v: Value = r.json().await.expect("json");
    assert!(v["qrCode"].as_str().is_some_and(|q| !q.is_empty()));
    v["configId"].as_str().expect("configId").to_string()
}

/// A customer scans the code with the simulated WeChat: their id and welcome code.
async fn scan(sim: &Sim, config_id: &str, name: &str) -> (String, String) {
    let v: Value = sim
        .http
        .post(format!("{}/sim/contact-ways/{config_id}/scan", sim.url))
        .json(&json!({ "name": name }))
        .send()
        .await
        .expect("scan")
        .json()
        .await
        .expect("json");
    (
        v["externalUserId"]
            .as_str()
            .expect("externalUserId")
            .to_string(),
        v["welcomeCode"].as_str().expect("welcomeCode").to_string(),
    )
}

/// The welcomes the simulated customers received.
async fn welcomes(sim: &Sim) -> Vec<Value> {
    sim.get_json("/sim/welcomes")
        .await
        .as_array()
        .expect("welcomes")
        .clone()
}

/// The order once the scan is recorded on it.
async fn recorded(app: &TestApp, session: &str, order: &str) -> Value {
    eventually("the scan recorded on the order", 20, || async {
        let o = app.order_as(session, order).await;
        o["customerAddedAt"].is_i64().then_some(o)
    })
    .await
}

#[tokio::test]
async fn an_order_has_one_add_me_code_made_once_and_deleted_when_the_order_closes() {
    let app = spawn_app().await;
    app.put_order_for("DD-C1").await;
    let zhangwei = app.login("zhangwei").await;

    let answers = join_all((0..5).map(|_| contact_way(&app, &zhangwei, "DD-C1"))).await;
    let mut made = 0;
    let mut ids = std::collections::HashSet::new();
    for r in answers {
        made += usize::from(r.status() == 201);
        assert!(matches!(r.status().as_u16(), 200 | 201));
        let v: Value = r.json().await.expect("json");
        ids.insert(v["configId"].as_str().expect("configId").to_string());
    }
    assert_eq!((made, ids.len()), (1, 1), "one code, made once");
    assert_eq!(app.sim.calls("externalcontact/add_contact_way").await, 1);
    let order = app.order_as(&zhangwei, "DD-C1").await;
    assert_eq!(
        order["contactWay"]["configId"].as_str(),
        ids.iter().next().map(String::as_str)
    );
    assert!(order["customerAddedAt"].is_null());

    // Somebody not on the order gets nothing.
    let chenjing = app.login("chenjing").await;
    assert_eq!(contact_way(&app, &chenjing, "DD-C1").await.status(), 403);

    // Closing the order deletes the code at WeCom; no new one is made.
    let closed = json!({"title": "DD-C1 新房装修", "designerUserId": "zhangwei",
        "projectManagerUserId": "lina", "customerName": "王女士",
        "customerPhone": "13900000000", "status": "closed"});
    assert_eq!(app.put_order("DD-C1", &closed).await.status(), 200);
    assert_eq!(app.sim.calls("externalcontact/del_contact_way").await, 1);
    assert!(app.order_as(&zhangwei, "DD-C1").await["contactWay"].is_null());
    let r = contact_way(&app, &zhangwei, "DD-C1").await;
    assert_eq!(r.status(), 409);
    assert_eq!(
        error_body(r).await.code,
        desk_shared::ErrorCode::OrderClosed
    );
}

#[tokio::test]
async fn a_new_designer_gets_a_new_code_for_the_order() {
    let app = spawn_app().await;
    app.put_order_for("DD-C2").await;
    let lina = app.login("lina").await;
    let first = config_id_of(&app, &lina, "DD-C2").await;
    let moved = OrderFields {
        title: "DD-C2 新房装修",
        designer: "chenjing",
        ..Default::default()
    }
    .json();
    assert_eq!(app.put_order("DD-C2", &moved).await.status(), 200);
    assert_eq!(app.sim.calls("externalcontact/del_contact_way").await, 1);
    let second = config_id_of(&app, &lina, "DD-C2").await;
    assert_ne!(first, second);
    let way = app
        .sim
        .client()
        .contact_way(&second)
        .await
        .expect("get_contact_way");
    assert_eq!(way.settings.user, vec!["chenjing".to_string()]);
}

#[tokio::test]
async fn a_scan_records_the_customer_writes_the_phone_and_welcomes_once_with_the_join_qr_code() {
    let (app, events) = visit_app().await;
    app.put_order_for("DD-S1").await;
    let zhangwei = app.login("zhangwei").await;
    let config_id = config_id_of(&app, &zhangwei, "DD-S1").await;

    let (customer, _) = scan(&app.sim, &config_id, "到店客户甲").await;
    let order = recorded(&app, &zhangwei, "DD-S1").await;
    assert_eq!(order["welcomeNote"], "欢迎语已发送，含进群二维码");

    // One welcome, with the text filled from the order and the join QR code as an image.
    let sent = welcomes(&app.sim).await;
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0]["externalUserId"], customer.as_str());
    let text = sent[0]["text"].as_str().expect("text");
    assert!(
        text.contains("DD-S1 新房装修") && !text.contains('{'),
        "{text}"
    );
    let attachments = sent[0]["attachments"].as_array().expect("attachments");
    assert_eq!(attachments.len(), 1);
    assert_eq!(attachments[0]["msgtype"], "image");
    // The image is the order's group's join QR code, uploaded once.
    assert_eq!(app.sim.calls("media/upload").await, 1);
    assert!(order["group"]["chatId"]
        .as_str()
        .is_some_and(|c| POOL.contains(&c)));
    assert!(order["joinWay"]["qrCode"].is_string());

    // The order's phone is now in zhangwei's remark for the customer.
    let card = app
        .sim
        .client()
        .customer(&customer, "")
        .await
        .expect("customer");
    let mine = card
        .follow_user
        .iter()
        .find(|f| f.follow.userid == "zhangwei")
        .expect("zhangwei follows");
    assert!(mine
        .follow
        .remark_mobiles
        .contains(&"13900000000".to_string()));

    // The business system hears of it once.
    let added = eventually("customer.added sent", 20, || async {
        let e = events_of(&events, "customer.added");
        (!e.is_empty()).then_some(e)
    })
    .await;
    assert_eq!(added.len(), 1);
    assert_eq!(added[0]["orderId"], "DD-S1");
    assert_eq!(added[0]["externalUserId"], customer.as_str());
    assert_eq!(added[0]["welcomed"], true);

    // The same event delivered again changes nothing and sends nothing.
    let log = app.sim.get_json("/sim/callbacks").await;
    let plain = log["callbacks"]
        .as_array()
        .expect("callback log")
        .iter()
        .rev()
        .filter_map(|c| c["plaintext"].as_str())
        .find(|p| p.contains("add_external_contact") && p.contains(&customer))
        .expect("the add event in the simulator's log")
        .to_string();
    assert_eq!(app.deliver(&plain).await.status(), 200);
    assert_eq!(app.sim.calls("externalcontact/send_welcome_msg").await, 1);
    assert_eq!(welcomes(&app.sim).await.len(), 1);
}

#[tokio::test]
async fn a_scan_handled_later_than_20_seconds_sends_no_welcome_and_says_why() {
    let app = spawn_app().await;
    app.put_order_for("DD-S2").await;
    let zhangwei = app.login("zhangwei").await;
    let config_id = config_id_of(&app, &zhangwei, "DD-S2").await;

    // The event reaches the server 25 s after the scan.
    app.sim.set_callback_url("").await;
    let (customer, code) = scan(&app.sim, &config_id, "到店客户乙").await;
    let at = app.sim.get_json("/sim/clock").await["now"]
        .as_i64()
        .expect("sim clock");
    app.advance(25).await;
    let plain = add_event(
        "zhangwei",
        &customer,
        &state_of(&app, "DD-S2").await,
        &code,
        at,
    );
    assert_eq!(app.deliver(&plain).await.status(), 200);

    let order = recorded(&app, &zhangwei, "DD-S2").await;
    let note = order["welcomeNote"].as_str().expect("note");
    assert!(note.contains("20 秒") && note.contains("未发送"), "{note}");
    assert_eq!(app.sim.calls("externalcontact/send_welcome_msg").await, 0);
}

#[tokio::test]
async fn a_customer_who_chatted_first_is_not_welcomed_and_another_app_sending_is_tried_once_more() {
    let app = spawn_app().await;
    let zhangwei = app.login("zhangwei").await;
    for order in ["DD-S3", "DD-S4"] {
        app.put_order_for(order).await;
    }

    // 41051: the welcome went out elsewhere; never tried again.
    app.sim
        .set_faults(json!({ "welcomeErrcodes": [41051] }))
        .await;
    let config_id = config_id_of(&app, &zhangwei, "DD-S3").await;
    scan(&app.sim, &config_id, "到店客户丙").await;
    let order = recorded(&app, &zhangwei, "DD-S3").await;
    assert_eq!(
        order["welcomeNote"],
        "客户已开始聊天或已收到其他欢迎语，未发送欢迎语"
    );
    assert_eq!(app.sim.calls("externalcontact/send_welcome_msg").await, 1);

    // 41096: another app is sending; one more try goes through.
    app.sim
        .set_faults(json!({ "welcomeErrcodes": [41096] }))
        .await;
    let config_id = config_id_of(&app, &zhangwei, "DD-S4").await;
    let (customer, _) = scan(&app.sim, &config_id, "到店客户丁").await;
    let order = recorded(&app, &zhangwei, "DD-S4").await;
    assert_eq!(
        order["welcomeNote"],
        "欢迎语已发送（订单还没有群，未附进群二维码）"
    );
    assert_eq!(app.sim.calls("externalcontact/send_welcome_msg").await, 3);
    let sent = welcomes(&app.sim).await;
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0]["externalUserId"], customer.as_str());
}

#[tokio::test]
async fn an_add_event_with_a_state_no_order_has_or_for_another_member_is_only_a_new_contact() {
    let app = spawn_app().await;
    app.put_order_for("DD-S5").await;
    let zhangwei = app.login("zhangwei").await;
    let config_id = config_id_of(&app, &zhangwei, "DD-S5").await;
    app.sim.set_callback_url("").await;
    let (customer, code) = scan(&app.sim, &config_id, "到店客户戊").await;
    let at = app.sim.get_json("/sim/clock").await["now"]
        .as_i64()
        .expect("sim clock");
    let plain = add_event(
        "zhangwei",
        &customer,
        "c0123456789abcdef01234567",
        &code,
        at,
    );
    assert_eq!(app.deliver(&plain).await.status(), 200);
    // The order's own state, but another member added (a 获客链接 whose
    // customer_channel someone set to it): not the order's code.
    let state = state_of(&app, "DD-S5").await;
    let plain = add_event("lina", &customer, &state, &code, at);
    assert_eq!(app.deliver(&plain).await.status(), 200);
    eventually("the events processed", 20, || async {
        (app.count("SELECT COUNT(*) FROM callback_inbox WHERE processed_at IS NOT NULL")
            .await
            == 2)
            .then_some(())
    })
    .await;
    assert!(app.order_as(&zhangwei, "DD-S5").await["customerAddedAt"].is_null());
    assert_eq!(app.sim.calls("externalcontact/send_welcome_msg").await, 0);
    // The customer is zhangwei's contact in the mirror all the same.
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM customers WHERE external_userid = '{customer}'"
        ))
        .await,
        1
    );
}

#[tokio::test]
async fn a_new_order_is_announced_to_its_designer_and_project_manager_with_a_link() {
    let app = spawn_app_with(spawn_simulator().await, |c| {
        c.replace("announce_new_orders = false", "announce_new_orders = true")
    })
    .await;
    app.put_order_for("DD-N1").await;
    let cards = eventually("the announcement sent", 20, || async {
        let sent = app.sim.sent("message/send").await;
        (!sent.is_empty()).then_some(sent)
    })
    .await;
    assert_eq!(cards.len(), 1, "{cards:?}");
    let (to, body) = &cards[0];
    assert_eq!(to, "zhangwei|lina");
    assert_eq!(body["msgtype"], "textcard");
    assert!(body["textcard"]["title"]
        .as_str()
        .is_some_and(|t| t.contains("DD-N1 新房装修")));
    assert!(body["textcard"]["url"]
        .as_str()
        .is_some_and(|u| u.ends_with("/orders/DD-N1")));

    // Replacing the order announces nothing more.
    app.put_order_for("DD-N1").await;
    app.worker_looked("outbox").await;
    assert_eq!(app.sim.sent("message/send").await.len(), 1);
}

/// The `state` the order's code carries (random: only the database knows it).
async fn state_of(app: &TestApp, order: &str) -> String {
    sqlx::query_scalar("SELECT state FROM contact_ways WHERE order_id = $1")
        .bind(order)
        .fetch_one(&app.db().await)
        .await
        .expect("the order's code")
}

/// The plaintext of WeCom's add event for a scan of a code with `state`.
fn add_event(member: &str, customer: &str, state: &str, code: &str, at: i64) -> String {
    format!(
        "<xml><ToUserName><![CDATA[{CORP_ID}]]></ToUserName><FromUserName><![CDATA[sys]]></FromUserName><CreateTime>{at}</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[change_external_contact]]></Event><ChangeType><![CDATA[add_external_contact]]></ChangeType><UserID><![CDATA[{member}]]></UserID><ExternalUserID><![CDATA[{customer}]]></ExternalUserID><State><![CDATA[{state}]]></State><WelcomeCode><![CDATA[{code}]]></WelcomeCode></xml>"
    )
}

#[tokio::test]
async fn with_automation_a_new_order_has_its_code_without_anyone_asking() {
    let app = spawn_app_with(spawn_simulator().await, |c| {
        format!("{c}\ncontact_way_on_new_order = true\n")
    })
    .await;
    app.put_order_for("DD-A1").await;
    let zhangwei = app.login("zhangwei").await;
    let order = eventually("the new order's code", 20, || async {
        let o = app.order_as(&zhangwei, "DD-A1").await;
        o["contactWay"]["qrCode"].is_string().then_some(o)
    })
    .await;
    // The member asking later gets the same code.
    let config_id = config_id_of(&app, &zhangwei, "DD-A1").await;
    assert_eq!(order["contactWay"]["configId"], config_id.as_str());
    assert_eq!(app.sim.calls("externalcontact/add_contact_way").await, 1);
}
