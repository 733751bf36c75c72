//! The simulator answers as WeCom does, strictly (raw HTTP, no client in between).

use desk_server::wecom::jssdk::sign;
use desk_server::wecom::types::*;
use serde_json::{json, Value};

use crate::helpers::*;

async fn token(sim: &Sim) -> String {
    let v: Value = sim
        .http
        .get(format!(
            "{}/cgi-bin/gettoken?corpid={CORP_ID}&corpsecret={SECRET}",
            sim.url
        ))
        .send()
        .await
        .expect("gettoken")
        .json()
        .await
        .expect("json");
    assert_eq!(v["errcode"], 0);
    let left = v["expires_in"].as_u64().expect("expires_in");
    assert!(
        (7190..=7200).contains(&left),
        "the remaining lifetime: {left}"
    );
    v["access_token"].as_str().expect("token").to_string()
}

async fn get(sim: &Sim, path_and_query: &str) -> Value {
    sim.http
        .get(format!("{}/cgi-bin/{path_and_query}", sim.url))
        .send()
        .await
        .expect("answer")
        .json()
        .await
        .expect("json")
}

async fn post(sim: &Sim, path: &str, token: &str, body: Value) -> Value {
    sim.http
        .post(format!("{}/cgi-bin/{path}?access_token={token}", sim.url))
        .json(&body)
        .send()
        .await
        .expect("answer")
        .json()
        .await
        .expect("json")
}

#[tokio::test]
async fn one_token_per_secret_while_it_is_valid() {
    let sim = spawn_simulator().await;
    assert_eq!(token(&sim).await, token(&sim).await);
    let bad = get(&sim, &format!("gettoken?corpid={CORP_ID}&corpsecret=nope")).await;
    assert_eq!(bad["errcode"], 40001);
    let bad = get(
        &sim,
        &format!("gettoken?corpid=wwother&corpsecret={SECRET}"),
    )
    .await;
    assert_eq!(bad["errcode"], 40013);
}

#[tokio::test]
async fn tokens_are_checked_missing_unknown_revoked() {
    let sim = spawn_simulator().await;
    assert_eq!(
        get(&sim, "user/get?userid=zhangwei").await["errcode"],
        41001
    );
    assert_eq!(
        get(&sim, "user/get?userid=zhangwei&access_token=made-up").await["errcode"],
        40014
    );
    let t = token(&sim).await;
    assert_eq!(
        get(&sim, &format!("user/get?userid=zhangwei&access_token={t}")).await["name"],
        "张伟"
    );
    sim.revoke_tokens().await;
    assert_eq!(
        get(&sim, &format!("user/get?userid=zhangwei&access_token={t}")).await["errcode"],
        40014
    );
    assert_ne!(token(&sim).await, t, "a new token after revocation");
}

#[tokio::test]
async fn the_wrong_http_method_is_refused() {
    let sim = spawn_simulator().await;
    let t = token(&sim).await;
    let v = get(
        &sim,
        &format!("externalcontact/batch/get_by_user?access_token={t}"),
    )
    .await;
    assert_eq!(v["errcode"], 43002);
    let v = post(&sim, "user/get", &t, json!({})).await;
    assert_eq!(v["errcode"], 43001);
}

#[tokio::test]
async fn limits_are_enforced() {
    let sim = spawn_simulator().await;
    let t = token(&sim).await;
    let v = post(
        &sim,
        "externalcontact/groupchat/list",
        &t,
        json!({"limit": 1001}),
    )
    .await;
    assert_eq!(v["errcode"], 40058);
    let v = post(
        &sim,
        "externalcontact/groupchat/list",
        &t,
        json!({"limit": 0}),
    )
    .await;
    assert_eq!(v["errcode"], 40058);
    let many: Vec<String> = (0..101).map(|i| format!("u{i}")).collect();
    let v = post(
        &sim,
        "externalcontact/batch/get_by_user",
        &t,
        json!({"userid_list": many}),
    )
    .await;
    assert_eq!(v["errcode"], 40058);
    // A limit over 100 is clamped, not refused.
    let v = post(
        &sim,
        "externalcontact/batch/get_by_user",
        &t,
        json!({"userid_list": ["zhangwei"], "limit": 500}),
    )
    .await;
    assert_eq!(v["errcode"], 0);
    let page: CustomersPage = serde_json::from_value(v).expect("shape");
    assert!(page.external_contact_list.len() <= 100);
    let v = post(
        &sim,
        "appchat/create",
        &t,
        json!({"name": "x", "userlist": ["zhangwei"]}),
    )
    .await;
    assert_eq!(v["errcode"], 86006);
    let v = post(&sim, "externalcontact/groupchat/add_join_way", &t,
        json!({"scene": 2, "chat_id_list": ["wrPool0000","wrPool0001","wrPool0002","wrPool0003","wrPool0004","wrPool0005"]})).await;
    assert_eq!(v["errcode"], 40058);
}

#[tokio::test]
async fn oauth_codes_are_single_use() {
    let sim = spawn_simulator().await;
    let t = token(&sim).await;
    let code: Value = sim
        .http
        .post(format!("{}/sim/oauth/code", sim.url))
        .json(&json!({"userid": "zhangwei"}))
        .send()
        .await
        .expect("code")
        .json()
        .await
        .expect("json");
    let code = code["code"].as_str().expect("code");
    let v = get(
        &sim,
        &format!("auth/getuserinfo?access_token={t}&code={code}"),
    )
    .await;
    assert_eq!(v["userid"], "zhangwei");
    assert!(v.get("UserId").is_none(), "the new lower-case shape");
    let again = get(
        &sim,
        &format!("auth/getuserinfo?access_token={t}&code={code}"),
    )
    .await;
    assert_eq!(again["errcode"], 40029);
}

#[tokio::test]
async fn join_ways_and_app_chats_round_trip() {
    let sim = spawn_simulator().await;
    let client = sim.client();
    let config_id = client
        .add_join_way(&JoinWaySettings {
            scene: 2,
            chat_id_list: vec!["wrPool0000".into()],
            state: Some("order-42".into()),
            ..JoinWaySettings::default()
        })
        .await
        .expect("add");
    let jw = client.join_way(&config_id).await.expect("get");
    assert_eq!(jw.settings.state.as_deref(), Some("order-42"));
    assert!(jw.qr_code.as_deref().is_some_and(|q| q.starts_with("http")));
    client.delete_join_way(&config_id).await.expect("del");
    assert_eq!(
        client
            .join_way(&config_id)
            .await
            .expect_err("gone")
            .errcode(),
        Some(40058)
    );

    let chatid = client
        .create_app_chat(&AppChatCreate {
            name: "王女士-城南店".into(),
            owner: None,
            userlist: vec!["zhangwei".into(), "lina".into()],
            chatid: None,
        })
        .await
        .expect("create");
    assert_eq!(
        client.app_chat(&chatid).await.expect("get").userlist,
        vec!["zhangwei", "lina"]
    );
    assert_eq!(
        client
            .group_chat(&chatid)
            .await
            .expect_err("internal")
            .errcode(),
        Some(90501)
    );
    client
        .send_to_app_chat(&AppChatMessage {
            chatid: chatid.clone(),
            content: MessageContent::Text {
                text: Text {
                    content: "新订单".into(),
                },
            },
            safe: 0,
        })
        .await
        .expect("send");
    let receipt = client
        .send_app_message(
            &["zhangwei".into(), "ghost".into()],
            MessageContent::Text {
                text: Text {
                    content: "hi".into(),
                },
            },
        )
        .await
        .expect("partly valid still sends");
    assert_eq!(receipt.invaliduser, "ghost");
    let sent = sim.get_json("/sim/messages").await;
    assert_eq!(sent["messages"].as_array().map(Vec::len), Some(2));
}

#[tokio::test]
async fn a_robot_sends_at_most_20_messages_a_minute() {
    let sim = spawn_simulator().await;
    let client = sim.client();
    let url = secrecy::SecretString::from(format!(
        "{}/cgi-bin/webhook/send?key=demo-robot-key-0001",
        sim.url
    ));
    let msg = RobotMessage::Text {
        text: RobotText {
            content: "新咨询".into(),
            mentioned_list: vec![],
            mentioned_mobile_list: vec![],
        },
    };
    for _ in 0..20 {
        client
            .send_robot(&url, &msg)
            .await
            .expect("within the limit");
    }
    let err = client.send_robot(&url, &msg).await.expect_err("21st");
    assert_eq!(err.errcode(), Some(45009));
    let bad = secrecy::SecretString::from(format!("{}/cgi-bin/webhook/send?key=removed", sim.url));
    assert_eq!(
        client
            .send_robot(&bad, &msg)
            .await
            .expect_err("x")
            .errcode(),
        Some(93000)
    );
}

#[tokio::test]
async fn the_tickets_endpoint_lists_what_signatures_must_be_made_with() {
    let sim = spawn_simulator().await;
    let t = token(&sim).await;
    let corp = get(&sim, &format!("get_jsapi_ticket?access_token={t}")).await;
    let agent = get(
        &sim,
        &format!("ticket/get?access_token={t}&type=agent_config"),
    )
    .await;
    assert_ne!(corp["ticket"], agent["ticket"]);
    let wrong_type = get(&sim, &format!("ticket/get?access_token={t}&type=other")).await;
    assert_eq!(wrong_type["errcode"], 40058);
    let (c, a) = sim.tickets().await;
    assert_eq!(c, vec![corp["ticket"].as_str().expect("t").to_string()]);
    assert_eq!(a, vec![agent["ticket"].as_str().expect("t").to_string()]);
    assert_eq!(sign(&c[0], "n", 1, "https://x/").len(), 40);
}

async fn verify(sim: &Sim, kind: &str, url: &str, ts: i64, nonce: &str, signature: &str) -> Value {
    sim.http
        .post(format!("{}/sim/client/verify", sim.url))
        .json(&json!({
            "kind": kind, "url": url, "corpId": CORP_ID, "agentId": AGENT_ID,
            "timestamp": ts.to_string(), "nonceStr": nonce, "signature": signature,
        }))
        .send()
        .await
        .expect("verify")
        .json()
        .await
        .expect("json")
}

#[tokio::test]
async fn the_client_checks_signatures_as_wecom_does() {
    let sim = spawn_simulator().await;
    let client = sim.client();
    let (corp, agent) = client.jsapi_tickets().await.expect("tickets");
    let page = "http://127.0.0.1:8080/orders/1?x=1";
    let ok = verify(
        &sim,
        "agent",
        page,
        1_700_000_000,
        "n1",
        &sign(&agent, "n1", 1_700_000_000, page),
    )
    .await;
    assert_eq!(ok["ok"], true);
    let ok = verify(
        &sim,
        "corp",
        page,
        1_700_000_000,
        "n1",
        &sign(&corp, "n1", 1_700_000_000, page),
    )
    .await;
    assert_eq!(ok["ok"], true);
    // Signed for another URL (a trailing slash is another URL).
    let other = verify(
        &sim,
        "agent",
        page,
        1,
        "n1",
        &sign(&agent, "n1", 1, "http://127.0.0.1:8080/orders/1/?x=1"),
    )
    .await;
    assert_eq!(other["errcode"], 40093);
    // The corp ticket used for agentConfig.
    let wrong_kind = verify(&sim, "agent", page, 1, "n1", &sign(&corp, "n1", 1, page)).await;
    assert_eq!(wrong_kind["errcode"], 42012);
}

#[tokio::test]
async fn open_enterprise_chat_creates_a_customer_group_groupchat_get_sees() {
    let sim = spawn_simulator().await;
    sim.client_login("zhangwei").await;
    let made: Value = sim
        .http
        .post(format!("{}/sim/client/enterprise-chat", sim.url))
        .json(&json!({"groupName": "王女士-城南店装修服务群", "userIds": ["zhangwei", "lina"], "externalUserIds": ["wmDemo0000"]}))
        .send()
        .await
        .expect("create")
        .json()
        .await
        .expect("json");
    let chat_id = made["chatId"].as_str().expect("chat id");
    let g = sim
        .client()
        .group_chat(chat_id)
        .await
        .expect("a customer group");
    assert_eq!(g.name, "王女士-城南店装修服务群");
    assert_eq!(g.owner, "zhangwei");
    let mut people: Vec<(String, i32)> = g
        .member_list
        .iter()
        .map(|m| (m.userid.clone(), m.kind))
        .collect();
    people.sort();
    assert_eq!(
        people,
        vec![
            ("lina".into(), 1),
            ("wmDemo0000".into(), 2),
            ("zhangwei".into(), 1)
        ]
    );
    let unknown: Value = sim
        .http
        .post(format!("{}/sim/client/enterprise-chat", sim.url))
        .json(&json!({"groupName": "x", "userIds": ["lina"], "externalUserIds": ["wmNobody"]}))
        .send()
        .await
        .expect("create")
        .json()
        .await
        .expect("json");
    assert_eq!(unknown["errcode"], 40096);

    // With a chat id it opens customer groups only: an internal (app) chat is refused.
    let open = |chat: String| {
        let sim = &sim;
        async move {
            sim.http
                .post(format!("{}/sim/client/enterprise-chat", sim.url))
                .json(&json!({ "chatId": chat }))
                .send()
                .await
                .expect("open")
                .json::<Value>()
                .await
                .expect("json")
        }
    };
    assert_eq!(open(chat_id.to_string()).await["chatId"], chat_id);
    let internal = sim
        .client()
        .create_app_chat(&desk_server::wecom::types::AppChatCreate {
            name: "内部群".into(),
            owner: None,
            userlist: vec!["zhangwei".into(), "lina".into()],
            chatid: None,
        })
        .await
        .expect("an app chat");
    assert_eq!(open(internal).await["errcode"], 90501);
}

#[tokio::test]
async fn the_demo_erp_answers_its_orders_for_the_pull_path() {
    let sim = spawn_simulator().await;
    let known: desk_shared::OrderInput = sim
        .http
        .get(format!("{}/sim/erp/orders/DD%2D2001", sim.url))
        .send()
        .await
        .expect("erp")
        .json()
        .await
        .expect("an OrderInput");
    assert_eq!(known.designer_user_id, "zhangwei");
    let unknown = sim
        .http
        .get(format!("{}/sim/erp/orders/DD-9999", sim.url))
        .send()
        .await
        .expect("erp");
    assert_eq!(unknown.status(), 404);
}
