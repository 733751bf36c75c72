//! What the admin console (`/admin`, `server.admin_userids` only) reads and sends:
//! `/api/admin/…`.

use serde::{Deserialize, Serialize};

use crate::integration::StaffBinding;
use crate::{Order, Person};

/// Largest page any admin list answers.
pub const MAX_ADMIN_PAGE: i64 = 100;

/// `GET /api/admin/orders`: a page of every order, newest first, with the designers
/// to filter by.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct AdminOrders {
    pub orders: Vec<Order>,
    /// Orders the filter matches, over all pages.
    pub total: i64,
    /// How many of the matching orders have a customer group.
    pub with_group: i64,
    /// Every designer with an order, for the filter.
    pub designers: Vec<Person>,
}

/// `GET /api/admin/staff`: every binding, each with the member as WeCom names them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AdminStaff {
    pub staff: Vec<AdminStaffBinding>,
}

/// A binding and what WeCom says of its member.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct AdminStaffBinding {
    #[serde(flatten)]
    pub binding: StaffBinding,
    /// The member's name in WeCom; `None` when WeCom does not know the member (left
    /// the company, say): the binding routes nothing until it is changed.
    pub member_name: Option<String>,
    /// Why WeCom could not be asked about the member just now (the binding is shown
    /// as it is); `None` when it answered.
    #[serde(default)]
    pub check_error: Option<String>,
}

/// How many outbox messages are in each state.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OutboxCounts {
    pub queued: i64,
    pub sent: i64,
    pub failed: i64,
}

/// `GET /api/admin/messages`: notifications, events and app messages, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct OutboxMessages {
    pub counts: OutboxCounts,
    pub messages: Vec<OutboxMessage>,
    /// Messages in the asked state over all pages.
    pub total: i64,
}

/// One message the server sends or sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct OutboxMessage {
    pub id: String,
    /// `robot` (a notification to staff), `event` (to the business system) or
    /// `app_message` (to members).
    pub kind: String,
    /// `queued`, `sent` or `failed`.
    pub status: String,
    /// The robot's name, `events`, or the members.
    pub target: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    /// Unix milliseconds.
    pub created_at: i64,
    /// Unix milliseconds.
    pub sent_at: Option<i64>,
    pub conversation_id: Option<String>,
    pub staff_id: Option<String>,
    /// The start of what it says (a notification's text, an event's type).
    pub summary: String,
}

/// `GET /api/admin/audit`: entries newest first; `nextBefore` asks for the page after.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct AuditPage {
    pub entries: Vec<AuditEntry>,
    /// Pass as `before` for older entries; `None` on the last page.
    pub next_before: Option<i64>,
}

/// One change: who, what, to what, when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct AuditEntry {
    pub id: i64,
    /// Unix seconds.
    pub at: i64,
    /// A member's userid, `system` or `integration`.
    pub actor: String,
    /// e.g. `order_group.created`.
    pub action: String,
    /// What it was done to: an order id, a staff id, a chat id.
    pub subject: String,
    /// The details, a JSON object as text.
    pub detail: String,
}
