//! The messages bridge between the business website and staff in WeCom:
//! `POST /api/v1/notifications` queues a robot message about a website conversation
//! (the bound member @-mentioned); a member's text to the app comes back through the
//! callback pipeline (`route_reply`) into that conversation, readable at
//! `GET /api/v1/conversations/{id}/messages` and pushed as a `staff.replied` event.
//! Staff bindings (`/api/v1/staff`) say which business staff id each member is.

mod notify;
mod staff;
pub mod store;

pub use notify::NotifyError;

use staff::{__path_bind, __path_staff, __path_unbind, bind, staff, unbind};
pub use staff::{bind_staff, unbind_staff};

use std::sync::Arc;

use actix_web::{web, HttpResponse};
use desk_shared::integration::{
    is_conversation_id, is_conversation_id_char, ConversationMessages, Notification,
    NotificationAccepted, NotificationState, NotificationStatus,
};
use serde::Deserialize;

use crate::clock::{now_millis, now_secs};
use crate::db::Db;
use crate::error::ApiError;
use crate::ids::ConversationId;
use crate::integration::ApiKey;
use crate::orders::field_error;
use crate::outbox::events::event_id;
use crate::outbox::store::{Kind, NewRow};
use crate::outbox::{AppMessagePayload, Outbox};
use crate::wecom::types::{MessageContent, Text};
use crate::wecom::WeComClient;
use store::Added;

/// Replies one page of `GET /api/v1/conversations/{id}/messages` holds at most.
pub const MESSAGES_PAGE: i64 = 200;

/// What the bridge needs.
pub struct BridgeState {
    pub db: Db,
    pub wecom: WeComClient,
    pub outbox: Arc<Outbox>,
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/api/v1/notifications").post(notify))
        .service(web::resource("/api/v1/notifications/{id}").get(notification))
        .service(web::resource("/api/v1/staff").get(staff))
        .service(
            web::resource("/api/v1/staff/{staffId}")
                .put(bind)
                .delete(unbind),
        )
        .service(web::resource("/api/v1/conversations/{id}/messages").get(messages));
}

/// This capability's operations in `/api/openapi.json`.
#[derive(utoipa::OpenApi)]
#[openapi(paths(notify, notification, staff, bind, unbind, messages))]
pub struct Api;

fn invalid(field: &'static str, why: impl Into<String>) -> ApiError {
    field_error(field, why).into()
}

fn check_conversation_id(id: &str) -> Result<ConversationId, ApiError> {
    ConversationId::parse(id).map_err(|why| invalid("conversationId", why.0))
}

/// What the robot posts: the website's text and the line telling staff how to answer.
fn robot_text(text: &str, conversation_id: &str) -> String {
    format!("{text}\n\n——会话 #{conversation_id}：在应用里直接回复即可送达；回复其他会话请以 #会话号 开头。")
}

/// `POST /api/v1/notifications` → 202 `{id, status}` once the row is durable. A repeat
/// with the same `Idempotency-Key` answers the first one's id.
#[utoipa::path(
    post,
    path = "/api/v1/notifications",
    operation_id = "notifyStaff",
    summary = "Notify staff about a conversation",
    tag = "integration",
    security(("api_key" = [])),
    description = "Queues a robot message about a website conversation (the bound member of \
        `staffId` @-mentioned); staff answer it in the app and their replies come back as \
        `staff.replied` events and in `GET /api/v1/conversations/{id}/messages`.",
    params(("Idempotency-Key" = Option<String>, Header, description = "1 to 200 visible ASCII characters: a repeat answers the first notification")),
    request_body = Notification,
    responses(
        (status = 202, description = "Queued (the row is durable); poll `GET /api/v1/notifications/{id}`.", body = NotificationAccepted),
        (status = 400, description = "`invalid_field` (the message names the field), `unknown_robot`, `unknown_staff`, `bad_json`.", body = desk_shared::ApiError),
        (status = 401, description = "`bad_api_key`: no valid `Authorization: Bearer` key.", body = desk_shared::ApiError),
        (status = 409, description = "`idempotency_key_reused`: the key was used for another notification.", body = desk_shared::ApiError),
    )
)]
async fn notify(
    _key: ApiKey,
    state: web::Data<BridgeState>,
    req: actix_web::HttpRequest,
    body: web::Json<Notification>,
) -> Result<HttpResponse, ApiError> {
    let key = match req.headers().get("idempotency-key") {
        None => None,
        Some(v) => Some(v.to_str().map_err(|_| NotifyError::BadKey)?.to_string()),
    };
    let accepted = notify::queue(&state, body.into_inner(), key.as_deref()).await?;
    Ok(HttpResponse::Accepted().json(accepted))
}

fn status_of(s: &str) -> NotificationStatus {
    match s {
        "sent" => NotificationStatus::Sent,
        "failed" => NotificationStatus::Failed,
        _ => NotificationStatus::Queued,
    }
}

/// `GET /api/v1/notifications/{id}`: where a notification is.
#[utoipa::path(
    get,
    path = "/api/v1/notifications/{id}",
    operation_id = "getNotification",
    summary = "Where a notification is",
    tag = "integration",
    security(("api_key" = [])),
    params(("id" = String, Path, description = "The id `POST /api/v1/notifications` answered")),
    responses(
        (status = 200, description = "Its status, attempts and last error.", body = NotificationState),
        (status = 401, description = "`bad_api_key`: no valid `Authorization: Bearer` key.", body = desk_shared::ApiError),
        (status = 404, description = "`not_found`: no such notification.", body = desk_shared::ApiError),
    )
)]
async fn notification(
    _key: ApiKey,
    state: web::Data<BridgeState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let row = crate::outbox::store::get(&state.db, &id)
        .await?
        .filter(|r| r.kind == Kind::Robot.as_str())
        .ok_or_else(|| ApiError::not_found("没有这条通知。/ No such notification."))?;
    Ok(HttpResponse::Ok().json(NotificationState {
        id: row.id,
        status: status_of(&row.status),
        attempts: row.attempts,
        last_error: row.last_error,
        sent_at: row.sent_at.map(|ms| ms / 1000),
    }))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct After {
    /// Only replies after this message id (the last one seen).
    #[serde(default)]
    after: Option<i64>,
}

/// `GET /api/v1/conversations/{id}/messages[?after=ID]`: replies oldest first, at most
/// `MESSAGES_PAGE`; ask again with the last id until none come.
#[utoipa::path(
    get,
    path = "/api/v1/conversations/{id}/messages",
    operation_id = "listConversationMessages",
    summary = "Staff replies in a conversation",
    tag = "integration",
    security(("api_key" = [])),
    params(("id" = String, Path, description = "The conversation id"), After),
    responses(
        (status = 200, description = "Staff replies oldest first, at most 200: ask again with `after` = the last id.", body = ConversationMessages),
        (status = 400, description = "`invalid_field`: not a conversation id; `bad_query`.", body = desk_shared::ApiError),
        (status = 401, description = "`bad_api_key`: no valid `Authorization: Bearer` key.", body = desk_shared::ApiError),
    )
)]
async fn messages(
    _key: ApiKey,
    state: web::Data<BridgeState>,
    id: web::Path<String>,
    query: web::Query<After>,
) -> Result<HttpResponse, ApiError> {
    check_conversation_id(&id)?;
    let after = query.after.unwrap_or(0);
    let messages = store::messages_after(&state.db, &id, after, MESSAGES_PAGE).await?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(ConversationMessages { messages }))
}

/// Where a member's text goes: the conversation named by a leading `#id`, and the text
/// after it.
fn addressed(content: &str) -> (Option<&str>, &str) {
    let trimmed = content.trim();
    if let Some(rest) = trimmed
        .strip_prefix('#')
        .or_else(|| trimmed.strip_prefix('＃'))
    {
        let end = rest
            .char_indices()
            .find(|(_, c)| !is_conversation_id_char(*c))
            .map_or(rest.len(), |(i, _)| i);
        if end > 0 && is_conversation_id(&rest[..end]) {
            return (Some(&rest[..end]), rest[end..].trim());
        }
    }
    (None, trimmed)
}

/// What happened to a member's text, as the app tells them.
enum Routed {
    Delivered(String),
    NotBound,
    NoConversation,
    UnknownConversation(String),
    Empty,
}

impl Routed {
    fn tell(&self) -> String {
        match self {
            Routed::Delivered(c) => format!("已送达会话 #{c}。"),
            Routed::NotBound => "这条消息没有送出：你的企业微信账号还没有绑定业务系统的员工号。请联系管理员绑定（员工绑定）。".into(),
            Routed::NoConversation => "这条消息没有送出：还没有可以回复的会话。收到客户消息的通知后直接回复；或以 #会话号 开头指定会话。".into(),
            Routed::UnknownConversation(c) => format!("这条消息没有送出：没有你能回复的会话 #{c}。请检查会话号（见通知末尾）。"),
            Routed::Empty => "这条消息没有送出：# 会话号后面没有内容。".into(),
        }
    }
}

/// A member's text to the app (the callback `source`, written at `written_secs`):
/// into its conversation, as a `staff.replied` event, and an app message telling the
/// member where it went. All in one transaction whose rows are keyed by `source`, so
/// a redelivered or replayed callback changes nothing. Without a `#id` the text answers
/// the conversation the robot last posted for the member before they wrote it; with
/// one, a conversation posted for them or for nobody in particular.
pub async fn route_reply(
    state: &BridgeState,
    from: &str,
    content: &str,
    source: &str,
    written_secs: i64,
) -> Result<(), sqlx::Error> {
    let now = now_secs();
    let (named, text) = addressed(content);
    let binding = store::binding_of_member(&state.db, from).await?;
    let conversation = match (&binding, named) {
        (None, _) => None,
        (Some(b), Some(c)) => Some(
            store::may_answer(&state.db, &b.staff_id, c)
                .await?
                .then(|| c.to_string())
                .ok_or_else(|| c.to_string()),
        ),
        (Some(b), None) => {
            let at_ms = written_secs.saturating_add(1).saturating_mul(1000) - 1;
            store::posted_before(&state.db, &b.staff_id, at_ms)
                .await?
                .map(Ok)
        }
    };
    let mut tx = state.db.begin().await?;
    let routed = match (&binding, conversation) {
        (None, _) => Routed::NotBound,
        (Some(_), None) => Routed::NoConversation,
        (Some(_), Some(Err(c))) => Routed::UnknownConversation(c),
        (Some(_), Some(Ok(_))) if text.is_empty() => Routed::Empty,
        (Some(b), Some(Ok(c))) => {
            match store::add_message(&mut tx, &c, b, text, source, now).await? {
                Added::NoConversation => Routed::UnknownConversation(c),
                Added::Again => Routed::Delivered(c),
                Added::New(message_id) => {
                    state
                        .outbox
                        .events()
                        .emit(
                            &mut tx,
                            &event_id(&format!("staff.replied:{source}")),
                            "staff.replied",
                            serde_json::json!({
                                "conversationId": c,
                                "messageId": message_id,
                                "staffId": b.staff_id,
                                "wecomUserId": b.wecom_user_id,
                                "text": text,
                                "createdAt": now,
                            }),
                            now_millis(),
                        )
                        .await?;
                    Routed::Delivered(c)
                }
            }
        }
    };
    let ack = serde_json::to_string(&AppMessagePayload {
        touser: vec![from.to_string()],
        content: MessageContent::Text {
            text: Text {
                content: routed.tell(),
            },
        },
    })
    .map_err(|e| sqlx::Error::Protocol(e.to_string()))?;
    let ack_id = event_id(&format!("reply-ack:{source}")).replacen("evt_", "ack_", 1);
    let row = NewRow {
        id: &ack_id,
        kind: Kind::AppMessage,
        target: from,
        payload: &ack,
        conversation_id: None,
        staff_id: None,
    };
    crate::outbox::store::insert(&mut tx, &row, now_millis()).await?;
    tx.commit().await?;
    state.outbox.wake();
    tracing::info!(from, outcome = %routed.tell(), "staff reply routed");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_leading_hash_names_the_conversation_and_the_rest_is_the_text() {
        assert_eq!(
            addressed("#c-1 好的，明天到"),
            (Some("c-1"), "好的，明天到")
        );
        assert_eq!(addressed("  ＃web:7\n收到"), (Some("web:7"), "收到"));
        assert_eq!(addressed("#c-1好的"), (Some("c-1"), "好的"));
        assert_eq!(addressed("好的 #c-1"), (None, "好的 #c-1"));
        assert_eq!(addressed("# 不是会话"), (None, "# 不是会话"));
        assert_eq!(addressed("#c-1"), (Some("c-1"), ""));
    }

    #[test]
    fn the_robot_line_names_the_conversation_within_the_limit() {
        let t = robot_text("客户王女士：明天几点到？", "c-42");
        assert!(t.starts_with("客户王女士：明天几点到？"));
        assert!(t.contains("#c-42"));
        assert!(robot_text("", &"x".repeat(64)).len() < 300);
    }
}
