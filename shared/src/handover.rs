//! Handover (交接): what the admin console's 交接 section reads and sends
//! (`/api/admin/handovers…`).

use serde::{Deserialize, Serialize};

use crate::Person;

/// A member who left, with what they leave behind (`GET /api/admin/handovers/leavers`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Leaver {
    pub user_id: String,
    pub name: String,
    /// When they left, unix seconds (WeCom's `dimission_time`).
    pub left_at: i64,
    /// Customers WeCom keeps waiting for a takeover.
    pub customers: i64,
    /// Customer groups they own (order groups and pool groups included).
    pub groups: i64,
    /// Open orders where they are designer or project manager.
    pub orders: i64,
    /// The latest handover from this member (without its items).
    pub handover: Option<Handover>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Leavers {
    pub leavers: Vec<Leaver>,
}

/// `"all"`, or the ids picked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(untagged)]
pub enum Selection {
    /// `"all"`.
    All(String),
    Ids(Vec<String>),
}

/// `POST /api/admin/handovers`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct HandoverInput {
    pub from: String,
    pub to: String,
    /// `resigned` or `onjob`; by default `resigned` when WeCom lists `from` as
    /// having left, else `onjob`.
    #[serde(default)]
    pub kind: Option<String>,
    /// Customers to hand over: `"all"` (the default) or external userids.
    #[serde(default)]
    pub customers: Option<Selection>,
    /// Customer groups to hand over: `"all"` (the default) or chat ids.
    #[serde(default)]
    pub groups: Option<Selection>,
    /// Whether the open orders move too (default true).
    #[serde(default)]
    pub orders: Option<bool>,
    /// On-job only: what WeCom tells the customers (≤ 200 characters).
    #[serde(default)]
    pub message: Option<String>,
}

/// How many items of a kind there are and where they are.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Counts {
    pub total: i64,
    pub done: i64,
    /// Waiting (a customer's 24 h) or scheduled (a group for the next day).
    pub waiting: i64,
    /// Failed or refused.
    pub failed: i64,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HandoverCounts {
    pub customers: Counts,
    pub groups: Counts,
    pub orders: Counts,
}

/// One customer, group or order of a handover.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HandoverItem {
    /// `customer`, `group` or `order`.
    pub kind: String,
    pub id: String,
    pub name: String,
    /// `pending`, `waiting`, `done`, `refused`, `failed` or `scheduled`.
    pub state: String,
    /// Why it is refused, failed, waiting or scheduled (Chinese).
    pub reason: Option<String>,
    /// When it reached its state (or, scheduled, when it goes), unix seconds.
    pub at: Option<i64>,
}

/// A handover: a durable job, with every item's state in `GET /api/admin/handovers/{id}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Handover {
    pub id: String,
    pub from: Person,
    pub to: Person,
    /// `resigned` or `onjob`.
    pub kind: String,
    pub created_by: String,
    pub created_at: i64,
    pub finished_at: Option<i64>,
    /// `running`, `waiting` (only customers' 24 h or next day's groups left), `done`
    /// or `done_with_failures`.
    pub status: String,
    pub counts: HandoverCounts,
    /// Every item (empty in lists).
    pub items: Vec<HandoverItem>,
}

/// `GET /api/admin/handovers`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Handovers {
    pub handovers: Vec<Handover>,
}
