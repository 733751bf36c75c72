//! What WeCom says of a handover after the fact: where the waiting customers are
//! (`transfer_result`, `transfer_fail`), and what a dead process's batch did.

use desk_wecom::handover::Takeover;
use serde_json::json;

use super::job::{kind_of, set};
use super::store::{self, HandoverRow};
use super::{HandoverError, Handovers};
use crate::wecom::WeComErrorKind;

/// Batches a dead process left `sending`: what WeCom has seen is settled from what it
/// says, the rest goes back to `pending`.
pub(super) async fn resume(h: &Handovers, row: &HandoverRow) -> Result<(), HandoverError> {
    let db = &h.orders.db;
    let customers = store::items_in(db, &row.id, "customer", "sending", i64::MAX).await?;
    if !customers.is_empty() {
        let seen = h
            .orders
            .wecom
            .transfer_results(kind_of(row), &row.from_user, &row.to_user)
            .await?;
        for item in customers {
            let state = seen.iter().find(|s| s.external_userid == item.item_id);
            match state {
                Some(s) => {
                    settle_customer(h, row, &item.item_id, "sending", &s.takeover).await?;
                }
                None => {
                    set(
                        h,
                        row,
                        "customer",
                        &item.item_id,
                        Some("sending"),
                        "pending",
                        None,
                    )
                    .await?;
                }
            }
        }
    }
    for item in store::items_in(db, &row.id, "group", "sending", i64::MAX).await? {
        let moved = match h.orders.wecom.group_chat(&item.item_id).await {
            Ok(chat) => chat.owner == row.to_user,
            Err(e) if e.kind() == WeComErrorKind::NoSuchChat => {
                set(
                    h,
                    row,
                    "group",
                    &item.item_id,
                    Some("sending"),
                    "failed",
                    Some("群已解散"),
                )
                .await?;
                continue;
            }
            Err(e) => return Err(e.into()),
        };
        let (state, reason) = match moved {
            true => ("done", None),
            false => ("pending", None),
        };
        set(
            h,
            row,
            "group",
            &item.item_id,
            Some("sending"),
            state,
            reason,
        )
        .await?;
    }
    Ok(())
}

/// Settles one customer from what `transfer_result` says of them.
async fn settle_customer(
    h: &Handovers,
    row: &HandoverRow,
    customer: &str,
    from_state: &str,
    takeover: &Takeover,
) -> Result<bool, HandoverError> {
    let (state, reason) = match takeover {
        Takeover::Done => ("done", None),
        Takeover::Waiting => ("waiting", Some("等待接替：企业微信 24 小时后完成")),
        Takeover::Failed(why) if why.contains("拒绝") => ("refused", Some(why.as_str())),
        Takeover::Failed(why) => ("failed", Some(why.as_str())),
    };
    Ok(set(
        h,
        row,
        "customer",
        customer,
        Some(from_state),
        state,
        reason,
    )
    .await?)
}

/// Asks WeCom where the waiting customers are; those taken over are done (and the
/// successor's customer mirror is read again), refused or failed ones say why.
pub async fn poll(h: &Handovers, row: &HandoverRow) -> Result<(), HandoverError> {
    let db = &h.orders.db;
    let waiting = store::items_in(db, &row.id, "customer", "waiting", i64::MAX).await?;
    if waiting.is_empty() {
        return Ok(());
    }
    let results = h
        .orders
        .wecom
        .transfer_results(kind_of(row), &row.from_user, &row.to_user)
        .await?;
    let mut taken = 0;
    let mut settled = Vec::new();
    for item in &waiting {
        let Some(r) = results.iter().find(|r| r.external_userid == item.item_id) else {
            continue;
        };
        if r.takeover == Takeover::Waiting {
            continue;
        }
        if !settle_customer(h, row, &item.item_id, "waiting", &r.takeover).await? {
            continue;
        }
        let (state, why) = match &r.takeover {
            Takeover::Done => {
                taken += 1;
                ("done", None)
            }
            Takeover::Failed(why) if why.contains("拒绝") => ("refused", Some(why.clone())),
            Takeover::Failed(why) => ("failed", Some(why.clone())),
            Takeover::Waiting => continue,
        };
        settled.push((item.item_id.clone(), state, why));
    }
    if !settled.is_empty() {
        audit_batch(h, row, "handover.customers_settled", &settled).await?;
    }
    store::polled(db, &row.id, h.now()).await?;
    if taken > 0 {
        tracing::info!(customers = taken, "customers taken over");
        if let Err(e) = h.orders.customers.mark_stale(db, &row.to_user).await {
            tracing::warn!(error = %e, "could not mark the successor's customers for a new read");
        }
    }
    Ok(())
}

/// A `transfer_fail` callback: the customer's handover to `to` failed.
pub async fn transfer_failed(
    h: &Handovers,
    to: &str,
    customer: &str,
    why: &str,
) -> Result<(), HandoverError> {
    for id in store::waiting_for(&h.orders.db, to, customer).await? {
        let Some(row) = store::get(&h.orders.db, &id).await? else {
            continue;
        };
        let state = if why.contains("拒绝") {
            "refused"
        } else {
            "failed"
        };
        set(
            h,
            &row,
            "customer",
            customer,
            Some("waiting"),
            state,
            Some(why),
        )
        .await?;
    }
    h.wake.notify_one();
    Ok(())
}

/// One audit line per batch WeCom answered: how many reached each state, and each
/// one that failed with why (the first 100).
pub(super) async fn audit_batch(
    h: &Handovers,
    row: &HandoverRow,
    action: &str,
    results: &[(String, &str, Option<String>)],
) -> Result<(), sqlx::Error> {
    let mut states = serde_json::Map::new();
    for (_, state, _) in results {
        let n = states.get(*state).and_then(|v| v.as_i64()).unwrap_or(0);
        states.insert(state.to_string(), json!(n + 1));
    }
    let failed: Vec<serde_json::Value> = results
        .iter()
        .filter(|(_, state, _)| matches!(*state, "failed" | "refused"))
        .take(100)
        .map(|(id, _, why)| json!({ "id": id, "reason": why }))
        .collect();
    let mut tx = h.orders.db.begin().await?;
    crate::audit::record(
        &mut tx,
        "system",
        action,
        &row.id,
        json!({ "from": row.from_user, "to": row.to_user, "states": states, "failed": failed }),
    )
    .await?;
    tx.commit().await
}
