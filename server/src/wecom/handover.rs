//! The handover endpoints (wecom-api.md section 8a): who left with which customers,
//! handing customers and groups to another member, and where each handover is.

use desk_wecom::handover::{self, HandoverKind, Outcome, Takeover};

use super::types::{
    CustomerTransfers, FollowUsers, GroupChatListQuery, GroupChatPage, GroupTransfer,
    GroupTransferResult, OwnerFilter, TransferCustomers, TransferResultPage, TransferResultQuery,
    UnassignedPage, UnassignedQuery,
};
pub use super::types::{Unassigned, TRANSFER_BATCH};
use super::{WeComClient, WeComError};

/// Pages of 1000 read at most in one go (a corp with more waiting customers than
/// this is read again the next day, from the start).
const MAX_PAGES: usize = 200;

/// One customer's or group's answer.
#[derive(Debug, Clone)]
pub struct ItemOutcome {
    pub id: String,
    pub outcome: Outcome,
}

/// One customer's handover as `transfer_result` tells it.
#[derive(Debug, Clone)]
pub struct CustomerTakeover {
    pub external_userid: String,
    pub takeover: Takeover,
    pub at: i64,
}

impl WeComClient {
    /// `externalcontact/get_follow_user_list`: the members configured for customer
    /// contact (客户联系) in the app's visible range; a takeover member must be one.
    pub async fn follow_users(&self) -> Result<Vec<String>, WeComError> {
        self.get::<FollowUsers>("externalcontact/get_follow_user_list", &[])
            .await
            .map(|f| f.follow_user)
    }

    /// `externalcontact/get_unassigned_list`, every page: the customers members who
    /// left keep waiting, with who left and when.
    pub async fn unassigned(&self) -> Result<Vec<Unassigned>, WeComError> {
        let mut all = Vec::new();
        let mut cursor = String::new();
        for _ in 0..MAX_PAGES {
            let page: UnassignedPage = self
                .post(
                    "externalcontact/get_unassigned_list",
                    &UnassignedQuery {
                        cursor: cursor.clone(),
                        page_size: Some(1000),
                    },
                )
                .await?;
            all.extend(page.info);
            if page.is_last || page.next_cursor.is_empty() || page.next_cursor == cursor {
                break;
            }
            cursor = page.next_cursor;
        }
        Ok(all)
    }

    /// `externalcontact/groupchat/list` `status_filter: 1` for `owner`: the customer
    /// groups of a member who left that wait for a new owner.
    pub async fn groups_waiting(&self, owner: &str) -> Result<Vec<String>, WeComError> {
        let mut chats = Vec::new();
        let mut cursor = String::new();
        for _ in 0..MAX_PAGES {
            let page: GroupChatPage = self
                .post(
                    "externalcontact/groupchat/list",
                    &GroupChatListQuery {
                        status_filter: 1,
                        owner_filter: Some(OwnerFilter {
                            userid_list: vec![owner.to_string()],
                        }),
                        cursor: cursor.clone(),
                        limit: 1000,
                    },
                )
                .await?;
            chats.extend(page.group_chat_list.into_iter().map(|g| g.chat_id));
            if page.next_cursor.is_empty() || page.next_cursor == cursor {
                break;
            }
            cursor = page.next_cursor;
        }
        Ok(chats)
    }

    /// Hands up to 100 of `from`'s customers to `to`: `resigned/transfer_customer`, or
    /// `transfer_customer` (with `message`, told to the customer) for a member still
    /// here. Each customer's outcome.
    pub async fn transfer_customers(
        &self,
        kind: HandoverKind,
        from: &str,
        to: &str,
        customers: &[String],
        message: Option<&str>,
    ) -> Result<Vec<ItemOutcome>, WeComError> {
        let path = match kind {
            HandoverKind::Resigned => "externalcontact/resigned/transfer_customer",
            HandoverKind::Onjob => "externalcontact/transfer_customer",
        };
        let body = TransferCustomers {
            handover_userid: from.to_string(),
            takeover_userid: to.to_string(),
            external_userid: customers.iter().take(TRANSFER_BATCH).cloned().collect(),
            transfer_success_msg: match kind {
                HandoverKind::Onjob => message.filter(|m| !m.is_empty()).map(str::to_string),
                HandoverKind::Resigned => None,
            },
        };
        let answer: CustomerTransfers = self.post(path, &body).await?;
        Ok(answer
            .customer
            .into_iter()
            .map(|c| ItemOutcome {
                id: c.external_userid,
                outcome: handover::customer_outcome(c.errcode),
            })
            .collect())
    }

    /// `resigned/transfer_result` or `transfer_result`, every page: where each of the
    /// customers handed from `from` to `to` is.
    pub async fn transfer_results(
        &self,
        kind: HandoverKind,
        from: &str,
        to: &str,
    ) -> Result<Vec<CustomerTakeover>, WeComError> {
        let path = match kind {
            HandoverKind::Resigned => "externalcontact/resigned/transfer_result",
            HandoverKind::Onjob => "externalcontact/transfer_result",
        };
        let mut all = Vec::new();
        let mut cursor = String::new();
        for _ in 0..MAX_PAGES {
            let page: TransferResultPage = self
                .post(
                    path,
                    &TransferResultQuery {
                        handover_userid: from.to_string(),
                        takeover_userid: to.to_string(),
                        cursor: cursor.clone(),
                    },
                )
                .await?;
            all.extend(page.customer.into_iter().map(|c| CustomerTakeover {
                external_userid: c.external_userid,
                takeover: handover::takeover(c.status),
                at: c.takeover_time,
            }));
            if page.next_cursor.is_empty() || page.next_cursor == cursor {
                break;
            }
            cursor = page.next_cursor;
        }
        Ok(all)
    }

    /// Gives up to 100 customer groups to `new_owner`: `groupchat/transfer` (their
    /// owner left) or `groupchat/onjob_transfer`. The outcome of each group asked
    /// (those WeCom does not list as failed moved).
    pub async fn transfer_groups(
        &self,
        kind: HandoverKind,
        chats: &[String],
        new_owner: &str,
    ) -> Result<Vec<ItemOutcome>, WeComError> {
        let path = match kind {
            HandoverKind::Resigned => "externalcontact/groupchat/transfer",
            HandoverKind::Onjob => "externalcontact/groupchat/onjob_transfer",
        };
        let asked: Vec<String> = chats.iter().take(TRANSFER_BATCH).cloned().collect();
        let answer: GroupTransferResult = self
            .post(
                path,
                &GroupTransfer {
                    chat_id_list: asked.clone(),
                    new_owner: new_owner.to_string(),
                },
            )
            .await?;
        Ok(asked
            .into_iter()
            .map(|id| {
                let failed = answer.failed_chat_list.iter().find(|f| f.chat_id == id);
                let outcome = match failed {
                    Some(f) => handover::group_outcome(f.errcode),
                    None => Outcome::Accepted,
                };
                ItemOutcome { id, outcome }
            })
            .collect())
    }
}
