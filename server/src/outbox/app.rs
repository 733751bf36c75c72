//! App messages to members (`message/send`). WeCom takes about 30 a minute to one
//! member and drops the rest without an error (D-90454), so every send to a member is
//! counted in the database (`app_message_sends`, by every instance and across
//! restarts) and a 31st within the window never goes: its rows wait, queued, until the
//! window allows.
//!
//! A member's first sends in a window (`MEMBER_QUICK`) go as they come, one row one
//! message. When more of a member's rows are due than may go so, their texts are
//! merged: each run of texts to that one member, oldest first, joined with a blank
//! line, as far as WeCom's 2048 bytes go; the rows of a merged message are all marked
//! sent together (each keeps its own id and status). Past the quick sends, a member's
//! turn comes once every `MEMBER_PACE_MS`, and sends what is due then: every merged
//! message that is full and the rest in one more. So the rest of the window spreads
//! over the minute, and a burst of replies goes out in a few merged messages instead of
//! stopping for a minute. Cards and messages to several members are never merged.
//!
//! Members take turns 8 at a time (each member's messages one after another, in
//! order), and this instance's calls to `message/send` keep to WeCom's rate per API.

use std::sync::atomic::Ordering;
use std::time::Duration;

use futures::stream::{self, StreamExt};
use parking_lot::Mutex;
use tokio::time::Instant;

use super::app_store::{self, Sends};
use super::store::{self, Claimed, Take};
use super::{AppMessagePayload, Outbox, Outcome, CLAIM_MS};
use crate::wecom::types::{MessageContent, Text};

/// WeCom takes about this many app messages a minute to one member (D-90454).
pub const MEMBER_PER_WINDOW: i64 = 30;
/// The window: WeCom's minute and one second more, so that transit and clocks never
/// put a 31st message into WeCom's minute.
pub const MEMBER_WINDOW_MS: i64 = 61_000;
/// Sends to a member in the window that go as they come.
pub const MEMBER_QUICK: i64 = 10;
/// Past the quick sends, one message to a member at most this often: the window's
/// other sends spread over it.
pub const MEMBER_PACE_MS: i64 = MEMBER_WINDOW_MS / (MEMBER_PER_WINDOW - MEMBER_QUICK);
/// WeCom's longest text (bytes).
pub const TEXT_MAX_BYTES: usize = 2048;
/// Members' turns at once (so at most this many `message/send` calls in flight).
const TURNS_AT_ONCE: usize = 8;
/// Targets looked at in one pass.
const TARGETS_PER_PASS: i64 = 64;
/// Rows of one target claimed in a turn.
const ROWS_PER_TURN: i64 = 500;
/// How long the passes of one round may go on before the round ends (and the next
/// one starts at once).
pub(super) const PASSES_FOR: Duration = Duration::from_secs(2);
/// A pause before rows are tried again after a message before them did not go.
const AFTER_TROUBLE_MS: i64 = 1000;

/// This instance's calls to `message/send`: WeCom takes 10,000 a minute and 150,000
/// an hour per API (D-90454). A burst of `BURST` calls, then `PER_SEC`, stays within
/// both (4,000 + 60 × 40 a minute; 4,000 + 3,600 × 40 an hour).
pub(super) struct AppRate(Mutex<(f64, Instant)>);

const BURST: f64 = 4_000.0;
const PER_SEC: f64 = 40.0;

impl AppRate {
    pub(super) fn new() -> Self {
        Self(Mutex::new((BURST, Instant::now())))
    }

    /// Waits for a call's turn.
    async fn take(&self) {
        loop {
            let wait = {
                let mut bucket = self.0.lock();
                let now = Instant::now();
                let refill = now.duration_since(bucket.1).as_secs_f64() * PER_SEC;
                *bucket = ((bucket.0 + refill).min(BURST), now);
                if bucket.0 >= 1.0 {
                    bucket.0 -= 1.0;
                    return;
                }
                Duration::from_secs_f64((1.0 - bucket.0) / PER_SEC)
            };
            tokio::time::sleep(wait).await;
        }
    }
}

/// What a member's (or several members') window allows now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// Sends left in the window.
    pub room: i64,
    /// Of those, sends that go as they come.
    pub quick: i64,
    /// Past the quick sends, the member's turn has come (one more message, besides
    /// full merged ones).
    pub paced: bool,
    /// When a send may go next (now when one may).
    pub next_at: i64,
}

impl Window {
    /// The window of a member with `sends` in it.
    pub fn of(sends: Sends, now: i64) -> Self {
        let room = MEMBER_PER_WINDOW - sends.count;
        let quick = (MEMBER_QUICK - sends.count).clamp(0, room.max(0));
        let pace_at = sends.newest.map_or(now, |n| n + MEMBER_PACE_MS);
        let paced = room > 0 && quick == 0 && pace_at <= now;
        let next_at = if room <= 0 {
            let frees = sends.oldest.map_or(now, |o| o + MEMBER_WINDOW_MS);
            frees.max(now + 1)
        } else if quick > 0 || paced {
            now
        } else {
            pace_at
        };
        Self {
            room,
            quick,
            paced,
            next_at,
        }
    }

    /// No member counted (`@all`).
    fn unlimited(now: i64) -> Self {
        Self {
            room: i64::MAX,
            quick: i64::MAX,
            paced: false,
            next_at: now,
        }
    }

    /// What a message to both members allows.
    fn and(self, other: Self) -> Self {
        let quick = self.quick.min(other.quick);
        Self {
            room: self.room.min(other.room),
            quick,
            paced: quick == 0 && (self.quick > 0 || self.paced) && (other.quick > 0 || other.paced),
            next_at: self.next_at.max(other.next_at),
        }
    }

    /// Whether a message may go now.
    pub fn open(&self) -> bool {
        self.room > 0 && (self.quick > 0 || self.paced)
    }
}

/// The members an app message to `target` (`u1|u2`) is counted against (`@all` is
/// not counted).
fn members(target: &str) -> Vec<&str> {
    target
        .split('|')
        .filter(|u| !u.is_empty() && *u != "@all")
        .collect()
}

/// One call of `message/send`, and the rows it settles (indexes into the turn's rows).
#[derive(Debug)]
pub struct Outgoing {
    pub rows: Vec<usize>,
    pub message: AppMessagePayload,
    /// Merged texts that the next one did not fit into.
    pub full: bool,
}

/// The text of a message that may be merged: a text to one member.
fn mergeable(m: &AppMessagePayload) -> Option<&str> {
    match (&m.touser[..], &m.content) {
        ([one], MessageContent::Text { text }) if one != "@all" => Some(&text.content),
        _ => None,
    }
}

/// The messages `rows` (one target's, oldest first) go as. With `merge`, each run of
/// texts to the same one member is joined with a blank line, oldest first, as far as
/// `TEXT_MAX_BYTES` goes; anything else (a card, a message to several members, a text
/// too long to join) is a message of its own.
pub fn pack(rows: Vec<(usize, AppMessagePayload)>, merge: bool) -> Vec<Outgoing> {
    let mut out: Vec<Outgoing> = Vec::new();
    for (i, message) in rows {
        if merge {
            if let Some(last) = out.last_mut() {
                let joined = match (mergeable(&last.message), mergeable(&message)) {
                    (Some(so_far), Some(text)) if last.message.touser == message.touser => {
                        let fits = so_far.len() + 2 + text.len() <= TEXT_MAX_BYTES;
                        last.full = !fits;
                        fits.then(|| format!("{so_far}\n\n{text}"))
                    }
                    _ => None,
                };
                if let Some(content) = joined {
                    last.message.content = MessageContent::Text {
                        text: Text { content },
                    };
                    last.rows.push(i);
                    continue;
                }
            }
        }
        out.push(Outgoing {
            rows: vec![i],
            message,
            full: false,
        });
    }
    out
}

/// The ids of the rows of `messages`.
fn in_hand<'a>(messages: &[Outgoing], rows: &'a [Claimed]) -> Vec<&'a str> {
    messages
        .iter()
        .flat_map(|o| o.rows.iter().map(|&i| rows[i].id.as_str()))
        .collect()
}

impl Outbox {
    /// App messages, target by target, until none is due or `PASSES_FOR` has gone by;
    /// whether some may still be due.
    pub(super) async fn app_messages(&self) -> Result<bool, sqlx::Error> {
        let started = Instant::now();
        loop {
            let now = self.clock.now_millis();
            if now < self.app_blocked_until.load(Ordering::Relaxed) {
                return Ok(false);
            }
            let targets = app_store::app_targets_due(&self.db, now, TARGETS_PER_PASS).await?;
            if targets.is_empty() {
                return Ok(false);
            }
            let turns: Vec<Result<(), sqlx::Error>> = stream::iter(targets)
                .map(|target| async move { self.member_turn(&target).await })
                .buffer_unordered(TURNS_AT_ONCE)
                .collect()
                .await;
            turns.into_iter().collect::<Result<(), _>>()?;
            if started.elapsed() >= PASSES_FOR {
                return Ok(true);
            }
        }
    }

    /// What the windows of all of `members` allow now.
    async fn window_of(&self, members: &[&str], now: i64) -> Result<Window, sqlx::Error> {
        let mut window = Window::unlimited(now);
        for member in members {
            let since = now - MEMBER_WINDOW_MS;
            let sends = app_store::member_sends_since(&self.db, member, since).await?;
            window = window.and(Window::of(sends, now));
        }
        Ok(window)
    }

    /// One target's turn: as many of its due messages as its members' windows allow
    /// (merged when more are due than go as they come), the rest waiting until the
    /// windows allow more.
    async fn member_turn(&self, target: &str) -> Result<(), sqlx::Error> {
        let now = self.clock.now_millis();
        let members = members(target);
        let window = self.window_of(&members, now).await?;
        if !window.open() {
            app_store::postpone_target(&self.db, target, window.next_at, now).await?;
            return Ok(());
        }
        let take = Take::AppTarget(target);
        let rows = store::claim(
            &self.db,
            &self.worker,
            take,
            ROWS_PER_TURN,
            now,
            now + CLAIM_MS,
        )
        .await?;
        let mut readable = Vec::with_capacity(rows.len());
        for (i, row) in rows.iter().enumerate() {
            match serde_json::from_str::<AppMessagePayload>(&row.payload) {
                Ok(m) => readable.push((i, m)),
                Err(e) => {
                    let why = Outcome::Permanent(format!("unreadable app message: {e}"));
                    self.settle(row, why, self.settings.max_attempts).await?;
                }
            }
        }
        let merge = i64::try_from(readable.len()).unwrap_or(i64::MAX) > window.quick;
        let messages = pack(readable, merge);
        let (mut sent, mut paced, mut stopped, mut claimed_at) = (0, window.paced, None, now);
        for (n, out) in messages.iter().enumerate() {
            if self.clock.now_millis() - claimed_at > CLAIM_MS / 3 {
                // A slow WeCom: the rows still in hand stay this worker's.
                claimed_at = self.clock.now_millis();
                let ids = in_hand(&messages[n..], &rows);
                app_store::extend_claims(&self.db, &self.worker, &ids, claimed_at + CLAIM_MS)
                    .await?;
            }
            // As they come, full merged ones, and one more when the member's turn came.
            let goes = sent < window.room && (sent < window.quick || out.full || paced);
            if !goes {
                stopped = Some((n, None));
                break;
            }
            paced &= sent < window.quick || out.full;
            let blocked = self.app_blocked_until.load(Ordering::Relaxed);
            if self.clock.now_millis() < blocked {
                // Another member's message met WeCom's 45009 meanwhile.
                stopped = Some((n, Some(blocked)));
                break;
            }
            if !self.count_send(&out.message.touser).await? {
                // Another instance took the member's last room meanwhile.
                let later = self.clock.now_millis() + AFTER_TROUBLE_MS;
                stopped = Some((n, Some(later)));
                break;
            }
            sent += 1;
            let outcome = self.call_message_send(&out.message).await;
            let went = matches!(outcome, Outcome::Sent);
            self.settle_together(&rows, &out.rows, outcome).await?;
            if !went {
                let later = self.clock.now_millis() + AFTER_TROUBLE_MS;
                let blocked = self.app_blocked_until.load(Ordering::Relaxed);
                stopped = Some((n + 1, Some(later.max(blocked))));
                break;
            }
        }
        let Some((first_left, not_before)) = stopped else {
            return Ok(());
        };
        let left = in_hand(&messages[first_left..], &rows);
        if left.is_empty() {
            return Ok(());
        }
        let next_at = match not_before {
            Some(at) => at,
            None => {
                let now = self.clock.now_millis();
                self.window_of(&members, now).await?.next_at
            }
        };
        app_store::release(&self.db, &self.worker, &left, next_at).await
    }

    /// Counts a message to each of `touser` in their windows; false when one of them
    /// has no room left (another instance sent meanwhile).
    async fn count_send(&self, touser: &[String]) -> Result<bool, sqlx::Error> {
        let at = self.clock.now_millis();
        for member in touser.iter().filter(|u| !u.is_empty() && *u != "@all") {
            let since = at - MEMBER_WINDOW_MS;
            if !app_store::take_member_send(&self.db, member, at, since, MEMBER_PER_WINDOW).await? {
                return Ok(false);
            }
        }
        Ok(true)
    }

    async fn call_message_send(&self, message: &AppMessagePayload) -> Outcome {
        self.app_rate.take().await;
        let sent = self
            .wecom
            .send_app_message(&message.touser, message.content.clone())
            .await;
        match sent {
            Ok(_) => Outcome::Sent,
            Err(e) => Outcome::of_wecom(&e),
        }
    }

    /// Records how the message of `rows[which]` went, for each of its rows.
    async fn settle_together(
        &self,
        rows: &[Claimed],
        which: &[usize],
        outcome: Outcome,
    ) -> Result<(), sqlx::Error> {
        if let Outcome::Sent = outcome {
            let ids: Vec<&str> = which.iter().map(|&i| rows[i].id.as_str()).collect();
            let now = self.clock.now_millis();
            app_store::mark_all_sent(&self.db, &self.worker, &ids, now).await?;
            tracing::debug!(rows = ids.len(), "app message sent");
            return Ok(());
        }
        if let Outcome::RateLimited(_) = outcome {
            // WeCom refuses the app's calls for its window: no member's turn before it
            // ends.
            let wait = crate::wecom::RATE_LIMIT_WAIT.as_millis() as i64;
            let until = self.clock.now_millis() + wait;
            self.app_blocked_until.fetch_max(until, Ordering::Relaxed);
        }
        for &i in which {
            self.settle(&rows[i], outcome.clone(), self.settings.max_attempts)
                .await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(to: &str, s: &str) -> AppMessagePayload {
        AppMessagePayload {
            touser: to.split('|').map(String::from).collect(),
            content: MessageContent::Text {
                text: Text { content: s.into() },
            },
        }
    }

    fn content(o: &Outgoing) -> &str {
        mergeable(&o.message).unwrap_or_default()
    }

    #[test]
    fn texts_to_one_member_are_joined_oldest_first_up_to_2048_bytes() {
        let rows = (0..5)
            .map(|i| (i, text("lina", &format!("第{i}条"))))
            .collect();
        let out = pack(rows, true);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].rows, vec![0, 1, 2, 3, 4]);
        assert_eq!(
            content(&out[0]),
            "第0条\n\n第1条\n\n第2条\n\n第3条\n\n第4条"
        );

        let long = "字".repeat(300); // 900 bytes
        let rows = (0..5).map(|i| (i, text("lina", &long))).collect();
        let out = pack(rows, true);
        let sizes: Vec<usize> = out.iter().map(|o| o.rows.len()).collect();
        assert_eq!(sizes, vec![2, 2, 1]);
        let full: Vec<bool> = out.iter().map(|o| o.full).collect();
        assert_eq!(full, vec![true, true, false], "the next did not fit");
        assert!(out.iter().all(|o| content(o).len() <= TEXT_MAX_BYTES));

        let rows = (0..3).map(|i| (i, text("lina", "好"))).collect();
        assert_eq!(pack(rows, false).len(), 3, "not merged unless asked");
    }

    #[test]
    fn cards_and_messages_to_several_members_are_never_merged_and_keep_the_order() {
        let card = AppMessagePayload {
            touser: vec!["lina".into()],
            content: MessageContent::Textcard {
                textcard: crate::wecom::types::TextCard {
                    title: "t".into(),
                    description: "d".into(),
                    url: "https://example.com".into(),
                    btntxt: None,
                },
            },
        };
        let rows = vec![
            (0, text("lina", "a")),
            (1, text("lina", "b")),
            (2, card),
            (3, text("lina", "c")),
            (4, text("lina|zhangwei", "d")),
            (5, text("lina|zhangwei", "e")),
        ];
        let out = pack(rows, true);
        let groups: Vec<Vec<usize>> = out.iter().map(|o| o.rows.clone()).collect();
        assert_eq!(groups, vec![vec![0, 1], vec![2], vec![3], vec![4], vec![5]]);
    }

    #[test]
    fn a_member_gets_ten_as_they_come_then_a_turn_each_pace_and_never_a_thirty_first() {
        let now = 1_000_000;
        let sends = |count, oldest: i64, newest: i64| Sends {
            count,
            oldest: Some(oldest),
            newest: Some(newest),
        };
        let w = Window::of(Sends::default(), now);
        assert_eq!((w.room, w.quick, w.paced, w.next_at), (30, 10, false, now));
        assert!(w.open());
        let w = Window::of(sends(4, now - 10, now - 1), now);
        assert_eq!((w.room, w.quick), (26, 6));
        let w = Window::of(sends(10, now - 10, now - 1), now);
        assert_eq!((w.quick, w.paced), (0, false));
        assert_eq!(w.next_at, now - 1 + MEMBER_PACE_MS);
        assert!(!w.open());
        let w = Window::of(sends(12, now - 9_000, now - MEMBER_PACE_MS), now);
        assert_eq!((w.room, w.quick, w.paced), (18, 0, true));
        assert!(w.open());
        let w = Window::of(sends(30, now - 5_000, now - MEMBER_PACE_MS), now);
        assert!(!w.open());
        assert_eq!(w.next_at, now - 5_000 + MEMBER_WINDOW_MS);
        // Two members: the tighter of both.
        let both = Window::of(Sends::default(), now).and(w);
        assert!(!both.open());
        assert_eq!(both.next_at, w.next_at);
        assert_eq!(members("lina|@all||zhangwei"), vec!["lina", "zhangwei"]);
    }
}
