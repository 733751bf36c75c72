//! The order's join QR code as a WeCom temporary image (`POST
//! /api/orders/{id}/join-way/media`), for the sidebar to send into the customer's chat
//! with `ww.sendChatMessage({msgtype: "image", image: {mediaid}})` (D-98539, whose
//! media id comes from 素材管理). The QR image WeCom serves for the join way is
//! downloaded and uploaded with `media/upload` (D-96484): a media id lives 3 days, so
//! one uploaded for the same join way less than 2.5 days ago is answered again. One
//! upload per order at a time, across instances (the join way's turn).

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use desk_shared::replies::JoinWayMedia;

use super::{store, JoinWayError, JoinWays, TURN};
use crate::auth::Member;
use crate::error::{ApiError, ErrorCode};
use crate::orders::store::OrderRow;
use crate::orders::{order_of, OrdersState};
use crate::wecom::types::ImageFetchError;
use crate::wecom::WeComErrorKind;

/// A media id is used again while younger than this (WeCom keeps it 3 days): whoever
/// sends it has half a day left.
pub const REUSE_SECS: i64 = 216_000;

/// `POST /api/orders/{id}/join-way/media` → `{mediaId, expiresAt}`.
#[utoipa::path(
    post,
    path = "/api/orders/{id}/join-way/media",
    operation_id = "joinWayMedia",
    summary = "The order's join QR code as a WeCom image",
    tag = "orders",
    security(("session_cookie" = [])),
    description = "The order's join QR code (made first if the order has none, as \
        `POST /api/orders/{id}/join-way` makes it) uploaded to WeCom as a temporary image, \
        for `ww.sendChatMessage` with `msgtype: \"image\"`. WeCom keeps it 3 days; the same \
        `mediaId` is answered while it is under 2.5 days old and the join way unchanged. \
        No body: send `X-Desk-Request`.",
    params(("id" = String, Path, description = "The order id")),
    responses(
        (status = 200, description = "The media id and when WeCom forgets it (unix seconds).", body = JoinWayMedia),
        (status = 401, description = "`not_logged_in`: no session.", body = desk_shared::ApiError),
        (status = 403, description = "`not_your_order`; `customer_api_forbidden`, `not_in_app_range`.", body = desk_shared::ApiError),
        (status = 404, description = "`order_not_found`.", body = desk_shared::ApiError),
        (status = 409, description = "`order_closed`; `pool_empty`: no free group is left (the admins are told).", body = desk_shared::ApiError),
        (status = 502, description = "`wecom_failed`: WeCom refused the upload, or its QR image could not be read; `order_source_failed`, `order_source_invalid`.", body = desk_shared::ApiError),
        (status = 503, description = "`wecom_rate_limited`: try again in a minute.", body = desk_shared::ApiError),
        (status = 504, description = "`wecom_timeout`, `order_source_timeout`.", body = desk_shared::ApiError),
    )
)]
pub(super) async fn media(
    member: Member,
    orders: web::Data<OrdersState>,
    ways: web::Data<JoinWays>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let order = order_of(&orders, &id, &member).await?;
    let media = ways.media(&order, &member.0.user_id).await?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(media))
}

impl JoinWays {
    /// The order's join QR code as WeCom media: the stored one while it is under 2.5
    /// days old and for the order's current join way, else uploaded now (the join way
    /// made first if need be). One at a time per order, across instances.
    #[tracing::instrument(skip(self, order), fields(order = %order.id))]
    pub async fn media(&self, order: &OrderRow, by: &str) -> Result<JoinWayMedia, JoinWayError> {
        if order.status == "closed" {
            return Err(JoinWayError::OrderClosed);
        }
        let _turn =
            crate::lease::take_turn(&self.db, &format!("joinway:{}", order.id), TURN).await?;
        let (way, _) = self.join_way_for(order, by).await?;
        let now = self.clock.now_secs();
        let stored = store::media(&self.db, &order.id).await?.filter(|m| {
            m.config_id == way.config_id && now - m.uploaded_at < REUSE_SECS && now < m.expires_at
        });
        if let Some(m) = stored {
            return Ok(JoinWayMedia {
                media_id: m.media_id,
                expires_at: m.expires_at,
            });
        }
        let image = self.wecom.fetch_image(&way.qr_code).await?;
        let uploaded = self.wecom.upload_image(&image, "join-qr").await?;
        let row = store::MediaRow {
            config_id: way.config_id,
            media_id: uploaded.media_id.clone(),
            uploaded_at: self.clock.now_secs(),
            expires_at: uploaded.expires_at(),
        };
        store::set_media(&self.db, &order.id, &row).await?;
        tracing::info!(order = %order.id, by, expires_at = row.expires_at, "join QR code uploaded as media");
        Ok(JoinWayMedia {
            media_id: row.media_id,
            expires_at: row.expires_at,
        })
    }
}

/// What a member reads when the QR image could not be had.
pub(super) fn image_error(e: ImageFetchError) -> ApiError {
    match e {
        ImageFetchError::Fetch(e) if e.kind() == WeComErrorKind::Timeout => e.into(),
        e => {
            tracing::warn!(error = %e, "the join QR code's image could not be read");
            ApiError::new(
                StatusCode::BAD_GATEWAY,
                ErrorCode::WecomFailed,
                "没能从企业微信取到进群二维码图片，请稍后重试；若一直如此请联系管理员。/ The join QR code's image could not be read from WeCom; try again shortly, or ask an admin.",
            )
        }
    }
}
