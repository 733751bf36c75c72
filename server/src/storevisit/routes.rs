//! `POST /api/orders/{id}/contact-way` and `GET, PUT /api/admin/welcome`.

use actix_web::{web, HttpResponse};
use desk_shared::storevisit::{ContactWayInfo, WelcomeTemplate};

use super::StoreVisit;
use crate::auth::{Admin, Member};
use crate::error::ApiError;
use crate::orders::{order_of, OrdersState};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/api/orders/{id}/contact-way").post(create))
        .service(
            web::resource("/api/admin/welcome")
                .get(template)
                .put(save_template),
        );
}

/// This capability's operations in `/api/openapi.json`.
#[derive(utoipa::OpenApi)]
#[openapi(paths(create, template, save_template))]
pub struct Api;

/// `POST /api/orders/{id}/contact-way` → `{configId, qrCode}`: 201 when made now, 200
/// when it existed.
#[utoipa::path(
    post,
    path = "/api/orders/{id}/contact-way",
    operation_id = "createContactWay",
    summary = "The order's \"add me\" QR code",
    tag = "orders",
    security(("session_cookie" = [])),
    description = "The order's 「联系我」 code for its designer (WeCom `add_contact_way`, one \
        member, QR code, no confirmation). A customer who scans it becomes the designer's \
        contact and the order's customer, and is welcomed with the order group's join QR \
        code. One per order; concurrent calls make one; a code made for an earlier designer \
        is replaced. Closing the order deletes it. Designer or project manager only. No \
        body: send `X-Desk-Request`.",
    params(("id" = String, Path, description = "The order id")),
    responses(
        (status = 201, description = "Made now.", body = ContactWayInfo),
        (status = 200, description = "The order had it already.", body = ContactWayInfo),
        (status = 401, description = "`not_logged_in`: no session.", body = desk_shared::ApiError),
        (status = 403, description = "`not_your_order`; `customer_api_forbidden`, `not_in_app_range`.", body = desk_shared::ApiError),
        (status = 404, description = "`order_not_found`.", body = desk_shared::ApiError),
        (status = 409, description = "`order_closed`.", body = desk_shared::ApiError),
        (status = 502, description = "`wecom_failed`, `order_source_failed`, `order_source_invalid`.", body = desk_shared::ApiError),
        (status = 503, description = "`wecom_rate_limited`: try again in a minute.", body = desk_shared::ApiError),
        (status = 504, description = "`wecom_timeout`, `order_source_timeout`.", body = desk_shared::ApiError),
    )
)]
async fn create(
    member: Member,
    orders: web::Data<OrdersState>,
    visit: web::Data<StoreVisit>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let order = order_of(&orders, &id, &member).await?;
    let (way, made) = visit.hand_out(&order, &member.0.user_id).await?;
    Ok(match made {
        true => HttpResponse::Created().json(way),
        false => HttpResponse::Ok().json(way),
    })
}

/// `GET /api/admin/welcome`.
#[utoipa::path(
    get,
    path = "/api/admin/welcome",
    operation_id = "welcomeTemplate",
    summary = "The welcome a customer gets on scanning an order's code",
    tag = "replies",
    security(("session_cookie" = [])),
    description = "Admins only. The default until an admin saves one.",
    responses(
        (status = 200, description = "The template.", body = WelcomeTemplate),
        (status = 401, description = "`not_logged_in`.", body = desk_shared::ApiError),
        (status = 403, description = "`admin_only`.", body = desk_shared::ApiError),
    )
)]
async fn template(_admin: Admin, visit: web::Data<StoreVisit>) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(visit.template().await?))
}

/// `PUT /api/admin/welcome`.
#[utoipa::path(
    put,
    path = "/api/admin/welcome",
    operation_id = "saveWelcomeTemplate",
    summary = "Change the welcome",
    tag = "replies",
    security(("session_cookie" = [])),
    description = "Admins only. `text` (with the order group's join QR code attached) and \
        `withoutGroup` (when the order has no group and the pool is empty): trimmed, 1 to \
        1,000 characters each, line breaks kept, no other control characters; the quick \
        replies' placeholders ({客户} {订单号} {订单} {设计师} {项目经理} {我}) are filled from \
        the order. Audited (`welcome.updated`).",
    request_body = WelcomeTemplate,
    responses(
        (status = 200, description = "The template as saved.", body = WelcomeTemplate),
        (status = 400, description = "`invalid_field` naming the field and its limit; `bad_json`.", body = desk_shared::ApiError),
        (status = 401, description = "`not_logged_in`.", body = desk_shared::ApiError),
        (status = 403, description = "`admin_only`.", body = desk_shared::ApiError),
    )
)]
async fn save_template(
    Admin(admin): Admin,
    visit: web::Data<StoreVisit>,
    body: web::Json<WelcomeTemplate>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(visit.save_template(&admin.0.user_id, &body).await?))
}
