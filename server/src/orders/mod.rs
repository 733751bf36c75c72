//! One order, one group: orders from the business system, the designer's customers
//! matching the order's phone, and the group recorded against the order.

pub mod store;

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use desk_shared::{is_control_or_bidi, Candidates, Order, OrderInput, Orders, RecordGroup};
use serde::Deserialize;

use crate::auth::Member;
use crate::contacts::{self, MirrorError};
use crate::error::{ApiError, ErrorCode};
use crate::integration::ApiKey;
use crate::startup::AppState;
use crate::wecom::{WeComError, WeComErrorKind};
use store::{OrderRow, Recorded};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/api/v1/orders/{id}").put(upsert))
        .service(web::resource("/api/orders").get(list))
        .service(web::resource("/api/orders/{id}").get(one))
        .service(web::resource("/api/orders/{id}/candidates").get(candidates))
        .service(web::resource("/api/orders/{id}/group").post(record_group));
}

impl From<MirrorError> for ApiError {
    fn from(e: MirrorError) -> Self {
        match e {
            MirrorError::WeCom(e) => e.into(),
            MirrorError::Database(e) => e.into(),
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

fn field_error(field: &'static str, why: impl Into<String>) -> OrdersError {
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
    state: web::Data<AppState>,
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

async fn to_dto(state: &AppState, row: OrderRow) -> Order {
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
async fn find(state: &AppState, id: &str) -> Result<OrderRow, OrdersError> {
    store::get(&state.db, id)
        .await?
        .ok_or(OrdersError::NotFound)
}

async fn load(state: &AppState, id: &str) -> Result<Order, OrdersError> {
    Ok(to_dto(state, find(state, id).await?).await)
}

/// The order, if `member` is its designer or project manager (403 otherwise).
async fn order_of(state: &AppState, id: &str, member: &Member) -> Result<OrderRow, OrdersError> {
    let row = find(state, id).await?;
    if !row.is_on(&member.0.user_id) {
        return Err(OrdersError::NotYourOrder);
    }
    Ok(row)
}

/// `GET /api/orders`: the member's orders (as designer or project manager).
async fn list(member: Member, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let rows = store::of_member(&state.db, &member.0.user_id).await?;
    let orders = futures::future::join_all(rows.into_iter().map(|r| to_dto(&state, r))).await;
    Ok(HttpResponse::Ok().json(Orders { orders }))
}

async fn one(
    member: Member,
    state: web::Data<AppState>,
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
    state: web::Data<AppState>,
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

/// `POST /api/orders/{id}/group`: records the group `openEnterpriseChat` made.
async fn record_group(
    member: Member,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: web::Json<RecordGroup>,
) -> Result<HttpResponse, ApiError> {
    let order = order_of(&state, &id, &member).await?;
    let body = body.into_inner();
    let chat_id = body.chat_id.trim();
    if chat_id.is_empty() || chat_id.len() > 64 {
        return Err(field_error("chatId", "须为 1~64 个字符").into());
    }
    if body.group_name.chars().count() > 100 {
        return Err(field_error("groupName", "最长 100 个字符").into());
    }
    if let Some(g) = order.group() {
        if g.chat_id != chat_id {
            return Err(OrdersError::GroupExists.into());
        }
        return Ok(HttpResponse::Ok().json(g));
    }
    let chat = state
        .wecom
        .group_chat(chat_id)
        .await
        .map_err(|e| match e.kind() {
            WeComErrorKind::NotCustomerGroup => OrdersError::NotCustomerGroup,
            WeComErrorKind::NoSuchChat | WeComErrorKind::InvalidParameter => {
                OrdersError::ChatNotFound
            }
            _ => e.into(),
        })?;
    check_group_is_for_order(&state, &order, &member, &chat, &body.external_user_ids).await?;
    let name = if chat.name.is_empty() {
        body.group_name.trim()
    } else {
        chat.name.as_str()
    };
    match store::record_group(&state.db, &order.id, chat_id, name, &member.0.user_id).await? {
        Recorded::Created(g) => {
            tracing::info!(order = %order.id, chat_id, by = %member.0.user_id, "order group recorded");
            Ok(HttpResponse::Created().json(g))
        }
        Recorded::Again(g) => Ok(HttpResponse::Ok().json(g)),
        Recorded::Conflict(_) => Err(OrdersError::GroupExists.into()),
    }
}

/// A group may become the order's only when it really is: the order's designer owns it
/// or is in it, and a customer in it is the order's customer: one of the designer's
/// customers whose remark phone is the order's, or the customer the member picked by
/// hand, who must be in the group and be followed by the designer or the member.
async fn check_group_is_for_order(
    state: &AppState,
    order: &OrderRow,
    member: &Member,
    chat: &crate::wecom::types::GroupChat,
    picked: &[String],
) -> Result<(), OrdersError> {
    let refuse = |why: String| {
        tracing::warn!(order = %order.id, chat_id = %chat.chat_id, by = %member.0.user_id, %why, "group refused for order");
        OrdersError::GroupNotForOrder {
            order: order.id.clone(),
            why,
        }
    };
    let designer = &order.designer_userid;
    let staff_in = chat.owner == *designer
        || chat
            .member_list
            .iter()
            .any(|m| m.kind == 1 && m.userid == *designer);
    if !staff_in {
        let name = state.directory.person(&state.wecom, designer).await.name;
        return Err(refuse(format!(
            "订单的设计师{name}不是群主也不在群里。请用「建群」为这个订单新建客户群。"
        )));
    }
    let customers: Vec<&str> = chat
        .member_list
        .iter()
        .filter(|m| m.kind == 2)
        .map(|m| m.userid.as_str())
        .collect();
    if customers.is_empty() {
        return Err(refuse(
            "群里还没有客户。请用「建群」拉上订单的客户新建客户群。".into(),
        ));
    }
    state
        .customers
        .ensure_fresh(&state.db, &state.wecom, designer, false)
        .await?;
    let matched = contacts::by_phone(&state.db, designer, &order.customer_phone).await?;
    if matched
        .iter()
        .any(|c| customers.contains(&c.external_user_id.as_str()))
    {
        return Ok(());
    }
    for id in picked.iter().filter(|p| customers.contains(&p.as_str())) {
        if follows(state, id, &[designer, &member.0.user_id]).await? {
            return Ok(());
        }
    }
    Err(refuse(format!(
        "群里的客户不是订单上的客户（设计师的客户备注里没有手机号 {}）。请选对群，或先在客户备注里填上手机号。",
        order.customer_phone
    )))
}

/// Whether one of `members` follows customer `external_userid`: the mirror first,
/// WeCom (`externalcontact/get`) when the mirror does not know.
async fn follows(
    state: &AppState,
    external_userid: &str,
    members: &[&String],
) -> Result<bool, OrdersError> {
    for m in members {
        if contacts::is_customer_of(&state.db, m, external_userid).await? {
            return Ok(true);
        }
    }
    match state.wecom.customer(external_userid, "").await {
        Ok(detail) => Ok(detail
            .follow_user
            .iter()
            .any(|f| members.iter().any(|m| **m == f.follow.userid))),
        Err(e)
            if matches!(
                e.kind(),
                WeComErrorKind::NoSuchCustomer | WeComErrorKind::NoCustomers
            ) =>
        {
            Ok(false)
        }
        Err(e) => Err(e.into()),
    }
}
