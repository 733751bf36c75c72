//! Orders from the business system, and the designer's customers matching the
//! order's phone. The group recorded against an order is `groups/`.

mod error;
pub mod source;
pub mod store;

pub use error::{field_error, OrdersError};

use actix_web::{web, HttpResponse};
use desk_shared::{is_control_or_bidi, Candidates, Order, OrderInput, Orders};
use serde::Deserialize;

use crate::auth::Member;
use crate::contacts;
use crate::error::ApiError;
use crate::wecom::WeComErrorKind;
use store::OrderRow;

/// What the orders (and their groups) need: the records, WeCom, the customer mirror
/// and member names.
pub struct OrdersState {
    pub db: crate::db::Db,
    pub wecom: crate::wecom::WeComClient,
    pub customers: contacts::CustomerMirror,
    pub directory: contacts::directory::MemberDirectory,
    pub source: source::OrderSource,
    /// Where events about orders' groups go (`group.created`, `customer.joined`).
    pub events: crate::outbox::events::Events,
    /// Rung when an event was queued, so it goes out now.
    pub outbox_wake: std::sync::Arc<tokio::sync::Notify>,
    /// Each member's look-ups per minute (business-system pulls here, WeCom look-ups
    /// in the sidebar).
    pub allowance: std::sync::Arc<crate::auth::Allowance>,
    /// What a pulled order's age is told by.
    pub clock: crate::clock::Clock,
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/api/orders").get(list))
        .service(web::resource("/api/orders/{id}").get(one))
        .service(web::resource("/api/orders/{id}/candidates").get(candidates));
}

/// This capability's operations in `/api/openapi.json`.
#[derive(utoipa::OpenApi)]
#[openapi(paths(list, one, candidates))]
pub struct Api;

/// Checks an order's fields; the error names the field.
fn validate(id: &str, o: &OrderInput) -> Result<(), OrdersError> {
    let checks: [(&'static str, &str, usize); 5] = [
        ("title", &o.title, 100),
        ("designerUserId", &o.designer_user_id, 64),
        ("projectManagerUserId", &o.project_manager_user_id, 64),
        ("customerName", &o.customer_name, 50),
        ("customerPhone", &o.customer_phone, 32),
    ];
    for (field, value, max) in checks {
        if value.trim().is_empty() {
            return Err(field_error(field, "不能为空"));
        }
        if value.chars().count() > max {
            return Err(field_error(field, format!("最长 {max} 个字符")));
        }
        if value.chars().any(is_control_or_bidi) {
            return Err(field_error(field, "不能含控制字符或文字方向控制符"));
        }
    }
    for (field, userid) in [
        ("designerUserId", &o.designer_user_id),
        ("projectManagerUserId", &o.project_manager_user_id),
    ] {
        if let Err(why) = crate::ids::check_id(userid.trim(), crate::ids::MAX_ID_CHARS) {
            return Err(field_error(field, why.0));
        }
    }
    if !matches!(o.status.as_deref(), None | Some("open" | "closed")) {
        return Err(field_error("status", "须为 open 或 closed"));
    }
    check_order_id(id).map(drop)
}

/// The one id rule (`ids::check_id`) for order ids.
fn check_order_id(id: &str) -> Result<crate::ids::OrderId, OrdersError> {
    crate::ids::OrderId::parse(id).map_err(|why| field_error("id", why.0))
}

/// Creates or replaces order `id` as the business system sent it: checked as
/// `validate` says, its designer and project manager checked with WeCom. The order as
/// members see it, and whether it is new.
pub async fn upsert(
    state: &OrdersState,
    id: &str,
    input: &OrderInput,
) -> Result<(Order, bool), OrdersError> {
    validate(id, input)?;
    check_members(state, input).await?;
    let created = store::upsert(&state.db, id, input, None).await?;
    Ok((load(state, id).await?, created))
}

/// The order as members see it, with the names of its designer and project manager.
pub(crate) async fn to_dto(state: &OrdersState, row: OrderRow) -> Order {
    let person = |userid: Option<String>| async move {
        match userid {
            Some(u) => Some(state.directory.person(&state.wecom, &u).await),
            None => None,
        }
    };
    let (designer, project_manager, designer_from, pm_from) = futures::join!(
        state.directory.person(&state.wecom, &row.designer_userid),
        state.directory.person(&state.wecom, &row.pm_userid),
        person(row.designer_from.clone()),
        person(row.pm_from.clone()),
    );
    let reassigned_from =
        (designer_from.is_some() || pm_from.is_some()).then_some(desk_shared::Reassigned {
            designer: designer_from,
            project_manager: pm_from,
        });
    Order {
        reassigned_from,
        group_move_note: row.move_note.clone(),
        group: row.group(),
        staff_chat: row.staff_chat(),
        join_way: row.join_way(),
        contact_way: row.contact_way(),
        customer_added_at: row.customer_added_at,
        welcome_note: row.welcome_note.clone(),
        status: row.status.clone(),
        id: row.id,
        title: row.title,
        designer,
        project_manager,
        customer_name: row.customer_name,
        customer_phone: row.customer_phone,
        notice: None,
    }
}

/// The address of the order's page in the H5 (what app messages link to).
pub fn page_url(public_url: &str, order_id: &str) -> String {
    format!(
        "{}/orders/{}",
        public_url.trim_end_matches('/'),
        url::form_urlencoded::byte_serialize(order_id.as_bytes()).collect::<String>()
    )
}

/// The order row, or 404.
async fn find(state: &OrdersState, id: &str) -> Result<OrderRow, OrdersError> {
    store::get(&state.db, id)
        .await?
        .ok_or(OrdersError::NotFound)
}

/// The order as members see it (404 when there is none).
pub async fn load(state: &OrdersState, id: &str) -> Result<Order, OrdersError> {
    Ok(to_dto(state, find(state, id).await?).await)
}

/// The order, if `member` is its designer or project manager (403 otherwise);
/// pulled from the business system first when it has to be.
pub(crate) async fn order_of(
    state: &OrdersState,
    id: &str,
    member: &Member,
) -> Result<OrderRow, OrdersError> {
    Ok(visible_order(state, id, member).await?.0)
}

/// As `order_of`, with the sentence to show when the order may be out of date.
async fn visible_order(
    state: &OrdersState,
    id: &str,
    member: &Member,
) -> Result<(OrderRow, Option<String>), OrdersError> {
    let (row, notice) = stored_or_pulled(state, id, &member.0.user_id).await?;
    if !row.is_on(&member.0.user_id) {
        return Err(OrdersError::NotYourOrder);
    }
    Ok((row, notice))
}

/// The stored order, or, with a business system to ask (`integration.order_source`),
/// the order fetched from it when not stored or pulled longer ago than the TTL. One
/// fetch per order at a time, each counted against `member`'s allowance; an id the
/// business system has just said it does not have is not asked again for a while.
/// When the business system cannot answer, a stored copy is used with a notice; an
/// answer that is not a valid order stores nothing. An id no order can have is 404
/// before anything is looked up or kept.
async fn stored_or_pulled(
    state: &OrdersState,
    id: &str,
    member: &str,
) -> Result<(OrderRow, Option<String>), OrdersError> {
    if check_order_id(id).is_err() {
        return Err(OrdersError::NotFound);
    }
    let source::OrderSource::Http(source) = &state.source else {
        return Ok((find(state, id).await?, None));
    };
    let fresh = |row: &OrderRow| {
        row.pulled_at
            .is_none_or(|at| state.clock.now_secs() - at < source.ttl_secs)
    };
    if let Some(row) = store::get(&state.db, id).await? {
        if fresh(&row) {
            return Ok((row, None));
        }
    }
    let _one_fetch = source.slot(id).lock().await;
    let stored = store::get(&state.db, id).await?;
    if let Some(row) = &stored {
        if fresh(row) {
            return Ok((row.clone(), None));
        }
    }
    if stored.is_none() && source.recently_not_found(id) {
        return Err(OrdersError::NotFound);
    }
    if !state.allowance.take(member) {
        return match stored {
            Some(row) => Ok((
                row,
                Some("一分钟内打开的订单太多，这是之前取到的订单信息，可能不是最新的；稍后再打开可刷新。".into()),
            )),
            None => Err(OrdersError::TooMany),
        };
    }
    match source.fetch(id).await {
        Ok(source::Pulled::Found(input)) => {
            check_pulled(state, id, &input).await?;
            store::upsert(&state.db, id, &input, Some(state.clock.now_secs())).await?;
            tracing::info!(order = id, "order pulled from the business system");
            Ok((find(state, id).await?, None))
        }
        Ok(source::Pulled::NotFound) => Err(OrdersError::NotFound),
        Err(e) => match stored {
            Some(row) => {
                tracing::warn!(error = %e, order = id, "order source failed; showing the stored copy");
                let at = row.pulled_at.unwrap_or_default();
                let minutes = ((state.clock.now_secs() - at) / 60).max(1);
                Ok((
                    row,
                    Some(format!(
                        "暂时连不上业务系统，这是约 {minutes} 分钟前的订单信息，可能不是最新的。"
                    )),
                ))
            }
            None => Err(e.into()),
        },
    }
}

/// A pulled order is checked exactly as a pushed one; what is wrong is the business
/// system's fault (502 naming the field), not the member's.
async fn check_pulled(
    state: &OrdersState,
    id: &str,
    input: &OrderInput,
) -> Result<(), OrdersError> {
    let invalid = |field: String, why: String| {
        OrdersError::Source(source::PullError::Invalid {
            field: Some(field),
            why,
        })
    };
    if let Err(OrdersError::InvalidField { field, why }) = validate(id, input) {
        return Err(invalid(field.to_string(), why));
    }
    check_members(state, input).await.map_err(|e| match e {
        OrdersError::InvalidField { field, why } => invalid(field.to_string(), why),
        other => other,
    })
}

/// The designer and project manager exist in WeCom.
async fn check_members(state: &OrdersState, input: &OrderInput) -> Result<(), OrdersError> {
    for (field, userid) in [
        ("designerUserId", &input.designer_user_id),
        ("projectManagerUserId", &input.project_manager_user_id),
    ] {
        if let Err(e) = state.directory.lookup(&state.wecom, userid.trim()).await {
            return Err(match e.kind() {
                WeComErrorKind::NoSuchMember => {
                    field_error(field, format!("企业微信中没有成员 {userid}"))
                }
                _ => e.into(),
            });
        }
    }
    Ok(())
}

/// `GET /api/orders`: the member's orders (as designer or project manager).
#[utoipa::path(
    get,
    path = "/api/orders",
    operation_id = "listOrders",
    summary = "The member's orders",
    tag = "orders",
    security(("session_cookie" = [])),
    responses(
        (status = 200, description = "The orders the member is designer or project manager of, with their groups.", body = Orders),
        (status = 401, description = "`not_logged_in`: no session; log in at `/auth/login`.", body = desk_shared::ApiError),
    )
)]
async fn list(member: Member, state: web::Data<OrdersState>) -> Result<HttpResponse, ApiError> {
    let rows = store::of_member(&state.db, &member.0.user_id).await?;
    let orders = futures::future::join_all(rows.into_iter().map(|r| to_dto(&state, r))).await;
    Ok(HttpResponse::Ok().json(Orders { orders }))
}

/// `GET /api/orders/{id}`: one order the member is on, with its group.
#[utoipa::path(
    get,
    path = "/api/orders/{id}",
    operation_id = "getOrder",
    summary = "One order",
    tag = "orders",
    security(("session_cookie" = [])),
    description = "With `integration.order_source` set, an order not stored (or stored longer \
        ago than its TTL) is asked of the business system first; when it cannot answer, the \
        stored copy is answered with a `notice`.",
    params(("id" = String, Path, description = "The order id")),
    responses(
        (status = 200, description = "The order.", body = Order),
        (status = 401, description = "`not_logged_in`: no session.", body = desk_shared::ApiError),
        (status = 403, description = "`not_your_order`: the member is neither its designer nor its project manager.", body = desk_shared::ApiError),
        (status = 404, description = "`order_not_found`: neither the server nor the business system has it.", body = desk_shared::ApiError),
        (status = 502, description = "`order_source_failed`, `order_source_invalid`: the business system failed.", body = desk_shared::ApiError),
        (status = 504, description = "`order_source_timeout`: the business system did not answer in time.", body = desk_shared::ApiError),
    )
)]
async fn one(
    member: Member,
    state: web::Data<OrdersState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let (row, notice) = visible_order(&state, &id, &member).await?;
    let mut order = to_dto(&state, row).await;
    order.notice = notice;
    Ok(HttpResponse::Ok().json(order))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct CandidatesQuery {
    /// Read the designer's customers from WeCom again first (at most once a minute).
    #[serde(default)]
    refresh: bool,
}

/// `GET /api/orders/{id}/candidates`: the designer's customers whose remark phones
/// match the order's phone, and when there are none, why.
#[utoipa::path(
    get,
    path = "/api/orders/{id}/candidates",
    operation_id = "listCandidates",
    summary = "The customers who may be the order's customer",
    tag = "orders",
    security(("session_cookie" = [])),
    params(("id" = String, Path, description = "The order id"), CandidatesQuery),
    responses(
        (status = 200, description = "The matching customers; `hint` says why there is not exactly one.", body = Candidates),
        (status = 400, description = "`bad_query`: the query string could not be read.", body = desk_shared::ApiError),
        (status = 401, description = "`not_logged_in`: no session.", body = desk_shared::ApiError),
        (status = 403, description = "`not_your_order`; `customer_api_forbidden`, `not_in_app_range`: WeCom refused (an admin fixes the app).", body = desk_shared::ApiError),
        (status = 404, description = "`order_not_found`.", body = desk_shared::ApiError),
        (status = 502, description = "`wecom_failed`, or the business system failed (`order_source_*`).", body = desk_shared::ApiError),
        (status = 504, description = "`wecom_timeout`, `order_source_timeout`.", body = desk_shared::ApiError),
    )
)]
async fn candidates(
    member: Member,
    state: web::Data<OrdersState>,
    id: web::Path<String>,
    q: web::Query<CandidatesQuery>,
) -> Result<HttpResponse, ApiError> {
    let order = order_of(&state, &id, &member).await?;
    let designer = &order.designer_userid;
    let mirror = state
        .customers
        .ensure_fresh(&state.db, &state.wecom, designer, q.refresh)
        .await?;
    let found = contacts::by_phone(&state.db, designer, &order.customer_phone).await?;
    let designer_name = state.directory.person(&state.wecom, designer).await.name;
    let hint = match found.len() {
        1 => None,
        // The order was handed to this designer and the customers are still on their
        // way (WeCom completes a handover after 24 h): that is why, not a wrong phone.
        0 if store::customers_on_their_way(&state.db, designer).await? > 0 => Some(format!(
            "这个订单的客户正在转接给{designer_name}（企业微信在交接开始 24 小时内完成）：转接完成后再来建群。"
        )),
        0 => {
            let named = contacts::named(&state.db, designer, &order.customer_name).await?;
            Some(no_match_hint(&designer_name, &order, mirror.info, &named))
        }
        n => Some(format!(
            "{designer_name}有 {n} 位客户的备注里有这个手机号，请选出订单上的客户。"
        )),
    };
    let hint = if mirror.refreshing {
        Some(format!(
            "客户名单正在从企业微信刷新，下面是刷新前的结果；稍后再打开可看到最新结果。{}",
            hint.unwrap_or_default()
        ))
    } else {
        hint
    };
    let hint = match (mirror.refresh_in, hint) {
        (Some(secs), hint) => Some(format!(
            "客户名单刚刚刷新过，{secs} 秒后才能再次刷新；下面是当前名单的结果。{}",
            hint.unwrap_or_default()
        )),
        (None, hint) => hint,
    };
    Ok(HttpResponse::Ok().json(Candidates {
        candidates: found,
        hint,
    }))
}

fn no_match_hint(
    designer: &str,
    order: &OrderRow,
    info: contacts::SyncInfo,
    named: &[(String, bool)],
) -> String {
    let phone = &order.customer_phone;
    if let Some((name, _)) = named.iter().find(|(_, has_phone)| !has_phone) {
        return format!(
            "{designer}的客户「{name}」备注里没有手机号：请{designer}在企业微信客户资料的备注里填上 {phone} 后点「刷新」，或手动选择客户。"
        );
    }
    if info.customers == 0 {
        return format!("{designer}还没有添加任何客户：请先用企业微信添加客户，或手动选择客户。");
    }
    format!(
        "{designer}的 {} 位客户里没有备注手机号为 {phone} 的客户（其中 {} 位没有填写备注手机号）。请确认{designer}已添加该客户并在备注里填写手机号后点「刷新」，或手动选择客户。",
        info.customers, info.without_phone
    )
}
