//! Handover of a member's customers and groups to another member (wecom-api.md
//! section 8a): 离职继承 (D-92124, D-94081, D-94082, D-92127) and 在职继承
//! (D-92125, D-94088, D-95703).

use serde::{Deserialize, Serialize};

/// Customers handed over in one call, and groups moved in one call.
pub const TRANSFER_BATCH: usize = 100;
/// Groups one owner's groups may go to one new owner in a day.
pub const GROUPS_PER_DAY: usize = 300;
/// `transfer_success_msg`, in characters.
pub const TRANSFER_MESSAGE_CHARS: usize = 200;

/// `externalcontact/get_unassigned_list` body (D-92124).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct UnassignedQuery {
    #[serde(default)]
    pub cursor: String,
    /// 1..=1000 (1000 when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page_size: Option<u32>,
}

/// One customer a member who left leaves waiting.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Unassigned {
    pub handover_userid: String,
    pub external_userid: String,
    /// When the member left, unix seconds.
    pub dimission_time: i64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct UnassignedPage {
    #[serde(default)]
    pub info: Vec<Unassigned>,
    #[serde(default)]
    pub is_last: bool,
    #[serde(default)]
    pub next_cursor: String,
}

/// `resigned/transfer_customer` and `transfer_customer` body (≤ 100 customers;
/// `transfer_success_msg` only for a member still here, ≤ 200 characters).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct TransferCustomers {
    pub handover_userid: String,
    pub takeover_userid: String,
    pub external_userid: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transfer_success_msg: Option<String>,
}

/// One customer's answer: errcode 0 means the handover started (it completes after
/// 24 h, and may still fail).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CustomerTransfer {
    pub external_userid: String,
    pub errcode: i64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct CustomerTransfers {
    #[serde(default)]
    pub customer: Vec<CustomerTransfer>,
}

/// `resigned/transfer_result` and `transfer_result` body.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct TransferResultQuery {
    pub handover_userid: String,
    pub takeover_userid: String,
    #[serde(default)]
    pub cursor: String,
}

/// Where one customer's handover is: `status` 1 taken over, 2 waiting (until
/// `takeover_time`), 3 the customer refused, 4 the takeover member's customer limit
/// was reached, 5 no such handover (on-job only, D-94088).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TransferState {
    pub external_userid: String,
    pub status: i32,
    #[serde(default)]
    pub takeover_time: i64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct TransferResultPage {
    #[serde(default)]
    pub customer: Vec<TransferState>,
    #[serde(default)]
    pub next_cursor: String,
}

/// `groupchat/transfer` and `groupchat/onjob_transfer` body (1..=100 chats).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct GroupTransfer {
    pub chat_id_list: Vec<String>,
    pub new_owner: String,
}

/// A group that did not move, and why.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FailedChat {
    pub chat_id: String,
    pub errcode: i64,
    #[serde(default)]
    pub errmsg: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct GroupTransferResult {
    #[serde(default)]
    pub failed_chat_list: Vec<FailedChat>,
}

/// `externalcontact/get_follow_user_list` (D-92571): the members configured for
/// customer contact (客户联系), of those in the app's visible range.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct FollowUsers {
    #[serde(default)]
    pub follow_user: Vec<String>,
}
