//! `GET /sim/website`: a stand-in business website for the demo of the messages
//! bridge. A person types a customer's message; the website asks WeCom Desk to tell
//! the staff member (`POST /api/v1/notifications`, with its API key, from this server:
//! the key never reaches the browser); the conversation then shows the staff replies
//! (`GET /api/v1/conversations/{id}/messages`) and the events WeCom Desk posted to
//! `POST /sim/website/events`, each checked against the events secret as a real
//! receiver would. Not WeCom: it lives here because the demo already runs the
//! simulator beside the server.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use hmac::{Hmac, Mac};
use serde::Deserialize;
use serde_json::{json, Value};
use sha2::Sha256;

use super::{bubble, fragment, layout};
use crate::Simulator;
use desk_shared::escape_html as escape;

/// Events kept for the page.
const KEPT_EVENTS: usize = 200;

/// Where the website's WeCom Desk is, and what it shares with it.
#[derive(Debug, Default)]
pub struct Website {
    desk_url: String,
    api_key: String,
    events_secret: String,
    events: Vec<Received>,
}

/// An event as the website received it.
#[derive(Debug, Clone)]
struct Received {
    at: i64,
    verified: bool,
    body: Value,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct Config {
    desk_url: String,
    api_key: String,
    events_secret: String,
}

/// `PUT /sim/website {deskUrl, apiKey, eventsSecret}`: what the demo sets up.
pub(super) async fn configure(sim: web::Data<Simulator>, c: web::Json<Config>) -> HttpResponse {
    let c = c.into_inner();
    if url::Url::parse(&c.desk_url).is_err() {
        return HttpResponse::BadRequest().json(json!({"error": "deskUrl is not a URL"}));
    }
    let mut site = sim.website.lock();
    site.desk_url = c.desk_url.trim_end_matches('/').to_string();
    site.api_key = c.api_key;
    site.events_secret = c.events_secret;
    HttpResponse::NoContent().finish()
}

/// `POST /sim/website/events`: WeCom Desk's events, checked (`X-Desk-Signature`) and
/// kept; 401 when the signature does not match, as a careful receiver answers.
pub(super) async fn event(
    sim: web::Data<Simulator>,
    req: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    let signature = req
        .headers()
        .get("x-desk-signature")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let mut site = sim.website.lock();
    let verified = verify(&site.events_secret, signature, &body);
    let parsed = serde_json::from_slice(&body).unwrap_or(Value::Null);
    if site.events.len() >= KEPT_EVENTS {
        site.events.remove(0);
    }
    site.events.push(Received {
        at: desk_wecom::clock::now_secs(),
        verified,
        body: parsed,
    });
    if verified {
        HttpResponse::NoContent().finish()
    } else {
        HttpResponse::Unauthorized().json(json!({"error": "bad signature"}))
    }
}

/// `t=<secs>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`, within five minutes of now.
fn verify(secret: &str, signature: &str, body: &[u8]) -> bool {
    let Some((t, v1)) = signature
        .strip_prefix("t=")
        .and_then(|rest| rest.split_once(",v1="))
    else {
        return false;
    };
    let fresh = t
        .parse::<i64>()
        .is_ok_and(|t| desk_wecom::clock::now_secs().abs_diff(t) <= 300);
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        return false;
    };
    mac.update(t.as_bytes());
    mac.update(b".");
    mac.update(body);
    let Ok(given) = hex::decode(v1) else {
        return false;
    };
    fresh && !secret.is_empty() && mac.verify_slice(&given).is_ok()
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Notify {
    conversation_id: String,
    #[serde(default)]
    staff_id: String,
    text: String,
}

/// `POST /sim/website/notify`: the website asks WeCom Desk to tell the staff; answers
/// WeCom Desk's status and body as they came.
pub(super) async fn notify(sim: web::Data<Simulator>, n: web::Json<Notify>) -> HttpResponse {
    let (url, key) = {
        let site = sim.website.lock();
        (
            format!("{}/api/v1/notifications", site.desk_url),
            site.api_key.clone(),
        )
    };
    let mut body = json!({"conversationId": n.conversation_id, "text": n.text});
    if !n.staff_id.is_empty() {
        body["staffId"] = json!(n.staff_id);
    }
    relay(sim.http().post(url).bearer_auth(key).json(&body)).await
}

#[derive(Deserialize)]
pub(super) struct Conversation {
    #[serde(default)]
    conversation: String,
}

/// `GET /sim/website/feed?conversation=ID`: the staff replies in the conversation and
/// the events received, as an HTML fragment.
pub(super) async fn feed(sim: web::Data<Simulator>, q: web::Query<Conversation>) -> HttpResponse {
    fragment(conversation_html(&sim, &q.conversation).await)
}

pub(super) async fn page(sim: web::Data<Simulator>, q: web::Query<Conversation>) -> HttpResponse {
    let id = if q.conversation.is_empty() {
        "web-1001"
    } else {
        q.conversation.as_str()
    };
    let feed = conversation_html(&sim, id).await;
    let form = format!(
        r#"<form id="send"><label>会话号 <input name="conversation" value="{id}"></label><label>接待员工 <input name="staff" value="s-zhangwei"></label><textarea name="text" rows="3">客户王女士：你好，想问下明天几点上门量房？</textarea><button type="submit">以客户身份发送（通知员工）</button><small id="result" role="status"></small></form>"#,
        id = escape(id),
    );
    layout("业务网站 · 在线咨询（模拟）", &form, &feed, "", SEND)
}

/// Sends through `/sim/website/notify` and keeps the feed on the chosen conversation.
const SEND: &str = r#"const form=document.getElementById('send'),out=document.getElementById('result');
function feedUrl(){return '/sim/website/feed?conversation='+encodeURIComponent(form.conversation.value)}
form.conversation.onchange=()=>{history.replaceState(null,'','?conversation='+encodeURIComponent(form.conversation.value));refresh()};
form.onsubmit=async e=>{e.preventDefault();out.textContent='发送中…';
try{const r=await fetch('/sim/website/notify',{method:'POST',headers:{'content-type':'application/json'},body:JSON.stringify({conversationId:form.conversation.value,staffId:form.staff.value,text:form.text.value})});const v=await r.json();
out.textContent=r.ok?'已交给 WeCom Desk（通知 '+v.id+'，'+v.status+'）：群机器人会提醒员工':'没有发出：'+(v.message||v.error)}catch(err){out.textContent='没有发出：'+err}
refresh()};"#;

async fn conversation_html(sim: &Simulator, id: &str) -> String {
    let (url, key, events) = {
        let site = sim.website.lock();
        (
            format!(
                "{}/api/v1/conversations/{}/messages",
                site.desk_url,
                urlencode(id)
            ),
            site.api_key.clone(),
            site.events.clone(),
        )
    };
    let mut html = String::from("<h2>员工的回复</h2>");
    match fetch_json(sim.http().get(url).bearer_auth(key)).await {
        Ok(v) => {
            let messages = v["messages"].as_array().cloned().unwrap_or_default();
            if messages.is_empty() {
                html.push_str(r#"<p class="empty">还没有回复。员工在企业微信里回复应用后，会出现在这里。</p>"#);
            }
            for m in messages {
                let who = format!(
                    "员工 {}（{}）",
                    m["staffId"].as_str().unwrap_or_default(),
                    m["wecomUserId"].as_str().unwrap_or_default()
                );
                html.push_str(&bubble(
                    false,
                    &who,
                    m["createdAt"].as_i64().unwrap_or_default(),
                    m["text"].as_str().unwrap_or_default(),
                    "",
                ));
            }
        }
        Err(why) => html.push_str(&format!(
            r#"<p class="bad">读不到会话：{}</p>"#,
            escape(&why)
        )),
    }
    html.push_str("<h2>收到的事件</h2>");
    if events.is_empty() {
        html.push_str(r#"<p class="empty">还没有事件。</p>"#);
    }
    for e in events.iter().rev().take(20) {
        let kind = e.body["type"].as_str().unwrap_or("?");
        let mark = if e.verified {
            "签名有效"
        } else {
            "签名无效"
        };
        html.push_str(&bubble(
            false,
            &format!("{kind} · {mark}"),
            e.at,
            &e.body["data"].to_string(),
            "",
        ));
    }
    html
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

async fn fetch_json(req: reqwest::RequestBuilder) -> Result<Value, String> {
    let resp = req.send().await.map_err(|e| e.without_url().to_string())?;
    let status = resp.status();
    let v: Value = resp.json().await.map_err(|e| e.to_string())?;
    if status.is_success() {
        Ok(v)
    } else {
        Err(v["message"].as_str().unwrap_or("error").to_string())
    }
}

/// WeCom Desk's answer passed on as it came (or a 502 naming why it could not be asked).
async fn relay(req: reqwest::RequestBuilder) -> HttpResponse {
    match req.send().await {
        Ok(resp) => {
            let status =
                StatusCode::from_u16(resp.status().as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
            let body = resp.bytes().await.unwrap_or_default();
            HttpResponse::build(status)
                .content_type("application/json")
                .body(body)
        }
        Err(e) => HttpResponse::BadGateway()
            .json(json!({"error": format!("WeCom Desk unreachable: {}", e.without_url())})),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The signature as README's "Integrating a website" documents it (the server's own
    /// signing is checked against `verify` end to end by the API tests).
    fn sign(secret: &str, t: i64, body: &[u8]) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key");
        mac.update(format!("{t}.").as_bytes());
        mac.update(body);
        format!("t={t},v1={}", hex::encode(mac.finalize().into_bytes()))
    }

    #[test]
    fn only_a_fresh_signature_made_with_the_secret_is_accepted() {
        let now = desk_wecom::clock::now_secs();
        let good = sign("s3cret", now, b"{}");
        assert!(verify("s3cret", &good, b"{}"));
        assert!(!verify("other", &good, b"{}"));
        assert!(!verify("s3cret", &good, b"{ }"));
        let stale = sign("s3cret", now - 3600, b"{}");
        assert!(!verify("s3cret", &stale, b"{}"));
        assert!(!verify("s3cret", "v1=00", b"{}"));
        assert!(!verify("", &sign("", now, b"{}"), b"{}"));
    }
}
