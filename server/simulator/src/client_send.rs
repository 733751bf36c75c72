//! `ww.sendChatMessage` in the simulated client (D-98539 / D-96935): a page opened
//! from a chat's toolbar or attachment bar puts a message into that chat; the member
//! still presses 发送. The bridge checks the client's version, the app identity and
//! the entry, then asks here (`POST /sim/client/send-chat`, first with `preview:
//! true`, again without it once the member pressed 发送). From `single_chat_tools` /
//! `group_chat_tools` the member needs 客户联系 (`[rules] without_customer_contact`)
//! and the app 客户联系 permission (`[rules] customer_api_agents`), else "no
//! permission"; the page must have been opened from a chat the member is in, else
//! "without context of external contact". A media id must come from `media/upload`
//! and be under 3 days old (40007). What was sent: `GET /sim/client/sent`.

use actix_web::{web, HttpResponse};
use desk_wecom::types::MediaType;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::messages::ChatMessage;
use crate::state::World;
use crate::Simulator;

/// The entries `sendChatMessage` works from (D-98539).
const ENTRIES: [&str; 4] = [
    "single_chat_tools",
    "group_chat_tools",
    "chat_attachment",
    "single_kf_tools",
];

/// The failure texts of the client (after `sendChatMessage:fail `).
const NO_PERMISSION: &str = "no permission";
const NO_CONTEXT: &str = "without context of external contact";

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SendChat {
    /// Check only: the member has not pressed 发送 yet.
    #[serde(default)]
    preview: bool,
    #[serde(default)]
    entry: String,
    external_user_id: Option<String>,
    chat_id: Option<String>,
    /// The app the page registered with (`agentConfig`).
    agent_id: Option<i64>,
    #[serde(default)]
    msgtype: String,
    text: Option<TextBody>,
    image: Option<MediaBody>,
    video: Option<MediaBody>,
    file: Option<MediaBody>,
}

#[derive(Deserialize)]
struct TextBody {
    #[serde(default)]
    content: String,
}

#[derive(Deserialize)]
struct MediaBody {
    #[serde(default)]
    mediaid: String,
}

/// Why the client refuses: its own words, or WeCom's errcode inside them.
enum Refusal {
    Client(&'static str),
    Code(i64, String),
}

/// `POST /sim/client/send-chat` → `{ok: true, to: {kind, id, name}}` (recorded unless
/// `preview`), or `{ok: false, reason}` / `{ok: false, errcode, errmsg}`.
pub(crate) async fn send_chat(sim: web::Data<Simulator>, req: web::Json<SendChat>) -> HttpResponse {
    let req = req.into_inner();
    let outcome = sim.with_world(|w| {
        let to = check(w, &req)?;
        if !req.preview {
            record(w, &req);
        }
        Ok(to)
    });
    HttpResponse::Ok().json(match outcome {
        Ok(to) => json!({ "ok": true, "to": to }),
        Err(Refusal::Client(reason)) => json!({ "ok": false, "reason": reason }),
        Err(Refusal::Code(errcode, errmsg)) => {
            json!({ "ok": false, "errcode": errcode, "errmsg": errmsg })
        }
    })
}

/// `GET /sim/client/sent` → `{messages: [{member, entry, externalUserId, chatId,
/// msgtype, text, mediaId, at}]}`, oldest first (the last 500).
pub(crate) async fn sent(sim: web::Data<Simulator>) -> HttpResponse {
    let messages: Vec<ChatMessage> = sim.with_world(|w| w.messages.chat_sent().cloned().collect());
    HttpResponse::Ok().json(json!({ "messages": messages }))
}

/// The chat the message goes to, or why the client refuses.
fn check(w: &World, req: &SendChat) -> Result<Value, Refusal> {
    let Some(member) = w.client.member() else {
        return Err(Refusal::Client(NO_PERMISSION));
    };
    if !ENTRIES.contains(&req.entry.as_str()) {
        return Err(Refusal::Client(NO_CONTEXT));
    }
    if matches!(req.entry.as_str(), "single_chat_tools" | "group_chat_tools") {
        let rules = &w.rules.settings;
        let app_allowed = rules
            .customer_api_agents
            .as_ref()
            .is_none_or(|agents| req.agent_id.is_some_and(|a| agents.contains(&a)));
        if rules.without_customer_contact.iter().any(|u| u == member) || !app_allowed {
            return Err(Refusal::Client(NO_PERMISSION));
        }
    }
    let to = target(w, member, req).ok_or(Refusal::Client(NO_CONTEXT))?;
    check_message(w, req)?;
    Ok(to)
}

/// The chat the page was opened from, if the member is in it.
fn target(w: &World, member: &str, req: &SendChat) -> Option<Value> {
    let customer = || {
        let id = req
            .external_user_id
            .as_deref()
            .filter(|id| !id.is_empty())?;
        let c = w.directory.customer(id)?;
        let followed = c.follow.iter().any(|f| f.userid == member);
        // A customer service (微信客服) chat needs no follow relationship.
        (followed || req.entry == "single_kf_tools")
            .then(|| json!({ "kind": "customer", "id": id, "name": c.name }))
    };
    let chat = || {
        let id = req.chat_id.as_deref().filter(|id| !id.is_empty())?;
        if let Some(g) = w.groups.get(id) {
            return g
                .has_staff(member)
                .then(|| json!({ "kind": "group", "id": id, "name": g.name }));
        }
        let c = w.app_chats.get(id)?;
        (req.entry == "chat_attachment" && c.userlist.iter().any(|u| u == member))
            .then(|| json!({ "kind": "chat", "id": id, "name": c.name }))
    };
    match req.entry.as_str() {
        "single_chat_tools" | "single_kf_tools" => customer(),
        "group_chat_tools" => chat(),
        _ => chat().or_else(customer),
    }
}

/// The message's content: text with something in it, or a media id WeCom knows.
fn check_message(w: &World, req: &SendChat) -> Result<(), Refusal> {
    if req.msgtype == "text" {
        let empty = req
            .text
            .as_ref()
            .is_none_or(|t| t.content.trim().is_empty());
        return match empty {
            true => Err(Refusal::Code(44004, "empty content".into())),
            false => Ok(()),
        };
    }
    let Some(kind) = MediaType::parse(&req.msgtype).filter(|k| *k != MediaType::Voice) else {
        // WeCom sends more kinds (news, miniprogram, …); the simulator models these.
        return Err(Refusal::Code(40008, "invalid message type".into()));
    };
    let id = media_of(req)
        .map(|m| m.mediaid.as_str())
        .unwrap_or_default();
    match w.media.get(id, w.clock.now_secs()) {
        Some(m) if m.kind == kind => Ok(()),
        _ => Err(Refusal::Code(40007, "invalid media_id".into())),
    }
}

/// The `image`, `video` or `file` object `msgtype` names.
fn media_of(req: &SendChat) -> Option<&MediaBody> {
    match req.msgtype.as_str() {
        "image" => req.image.as_ref(),
        "video" => req.video.as_ref(),
        "file" => req.file.as_ref(),
        _ => None,
    }
}

fn record(w: &mut World, req: &SendChat) {
    let message = ChatMessage {
        member: w.client.member().unwrap_or_default().to_string(),
        entry: req.entry.clone(),
        external_user_id: req.external_user_id.clone().filter(|s| !s.is_empty()),
        chat_id: req.chat_id.clone().filter(|s| !s.is_empty()),
        msgtype: req.msgtype.clone(),
        text: match req.msgtype.as_str() {
            "text" => req.text.as_ref().map(|t| t.content.clone()),
            _ => None,
        },
        media_id: media_of(req).map(|m| m.mediaid.clone()),
        at: w.clock.now_secs(),
    };
    // A message in a customer group counts for 群聊数据统计.
    if let Some(chat) = message.chat_id.as_deref().filter(|c| w.groups.contains(c)) {
        let day = crate::activity::day_of(message.at);
        w.activity.record(chat, day, 1, [message.member.clone()]);
    }
    w.messages.record_chat(message);
}
