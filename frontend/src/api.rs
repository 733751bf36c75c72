//! The only place that calls the server.

use desk_shared::{
    ApiError, Candidates, ContactProfile, ErrorCode, GroupView, Order, OrderGroup, Orders,
    RecordGroup, RemarkPhone, Session, SignatureRequest, Signatures,
};
use gloo_net::http::Request;

use crate::login;
use serde::de::DeserializeOwned;

/// A failed server call, as a sentence a member can act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub message: String,
    /// The server's error code (`GroupExists`, `NotYourOrder`, …), when it gave one.
    pub code: Option<ErrorCode>,
}

impl Failure {
    /// Whether the server answered with this code.
    pub fn is(&self, code: ErrorCode) -> bool {
        self.code == Some(code)
    }

    fn network() -> Self {
        Self {
            message: "连不上服务器，请检查网络后重试。".into(),
            code: None,
        }
    }
}

async fn get_json<T: DeserializeOwned>(path: &str) -> Result<T, Failure> {
    let resp = Request::get(path)
        .send()
        .await
        .map_err(|_| Failure::network())?;
    read(resp).await
}

/// The JSON of a successful answer, or the server's `{code, message}` as a `Failure`.
/// A 401 (the session ended) sends the member through the silent login again.
async fn read<T: DeserializeOwned>(resp: gloo_net::http::Response) -> Result<T, Failure> {
    let body = body_of(resp).await?;
    serde_json::from_str(&body).map_err(|_| unreadable())
}

fn unreadable() -> Failure {
    Failure {
        message: "服务器返回了无法识别的内容，请刷新重试。".into(),
        code: None,
    }
}

/// The body of a successful answer; a failed one as the server's `{code, message}`
/// (one copy of this for every answer type: the H5 is downloaded on every open).
async fn body_of(resp: gloo_net::http::Response) -> Result<String, Failure> {
    let status = resp.status();
    if status == 401 {
        return Err(if login::may_log_in_again() {
            login::log_in_again();
            Failure {
                message: "登录已过期，正在重新登录…".into(),
                code: Some(ErrorCode::NotLoggedIn),
            }
        } else {
            Failure {
                message: "登录没有成功。请关闭本页面后重新打开；一直如此请联系管理员。".into(),
                code: Some(ErrorCode::NotLoggedIn),
            }
        });
    }
    let text = resp.text().await.map_err(|_| Failure::network())?;
    if (200..300).contains(&status) {
        return Ok(text);
    }
    match serde_json::from_str::<ApiError>(&text) {
        Ok(e) => Err(Failure {
            message: e.message,
            code: Some(e.code),
        }),
        Err(_) => Err(Failure {
            message: format!("服务器出错（{status}），请稍后重试。"),
            code: None,
        }),
    }
}

/// `GET /api/session`.
pub async fn session() -> Result<Session, Failure> {
    get_json("/api/session").await
}

async fn post_json<B: serde::Serialize, T: DeserializeOwned>(
    path: &str,
    body: &B,
) -> Result<T, Failure> {
    let resp = Request::post(path)
        .json(body)
        .map_err(|_| Failure::network())?
        .send()
        .await
        .map_err(|_| Failure::network())?;
    read(resp).await
}

/// `POST /api/jssdk/signatures`: both JS-SDK signatures for one page URL.
pub async fn signatures(url: &str) -> Result<Signatures, Failure> {
    post_json(
        "/api/jssdk/signatures",
        &SignatureRequest {
            url: url.to_string(),
        },
    )
    .await
}

fn order_path(id: &str) -> String {
    format!("/api/orders/{}", js_sys::encode_uri_component(id))
}

/// `GET /api/admin/checks`: the deployment checks, run now (admins only).
pub async fn deployment_checks() -> Result<desk_shared::DeploymentChecks, Failure> {
    get_json("/api/admin/checks").await
}

/// `GET /api/orders`: my orders (as designer or project manager).
pub async fn orders() -> Result<Vec<Order>, Failure> {
    get_json::<Orders>("/api/orders").await.map(|o| o.orders)
}

/// `GET /api/orders/{id}`.
pub async fn order(id: &str) -> Result<Order, Failure> {
    get_json(&order_path(id)).await
}

/// `GET /api/orders/{id}/candidates`, refreshing the designer's customers first when asked.
pub async fn candidates(id: &str, refresh: bool) -> Result<Candidates, Failure> {
    let query = if refresh { "?refresh=true" } else { "" };
    get_json(&format!("{}/candidates{query}", order_path(id))).await
}

/// `POST /api/orders/{id}/group`: records the group `openEnterpriseChat` made.
pub async fn record_group(id: &str, group: &RecordGroup) -> Result<OrderGroup, Failure> {
    post_json(&format!("{}/group", order_path(id)), group).await
}

/// `POST /api/orders/{id}/appchat`: the order's internal staff group (made once).
pub async fn staff_chat(id: &str) -> Result<desk_shared::StaffChat, Failure> {
    post_json(
        &format!("{}/appchat", order_path(id)),
        &desk_shared::AppChatRequest::default(),
    )
    .await
}

/// `POST /api/orders/{id}/join-way`: the order's join QR code (made once).
pub async fn join_way(id: &str) -> Result<desk_shared::JoinWayCreated, Failure> {
    post_json(&format!("{}/join-way", order_path(id)), &()).await
}

/// `GET /api/admin/pool` (admins only).
pub async fn pool() -> Result<desk_shared::Pool, Failure> {
    get_json("/api/admin/pool").await
}

/// `POST /api/admin/pool {chatIds}`: each checked with WeCom and added if empty.
pub async fn register_pool(chat_ids: Vec<String>) -> Result<desk_shared::PoolChanged, Failure> {
    post_json("/api/admin/pool", &desk_shared::PoolRegister { chat_ids }).await
}

/// `POST /api/admin/pool/discover`: the pool owners' empty groups not yet known.
pub async fn discover_pool() -> Result<desk_shared::PoolChanged, Failure> {
    post_json("/api/admin/pool/discover", &()).await
}

fn contact_path(id: &str) -> String {
    format!("/api/contacts/{}", js_sys::encode_uri_component(id))
}

/// `GET /api/contacts/{externalUserId}/profile`: the customer as the sidebar shows them.
pub async fn profile(external_user_id: &str) -> Result<ContactProfile, Failure> {
    get_json(&format!("{}/profile", contact_path(external_user_id))).await
}

/// `PUT /api/contacts/{externalUserId}/remark-phones`: adds a phone to my remark.
pub async fn add_remark_phone(
    external_user_id: &str,
    phone: &str,
) -> Result<ContactProfile, Failure> {
    let resp = Request::put(&format!("{}/remark-phones", contact_path(external_user_id)))
        .json(&RemarkPhone {
            phone: phone.to_string(),
        })
        .map_err(|_| Failure::network())?
        .send()
        .await
        .map_err(|_| Failure::network())?;
    read(resp).await
}

/// `GET /api/groups/{chatId}`: the customer group and the order it serves.
pub async fn group(chat_id: &str) -> Result<GroupView, Failure> {
    get_json(&format!(
        "/api/groups/{}",
        js_sys::encode_uri_component(chat_id)
    ))
    .await
}

async fn send<B: serde::Serialize>(
    method: &str,
    path: &str,
    body: Option<&B>,
) -> Result<String, Failure> {
    let req = match method {
        "PUT" => Request::put(path),
        "DELETE" => Request::delete(path),
        _ => Request::post(path),
    };
    let resp = match body {
        Some(b) => req.json(b).map_err(|_| Failure::network())?.send().await,
        // No body: the header a page of another site cannot send without a preflight.
        None => req.header(desk_shared::CSRF_HEADER, "1").send().await,
    }
    .map_err(|_| Failure::network())?;
    body_of(resp).await
}

/// A query string from the given pairs, empty values left out.
fn query(pairs: &[(&str, String)]) -> String {
    let parts: Vec<String> = pairs
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}={}", js_sys::encode_uri_component(v)))
        .collect();
    if parts.is_empty() {
        String::new()
    } else {
        format!("?{}", parts.join("&"))
    }
}

/// `GET /api/admin/orders`: every order, filtered (`group`: `with`, `without` or empty).
pub async fn admin_orders(
    designer: String,
    group: String,
    text: String,
    offset: i64,
) -> Result<desk_shared::admin::AdminOrders, Failure> {
    let q = query(&[
        ("designer", designer),
        ("group", group),
        ("q", text),
        ("offset", offset.to_string()),
    ]);
    get_json(&format!("/api/admin/orders{q}")).await
}

/// `GET /api/admin/staff`: the staff bindings with their members' names.
pub async fn admin_staff() -> Result<desk_shared::admin::AdminStaff, Failure> {
    get_json("/api/admin/staff").await
}

fn staff_path(staff_id: &str) -> String {
    format!(
        "/api/admin/staff/{}",
        js_sys::encode_uri_component(staff_id)
    )
}

/// `PUT /api/admin/staff/{staffId}`: binds a business staff id to a member.
pub async fn bind_staff(staff_id: &str, wecom_user_id: &str) -> Result<(), Failure> {
    let body = desk_shared::integration::StaffBindingInput {
        wecom_user_id: wecom_user_id.to_string(),
    };
    send("PUT", &staff_path(staff_id), Some(&body))
        .await
        .map(drop)
}

/// `DELETE /api/admin/staff/{staffId}`.
pub async fn unbind_staff(staff_id: &str) -> Result<(), Failure> {
    send::<()>("DELETE", &staff_path(staff_id), None)
        .await
        .map(drop)
}

/// `GET /api/admin/messages` in one state (`queued`, `sent`, `failed`, or all).
pub async fn admin_messages(
    status: String,
    offset: i64,
) -> Result<desk_shared::admin::OutboxMessages, Failure> {
    let q = query(&[("status", status), ("offset", offset.to_string())]);
    get_json(&format!("/api/admin/messages{q}")).await
}

/// `POST /api/admin/outbox/{id}/retry`: a failed message queued again.
pub async fn retry_message(id: &str) -> Result<(), Failure> {
    let path = format!(
        "/api/admin/outbox/{}/retry",
        js_sys::encode_uri_component(id)
    );
    send("POST", &path, Some(&())).await.map(drop)
}

/// What the audit log is filtered by (empty: not filtered).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AuditFilter {
    pub member: String,
    pub order: String,
    /// Unix seconds, or empty.
    pub from: String,
    pub to: String,
}

/// `GET /api/admin/audit`: a page, older than `before` when given.
pub async fn audit(
    filter: AuditFilter,
    before: Option<i64>,
) -> Result<desk_shared::admin::AuditPage, Failure> {
    let q = query(&[
        ("member", filter.member),
        ("order", filter.order),
        ("from", filter.from),
        ("to", filter.to),
        ("before", before.map(|b| b.to_string()).unwrap_or_default()),
    ]);
    get_json(&format!("/api/admin/audit{q}")).await
}

/// `GET /api/admin/handovers/leavers`: members who left, with what they leave.
pub async fn leavers() -> Result<desk_shared::handover::Leavers, Failure> {
    get_json("/api/admin/handovers/leavers").await
}

/// `POST /api/admin/handovers`: hands a member's customers, groups and orders over.
pub async fn start_handover(
    input: &desk_shared::handover::HandoverInput,
) -> Result<desk_shared::handover::Handover, Failure> {
    post_json("/api/admin/handovers", input).await
}

/// `GET /api/admin/handovers/{id}`: a handover with every item's state.
pub async fn handover(id: &str) -> Result<desk_shared::handover::Handover, Failure> {
    get_json(&format!(
        "/api/admin/handovers/{}",
        js_sys::encode_uri_component(id)
    ))
    .await
}

/// `POST /api/orders/{id}/staff-joined`: who WeCom shows in the order's group now.
pub async fn staff_joined(
    order_id: &str,
    user_ids: Vec<String>,
) -> Result<desk_shared::StaffJoinedAnswer, Failure> {
    post_json(
        &format!("{}/staff-joined", order_path(order_id)),
        &desk_shared::StaffJoined { user_ids },
    )
    .await
}

/// `GET /api/replies`: the team's quick replies, by group.
pub async fn replies() -> Result<desk_shared::replies::ReplyGroups, Failure> {
    get_json("/api/replies").await
}

/// `POST /api/replies/{id}/sent`: a reply was put into this chat (counted).
pub async fn reply_sent(id: i64, to: &desk_shared::replies::ReplySent) -> Result<(), Failure> {
    send("POST", &format!("/api/replies/{id}/sent"), Some(to))
        .await
        .map(drop)
}

/// `POST /api/orders/{id}/join-way/media`: the order's join QR code as a WeCom image.
pub async fn join_way_media(id: &str) -> Result<desk_shared::replies::JoinWayMedia, Failure> {
    post_json(&format!("{}/join-way/media", order_path(id)), &()).await
}

/// `GET /api/admin/replies`: every quick reply, in order (admins only).
pub async fn admin_replies() -> Result<desk_shared::replies::AdminReplies, Failure> {
    get_json("/api/admin/replies").await
}

/// `POST /api/admin/replies` (no id) or `PUT /api/admin/replies/{id}`.
pub async fn save_reply(
    id: Option<i64>,
    input: &desk_shared::replies::ReplyInput,
) -> Result<desk_shared::replies::Reply, Failure> {
    let (method, path) = match id {
        Some(id) => ("PUT", format!("/api/admin/replies/{id}")),
        None => ("POST", "/api/admin/replies".to_string()),
    };
    let body = send(method, &path, Some(input)).await?;
    serde_json::from_str(&body).map_err(|_| unreadable())
}

/// `DELETE /api/admin/replies/{id}`.
pub async fn delete_reply(id: i64) -> Result<(), Failure> {
    send::<()>("DELETE", &format!("/api/admin/replies/{id}"), None)
        .await
        .map(drop)
}

/// `PUT /api/admin/replies/order`: every reply's id in the order to keep.
pub async fn order_replies(ids: Vec<i64>) -> Result<desk_shared::replies::AdminReplies, Failure> {
    let body = send(
        "PUT",
        "/api/admin/replies/order",
        Some(&desk_shared::replies::ReplyOrder { ids }),
    )
    .await?;
    serde_json::from_str(&body).map_err(|_| unreadable())
}

/// `POST /api/orders/{id}/contact-way`: the order's "add me" code, made once.
pub async fn contact_way(id: &str) -> Result<desk_shared::storevisit::ContactWayInfo, Failure> {
    post_json(&format!("{}/contact-way", order_path(id)), &()).await
}

/// `GET /api/admin/welcome`: the welcome a customer gets on scanning an order's code.
pub async fn welcome() -> Result<desk_shared::storevisit::WelcomeTemplate, Failure> {
    get_json("/api/admin/welcome").await
}

/// `PUT /api/admin/welcome`.
pub async fn save_welcome(
    template: &desk_shared::storevisit::WelcomeTemplate,
) -> Result<desk_shared::storevisit::WelcomeTemplate, Failure> {
    let body = send("PUT", "/api/admin/welcome", Some(template)).await?;
    serde_json::from_str(&body).map_err(|_| unreadable())
}

/// `GET /api/admin/stats/groups`: the order groups' daily activity per designer
/// (`from`/`to` `YYYY-MM-DD`, empty for the default; `designer` empty for all).
pub async fn group_stats(
    from: String,
    to: String,
    designer: String,
) -> Result<desk_shared::storevisit::GroupStatsReport, Failure> {
    let q = query(&[("from", from), ("to", to), ("designer", designer)]);
    get_json(&format!("/api/admin/stats/groups{q}")).await
}

/// `POST /api/admin/stats/groups/read`: reads the days not read yet from WeCom now.
pub async fn read_group_stats() -> Result<serde_json::Value, Failure> {
    post_json("/api/admin/stats/groups/read", &()).await
}
