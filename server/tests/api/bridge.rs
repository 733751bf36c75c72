//! The messages bridge end to end: notifications through the outbox to the robot,
//! staff replies from the callback pipeline into conversations, events to the
//! business system, and the customer mirror kept by callbacks.

use std::time::{Duration, Instant};

use futures::future::join_all;
use hmac::{Hmac, Mac};
use reqwest::Method;
use serde_json::{json, Value};
use sha2::Sha256;

use crate::helpers::*;

const ROBOT_KEY: &str = "demo-robot-key-0001";

/// The config for the bridge: the demo robot (named `store`), fast retries, and the
/// events endpoint if given; `extra` TOML appended.
fn bridge_config(
    sim_url: &str,
    events: Option<&str>,
    extra: &str,
) -> impl FnOnce(String) -> String {
    let robot = format!("{sim_url}/cgi-bin/webhook/send?key={ROBOT_KEY}");
    let events = events.map(str::to_string);
    let extra = extra.to_string();
    move |mut c: String| {
        if let Some(url) = events {
            c = c.replace(
                "[integration]",
                &format!(
                    "[integration]\nevents_url = \"{url}\"\nevents_secret = \"{EVENTS_SECRET}\"\n"
                ),
            );
        }
        format!(
            "{c}\n[robot]\nwebhook_urls = {{ store = \"{robot}\" }}\n[outbox]\nretry_base_ms = 50\nretry_max_ms = 400\n{extra}\n"
        )
    }
}

async fn bridge_app(events: Option<&str>, extra: &str) -> TestApp {
    let sim = spawn_simulator().await;
    let edit = bridge_config(&sim.url, events, extra);
    spawn_app_with(sim, edit).await
}

async fn bind(app: &TestApp, staff: &str, userid: &str) -> reqwest::Response {
    app.v1(Method::PUT, &format!("/staff/{staff}"))
        .json(&json!({ "wecomUserId": userid }))
        .send()
        .await
        .expect("answer")
}

/// A notification, once the robot has posted it (a member can only answer what they
/// saw).
async fn notify_posted(app: &TestApp, body: Value) -> String {
    let before = app.sim.robot_texts().await.len();
    let id = app_notify_ok(app, body).await;
    eventually("the robot's post", 10, || async {
        (app.sim.robot_texts().await.len() > before).then_some(())
    })
    .await;
    id
}

/// The app messages `userid` got.
async fn app_messages_to(sim: &Sim, userid: &str) -> Vec<String> {
    sim.sent("message/send")
        .await
        .into_iter()
        .filter(|(to, _)| to.split('|').any(|u| u == userid))
        .map(|(_, b)| {
            b["text"]["content"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        })
        .collect()
}

async fn messages_of(app: &TestApp, conversation: &str) -> Vec<Value> {
    let r = app
        .v1(
            Method::GET,
            &format!("/conversations/{conversation}/messages"),
        )
        .send()
        .await
        .expect("answer");
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.expect("json");
    v["messages"].as_array().expect("messages").clone()
}

/// Waits until `userid` got `n` app messages; answers them.
async fn acks(sim: &Sim, userid: &str, n: usize) -> Vec<String> {
    eventually(&format!("{n} app messages to {userid}"), 10, || async {
        let got = app_messages_to(sim, userid).await;
        (got.len() >= n).then_some(got)
    })
    .await
}

fn verify(signature: &str, body: &str) -> bool {
    let Some((t, v1)) = signature
        .strip_prefix("t=")
        .and_then(|rest| rest.split_once(",v1="))
    else {
        return false;
    };
    let mut mac = Hmac::<Sha256>::new_from_slice(EVENTS_SECRET.as_bytes()).expect("key");
    mac.update(format!("{t}.{body}").as_bytes());
    hex::encode(mac.finalize().into_bytes()) == v1
}

#[tokio::test]
async fn a_reply_delivered_three_times_is_stored_once_with_one_event() {
    let (events, got) = events_receiver(0).await;
    let app = bridge_app(Some(&events), "").await;
    assert_eq!(bind(&app, "s-zw", "zhangwei").await.status(), 201);
    app_notify_ok(
        &app,
        json!({"conversationId": "c-1", "text": "王女士：明天几点到？", "staffId": "s-zw"}),
    )
    .await;
    let posted = eventually("the robot's message", 10, || async {
        let v = app.sim.sent("webhook/send").await;
        v.into_iter().next()
    })
    .await;
    assert_eq!(posted.1["text"]["mentioned_list"], json!(["zhangwei"]));
    let content = posted.1["text"]["content"].as_str().expect("text");
    assert!(
        content.starts_with("王女士：明天几点到？") && content.contains("#c-1"),
        "{content}"
    );

    let reply = text_message("zhangwei", "明天上午十点到", 4_561_255_354_251_345_929);
    for _ in 0..3 {
        assert_eq!(app.deliver(&reply).await.status(), 200);
    }
    let stored = eventually("the reply stored", 10, || async {
        let m = messages_of(&app, "c-1").await;
        (!m.is_empty()).then_some(m)
    })
    .await;
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0]["text"], "明天上午十点到");
    assert_eq!(stored[0]["staffId"], "s-zw");
    assert_eq!(stored[0]["wecomUserId"], "zhangwei");
    let ack = acks(&app.sim, "zhangwei", 1).await;
    assert!(ack[0].contains("已送达会话 #c-1"), "{ack:?}");
    eventually("the staff.replied event", 10, || async {
        (!got.lock().is_empty()).then_some(())
    })
    .await;
    app.worker_looked("callbacks").await;
    assert_eq!(messages_of(&app, "c-1").await.len(), 1, "still one message");
    assert_eq!(
        app_messages_to(&app.sim, "zhangwei").await.len(),
        1,
        "one app message"
    );
    let events = got.lock().clone();
    assert_eq!(events.len(), 1, "one event: {events:?}");
    let event: Value = serde_json::from_str(&events[0].1).expect("event json");
    assert_eq!(event["type"], "staff.replied");
    assert_eq!(event["data"]["conversationId"], "c-1");
    assert_eq!(event["data"]["text"], "明天上午十点到");
    assert_eq!(event["data"]["messageId"], stored[0]["id"]);
    assert!(
        verify(&events[0].0, &events[0].1),
        "signed with events_secret"
    );
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM callback_inbox WHERE dedup_key = 'msg:4561255354251345929'"
        )
        .await,
        1
    );
}

#[tokio::test]
async fn replies_go_by_hash_or_to_the_last_notified_conversation_and_members_hear_why_not() {
    let app = bridge_app(None, "").await;
    // Not bound.
    app.deliver(&text_message("lina", "你好", 1)).await;
    let told = acks(&app.sim, "lina", 1).await;
    assert!(told[0].contains("还没有绑定"), "{told:?}");
    // Bound, but never notified.
    assert_eq!(bind(&app, "s-zw", "zhangwei").await.status(), 201);
    app.deliver(&text_message("zhangwei", "你好", 2)).await;
    let told = acks(&app.sim, "zhangwei", 1).await;
    assert!(told[0].contains("还没有可以回复的会话"), "{told:?}");

    notify_posted(
        &app,
        json!({"conversationId": "c-a", "text": "客户A的消息"}),
    )
    .await;
    notify_posted(
        &app,
        json!({"conversationId": "c-b", "text": "客户B的消息", "staffId": "s-zw"}),
    )
    .await;
    assert_eq!(bind(&app, "s-li", "lina").await.status(), 201);
    notify_posted(
        &app,
        json!({"conversationId": "c-li", "text": "李娜的客户", "staffId": "s-li"}),
    )
    .await;
    // No hash: the last conversation posted for zhangwei (c-b; c-a named nobody).
    app.deliver(&text_message("zhangwei", "B 的回复", 3)).await;
    acks(&app.sim, "zhangwei", 2).await;
    // A hash: that conversation (posted for nobody in particular), the rest as the text.
    app.deliver(&text_message("zhangwei", "#c-a A 的回复", 4))
        .await;
    acks(&app.sim, "zhangwei", 3).await;
    // A hash naming no conversation, or one posted for a colleague: refused alike.
    app.deliver(&text_message("zhangwei", "#c-zzz 发错了", 5))
        .await;
    app.deliver(&text_message("zhangwei", "#c-li 插一句", 6))
        .await;
    let told = acks(&app.sim, "zhangwei", 5).await;
    assert!(told[1].contains("已送达会话 #c-b"), "{told:?}");
    assert!(told[2].contains("已送达会话 #c-a"), "{told:?}");
    for refused in ["#c-zzz", "#c-li"] {
        assert!(
            told[3..]
                .iter()
                .any(|t| t.contains(&format!("没有你能回复的会话 {refused}"))),
            "{told:?}"
        );
    }
    assert!(messages_of(&app, "c-li").await.is_empty());
    let b = messages_of(&app, "c-b").await;
    let a = messages_of(&app, "c-a").await;
    assert_eq!((b.len(), a.len()), (1, 1));
    assert_eq!(b[0]["text"], "B 的回复");
    assert_eq!(a[0]["text"], "A 的回复");
    // Paging: nothing after the last one.
    let r = app
        .v1(
            Method::GET,
            &format!("/conversations/c-a/messages?after={}", a[0]["id"]),
        )
        .send()
        .await
        .expect("answer");
    let v: Value = r.json().await.expect("json");
    assert_eq!(v["messages"], json!([]));
    let r = app
        .v1(Method::GET, "/conversations/c-a/messages?after=abc")
        .send()
        .await
        .expect("answer");
    assert_eq!(r.status(), 400);
}

#[tokio::test]
async fn notifications_are_checked_at_the_door_and_their_state_is_readable() {
    let app = bridge_app(None, "").await;
    let r = app
        .http
        .post(format!("{}/api/v1/notifications", app.address))
        .json(&json!({"conversationId": "c1", "text": "hi"}))
        .send()
        .await
        .expect("answer");
    assert_eq!(r.status(), 401);
    let cases = [
        (
            json!({"conversationId": "有 空格", "text": "hi"}),
            "invalid_field",
            "conversationId",
        ),
        (
            json!({"conversationId": "c1", "text": "  "}),
            "invalid_field",
            "text",
        ),
        (
            json!({"conversationId": "c1", "text": "字".repeat(700)}),
            "invalid_field",
            "text",
        ),
        (
            json!({"conversationId": "c1", "text": "hi", "robot": "nope"}),
            "unknown_robot",
            "store",
        ),
        (
            json!({"conversationId": "c1", "text": "hi", "staffId": "s-9"}),
            "unknown_staff",
            "s-9",
        ),
        (json!({"conversationId": "c1", "txt": "hi"}), "bad_json", ""),
    ];
    for (body, code, named) in cases {
        let r = app.notify(body.clone()).await;
        assert_eq!(r.status(), 400, "{body}");
        let e = error_body(r).await;
        assert_eq!(e.code, code, "{body}");
        assert!(e.message.contains(named), "{body}: {}", e.message);
    }
    assert!(
        app.sim.robot_texts().await.is_empty(),
        "nothing refused was sent"
    );

    let id = app_notify_ok(
        &app,
        json!({"conversationId": "c1", "text": "最长也放得下", "robot": "store"}),
    )
    .await;
    let state = eventually("the notification sent", 10, || async {
        let v = app.notification(&id).await;
        (v["status"] == "sent").then_some(v)
    })
    .await;
    assert_eq!(state["attempts"], 1);
    assert!(state["sentAt"].as_i64().expect("sentAt") > 1_700_000_000);
    assert_eq!(state["lastError"], Value::Null);
    let r = app
        .v1(Method::GET, "/notifications/ntf_nope")
        .send()
        .await
        .expect("answer");
    assert_eq!(r.status(), 404);

    // The same Idempotency-Key twice: one notification.
    let twice = |key: &'static str| {
        app.v1(Method::POST, "/notifications")
            .header("Idempotency-Key", key)
            .json(&json!({"conversationId": "c2", "text": "只发一次"}))
            .send()
    };
    let first: Value = twice("k-1")
        .await
        .expect("answer")
        .json()
        .await
        .expect("json");
    let second: Value = twice("k-1")
        .await
        .expect("answer")
        .json()
        .await
        .expect("json");
    assert_eq!(first["id"], second["id"]);
    // The same key for another notification: refused, not silently dropped.
    let r = app
        .v1(Method::POST, "/notifications")
        .header("Idempotency-Key", "k-1")
        .json(&json!({"conversationId": "c2", "text": "另一条"}))
        .send()
        .await
        .expect("answer");
    assert_eq!(r.status(), 409);
    assert_eq!(error_body(r).await.code, "idempotency_key_reused");
    eventually("the second text posted", 10, || async {
        let t = app.sim.robot_texts().await;
        (t.len() >= 2).then_some(())
    })
    .await;
    app.worker_looked("outbox").await;
    let texts = app.sim.robot_texts().await;
    assert_eq!(
        texts.iter().filter(|t| t.starts_with("只发一次")).count(),
        1,
        "{texts:?}"
    );
}

#[tokio::test]
async fn staff_bindings_are_checked_with_wecom_and_one_member_is_one_staff_id() {
    let app = bridge_app(None, "").await;
    let r = bind(&app, "s-1", "nobody-here").await;
    assert_eq!(r.status(), 400);
    assert_eq!(error_body(r).await.code, "unknown_member");
    let r = bind(&app, "s-1", "zhangwei").await;
    assert_eq!(r.status(), 201);
    let b: Value = r.json().await.expect("json");
    assert_eq!(b["staffId"], "s-1");
    assert_eq!(b["wecomUserId"], "zhangwei");
    assert_eq!(bind(&app, "s-1", "zhangwei").await.status(), 200);
    let r = bind(&app, "s-2", "zhangwei").await;
    assert_eq!(r.status(), 409);
    assert_eq!(error_body(r).await.code, "member_already_bound");
    assert_eq!(bind(&app, "s-2", "lina").await.status(), 201);
    let list: Value = app
        .v1(Method::GET, "/staff")
        .send()
        .await
        .expect("answer")
        .json()
        .await
        .expect("json");
    let ids: Vec<&str> = list["staff"]
        .as_array()
        .expect("staff")
        .iter()
        .map(|s| s["staffId"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(ids, ["s-1", "s-2"]);
    let del = || app.v1(Method::DELETE, "/staff/s-1").send();
    assert_eq!(del().await.expect("answer").status(), 204);
    assert_eq!(del().await.expect("answer").status(), 404);
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM audit_log WHERE action IN ('staff.bound', 'staff.unbound')"
        )
        .await,
        4
    );
}

#[tokio::test]
async fn an_event_the_receiver_refuses_twice_is_delivered_once_accepted_with_the_same_id() {
    let (events, got) = events_receiver(2).await;
    let app = bridge_app(Some(&events), "").await;
    bind(&app, "s-zw", "zhangwei").await;
    notify_posted(
        &app,
        json!({"conversationId": "c-9", "text": "在吗", "staffId": "s-zw"}),
    )
    .await;
    app.deliver(&text_message("zhangwei", "在的", 77)).await;
    eventually("three tries of the event", 15, || async {
        (got.lock().len() >= 3).then_some(())
    })
    .await;
    app.worker_looked("outbox").await;
    let tries = got.lock().clone();
    assert_eq!(tries.len(), 3, "two refused, one accepted, none after");
    let ids: Vec<Value> = tries
        .iter()
        .map(|(_, body)| serde_json::from_str::<Value>(body).expect("json")["id"].clone())
        .collect();
    assert!(ids.iter().all(|id| *id == ids[0]), "{ids:?}");
    for (sig, body) in &tries {
        assert!(verify(sig, body), "{sig}");
        assert!(
            !verify(sig, &body.replace("在的", "不在")),
            "a changed body fails"
        );
    }
}

#[tokio::test]
async fn a_robot_answering_busy_and_5xx_still_gets_each_message_once() {
    let app = bridge_app(None, "").await;
    eventually("the warm-up done", 10, || async {
        (app.sim.calls("get_jsapi_ticket").await > 0).then_some(())
    })
    .await;
    app.sim
        .set_faults(json!({"busyNext": 3, "httpErrorNext": 2, "httpErrorStatus": 503}))
        .await;
    for i in 0..5 {
        app_notify_ok(
            &app,
            json!({"conversationId": format!("c-{i}"), "text": format!("第{i}条")}),
        )
        .await;
    }
    let texts = eventually("five robot messages", 20, || async {
        let t = app.sim.robot_texts().await;
        (t.len() >= 5).then_some(t)
    })
    .await;
    app.worker_looked("outbox").await;
    let texts_after = app.sim.robot_texts().await;
    assert_eq!(texts_after.len(), 5, "{texts:?}");
    for i in 0..5 {
        let prefix = format!("第{i}条");
        assert_eq!(
            texts_after
                .iter()
                .filter(|t| t.starts_with(&prefix))
                .count(),
            1
        );
    }
    assert_eq!(
        app.sim.calls("webhook/send").await,
        10,
        "five refused tries, five sent"
    );
}

#[tokio::test]
async fn a_notification_given_up_on_says_why_tells_the_website_and_an_admin_can_retry_it() {
    let (events, got) = events_receiver(0).await;
    let app = bridge_app(Some(&events), "max_attempts = 2").await;
    eventually("the warm-up done", 10, || async {
        (app.sim.calls("get_jsapi_ticket").await > 0).then_some(())
    })
    .await;
    app.sim.set_faults(json!({"busyNext": 1000})).await;
    let id = app_notify_ok(&app, json!({"conversationId": "c-f", "text": "会失败"})).await;
    let state = eventually("the notification failed", 10, || async {
        let v = app.notification(&id).await;
        (v["status"] == "failed").then_some(v)
    })
    .await;
    assert_eq!(state["attempts"], 2);
    assert!(
        state["lastError"].as_str().expect("why").contains("-1"),
        "{state}"
    );
    let failed = eventually("the notification.failed event", 10, || async {
        got.lock().first().cloned()
    })
    .await;
    let event: Value = serde_json::from_str(&failed.1).expect("json");
    assert_eq!(event["type"], "notification.failed");
    assert_eq!(event["data"]["notificationId"], id.as_str());
    assert_eq!(event["data"]["conversationId"], "c-f");

    app.sim.set_faults(json!({})).await;
    let retry = format!("/api/admin/outbox/{id}/retry");
    let member = app.login("zhangwei").await;
    let r = app.post_as(&member, &retry, &json!({})).await;
    assert_eq!(r.status(), 403);
    assert_eq!(error_body(r).await.code, "admin_only");
    let admin = app.login("wangqiang").await;
    // The console lists it among the failed, with why and what it said.
    let listed: desk_shared::admin::OutboxMessages = app
        .get_as(&admin, "/api/admin/messages?status=failed")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!((listed.total, listed.counts.failed), (1, 1));
    let shown = &listed.messages[0];
    assert_eq!(
        (shown.id.as_str(), shown.kind.as_str()),
        (id.as_str(), "robot")
    );
    assert!(shown.summary.starts_with("会失败"), "{shown:?}");
    assert!(
        shown
            .last_error
            .as_deref()
            .unwrap_or_default()
            .contains("-1"),
        "{shown:?}"
    );
    assert_eq!(app.post_as(&admin, &retry, &json!({})).await.status(), 204);
    eventually("sent after the retry", 10, || async {
        let t = app.sim.robot_texts().await;
        t.iter().any(|t| t.starts_with("会失败")).then_some(())
    })
    .await;
    let r = app.post_as(&admin, &retry, &json!({})).await;
    assert_eq!(r.status(), 409, "a sent message is not retried");
    assert_eq!(error_body(r).await.code, "not_failed");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'outbox.retried'")
            .await,
        1
    );
}

/// The customer 陈先生 (wmDemo…) lina does not follow yet, with the phone of an order
/// of hers.
const NEW_PHONE: &str = "13911112222";

async fn follow_in_sim(sim: &Sim, customer: &str, userid: &str, phone: &str) {
    let r = sim
        .http
        .post(format!("{}/sim/customers/{customer}/follow", sim.url))
        .json(&json!({"userid": userid, "remark": "新客户", "remark_mobiles": [phone]}))
        .send()
        .await
        .expect("follow");
    assert!(r.status().is_success(), "{}", r.status());
}

async fn candidates(app: &TestApp, session: &str, order: &str) -> Vec<Value> {
    let v: Value = app
        .get_as(session, &format!("/api/orders/{order}/candidates"))
        .await
        .json()
        .await
        .expect("json");
    v["candidates"].as_array().expect("candidates").clone()
}

#[tokio::test]
async fn a_customer_added_or_deleted_changes_that_one_row_of_the_mirror() {
    let app = bridge_app(None, "").await;
    let order = json!({"title": "测试单", "designerUserId": "lina", "projectManagerUserId": "zhangwei",
        "customerName": "新客户", "customerPhone": NEW_PHONE});
    assert!(app.put_order("DD-T1", &order).await.status().is_success());
    let lina = app.login("lina").await;
    assert!(candidates(&app, &lina, "DD-T1").await.is_empty());
    let batches = app.sim.calls("externalcontact/batch/get_by_user").await;
    assert!(batches > 0, "the first match mirrored lina's customers");

    // lina adds the customer in the client: WeCom calls back add_external_contact.
    follow_in_sim(&app.sim, "wmDemo0003", "lina", NEW_PHONE).await;
    let found = eventually("the new customer matched", 10, || async {
        let c = candidates(&app, &lina, "DD-T1").await;
        (!c.is_empty()).then_some(c)
    })
    .await;
    assert_eq!(found[0]["externalUserId"], "wmDemo0003");
    assert_eq!(
        app.sim.calls("externalcontact/batch/get_by_user").await,
        batches,
        "no refetch of lina's whole list"
    );

    // The customer deletes lina: del_follow_user.
    let r = app
        .sim
        .http
        .delete(format!(
            "{}/sim/customers/wmDemo0003/follow/lina?by=customer",
            app.sim.url
        ))
        .send()
        .await
        .expect("unfollow");
    assert!(r.status().is_success());
    eventually("the customer gone from the mirror", 10, || async {
        candidates(&app, &lina, "DD-T1")
            .await
            .is_empty()
            .then_some(())
    })
    .await;
    assert_eq!(
        app.sim.calls("externalcontact/batch/get_by_user").await,
        batches
    );
}

#[tokio::test]
async fn a_callback_whose_processing_fails_is_tried_again_and_processed() {
    let app = bridge_app(None, "").await;
    eventually("the warm-up done", 10, || async {
        (app.sim.calls("get_jsapi_ticket").await > 0).then_some(())
    })
    .await;
    // More busy answers than the client's own retries: the first tries fail.
    app.sim.set_faults(json!({"busyNext": 9})).await;
    let started = Instant::now();
    // lina adds the customer; WeCom's callback is answered before it is processed.
    follow_in_sim(&app.sim, "wmDemo0003", "lina", NEW_PHONE).await;
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "WeCom was answered before processing"
    );
    eventually("the customer mirrored", 15, || async {
        let n = app
            .count("SELECT COUNT(*) FROM customers WHERE owner_userid = 'lina' AND external_userid = 'wmDemo0003'")
            .await;
        (n == 1).then_some(())
    })
    .await;
    let attempts = app
        .count("SELECT attempts FROM callback_inbox WHERE event = 'change_external_contact'")
        .await;
    assert!(attempts >= 2, "{attempts} tries");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM callback_inbox WHERE processed_at IS NULL")
            .await,
        0
    );
}

#[tokio::test]
async fn a_recorded_group_follows_wecom_members_joining_leaving_and_the_dismissal() {
    let (events, got) = events_receiver(0).await;
    let app = bridge_app(Some(&events), "").await;
    let order = json!({"title": "王女士新房", "designerUserId": "zhangwei", "projectManagerUserId": "lina",
        "customerName": "王女士", "customerPhone": "13900000000"});
    assert!(app.put_order("DD-J1", &order).await.status().is_success());
    let zhangwei = app.login("zhangwei").await;
    let chat = app
        .make_customer_group("zhangwei", &["zhangwei", "lina"], &["wmDemo0000"])
        .await;
    let r = app
        .post_as(
            &zhangwei,
            "/api/orders/DD-J1/group",
            &json!({"chatId": chat, "groupName": "王女士新房服务群",
                    "externalUserIds": ["wmDemo0000"], "userIds": ["zhangwei", "lina"]}),
        )
        .await;
    assert_eq!(r.status(), 201);
    let g: Value = r.json().await.expect("json");
    assert_eq!(g["via"], "client");
    assert!(
        g["customerJoinedAt"].as_i64().is_some(),
        "the customer came in with the group"
    );
    let kinds = |got: &Received| -> Vec<Value> {
        got.lock()
            .iter()
            .map(|(_, b)| serde_json::from_str::<Value>(b).expect("json"))
            .collect()
    };
    let created = eventually("group.created", 10, || async {
        kinds(&got)
            .into_iter()
            .find(|e| e["type"] == "group.created")
    })
    .await;
    assert_eq!(created["data"]["orderId"], "DD-J1");
    assert_eq!(created["data"]["group"]["chatId"], chat.as_str());

    let sim_call = |method: Method, path: String, body: Value| {
        app.sim
            .http
            .request(method, format!("{}{path}", app.sim.url))
            .json(&body)
            .send()
    };
    let in_group = format!("SELECT COUNT(*) FROM order_group_customers WHERE chat_id = '{chat}'");
    let customers = || app.count(&in_group);
    // A second customer scans into the group.
    let r = sim_call(
        Method::POST,
        format!("/sim/groups/{chat}/members"),
        json!({"userid": "wmDemo0001", "type": 2, "joinScene": 3}),
    )
    .await
    .expect("join");
    assert!(r.status().is_success(), "{}", r.status());
    let joined = eventually("customer.joined", 10, || async {
        kinds(&got)
            .into_iter()
            .find(|e| e["type"] == "customer.joined")
    })
    .await;
    assert_eq!(joined["data"]["orderId"], "DD-J1");
    assert_eq!(joined["data"]["externalUserId"], "wmDemo0001");
    assert_eq!(joined["data"]["joinScene"], 3);
    eventually("both customers known", 10, || async {
        (customers().await == 2).then_some(())
    })
    .await;
    // They leave again.
    let r = sim_call(
        Method::DELETE,
        format!("/sim/groups/{chat}/members/wmDemo0001"),
        json!({}),
    )
    .await
    .expect("leave");
    assert!(r.status().is_success());
    eventually("one customer left", 10, || async {
        (customers().await == 1).then_some(())
    })
    .await;
    let r = sim_call(
        Method::POST,
        format!("/sim/groups/{chat}/dismiss"),
        json!({}),
    )
    .await
    .expect("dismiss");
    assert!(r.status().is_success());
    eventually("the group noted as dismissed", 10, || async {
        let n = app
            .count(&format!(
                "SELECT COUNT(*) FROM order_groups WHERE chat_id = '{chat}' AND dismissed_at IS NOT NULL"
            ))
            .await;
        (n == 1).then_some(())
    })
    .await;
    assert_eq!(
        kinds(&got)
            .iter()
            .filter(|e| e["type"] == "customer.joined")
            .count(),
        1,
        "one join, one event"
    );
}

#[tokio::test]
async fn a_reply_answers_what_the_member_had_seen_not_a_notification_still_waiting() {
    let app = bridge_app(None, "").await;
    assert_eq!(bind(&app, "s-zw", "zhangwei").await.status(), 201);
    notify_posted(
        &app,
        json!({"conversationId": "c-seen", "text": "看到了的", "staffId": "s-zw"}),
    )
    .await;
    // The robot has had its 20 messages this minute: the next notification waits.
    let db = app.db().await;
    for _ in 0..20 {
        sqlx::query("INSERT INTO robot_sends (robot, sent_at) VALUES ('store', $1)")
            .bind(desk_server::clock::now_millis())
            .execute(&db)
            .await
            .expect("fill the window");
    }
    app_notify_ok(
        &app,
        json!({"conversationId": "c-waiting", "text": "还没发出去的", "staffId": "s-zw"}),
    )
    .await;
    app.deliver(&text_message("zhangwei", "好的，收到", 808))
        .await;
    let told = acks(&app.sim, "zhangwei", 1).await;
    assert!(told[0].contains("已送达会话 #c-seen"), "{told:?}");
    assert_eq!(messages_of(&app, "c-seen").await.len(), 1);
    assert!(messages_of(&app, "c-waiting").await.is_empty());
    let staff: Value = app
        .v1(Method::GET, "/staff")
        .send()
        .await
        .expect("answer")
        .json()
        .await
        .expect("json");
    assert_eq!(staff["staff"][0]["lastConversationId"], "c-seen");
    assert_eq!(
        app.sim.robot_texts().await.len(),
        1,
        "the second still waits"
    );
}

#[tokio::test]
async fn two_hundred_deliveries_at_once_half_of_them_repeats_store_and_process_each_once() {
    // A hundred answers to one member in a second: WeCom drops past 30 messages a
    // minute to one member, so the outbox merges them (texts joined by a blank line).
    let sim = spawn_simulator().await;
    let edit = bridge_config(&sim.url, None, "");
    let app = spawn_app_with(sim, edit).await;
    let deliveries = (0..200u64).map(|i| {
        let plain = text_message("lina", &format!("第{}条", i % 100), 70_000 + i % 100);
        let app = &app;
        async move { app.deliver(&plain).await.status().as_u16() }
    });
    let statuses = join_all(deliveries).await;
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM callback_inbox WHERE dedup_key LIKE 'msg:7%'")
            .await,
        100
    );
    // lina is not bound: each message is answered once, telling her so, in at most
    // 30 messages (the rest merged into them).
    let texts = || async {
        app_messages_to(&app.sim, "lina")
            .await
            .iter()
            .map(|t| t.split("\n\n").count())
            .sum::<usize>()
    };
    eventually("100 answers to lina", 10, || async {
        (texts().await >= 100).then_some(())
    })
    .await;
    app.worker_looked("callbacks").await;
    app.worker_looked("outbox").await;
    assert_eq!(texts().await, 100);
    assert!(app_messages_to(&app.sim, "lina").await.len() <= 30);
}

/// SQLite only (one instance).
mod sqlite_only {
    use super::*;

    // Several instances share claims on PostgreSQL: a dead one's claim runs out after
    // the worker's CLAIM_MS (5 minutes); on SQLite (one instance) a restart takes it up
    // at once.
    #[tokio::test]
    #[ignore = "SQLite only: a restart takes up the dead process's claims at once (make unit runs it)"]
    async fn a_server_killed_after_answering_processes_the_callback_when_it_is_back() {
        require_sqlite();
        let sim = spawn_simulator().await;
        let dir = tempfile::tempdir().expect("dir");
        let db = fresh_database_url(dir.path()).await;
        let keep = tempfile::tempdir().expect("dir");
        let first = ServeProcess::start_on(&sim, keep, &db, |c| c).await;
        sim.set_callback_url(&format!("{}/wecom/callback", first.address))
            .await;
        sim.set_faults(json!({"latencyMs": 4000})).await;
        // Raised to the server, which answers at once and then waits on a slow WeCom.
        follow_in_sim(&sim, "wmDemo0003", "lina", NEW_PHONE).await;
        tokio::time::sleep(Duration::from_millis(500)).await;
        let status = std::process::Command::new("kill")
            .args(["-9", &first.pid.to_string()])
            .status()
            .expect("kill");
        assert!(status.success());
        drop(first);
        let pool = desk_server::db::connect(&db).await.expect("db");
        let (pending,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM callback_inbox WHERE processed_at IS NULL")
                .fetch_one(&pool)
                .await
                .expect("count");
        assert_eq!(pending, 1, "killed before it was processed");
        sim.set_faults(json!({})).await;
        let _second =
            ServeProcess::start_on(&sim, tempfile::tempdir().expect("dir"), &db, |c| c).await;
        eventually("processed by the restarted server", 15, || async {
            let (n,): (i64,) = sqlx::query_as(
                "SELECT COUNT(*) FROM customers WHERE owner_userid = 'lina' AND external_userid = 'wmDemo0003'",
            )
            .fetch_one(&pool)
            .await
            .expect("count");
            (n == 1).then_some(())
        })
        .await;
        drop(dir);
    }
}

/// Several instances: PostgreSQL only.
mod postgres_only {
    use super::*;

    #[tokio::test]
    #[ignore = "needs PostgreSQL: several instances (make unit runs it on its second pass)"]
    async fn the_same_message_delivered_to_two_instances_is_one_reply() {
        require_postgres();
        let sim = spawn_simulator().await;
        let robot = format!("{}/cgi-bin/webhook/send?key={ROBOT_KEY}", sim.url);
        let apps = spawn_instances_with(&sim, 2, |c| {
            format!("{c}\n[robot]\nwebhook_urls = [\"{robot}\"]\n")
        })
        .await;
        assert_eq!(bind(&apps[0], "s-zw", "zhangwei").await.status(), 201);
        notify_posted(
            &apps[1],
            json!({"conversationId": "c-2i", "text": "两台", "staffId": "s-zw"}),
        )
        .await;
        let reply = text_message("zhangwei", "收到", 31337);
        let (a, b) = tokio::join!(apps[0].deliver(&reply), apps[1].deliver(&reply));
        assert_eq!((a.status().as_u16(), b.status().as_u16()), (200, 200));
        eventually("the reply stored", 10, || async {
            (!messages_of(&apps[0], "c-2i").await.is_empty()).then_some(())
        })
        .await;
        acks(&sim, "zhangwei", 1).await;
        for app in &apps {
            app.worker_looked("callbacks").await;
            app.worker_looked("outbox").await;
        }
        assert_eq!(messages_of(&apps[1], "c-2i").await.len(), 1);
        assert_eq!(app_messages_to(&sim, "zhangwei").await.len(), 1);
    }
}
