//! The handover job: each round takes every unfinished handover in turn, under a
//! lease (one instance at a time), and moves it on: orders first (ours alone), then
//! customers and groups in batches of 100, groups at most 300 a day from one owner to
//! one new owner, then asks WeCom where the waiting customers are.
//!
//! Nothing is sent twice: a batch is marked `sending` before its call and settled
//! after it; a batch found `sending` at the start of a round (the process died during
//! its call) is first looked up in WeCom (`transfer_result`, `groupchat/get`), and
//! only what WeCom has not seen is sent again.

use std::time::Duration;

use desk_wecom::handover::Outcome;
use serde_json::json;

use super::store::{self, HandoverRow, ItemRow};
use super::{results, HandoverError, Handovers};
use crate::lease::Lease;
use crate::outbox::events::event_id;
use crate::wecom::handover::TRANSFER_BATCH;
use crate::wecom::{HandoverKind, WeComError, WeComErrorKind};

/// How long one instance may hold a handover before another takes it over (a dead
/// instance's handover is taken up after this).
const HOLD: Duration = Duration::from_secs(120);
/// One round sends for at most this long, then lets the handover go (well within
/// `HOLD`, a WeCom call's deadline included).
const ROUND_BUDGET: Duration = Duration::from_secs(30);
/// WeCom's day starts at midnight in Beijing (UTC+8).
const BEIJING: i64 = 8 * 3600;

/// The start of the Beijing day `t` is in, unix seconds.
pub fn day_start(t: i64) -> i64 {
    (t + BEIJING).div_euclid(86_400) * 86_400 - BEIJING
}

/// One look at every unfinished handover.
pub async fn round(h: &Handovers) {
    let unfinished = match store::unfinished(&h.orders.db).await {
        Ok(rows) => rows,
        Err(e) => {
            tracing::warn!(error = %e, "handovers unreadable; trying again at the next round");
            return;
        }
    };
    for row in unfinished {
        let lease = Lease::try_take(&h.orders.db, &format!("handover:{}", row.id), HOLD).await;
        let Ok(Some(_held)) = lease else {
            continue; // another instance runs it (or the database is down)
        };
        if let Err(e) = step(h, &row).await {
            tracing::warn!(error = %e, handover = %row.id, "handover round stopped; going on at the next one");
        }
    }
}

/// Moves one handover on as far as it goes now.
#[tracing::instrument(skip_all, fields(handover = %row.id))]
async fn step(h: &Handovers, row: &HandoverRow) -> Result<(), HandoverError> {
    let db = &h.orders.db;
    store::release_scheduled(db, &row.id, h.now()).await?;
    results::resume(h, row).await?;
    orders(h, row).await?;
    let until = std::time::Instant::now() + ROUND_BUDGET;
    customers(h, row, until).await?;
    groups(h, row, until).await?;
    let due = h.now() - row.polled_at >= h.settings.result_poll_secs as i64;
    if due {
        results::poll(h, row).await?;
    }
    finish_if_done(h, row).await
}

pub(super) fn kind_of(row: &HandoverRow) -> HandoverKind {
    HandoverKind::parse(&row.kind).unwrap_or(HandoverKind::Resigned)
}

/// Sets an item's state outside a batch.
pub(super) async fn set(
    h: &Handovers,
    row: &HandoverRow,
    kind: &str,
    item: &str,
    from: Option<&str>,
    state: &str,
    reason: Option<&str>,
) -> Result<bool, sqlx::Error> {
    let mut tx = h.orders.db.begin().await?;
    let changed =
        store::set_state(&mut tx, &row.id, kind, item, from, state, reason, h.now()).await?;
    tx.commit().await?;
    Ok(changed)
}

/// Every pending order gets the successor in the roles the member had, with an
/// `order.reassigned` event per role and an audit line, each order in one transaction.
async fn orders(h: &Handovers, row: &HandoverRow) -> Result<(), HandoverError> {
    let db = &h.orders.db;
    for item in store::items_in(db, &row.id, "order", "pending", i64::MAX).await? {
        let now_ms = h.orders.clock.now_millis();
        let mut tx = db.begin().await?;
        let roles = crate::orders::store::reassign_order(
            &mut tx,
            &item.item_id,
            &row.from_user,
            &row.to_user,
            now_ms / 1000,
        )
        .await?;
        let pulled = crate::orders::store::is_pulled(&mut tx, &item.item_id).await?;
        for role in &roles {
            let data = json!({
                "orderId": item.item_id,
                "role": role,
                "from": row.from_user,
                "to": row.to_user,
                "handoverId": row.id,
                // A pulled order is the business system's to change: until it does,
                // its next answer would give the order back to the member who left.
                "pulled": pulled,
            });
            let id = event_id(&format!(
                "order.reassigned:{}:{}:{role}",
                row.id, item.item_id
            ));
            h.orders
                .events
                .emit(&mut tx, &id, "order.reassigned", data, now_ms)
                .await?;
        }
        let (state, reason) = match roles.is_empty() {
            true => ("done", Some("订单已不在原成员名下（或已关闭），无需转交")),
            false => ("done", None),
        };
        store::set_state(
            &mut tx,
            &row.id,
            "order",
            &item.item_id,
            Some("pending"),
            state,
            reason,
            now_ms / 1000,
        )
        .await?;
        crate::audit::record(
            &mut tx,
            "system",
            "order.reassigned",
            &item.item_id,
            json!({ "handoverId": row.id, "from": row.from_user, "to": row.to_user, "roles": roles }),
        )
        .await?;
        tx.commit().await?;
    }
    h.orders.outbox_wake.notify_one();
    Ok(())
}

/// Marks `batch` `sending` (one transaction) before it goes to WeCom: the items this
/// call moved from `pending` (one another runner took meanwhile is left out).
async fn mark_sending(
    h: &Handovers,
    row: &HandoverRow,
    kind: &str,
    batch: Vec<ItemRow>,
) -> Result<Vec<ItemRow>, sqlx::Error> {
    let mut tx = h.orders.db.begin().await?;
    let mut mine = Vec::with_capacity(batch.len());
    for item in batch {
        if store::set_state(
            &mut tx,
            &row.id,
            kind,
            &item.item_id,
            Some("pending"),
            "sending",
            None,
            h.now(),
        )
        .await?
        {
            mine.push(item);
        }
    }
    tx.commit().await?;
    Ok(mine)
}

/// A call WeCom refused as a whole: transient refusals put the batch back (the next
/// round tries again); the rest fail each item with the reason.
async fn refused_batch(
    h: &Handovers,
    row: &HandoverRow,
    kind: &str,
    batch: &[ItemRow],
    e: WeComError,
) -> Result<(), HandoverError> {
    let transient = e.is_transient() || e.is_rate_limited() || e.kind() == WeComErrorKind::Timeout;
    let why = e.member_message();
    for item in batch {
        match transient {
            true => {
                set(
                    h,
                    row,
                    kind,
                    &item.item_id,
                    Some("sending"),
                    "pending",
                    None,
                )
                .await?
            }
            false => {
                set(
                    h,
                    row,
                    kind,
                    &item.item_id,
                    Some("sending"),
                    "failed",
                    Some(&why),
                )
                .await?
            }
        };
    }
    match transient {
        true => Err(e.into()),
        false => Ok(()),
    }
}

/// Pending customers in batches of 100; each customer's answer becomes its state.
async fn customers(
    h: &Handovers,
    row: &HandoverRow,
    until: std::time::Instant,
) -> Result<(), HandoverError> {
    while std::time::Instant::now() < until {
        let batch = store::items_in(
            &h.orders.db,
            &row.id,
            "customer",
            "pending",
            TRANSFER_BATCH as i64,
        )
        .await?;
        if batch.is_empty() {
            return Ok(());
        }
        let batch = mark_sending(h, row, "customer", batch).await?;
        if batch.is_empty() {
            continue;
        }
        let ids: Vec<String> = batch.iter().map(|i| i.item_id.clone()).collect();
        let answer = h
            .orders
            .wecom
            .transfer_customers(
                kind_of(row),
                &row.from_user,
                &row.to_user,
                &ids,
                row.message.as_deref(),
            )
            .await;
        let outcomes = match answer {
            Ok(o) => o,
            Err(e) => return refused_batch(h, row, "customer", &batch, e).await,
        };
        let mut results = Vec::with_capacity(batch.len());
        for item in &batch {
            let outcome = outcomes
                .iter()
                .find(|o| o.id == item.item_id)
                .map(|o| o.outcome.clone())
                .unwrap_or(Outcome::Refused("企业微信没有答复这个客户".into()));
            let (state, reason) = match &outcome {
                Outcome::Accepted => ("waiting", Some("等待接替：企业微信 24 小时后完成")),
                Outcome::InProgress(why) => ("waiting", Some(why.as_str())),
                Outcome::AlreadyDone(why) => ("done", Some(why.as_str())),
                Outcome::Refused(why) | Outcome::NeedsConfirmation(why) => {
                    ("failed", Some(why.as_str()))
                }
            };
            set(
                h,
                row,
                "customer",
                &item.item_id,
                Some("sending"),
                state,
                reason,
            )
            .await?;
            results.push((item.item_id.clone(), state, reason.map(str::to_string)));
        }
        results::audit_batch(h, row, "handover.customers_sent", &results).await?;
        tracing::info!(customers = batch.len(), "customers handed over");
    }
    Ok(()) // the round's time is up: the next round goes on
}

/// Pending groups in batches of 100, at most 300 a day from this owner to this new
/// owner (the rest wait for the next day, `scheduled`).
async fn groups(
    h: &Handovers,
    row: &HandoverRow,
    until: std::time::Instant,
) -> Result<(), HandoverError> {
    let db = &h.orders.db;
    while std::time::Instant::now() < until {
        let now = h.now();
        let sent =
            store::groups_sent_since(db, &row.from_user, &row.to_user, day_start(now)).await?;
        let room = (desk_wecom::types::GROUPS_PER_DAY as i64 - sent).max(0);
        let take = room.min(TRANSFER_BATCH as i64);
        if take == 0 {
            let tomorrow = day_start(now) + 86_400;
            store::schedule_pending_groups(
                db,
                &row.id,
                tomorrow,
                "企业微信每天最多转 300 个群：明天自动继续",
            )
            .await?;
            return Ok(());
        }
        let batch = store::items_in(db, &row.id, "group", "pending", take).await?;
        if batch.is_empty() {
            return Ok(());
        }
        let batch = mark_sending(h, row, "group", batch).await?;
        let batch = match kind_of(row) {
            HandoverKind::Onjob => owned_by_from(h, row, batch).await?,
            HandoverKind::Resigned => batch,
        };
        if batch.is_empty() {
            continue;
        }
        let ids: Vec<String> = batch.iter().map(|i| i.item_id.clone()).collect();
        let outcomes = match h
            .orders
            .wecom
            .transfer_groups(kind_of(row), &ids, &row.to_user)
            .await
        {
            Ok(o) => o,
            Err(e) => return refused_batch(h, row, "group", &batch, e).await,
        };
        let mut results = Vec::with_capacity(outcomes.len());
        for o in outcomes {
            let (state, reason) = match &o.outcome {
                Outcome::Accepted => ("done", None),
                Outcome::AlreadyDone(why) => ("done", Some(why.as_str())),
                Outcome::Refused(why)
                | Outcome::NeedsConfirmation(why)
                | Outcome::InProgress(why) => ("failed", Some(why.as_str())),
            };
            let mut tx = db.begin().await?;
            store::set_state(
                &mut tx,
                &row.id,
                "group",
                &o.id,
                Some("sending"),
                state,
                reason,
                now,
            )
            .await?;
            if state == "done" {
                crate::joinway::store::pool_owner(&mut tx, &o.id, &row.to_user).await?;
            }
            // An order's group that did not follow the order says why on the order.
            let note = (state == "failed").then_some(reason).flatten();
            crate::groups::store::set_move_note(&mut tx, &o.id, note).await?;
            tx.commit().await?;
            results.push((o.id.clone(), state, reason.map(str::to_string)));
        }
        results::audit_batch(h, row, "handover.groups_sent", &results).await?;
        tracing::info!(groups = batch.len(), "groups handed over");
    }
    Ok(()) // the round's time is up: the next round goes on
}

/// On-job, a group goes only when the member handing over owns it: the others are
/// done where they are (with why), the rest of `batch` goes on.
async fn owned_by_from(
    h: &Handovers,
    row: &HandoverRow,
    batch: Vec<ItemRow>,
) -> Result<Vec<ItemRow>, HandoverError> {
    let mut owned = Vec::with_capacity(batch.len());
    for item in batch {
        let (state, reason) = match h.orders.wecom.group_chat(&item.item_id).await {
            Ok(chat) if chat.owner == row.from_user => {
                owned.push(item);
                continue;
            }
            Ok(_) => ("done", "群主不是原成员：群不用转"),
            Err(e) if e.kind() == WeComErrorKind::NoSuchChat => ("failed", "群已解散"),
            Err(e) => {
                set(
                    h,
                    row,
                    "group",
                    &item.item_id,
                    Some("sending"),
                    "pending",
                    None,
                )
                .await?;
                return Err(e.into());
            }
        };
        set(
            h,
            row,
            "group",
            &item.item_id,
            Some("sending"),
            state,
            Some(reason),
        )
        .await?;
    }
    Ok(owned)
}

/// Nothing pending, waiting or scheduled: the handover is finished, once, with its
/// `handover.finished` event.
async fn finish_if_done(h: &Handovers, row: &HandoverRow) -> Result<(), HandoverError> {
    let db = &h.orders.db;
    if store::unsettled(db, &row.id).await? > 0 {
        return Ok(());
    }
    let items = store::items(db, &row.id).await?;
    let counts = super::view::counts(&items);
    let now_ms = h.orders.clock.now_millis();
    let mut tx = db.begin().await?;
    if store::finish(&mut tx, &row.id, now_ms / 1000).await? {
        let data = json!({
            "handoverId": row.id,
            "from": row.from_user,
            "to": row.to_user,
            "counts": counts,
        });
        let id = event_id(&format!("handover.finished:{}", row.id));
        h.orders
            .events
            .emit(&mut tx, &id, "handover.finished", data.clone(), now_ms)
            .await?;
        crate::audit::record(&mut tx, "system", "handover.finished", &row.id, data).await?;
    }
    tx.commit().await?;
    h.orders.outbox_wake.notify_one();
    tracing::info!("handover finished");
    // What the member still leaves waiting (a customer who refused, say), as WeCom
    // says it now.
    if row.kind == "resigned" {
        if let Err(e) = super::leavers::read_all(h).await {
            tracing::warn!(error = %e, "could not read the members who left again");
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wecoms_day_starts_at_midnight_in_beijing() {
        // 2026-12-04 15:59:59 UTC is 23:59:59 in Beijing; a second later is the next day.
        let t = 1_796_399_999;
        assert_eq!(day_start(t), 1_796_313_600);
        assert_eq!(day_start(t + 1), 1_796_400_000);
        assert_eq!(day_start(t + 1) - day_start(t), 86_400);
    }
}
