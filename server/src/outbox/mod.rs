//! The outbox: everything WeCom Desk sends on its own (robot messages for
//! notifications, events to the business system, app messages to members) is first a
//! durable row, then sent by a worker that retries with back-off and, after a bounded
//! number of tries, keeps the row as `failed` with the reason. Robots take at most 20
//! messages a minute: every try is counted in the database (`robot_sends`), by every
//! instance and across restarts, and one instance at a time sends for a robot. Members
//! take about 30 app messages a minute: counted the same way (`app_message_sends`),
//! with a member's queued replies merged into one message when more are due than may
//! go (`app`). A round goes on while batches come back full, and when it stops with
//! work left the next one starts at once.

pub mod app;
pub mod app_store;
pub mod events;
mod retry;
mod robots;
pub mod store;

pub use retry::RetryError;
pub use robots::Robots;

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use anyhow::Context;
use futures::future::join_all;
use rand::Rng;
use serde::{Deserialize, Serialize};
use tokio::sync::Notify;

use crate::clock::Clock;
use crate::config::OutboxSettings;
use crate::db::Db;
use crate::lease::Lease;
use crate::wecom::types::{MessageContent, RobotMessage};
use crate::wecom::{WeComClient, WeComError};
use events::{signature, Events, SIGNATURE_HEADER};
use store::{Claimed, Kind, Take};

/// WeCom takes at most this many messages per robot in a window.
pub const ROBOT_PER_WINDOW: i64 = 20;
/// The window: WeCom's minute and one second more, so that transit and clocks never
/// put a 21st message into WeCom's minute.
pub const ROBOT_WINDOW_MS: i64 = 61_000;
/// How long a claimed row is this worker's before another may take it.
const CLAIM_MS: i64 = 60_000;
/// Rounds at most this often: a reply queued per callback would otherwise start a
/// round (and its reads) per callback.
pub const GATHER: Duration = Duration::from_millis(20);
/// Events posted at once by one worker.
const BATCH: i64 = 20;
/// How long a sent row stays readable (`GET /api/v1/notifications/{id}`).
const KEEP_SENT_MS: i64 = 30 * 24 * 3600 * 1000;
/// How long one robot's turn may go on before other work gets a look.
const ROBOT_TURN: Duration = Duration::from_secs(15);

/// An app message as it waits in the outbox.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AppMessagePayload {
    pub touser: Vec<String>,
    #[serde(flatten)]
    pub content: MessageContent,
}

/// Longest summary the admin console shows of a message.
const SUMMARY_CHARS: usize = 120;

/// The start of what a queued row says, for the admin console: a notification's or an
/// app message's text (a card's title), an event's type.
pub fn summary(kind: &str, payload: &str) -> String {
    #[derive(Deserialize)]
    struct EventType {
        #[serde(rename = "type")]
        kind: String,
    }
    let content = |c: MessageContent| match c {
        MessageContent::Text { text } => text.content,
        MessageContent::Textcard { textcard } => textcard.title,
        MessageContent::Markdown { markdown } => markdown.content,
    };
    let text = match store::Kind::of(kind) {
        Some(store::Kind::Robot) => match serde_json::from_str::<RobotMessage>(payload) {
            Ok(RobotMessage::Text { text }) => Some(text.content),
            Ok(RobotMessage::Markdown { markdown }) => Some(markdown.content),
            Err(_) => None,
        },
        Some(store::Kind::AppMessage) => serde_json::from_str::<AppMessagePayload>(payload)
            .ok()
            .map(|m| content(m.content)),
        Some(store::Kind::Event) => serde_json::from_str::<EventType>(payload)
            .ok()
            .map(|e| e.kind),
        None => None,
    };
    text.unwrap_or_default()
        .chars()
        .take(SUMMARY_CHARS)
        .collect()
}

/// Why a try did not go, and what to do about it.
#[derive(Clone)]
enum Outcome {
    Sent,
    /// Over the robot's rate: again once the window allows, not counted as a try.
    RateLimited(String),
    /// Worth another try after a pause.
    Transient(String),
    /// No point trying again (until an admin changes something).
    Permanent(String),
}

impl Outcome {
    fn of_wecom(e: &WeComError) -> Self {
        let why = e.admin_detail().to_string();
        if e.is_rate_limited() {
            Outcome::RateLimited(why)
        } else if e.is_transient() {
            Outcome::Transient(why)
        } else {
            Outcome::Permanent(why)
        }
    }
}

/// The outbox worker of this instance.
pub struct Outbox {
    db: Db,
    wecom: WeComClient,
    robots: Robots,
    events: Events,
    http: reqwest::Client,
    settings: OutboxSettings,
    worker: String,
    wake: Arc<Notify>,
    last_prune_ms: AtomicI64,
    /// When rows are due and windows end (tests move it).
    clock: Clock,
    /// This instance's pace of `message/send` calls.
    app_rate: app::AppRate,
    /// WeCom refuses the app's `message/send` until then (unix ms; a 45009).
    app_blocked_until: AtomicI64,
}

impl Outbox {
    pub fn new(
        db: Db,
        wecom: WeComClient,
        robots: Robots,
        events: Events,
        settings: OutboxSettings,
        clock: Clock,
    ) -> anyhow::Result<Self> {
        let timeout = settings.event_timeout_secs;
        anyhow::ensure!(
            timeout.is_finite() && timeout > 0.0,
            "outbox.event_timeout_secs must be a positive number of seconds"
        );
        anyhow::ensure!(
            settings.max_attempts >= 1 && settings.event_max_attempts >= 0,
            "outbox.max_attempts must be at least 1, outbox.event_max_attempts at least 0"
        );
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs_f64(timeout.min(600.0)))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .context("the events HTTP client")?;
        Ok(Self {
            db,
            wecom,
            robots,
            events,
            http,
            settings,
            worker: format!("outbox-{:016x}", rand::thread_rng().gen::<u64>()),
            wake: Arc::new(Notify::new()),
            last_prune_ms: AtomicI64::new(0),
            clock,
            app_rate: app::AppRate::new(),
            app_blocked_until: AtomicI64::new(0),
        })
    }

    pub fn robots(&self) -> &Robots {
        &self.robots
    }

    pub fn events(&self) -> &Events {
        &self.events
    }

    /// What the worker waits on besides its period: rung when a row was queued.
    pub fn wake_signal(&self) -> Arc<Notify> {
        self.wake.clone()
    }

    /// Says a row was queued, so this instance sends it now rather than at its next look.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// One look at the outbox: what is due goes out.
    pub async fn round(&self) {
        if let Err(e) = self.try_round().await {
            tracing::warn!(error = %e, "outbox round failed; trying again at the next one");
        }
    }

    async fn try_round(&self) -> Result<(), sqlx::Error> {
        self.prune_now_and_then().await?;
        // Events and app messages are claimed apart, so a slow events receiver never
        // holds up the members' app messages (nor the other way round); robots go
        // at the same time, each at its own pace.
        let (events, messages, robots) =
            futures::join!(self.send_events(), self.app_messages(), self.robots_turns());
        // Stopped with work left (a while of full batches): the next round at once.
        if matches!(events, Ok(true)) || matches!(messages, Ok(true)) {
            self.wake();
        }
        events.and(messages).and(robots)
    }

    /// Batches of events while they come back full, for `app::PASSES_FOR` at most;
    /// whether more may be due.
    async fn send_events(&self) -> Result<bool, sqlx::Error> {
        let started = Instant::now();
        loop {
            let now = self.clock.now_millis();
            let take = Take::Kind(Kind::Event);
            let rows =
                store::claim(&self.db, &self.worker, take, BATCH, now, now + CLAIM_MS).await?;
            let full = rows.len() as i64 == BATCH;
            let sent = join_all(rows.into_iter().map(|row| self.send_event(row))).await;
            sent.into_iter().collect::<Result<(), _>>()?;
            if !full {
                return Ok(false);
            }
            if started.elapsed() >= app::PASSES_FOR {
                return Ok(true);
            }
        }
    }

    async fn robots_turns(&self) -> Result<(), sqlx::Error> {
        for robot in store::robots_due(&self.db, self.clock.now_millis()).await? {
            self.robot_turn(&robot).await?;
        }
        Ok(())
    }

    /// Once a minute: robot sends out of every window, and sent rows past keeping.
    async fn prune_now_and_then(&self) -> Result<(), sqlx::Error> {
        let now = self.clock.now_millis();
        let last = self.last_prune_ms.load(Ordering::Relaxed);
        if now - last > ROBOT_WINDOW_MS {
            self.last_prune_ms.store(now, Ordering::Relaxed);
            store::prune_robot_sends(&self.db, now - 10 * ROBOT_WINDOW_MS).await?;
            app_store::prune_member_sends(&self.db, now - 10 * app::MEMBER_WINDOW_MS).await?;
            store::forget_sent(&self.db, now - KEEP_SENT_MS).await?;
        }
        Ok(())
    }

    /// One try of an event.
    async fn send_event(&self, row: Claimed) -> Result<(), sqlx::Error> {
        let outcome = self.post_event(&row).await;
        self.settle(&row, outcome, self.settings.event_max_attempts)
            .await
    }

    async fn post_event(&self, row: &Claimed) -> Outcome {
        let Some(target) = self.events.target() else {
            return Outcome::Permanent(
                "integration.events_url 未配置。/ integration.events_url is not configured.".into(),
            );
        };
        let t = self.clock.now_secs();
        let sent = self
            .http
            .post(&target.url)
            .header("content-type", "application/json")
            .header(
                SIGNATURE_HEADER,
                signature(&target.secret, t, row.payload.as_bytes()),
            )
            .body(row.payload.clone())
            .send()
            .await;
        match sent {
            Ok(resp) if resp.status().is_success() => Outcome::Sent,
            Ok(resp) => {
                let status = resp.status().as_u16();
                Outcome::Transient(format!(
                    "事件接收方返回 HTTP {status}。/ The events receiver answered HTTP {status}."
                ))
            }
            Err(e) => {
                let e = e.without_url();
                Outcome::Transient(format!(
                    "无法把事件送到 integration.events_url：{e}。/ The event could not be delivered: {e}."
                ))
            }
        }
    }

    /// Sends what is due for `robot`, as far as its window allows, unless another
    /// instance is on it.
    async fn robot_turn(&self, robot: &str) -> Result<(), sqlx::Error> {
        // Longer than a turn and its last send (one WeCom timeout): never two senders.
        let lease_ttl = ROBOT_TURN + Duration::from_secs(45);
        let Some(_turn) = Lease::try_take(&self.db, &format!("robot:{robot}"), lease_ttl).await?
        else {
            return Ok(());
        };
        let started = tokio::time::Instant::now();
        while started.elapsed() < ROBOT_TURN {
            let now = self.clock.now_millis();
            let (count, _) =
                store::robot_sends_since(&self.db, robot, now - ROBOT_WINDOW_MS).await?;
            let room = ROBOT_PER_WINDOW - count;
            if room <= 0 {
                return Ok(());
            }
            // One row at a time: the window is counted again before each send, and a
            // 45009 leaves no other row claimed and waiting.
            let rows = store::claim(
                &self.db,
                &self.worker,
                Take::Robot(robot),
                1,
                now,
                now + CLAIM_MS,
            )
            .await?;
            let Some(row) = rows.into_iter().next() else {
                return Ok(());
            };
            if self.send_robot(robot, &row).await? {
                return Ok(());
            }
        }
        Ok(())
    }

    /// One try of a robot message; true when WeCom said the robot is over its rate.
    async fn send_robot(&self, robot: &str, row: &Claimed) -> Result<bool, sqlx::Error> {
        let outcome = match (
            self.robots.url(robot),
            serde_json::from_str::<RobotMessage>(&row.payload),
        ) {
            (None, _) => Outcome::Permanent(format!(
                "robot.webhook_urls 里已没有机器人「{robot}」。/ No robot {robot:?} in robot.webhook_urls any more."
            )),
            (_, Err(e)) => Outcome::Permanent(format!("unreadable robot message: {e}")),
            (Some(url), Ok(message)) => {
                store::record_robot_send(&self.db, robot, self.clock.now_millis()).await?;
                match self.wecom.send_robot(url, &message).await {
                    Ok(()) => Outcome::Sent,
                    Err(e) => Outcome::of_wecom(&e),
                }
            }
        };
        let limited = matches!(outcome, Outcome::RateLimited(_));
        self.settle(row, outcome, self.settings.max_attempts)
            .await?;
        Ok(limited)
    }

    /// Records how a try went: sent, again later, or failed for good.
    async fn settle(&self, row: &Claimed, outcome: Outcome, max: i64) -> Result<(), sqlx::Error> {
        let now = self.clock.now_millis();
        match outcome {
            // Only a robot's window is known; anything else over WeCom's rate waits a
            // whole window (WeCom refuses the caller until it ends), and the try counts.
            Outcome::RateLimited(why) if row.kind != Kind::Robot => {
                if max != 0 && row.attempts >= max {
                    tracing::warn!(id = %row.id, kind = row.kind.as_str(), attempts = row.attempts, error = %why, "send failed for good");
                    return self.fail(row, &why, now).await;
                }
                // At least the window; longer as tries add up (an hour's limit).
                let s = &self.settings;
                let pause = crate::workers::backoff(s.retry_base_ms, s.retry_max_ms, row.attempts);
                let next = now + pause.max(crate::wecom::RATE_LIMIT_WAIT.as_millis() as i64);
                tracing::info!(id = %row.id, kind = row.kind.as_str(), wait_ms = next - now, "over WeCom's rate; waiting a whole window");
                store::retry_later(&self.db, &self.worker, &row.id, next, &why, false).await?;
            }
            Outcome::Sent => {
                store::mark_sent(&self.db, &self.worker, &row.id, now).await?;
                tracing::debug!(id = %row.id, kind = row.kind.as_str(), "sent");
            }
            Outcome::RateLimited(why) => {
                let (_, oldest) =
                    store::robot_sends_since(&self.db, &row.target, now - ROBOT_WINDOW_MS).await?;
                let next = oldest.map_or(now, |o| o + ROBOT_WINDOW_MS).max(now + 1000);
                tracing::info!(id = %row.id, robot = %row.target, wait_ms = next - now, "robot over its rate; waiting for the window");
                store::retry_later(&self.db, &self.worker, &row.id, next, &why, true).await?;
            }
            Outcome::Transient(why) if max == 0 || row.attempts < max => {
                let pause = crate::workers::backoff(
                    self.settings.retry_base_ms,
                    self.settings.retry_max_ms,
                    row.attempts,
                );
                tracing::info!(id = %row.id, kind = row.kind.as_str(), attempts = row.attempts, pause_ms = pause, error = %why, "send failed; trying again later");
                store::retry_later(&self.db, &self.worker, &row.id, now + pause, &why, false)
                    .await?;
            }
            Outcome::Transient(why) | Outcome::Permanent(why) => {
                tracing::warn!(id = %row.id, kind = row.kind.as_str(), attempts = row.attempts, error = %why, "send failed for good");
                self.fail(row, &why, now).await?;
            }
        }
        Ok(())
    }

    /// Keeps the row as failed with `why`; a notification's failure is an event too.
    async fn fail(&self, row: &Claimed, why: &str, now: i64) -> Result<(), sqlx::Error> {
        let mut tx = self.db.begin().await?;
        if !store::mark_failed(&mut tx, &self.worker, &row.id, why).await? {
            return tx.rollback().await;
        }
        if row.kind == Kind::Robot {
            let conversation = store::get_conversation_id(&mut tx, &row.id).await?;
            self.events
                .emit(
                    &mut tx,
                    &events::event_id(&format!("notification.failed:{}:{now}", row.id)),
                    "notification.failed",
                    serde_json::json!({
                        "notificationId": row.id,
                        "conversationId": conversation,
                        "attempts": row.attempts,
                        "reason": why,
                    }),
                    now,
                )
                .await?;
        }
        tx.commit().await?;
        if row.kind == Kind::Robot {
            self.wake();
        }
        Ok(())
    }
}
