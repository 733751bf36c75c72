//! Join QR codes per order, from a pool of pre-built empty customer groups. An order
//! gets one join way (`add_join_way`, scene 2, that one chat, `state` = a short key of
//! the order) on its own group, or on a free pool group taken for it and recorded as
//! its group (`via: "join_way"`), so "one order, one group" holds across both ways.
//! What exists is reused: a stored QR code is answered; only a config id, the QR code
//! is asked for; neither, the join way is made. One request per order at a time (a
//! lease), so concurrent calls make one join way and take one group. Admins keep the
//! pool topped up (`/api/admin/pool`) and hear once when it runs low. The QR code is
//! also uploaded as a WeCom image for the sidebar to send (`media.rs`).

mod media;
mod pool;
pub mod store;

use media::{__path_media, media};
use pool::{__path_discover, __path_pool, __path_register, discover, pool, register};

use std::sync::Arc;
use std::time::Duration;

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use desk_shared::{JoinWayCreated, PoolChanged, PoolRegistered};
use sha2::{Digest, Sha256};

use crate::auth::Member;
use crate::clock::{now_millis, now_secs};
use crate::db::Db;
use crate::error::{ApiError, ErrorCode};
use crate::orders::store::OrderRow;
use crate::orders::{order_of, OrdersState};
use crate::outbox::events::Events;
use crate::outbox::store::{Kind, NewRow};
use crate::outbox::{AppMessagePayload, Outbox};
use crate::wecom::types::{JoinWaySettings, MessageContent, RobotMessage, RobotText, Text};
use crate::wecom::{WeComClient, WeComError, WeComErrorKind};

/// How long one order's join-way request may hold its turn.
const TURN: Duration = Duration::from_secs(30);
/// Chat ids one registration may name.
const MAX_REGISTER: usize = 100;
/// `groupchat/list` pages `discover` reads at most (100 groups a page).
const MAX_DISCOVER_PAGES: usize = 10;
/// Pool groups the admin page lists.
const LISTED: i64 = 500;

/// What join ways and the pool need.
pub struct JoinWays {
    pub db: Db,
    pub wecom: WeComClient,
    pub events: Events,
    pub outbox: Arc<Outbox>,
    pub admins: Vec<String>,
    pub owners: Vec<String>,
    pub low_threshold: i64,
    /// The application's clock: how old an uploaded QR code is.
    pub clock: crate::clock::Clock,
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/api/orders/{id}/join-way").post(create))
        .service(web::resource("/api/orders/{id}/join-way/media").post(media))
        .service(web::resource("/api/admin/pool").get(pool).post(register))
        .service(web::resource("/api/admin/pool/discover").post(discover));
}

/// This capability's operations in `/api/openapi.json`.
#[derive(utoipa::OpenApi)]
#[openapi(paths(create, media, pool, register, discover))]
pub struct Api;

/// The short key customers who scan the order's QR code carry (`state`, ≤30 chars).
pub fn state_of(order_id: &str) -> String {
    let digest = Sha256::digest(format!("join:{order_id}").as_bytes());
    format!("o{}", &hex::encode(digest)[..16])
}

/// Why an order's join QR code was not handed out, or the pool not changed.
#[derive(Debug, thiserror::Error)]
pub enum JoinWayError {
    #[error("the order is closed")]
    OrderClosed,
    #[error("no free group is left in the pool")]
    PoolEmpty,
    #[error(transparent)]
    WeCom(#[from] WeComError),
    /// The join way's QR image could not be had (to upload it).
    #[error(transparent)]
    Image(#[from] crate::wecom::types::ImageFetchError),
    #[error(transparent)]
    Turn(#[from] crate::lease::TurnError),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    #[error("{0}")]
    Unexpected(&'static str),
}

impl From<JoinWayError> for ApiError {
    fn from(e: JoinWayError) -> Self {
        match e {
            JoinWayError::OrderClosed => ApiError::new(
                StatusCode::CONFLICT,
                ErrorCode::OrderClosed,
                "订单已关闭，不能再生成进群二维码。/ The order is closed.",
            ),
            JoinWayError::PoolEmpty => ApiError::new(
                StatusCode::CONFLICT,
                ErrorCode::PoolEmpty,
                "群池里暂时没有空闲的客户群，无法生成进群二维码。已通知管理员补充，请稍后再试。/ No free group is left in the pool; the admins have been told.",
            ),
            JoinWayError::WeCom(e) => e.into(),
            JoinWayError::Image(e) => media::image_error(e),
            JoinWayError::Turn(e) => e.into(),
            JoinWayError::Database(e) => e.into(),
            JoinWayError::Unexpected(why) => ApiError::internal(why),
        }
    }
}

/// `POST /api/orders/{id}/join-way` → `{configId, qrCode, chatId}`: 201 when made now,
/// 200 when it existed.
#[utoipa::path(
    post,
    path = "/api/orders/{id}/join-way",
    operation_id = "createJoinWay",
    summary = "The order's join QR code",
    tag = "orders",
    security(("session_cookie" = [])),
    description = "The join QR code for the order's own customer group: on the group the \
        order has, or on a free group taken from the pool for it (then recorded as its group).",
    params(("id" = String, Path, description = "The order id")),
    responses(
        (status = 201, description = "Made now.", body = JoinWayCreated),
        (status = 200, description = "The order had it already.", body = JoinWayCreated),
        (status = 401, description = "`not_logged_in`: no session.", body = desk_shared::ApiError),
        (status = 403, description = "`not_your_order`; `customer_api_forbidden`, `not_in_app_range`.", body = desk_shared::ApiError),
        (status = 404, description = "`order_not_found`.", body = desk_shared::ApiError),
        (status = 409, description = "`order_closed`; `pool_empty`: no free group is left (the admins are told).", body = desk_shared::ApiError),
        (status = 502, description = "`wecom_failed`, `order_source_failed`, `order_source_invalid`.", body = desk_shared::ApiError),
        (status = 504, description = "`wecom_timeout`, `order_source_timeout`.", body = desk_shared::ApiError),
    )
)]
async fn create(
    member: Member,
    orders: web::Data<OrdersState>,
    ways: web::Data<JoinWays>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let order = order_of(&orders, &id, &member).await?;
    let (way, made) = ways.hand_out(&order, &member.0.user_id).await?;
    Ok(match made {
        true => HttpResponse::Created().json(way),
        false => HttpResponse::Ok().json(way),
    })
}

impl JoinWays {
    /// The order's join QR code, made once whatever the concurrency (one request per
    /// order at a time, across instances); whether it was made now.
    #[tracing::instrument(skip(self, order), fields(order = %order.id))]
    pub async fn hand_out(
        &self,
        order: &OrderRow,
        by: &str,
    ) -> Result<(JoinWayCreated, bool), JoinWayError> {
        if order.status == "closed" {
            return Err(JoinWayError::OrderClosed);
        }
        let _turn =
            crate::lease::take_turn(&self.db, &format!("joinway:{}", order.id), TURN).await?;
        let (way, made) = self.join_way_for(order, by).await?;
        if made {
            tracing::info!(order = %order.id, chat_id = %way.chat_id, by, "join way made");
        }
        Ok((way, made))
    }

    /// The order's join way, made (or finished) if need be; whether it was made now.
    async fn join_way_for(
        &self,
        order: &OrderRow,
        by: &str,
    ) -> Result<(JoinWayCreated, bool), JoinWayError> {
        let row = match store::find(&self.db, &order.id).await? {
            Some(r) if r.deleted_at.is_none() => r,
            _ => self.start(order, by).await?,
        };
        if let (Some(config_id), Some(qr_code)) = (&row.config_id, &row.qr_code) {
            let way = JoinWayCreated {
                config_id: config_id.clone(),
                qr_code: qr_code.clone(),
                chat_id: row.chat_id.clone(),
            };
            return Ok((way, false));
        }
        let config_id = match &row.config_id {
            Some(c) => c.clone(),
            None => {
                let remark: String = format!("订单 {}", order.id).chars().take(30).collect();
                let settings = JoinWaySettings {
                    scene: 2,
                    remark: Some(remark),
                    auto_create_room: Some(0),
                    chat_id_list: vec![row.chat_id.clone()],
                    state: Some(row.state.clone()),
                    ..Default::default()
                };
                let config_id = self.wecom.add_join_way(&settings).await?;
                store::set_config_id(&self.db, &order.id, &config_id).await?;
                config_id
            }
        };
        let qr_code = self
            .wecom
            .join_way(&config_id)
            .await?
            .qr_code
            .filter(|q| !q.is_empty())
            .ok_or_else(|| WeComError::Decode("get_join_way gave no qr_code".into()))?;
        store::set_qr_code(&self.db, &order.id, &qr_code).await?;
        let mut tx = self.db.begin().await?;
        crate::audit::record(
            &mut tx,
            by,
            "join_way.created",
            &order.id,
            serde_json::json!({ "chatId": row.chat_id, "configId": config_id }),
        )
        .await?;
        tx.commit().await?;
        let way = JoinWayCreated {
            config_id,
            qr_code,
            chat_id: row.chat_id,
        };
        Ok((way, true))
    }

    /// Notes the order's join way on its own group, or on a pool group taken for it.
    async fn start(&self, order: &OrderRow, by: &str) -> Result<store::JoinWayRow, JoinWayError> {
        let state = state_of(&order.id);
        let now = now_secs();
        let mut tx = self.db.begin().await?;
        let chat_id = match &order.chat_id {
            Some(chat) => chat.clone(),
            None => {
                let Some((chat, name)) =
                    store::take_free(&mut tx, &self.db, &order.id, now).await?
                else {
                    tx.rollback().await?;
                    self.note_level().await?;
                    return Err(JoinWayError::PoolEmpty);
                };
                let recorded = crate::groups::store::record_pool_group(
                    &mut tx,
                    &self.events,
                    &order.id,
                    &chat,
                    &name,
                    by,
                )
                .await?;
                if !recorded {
                    // A group was recorded for the order meanwhile (made in the
                    // client): the pool group stays free, the order's own is used.
                    tx.rollback().await?;
                    let own = crate::orders::store::get(&self.db, &order.id)
                        .await?
                        .and_then(|o| o.chat_id)
                        .ok_or_else(|| JoinWayError::Unexpected("the order's group vanished"))?;
                    tx = self.db.begin().await?;
                    own
                } else {
                    chat
                }
            }
        };
        store::start(&mut tx, &order.id, &chat_id, &state, by, now).await?;
        crate::groups::store::set_join_state(&mut tx, &order.id, &state).await?;
        tx.commit().await?;
        self.outbox.wake();
        self.note_level().await?;
        store::find(&self.db, &order.id)
            .await?
            .ok_or(JoinWayError::Unexpected("a join way just noted is gone"))
    }

    /// A closed order's join way is deleted at WeCom (its group stays the order's).
    pub async fn close(&self, order_id: &str) -> Result<(), JoinWayError> {
        let Some(row) = store::find(&self.db, order_id).await? else {
            return Ok(());
        };
        if row.deleted_at.is_some() {
            return Ok(());
        }
        if let Some(config_id) = &row.config_id {
            match self.wecom.delete_join_way(config_id).await {
                Ok(()) => {}
                // Gone already (deleted in the admin console).
                Err(e) if e.kind() == WeComErrorKind::InvalidParameter => {}
                Err(e) => return Err(e.into()),
            }
        }
        store::mark_deleted(&self.db, order_id, now_secs()).await?;
        store::forget_media(&self.db, order_id).await?;
        tracing::info!(order = order_id, "join way deleted: the order is closed");
        Ok(())
    }

    /// Tells the admins (and the default robot) when the pool got worse than it was:
    /// under `pool.low_threshold`, or empty. Once per crossing: the level told is kept.
    async fn note_level(&self) -> Result<(), sqlx::Error> {
        let (free, _) = store::counts(&self.db).await?;
        let level = if free == 0 {
            "empty"
        } else if free < self.low_threshold {
            "low"
        } else {
            "ok"
        };
        let rank = |l: &str| match l {
            "empty" => 2,
            "low" => 1,
            _ => 0,
        };
        let before = store::level(&self.db).await?.unwrap_or_else(|| "ok".into());
        // The change is written first in its transaction (on SQLite a transaction that
        // reads before it writes can fail against a concurrent writer); of two
        // requests seeing the same crossing, only the one that changed it tells.
        let mut tx = self.db.begin().await?;
        if !store::set_level(&mut tx, level, now_secs()).await? || rank(level) <= rank(&before) {
            return tx.commit().await;
        }
        let text = if free == 0 {
            "群池已空：没有空闲的客户群了，成员现在无法生成进群二维码。请在管理后台「群池」登记或发现新的空群。".to_string()
        } else {
            format!(
                "群池告急：只剩 {free} 个空闲客户群（低于 {} 个）。请在管理后台「群池」登记或发现新的空群。",
                self.low_threshold
            )
        };
        let stamp = now_millis();
        if !self.admins.is_empty() {
            let message = AppMessagePayload {
                touser: self.admins.clone(),
                content: MessageContent::Text {
                    text: Text {
                        content: text.clone(),
                    },
                },
            };
            let payload = serde_json::to_string(&message).unwrap_or_default();
            let id = format!("pool-{level}-{stamp}-admins");
            let row = NewRow {
                id: &id,
                kind: Kind::AppMessage,
                target: &self.admins.join("|"),
                payload: &payload,
                conversation_id: None,
                staff_id: None,
            };
            crate::outbox::store::insert(&mut tx, &row, stamp).await?;
        }
        if let Some(robot) = self.outbox.robots().pick(None) {
            let message = RobotMessage::Text {
                text: RobotText {
                    content: text.clone(),
                    mentioned_list: Vec::new(),
                    mentioned_mobile_list: Vec::new(),
                },
            };
            let payload = serde_json::to_string(&message).unwrap_or_default();
            let id = format!("pool-{level}-{stamp}-robot");
            let row = NewRow {
                id: &id,
                kind: Kind::Robot,
                target: robot,
                payload: &payload,
                conversation_id: None,
                staff_id: None,
            };
            crate::outbox::store::insert(&mut tx, &row, stamp).await?;
        }
        tx.commit().await?;
        self.outbox.wake();
        tracing::warn!(free, level, "the group pool is running low; admins told");
        Ok(())
    }

    /// Puts `chat_id` into the pool if it is an empty customer group nobody uses.
    async fn add_to_pool(&self, chat_id: &str, by: &str) -> Result<PoolRegistered, JoinWayError> {
        let refused = |why: &str| {
            Ok(PoolRegistered {
                chat_id: chat_id.to_string(),
                added: false,
                reason: Some(why.to_string()),
            })
        };
        if crate::ids::WeComId::parse(chat_id).is_err() {
            return refused("群 ID 不合法");
        }
        if store::is_known(&self.db, chat_id).await? {
            return refused("已在群池里，或已是某个订单的群");
        }
        let chat = match self.wecom.group_chat(chat_id).await {
            Ok(chat) => chat,
            Err(e) => match e.kind() {
                WeComErrorKind::NotCustomerGroup => return refused("不是客户群"),
                WeComErrorKind::NoSuchChat | WeComErrorKind::InvalidParameter => {
                    return refused("企业微信里没有这个群")
                }
                _ => return Err(e.into()),
            },
        };
        if !chat.customers().is_empty() {
            return refused("群里已经有客户，不能当空群用");
        }
        let added = store::add(&self.db, chat_id, &chat.name, &chat.owner, by, now_secs()).await?;
        Ok(PoolRegistered {
            chat_id: chat_id.to_string(),
            added,
            reason: (!added).then(|| "已在群池里".to_string()),
        })
    }

    async fn summary(&self, results: Vec<PoolRegistered>) -> Result<PoolChanged, JoinWayError> {
        self.note_level().await?;
        let (free, assigned) = store::counts(&self.db).await?;
        Ok(PoolChanged {
            results,
            free,
            assigned,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_state_key_is_short_stable_and_differs_by_order() {
        assert_eq!(state_of("DD-1"), state_of("DD-1"));
        assert_ne!(state_of("DD-1"), state_of("DD-2"));
        assert!(state_of(&"长".repeat(64)).len() <= 30);
    }
}
