//! The handover endpoints (wecom-api.md 8a; D-92124, D-94081, D-94082, D-92127,
//! D-92125, D-94088, D-95703), with WeCom's limits and per-item errcodes.
//!
//! Not documented by WeCom, so chosen here and said so: a call over 100 items, or a
//! `transfer_success_msg` over 200 characters, is refused whole with 40058 (WeCom's
//! "invalid parameter"); the 301st group of a day from one owner to one new owner
//! fails with 45009; a group's third on-job move in 90 days fails with 40128 (the
//! customers' code for the same limit).

use desk_wecom::handover::HandoverKind;
use desk_wecom::types::{
    CustomerTransfer, CustomerTransfers, FailedChat, GroupTransfer, GroupTransferResult,
    TransferCustomers, TransferResultPage, TransferResultQuery, TransferState, Unassigned,
    UnassignedPage, UnassignedQuery, GROUPS_PER_DAY, TRANSFER_BATCH, TRANSFER_MESSAGE_CHARS,
};

use super::{fail, next_cursor, offset_of, to_value, Answer, Call, Fail};
use crate::handover::{day_of, HandoverRequest, Transfer};
use crate::state::World;

/// `externalcontact/get_follow_user_list` (D-92571): the members configured for
/// customer contact, of those in the app's visible range.
pub(super) fn follow_users(w: &mut World, _agent: i64, _call: &Call) -> Answer {
    let rules = &w.rules;
    let follow_user: Vec<String> = w
        .directory
        .members()
        .iter()
        .map(|m| m.userid.clone())
        .filter(|u| rules.in_range(u) && !rules.settings.without_customer_contact.contains(u))
        .collect();
    to_value(desk_wecom::types::FollowUsers { follow_user })
}

/// `externalcontact/get_unassigned_list`: the customers of members who left (within a
/// year) that no handover has taken yet, in pages of `page_size` (≤ 1000).
pub(super) fn unassigned(w: &mut World, _agent: i64, call: &Call) -> Answer {
    let q: UnassignedQuery = call.json()?;
    let size = q.page_size.unwrap_or(1000);
    if !(1..=1000).contains(&size) {
        return fail(40058, "page_size must be 1..1000");
    }
    let now = w.clock.now_secs();
    let h = &w.handovers;
    let all: Vec<Unassigned> = h
        .left
        .iter()
        .filter(|(_, l)| now - l.left_at < 365 * 86_400)
        .flat_map(|(userid, l)| {
            w.directory
                .customers_of(userid)
                .filter(|(c, _)| {
                    !h.transfers.iter().any(|t| {
                        t.external_userid == c.external_userid
                            && t.handover == *userid
                            && matches!(t.status, 1 | 2)
                    })
                })
                .map(move |(c, _)| Unassigned {
                    handover_userid: userid.clone(),
                    external_userid: c.external_userid.clone(),
                    dimission_time: l.left_at,
                })
        })
        .collect();
    let offset = offset_of(&q.cursor)?;
    let end = (offset + size as usize).min(all.len());
    to_value(UnassignedPage {
        info: all.get(offset..end).unwrap_or_default().to_vec(),
        is_last: end >= all.len(),
        next_cursor: next_cursor(end, all.len()),
    })
}

/// `resigned/transfer_customer`: the member handing over must have left.
pub(super) fn transfer_resigned(w: &mut World, _agent: i64, call: &Call) -> Answer {
    transfer_customers(w, call, HandoverKind::Resigned)
}

/// `transfer_customer`: the member handing over is still here; a customer at most
/// twice in 90 days.
pub(super) fn transfer_onjob(w: &mut World, _agent: i64, call: &Call) -> Answer {
    transfer_customers(w, call, HandoverKind::Onjob)
}

fn transfer_customers(w: &mut World, call: &Call, kind: HandoverKind) -> Answer {
    let req: TransferCustomers = call.json()?;
    if req.external_userid.is_empty() || req.external_userid.len() > TRANSFER_BATCH {
        return fail(40058, "external_userid: 1..100");
    }
    if req
        .transfer_success_msg
        .as_ref()
        .is_some_and(|m| m.chars().count() > TRANSFER_MESSAGE_CHARS)
    {
        return fail(40058, "transfer_success_msg exceed max length 200");
    }
    if !w.directory.is_member(&req.takeover_userid) {
        return fail(60111, "userid not found");
    }
    super::in_range(w, &req.takeover_userid)?;
    w.handovers.requests.push(HandoverRequest {
        path: match kind {
            HandoverKind::Resigned => "resigned/transfer_customer",
            HandoverKind::Onjob => "transfer_customer",
        },
        ids: req.external_userid.clone(),
    });
    let now = w.clock.now_secs();
    let left = w.handovers.has_left(&req.handover_userid);
    let customer = req
        .external_userid
        .iter()
        .map(|id| {
            let errcode = customer_errcode(w, &req, id, kind, left, now);
            if errcode == 0 {
                w.handovers.transfers.push(Transfer {
                    kind,
                    handover: req.handover_userid.clone(),
                    takeover: req.takeover_userid.clone(),
                    external_userid: id.clone(),
                    started_at: now,
                    status: 2,
                    done_at: 0,
                });
            }
            CustomerTransfer {
                external_userid: id.clone(),
                errcode,
            }
        })
        .collect();
    to_value(CustomerTransfers { customer })
}

fn customer_errcode(
    w: &World,
    req: &TransferCustomers,
    id: &str,
    kind: HandoverKind,
    left: bool,
    now: i64,
) -> i64 {
    let Some(c) = w.directory.customer(id) else {
        return 40096;
    };
    if req.handover_userid == req.takeover_userid {
        return 40130;
    }
    if kind == HandoverKind::Resigned && !left {
        return 40097;
    }
    if !c.follow.iter().any(|f| f.userid == req.handover_userid) {
        return 40131;
    }
    if w.handovers.waiting(id).is_some() {
        return 40100;
    }
    if kind == HandoverKind::Onjob && w.handovers.onjob_count(id, now) >= 2 {
        return 40128;
    }
    if w.handovers.at_limit.contains(&req.takeover_userid) {
        return 40099;
    }
    0
}

/// `resigned/transfer_result` and `transfer_result`: every handover from one member
/// to another, with its status (`takeover_time`: when it completes, or completed).
pub(super) fn transfer_result(w: &mut World, _agent: i64, call: &Call) -> Answer {
    let q: TransferResultQuery = call.json()?;
    let all: Vec<TransferState> = w
        .handovers
        .transfers
        .iter()
        .filter(|t| t.handover == q.handover_userid && t.takeover == q.takeover_userid)
        .map(|t| TransferState {
            external_userid: t.external_userid.clone(),
            status: t.status,
            takeover_time: match t.status {
                1 => t.done_at,
                2 => t.started_at + crate::handover::TAKEOVER_SECS,
                _ => 0,
            },
        })
        .collect();
    let offset = offset_of(&q.cursor)?;
    let end = (offset + 1000).min(all.len());
    to_value(TransferResultPage {
        customer: all.get(offset..end).unwrap_or_default().to_vec(),
        next_cursor: next_cursor(end, all.len()),
    })
}

/// `groupchat/transfer`: groups whose owner left get `new_owner` at once.
pub(super) fn groups_resigned(w: &mut World, _agent: i64, call: &Call) -> Answer {
    transfer_groups(w, call, HandoverKind::Resigned)
}

/// `groupchat/onjob_transfer`: groups whose owner is still here.
pub(super) fn groups_onjob(w: &mut World, _agent: i64, call: &Call) -> Answer {
    transfer_groups(w, call, HandoverKind::Onjob)
}

fn transfer_groups(w: &mut World, call: &Call, kind: HandoverKind) -> Answer {
    let req: GroupTransfer = call.json()?;
    if req.chat_id_list.is_empty() || req.chat_id_list.len() > TRANSFER_BATCH {
        return fail(40058, "chat_id_list: 1..100");
    }
    if !w.directory.is_member(&req.new_owner) {
        return fail(60111, "userid not found");
    }
    super::in_range(w, &req.new_owner)?;
    w.handovers.requests.push(HandoverRequest {
        path: match kind {
            HandoverKind::Resigned => "groupchat/transfer",
            HandoverKind::Onjob => "groupchat/onjob_transfer",
        },
        ids: req.chat_id_list.clone(),
    });
    let now = w.clock.now_secs();
    let mut failed = Vec::new();
    for chat_id in &req.chat_id_list {
        if let Err(Fail(errcode, errmsg)) = move_group(w, chat_id, &req.new_owner, kind, now) {
            failed.push(FailedChat {
                chat_id: chat_id.clone(),
                errcode,
                errmsg,
            });
        }
    }
    to_value(GroupTransferResult {
        failed_chat_list: failed,
    })
}

fn move_group(
    w: &mut World,
    chat_id: &str,
    new_owner: &str,
    kind: HandoverKind,
    now: i64,
) -> Result<(), Fail> {
    let Some(chat) = w.groups.get(chat_id) else {
        return fail(90501, "chat is not external group chat");
    };
    let owner = chat.owner.clone();
    let owner_left = w.handovers.has_left(&owner);
    if owner == new_owner {
        return fail(90504, "the owner of this chat is not changed");
    }
    match kind {
        HandoverKind::Resigned if w.handovers.inherited_groups.contains(chat_id) => {
            return fail(90508, "the chat has been transferred")
        }
        HandoverKind::Resigned if !owner_left => {
            return fail(90500, "the owner of this chat is not resigned")
        }
        HandoverKind::Onjob if owner_left => {
            return fail(90502, "the owner of this chat is resigned")
        }
        HandoverKind::Onjob if w.handovers.onjob_group_count(chat_id, now) >= 2 => {
            return fail(40128, "the chat has been transferred twice in 90 days")
        }
        _ => {}
    }
    let wechat_users = chat
        .member_list
        .iter()
        .filter(|m| m.kind == 2 && m.userid.starts_with("wm"))
        .count();
    if wechat_users >= 99 {
        return fail(90503, "need the new owner to confirm in the client");
    }
    let day = (owner.clone(), new_owner.to_string(), day_of(now));
    let moved = w.handovers.group_moves.entry(day).or_default();
    if *moved >= GROUPS_PER_DAY {
        return fail(45009, "api freq out of limit");
    }
    *moved += 1;
    match kind {
        HandoverKind::Resigned => {
            w.handovers.inherited_groups.insert(chat_id.to_string());
        }
        HandoverKind::Onjob => w
            .handovers
            .onjob_group_moves
            .entry(chat_id.to_string())
            .or_default()
            .push(now),
    }
    if let Some(chat) = w.groups.get_mut(chat_id) {
        chat.owner = new_owner.to_string();
        if !chat.member_list.iter().any(|m| m.userid == new_owner) {
            let mut joined = chat.member_list[0].clone();
            joined.userid = new_owner.to_string();
            joined.join_time = now;
            joined.name = String::new();
            chat.member_list.push(joined);
        }
    }
    Ok(())
}
