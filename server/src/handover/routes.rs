//! `/api/admin/handovers…`: the admin console's 交接 section.

use actix_web::{web, HttpResponse};
use desk_shared::handover::{Handover, HandoverInput, Handovers as HandoverList, Leavers};
use serde::Deserialize;

use super::Handovers;
use crate::auth::Admin;
use crate::error::ApiError;
use crate::ids::MemberId;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/api/admin/handovers/leavers").get(leavers))
        .service(web::resource("/api/admin/handovers").get(list).post(start))
        .service(web::resource("/api/admin/handovers/{id}").get(one));
}

/// This capability's operations in `/api/openapi.json`.
#[derive(utoipa::OpenApi)]
#[openapi(paths(leavers, start, list, one))]
pub struct Api;

/// `GET /api/admin/handovers/leavers`.
#[utoipa::path(
    get,
    path = "/api/admin/handovers/leavers",
    operation_id = "listLeavers",
    summary = "Members who left, with what they leave",
    tag = "handover",
    security(("session_cookie" = [])),
    description = "Admins only (`server.admin_userids`). Each member who left (WeCom's `delete_user` callback and its \
        waiting list, read daily) with their waiting customers, the customer groups they own \
        and their open orders, and their latest handover (without its items).",
    responses(
        (status = 200, description = "The leavers, most recent first.", body = Leavers),
        (status = 401, description = "`not_logged_in`.", body = desk_shared::ApiError),
        (status = 403, description = "`admin_only`.", body = desk_shared::ApiError),
    )
)]
async fn leavers(_admin: Admin, h: web::Data<Handovers>) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(Leavers {
            leavers: h.leavers().await?,
        }))
}

/// `POST /api/admin/handovers`.
#[utoipa::path(
    post,
    path = "/api/admin/handovers",
    operation_id = "startHandover",
    summary = "Hand a member's customers, groups and orders to a successor",
    tag = "handover",
    security(("session_cookie" = [])),
    description = "Admins only (`server.admin_userids`). Everything is checked first (the successor with WeCom; every \
        customer and group picked must be the member's); nothing is sent to WeCom on a 400. \
        The handover then runs as a durable job: customers (WeCom completes each after 24 h), \
        groups (at most 300 a day), orders (at once, with `order.reassigned`).",
    request_body = HandoverInput,
    responses(
        (status = 202, description = "Started; every item with its state.", body = Handover),
        (status = 400, description = "`invalid_field` naming the field: unknown, departed or \
            out-of-range successor, `from == to`, a message over 200 characters, a customer or \
            group that is not the member's; `bad_json`.", body = desk_shared::ApiError),
        (status = 401, description = "`not_logged_in`.", body = desk_shared::ApiError),
        (status = 403, description = "`admin_only`.", body = desk_shared::ApiError),
        (status = 409, description = "`handover_running`: one from this member is unfinished.", body = desk_shared::ApiError),
        (status = 502, description = "`wecom_failed`.", body = desk_shared::ApiError),
        (status = 504, description = "`wecom_timeout`.", body = desk_shared::ApiError),
    )
)]
async fn start(
    Admin(admin): Admin,
    h: web::Data<Handovers>,
    body: web::Json<HandoverInput>,
) -> Result<HttpResponse, ApiError> {
    let started = h.start(&admin.0.user_id, body.into_inner()).await?;
    Ok(HttpResponse::Accepted().json(started))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct ListQuery {
    /// Only handovers from this member.
    from: Option<String>,
}

/// `GET /api/admin/handovers[?from=]`.
#[utoipa::path(
    get,
    path = "/api/admin/handovers",
    operation_id = "listHandovers",
    summary = "Handovers, newest first",
    tag = "handover",
    security(("session_cookie" = [])),
    description = "Admins only (`server.admin_userids`).",
    params(ListQuery),
    responses(
        (status = 200, description = "At most 200, without their items.", body = HandoverList),
        (status = 400, description = "`invalid_field`: `from` is not a userid.", body = desk_shared::ApiError),
        (status = 401, description = "`not_logged_in`.", body = desk_shared::ApiError),
        (status = 403, description = "`admin_only`.", body = desk_shared::ApiError),
    )
)]
async fn list(
    _admin: Admin,
    h: web::Data<Handovers>,
    q: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    let from = match q.from.as_deref() {
        Some(f) => Some(MemberId::parse(f).map_err(|e| ApiError::invalid_field("from", &e.0))?),
        None => None,
    };
    let handovers = h.list(from.as_ref().map(|f| f.as_str())).await?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(HandoverList { handovers }))
}

/// `GET /api/admin/handovers/{id}`.
#[utoipa::path(
    get,
    path = "/api/admin/handovers/{id}",
    operation_id = "getHandover",
    summary = "A handover with every item's state",
    tag = "handover",
    security(("session_cookie" = [])),
    description = "Admins only (`server.admin_userids`). Customers still waiting are asked \
        about first (WeCom's `transfer_result`) when the last look is over a minute old.",
    params(("id" = String, Path, description = "The handover's id")),
    responses(
        (status = 200, description = "The handover and its items.", body = Handover),
        (status = 401, description = "`not_logged_in`.", body = desk_shared::ApiError),
        (status = 403, description = "`admin_only`.", body = desk_shared::ApiError),
        (status = 404, description = "`not_found`.", body = desk_shared::ApiError),
    )
)]
async fn one(
    _admin: Admin,
    h: web::Data<Handovers>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    if id.len() > 64 {
        return Err(super::HandoverError::NotFound.into());
    }
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(h.get(&id).await?))
}
