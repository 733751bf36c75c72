//! The simulator's temporary media (`media/upload`, D-96484) and the simulated
//! client's `sendChatMessage` check (D-98539): refused as WeCom refuses, kept 3 days.

use serde_json::{json, Value};

use crate::helpers::*;

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
const SVG: &[u8] = b"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"1\" height=\"1\"/>";
/// 3 days, WeCom's lifetime of a temporary media id.
const LIFETIME: u64 = 3 * 86_400;

/// `media/upload?type={kind}` with `bytes` in the form part `part` named `filename`.
async fn upload(sim: &Sim, kind: &str, part: &str, filename: &str, bytes: Vec<u8>) -> Value {
    let token = sim.token().await;
    let file = reqwest::multipart::Part::bytes(bytes).file_name(filename.to_string());
    sim.http
        .post(format!("{}/cgi-bin/media/upload", sim.url))
        .query(&[("access_token", token.as_str()), ("type", kind)])
        .multipart(reqwest::multipart::Form::new().part(part.to_string(), file))
        .send()
        .await
        .expect("answer")
        .json()
        .await
        .expect("json")
}

/// An uploaded PNG's media id.
async fn png_media(sim: &Sim) -> String {
    let v = upload(sim, "image", "media", "qr.png", PNG.to_vec()).await;
    assert_eq!(v["errcode"], 0, "{v}");
    v["media_id"].as_str().expect("media_id").to_string()
}

async fn media_status(sim: &Sim, id: &str) -> u16 {
    sim.http
        .get(format!("{}/sim/media/{id}", sim.url))
        .send()
        .await
        .expect("answer")
        .status()
        .as_u16()
}

#[tokio::test]
async fn media_upload_refuses_what_the_page_refuses() {
    let sim = spawn_simulator().await;
    let refused = |v: Value| v["errcode"].as_i64().expect("errcode");
    let mut big = PNG.to_vec();
    big.resize(10 * 1024 * 1024 + 1, 0);
    let mut voice = b"#!AMR\n".to_vec();
    voice.resize(2 * 1024 * 1024 + 1, 0);
    for (kind, part, name, bytes, errcode) in [
        ("image", "media", "qr.svg", SVG.to_vec(), 40005), // extension not an image's
        ("image", "media", "qr.png", SVG.to_vec(), 40004), // not really a PNG
        ("image", "media", "qr.png", big, 40009),          // over 10 MB
        ("file", "media", "a.txt", b"12345".to_vec(), 40006), // not more than 5 bytes
        ("file", "media", "a.txt", Vec::new(), 44001),     // empty
        ("voice", "media", "a.amr", voice, 40006),         // over 2 MB
        ("gif", "media", "qr.png", PNG.to_vec(), 40005),   // no such type
        ("image", "file", "qr.png", PNG.to_vec(), 41005),  // no part named media
    ] {
        let v = upload(&sim, kind, part, name, bytes).await;
        assert_eq!(refused(v.clone()), errcode, "{kind} {part} {name}: {v}");
        assert!(v["errmsg"].as_str().is_some_and(|m| !m.is_empty()));
    }
    let token = sim.token().await;
    let r: Value = sim
        .http
        .post(format!("{}/cgi-bin/media/upload", sim.url))
        .query(&[("access_token", token.as_str()), ("type", "image")])
        .json(&json!({"media": "qr.png"}))
        .send()
        .await
        .expect("answer")
        .json()
        .await
        .expect("json");
    assert_eq!(r["errcode"], 41005, "not a form: {r}");
    assert!(sim.get_json("/sim/media").await["media"]
        .as_array()
        .expect("media")
        .is_empty());

    // What the page takes: answered as its sample, created_at a string.
    let v = upload(&sim, "file", "media", "notes.txt", b"hello!".to_vec()).await;
    assert_eq!(v["errcode"], 0, "{v}");
    assert_eq!(v["type"], "file");
    let created: i64 = v["created_at"]
        .as_str()
        .expect("a string")
        .parse()
        .expect("unix seconds");
    let now = sim.get_json("/sim/clock").await["now"]
        .as_i64()
        .expect("now");
    assert!((now - created).abs() < 60, "{created} vs {now}");
    assert_eq!(sim.calls("media/upload").await, 10);
}

#[tokio::test]
async fn media_are_served_for_three_days_and_then_forgotten() {
    let sim = spawn_simulator().await;
    let id = png_media(&sim).await;
    let served = sim
        .http
        .get(format!("{}/sim/media/{id}", sim.url))
        .send()
        .await
        .expect("answer");
    assert_eq!(header(&served, "content-type"), "image/png");
    assert_eq!(served.bytes().await.expect("bytes").as_ref(), PNG);
    sim.advance(LIFETIME - 30).await;
    assert_eq!(media_status(&sim, &id).await, 200);
    sim.advance(31).await;
    assert_eq!(media_status(&sim, &id).await, 404);
    assert_eq!(media_status(&sim, "no-such-media").await, 404);
}

/// `POST /sim/client/send-chat` with `body`.
async fn send_chat(sim: &Sim, body: Value) -> Value {
    sim.http
        .post(format!("{}/sim/client/send-chat", sim.url))
        .json(&body)
        .send()
        .await
        .expect("answer")
        .json()
        .await
        .expect("json")
}

#[tokio::test]
async fn send_chat_message_is_checked_as_the_client_checks_it_and_recorded_once_sent() {
    let sim = spawn_simulator().await;
    let image = png_media(&sim).await;
    sim.client_login("zhangwei").await;
    let to_customer = |extra: Value| {
        let mut body = json!({"preview": true, "entry": "single_chat_tools",
            "externalUserId": "wmDemo0000", "agentId": AGENT_ID,
            "msgtype": "image", "image": {"mediaid": image}});
        if let (Some(b), Value::Object(extra)) = (body.as_object_mut(), extra) {
            b.extend(extra);
        }
        body
    };

    // The preview: the chat it goes to, nothing recorded yet.
    let v = send_chat(&sim, to_customer(json!({}))).await;
    assert_eq!(v["ok"], true, "{v}");
    assert_eq!(
        v["to"],
        json!({"kind": "customer", "id": "wmDemo0000", "name": "王女士"})
    );
    let sent = |sim: Sim| async move { sim.get_json("/sim/client/sent").await["messages"].clone() };
    assert_eq!(sent(sim.clone()).await, json!([]));

    for (extra, reason) in [
        (
            json!({"entry": "normal"}),
            "without context of external contact",
        ),
        (
            json!({"entry": "contact_profile"}),
            "without context of external contact",
        ),
        // A customer zhangwei does not follow: not a chat the page could be in.
        (
            json!({"externalUserId": "wmDemoZl001"}),
            "without context of external contact",
        ),
        (json!({"agentId": 1000099}), "no permission"), // the app lacks 客户联系
    ] {
        let v = send_chat(&sim, to_customer(extra.clone())).await;
        assert_eq!(v, json!({"ok": false, "reason": reason}), "{extra}");
    }
    for (extra, errcode) in [
        (json!({"image": {"mediaid": "no-such-media"}}), 40007),
        (json!({"image": {}}), 40007),
        (json!({"msgtype": "text", "text": {"content": "  "}}), 44004),
        (json!({"msgtype": "news"}), 40008),
    ] {
        let v = send_chat(&sim, to_customer(extra.clone())).await;
        assert_eq!(v["ok"], false, "{extra}");
        assert_eq!(v["errcode"], errcode, "{extra}: {v}");
    }

    // 周敏 at the front desk is not configured for customer contact.
    sim.client_login("zhoumin").await;
    let v = send_chat(&sim, to_customer(json!({}))).await;
    assert_eq!(v, json!({"ok": false, "reason": "no permission"}));

    // Sent: recorded, newest last.
    sim.client_login("zhangwei").await;
    let v = send_chat(&sim, to_customer(json!({"preview": false}))).await;
    assert_eq!(v["ok"], true, "{v}");
    let v = send_chat(
        &sim,
        to_customer(
            json!({"preview": false, "msgtype": "text", "text": {"content": "王女士您好"}}),
        ),
    )
    .await;
    assert_eq!(v["ok"], true, "{v}");
    let messages = sent(sim.clone()).await;
    let messages = messages.as_array().expect("messages");
    assert_eq!(messages.len(), 2);
    assert_eq!(messages[0]["member"], "zhangwei");
    assert_eq!(messages[0]["entry"], "single_chat_tools");
    assert_eq!(messages[0]["externalUserId"], "wmDemo0000");
    assert_eq!(messages[0]["chatId"], Value::Null);
    assert_eq!(messages[0]["msgtype"], "image");
    assert_eq!(messages[0]["mediaId"], image.as_str());
    assert_eq!(messages[1]["text"], "王女士您好");
    assert!(messages[1]["at"].as_i64().is_some());

    // Three days on, WeCom no longer knows the image.
    sim.advance(LIFETIME + 1).await;
    let v = send_chat(&sim, to_customer(json!({}))).await;
    assert_eq!(v["errcode"], 40007, "{v}");
}

#[tokio::test]
async fn from_a_group_toolbar_only_a_group_the_member_is_in_takes_the_message() {
    let sim = spawn_simulator().await;
    let image = png_media(&sim).await;
    sim.client_login("zhangwei").await;
    let to_group = |chat: &str| {
        json!({"preview": true, "entry": "group_chat_tools", "chatId": chat,
            "agentId": AGENT_ID, "msgtype": "image", "image": {"mediaid": image}})
    };
    // A pool group owned by wangqiang, without zhangwei in it.
    let v = send_chat(&sim, to_group("wrPool0000")).await;
    assert_eq!(v["reason"], "without context of external contact", "{v}");
    sim.client_login("wangqiang").await;
    let v = send_chat(&sim, to_group("wrPool0000")).await;
    assert_eq!(v["ok"], true, "{v}");
    assert_eq!(v["to"]["kind"], "group");
    assert_eq!(v["to"]["id"], "wrPool0000");
}
