//! `externalcontact/send_welcome_msg` (D-92137): the member's welcome to a customer who
//! just added them, with the `WelcomeCode` of the add event, within 20 s, once.
//!
//! Checked in this order: a `welcomeErrcodes` fault (`/sim/faults`) answers first;
//! no code 41049; a code never issued or older than 20 s 41050 (无效的欢迎语code,
//! WeCom's global list: valid 20 s after the event); a code a welcome went out with
//! 41051 (the page: the customer has it, do not retry); then the content: text over
//! 4000 bytes, more than 9 attachments, neither text nor attachments, a link or mini
//! program without its fields (40058, the simulator's choice), an attachment of
//! another msgtype 40008, an image without `media_id` or `pic_url` 41006, a media id
//! `media/upload` did not give (or expired, or of another type) 40007. A refused call
//! leaves the code usable.

use serde_json::{json, Value};

use super::{fail, Answer, Call, Fail};
use crate::contact_ways::{SentAttachment, SentWelcome, WELCOME_CODE_MILLIS};
use crate::state::World;
use desk_wecom::types::MediaType;

/// What WeCom says with an injected errcode.
fn errmsg_of(errcode: i64) -> &'static str {
    match errcode {
        41051 => "externaluser has started chatting",
        41096 => "welcome msg is being distributed",
        41050 => "invalid welcome code",
        -1 => "system busy",
        _ => "injected by /sim/faults",
    }
}

/// `externalcontact/send_welcome_msg` `{welcome_code, text?, attachments?}` → `{}`.
pub(super) fn send(w: &mut World, _agent: i64, call: &Call) -> Answer {
    let body: Value = call.json()?;
    let code = body
        .get("welcome_code")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    if let Some(errcode) = w.faults.take_welcome_errcode() {
        if errcode == 41051 {
            if let Some(c) = w.store_visit.codes.get_mut(&code) {
                c.used = true;
            }
        }
        return fail(errcode, errmsg_of(errcode));
    }
    if code.is_empty() {
        return fail(41049, "missing welcome_code");
    }
    let now_ms = w.clock.now_millis();
    let Some(issued) = w.store_visit.codes.get(&code) else {
        return fail(41050, "invalid welcome code");
    };
    if issued.used {
        return fail(41051, "externaluser has started chatting");
    }
    if now_ms - issued.issued_ms > WELCOME_CODE_MILLIS {
        return fail(
            41050,
            "invalid welcome code: it is valid 20 seconds after the event",
        );
    }
    let (userid, external_user_id) = (issued.userid.clone(), issued.external_userid.clone());
    let (text, attachments) = content(w, &body)?;
    if let Some(c) = w.store_visit.codes.get_mut(&code) {
        c.used = true;
    }
    w.store_visit.record_welcome(SentWelcome {
        external_user_id,
        userid,
        welcome_code: code,
        text,
        attachments,
        sent_at: now_ms.div_euclid(1000),
    });
    Ok(json!({}))
}

/// The text and attachments, checked.
fn content(w: &World, body: &Value) -> Result<(Option<String>, Vec<SentAttachment>), Fail> {
    let text = match body.get("text") {
        None | Some(Value::Null) => None,
        Some(t) => Some(
            t.get("content")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
        ),
    }
    .filter(|t| !t.is_empty());
    if text.as_ref().is_some_and(|t| t.len() > 4000) {
        return fail(40058, "text.content exceed max length 4000 bytes");
    }
    let attachments = match body.get("attachments") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(a)) => a.clone(),
        Some(_) => return fail(47001, "data format error: attachments is an array"),
    };
    if attachments.len() > 9 {
        return fail(40058, "attachments exceed max count 9");
    }
    if text.is_none() && attachments.is_empty() {
        return fail(40058, "text and attachments cannot both be empty");
    }
    let sent = attachments
        .iter()
        .map(|a| attachment(w, a))
        .collect::<Result<Vec<_>, _>>()?;
    Ok((text, sent))
}

/// A string field, `None` when missing or empty.
fn field(v: &Value, name: &str) -> Option<String> {
    v.get(name)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(String::from)
}

/// A media id `media/upload` gave, of `kind`, still valid.
fn live_media(w: &World, id: &str, kind: MediaType) -> Result<(), Fail> {
    match w.media.get(id, w.clock.now_secs()) {
        Some(m) if m.kind == kind => Ok(()),
        _ => fail(40007, format!("invalid media_id: {id}")),
    }
}

fn attachment(w: &World, a: &Value) -> Result<SentAttachment, Fail> {
    let msgtype = a.get("msgtype").and_then(Value::as_str).unwrap_or_default();
    let inner = a.get(msgtype).cloned().unwrap_or_default();
    let mut sent = SentAttachment {
        msgtype: msgtype.to_string(),
        media_id: None,
        pic_url: None,
        title: None,
        url: None,
    };
    match msgtype {
        "image" => {
            // `media_id` wins when both are given.
            match (field(&inner, "media_id"), field(&inner, "pic_url")) {
                (Some(id), _) => {
                    live_media(w, &id, MediaType::Image)?;
                    sent.media_id = Some(id);
                }
                (None, Some(url)) => sent.pic_url = Some(url),
                (None, None) => return fail(41006, "media_id missing"),
            }
        }
        "video" | "file" => {
            let kind = MediaType::parse(msgtype).unwrap_or(MediaType::File);
            let Some(id) = field(&inner, "media_id") else {
                return fail(41006, "media_id missing");
            };
            live_media(w, &id, kind)?;
            sent.media_id = Some(id);
        }
        "link" => {
            let (Some(title), Some(url)) = (field(&inner, "title"), field(&inner, "url")) else {
                return fail(40058, "link needs title and url");
            };
            sent.title = Some(title);
            sent.url = Some(url);
            sent.pic_url = field(&inner, "picurl");
        }
        "miniprogram" => {
            let needed = ["title", "pic_media_id", "appid", "page"];
            if needed.iter().any(|n| field(&inner, n).is_none()) {
                return fail(
                    40058,
                    "miniprogram needs title, pic_media_id, appid and page",
                );
            }
            let id = field(&inner, "pic_media_id").unwrap_or_default();
            live_media(w, &id, MediaType::Image)?;
            sent.media_id = Some(id);
            sent.title = field(&inner, "title");
        }
        other => return fail(40008, format!("invalid attachment msgtype: {other:?}")),
    }
    Ok(sent)
}
