//! `POST /api/orders/{id}/appchat`: a one-tap internal group for an order's staff
//! (designer, project manager and any extra members), made by the server with
//! `appchat/create`. Its chat id is derived from the order, so a second call, a retry
//! or a race gives the same chat (WeCom's 86215 "taken" means: it is ours already);
//! the members get an app message linking the order. In WeCom the page then opens it
//! with `openExistedChatWithMsg`.

pub mod store;

use std::sync::Arc;
use std::time::Duration;

use actix_web::{web, HttpResponse};
use desk_shared::{AppChatRequest, StaffChat};
use sha2::{Digest, Sha256};

use crate::auth::Member;
use crate::clock::{now_millis, now_secs};
use crate::error::{ApiError, ErrorCode};
use crate::orders::{field_error, order_of, OrdersState};
use crate::outbox::store::{Kind, NewRow};
use crate::outbox::{AppMessagePayload, Outbox};
use crate::wecom::types::{AppChatCreate, MessageContent, TextCard};
use crate::wecom::WeComErrorKind;

/// Extra members one request may add.
const MAX_EXTRA: usize = 20;
/// How long one order's request may hold its turn.
const TURN: Duration = Duration::from_secs(30);

/// What the staff chat needs besides the orders.
pub struct StaffChats {
    pub outbox: Arc<Outbox>,
    /// `server.public_url`: the app message links the order page there.
    pub public_url: String,
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/api/orders/{id}/appchat").post(create));
}

/// This capability's operations in `/api/openapi.json`.
#[derive(utoipa::OpenApi)]
#[openapi(paths(create))]
pub struct Api;

/// The chat id for an order's staff chat: `[0-9a-zA-Z]`, 32 characters.
pub fn chat_id_of(order_id: &str) -> String {
    let digest = Sha256::digest(format!("appchat:{order_id}").as_bytes());
    format!("desk{}", &hex::encode(digest)[..28])
}

fn invalid(why: impl Into<String>) -> ApiError {
    field_error("extraUserIds", why).into()
}

/// → `{chatId, name}`: 201 when made now, 200 when it existed.
#[utoipa::path(
    post,
    path = "/api/orders/{id}/appchat",
    operation_id = "createStaffChat",
    summary = "The order's internal staff group",
    tag = "orders",
    security(("session_cookie" = [])),
    description = "The order's internal group for its staff (designer, project manager and \
        `extraUserIds`), made by the server; its members get an app message linking the order. \
        The body is optional.",
    params(("id" = String, Path, description = "The order id")),
    request_body = Option<AppChatRequest>,
    responses(
        (status = 201, description = "Made now.", body = StaffChat),
        (status = 200, description = "The order had it already.", body = StaffChat),
        (status = 400, description = "`invalid_field`: extra members, or designer and project manager are one person; `bad_json`.", body = desk_shared::ApiError),
        (status = 401, description = "`not_logged_in`: no session.", body = desk_shared::ApiError),
        (status = 403, description = "`not_your_order`; `not_in_app_range`.", body = desk_shared::ApiError),
        (status = 404, description = "`order_not_found`.", body = desk_shared::ApiError),
        (status = 502, description = "`wecom_failed`, `order_source_failed`, `order_source_invalid`.", body = desk_shared::ApiError),
        (status = 504, description = "`wecom_timeout`, `order_source_timeout`.", body = desk_shared::ApiError),
    )
)]
async fn create(
    member: Member,
    orders: web::Data<OrdersState>,
    chats: web::Data<StaffChats>,
    id: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    // The body is optional; when there is one it must be right (a misspelt field is
    // an error, not ignored).
    let extra = if body.iter().all(u8::is_ascii_whitespace) {
        Vec::new()
    } else {
        serde_json::from_slice::<AppChatRequest>(&body)
            .map_err(|e| {
                ApiError::bad_request(
                    ErrorCode::BadJson,
                    format!("请求体不是合法的 JSON：{e} / The body is not valid JSON: {e}"),
                )
            })?
            .extra_user_ids
    };
    let order = order_of(&orders, &id, &member).await?;
    if extra.len() > MAX_EXTRA {
        return Err(invalid(format!("最多 {MAX_EXTRA} 人")));
    }
    if extra
        .iter()
        .any(|u| !crate::ids::is_id(u.trim(), crate::ids::MAX_ID_CHARS))
    {
        return Err(invalid("须为企业微信成员账号"));
    }
    if let Some(chat) = store::of_order(&orders.db, &order.id).await? {
        return Ok(HttpResponse::Ok().json(chat));
    }
    let _turn = crate::lease::take_turn(&orders.db, &format!("appchat:{}", order.id), TURN).await?;
    if let Some(chat) = store::of_order(&orders.db, &order.id).await? {
        return Ok(HttpResponse::Ok().json(chat));
    }
    let mut userlist: Vec<String> = Vec::new();
    for u in [&order.designer_userid, &order.pm_userid]
        .into_iter()
        .chain(extra.iter())
    {
        let u = u.trim().to_string();
        if !userlist.contains(&u) {
            userlist.push(u);
        }
    }
    if userlist.len() < 2 {
        // What the member tapping 建内部群 reads: no field name, what to do.
        return Err(ApiError::bad_request(
            ErrorCode::InvalidField,
            "内部群至少要两位成员，而这个订单的设计师和项目经理是同一人：请在业务系统里改正订单的项目经理后再试。/ A chat needs two members.",
        ));
    }
    let chat = StaffChat {
        chat_id: chat_id_of(&order.id),
        name: format!("{}·内部群", order.title).chars().take(50).collect(),
    };
    let made = orders
        .wecom
        .create_app_chat(&AppChatCreate {
            name: chat.name.clone(),
            owner: Some(member.0.user_id.clone()),
            userlist: userlist.clone(),
            chatid: Some(chat.chat_id.clone()),
        })
        .await;
    match made {
        Ok(_) => {}
        // Made before (a retry after an answer was lost, another instance): ours.
        Err(e) if e.kind() == WeComErrorKind::ChatIdTaken => {
            orders.wecom.app_chat(&chat.chat_id).await?;
        }
        Err(e) if e.kind() == WeComErrorKind::BadChatMembers => {
            return Err(ApiError::bad_request(
                ErrorCode::InvalidField,
                "企业微信不接受这个订单的成员：请联系管理员确认设计师和项目经理的账号存在、且在应用的可见范围内。/ WeCom refused the chat's members.",
            ))
        }
        Err(e) => return Err(e.into()),
    }
    let mut tx = orders.db.begin().await?;
    store::record(&mut tx, &order.id, &chat, &member.0.user_id, now_secs()).await?;
    let card = AppMessagePayload {
        touser: userlist,
        content: MessageContent::Textcard {
            textcard: TextCard {
                title: format!("订单群聊已建好：{}", order.title),
                description: "订单的设计师、项目经理已在群里。点开查看订单。".into(),
                url: format!(
                    "{}/orders/{}",
                    chats.public_url.trim_end_matches('/'),
                    url::form_urlencoded::byte_serialize(order.id.as_bytes()).collect::<String>()
                ),
                btntxt: Some("查看订单".into()),
            },
        },
    };
    let payload = serde_json::to_string(&card).map_err(ApiError::internal)?;
    let message_id = format!("staffchat-{}", chat.chat_id);
    crate::outbox::store::insert(
        &mut tx,
        &NewRow {
            id: &message_id,
            kind: Kind::AppMessage,
            target: &card.touser.join("|"),
            payload: &payload,
            conversation_id: None,
            staff_id: None,
        },
        now_millis(),
    )
    .await?;
    tx.commit().await?;
    chats.outbox.wake();
    tracing::info!(order = %order.id, chat_id = %chat.chat_id, by = %member.0.user_id, "staff chat made");
    Ok(HttpResponse::Created().json(chat))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_chat_id_is_what_wecom_takes_and_the_same_for_an_order() {
        let id = chat_id_of("DD-1001");
        assert_eq!(id, chat_id_of("DD-1001"));
        assert_ne!(id, chat_id_of("DD-1002"));
        assert_eq!(id.len(), 32);
        assert!(id.chars().all(|c| c.is_ascii_alphanumeric()));
    }
}
