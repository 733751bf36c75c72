//! `/api/replies…` (members: the sidebar's 话术) and `/api/admin/replies…` (the
//! console keeps them).

use actix_web::{web, HttpResponse};
use desk_shared::replies::{AdminReplies, Reply, ReplyGroups, ReplyInput, ReplyOrder, ReplySent};

use super::{parse_id, QuickReplies};
use crate::auth::{Admin, Member};
use crate::error::ApiError;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/api/replies").get(list))
        .service(web::resource("/api/replies/{id}/sent").post(sent))
        .service(
            web::resource("/api/admin/replies")
                .get(admin_list)
                .post(create),
        )
        // Before `/{id}`, so `order` is never read as an id.
        .service(web::resource("/api/admin/replies/order").put(reorder))
        .service(
            web::resource("/api/admin/replies/{id}")
                .put(update)
                .delete(delete),
        );
}

/// This capability's operations in `/api/openapi.json`.
#[derive(utoipa::OpenApi)]
#[openapi(paths(list, sent, admin_list, create, reorder, update, delete))]
pub struct Api;

/// `GET /api/replies`.
#[utoipa::path(
    get,
    path = "/api/replies",
    operation_id = "listReplies",
    summary = "The quick replies a member may send, by group",
    tag = "replies",
    security(("session_cookie" = [])),
    description = "Every quick reply (话术), by group: groups in the order of their first \
        reply, replies in the order the admins gave. Placeholders (`{客户}` `{订单号}` `{订单}` \
        `{设计师}` `{项目经理}` `{我}`) are left for the page to fill.",
    responses(
        (status = 200, description = "The replies by group (none: `groups: []`).", body = ReplyGroups),
        (status = 401, description = "`not_logged_in`.", body = desk_shared::ApiError),
    )
)]
async fn list(_member: Member, replies: web::Data<QuickReplies>) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(ReplyGroups {
            groups: replies.groups().await?,
        }))
}

/// `POST /api/replies/{id}/sent`.
#[utoipa::path(
    post,
    path = "/api/replies/{id}/sent",
    operation_id = "replySent",
    summary = "Count a quick reply the sidebar sent into a chat",
    tag = "replies",
    security(("session_cookie" = [])),
    description = "The sidebar put the reply into a chat (`sendChatMessage`): its `useCount` \
        goes up by one, and the audit log says who sent it where (`reply.sent`). \
        `externalUserId` and `chatId` are optional, each at most 64 characters.",
    params(("id" = String, Path, description = "The reply's id")),
    request_body = ReplySent,
    responses(
        (status = 204, description = "Counted."),
        (status = 400, description = "`invalid_field`: `externalUserId` or `chatId` is too long \
            or has control characters; `bad_json`.", body = desk_shared::ApiError),
        (status = 401, description = "`not_logged_in`.", body = desk_shared::ApiError),
        (status = 404, description = "`not_found`: no such reply (deleted, or not a reply id).", body = desk_shared::ApiError),
    )
)]
async fn sent(
    Member(member): Member,
    replies: web::Data<QuickReplies>,
    id: web::Path<String>,
    body: web::Json<ReplySent>,
) -> Result<HttpResponse, ApiError> {
    let id = parse_id(&id)?;
    replies.sent(&member.user_id, id, &body).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// `GET /api/admin/replies`.
#[utoipa::path(
    get,
    path = "/api/admin/replies",
    operation_id = "adminReplies",
    summary = "Every quick reply, in order",
    tag = "replies",
    security(("session_cookie" = [])),
    description = "Admins only (`server.admin_userids`). Every quick reply (at most 500), in \
        the order members see them, with how often each was sent.",
    responses(
        (status = 200, description = "The replies.", body = AdminReplies),
        (status = 401, description = "`not_logged_in`.", body = desk_shared::ApiError),
        (status = 403, description = "`admin_only`.", body = desk_shared::ApiError),
    )
)]
async fn admin_list(
    _admin: Admin,
    replies: web::Data<QuickReplies>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(AdminReplies {
            replies: replies.all().await?,
        }))
}

/// `POST /api/admin/replies`.
#[utoipa::path(
    post,
    path = "/api/admin/replies",
    operation_id = "createReply",
    summary = "Add a quick reply at the end",
    tag = "replies",
    security(("session_cookie" = [])),
    description = "Admins only (`server.admin_userids`). `title` trimmed, 1 to 30 characters; \
        `text` 1 to 1,000 characters (not bytes; line breaks kept, no other control \
        characters); `group` trimmed, at most 20 characters, empty: 常用. No control or \
        text-direction characters in `title` and `group`. Audited (`reply.created`).",
    request_body = ReplyInput,
    responses(
        (status = 201, description = "Added after the last reply.", body = Reply),
        (status = 400, description = "`invalid_field` naming the field and its limit; `bad_json`.", body = desk_shared::ApiError),
        (status = 401, description = "`not_logged_in`.", body = desk_shared::ApiError),
        (status = 403, description = "`admin_only`.", body = desk_shared::ApiError),
        (status = 409, description = "`bad_request`: there are 500 replies already.", body = desk_shared::ApiError),
    )
)]
async fn create(
    Admin(admin): Admin,
    replies: web::Data<QuickReplies>,
    body: web::Json<ReplyInput>,
) -> Result<HttpResponse, ApiError> {
    let reply = replies.create(&admin.0.user_id, &body).await?;
    Ok(HttpResponse::Created().json(reply))
}

/// `PUT /api/admin/replies/order`.
#[utoipa::path(
    put,
    path = "/api/admin/replies/order",
    operation_id = "reorderReplies",
    summary = "Put the quick replies in a new order",
    tag = "replies",
    security(("session_cookie" = [])),
    description = "Admins only (`server.admin_userids`). `ids` must name every reply exactly \
        once; a group then comes where its first reply is. Audited (`reply.reordered`).",
    request_body = ReplyOrder,
    responses(
        (status = 200, description = "Every reply, in the new order.", body = AdminReplies),
        (status = 400, description = "`invalid_field` (`ids`): not every reply once (the list \
            changed since the page loaded it: reload); `bad_json`.", body = desk_shared::ApiError),
        (status = 401, description = "`not_logged_in`.", body = desk_shared::ApiError),
        (status = 403, description = "`admin_only`.", body = desk_shared::ApiError),
    )
)]
async fn reorder(
    Admin(admin): Admin,
    replies: web::Data<QuickReplies>,
    body: web::Json<ReplyOrder>,
) -> Result<HttpResponse, ApiError> {
    let replies = replies.reorder(&admin.0.user_id, &body.ids).await?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(AdminReplies { replies }))
}

/// `PUT /api/admin/replies/{id}`.
#[utoipa::path(
    put,
    path = "/api/admin/replies/{id}",
    operation_id = "updateReply",
    summary = "Rewrite a quick reply",
    tag = "replies",
    security(("session_cookie" = [])),
    description = "Admins only (`server.admin_userids`). The limits of `POST`; its place and \
        `useCount` stay. Audited (`reply.updated`).",
    params(("id" = String, Path, description = "The reply's id")),
    request_body = ReplyInput,
    responses(
        (status = 200, description = "The reply as stored.", body = Reply),
        (status = 400, description = "`invalid_field` naming the field and its limit; `bad_json`.", body = desk_shared::ApiError),
        (status = 401, description = "`not_logged_in`.", body = desk_shared::ApiError),
        (status = 403, description = "`admin_only`.", body = desk_shared::ApiError),
        (status = 404, description = "`not_found`: no such reply.", body = desk_shared::ApiError),
    )
)]
async fn update(
    Admin(admin): Admin,
    replies: web::Data<QuickReplies>,
    id: web::Path<String>,
    body: web::Json<ReplyInput>,
) -> Result<HttpResponse, ApiError> {
    let id = parse_id(&id)?;
    let reply = replies.update(&admin.0.user_id, id, &body).await?;
    Ok(HttpResponse::Ok().json(reply))
}

/// `DELETE /api/admin/replies/{id}`.
#[utoipa::path(
    delete,
    path = "/api/admin/replies/{id}",
    operation_id = "deleteReply",
    summary = "Delete a quick reply",
    tag = "replies",
    security(("session_cookie" = [])),
    description = "Admins only (`server.admin_userids`). Audited (`reply.deleted`).",
    params(("id" = String, Path, description = "The reply's id")),
    responses(
        (status = 204, description = "Deleted."),
        (status = 401, description = "`not_logged_in`.", body = desk_shared::ApiError),
        (status = 403, description = "`admin_only`.", body = desk_shared::ApiError),
        (status = 404, description = "`not_found`: no such reply.", body = desk_shared::ApiError),
    )
)]
async fn delete(
    Admin(admin): Admin,
    replies: web::Data<QuickReplies>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = parse_id(&id)?;
    replies.delete(&admin.0.user_id, id).await?;
    Ok(HttpResponse::NoContent().finish())
}
