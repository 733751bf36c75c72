//! The admin console's lists and the staff bindings an admin changes: every order
//! with its group, the bindings as WeCom knows their members, the outbox, the audit
//! log. Each list is paged; each change goes into the audit log under the admin.

use actix_web::{web, HttpResponse};
use desk_shared::admin::{
    AdminOrders, AdminStaff, AdminStaffBinding, AuditPage, OutboxCounts, OutboxMessage,
    OutboxMessages, MAX_ADMIN_PAGE,
};
use desk_shared::integration::StaffBindingInput;
use futures::StreamExt;
use serde::Deserialize;

use crate::auth::Admin;
use crate::bridge::BridgeState;
use crate::error::ApiError;
use crate::orders::OrdersState;
use crate::wecom::WeComErrorKind;

/// Members looked up in WeCom at once for the bindings list.
const LOOKUPS_AT_ONCE: usize = 8;
/// Deepest offset a list may be paged to (past it, narrow the filter).
const MAX_OFFSET: i64 = 100_000;

fn invalid(field: &'static str, why: &str) -> ApiError {
    ApiError::invalid_field(field, why)
}

/// `limit` (default 20, 1..=100) and `offset` (0..=100000), checked.
fn paging(limit: Option<i64>, offset: Option<i64>) -> Result<(i64, i64), ApiError> {
    let limit = limit.unwrap_or(20);
    if !(1..=MAX_ADMIN_PAGE).contains(&limit) {
        return Err(invalid("limit", "须为 1~100"));
    }
    let offset = offset.unwrap_or(0);
    if !(0..=MAX_OFFSET).contains(&offset) {
        return Err(invalid("offset", "须为 0~100000"));
    }
    Ok((limit, offset))
}

/// An optional text filter: trimmed, empty means none, at most 64 characters.
fn text_filter<'a>(
    field: &'static str,
    value: &'a Option<String>,
) -> Result<Option<&'a str>, ApiError> {
    match value.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) if v.chars().count() > 64 || v.chars().any(desk_shared::is_control_or_bidi) => {
            Err(invalid(field, "须为 64 个字符以内的文字"))
        }
        Some(v) => Ok(Some(v)),
    }
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct OrdersQuery {
    designer: Option<String>,
    /// `with` or `without` a customer group.
    group: Option<String>,
    /// Part of the id, the title or the customer's name.
    q: Option<String>,
    limit: Option<i64>,
    offset: Option<i64>,
}

/// `GET /api/admin/orders[?designer=&group=with|without&q=&limit=&offset=]`.
#[utoipa::path(
    get,
    path = "/api/admin/orders",
    operation_id = "adminOrders",
    summary = "Every order and its group",
    tag = "admin",
    security(("session_cookie" = [])),
    description = "Admins only (`server.admin_userids`). Every order, newest first, with its \
        customer group (how it was made, whether the customer joined, whether it was dismissed); \
        filtered by designer, group and text; paged.",
    params(OrdersQuery),
    responses(
        (status = 200, description = "A page of orders, how many match, and the designers.", body = AdminOrders),
        (status = 400, description = "`invalid_field`: a filter or the paging is out of range.", body = desk_shared::ApiError),
        (status = 401, description = "`not_logged_in`: no session.", body = desk_shared::ApiError),
        (status = 403, description = "`admin_only`: the member is not an admin.", body = desk_shared::ApiError),
    )
)]
pub async fn orders(
    _admin: Admin,
    state: web::Data<OrdersState>,
    query: web::Query<OrdersQuery>,
) -> Result<HttpResponse, ApiError> {
    let (limit, offset) = paging(query.limit, query.offset)?;
    let with_group = match query.group.as_deref() {
        None | Some("") => None,
        Some("with") => Some(true),
        Some("without") => Some(false),
        Some(_) => return Err(invalid("group", "须为 with 或 without")),
    };
    let filter = crate::orders::store::Filter {
        designer: text_filter("designer", &query.designer)?,
        with_group,
        text: text_filter("q", &query.q)?,
    };
    let page = crate::orders::store::page(&state.db, &filter, offset, limit).await?;
    let orders = futures::stream::iter(page.rows)
        .map(|row| crate::orders::to_dto(&state, row))
        .buffered(LOOKUPS_AT_ONCE)
        .collect()
        .await;
    let designer_ids = crate::orders::store::designers(&state.db).await?;
    let state = &state;
    let designers = futures::stream::iter(designer_ids)
        .map(|id| async move { state.directory.person(&state.wecom, &id).await })
        .buffered(LOOKUPS_AT_ONCE)
        .collect()
        .await;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(AdminOrders {
            orders,
            total: page.total,
            with_group: page.with_group,
            designers,
        }))
}

/// `GET /api/admin/staff`: every binding, with its member's name in WeCom (`None`
/// when WeCom no longer knows the member).
#[utoipa::path(
    get,
    path = "/api/admin/staff",
    operation_id = "adminStaff",
    summary = "The staff bindings, checked with WeCom",
    tag = "admin",
    security(("session_cookie" = [])),
    description = "Admins only. Every business staff id and its WeCom member, with the member's \
        name as WeCom has it (`memberName: null` when WeCom no longer knows the member; \
        `checkError` when WeCom could not be asked about that member just now).",
    responses(
        (status = 200, description = "Every binding.", body = AdminStaff),
        (status = 401, description = "`not_logged_in`: no session.", body = desk_shared::ApiError),
        (status = 403, description = "`admin_only`: the member is not an admin.", body = desk_shared::ApiError),
    )
)]
pub async fn staff(
    _admin: Admin,
    bridge: web::Data<BridgeState>,
    orders: web::Data<OrdersState>,
) -> Result<HttpResponse, ApiError> {
    let bindings = crate::bridge::store::bindings(&bridge.db).await?;
    // One member WeCom cannot be asked about says so on its row; the list still shows.
    let staff: Vec<AdminStaffBinding> = futures::stream::iter(bindings)
        .map(|binding| {
            let orders = orders.clone();
            async move {
                let (member_name, check_error) = match orders
                    .directory
                    .lookup(&orders.wecom, &binding.wecom_user_id)
                    .await
                {
                    Ok(p) => (Some(p.name), None),
                    Err(e) if e.kind() == WeComErrorKind::NoSuchMember => (None, None),
                    Err(e) => (None, Some(ApiError::from(e).message)),
                };
                AdminStaffBinding {
                    binding,
                    member_name,
                    check_error,
                }
            }
        })
        .buffered(LOOKUPS_AT_ONCE)
        .collect()
        .await;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(AdminStaff { staff }))
}

/// `PUT /api/admin/staff/{staffId}` `{wecomUserId}`: as the integration API's, in the
/// admin's name.
#[utoipa::path(
    put,
    path = "/api/admin/staff/{staffId}",
    operation_id = "adminBindStaff",
    summary = "Bind a staff id to a WeCom member (as an admin)",
    tag = "admin",
    security(("session_cookie" = [])),
    description = "Admins only. As `PUT /api/v1/staff/{staffId}`, in the admin's name in the audit log.",
    params(("staffId" = String, Path, description = "The business system's staff id: 1 to 64 characters")),
    request_body = StaffBindingInput,
    responses(
        (status = 201, description = "Bound now.", body = desk_shared::integration::StaffBinding),
        (status = 200, description = "The binding changed.", body = desk_shared::integration::StaffBinding),
        (status = 400, description = "`invalid_field`, `unknown_member`: WeCom has no such member.", body = desk_shared::ApiError),
        (status = 401, description = "`not_logged_in`: no session.", body = desk_shared::ApiError),
        (status = 403, description = "`admin_only`: the member is not an admin.", body = desk_shared::ApiError),
        (status = 409, description = "`member_already_bound`: the member is another staff id's.", body = desk_shared::ApiError),
        (status = 502, description = "`wecom_failed`.", body = desk_shared::ApiError),
    )
)]
pub async fn bind(
    Admin(member): Admin,
    bridge: web::Data<BridgeState>,
    staff_id: web::Path<String>,
    body: web::Json<StaffBindingInput>,
) -> Result<HttpResponse, ApiError> {
    Ok(
        crate::bridge::bind_staff(&bridge, &staff_id, &body.wecom_user_id, &member.0.user_id)
            .await?
            .answer(),
    )
}

/// `DELETE /api/admin/staff/{staffId}`: 204, 404 when not bound.
#[utoipa::path(
    delete,
    path = "/api/admin/staff/{staffId}",
    operation_id = "adminUnbindStaff",
    summary = "Remove a staff binding (as an admin)",
    tag = "admin",
    security(("session_cookie" = [])),
    description = "Admins only. Audited in the admin's name.",
    params(("staffId" = String, Path, description = "The business system's staff id")),
    responses(
        (status = 204, description = "Removed."),
        (status = 401, description = "`not_logged_in`: no session.", body = desk_shared::ApiError),
        (status = 403, description = "`admin_only`: the member is not an admin.", body = desk_shared::ApiError),
        (status = 404, description = "`unknown_staff`: the staff id is not bound.", body = desk_shared::ApiError),
    )
)]
pub async fn unbind(
    Admin(member): Admin,
    bridge: web::Data<BridgeState>,
    staff_id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    crate::bridge::unbind_staff(&bridge, &staff_id, &member.0.user_id).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct MessagesQuery {
    /// `queued`, `sent` or `failed`; every message when absent.
    status: Option<String>,
    limit: Option<i64>,
    offset: Option<i64>,
}

/// `GET /api/admin/messages[?status=queued|sent|failed&limit=&offset=]`.
#[utoipa::path(
    get,
    path = "/api/admin/messages",
    operation_id = "adminMessages",
    summary = "What the outbox sends, by state",
    tag = "admin",
    security(("session_cookie" = [])),
    description = "Admins only. Notifications, events and app messages, newest first, each with \
        its attempts, last error and the start of what it says; how many are in each state.",
    params(MessagesQuery),
    responses(
        (status = 200, description = "A page of messages and the counts.", body = OutboxMessages),
        (status = 400, description = "`invalid_field`: an unknown state or paging out of range.", body = desk_shared::ApiError),
        (status = 401, description = "`not_logged_in`: no session.", body = desk_shared::ApiError),
        (status = 403, description = "`admin_only`: the member is not an admin.", body = desk_shared::ApiError),
    )
)]
pub async fn messages(
    _admin: Admin,
    bridge: web::Data<BridgeState>,
    query: web::Query<MessagesQuery>,
) -> Result<HttpResponse, ApiError> {
    let (limit, offset) = paging(query.limit, query.offset)?;
    let status = match query.status.as_deref() {
        None | Some("") => None,
        Some(s @ ("queued" | "sent" | "failed")) => Some(s),
        Some(_) => return Err(invalid("status", "须为 queued、sent 或 failed")),
    };
    let rows = crate::outbox::store::list(&bridge.db, status, offset, limit).await?;
    let mut counts = OutboxCounts::default();
    for (status, n) in crate::outbox::store::counts(&bridge.db).await? {
        match status.as_str() {
            "queued" => counts.queued = n,
            "sent" => counts.sent = n,
            "failed" => counts.failed = n,
            _ => {}
        }
    }
    let total = match status {
        Some("queued") => counts.queued,
        Some("sent") => counts.sent,
        Some("failed") => counts.failed,
        _ => counts.queued + counts.sent + counts.failed,
    };
    let messages = rows
        .into_iter()
        .map(|r| OutboxMessage {
            summary: crate::outbox::summary(&r.kind, &r.payload),
            id: r.id,
            kind: r.kind,
            status: r.status,
            target: r.target,
            attempts: r.attempts,
            last_error: r.last_error,
            created_at: r.created_at,
            sent_at: r.sent_at,
            conversation_id: r.conversation_id,
            staff_id: r.staff_id,
        })
        .collect();
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(OutboxMessages {
            counts,
            messages,
            total,
        }))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    /// Done by this member.
    member: Option<String>,
    /// Done to this order (or staff id, or chat id).
    order: Option<String>,
    /// At or after (unix seconds).
    from: Option<i64>,
    /// At or before (unix seconds).
    to: Option<i64>,
    /// Older than this entry id: the previous page's `nextBefore`.
    before: Option<i64>,
    limit: Option<i64>,
}

/// `GET /api/admin/audit[?member=&order=&from=&to=&before=&limit=]`: newest first.
#[utoipa::path(
    get,
    path = "/api/admin/audit",
    operation_id = "adminAudit",
    summary = "The audit log",
    tag = "admin",
    security(("session_cookie" = [])),
    description = "Admins only. Who changed what and when, newest first, filtered by member, \
        subject and time; `nextBefore` asks for the older page.",
    params(AuditQuery),
    responses(
        (status = 200, description = "A page of entries.", body = AuditPage),
        (status = 400, description = "`invalid_field`: `from` after `to`, or a limit out of range.", body = desk_shared::ApiError),
        (status = 401, description = "`not_logged_in`: no session.", body = desk_shared::ApiError),
        (status = 403, description = "`admin_only`: the member is not an admin.", body = desk_shared::ApiError),
    )
)]
pub async fn audit(
    _admin: Admin,
    db: web::Data<crate::db::Db>,
    query: web::Query<AuditQuery>,
) -> Result<HttpResponse, ApiError> {
    let (limit, _) = paging(query.limit, None)?;
    if let (Some(from), Some(to)) = (query.from, query.to) {
        if from > to {
            return Err(invalid("from", "须早于 to"));
        }
    }
    let filter = crate::audit::Filter {
        actor: text_filter("member", &query.member)?,
        subject: text_filter("order", &query.order)?,
        from: query.from,
        to: query.to,
        before: query.before,
    };
    // One more than asked says whether there is a next page.
    let mut entries = crate::audit::page(&db, &filter, limit + 1).await?;
    let next_before = if entries.len() as i64 > limit {
        entries.truncate(limit as usize);
        entries.last().map(|e| e.id)
    } else {
        None
    };
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(AuditPage {
            entries,
            next_before,
        }))
}
