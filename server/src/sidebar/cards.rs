//! The customers' details the sidebar keeps for a short while, and each member's
//! allowance of WeCom look-ups.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use super::SidebarError;
use crate::wecom::types::ExternalContactDetail;

/// Customers' details as WeCom last gave them (or that WeCom has no such customer),
/// for a short while. Bounded: when full, the expired ones go, and if none had
/// expired, all of them.
pub struct CustomerCards {
    pub(super) ttl: Duration,
    cards: parking_lot::Mutex<HashMap<String, (Option<ExternalContactDetail>, Instant)>>,
    /// The members' look-ups per minute, shared with the orders' pulls.
    allowance: std::sync::Arc<crate::auth::Allowance>,
    /// Ages are counted on the application's clock (tests move it).
    clock: crate::clock::Clock,
}

pub use crate::auth::allowance::LOOKUPS_PER_MINUTE;

/// More customers than a company's staff open sidebars on within one TTL.
const MAX_CARDS: usize = 10_000;
/// An answer this young is not asked again, even when it says "not yours": a member
/// reloading (or a script hammering) a customer that is not theirs costs one WeCom
/// call per this long, not one per request.
pub const RECHECK: Duration = Duration::from_secs(2);

/// A kept answer: the customer (or `None`: WeCom has no such customer) and its age.
pub(super) type Kept = (Option<ExternalContactDetail>, Duration);

impl CustomerCards {
    pub fn new(
        ttl: Duration,
        allowance: std::sync::Arc<crate::auth::Allowance>,
        clock: crate::clock::Clock,
    ) -> Self {
        Self {
            ttl,
            cards: parking_lot::Mutex::new(HashMap::new()),
            allowance,
            clock,
        }
    }

    fn age(&self, at: Instant) -> Duration {
        self.clock.instant().saturating_duration_since(at)
    }

    /// Counts one WeCom look-up for `member`; `TooMany` past the minute's allowance.
    pub(super) fn may_ask(&self, member: &str) -> Result<(), SidebarError> {
        match self.allowance.take(member) {
            true => Ok(()),
            false => Err(SidebarError::TooMany),
        }
    }

    pub(super) fn get(&self, id: &str) -> Option<Kept> {
        let cards = self.cards.lock();
        let (card, at) = cards.get(id)?;
        let age = self.age(*at);
        (age < self.ttl.max(RECHECK)).then(|| (card.clone(), age))
    }

    pub(super) fn put(&self, id: &str, card: Option<ExternalContactDetail>) {
        let mut cards = self.cards.lock();
        if cards.len() >= MAX_CARDS {
            let keep = self.ttl.max(RECHECK);
            let now = self.clock.instant();
            cards.retain(|_, (_, at)| now.saturating_duration_since(*at) < keep);
            if cards.len() >= MAX_CARDS {
                cards.clear();
            }
        }
        cards.insert(id.to_string(), (card, self.clock.instant()));
    }
}
