//! Types the WeCom Desk server and H5 app both speak (JSON, camelCase), and pure
//! logic both sides need. Kept light so it builds for wasm32: serde only.

use serde::{Deserialize, Serialize};

pub mod admin;
mod error_code;
pub mod handover;
pub mod integration;
mod phone;
pub mod replies;
pub mod storevisit;
mod text;

pub use error_code::ErrorCode;
pub use phone::normalize_phone;
pub use text::{escape_html, is_control_or_bidi};

/// The header the H5 sends on a state-changing request with no JSON body: a page of
/// another site cannot send it without a CORS preflight, which it never passes.
pub const CSRF_HEADER: &str = "x-desk-request";

/// Body of every error answer: a stable machine code and a sentence for people
/// (Chinese first, English after).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApiError {
    /// Stable machine-readable code, e.g. `origin_not_allowed`.
    pub code: ErrorCode,
    /// Human-readable explanation, Chinese and English.
    pub message: String,
}

/// `GET /api/session`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Session {
    pub corp_id: String,
    pub agent_id: i64,
    /// The logged-in member, `None` before WeCom login.
    pub user: Option<SessionUser>,
}

/// The member behind a session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct SessionUser {
    pub user_id: String,
    pub name: String,
    pub avatar: String,
}

/// `POST /api/jssdk/signatures` request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SignatureRequest {
    /// The page URL as the browser sees it; anything after `#` is ignored.
    pub url: String,
}

/// One JS-SDK signature: what `getConfigSignature` / `getAgentConfigSignature` return.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct JsSignature {
    pub timestamp: i64,
    pub nonce_str: String,
    pub signature: String,
}

/// `POST /api/jssdk/signatures` answer: both signatures for one page URL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Signatures {
    pub corp_id: String,
    pub agent_id: i64,
    /// Signed with the corp ticket, for `wx.config`.
    pub corp: JsSignature,
    /// Signed with the app ticket, for `wx.agentConfig`.
    pub agent: JsSignature,
}

/// `GET /healthz` answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Health {
    pub status: String,
    /// The server's release, e.g. `0.1.0`.
    pub version: String,
    /// The commit it was built from (short hash; `-dirty` when built from changed
    /// files, `unknown` without git).
    pub commit: String,
}

/// `PUT /api/v1/orders/{id}`: an order as the business system sends it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct OrderInput {
    pub title: String,
    pub designer_user_id: String,
    pub project_manager_user_id: String,
    pub customer_name: String,
    pub customer_phone: String,
    /// `open` (the default) or `closed`: a closed order's join QR code is deleted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
}

/// A member as pages show them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Person {
    pub user_id: String,
    pub name: String,
}

/// The customer group recorded for an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct OrderGroup {
    pub chat_id: String,
    pub group_name: String,
    pub created_by: String,
    /// Unix seconds.
    pub created_at: i64,
    /// How the group came to the order: `client` (made in the WeCom client) or
    /// `join_way` (a pool group behind the order's join QR code).
    #[serde(default)]
    pub via: String,
    /// When the first customer joined (unix seconds), if one has.
    #[serde(default)]
    pub customer_joined_at: Option<i64>,
    /// When the server learnt WeCom had dismissed the group (unix seconds); the group
    /// stays the order's, shown as gone.
    #[serde(default)]
    pub dismissed_at: Option<i64>,
}

/// An order as members see it, with its group (if one was made).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Order {
    pub id: String,
    pub title: String,
    pub designer: Person,
    pub project_manager: Person,
    pub customer_name: String,
    pub customer_phone: String,
    pub group: Option<OrderGroup>,
    /// `open` or `closed`.
    #[serde(default)]
    pub status: String,
    /// The internal group the server made for the order's staff.
    #[serde(default)]
    pub staff_chat: Option<StaffChat>,
    /// The order's join QR code.
    #[serde(default)]
    pub join_way: Option<JoinWayInfo>,
    /// A sentence for the member when the order shown may be out of date (the
    /// business system could not be asked); absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notice: Option<String>,
    /// Who had the order before a handover gave it to its designer or project
    /// manager; absent when nobody handed it over.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reassigned_from: Option<Reassigned>,
    /// Why the order's customer group did not move to its new designer (WeCom
    /// refused); absent when it moved or did not have to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_move_note: Option<String>,
    /// The order's "add me" code for its designer (「联系我」), once made.
    #[serde(default)]
    pub contact_way: Option<storevisit::ContactWayInfo>,
    /// When the customer added the designer through the order's code (unix seconds).
    #[serde(default)]
    pub customer_added_at: Option<i64>,
    /// How the welcome went when the customer scanned the code, e.g.
    /// "欢迎语已发送，含进群二维码"; absent before a scan.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub welcome_note: Option<String>,
}

/// Who an order's roles were before a handover (`Order.reassignedFrom`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Reassigned {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub designer: Option<Person>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project_manager: Option<Person>,
}

/// An order's internal staff group (`POST /api/orders/{id}/appchat`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct StaffChat {
    pub chat_id: String,
    pub name: String,
}

/// An order's join QR code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct JoinWayInfo {
    pub config_id: String,
    pub qr_code: String,
}

/// `POST /api/orders/{id}/join-way` answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct JoinWayCreated {
    pub config_id: String,
    pub qr_code: String,
    pub chat_id: String,
}

/// `POST /api/orders/{id}/appchat` body.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AppChatRequest {
    #[serde(default)]
    pub extra_user_ids: Vec<String>,
}

/// A pre-built customer group in the pool (`GET /api/admin/pool`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct PoolGroup {
    pub chat_id: String,
    pub name: String,
    pub owner: String,
    pub added_by: String,
    pub added_at: i64,
    /// The order it was taken for; free when `None`.
    pub order_id: Option<String>,
    pub assigned_at: Option<i64>,
}

/// `GET /api/admin/pool`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Pool {
    pub free: i64,
    pub assigned: i64,
    pub low_threshold: i64,
    pub groups: Vec<PoolGroup>,
}

/// How one chat's registration went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct PoolRegistered {
    pub chat_id: String,
    pub added: bool,
    pub reason: Option<String>,
}

/// `POST /api/admin/pool` body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PoolRegister {
    pub chat_ids: Vec<String>,
}

/// `POST /api/admin/pool` and `/discover` answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct PoolChanged {
    pub results: Vec<PoolRegistered>,
    pub free: i64,
    pub assigned: i64,
}

/// `GET /api/orders`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Orders {
    pub orders: Vec<Order>,
}

/// A customer of the designer who may be the order's customer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Candidate {
    pub external_user_id: String,
    pub name: String,
    pub avatar: String,
    /// What the designer typed as the customer's remark.
    pub remark: String,
}

/// `GET /api/orders/{id}/candidates`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Candidates {
    pub candidates: Vec<Candidate>,
    /// When there is no match: why, and what to do.
    pub hint: Option<String>,
}

/// `POST /api/orders/{id}/group`: what `openEnterpriseChat` made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct RecordGroup {
    pub chat_id: String,
    pub group_name: String,
    #[serde(default)]
    pub external_user_ids: Vec<String>,
    #[serde(default)]
    pub user_ids: Vec<String>,
}

/// `POST /api/orders/{id}/staff-joined`: members the page added to the order's
/// customer group with `updateEnterpriseChat`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct StaffJoined {
    pub user_ids: Vec<String>,
}

/// Which of them WeCom shows in the group now (recorded), and which not yet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StaffJoinedAnswer {
    pub joined: Vec<String>,
    pub missing: Vec<String>,
}

/// The longest group name either side accepts (characters), as WeCom limits a chat's
/// name.
pub const MAX_GROUP_NAME_CHARS: usize = 50;

/// `GET /api/contacts/{externalUserId}/profile`: a customer as the sidebar shows them
/// to one member.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ContactProfile {
    pub external_user_id: String,
    pub name: String,
    pub avatar: String,
    /// 1 WeChat user, 2 WeCom user.
    #[serde(rename = "type")]
    pub kind: i32,
    /// The customer's company, for a WeCom user; empty otherwise.
    pub corp_name: String,
    /// What this member typed as the customer's remark.
    pub remark: String,
    /// The phones in this member's remark, as typed.
    pub remark_phones: Vec<String>,
    /// Every member who follows the customer.
    pub followers: Vec<Person>,
    /// The orders whose customer this is that this member may see.
    pub orders: Vec<Order>,
}

/// `PUT /api/contacts/{externalUserId}/remark-phones`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RemarkPhone {
    pub phone: String,
}

/// One person in a customer group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct GroupMemberView {
    /// A member's userid or a customer's external userid.
    pub id: String,
    pub name: String,
    /// 1 member, 2 customer.
    #[serde(rename = "type")]
    pub kind: i32,
    /// Unix seconds.
    pub join_time: i64,
}

/// `GET /api/groups/{chatId}`: a customer group as the group sidebar shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct GroupView {
    pub chat_id: String,
    pub name: String,
    pub owner: Person,
    pub members: Vec<GroupMemberView>,
    /// The order this group serves, when it is one this member may see.
    pub order: Option<Order>,
}

/// `GET /api/admin/checks`: the deployment checks (`wecom-desk doctor`) run by the
/// server on demand.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct DeploymentChecks {
    /// Whether every check passed.
    pub passed: bool,
    pub checks: Vec<DeploymentCheck>,
}

/// One check: what was checked, how it went, and for a failure the errcode explained
/// and the admin-console step that fixes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct DeploymentCheck {
    pub title: String,
    /// `pass`, `fail` or `skipped`.
    pub status: String,
    /// What passed, why it failed, or why it was not run.
    pub detail: String,
    /// For a failure: what to do.
    pub fix: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_serialise_in_camel_case_as_the_contract_says() {
        let s = Signatures {
            corp_id: "ww1".into(),
            agent_id: 1000002,
            corp: JsSignature {
                timestamp: 1,
                nonce_str: "n".into(),
                signature: "s".into(),
            },
            agent: JsSignature {
                timestamp: 2,
                nonce_str: "m".into(),
                signature: "t".into(),
            },
        };
        let json = serde_json::to_value(&s).expect("serialise");
        assert_eq!(json["corpId"], "ww1");
        assert_eq!(json["agentId"], 1000002);
        assert_eq!(json["corp"]["nonceStr"], "n");
        assert_eq!(json["agent"]["timestamp"], 2);
    }
}
