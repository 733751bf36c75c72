//! 群聊数据统计 (D-96359/D-92133): `groupchat/statistic` (by owner, paged) and
//! `groupchat/statistic_group_by_day` (by day), counted from the groups as the
//! simulator holds them and their activity (`crate::activity`).
//!
//! The page's rules: `day_begin_time` is required; times are rounded down to 00:00
//! Beijing; both days lie between yesterday and 180 days back; at most 30 days a
//! call (the days asked, both ends included); `owner_filter.userid_list` at most 100;
//! without an owner filter and more than 1,000 people in the app's range 81017; owners
//! must be in the app's range (60011); `limit` 1..1000 (default 500). The page names no
//! errcode for the other refusals: 40058, the simulator's choice.
//!
//! Each owner is a current member who owns customer groups now (a group counts for its
//! owner of today, its whole history); an owner's numbers are the sums over the days
//! asked of each of their groups' day (`activity::group_day`); by day, the sums over
//! the owners.

use std::collections::BTreeSet;

use serde_json::Value;

use super::{fail, in_range, to_value, Answer, Call, Fail};
use crate::activity::{add, day_of, day_start, group_day};
use crate::state::World;
use desk_wecom::types::{
    DayStatistic, GroupStatisticByDay, GroupStatisticByDayQuery, GroupStatisticData,
    GroupStatisticPage, GroupStatisticQuery, OwnerFilter, OwnerStatistic,
};

/// WeCom keeps 180 days.
const KEPT_DAYS: i64 = 180;
/// Days one call may ask for.
const MAX_SPAN_DAYS: i64 = 30;
/// Owners one filter may name.
const MAX_OWNERS: usize = 100;
/// People in the app's range past which a call needs an owner filter.
const MAX_RANGE_WITHOUT_FILTER: usize = 1000;

/// The body as JSON, with `day_begin_time` present: the typed query comes after.
fn body_of(call: &Call) -> Result<Value, Fail> {
    let body: Value = call.json()?;
    if !body.get("day_begin_time").is_some_and(Value::is_i64) {
        return fail(40058, "day_begin_time is required (unix seconds)");
    }
    Ok(body)
}

fn typed<T: serde::de::DeserializeOwned>(body: Value) -> Result<T, Fail> {
    serde_json::from_value(body).map_err(|e| Fail(47001, format!("data format error: {e}")))
}

/// The days asked, first and last (Beijing day numbers), as the page allows them.
fn days(w: &World, begin: i64, end: Option<i64>) -> Result<(i64, i64), Fail> {
    let (first, last) = (day_of(begin), day_of(end.unwrap_or(begin)));
    let today = day_of(w.clock.now_secs());
    if first >= today || last >= today {
        return fail(
            40058,
            "day_begin_time and day_end_time must be yesterday or earlier",
        );
    }
    if first < today - KEPT_DAYS || last < today - KEPT_DAYS {
        return fail(
            40058,
            "day_begin_time and day_end_time must be within the last 180 days",
        );
    }
    if last < first {
        return fail(40058, "day_end_time must not be before day_begin_time");
    }
    if last - first + 1 > MAX_SPAN_DAYS {
        return fail(40058, "at most 30 days a call");
    }
    Ok((first, last))
}

/// The owners the numbers are for, by userid.
fn owners(w: &World, filter: Option<OwnerFilter>) -> Result<Vec<String>, Fail> {
    let asked = filter.map(|f| f.userid_list).unwrap_or_default();
    if asked.len() > MAX_OWNERS {
        return fail(40058, "owner_filter.userid_list exceed max count 100");
    }
    if asked.is_empty() {
        let in_app_range = w
            .directory
            .members()
            .iter()
            .filter(|m| w.rules.in_range(&m.userid))
            .count();
        if in_app_range > MAX_RANGE_WITHOUT_FILTER {
            return fail(
                81017,
                "owner_filter is required: more than 1000 people in range",
            );
        }
    }
    for u in &asked {
        in_range(w, u)?;
    }
    let owning: BTreeSet<String> = w
        .groups
        .all()
        .map(|g| g.owner.clone())
        .filter(|o| w.directory.is_member(o) && w.rules.in_range(o))
        .filter(|o| asked.is_empty() || asked.contains(o))
        .collect();
    Ok(owning.into_iter().collect())
}

/// `owner`'s groups summed over `first..=last`.
fn owner_sum(w: &World, owner: &str, first: i64, last: i64) -> GroupStatisticData {
    let mut sum = GroupStatisticData::default();
    for g in w.groups.all().filter(|g| g.owner == owner) {
        for day in first..=last {
            add(&mut sum, &group_day(g, &w.activity, day));
        }
    }
    sum
}

/// `externalcontact/groupchat/statistic` → `{total, next_offset, items: [{owner,
/// data}]}`, ordered by `order_by` (1 new groups, default; 2 groups; 3 new members;
/// 4 members), descending unless `order_asc: 1`, then by owner.
pub(super) fn by_owner(w: &mut World, _agent: i64, call: &Call) -> Answer {
    let q: GroupStatisticQuery = typed(body_of(call)?)?;
    let (first, last) = days(w, q.day_begin_time, q.day_end_time)?;
    let order_by = q.order_by.unwrap_or(1);
    if !(1..=4).contains(&order_by) {
        return fail(40058, "order_by must be 1..4");
    }
    let ascending = match q.order_asc.unwrap_or(0) {
        0 => false,
        1 => true,
        _ => return fail(40058, "order_asc must be 0 or 1"),
    };
    let limit = q.limit.unwrap_or(500);
    if !(1..=1000).contains(&limit) {
        return fail(40058, "limit must be 1..1000");
    }
    let mut items: Vec<OwnerStatistic> = owners(w, q.owner_filter)?
        .into_iter()
        .map(|owner| OwnerStatistic {
            data: owner_sum(w, &owner, first, last),
            owner,
        })
        .collect();
    let key = |s: &OwnerStatistic| match order_by {
        1 => s.data.new_chat_cnt,
        2 => s.data.chat_total,
        3 => s.data.new_member_cnt,
        _ => s.data.member_total,
    };
    items.sort_by(|a, b| {
        let by_key = key(a).cmp(&key(b));
        let by_key = if ascending { by_key } else { by_key.reverse() };
        by_key.then_with(|| a.owner.cmp(&b.owner))
    });
    let total = items.len();
    let start = (q.offset.unwrap_or(0) as usize).min(total);
    let end = (start + limit as usize).min(total);
    to_value(GroupStatisticPage {
        total: total as u32,
        next_offset: end as u32,
        items: items.drain(start..end).collect(),
    })
}

/// `externalcontact/groupchat/statistic_group_by_day` → `{items: [{stat_time, data}]}`:
/// every day asked (00:00 Beijing), the owners' groups summed.
pub(super) fn by_day(w: &mut World, _agent: i64, call: &Call) -> Answer {
    let q: GroupStatisticByDayQuery = typed(body_of(call)?)?;
    let (first, last) = days(w, q.day_begin_time, q.day_end_time)?;
    let owners = owners(w, q.owner_filter)?;
    let items = (first..=last)
        .map(|day| {
            let mut data = GroupStatisticData::default();
            for g in w.groups.all().filter(|g| owners.contains(&g.owner)) {
                add(&mut data, &group_day(g, &w.activity, day));
            }
            DayStatistic {
                stat_time: day_start(day),
                data,
            }
        })
        .collect();
    to_value(GroupStatisticByDay { items })
}
