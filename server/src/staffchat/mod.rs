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
use crate::orders::store::OrderRow;
use crate::orders::{order_of, OrdersState};
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
    Ok(
        match chats
            .make(&orders, &order, &extra, &member.0.user_id)
            .await?
        {
            Made::Now(chat) => HttpResponse::Created().json(chat),
            Made::Before(chat) => HttpResponse::Ok().json(chat),
        },
    )
}

/// Why an order's staff chat was not made.
#[derive(Debug, thiserror::Error)]
pub enum StaffChatError {
    #[error("extraUserIds: {0}")]
    InvalidExtra(String),
    #[error("the designer and the project manager are one person")]
    OneMember,
    #[error("WeCom refused the chat's members")]
    MembersRefused,
    #[error(transparent)]
    WeCom(#[from] crate::wecom::WeComError),
    #[error(transparent)]
    Turn(#[from] crate::lease::TurnError),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    #[error("{0}")]
    Unexpected(String),
}

impl From<StaffChatError> for ApiError {
    fn from(e: StaffChatError) -> Self {
        match e {
            StaffChatError::InvalidExtra(why) => ApiError::invalid_field("extraUserIds", &why),
            // What the member tapping 建内部群 reads: no field name, what to do.
            StaffChatError::OneMember => ApiError::bad_request(
                ErrorCode::InvalidField,
                "内部群至少要两位成员，而这个订单的设计师和项目经理是同一人：请在业务系统里改正订单的项目经理后再试。/ A chat needs two members.",
            ),
            StaffChatError::MembersRefused => ApiError::bad_request(
                ErrorCode::InvalidField,
                "企业微信不接受这个订单的成员：请联系管理员确认设计师和项目经理的账号存在、且在应用的可见范围内。/ WeCom refused the chat's members.",
            ),
            StaffChatError::WeCom(e) => e.into(),
            StaffChatError::Turn(e) => e.into(),
            StaffChatError::Database(e) => e.into(),
            StaffChatError::Unexpected(why) => ApiError::internal(why),
        }
    }
}

/// An order's staff chat: made by this call, or made before.
pub enum Made {
    Now(StaffChat),
    Before(StaffChat),
}

impl StaffChats {
    /// The order's staff chat (its designer, project manager and `extra` members),
    /// made once whatever the concurrency: the members get an app message linking the
    /// order, queued with the record in one transaction.
    #[tracing::instrument(skip(self, orders, order), fields(order = %order.id))]
    pub async fn make(
        &self,
        orders: &OrdersState,
        order: &OrderRow,
        extra: &[String],
        by: &str,
    ) -> Result<Made, StaffChatError> {
        if extra.len() > MAX_EXTRA {
            return Err(StaffChatError::InvalidExtra(format!("最多 {MAX_EXTRA} 人")));
        }
        if extra
            .iter()
            .any(|u| crate::ids::MemberId::parse(u.trim()).is_err())
        {
            return Err(StaffChatError::InvalidExtra("须为企业微信成员账号".into()));
        }
        if let Some(chat) = store::of_order(&orders.db, &order.id).await? {
            return Ok(Made::Before(chat));
        }
        let _turn =
            crate::lease::take_turn(&orders.db, &format!("appchat:{}", order.id), TURN).await?;
        if let Some(chat) = store::of_order(&orders.db, &order.id).await? {
            return Ok(Made::Before(chat));
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
            return Err(StaffChatError::OneMember);
        }
        let chat = StaffChat {
            chat_id: chat_id_of(&order.id),
            name: format!("{}·内部群", order.title).chars().take(50).collect(),
        };
        let made = orders
            .wecom
            .create_app_chat(&AppChatCreate {
                name: chat.name.clone(),
                owner: Some(by.to_string()),
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
                return Err(StaffChatError::MembersRefused)
            }
            Err(e) => return Err(e.into()),
        }
        self.record(orders, order, &chat, userlist, by).await?;
        tracing::info!(order = %order.id, chat_id = %chat.chat_id, by, "staff chat made");
        Ok(Made::Now(chat))
    }

    /// Records the chat and queues the app message telling its members, in one
    /// transaction.
    async fn record(
        &self,
        orders: &OrdersState,
        order: &OrderRow,
        chat: &StaffChat,
        userlist: Vec<String>,
        by: &str,
    ) -> Result<(), StaffChatError> {
        let mut tx = orders.db.begin().await?;
        store::record(&mut tx, &order.id, chat, by, now_secs()).await?;
        let card = AppMessagePayload {
            touser: userlist,
            content: MessageContent::Textcard {
                textcard: TextCard {
                    title: format!("订单群聊已建好：{}", order.title),
                    description: "订单的设计师、项目经理已在群里。点开查看订单。".into(),
                    url: crate::orders::page_url(&self.public_url, &order.id),
                    btntxt: Some("查看订单".into()),
                },
            },
        };
        let payload =
            serde_json::to_string(&card).map_err(|e| StaffChatError::Unexpected(e.to_string()))?;
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
        self.outbox.wake();
        Ok(())
    }
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
