use desk_server::wecom::crypto::CallbackCrypto;

use crate::helpers::*;

fn wecom_side() -> CallbackCrypto {
    CallbackCrypto::new(CALLBACK_TOKEN.to_string().into(), CALLBACK_KEY, CORP_ID).expect("keys")
}

fn now() -> String {
    desk_server::clock::now_secs().to_string()
}

fn encode(v: &str) -> String {
    url::form_urlencoded::byte_serialize(v.as_bytes()).collect()
}

#[tokio::test]
async fn the_url_check_answers_the_plaintext_echostr_and_nothing_else() {
    let app = spawn_app().await;
    let c = wecom_side();
    let echostr = c.encrypt("7383972925427836174");
    let ts = now();
    let sig = c.sign(&ts, "n0nce", &echostr);
    let resp = app
        .get(&format!(
            "/wecom/callback?msg_signature={sig}&timestamp={ts}&nonce=n0nce&echostr={}",
            encode(&echostr)
        ))
        .await;
    assert_eq!(resp.status(), 200);
    let body = resp.bytes().await.expect("body");
    assert_eq!(&body[..], b"7383972925427836174");
}

#[tokio::test]
async fn a_wrong_signature_is_refused_with_4xx() {
    let app = spawn_app().await;
    let c = wecom_side();
    let echostr = c.encrypt("123");
    let ts = desk_server::clock::now_secs();
    let sig = c.sign(&(ts + 1).to_string(), "n0nce", &echostr);
    let resp = app
        .get(&format!(
            "/wecom/callback?msg_signature={sig}&timestamp={ts}&nonce=n0nce&echostr={}",
            encode(&echostr)
        ))
        .await;
    assert_eq!(resp.status(), 403);
    let resp = app.get("/wecom/callback?timestamp=1&nonce=2").await;
    assert_eq!(resp.status(), 400, "missing parameters");
}

#[tokio::test]
async fn an_echostr_for_another_corp_is_refused() {
    let app = spawn_app().await;
    let other = CallbackCrypto::new(CALLBACK_TOKEN.to_string().into(), CALLBACK_KEY, "wwother")
        .expect("keys");
    let echostr = other.encrypt("123");
    let ts = now();
    let sig = other.sign(&ts, "2", &echostr);
    let resp = app
        .get(&format!(
            "/wecom/callback?msg_signature={sig}&timestamp={ts}&nonce=2&echostr={}",
            encode(&echostr)
        ))
        .await;
    assert_eq!(resp.status(), 400);
}

#[tokio::test]
async fn an_encrypted_message_is_accepted_with_an_empty_200() {
    let app = spawn_app().await;
    let c = wecom_side();
    let plain = format!(
        "<xml><ToUserName><![CDATA[{CORP_ID}]]></ToUserName><FromUserName><![CDATA[zhangwei]]></FromUserName><CreateTime>1700000000</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[好的]]></Content><MsgId>1234567</MsgId><AgentID>{AGENT_ID}</AgentID></xml>"
    );
    let encrypt = c.encrypt(&plain);
    let ts = now();
    let sig = c.sign(&ts, "abc", &encrypt);
    let body = format!(
        "<xml><ToUserName><![CDATA[{CORP_ID}]]></ToUserName><Encrypt><![CDATA[{encrypt}]]></Encrypt><AgentID><![CDATA[{AGENT_ID}]]></AgentID></xml>"
    );
    let url = format!(
        "{}/wecom/callback?msg_signature={sig}&timestamp={ts}&nonce=abc",
        app.address
    );
    let resp = app
        .http
        .post(&url)
        .body(body.clone())
        .send()
        .await
        .expect("answer");
    assert_eq!(resp.status(), 200);
    assert!(resp.bytes().await.expect("body").is_empty());

    let tampered = body.replace(&encrypt[..8], "AAAAAAAA");
    let resp = app
        .http
        .post(&url)
        .body(tampered)
        .send()
        .await
        .expect("answer");
    assert_eq!(resp.status(), 403);

    let resp = app
        .http
        .post(&url)
        .body("<xml><nope")
        .send()
        .await
        .expect("answer");
    assert_eq!(resp.status(), 400);
}
