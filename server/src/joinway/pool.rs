//! The pool's admin routes: what is in it, registering empty customer groups, and
//! discovering the pool owners' empty groups (`/api/admin/pool…`).

use actix_web::{web, HttpResponse};
use desk_shared::{Pool, PoolChanged, PoolGroup, PoolRegister};

use super::{store, JoinWays, LISTED, MAX_DISCOVER_PAGES, MAX_REGISTER};
use crate::auth::Admin;
use crate::error::{ApiError, ErrorCode};
use crate::wecom::types::{GroupChatListQuery, OwnerFilter};

/// `GET /api/admin/pool` → `{free, assigned, lowThreshold, groups}` (newest first).
#[utoipa::path(
    get,
    path = "/api/admin/pool",
    operation_id = "getPool",
    summary = "The pool of pre-built customer groups",
    tag = "admin",
    security(("session_cookie" = [])),
    description = "Admins only (`server.admin_userids`). The pool of pre-built customer \
        groups behind the orders' join QR codes, newest first (at most 500).",
    responses(
        (status = 200, description = "How many are free and taken, and the groups.", body = Pool),
        (status = 401, description = "`not_logged_in`: no session.", body = desk_shared::ApiError),
        (status = 403, description = "`admin_only`: the member is not an admin.", body = desk_shared::ApiError),
    )
)]
pub(super) async fn pool(
    _admin: Admin,
    ways: web::Data<JoinWays>,
) -> Result<HttpResponse, ApiError> {
    let (free, assigned) = store::counts(&ways.db).await?;
    let groups: Vec<PoolGroup> = store::list(&ways.db, LISTED)
        .await?
        .into_iter()
        .map(|r| PoolGroup {
            chat_id: r.chat_id,
            name: r.name,
            owner: r.owner,
            added_by: r.added_by,
            added_at: r.added_at,
            order_id: r.order_id,
            assigned_at: r.assigned_at,
        })
        .collect();
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(Pool {
            free,
            assigned,
            low_threshold: ways.low_threshold,
            groups,
        }))
}

/// `POST /api/admin/pool {chatIds}`: each checked with `groupchat/get` (a customer
/// group with no customer yet) and added; `{results, free, assigned}`.
#[utoipa::path(
    post,
    path = "/api/admin/pool",
    operation_id = "registerPoolGroups",
    summary = "Add groups to the pool",
    tag = "admin",
    security(("session_cookie" = [])),
    description = "Admins only (`server.admin_userids`). Each chat is checked with WeCom (a \
        customer group with no customer yet) and added to the pool.",
    request_body = PoolRegister,
    responses(
        (status = 200, description = "How each chat went, and the pool's counts.", body = PoolChanged),
        (status = 400, description = "`invalid_field`: 1 to 100 chat ids; `bad_json`.", body = desk_shared::ApiError),
        (status = 401, description = "`not_logged_in`: no session.", body = desk_shared::ApiError),
        (status = 403, description = "`admin_only`: the member is not an admin.", body = desk_shared::ApiError),
        (status = 502, description = "`wecom_failed`.", body = desk_shared::ApiError),
        (status = 504, description = "`wecom_timeout`.", body = desk_shared::ApiError),
    )
)]
pub(super) async fn register(
    Admin(member): Admin,
    ways: web::Data<JoinWays>,
    body: web::Json<PoolRegister>,
) -> Result<HttpResponse, ApiError> {
    if body.chat_ids.is_empty() || body.chat_ids.len() > MAX_REGISTER {
        return Err(ApiError::bad_request(
            ErrorCode::InvalidField,
            format!("chatIds：一次登记 1~{MAX_REGISTER} 个群 / chatIds: 1 to {MAX_REGISTER} chats"),
        ));
    }
    let mut results = Vec::new();
    for chat_id in &body.chat_ids {
        results.push(ways.add_to_pool(chat_id.trim(), &member.0.user_id).await?);
    }
    Ok(HttpResponse::Ok().json(ways.summary(results).await?))
}

/// `POST /api/admin/pool/discover`: the empty customer groups of `pool.owner_userids`
/// (`groupchat/list`, at most 1,000) not yet known are added.
#[utoipa::path(
    post,
    path = "/api/admin/pool/discover",
    operation_id = "discoverPoolGroups",
    summary = "Find empty groups for the pool",
    tag = "admin",
    security(("session_cookie" = [])),
    description = "Admins only (`server.admin_userids`). Adds the empty customer groups of \
        `pool.owner_userids` the pool does not know yet (reads at most 1,000 groups).",
    responses(
        (status = 200, description = "The groups added, and the pool's counts.", body = PoolChanged),
        (status = 400, description = "`invalid_field`: `pool.owner_userids` is not set.", body = desk_shared::ApiError),
        (status = 401, description = "`not_logged_in`: no session.", body = desk_shared::ApiError),
        (status = 403, description = "`admin_only`: the member is not an admin.", body = desk_shared::ApiError),
        (status = 502, description = "`wecom_failed`.", body = desk_shared::ApiError),
        (status = 504, description = "`wecom_timeout`.", body = desk_shared::ApiError),
    )
)]
pub(super) async fn discover(
    Admin(member): Admin,
    ways: web::Data<JoinWays>,
) -> Result<HttpResponse, ApiError> {
    if ways.owners.is_empty() {
        return Err(ApiError::bad_request(
            ErrorCode::InvalidField,
            "没有配置 pool.owner_userids：不知道该在谁的客户群里找空群。/ pool.owner_userids is not set.",
        ));
    }
    let mut cursor = String::new();
    let mut results = Vec::new();
    for _ in 0..MAX_DISCOVER_PAGES {
        let page = ways
            .wecom
            .group_chats(&GroupChatListQuery {
                status_filter: 0,
                owner_filter: Some(OwnerFilter {
                    userid_list: ways.owners.clone(),
                }),
                cursor: cursor.clone(),
                limit: 100,
            })
            .await?;
        for chat in page.group_chat_list {
            if store::is_known(&ways.db, &chat.chat_id).await? {
                continue;
            }
            let r = ways.add_to_pool(&chat.chat_id, &member.0.user_id).await?;
            if r.added {
                results.push(r);
            }
        }
        if page.next_cursor.is_empty() {
            break;
        }
        cursor = page.next_cursor;
    }
    Ok(HttpResponse::Ok().json(ways.summary(results).await?))
}
