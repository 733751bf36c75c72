//! Reading a recorded group again from WeCom (`groupchat/get`) and repairing what the
//! server knows of it: who is in it, whether the order's customer joined, whether it
//! was dismissed. The `change_external_chat` callback does it for the group it names;
//! a periodic round does it for every group, least recently read first, so a missed
//! callback is repaired within a round.

use std::time::Duration;

use actix_web::web;
use tokio::time::Instant;

use super::store;
use crate::clock::{now_millis, now_secs};
use crate::config::GroupsSettings;
use crate::lease::Lease;
use crate::orders::store::OrderRow;
use crate::orders::{OrdersError, OrdersState};
use crate::wecom::WeComErrorKind;

/// What reading a group again changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refreshed {
    /// The server knew it as WeCom has it.
    Unchanged,
    /// Its customers or the order's 客户已进群 were put right.
    Repaired,
    /// WeCom no longer knows the chat: the group is noted as dismissed.
    Dismissed,
}

/// Reads `order`'s group from WeCom and applies it, in one transaction: its
/// customers are replaced by WeCom's, and each customer who arrived (one named in
/// `named`, i.e. by an `add_member` callback, one the server did not know in the
/// group, or any while the order has no customer yet) marks the order 客户已进群 with
/// a `customer.joined` event, if they are the order's customer: behind the order's
/// join QR code only those who scanned it (its `state`), in a group made in the
/// client any customer. A chat WeCom does not know (40050, also its answer for a
/// dismissed group) is noted as dismissed. Reading twice changes nothing more.
pub async fn refresh(
    state: &OrdersState,
    order: &OrderRow,
    chat_id: &str,
    named: &[String],
) -> Result<Refreshed, OrdersError> {
    let chat = match state.wecom.group_chat(chat_id).await {
        Ok(chat) => chat,
        Err(e) if e.kind() == WeComErrorKind::NoSuchChat => {
            if store::mark_dismissed(&state.db, chat_id, now_secs()).await? {
                tracing::info!(order = %order.id, chat_id, "order group dismissed");
            }
            return Ok(Refreshed::Dismissed);
        }
        Err(e) => return Err(e.into()),
    };
    let mut known = store::customers_of(&state.db, chat_id).await?;
    known.sort_unstable();
    let mut customers = chat.customers();
    customers.sort_unstable();
    customers.dedup();
    let key = store::join_state(&state.db, &order.id).await?;
    let waiting = order.customer_joined_at.is_none();
    let arrived: Vec<_> = chat
        .member_list
        .iter()
        .filter(|m| {
            m.kind == 2
                && (named.contains(&m.userid) || !known.contains(&m.userid) || waiting)
                && key.as_ref().is_none_or(|k| m.state.as_ref() == Some(k))
        })
        .collect();
    let now = now_secs();
    let mut tx = state.db.begin().await?;
    let changed = known
        .iter()
        .map(String::as_str)
        .ne(customers.iter().copied());
    if changed {
        store::replace_customers(&mut tx, chat_id, &customers).await?;
    }
    let mut joined = false;
    for m in &arrived {
        let at = if m.join_time > 0 { m.join_time } else { now };
        joined |= store::mark_customer_joined(&mut tx, chat_id, at).await?;
        // Named after the join itself, so the callback and a round that both see it
        // queue one event.
        let seed = format!("customer.joined:{chat_id}:{}:{at}", m.userid);
        state
            .events
            .emit(
                &mut tx,
                &crate::outbox::events::event_id(&seed),
                "customer.joined",
                serde_json::json!({
                    "orderId": order.id,
                    "chatId": chat_id,
                    "externalUserId": m.userid,
                    "joinScene": m.join_scene,
                    "state": m.state,
                    "joinedAt": at,
                }),
                now_millis(),
            )
            .await?;
    }
    store::mark_synced(&mut tx, chat_id, now).await?;
    tx.commit().await?;
    if !arrived.is_empty() {
        state.outbox_wake.notify_one();
    }
    Ok(if changed || joined {
        Refreshed::Repaired
    } else {
        Refreshed::Unchanged
    })
}

/// The lease a round holds, so that with several instances on one database one of
/// them reads the groups at a time.
const LEASE: &str = "groups:resync";
/// How long past its period a round's lease lasts: the last call of a round that ran
/// out of time may still be under way.
const LEASE_MARGIN: Duration = Duration::from_secs(60);
/// Groups one round reads at most, whatever its period and pace allow.
const MAX_PER_ROUND: u64 = 100_000;

/// The periodic re-read of the orders' groups.
pub struct GroupResync {
    orders: web::Data<OrdersState>,
    every: Duration,
    pace: Duration,
}

/// What a round did, for its log line.
#[derive(Debug, Default)]
struct RoundSummary {
    checked: u64,
    repaired: u64,
    dismissed: u64,
    failed: u64,
}

impl GroupResync {
    /// The re-sync `settings` ask for; `None` when it is off (`resync_every_secs = 0`).
    pub fn new(orders: web::Data<OrdersState>, settings: &GroupsSettings) -> Option<Self> {
        (settings.resync_every_secs > 0).then(|| Self {
            orders,
            every: Duration::from_secs(settings.resync_every_secs),
            pace: Duration::from_millis(settings.pace_ms),
        })
    }

    /// How often a round runs.
    pub fn period(&self) -> Duration {
        self.every
    }

    /// One round: unless another instance is in one, reads again the groups not read
    /// for half a period (at most one call per pace, and no longer than a period: the
    /// rest wait for the next round, first in line). A group that fails is left as
    /// it was and read again next round; it does not stop the others.
    pub async fn round(&self) {
        let db = &self.orders.db;
        let lease = match Lease::try_take(db, LEASE, self.every + LEASE_MARGIN).await {
            Ok(Some(lease)) => lease,
            Ok(None) => {
                tracing::debug!("another instance is re-reading the order groups");
                return;
            }
            Err(e) => {
                tracing::warn!(error = %e, "order group re-sync skipped: no lease");
                return;
            }
        };
        let started = Instant::now();
        let half = i64::try_from(self.every.as_secs() / 2).unwrap_or(i64::MAX);
        let pace_ms = self.pace.as_millis().max(1);
        let budget = (self.every.as_millis() / pace_ms).clamp(1, u128::from(MAX_PER_ROUND));
        let due = match store::due_for_resync(
            db,
            now_secs().saturating_sub(half),
            i64::try_from(budget).unwrap_or(i64::MAX),
        )
        .await
        {
            Ok(due) => due,
            Err(e) => {
                tracing::warn!(error = %e, "order group re-sync skipped: cannot list the groups");
                return;
            }
        };
        let mut done = RoundSummary::default();
        let mut next_call = started;
        for chat_id in &due {
            if started.elapsed() >= self.every {
                break;
            }
            tokio::time::sleep_until(next_call).await;
            next_call = Instant::now() + self.pace;
            done.checked += 1;
            match self.resync_one(chat_id).await {
                Ok(Some(Refreshed::Repaired)) => done.repaired += 1,
                Ok(Some(Refreshed::Dismissed)) => done.dismissed += 1,
                Ok(Some(Refreshed::Unchanged) | None) => {}
                Err(e) => {
                    done.failed += 1;
                    tracing::warn!(chat_id, error = %e, "order group not re-read; tried again after the others");
                    if let Err(e) = store::mark_tried(&self.orders.db, chat_id, now_secs()).await {
                        tracing::warn!(chat_id, error = %e, "the failed read could not be noted");
                    }
                }
            }
        }
        // The next round, on any instance, keeps the pace after this round's last call.
        if done.checked > 0 {
            tokio::time::sleep_until(next_call).await;
        }
        drop(lease);
        let RoundSummary {
            checked,
            repaired,
            dismissed,
            failed,
        } = done;
        tracing::info!(
            checked,
            repaired,
            dismissed,
            failed,
            due = due.len(),
            ms = started.elapsed().as_millis() as u64,
            "order groups re-read from WeCom"
        );
    }

    /// Reads one group again; `None` when it is no order's any more.
    async fn resync_one(&self, chat_id: &str) -> Result<Option<Refreshed>, OrdersError> {
        let Some(order) = crate::orders::store::of_chat(&self.orders.db, chat_id).await? else {
            return Ok(None);
        };
        refresh(&self.orders, &order, chat_id, &[]).await.map(Some)
    }
}
