//! One order, one group: the customer group made for an order (`openEnterpriseChat`
//! in the client), checked with WeCom to really be the order's, recorded once.

pub mod store;
pub mod sync;

use actix_web::{web, HttpResponse};
use desk_shared::RecordGroup;

use crate::auth::Member;
use crate::contacts;
use crate::error::ApiError;
use crate::orders::store::OrderRow;
use crate::orders::{field_error, order_of, OrdersError, OrdersState};
use crate::wecom::WeComErrorKind;
use store::Recorded;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/api/orders/{id}/group").post(record_group))
        .service(web::resource("/api/orders/{id}/staff-joined").post(staff_joined));
}

/// This capability's operations in `/api/openapi.json`.
#[derive(utoipa::OpenApi)]
#[openapi(paths(record_group, staff_joined))]
pub struct Api;

/// Members added at once at most.
const MAX_JOINED: usize = 20;

/// `POST /api/orders/{id}/staff-joined`: the page added members to the order's
/// customer group (`ww.updateEnterpriseChat`); recorded for those WeCom shows in it.
#[utoipa::path(
    post,
    path = "/api/orders/{id}/staff-joined",
    operation_id = "staffJoinedOrderGroup",
    summary = "Record members added to the order's customer group",
    tag = "orders",
    security(("session_cookie" = [])),
    description = "After `updateEnterpriseChat` added members (拉进群): each is checked with \
        WeCom's `groupchat/get` and recorded in the audit log once the group shows them; \
        those it does not show yet are answered as `missing`.",
    params(("id" = String, Path, description = "The order id")),
    request_body = desk_shared::StaffJoined,
    responses(
        (status = 200, description = "Who WeCom shows in the group, and who not yet.", body = desk_shared::StaffJoinedAnswer),
        (status = 400, description = "`invalid_field`: 1 to 20 userids; `chat_not_found`: the order has no group (or WeCom lost it); `bad_json`.", body = desk_shared::ApiError),
        (status = 401, description = "`not_logged_in`: no session.", body = desk_shared::ApiError),
        (status = 403, description = "`not_your_order`.", body = desk_shared::ApiError),
        (status = 404, description = "`order_not_found`.", body = desk_shared::ApiError),
        (status = 502, description = "`wecom_failed`.", body = desk_shared::ApiError),
        (status = 504, description = "`wecom_timeout`.", body = desk_shared::ApiError),
    )
)]
async fn staff_joined(
    member: Member,
    state: web::Data<OrdersState>,
    id: web::Path<String>,
    body: web::Json<desk_shared::StaffJoined>,
) -> Result<HttpResponse, ApiError> {
    let order = order_of(&state, &id, &member).await?;
    let answer = joined(&state, &order, &member, body.into_inner().user_ids).await?;
    Ok(HttpResponse::Ok().json(answer))
}

/// Which of `user_ids` WeCom shows in `order`'s group now; those are recorded.
pub async fn joined(
    state: &OrdersState,
    order: &OrderRow,
    member: &Member,
    user_ids: Vec<String>,
) -> Result<desk_shared::StaffJoinedAnswer, OrdersError> {
    if user_ids.is_empty() || user_ids.len() > MAX_JOINED {
        return Err(field_error("userIds", format!("1~{MAX_JOINED} 个成员")));
    }
    for u in &user_ids {
        crate::ids::MemberId::parse(u).map_err(|e| field_error("userIds", e.0))?;
    }
    let chat_id = order.chat_id.as_deref().ok_or(OrdersError::ChatNotFound)?;
    let chat = state
        .wecom
        .group_chat(chat_id)
        .await
        .map_err(|e| match e.kind() {
            WeComErrorKind::NoSuchChat | WeComErrorKind::NotCustomerGroup => {
                OrdersError::ChatNotFound
            }
            _ => e.into(),
        })?;
    let (joined, missing): (Vec<String>, Vec<String>) =
        user_ids.into_iter().partition(|u| chat.has_staff(u));
    if !joined.is_empty() {
        let mut tx = state.db.begin().await?;
        crate::audit::record(
            &mut tx,
            &member.0.user_id,
            "order_group.staff_joined",
            &order.id,
            serde_json::json!({ "chatId": chat_id, "userIds": joined }),
        )
        .await?;
        tx.commit().await?;
    }
    Ok(desk_shared::StaffJoinedAnswer { joined, missing })
}

/// `POST /api/orders/{id}/group`: records the group `openEnterpriseChat` made.
#[utoipa::path(
    post,
    path = "/api/orders/{id}/group",
    operation_id = "recordOrderGroup",
    summary = "Record the order's customer group",
    tag = "orders",
    security(("session_cookie" = [])),
    description = "The group is checked with WeCom: a customer group the order's designer owns \
        or is in, with the order's customer in it (matched by remark phone, or picked in \
        `externalUserIds`). One order, one group.",
    params(("id" = String, Path, description = "The order id")),
    request_body = RecordGroup,
    responses(
        (status = 201, description = "Recorded now.", body = desk_shared::OrderGroup),
        (status = 200, description = "This chat was the order's group already.", body = desk_shared::OrderGroup),
        (status = 400, description = "`invalid_field`, `not_customer_group`, `chat_not_found`, `group_not_for_order`, `bad_json`.", body = desk_shared::ApiError),
        (status = 401, description = "`not_logged_in`: no session.", body = desk_shared::ApiError),
        (status = 403, description = "`not_your_order`; `customer_api_forbidden`, `not_in_app_range`.", body = desk_shared::ApiError),
        (status = 404, description = "`order_not_found`.", body = desk_shared::ApiError),
        (status = 409, description = "`group_exists`: the order has another group, or the chat is another order's.", body = desk_shared::ApiError),
        (status = 502, description = "`wecom_failed`, `order_source_failed`, `order_source_invalid`.", body = desk_shared::ApiError),
        (status = 504, description = "`wecom_timeout`, `order_source_timeout`.", body = desk_shared::ApiError),
    )
)]
async fn record_group(
    member: Member,
    state: web::Data<OrdersState>,
    id: web::Path<String>,
    body: web::Json<RecordGroup>,
) -> Result<HttpResponse, ApiError> {
    let order = order_of(&state, &id, &member).await?;
    match record(&state, &order, &member, body.into_inner()).await? {
        Recorded::Created(g) => Ok(HttpResponse::Created().json(g)),
        Recorded::Again(g) => Ok(HttpResponse::Ok().json(g)),
        Recorded::Conflict(_) => Err(OrdersError::GroupExists.into()),
    }
}

/// Checks `body` and the chat with WeCom, and records the chat as `order`'s group
/// (once: the same chat again is `Again`, another is `GroupExists`).
#[tracing::instrument(skip_all, fields(order = %order.id, by = %member.0.user_id))]
pub async fn record(
    state: &OrdersState,
    order: &OrderRow,
    member: &Member,
    body: RecordGroup,
) -> Result<Recorded, OrdersError> {
    let chat_id = body.chat_id.trim();
    if chat_id.len() > 64 || crate::ids::WeComId::parse(chat_id).is_err() {
        return Err(field_error("chatId", "须为 1~64 个字符的企业微信群 ID"));
    }
    if body.group_name.chars().count() > desk_shared::MAX_GROUP_NAME_CHARS {
        return Err(field_error(
            "groupName",
            format!("最长 {} 个字符", desk_shared::MAX_GROUP_NAME_CHARS),
        ));
    }
    if body.group_name.chars().any(desk_shared::is_control_or_bidi) {
        return Err(field_error("groupName", "不能含控制字符或文字方向控制符"));
    }
    if body.external_user_ids.len() > MAX_PICKED {
        return Err(field_error(
            "externalUserIds",
            format!("最多 {MAX_PICKED} 个"),
        ));
    }
    if let Some(g) = order.group() {
        return match g.chat_id == chat_id {
            true => Ok(Recorded::Again(g)),
            false => Err(OrdersError::GroupExists),
        };
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
    check_group_is_for_order(state, order, member, &chat, &body.external_user_ids).await?;
    let name = if chat.name.is_empty() {
        body.group_name.trim()
    } else {
        chat.name.as_str()
    };
    let customers = chat.customers();
    let recorded = store::record_group(
        &state.db,
        &state.events,
        &order.id,
        chat_id,
        name,
        &customers,
        &member.0.user_id,
    )
    .await?;
    if let Recorded::Created(_) = recorded {
        tracing::info!(chat_id, "order group recorded");
        state.outbox_wake.notify_one();
    }
    Ok(recorded)
}

/// A group may become the order's only when it really is: the order's designer owns it
/// or is in it, and a customer in it is the order's customer: one of the designer's
/// customers whose remark phone is the order's, or a customer the member picked by
/// hand (at most `MAX_PICKED`), who must be in the group and be the designer's.
/// How many hand-picked customers one request may name (the client picks one).
const MAX_PICKED: usize = 5;

async fn check_group_is_for_order(
    state: &OrdersState,
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
    if !chat.has_staff(designer) {
        let name = state.directory.person(&state.wecom, designer).await.name;
        return Err(refuse(format!(
            "订单的设计师{name}不是群主也不在群里。请用「建群」为这个订单新建客户群。"
        )));
    }
    let customers = chat.customers();
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
    let mut tried: Vec<&str> = Vec::new();
    for id in picked.iter().filter(|p| customers.contains(&p.as_str())) {
        if tried.contains(&id.as_str()) {
            continue;
        }
        tried.push(id);
        if follows(state, id, &[designer]).await? {
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
    state: &OrdersState,
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

/// What a `change_external_chat` callback says about a group.
#[derive(Debug)]
pub struct ChatChange<'a> {
    pub chat_id: &'a str,
    /// `create`, `update` or `dismiss`.
    pub change_type: &'a str,
    /// On `update`: `add_member`, `del_member`, `change_name`, …
    pub update_detail: &'a str,
    /// Who joined or left.
    pub members: &'a [String],
}

/// Keeps a recorded group as WeCom changes it: on members joining or leaving, the
/// group is read again (`sync::refresh`: its customers, a customer joining marks the
/// order 客户已进群 with a `customer.joined` event); a dismissed group is noted.
/// Groups no order recorded are not ours to follow. Seeing the same change twice
/// changes nothing.
pub async fn chat_changed(state: &OrdersState, c: &ChatChange<'_>) -> Result<(), OrdersError> {
    let order = crate::orders::store::of_chat(&state.db, c.chat_id).await?;
    let Some(order) = order else { return Ok(()) };
    let named: &[String] = match (c.change_type, c.update_detail) {
        ("dismiss", _) => {
            if store::mark_dismissed(&state.db, c.chat_id, crate::clock::now_secs()).await? {
                tracing::info!(order = %order.id, chat_id = c.chat_id, "order group dismissed");
            }
            return Ok(());
        }
        ("update", "add_member") => c.members,
        ("update", "del_member") => &[],
        _ => return Ok(()),
    };
    sync::refresh(state, &order, c.chat_id, named).await?;
    Ok(())
}
