//! `GET, POST /wecom/callback`: WeCom's URL check and its encrypted events/messages.
//! Every request is verified (`msg_signature`, and a `timestamp` near now) before
//! anything is decrypted; each message or event is stored once, so WeCom's retries
//! and replays are no-ops.

mod errors;
pub mod inbox;
pub mod store;
pub mod worker;

use actix_web::{web, HttpResponse};
use serde::Deserialize;

use crate::error::ApiError;
use crate::wecom::crypto::CallbackCrypto;
pub use errors::CallbackError;
use errors::{not_stored, BODY_LIMIT, BODY_WAIT};

/// What the callback endpoint needs.
pub struct CallbackState {
    pub db: crate::db::Db,
    /// Stores deliveries (in batches) and rings the worker when one is new.
    pub inbox: inbox::Inbox,
    /// `None` when `[callback]` is not configured.
    pub crypto: Option<CallbackCrypto>,
    /// `callback.max_clock_skew_secs`.
    pub max_clock_skew_secs: i64,
    /// The server's open connections: a crowded server closes a callback's connection
    /// after answering it.
    pub connections: crate::edge::Connections,
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/wecom/callback")
            .route(web::get().to(url_check))
            .route(web::post().to(receive)),
    );
}

/// This capability's operations in `/api/openapi.json`.
#[derive(utoipa::OpenApi)]
#[openapi(paths(url_check, receive))]
pub struct Api;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct UrlCheck {
    /// WeCom's signature of `callback.token`, `timestamp`, `nonce` and `echostr`.
    msg_signature: String,
    /// Unix seconds; refused further than `callback.max_clock_skew_secs` from now.
    timestamp: String,
    nonce: String,
    /// The encrypted text to answer decrypted.
    echostr: String,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct Signed {
    /// WeCom's signature of `callback.token`, `timestamp`, `nonce` and the body's `Encrypt`.
    msg_signature: String,
    /// Unix seconds; refused further than `callback.max_clock_skew_secs` from now.
    timestamp: String,
    nonce: String,
}

/// The encrypted envelope WeCom posts.
#[derive(Debug, Deserialize)]
struct Envelope {
    #[serde(rename = "ToUserName", default)]
    to_user_name: String,
    #[serde(rename = "Encrypt")]
    encrypt: String,
    #[serde(rename = "AgentID", default)]
    agent_id: String,
}

/// The fields of a decrypted message or event: what identifies it, and what the
/// worker acts on.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct Plain {
    #[serde(rename = "MsgType")]
    msg_type: String,
    #[serde(rename = "MsgId")]
    msg_id: String,
    #[serde(rename = "FromUserName")]
    from: String,
    #[serde(rename = "Content")]
    content: String,
    #[serde(rename = "CreateTime")]
    create_time: String,
    #[serde(rename = "Event")]
    event: String,
    #[serde(rename = "ChangeType")]
    change_type: String,
    #[serde(rename = "UserID")]
    user_id: String,
    #[serde(rename = "ExternalUserID")]
    external_user_id: String,
    #[serde(rename = "ChatId")]
    chat_id: String,
    #[serde(rename = "UpdateDetail")]
    update_detail: String,
    #[serde(rename = "MemChangeCnt")]
    mem_change_cnt: String,
    #[serde(rename = "MemChangeList")]
    mem_change_list: MemChangeList,
    #[serde(rename = "JoinScene")]
    join_scene: String,
    #[serde(rename = "QuitScene")]
    quit_scene: String,
    #[serde(rename = "State")]
    state: String,
    #[serde(rename = "WelcomeCode")]
    welcome_code: String,
    /// Tag events: the tag (or group) id and its kind.
    #[serde(rename = "Id")]
    tag_id: String,
    #[serde(rename = "TagType")]
    tag_type: String,
    /// `transfer_fail`: `customer_refused` or `customer_limit_exceed`.
    #[serde(rename = "FailReason")]
    fail_reason: String,
    /// `update_user`: the member's status (5: left the company).
    #[serde(rename = "Status")]
    status: String,
}

/// `<MemChangeList><Item>userid</Item>…</MemChangeList>` of a group change.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct MemChangeList {
    #[serde(rename = "Item")]
    items: Vec<String>,
}

impl Plain {
    /// What makes a delivery the same one again: `MsgId` for messages; events have
    /// none, so everything that tells two events apart (two customers added in the
    /// same second by one member differ in `ExternalUserID`).
    fn dedup_key(&self) -> String {
        if !self.msg_id.is_empty() {
            return format!("msg:{}", self.msg_id);
        }
        let fields = [
            self.from.as_str(),
            &self.create_time,
            &self.event,
            &self.change_type,
            &self.user_id,
            &self.external_user_id,
            &self.chat_id,
            &self.update_detail,
            &self.mem_change_cnt,
            &self.mem_change_list.items.join(","),
            &self.join_scene,
            &self.quit_scene,
            &self.state,
            &self.welcome_code,
            &self.tag_id,
            &self.tag_type,
        ];
        // Hashed: a group change naming hundreds of members would make a key too long
        // for PostgreSQL's index (2,704 bytes), and that callback could never be stored.
        let digest = <sha2::Sha256 as sha2::Digest>::digest(fields.join("\u{1f}").as_bytes());
        format!("evt:{}", hex::encode(digest))
    }
}

fn crypto(state: &CallbackState) -> Result<&CallbackCrypto, CallbackError> {
    state.crypto.as_ref().ok_or(CallbackError::NotConfigured)
}

/// Refuses a `timestamp` further from now than `callback.max_clock_skew_secs`: an
/// old signed request replayed later is not WeCom speaking now.
fn check_timestamp(state: &CallbackState, timestamp: &str) -> Result<(), CallbackError> {
    let skew = state.max_clock_skew_secs;
    let fresh = timestamp
        .parse::<i64>()
        .is_ok_and(|t| crate::clock::now_secs().abs_diff(t) <= skew.unsigned_abs());
    if fresh {
        return Ok(());
    }
    Err(CallbackError::StaleTimestamp {
        given: timestamp.to_string(),
        skew,
    })
}

/// WeCom's URL check: answer the decrypted `echostr` as the bare body.
#[utoipa::path(
    get,
    path = "/wecom/callback",
    operation_id = "wecomUrlCheck",
    summary = "WeCom's callback URL check",
    tag = "wecom",
    description = "Called by WeCom when the callback URL is saved in the admin console; signed \
        with `callback.token` and encrypted with `callback.encoding_aes_key`, no other credentials.",
    params(UrlCheck),
    responses(
        (status = 200, description = "The decrypted `echostr`, as the bare body.", body = String, content_type = "text/plain"),
        (status = 400, description = "`bad_query`: a signature parameter is missing; `bad_callback`: it cannot be decrypted or read.", body = desk_shared::ApiError),
        (status = 403, description = "`bad_signature`: `msg_signature` does not match; `stale_timestamp`: `timestamp` is too far from now.", body = desk_shared::ApiError),
        (status = 503, description = "`callback_not_configured`: `[callback]` token and key are not set.", body = desk_shared::ApiError),
    )
)]
async fn url_check(
    state: web::Data<CallbackState>,
    query: web::Query<UrlCheck>,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    let crypto = crypto(&state)?;
    check_timestamp(&state, &q.timestamp)?;
    let plain = crypto
        .open(&q.msg_signature, &q.timestamp, &q.nonce, &q.echostr)
        .map_err(CallbackError::from)?;
    Ok(HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .body(plain))
}

/// An encrypted event or message. Answers an empty 200 ("no reply") quickly.
#[utoipa::path(
    post,
    path = "/wecom/callback",
    operation_id = "wecomCallback",
    summary = "WeCom's events and messages",
    tag = "wecom",
    description = "WeCom's encrypted events and messages, verified before anything is decrypted; \
        each is stored once (WeCom's retries and replays change nothing) and acted on in the background.",
    params(Signed),
    request_body(content = String, content_type = "text/xml",
        description = "WeCom's envelope: `<xml><ToUserName/><Encrypt/><AgentID/></xml>` (at most 1 MiB)"),
    responses(
        (status = 200, description = "Stored (or a repeat): an empty body, no reply."),
        (status = 400, description = "`bad_query`: a signature parameter is missing; `bad_callback`: it cannot be decrypted or read.", body = desk_shared::ApiError),
        (status = 403, description = "`bad_signature`: `msg_signature` does not match; `stale_timestamp`: `timestamp` is too far from now.", body = desk_shared::ApiError),
        (status = 503, description = "`callback_not_configured`: `[callback]` token and key are not set; `inbox_full`: the inbox queue is full (the database writer is behind), nothing was stored and WeCom sends it again.", body = desk_shared::ApiError),
        (status = 500, description = "`internal`: it could not be stored; WeCom retries.", body = desk_shared::ApiError),
    )
)]
async fn receive(
    req: actix_web::HttpRequest,
    state: web::Data<CallbackState>,
    query: web::Query<Signed>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let declared = req
        .headers()
        .get(actix_web::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<usize>().ok());
    if declared.is_some_and(|n| n > BODY_LIMIT) {
        return Err(CallbackError::TooLarge.into());
    }
    let crypto = crypto(&state)?;
    let q = query.into_inner();
    check_timestamp(&state, &q.timestamp)?;
    // A place in the inbox before the body is read: a flood waits (then 503) with its
    // bodies unread, whatever the number of connections.
    let place = state.inbox.admit().await.map_err(not_stored)?;
    let body = tokio::time::timeout(BODY_WAIT, payload.to_bytes_limited(BODY_LIMIT))
        .await
        .map_err(|_| CallbackError::SlowBody)?
        .map_err(|_| CallbackError::TooLarge)?
        .map_err(CallbackError::Unreadable)?;
    let text = std::str::from_utf8(&body).map_err(|_| CallbackError::NotUtf8)?;
    let envelope: Envelope = quick_xml::de::from_str(text).map_err(CallbackError::BadEnvelope)?;
    let plain = crypto
        .open(&q.msg_signature, &q.timestamp, &q.nonce, &envelope.encrypt)
        .map_err(CallbackError::from)?;
    let p: Plain = quick_xml::de::from_str(&plain).map_err(CallbackError::BadPlaintext)?;
    let delivery = store::NewDelivery {
        dedup_key: p.dedup_key(),
        msg_type: p.msg_type.clone(),
        event: p.event.clone(),
        change_type: p.change_type.clone(),
        body: plain,
        // WeCom takes the welcome only within 20 s of the event.
        urgent: p.change_type == "add_external_contact"
            && !p.welcome_code.is_empty()
            && crate::storevisit::is_code_state(&p.state),
    };
    let new = state
        .inbox
        .insert_once(delivery, place)
        .await
        .map_err(not_stored)?;
    tracing::debug!(
        to = %envelope.to_user_name,
        agent = %envelope.agent_id,
        msg_type = %p.msg_type,
        event = %p.event,
        change_type = %p.change_type,
        duplicate = !new,
        "callback received"
    );
    let mut answer = HttpResponse::Ok();
    if state.connections.crowded() {
        answer.force_close();
    }
    Ok(answer.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(xml: &str) -> Result<Plain, quick_xml::DeError> {
        quick_xml::de::from_str(xml)
    }

    /// Every callback in `tests/wecom_contract/` (WeCom's documented samples, page id
    /// beside each) reads, with the fields the worker acts on where WeCom put them.
    #[test]
    fn every_documented_callback_reads_with_the_fields_the_worker_uses() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/wecom_contract");
        let mut read = 0;
        for entry in std::fs::read_dir(dir).expect("fixtures") {
            let path = entry.expect("entry").path();
            let name = path
                .file_name()
                .expect("name")
                .to_string_lossy()
                .into_owned();
            if !name.starts_with("callback_") || !name.ends_with(".json") {
                continue;
            }
            let doc: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(&path).expect("read")).expect("json");
            let xml = doc["xml"].as_str().expect("xml");
            let p = parse(xml).unwrap_or_else(|e| panic!("{name} ({}): {e}", doc["page"]));
            let tag = |t: &str| {
                xml.split(&format!("<{t}>"))
                    .nth(1)
                    .and_then(|r| r.split(&format!("</{t}>")).next())
                    .map(|v| {
                        v.trim_start_matches("<![CDATA[")
                            .trim_end_matches("]]>")
                            .to_string()
                    })
                    .unwrap_or_default()
            };
            assert_eq!(p.msg_type, tag("MsgType"), "{name}");
            assert_eq!(p.event, tag("Event"), "{name}");
            assert_eq!(p.change_type, tag("ChangeType"), "{name}");
            assert_eq!(p.user_id, tag("UserID"), "{name}");
            assert_eq!(p.external_user_id, tag("ExternalUserID"), "{name}");
            assert_eq!(p.chat_id, tag("ChatId"), "{name}");
            assert_eq!(p.state, tag("State"), "{name}");
            assert_eq!(p.welcome_code, tag("WelcomeCode"), "{name}");
            assert_eq!(p.content, tag("Content"), "{name}");
            assert_eq!(p.msg_id, tag("MsgId"), "{name}");
            if xml.contains("<MemChangeList>") {
                assert!(!p.mem_change_list.items.is_empty(), "{name}");
            }
            assert!(!p.dedup_key().is_empty(), "{name}");
            read += 1;
        }
        assert!(read >= 10, "{read} documented callbacks");
    }

    #[test]
    fn a_text_message_reads_with_its_content_and_key() {
        let p = parse("<xml><FromUserName><![CDATA[zhangwei]]></FromUserName><CreateTime>1</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[#c-1 好的 <b>]]></Content><MsgId>42</MsgId></xml>")
            .expect("parse");
        assert_eq!(p.content, "#c-1 好的 <b>");
        assert_eq!(p.dedup_key(), "msg:42");
    }

    #[test]
    fn an_event_key_is_short_whatever_the_event_names_and_tells_events_apart() {
        let many: String = (0..500)
            .map(|i| format!("<Item>wm{i:030}</Item>"))
            .collect();
        let event = |list: &str| {
            parse(&format!("<xml><FromUserName>sys</FromUserName><CreateTime>1</CreateTime><MsgType>event</MsgType><Event>change_external_chat</Event><ChatId>wr1</ChatId><ChangeType>update</ChangeType><UpdateDetail>add_member</UpdateDetail><MemChangeList>{list}</MemChangeList></xml>"))
                .expect("parse")
                .dedup_key()
        };
        let key = event(&many);
        assert!(key.len() < 80, "{} bytes", key.len());
        assert_ne!(key, event("<Item>wmA</Item>"));
        assert_ne!(event("<Item>wmA</Item>"), event("<Item>wmB</Item>"));
        assert_eq!(event("<Item>wmA</Item>"), event("<Item>wmA</Item>"));
    }

    #[test]
    fn entities_a_document_declares_are_never_expanded() {
        let laughs = format!(
            "<!DOCTYPE xml [<!ENTITY a \"{}\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\"><!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\"><!ENTITY x SYSTEM \"file:///etc/passwd\">]><xml><MsgType>text</MsgType><Content>&c;&x;</Content></xml>",
            "a".repeat(100)
        );
        match parse(&laughs) {
            Err(_) => {}
            Ok(p) => assert!(
                p.content.len() < 100 && !p.content.contains("root:"),
                "an entity was expanded: {} bytes",
                p.content.len()
            ),
        }
    }

    #[test]
    fn deep_nesting_is_an_error_or_skipped_never_a_stack_overflow() {
        let depth = 100_000;
        let xml = format!(
            "<xml><MsgType>text</MsgType><Junk>{}{}</Junk><MsgId>7</MsgId></xml>",
            "<a>".repeat(depth),
            "</a>".repeat(depth)
        );
        if let Ok(p) = parse(&xml) {
            assert_eq!(p.msg_id, "7");
        }
        let unclosed = format!("<xml>{}", "<a>".repeat(depth));
        assert!(parse(&unclosed).is_err());
    }
}
