//! `PUT /api/v1/orders/{id}`: the business system pushes an order. Closing an order
//! also closes its join QR code and its "add me" code, and a new order is announced:
//! this route calls the capabilities, so orders never need join ways or store visits.

use actix_web::{web, HttpResponse};
use desk_shared::{Order, OrderInput};

use super::ApiKey;
use crate::error::ApiError;
use crate::joinway::JoinWays;
use crate::orders::OrdersState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/api/v1/orders/{id}").put(upsert));
}

/// This route in `/api/openapi.json`.
#[derive(utoipa::OpenApi)]
#[openapi(paths(upsert))]
pub struct Api;

/// `PUT /api/v1/orders/{id}`: the business system upserts an order.
#[utoipa::path(
    put,
    path = "/api/v1/orders/{id}",
    operation_id = "upsertOrder",
    summary = "Create or replace an order",
    tag = "integration",
    security(("api_key" = [])),
    description = "Creates or replaces an order. The designer and project manager must be \
        members in WeCom. `status: closed` deletes the order's join QR code (its group stays) \
        and its \"add me\" code; a new designer gets a new \"add me\" code. A new order is \
        announced to its designer and project manager (`automation.announce_new_orders`).",
    params(("id" = String, Path, description = "The business system's order id: 1 to 64 characters, no `/`")),
    request_body = OrderInput,
    responses(
        (status = 201, description = "The order is new.", body = Order),
        (status = 200, description = "The order was replaced.", body = Order),
        (status = 400, description = "`invalid_field` (the message names the field), `bad_json`, `bad_content_type`.", body = desk_shared::ApiError),
        (status = 401, description = "`bad_api_key`: no valid `Authorization: Bearer` key.", body = desk_shared::ApiError),
        (status = 502, description = "`wecom_failed`: the members could not be checked with WeCom.", body = desk_shared::ApiError),
        (status = 504, description = "`wecom_timeout`: WeCom did not answer in time.", body = desk_shared::ApiError),
    )
)]
async fn upsert(
    _key: ApiKey,
    orders: web::Data<OrdersState>,
    join_ways: web::Data<JoinWays>,
    handovers: web::Data<crate::handover::Handovers>,
    store_visit: web::Data<crate::storevisit::StoreVisit>,
    id: web::Path<String>,
    body: web::Json<OrderInput>,
) -> Result<HttpResponse, ApiError> {
    let (id, input) = (id.into_inner(), body.into_inner());
    // An id the order push refuses is never looked up (PostgreSQL refuses a NUL).
    let before = match crate::ids::OrderId::parse(&id) {
        Ok(_) => crate::orders::store::get(&orders.db, &id).await?,
        Err(_) => None,
    };
    let (mut order, created) = crate::orders::upsert(&orders, &id, &input).await?;
    let designer_changed = before
        .as_ref()
        .is_some_and(|b| b.designer_userid != order.designer.user_id);
    if let Some(before) = before {
        // Another designer or PM: who it was is kept, the business system hears of it
        // and the group follows the designer.
        handovers.order_changed_hands(&before, &input).await?;
        order = crate::orders::load(&orders, &id).await?;
    }
    if input.status.as_deref() == Some("closed") || designer_changed {
        // Its "add me" code adds the old designer, or nobody should scan it any more.
        store_visit.close(&id).await?;
        order = crate::orders::load(&orders, &id).await?;
    }
    if input.status.as_deref() == Some("closed") {
        // Its QR code must stop letting people in; the group stays the order's.
        join_ways.close(&id).await?;
        order = crate::orders::load(&orders, &id).await?;
    }
    if created {
        if let Some(row) = crate::orders::store::get(&orders.db, &id).await? {
            store_visit.order_arrived(&row).await?;
        }
    }
    Ok(if created {
        HttpResponse::Created().json(order)
    } else {
        HttpResponse::Ok().json(order)
    })
}
