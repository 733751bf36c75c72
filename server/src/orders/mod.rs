//! Orders from the business system, and the designer's customers matching the
//! order's phone. The group recorded against an order is `groups/`.

pub mod store;

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use desk_shared::{is_control_or_bidi, Candidates, Order, OrderInput, Orders};
use serde::Deserialize;

use crate::auth::Member;
use crate::contacts::{self, MirrorError};
use crate::error::{ApiError, ErrorCode};
use crate::integration::ApiKey;
use crate::wecom::{WeComError, WeComErrorKind};
use store::OrderRow;

/// What the orders (and their groups) need: the records, WeCom, the customer mirror
/// and member names.
pub struct OrdersState {
    pub db: crate::db::Db,
    pub wecom: crate::wecom::WeComClient,
    pub customers: contacts::CustomerMirror,
    pub directory: contacts::directory::MemberDirectory,
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/api/v1/orders/{id}").put(upsert))
        .service(web::resource("/api/orders").get(list))
        .service(web::resource("/api/orders/{id}").get(one))
        .service(web::resource("/api/orders/{id}/candidates").get(candidates));
}

impl From<MirrorError> for ApiError {
    fn from(e: MirrorError) -> Self {
        match e {
            MirrorError::WeCom(e) => e.into(),
            MirrorError::Database(e) => e.into(),
            MirrorError::Interrupted(why) => ApiError::internal(why),
        }
    }
}

/// Why an orders request was refused.
#[derive(Debug, thiserror::Error)]
pub enum OrdersError {
    /// The field is named as the JSON names it; `why` is Chinese.
    #[error("{field} is invalid: {why}")]
    InvalidField { field: &'static str, why: String },
    #[error("no such order")]
    NotFound,
    #[error("the member is neither the order's designer nor its project manager")]
    NotYourOrder,
    #[error("the chat is not a customer group")]
    NotCustomerGroup,
    #[error("WeCom has no such chat")]
    ChatNotFound,
    #[error("the group cannot be order {order}'s: {why}")]
    GroupNotForOrder { order: String, why: String },
    #[error("the order already has a group, or the group is another order's")]
    GroupExists,
    #[error(transparent)]
    WeCom(#[from] WeComError),
    #[error(transparent)]
    Mirror(#[from] MirrorError),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<sqlx::Error> for OrdersError {
    fn from(e: sqlx::Error) -> Self {
        Self::Unexpected(anyhow::Error::new(e).context("orders database"))
    }
}

impl From<OrdersError> for ApiError {
    fn from(e: OrdersError) -> Self {
        match e {
            OrdersError::InvalidField { field, why } => ApiError::bad_request(
                ErrorCode::InvalidField,
                format!("{field}：{why} / {field} is invalid: {why}"),
            ),
            OrdersError::NotFound => ApiError::not_found("订单不存在。/ No such order."),
            OrdersError::NotYourOrder => ApiError::new(
                StatusCode::FORBIDDEN,
                ErrorCode::NotYourOrder,
                "这不是你的订单：只有订单的设计师和项目经理可以查看。/ Only the order's designer and project manager may see it.",
            ),
            OrdersError::NotCustomerGroup => ApiError::bad_request(
                ErrorCode::NotCustomerGroup,
                "这个群不是客户群，不能作为订单群。/ The chat is not a customer group.",
            ),
            OrdersError::ChatNotFound => ApiError::bad_request(
                ErrorCode::ChatNotFound,
                "企业微信里没有这个群。/ WeCom has no such group.",
            ),
            OrdersError::GroupNotForOrder { order, why } => ApiError::bad_request(
                ErrorCode::GroupNotForOrder,
                format!("这个群不能作为订单 {order} 的群：{why}"),
            ),
            OrdersError::GroupExists => ApiError::new(
                StatusCode::CONFLICT,
                ErrorCode::GroupExists,
                "这个订单已经有群了（或这个群已属于另一个订单），不会再建第二个。/ The order already has a group.",
            ),
            OrdersError::WeCom(e) => e.into(),
            OrdersError::Mirror(e) => e.into(),
            OrdersError::Unexpected(e) => ApiError::internal(format!("{e:#}")),
        }
    }
}

pub(crate) fn field_error(field: &'static str, why: impl Into<String>) -> OrdersError {
    OrdersError::InvalidField {
        field,
        why: why.into(),
    }
}

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
    if id.is_empty() || id.len() > 64 || id.chars().any(|c| is_control_or_bidi(c) || c == '/') {
        return Err(field_error(
            "id",
            "须为 1~64 个字符，不含 / 、控制字符或文字方向控制符",
        ));
    }
    Ok(())
}

/// `PUT /api/v1/orders/{id}`: the business system upserts an order.
async fn upsert(
    _key: ApiKey,
    state: web::Data<OrdersState>,
    id: web::Path<String>,
    body: web::Json<OrderInput>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let input = body.into_inner();
    validate(&id, &input)?;
    for (field, userid) in [
        ("designerUserId", &input.designer_user_id),
        ("projectManagerUserId", &input.project_manager_user_id),
    ] {
        if let Err(e) = state.directory.lookup(&state.wecom, userid.trim()).await {
            return Err(match e.kind() {
                WeComErrorKind::NoSuchMember => {
                    field_error(field, format!("企业微信中没有成员 {userid}")).into()
                }
                _ => e.into(),
            });
        }
    }
    let created = store::upsert(&state.db, &id, &input).await?;
    let order = load(&state, &id).await?;
    Ok(if created {
        HttpResponse::Created().json(order)
    } else {
        HttpResponse::Ok().json(order)
    })
}

async fn to_dto(state: &OrdersState, row: OrderRow) -> Order {
    let (designer, project_manager) = futures::join!(
        state.directory.person(&state.wecom, &row.designer_userid),
        state.directory.person(&state.wecom, &row.pm_userid)
    );
    Order {
        group: row.group(),
        id: row.id,
        title: row.title,
        designer,
        project_manager,
        customer_name: row.customer_name,
        customer_phone: row.customer_phone,
    }
}

/// The order row, or 404.
async fn find(state: &OrdersState, id: &str) -> Result<OrderRow, OrdersError> {
    store::get(&state.db, id)
        .await?
        .ok_or(OrdersError::NotFound)
}

async fn load(state: &OrdersState, id: &str) -> Result<Order, OrdersError> {
    Ok(to_dto(state, find(state, id).await?).await)
}

/// The order, if `member` is its designer or project manager (403 otherwise).
pub(crate) async fn order_of(
    state: &OrdersState,
    id: &str,
    member: &Member,
) -> Result<OrderRow, OrdersError> {
    let row = find(state, id).await?;
    if !row.is_on(&member.0.user_id) {
        return Err(OrdersError::NotYourOrder);
    }
    Ok(row)
}

/// `GET /api/orders`: the member's orders (as designer or project manager).
async fn list(member: Member, state: web::Data<OrdersState>) -> Result<HttpResponse, ApiError> {
    let rows = store::of_member(&state.db, &member.0.user_id).await?;
    let orders = futures::future::join_all(rows.into_iter().map(|r| to_dto(&state, r))).await;
    Ok(HttpResponse::Ok().json(Orders { orders }))
}

async fn one(
    member: Member,
    state: web::Data<OrdersState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let row = order_of(&state, &id, &member).await?;
    Ok(HttpResponse::Ok().json(to_dto(&state, row).await))
}

#[derive(Deserialize)]
struct CandidatesQuery {
    #[serde(default)]
    refresh: bool,
}

/// `GET /api/orders/{id}/candidates`: the designer's customers whose remark phones
/// match the order's phone, and when there are none, why.
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
