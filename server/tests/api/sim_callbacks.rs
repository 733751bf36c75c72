//! The simulator raises WeCom's callbacks as WeCom does: encrypted and signed, the
//! same message again on no answer (three tries in all), from member texts, customer
//! and group changes. A receiver in the test decrypts what arrives.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{web, App, HttpResponse, HttpServer};
use desk_server::wecom::crypto::CallbackCrypto;
use desk_server::wecom::types::JoinWaySettings;
use serde_json::{json, Value};

use crate::helpers::*;

const WANG: &str = "wmDemo0000";

/// How the receiver answers one try.
#[derive(Clone, Copy)]
enum Answer {
    Status(u16),
    /// Never within any timeout a test sets.
    Hang,
}

/// One request that reached the receiver.
#[derive(Clone, Debug)]
struct Arrived {
    /// The decrypted message, or why it could not be decrypted.
    plaintext: Result<String, String>,
    envelope: String,
}

/// A callback URL on 127.0.0.1 that verifies, decrypts and records what arrives, and
/// answers the n-th request with `answers[n]` (then `then`).
struct Receiver {
    url: String,
    arrived: Arc<Mutex<Vec<Arrived>>>,
}

/// What the receiver holds: what arrived, and how to answer.
struct Script {
    arrived: Arc<Mutex<Vec<Arrived>>>,
    answers: Vec<Answer>,
    then: Answer,
}

/// Records the request, then answers it as the script says.
async fn receive(
    script: web::Data<Script>,
    q: web::Query<HashMap<String, String>>,
    body: String,
) -> HttpResponse {
    let n = {
        let mut got = script.arrived.lock().expect("lock");
        got.push(Arrived {
            plaintext: open(&q, &body),
            envelope: body,
        });
        got.len() - 1
    };
    match script.answers.get(n).copied().unwrap_or(script.then) {
        Answer::Status(s) => {
            HttpResponse::build(actix_web::http::StatusCode::from_u16(s).expect("status")).finish()
        }
        Answer::Hang => {
            tokio::time::sleep(Duration::from_secs(30)).await;
            HttpResponse::Ok().finish()
        }
    }
}

impl Receiver {
    async fn start(answers: Vec<Answer>, then: Answer) -> Self {
        let arrived = Arc::new(Mutex::new(Vec::new()));
        let script = web::Data::new(Script {
            arrived: arrived.clone(),
            answers,
            then,
        });
        let server = HttpServer::new(move || {
            App::new()
                .app_data(script.clone())
                .route("/cb", web::post().to(receive))
        })
        .workers(1)
        .bind("127.0.0.1:0")
        .expect("bind receiver");
        let port = server.addrs()[0].port();
        tokio::spawn(server.run());
        Self {
            url: format!("http://127.0.0.1:{port}/cb"),
            arrived,
        }
    }

    /// A receiver that answers every try 200.
    async fn ok() -> Self {
        Self::start(Vec::new(), Answer::Status(200)).await
    }

    fn arrived(&self) -> Vec<Arrived> {
        self.arrived.lock().expect("lock").clone()
    }

    /// The decrypted plaintexts so far.
    fn plaintexts(&self) -> Vec<String> {
        self.arrived()
            .into_iter()
            .map(|a| a.plaintext.expect("decrypts with the app's keys"))
            .collect()
    }

    /// Waits (up to 5 s) until `n` requests have arrived: for callbacks raised in the
    /// background.
    async fn wait_for(&self, n: usize) -> Vec<String> {
        for _ in 0..100 {
            if self.arrived().len() >= n {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        self.plaintexts()
    }
}

/// What the app does with a POST to its callback URL: verify, then decrypt.
fn open(q: &HashMap<String, String>, body: &str) -> Result<String, String> {
    let c = CallbackCrypto::new(CALLBACK_TOKEN.to_string().into(), CALLBACK_KEY, CORP_ID)
        .map_err(|e| e.to_string())?;
    let encrypt = tag(body, "Encrypt").ok_or("no Encrypt")?;
    let param = |n: &str| q.get(n).map(String::as_str).unwrap_or_default();
    c.open(
        param("msg_signature"),
        param("timestamp"),
        param("nonce"),
        &encrypt,
    )
    .map_err(|e| e.to_string())
}

/// The text of `<name>` in WeCom's flat XML, CDATA sections joined.
fn tag(xml: &str, name: &str) -> Option<String> {
    let start = xml.find(&format!("<{name}>"))? + name.len() + 2;
    let end = start + xml[start..].find(&format!("</{name}>"))?;
    let mut inner = &xml[start..end];
    if !inner.starts_with("<![CDATA[") {
        return Some(inner.to_string());
    }
    let mut text = String::new();
    while let Some(rest) = inner.strip_prefix("<![CDATA[") {
        let close = rest.find("]]>")?;
        text.push_str(&rest[..close]);
        inner = &rest[close + 3..];
    }
    Some(text)
}

async fn send(sim: &Sim, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
    let mut req = sim.http.request(method, format!("{}{path}", sim.url));
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req.send().await.expect("simulator answers");
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

async fn post(sim: &Sim, path: &str, body: Value) -> (u16, Value) {
    send(sim, reqwest::Method::POST, path, Some(body)).await
}

async fn delete(sim: &Sim, path: &str) -> (u16, Value) {
    send(sim, reqwest::Method::DELETE, path, None).await
}

/// Points the simulator's callbacks at `url`, with short pauses and timeouts.
async fn set_callback(sim: &Sim, url: &str, extra: Value) {
    let mut body = json!({ "url": url, "retryPauseMs": 20, "timeoutMs": 300 });
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        b.extend(e.clone());
    }
    let (status, v) = send(sim, reqwest::Method::PUT, "/sim/callback", Some(body)).await;
    assert_eq!(status, 200, "{v}");
}

async fn member_text(sim: &Sim, userid: &str, content: &str) -> (u16, Value) {
    post(
        sim,
        &format!("/sim/apps/{AGENT_ID}/messages"),
        json!({ "userid": userid, "content": content }),
    )
    .await
}

#[tokio::test]
async fn a_members_text_arrives_encrypted_with_the_fields_wecom_sends() {
    let sim = spawn_simulator().await;
    let receiver = Receiver::ok().await;
    set_callback(&sim, &receiver.url, json!({})).await;

    let content = "明天上午 ]]> 到店 <b>&</b>";
    let (status, answer) = member_text(&sim, "zhangwei", content).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["tries"], 1);
    assert_eq!(answer["delivered"], true);
    assert_eq!(answer["status"], "200");

    let arrived = receiver.arrived();
    assert_eq!(arrived.len(), 1);
    let envelope = &arrived[0].envelope;
    assert_eq!(tag(envelope, "ToUserName").as_deref(), Some(CORP_ID));
    assert_eq!(tag(envelope, "AgentID"), Some(AGENT_ID.to_string()));
    let xml = arrived[0].plaintext.clone().expect("decrypts");
    assert_eq!(tag(&xml, "ToUserName").as_deref(), Some(CORP_ID));
    assert_eq!(tag(&xml, "FromUserName").as_deref(), Some("zhangwei"));
    assert_eq!(tag(&xml, "MsgType").as_deref(), Some("text"));
    assert_eq!(tag(&xml, "Content").as_deref(), Some(content));
    assert_eq!(tag(&xml, "AgentID"), Some(AGENT_ID.to_string()));
    let msg_id = tag(&xml, "MsgId").expect("MsgId");
    assert!(msg_id.parse::<u64>().is_ok(), "numeric MsgId {msg_id}");
    assert_eq!(answer["msgId"], msg_id.as_str());
    let created: i64 = tag(&xml, "CreateTime")
        .and_then(|t| t.parse().ok())
        .expect("time");
    assert!((desk_server::clock::now_secs() - created).abs() < 60);

    let log = sim.get_json("/sim/callbacks").await;
    let last = &log["callbacks"][0];
    assert_eq!(last["kind"], "text");
    assert_eq!(last["plaintext"], xml.as_str());
    assert_eq!(last["delivered"], true);
}

#[tokio::test]
async fn a_receiver_failing_twice_gets_the_same_msgid_three_times() {
    let sim = spawn_simulator().await;
    let receiver = Receiver::start(
        vec![Answer::Status(500), Answer::Status(500)],
        Answer::Status(200),
    )
    .await;
    set_callback(&sim, &receiver.url, json!({})).await;

    let (_, answer) = member_text(&sim, "lina", "好的").await;
    assert_eq!(answer["tries"], 3, "{answer}");
    assert_eq!(answer["delivered"], true);
    assert_eq!(answer["status"], "200");
    let ids: Vec<String> = receiver
        .plaintexts()
        .iter()
        .map(|x| tag(x, "MsgId").expect("MsgId"))
        .collect();
    assert_eq!(ids.len(), 3);
    assert!(ids.iter().all(|i| *i == ids[0]), "{ids:?}");
    assert_eq!(answer["msgId"], ids[0].as_str());
}

#[tokio::test]
async fn a_receiver_that_never_answers_gets_exactly_three_tries() {
    let sim = spawn_simulator().await;
    let receiver = Receiver::start(Vec::new(), Answer::Hang).await;
    set_callback(&sim, &receiver.url, json!({ "timeoutMs": 200 })).await;

    let (_, answer) = member_text(&sim, "lina", "在吗").await;
    assert_eq!(answer["tries"], 3, "{answer}");
    assert_eq!(answer["delivered"], false);
    assert_eq!(answer["status"], "timeout");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(receiver.arrived().len(), 3, "no fourth try");

    let failing = Receiver::start(Vec::new(), Answer::Status(503)).await;
    set_callback(&sim, &failing.url, json!({})).await;
    let (_, answer) = member_text(&sim, "lina", "在吗").await;
    assert_eq!(answer["tries"], 3);
    assert_eq!(answer["status"], "503");
    assert_eq!(failing.arrived().len(), 3);
}

#[tokio::test]
async fn duplicates_send_one_message_again_even_when_it_was_answered() {
    let sim = spawn_simulator().await;
    let receiver = Receiver::ok().await;
    set_callback(&sim, &receiver.url, json!({ "duplicates": 2 })).await;

    let (_, answer) = member_text(&sim, "zhangwei", "收到").await;
    assert_eq!(answer["tries"], 1, "{answer}");
    assert_eq!(answer["resent"], 2);
    let ids: Vec<String> = receiver
        .plaintexts()
        .iter()
        .map(|x| tag(x, "MsgId").expect("MsgId"))
        .collect();
    assert_eq!(
        ids,
        vec![answer["msgId"].as_str().expect("id").to_string(); 3]
    );
    // Each one a new request, as a re-send is: only the message is the same.
    let envelopes: Vec<String> = receiver.arrived().into_iter().map(|a| a.envelope).collect();
    assert_ne!(envelopes[0], envelopes[1]);
}

#[tokio::test]
async fn the_server_stores_a_text_once_however_often_wecom_sends_it() {
    let sim = spawn_simulator().await;
    let app = spawn_app_on(sim.clone()).await;
    set_callback(
        &sim,
        &format!("{}/wecom/callback", app.address),
        json!({ "duplicates": 2 }),
    )
    .await;
    let (_, answer) = member_text(&sim, "zhangwei", "好的，明天见").await;
    assert_eq!(answer["delivered"], true, "{answer}");
    assert_eq!(answer["status"], "200");
    let key = format!("msg:{}", answer["msgId"].as_str().expect("id"));
    let n = app
        .count(&format!(
            "SELECT COUNT(*) FROM callback_inbox WHERE dedup_key = '{key}'"
        ))
        .await;
    assert_eq!(n, 1);
}

#[tokio::test]
async fn wrong_texts_are_refused_and_an_unset_url_only_logs() {
    let sim = spawn_simulator().await;
    let receiver = Receiver::ok().await;
    set_callback(&sim, &receiver.url, json!({})).await;
    for (path, body) in [
        (
            format!("/sim/apps/{AGENT_ID}/messages"),
            json!({"userid": "ghost", "content": "x"}),
        ),
        (
            "/sim/apps/42/messages".into(),
            json!({"userid": "lina", "content": "x"}),
        ),
        (
            "/sim/apps/nope/messages".into(),
            json!({"userid": "lina", "content": "x"}),
        ),
        (
            format!("/sim/apps/{AGENT_ID}/messages"),
            json!({"userid": "lina", "content": "  "}),
        ),
        (
            format!("/sim/apps/{AGENT_ID}/messages"),
            json!({"userid": 3}),
        ),
    ] {
        let (status, v) = post(&sim, &path, body).await;
        assert_eq!(status, 400, "{path}: {v}");
        assert!(v["error"].is_string(), "{v}");
    }
    assert!(receiver.arrived().is_empty());

    set_callback(&sim, "", json!({})).await;
    let (status, answer) = member_text(&sim, "lina", "x").await;
    assert_eq!(status, 200);
    assert_eq!(answer["status"], "not_configured");
    assert_eq!(answer["tries"], 0);
    let log = sim.get_json("/sim/callbacks").await;
    assert_eq!(log["callbacks"].as_array().map(Vec::len), Some(1));

    let (status, v) = send(
        &sim,
        reqwest::Method::PUT,
        "/sim/callback",
        Some(json!({"encodingAesKey": "short"})),
    )
    .await;
    assert_eq!(status, 400, "{v}");
}

#[tokio::test]
async fn adding_editing_and_deleting_customers_raise_their_change_types() {
    let sim = spawn_simulator().await;
    let receiver = Receiver::ok().await;
    set_callback(&sim, &receiver.url, json!({})).await;
    let follow =
        |state: Option<&str>| json!({"userid": "chenjing", "remark": "王女士", "state": state});

    let (status, v) = post(
        &sim,
        &format!("/sim/customers/{WANG}/follow"),
        follow(Some("order-7")),
    )
    .await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["callbacks"][0]["delivered"], true);
    let (status, _) = post(&sim, &format!("/sim/customers/{WANG}/follow"), follow(None)).await;
    assert_eq!(status, 200);
    let (status, _) = delete(
        &sim,
        &format!("/sim/customers/{WANG}/follow/chenjing?by=customer"),
    )
    .await;
    assert_eq!(status, 200);
    let (status, _) = delete(&sim, &format!("/sim/customers/{WANG}/follow/lina")).await;
    assert_eq!(status, 200);
    let (status, v) = post(
        &sim,
        "/sim/customers",
        json!({"name": "赵女士", "follow": [{"userid": "zhangwei", "remark": "赵女士 城西"}]}),
    )
    .await;
    assert_eq!(status, 200, "{v}");
    let new_id = v["externalUserId"].as_str().expect("id").to_string();

    let xml = receiver.plaintexts();
    let seen: Vec<(String, String, String)> = xml
        .iter()
        .map(|x| {
            assert_eq!(tag(x, "FromUserName").as_deref(), Some("sys"));
            assert_eq!(tag(x, "MsgType").as_deref(), Some("event"));
            assert_eq!(tag(x, "Event").as_deref(), Some("change_external_contact"));
            (
                tag(x, "ChangeType").unwrap_or_default(),
                tag(x, "UserID").unwrap_or_default(),
                tag(x, "ExternalUserID").unwrap_or_default(),
            )
        })
        .collect();
    let t = |c: &str, u: &str, e: &str| (c.to_string(), u.to_string(), e.to_string());
    assert_eq!(
        seen,
        vec![
            t("add_external_contact", "chenjing", WANG),
            t("edit_external_contact", "chenjing", WANG),
            t("del_follow_user", "chenjing", WANG),
            t("del_external_contact", "lina", WANG),
            t("add_external_contact", "zhangwei", &new_id),
        ]
    );
    assert_eq!(tag(&xml[0], "State").as_deref(), Some("order-7"));
    assert!(tag(&xml[0], "WelcomeCode").is_some_and(|c| !c.is_empty()));
    assert!(tag(&xml[1], "WelcomeCode").is_none(), "only an add has one");

    // WeCom's API sees what the client did.
    let client = sim.client();
    let wang = client.customer(WANG, "").await.expect("customer");
    let followers: Vec<&str> = wang
        .follow_user
        .iter()
        .map(|f| f.follow.userid.as_str())
        .collect();
    assert_eq!(followers, vec!["zhangwei"]);
    let new = client.customer(&new_id, "").await.expect("new customer");
    assert_eq!(new.external_contact.name, "赵女士");

    let (status, _) = delete(&sim, &format!("/sim/customers/{WANG}/follow/lina")).await;
    assert_eq!(status, 404, "lina follows no more");
    let (status, _) = delete(
        &sim,
        &format!("/sim/customers/{WANG}/follow/zhangwei?by=robot"),
    )
    .await;
    assert_eq!(status, 400);
    let (status, _) = post(
        &sim,
        "/sim/customers",
        json!({"name": "x", "follow": [{"userid": "ghost"}]}),
    )
    .await;
    assert_eq!(status, 400);
    let (status, _) = post(
        &sim,
        "/sim/customers",
        json!({"external_userid": WANG, "name": "x", "follow": [{"userid": "lina"}]}),
    )
    .await;
    assert_eq!(status, 409);
}

#[tokio::test]
async fn a_customer_scanning_a_join_qr_code_joins_with_scene_3_and_the_ways_state() {
    let sim = spawn_simulator().await;
    let receiver = Receiver::ok().await;
    set_callback(&sim, &receiver.url, json!({})).await;
    let client = sim.client();
    let config_id = client
        .add_join_way(&JoinWaySettings {
            scene: 2,
            chat_id_list: vec!["wrPool0001".into()],
            state: Some("DD-1001".into()),
            ..JoinWaySettings::default()
        })
        .await
        .expect("join way");

    let (status, v) = post(
        &sim,
        &format!("/sim/join-ways/{config_id}/scan"),
        json!({"externalUserId": WANG}),
    )
    .await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["chatId"], "wrPool0001");

    let xml = receiver.plaintexts();
    assert_eq!(xml.len(), 1);
    let x = &xml[0];
    assert_eq!(tag(x, "Event").as_deref(), Some("change_external_chat"));
    assert_eq!(tag(x, "ChatId").as_deref(), Some("wrPool0001"));
    assert_eq!(tag(x, "ChangeType").as_deref(), Some("update"));
    assert_eq!(tag(x, "UpdateDetail").as_deref(), Some("add_member"));
    assert_eq!(tag(x, "JoinScene").as_deref(), Some("3"));
    assert_eq!(tag(x, "MemChangeCnt").as_deref(), Some("1"));
    assert!(
        x.contains(&format!(
            "<MemChangeList><Item><![CDATA[{WANG}]]></Item></MemChangeList>"
        )),
        "{x}"
    );

    let g = client.group_chat("wrPool0001").await.expect("group");
    let wang = g
        .member_list
        .iter()
        .find(|m| m.userid == WANG)
        .expect("joined");
    assert_eq!((wang.kind, wang.join_scene), (2, 3));
    assert_eq!(wang.state.as_deref(), Some("DD-1001"));

    let (status, _) = post(
        &sim,
        &format!("/sim/join-ways/{config_id}/scan"),
        json!({"externalUserId": WANG}),
    )
    .await;
    assert_eq!(status, 409, "already in the group");
    for (path, who) in [
        ("/sim/join-ways/nope/scan".to_string(), WANG),
        (format!("/sim/join-ways/{config_id}/scan"), "wmNobody"),
    ] {
        let (status, v) = post(&sim, &path, json!({"externalUserId": who})).await;
        assert_eq!(status, 404, "{path} {who}: {v}");
    }
}

#[tokio::test]
async fn a_groups_life_raises_create_add_member_del_member_and_dismiss() {
    let sim = spawn_simulator().await;
    let receiver = Receiver::ok().await;
    set_callback(&sim, &receiver.url, json!({})).await;
    sim.client_login("zhangwei").await;
    let (_, made) = post(
        &sim,
        "/sim/client/enterprise-chat",
        json!({"groupName": "王女士-城南店装修服务群", "userIds": ["zhangwei", "lina"], "externalUserIds": [WANG]}),
    )
    .await;
    let chat = made["chatId"].as_str().expect("chat id").to_string();
    // The client answers at once; WeCom reports the new group on its own.
    let created = receiver.wait_for(1).await;
    assert_eq!(tag(&created[0], "ChatId").as_deref(), Some(chat.as_str()));
    assert_eq!(tag(&created[0], "ChangeType").as_deref(), Some("create"));
    assert_eq!(tag(&created[0], "UpdateDetail"), None);

    let (status, v) = post(
        &sim,
        &format!("/sim/groups/{chat}/members"),
        json!({"userid": "wmDemo0001", "type": 2}),
    )
    .await;
    assert_eq!(status, 200, "{v}");
    let (status, _) = delete(&sim, &format!("/sim/groups/{chat}/members/lina")).await;
    assert_eq!(status, 200);
    let (status, _) = post(&sim, &format!("/sim/groups/{chat}/dismiss"), json!({})).await;
    assert_eq!(status, 200);

    let xml = receiver.plaintexts();
    assert_eq!(xml.len(), 4);
    assert_eq!(tag(&xml[1], "UpdateDetail").as_deref(), Some("add_member"));
    assert_eq!(tag(&xml[1], "JoinScene").as_deref(), Some("0"));
    assert!(xml[1].contains("<Item><![CDATA[wmDemo0001]]></Item>"));
    assert_eq!(tag(&xml[2], "UpdateDetail").as_deref(), Some("del_member"));
    assert_eq!(tag(&xml[2], "QuitScene").as_deref(), Some("0"));
    assert!(xml[2].contains("<Item><![CDATA[lina]]></Item>"));
    assert_eq!(tag(&xml[3], "ChangeType").as_deref(), Some("dismiss"));
    assert_eq!(
        sim.client()
            .group_chat(&chat)
            .await
            .expect_err("gone")
            .errcode(),
        Some(40050)
    );

    let (status, _) = post(
        &sim,
        &format!("/sim/groups/{chat}/members"),
        json!({"userid": "lina"}),
    )
    .await;
    assert_eq!(status, 404, "no such group any more");
    let (status, _) = post(
        &sim,
        "/sim/groups/wrPool0000/members",
        json!({"userid": "wmNobody", "type": 2}),
    )
    .await;
    assert_eq!(status, 404);
    let (status, _) = delete(&sim, "/sim/groups/wrPool0000/members/wangqiang").await;
    assert_eq!(status, 400, "the owner cannot leave");
    let log = sim.get_json("/sim/callbacks").await;
    let kinds: Vec<&str> = log["callbacks"]
        .as_array()
        .expect("log")
        .iter()
        .filter_map(|r| r["changeType"].as_str())
        .collect();
    assert_eq!(kinds, vec!["create", "update", "update", "dismiss"]);
}

#[tokio::test]
async fn the_robot_and_member_pages_show_messages_escaped() {
    let sim = spawn_simulator().await;
    let receiver = Receiver::ok().await;
    set_callback(&sim, &receiver.url, json!({})).await;
    let evil = "<script>alert(1)</script>";
    let robot: Value = sim
        .http
        .post(format!("{}/cgi-bin/webhook/send?key=demo-robot-key-0001", sim.url))
        .json(&json!({"msgtype": "text", "text": {"content": format!("新订单 {evil}"), "mentioned_list": ["zhangwei"]}}))
        .send()
        .await
        .expect("robot")
        .json()
        .await
        .expect("json");
    assert_eq!(robot["errcode"], 0);
    sim.client()
        .send_app_message(
            &["zhangwei".into()],
            desk_server::wecom::types::MessageContent::Text {
                text: desk_server::wecom::types::Text {
                    content: format!("客户回复 {evil}"),
                },
            },
        )
        .await
        .expect("app message");
    let (_, answer) = member_text(&sim, "zhangwei", &format!("我来跟进 {evil}")).await;
    assert_eq!(answer["delivered"], true);

    for (path, shown) in [
        ("/sim/robots", vec!["城南店通知", "新订单", "@张伟"]),
        ("/sim/robots/feed", vec!["新订单"]),
        (
            "/sim/member?userid=zhangwei",
            vec!["客户回复", "我来跟进", "张伟"],
        ),
        (
            "/sim/member/feed?userid=zhangwei",
            vec!["客户回复", "我来跟进"],
        ),
    ] {
        let resp = sim
            .http
            .get(format!("{}{path}", sim.url))
            .send()
            .await
            .expect("page");
        assert_eq!(resp.status(), 200, "{path}");
        let html = resp.text().await.expect("html");
        for s in shown {
            assert!(html.contains(s), "{path} shows {s}");
        }
        assert!(!html.contains(evil), "{path} escapes");
        assert!(
            html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
            "{path}"
        );
    }
    let other = sim
        .page(&format!("{}/sim/member/feed?userid=lina", sim.url))
        .await;
    assert!(!other.contains("客户回复"), "only what zhangwei was sent");
}
