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
    pub fn new(ttl: Duration, allowance: std::sync::Arc<crate::auth::Allowance>) -> Self {
        Self {
            ttl,
            cards: parking_lot::Mutex::new(HashMap::new()),
            allowance,
        }
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
        let age = at.elapsed();
        (age < self.ttl.max(RECHECK)).then(|| (card.clone(), age))
    }

    pub(super) fn put(&self, id: &str, card: Option<ExternalContactDetail>) {
        let mut cards = self.cards.lock();
        if cards.len() >= MAX_CARDS {
            let keep = self.ttl.max(RECHECK);
            cards.retain(|_, (_, at)| at.elapsed() < keep);
            if cards.len() >= MAX_CARDS {
                cards.clear();
            }
        }
        cards.insert(id.to_string(), (card, Instant::now()));
    }
}
