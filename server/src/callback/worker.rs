//! Processes the callback inbox: each stored delivery is claimed by one worker (of any
//! instance), acted on, and marked processed; a failure is tried again later with
//! back-off, and after the last try kept as failed with the reason. The endpoint
//! answered WeCom before any of this, so a crash in between loses nothing: the row is
//! still there, unprocessed, when a worker next looks. Acting on a delivery twice
//! changes nothing (every handler is keyed by what it is told).

use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::Arc;

use actix_web::web;
use rand::Rng;
use tokio::sync::Notify;

use super::store::{self, Claimed};
use super::Plain;
use crate::bridge::{self, BridgeState};
use crate::clock::now_millis;
use crate::db::Db;
use crate::groups::{self, ChatChange};
use crate::handover;
use crate::orders::OrdersState;
use crate::sidebar::{self, CustomerCards};

/// How long a claimed delivery is this worker's before another may take it (the
/// rows of a dead instance wait this long on PostgreSQL). A batch still in hand is
/// claimed again every third of it, so a slow WeCom never lets another instance take
/// a row this worker is working on.
const CLAIM_MS: i64 = 60_000;
/// Deliveries claimed at once (and marked processed in one statement).
const BATCH: i64 = 64;
/// Deliveries stored one after another are worked in rounds at most this often, so a
/// thousand a second are claimed and marked some ten at a time instead of one by one
/// (each statement costs the one writer). A welcome's 20 s hardly notice.
pub const GATHER: std::time::Duration = std::time::Duration::from_millis(10);
/// Tries of one delivery before it is kept as failed.
pub const MAX_TRIES: i64 = 12;

/// The capabilities the worker acts through.
pub struct Acts {
    pub orders: web::Data<OrdersState>,
    pub cards: web::Data<CustomerCards>,
    pub bridge: web::Data<BridgeState>,
    pub handovers: web::Data<crate::handover::Handovers>,
    pub store_visit: web::Data<crate::storevisit::StoreVisit>,
}

/// The callback worker of this instance.
pub struct Processor {
    db: Db,
    acts: Acts,
    worker: String,
    wake: Arc<Notify>,
    /// Set by the endpoint when it stored an urgent delivery.
    urgent_stored: Arc<AtomicBool>,
    /// First pause after a failure (doubled each try) and the longest.
    retry_base_ms: u64,
    retry_max_ms: u64,
    /// Processed deliveries older than this are forgotten (seconds).
    keep_secs: i64,
    last_sweep_secs: AtomicI64,
}

impl Processor {
    pub fn new(
        db: Db,
        acts: Acts,
        settings: &crate::config::OutboxSettings,
        max_clock_skew_secs: i64,
    ) -> Self {
        Self {
            db,
            acts,
            worker: format!("callbacks-{:016x}", rand::thread_rng().gen::<u64>()),
            wake: Arc::new(Notify::new()),
            urgent_stored: Arc::new(AtomicBool::new(false)),
            retry_base_ms: settings.retry_base_ms.max(1),
            retry_max_ms: settings.retry_max_ms,
            // Twice the timestamps the endpoint accepts, and at least a day: an older
            // replay is refused before it reaches the inbox.
            keep_secs: max_clock_skew_secs.saturating_mul(2).max(86_400),
            last_sweep_secs: AtomicI64::new(0),
        }
    }

    /// Rung by the endpoint when it stored a new delivery.
    pub fn wake_signal(&self) -> Arc<Notify> {
        self.wake.clone()
    }

    /// Set by the endpoint when it stored an urgent delivery.
    pub fn urgent_signal(&self) -> Arc<AtomicBool> {
        self.urgent_stored.clone()
    }

    /// Processes what is pending, a batch at a time, until nothing is. Urgent
    /// deliveries (a new customer's welcome, which WeCom takes only within 20 s) go
    /// first, and, when the endpoint stores one while a batch is in hand, before the
    /// batch's next row.
    pub async fn round(&self) {
        self.sweep_now_and_then().await;
        loop {
            self.urgent_stored.store(false, Ordering::Relaxed);
            while self.batch(true).await.is_some_and(|n| n > 0) {}
            match self.batch(false).await {
                Some(n) if n as i64 == BATCH => continue,
                _ => return,
            }
        }
    }

    /// Claims and works one batch (only urgent deliveries when `urgent`): how many it
    /// had; `None` when the inbox could not be read.
    async fn batch(&self, urgent: bool) -> Option<usize> {
        let now = now_millis();
        let batch = match store::claim_pending(
            &self.db,
            &self.worker,
            BATCH,
            now,
            now + CLAIM_MS,
            urgent,
        )
        .await
        {
            Ok(batch) => batch,
            Err(e) => {
                tracing::warn!(error = %e, "callback inbox unreadable; trying again at the next round");
                return None;
            }
        };
        let n = batch.len();
        // One after another: two changes to one customer or group apply in order.
        let keys: Vec<String> = batch.iter().map(|r| r.dedup_key.clone()).collect();
        let mut done = Vec::with_capacity(n);
        let mut claimed_at = now;
        for row in batch {
            if !urgent && self.urgent_stored.swap(false, Ordering::Relaxed) {
                // Boxed: a batch of urgent ones inside a batch (never deeper).
                while Box::pin(self.batch(true)).await.is_some_and(|n| n > 0) {}
            }
            if now_millis() - claimed_at > CLAIM_MS / 3 {
                // Still in hand (done ones too, until marked): nobody else takes them.
                claimed_at = now_millis();
                let until = claimed_at + CLAIM_MS;
                if let Err(e) = store::extend_claims(&self.db, &self.worker, &keys, until).await {
                    tracing::warn!(error = %e, "could not extend the claim of a batch in hand");
                }
            }
            if self.settle(&row).await {
                done.push(row.dedup_key);
            }
        }
        // Those done, marked at once (a crash before this does them again: every
        // handler is keyed by what it is told).
        if let Err(e) = store::mark_processed_many(&self.db, &self.worker, &done).await {
            tracing::warn!(error = %e, deliveries = done.len(), "could not mark callbacks processed; they are done again when their claim runs out");
        }
        Some(n)
    }

    /// Every ten minutes, forgets processed deliveries past keeping.
    async fn sweep_now_and_then(&self) {
        let now = crate::clock::now_secs();
        if now - self.last_sweep_secs.load(Ordering::Relaxed) < 600 {
            return;
        }
        self.last_sweep_secs.store(now, Ordering::Relaxed);
        match store::forget_processed(&self.db, now - self.keep_secs).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(deliveries = n, "old processed callbacks forgotten"),
            Err(e) => tracing::warn!(error = %e, "could not forget old callbacks"),
        }
    }

    /// Acts on `row`; true when it was done (the caller marks it), else notes the
    /// failure (tried again later, or kept as failed after the last try).
    async fn settle(&self, row: &Claimed) -> bool {
        let outcome = self.process(row).await;
        let saved = match &outcome {
            Ok(()) => return true,
            Err(why) if row.attempts >= MAX_TRIES => {
                tracing::error!(key = %row.dedup_key, attempts = row.attempts, error = %why, "callback given up on after its last try");
                crate::metrics::callback_failed();
                store::mark_failed(&self.db, &self.worker, &row.dedup_key, &why.to_string()).await
            }
            Err(why) => {
                let mut pause =
                    crate::workers::backoff(self.retry_base_ms, self.retry_max_ms, row.attempts);
                if why.is::<WaitWindow>() {
                    // WeCom refuses the caller until the window ends: no sooner.
                    pause = pause.max(crate::wecom::RATE_LIMIT_WAIT.as_millis() as i64);
                }
                tracing::warn!(key = %row.dedup_key, attempts = row.attempts, pause_ms = pause, error = %why, "callback processing failed; trying again later");
                store::retry_later(
                    &self.db,
                    &self.worker,
                    &row.dedup_key,
                    now_millis() + pause,
                    &why.to_string(),
                )
                .await
            }
        };
        if let Err(e) = saved {
            tracing::warn!(key = %row.dedup_key, error = %e, "could not note how a callback went; it is tried again when its claim runs out");
        }
        false
    }

    /// Acts on one delivery.
    async fn process(&self, row: &Claimed) -> anyhow::Result<()> {
        let p: Plain = quick_xml::de::from_str(&row.body)?;
        match (p.msg_type.as_str(), p.event.as_str()) {
            ("text", _) if !p.from.is_empty() => {
                let written = p
                    .create_time
                    .parse()
                    .unwrap_or_else(|_| crate::clock::now_secs());
                bridge::route_reply(
                    &self.acts.bridge,
                    &p.from,
                    &p.content,
                    &row.dedup_key,
                    written,
                )
                .await?;
            }
            // A customer's handover to `UserID` (the takeover member) failed.
            ("event", "change_external_contact")
                if p.change_type == "transfer_fail" && !p.external_user_id.is_empty() =>
            {
                let why = desk_wecom::handover::transfer_fail_reason(&p.fail_reason);
                handover::results::transfer_failed(
                    &self.acts.handovers,
                    &p.user_id,
                    &p.external_user_id,
                    &why,
                )
                .await
                .map_err(|e| failure(false, &e))?;
            }
            // A member left: `delete_user`, or `update_user` with status 5 (退出企业).
            ("event", "change_contact")
                if !p.user_id.is_empty()
                    && (p.change_type == "delete_user"
                        || (p.change_type == "update_user" && p.status == "5")) =>
            {
                let at = p
                    .create_time
                    .parse()
                    .unwrap_or_else(|_| crate::clock::now_secs());
                handover::leavers::member_left(&self.acts.handovers, &p.user_id, at)
                    .await
                    .map_err(|e| failure(false, &e))?;
            }
            ("event", "change_external_contact")
                if !p.user_id.is_empty() && !p.external_user_id.is_empty() =>
            {
                if p.change_type == "add_external_contact" {
                    let scan = crate::storevisit::scan::Scan {
                        member: &p.user_id,
                        customer: &p.external_user_id,
                        state: &p.state,
                        welcome_code: &p.welcome_code,
                        at: p
                            .create_time
                            .parse()
                            .unwrap_or_else(|_| crate::clock::now_secs()),
                    };
                    self.acts
                        .store_visit
                        .customer_scanned(&self.acts.cards, &scan)
                        .await
                        .map_err(|e| failure(e.is_rate_limited(), &e))?;
                }
                if !matches!(
                    p.change_type.as_str(),
                    "add_external_contact"
                        | "edit_external_contact"
                        | "add_half_external_contact"
                        | "del_external_contact"
                        | "del_follow_user"
                ) {
                    return Ok(());
                }
                sidebar::customer_changed(
                    &self.acts.orders,
                    &self.acts.cards,
                    &p.external_user_id,
                    &p.user_id,
                )
                .await
                .map_err(|e| failure(e.is_rate_limited(), &e))?;
            }
            ("event", "change_external_chat") if !p.chat_id.is_empty() => {
                let change = ChatChange {
                    chat_id: &p.chat_id,
                    change_type: &p.change_type,
                    update_detail: &p.update_detail,
                    members: &p.mem_change_list.items,
                };
                groups::chat_changed(&self.acts.orders, &change)
                    .await
                    .map_err(|e| failure(e.is_rate_limited(), &e))?;
            }
            (kind, event) => {
                tracing::debug!(kind, event, "callback of a kind not acted on");
            }
        }
        Ok(())
    }
}

/// A delivery that met WeCom's rate limit (45009): tried again no sooner than
/// `RATE_LIMIT_WAIT`.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct WaitWindow(String);

/// A failure of acting on a delivery, marked when it was WeCom's rate limit.
fn failure(rate_limited: bool, e: &dyn std::fmt::Display) -> anyhow::Error {
    match rate_limited {
        true => WaitWindow(e.to_string()).into(),
        false => anyhow::anyhow!("{e}"),
    }
}
