//! Members who left and the handover of customers and groups (wecom-api.md 8a), as
//! WeCom keeps them: a customer handed over waits 24 h and is then taken over, or
//! refused by the customer, or stopped by the takeover member's customer limit
//! (`transfer_fail` callback); groups change owner at once, at most 300 a day from
//! one owner to one new owner, a group on-job at most twice in 90 days.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use desk_wecom::handover::HandoverKind;
use serde::Serialize;

use crate::callbacks::Event;
use crate::fixture::Member;
use crate::state::World;

/// How long a customer handover waits before it completes.
pub const TAKEOVER_SECS: i64 = 24 * 3600;
/// The window of "twice in 90 days".
pub const NINETY_DAYS: i64 = 90 * 24 * 3600;

/// A member who left, and when.
#[derive(Debug, Clone, Serialize)]
pub struct Left {
    pub member: Member,
    pub left_at: i64,
}

/// One customer's handover.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Transfer {
    #[serde(serialize_with = "kind_str")]
    pub kind: HandoverKind,
    pub handover: String,
    pub takeover: String,
    pub external_userid: String,
    pub started_at: i64,
    /// 1 taken over, 2 waiting, 3 refused, 4 the takeover member's limit.
    pub status: i32,
    /// When it completed (status 1), 0 otherwise.
    pub done_at: i64,
}

fn kind_str<S: serde::Serializer>(k: &HandoverKind, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(k.as_str())
}

/// Who left, the handovers under way and done, and what the corp refuses.
#[derive(Debug, Default)]
pub struct Handovers {
    pub left: BTreeMap<String, Left>,
    pub transfers: Vec<Transfer>,
    /// Customers who refuse to be handed over (`PUT /sim/handover`).
    pub refusing: BTreeSet<String>,
    /// Members at their customer limit.
    pub at_limit: BTreeSet<String>,
    /// Groups moved per (owner, new owner, Beijing day).
    pub group_moves: HashMap<(String, String, i64), usize>,
    /// When each group was moved on-job.
    pub onjob_group_moves: HashMap<String, Vec<i64>>,
    /// Groups whose owner left and that a new owner took (`status_filter: 3`).
    pub inherited_groups: BTreeSet<String>,
    /// Every handover request as it came: the path and the ids it named (customers or
    /// chats), so a test sees whether anything was sent twice.
    pub requests: Vec<HandoverRequest>,
}

#[derive(Debug, Clone, Serialize)]
pub struct HandoverRequest {
    pub path: &'static str,
    pub ids: Vec<String>,
}

/// The Beijing day of unix second `t` (WeCom's days are China's).
pub fn day_of(t: i64) -> i64 {
    (t + 8 * 3600).div_euclid(86_400)
}

impl Handovers {
    pub fn has_left(&self, userid: &str) -> bool {
        self.left.contains_key(userid)
    }

    /// The handover of `customer` under way (waiting), if any.
    pub fn waiting(&self, customer: &str) -> Option<&Transfer> {
        self.transfers
            .iter()
            .find(|t| t.external_userid == customer && t.status == 2)
    }

    /// On-job handovers of `customer` within 90 days of `now` (refused ones too).
    pub fn onjob_count(&self, customer: &str, now: i64) -> usize {
        self.transfers
            .iter()
            .filter(|t| {
                t.kind == HandoverKind::Onjob
                    && t.external_userid == customer
                    && now - t.started_at < NINETY_DAYS
            })
            .count()
    }

    /// On-job moves of group `chat_id` within 90 days of `now`.
    pub fn onjob_group_count(&self, chat_id: &str, now: i64) -> usize {
        self.onjob_group_moves
            .get(chat_id)
            .map_or(0, |t| t.iter().filter(|t| now - **t < NINETY_DAYS).count())
    }
}

/// Completes every customer handover whose 24 h have passed: taken over (the follow
/// entry becomes the takeover member's), or refused, or stopped by the takeover
/// member's limit, with the `transfer_fail` callback WeCom sends. The events to raise.
pub fn settle(w: &mut World) -> Vec<Event> {
    let now = w.clock.now_secs();
    let mut events = Vec::new();
    let due: Vec<usize> = w
        .handovers
        .transfers
        .iter()
        .enumerate()
        .filter(|(_, t)| t.status == 2 && t.started_at + TAKEOVER_SECS <= now)
        .map(|(i, _)| i)
        .collect();
    for i in due {
        let t = w.handovers.transfers[i].clone();
        let fail = if w.handovers.refusing.contains(&t.external_userid) {
            Some((3, "customer_refused"))
        } else if w.handovers.at_limit.contains(&t.takeover) {
            Some((4, "customer_limit_exceed"))
        } else {
            None
        };
        let done = &mut w.handovers.transfers[i];
        match fail {
            Some((status, reason)) => {
                done.status = status;
                events.push(Event::TransferFail {
                    userid: t.takeover.clone(),
                    external_userid: t.external_userid.clone(),
                    fail_reason: reason,
                });
            }
            None => {
                done.status = 1;
                done.done_at = t.started_at + TAKEOVER_SECS;
                take_over(w, &t);
            }
        }
    }
    events
}

/// The customer's follow entry of the member handing over becomes the takeover
/// member's (kept as it was when the takeover member already followed them).
fn take_over(w: &mut World, t: &Transfer) {
    let Some(c) = w.directory.customer_mut(&t.external_userid) else {
        return;
    };
    let Some(i) = c.follow.iter().position(|f| f.userid == t.handover) else {
        return;
    };
    let mut follow = c.follow.remove(i);
    if !c.follow.iter().any(|f| f.userid == t.takeover) {
        follow.userid = t.takeover.clone();
        follow.oper_userid = Some(t.takeover.clone());
        c.follow.push(follow);
    }
}

/// What `/sim/handover` shows: who left, every customer handover, and the settings.
pub fn snapshot(w: &World) -> serde_json::Value {
    let h = &w.handovers;
    serde_json::json!({
        "left": h.left,
        "transfers": h.transfers,
        "refusing": h.refusing,
        "atLimit": h.at_limit,
        "inheritedGroups": h.inherited_groups,
        "requests": h.requests,
    })
}
