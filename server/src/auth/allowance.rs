//! How many look-ups one member's requests may cause outside our database (WeCom, the
//! business system) per minute: a member opens far fewer new customers, groups or
//! orders than this; a script trying ids hits it at once.

use std::collections::HashMap;
use std::time::{Duration, Instant};

const MINUTE: Duration = Duration::from_secs(60);
/// More members than a company has: past it, the finished minutes are forgotten (and
/// if none had finished, all of them), so the map stays bounded.
const MAX_MEMBERS: usize = 10_000;

/// Per member: when their current minute began, and the look-ups in it. One for the
/// whole process, shared by the sidebar and the orders.
pub struct Allowance {
    per_minute: u32,
    asked: parking_lot::Mutex<HashMap<String, (Instant, u32)>>,
}

impl Allowance {
    pub fn new(per_minute: u32) -> Self {
        Self {
            per_minute,
            asked: parking_lot::Mutex::new(HashMap::new()),
        }
    }

    /// Counts one look-up for `member`; false past the minute's allowance.
    pub fn take(&self, member: &str) -> bool {
        let mut asked = self.asked.lock();
        if asked.len() >= MAX_MEMBERS && !asked.contains_key(member) {
            asked.retain(|_, (since, _)| since.elapsed() < MINUTE);
            if asked.len() >= MAX_MEMBERS {
                asked.clear();
            }
        }
        let (since, count) = asked
            .entry(member.to_string())
            .or_insert((Instant::now(), 0));
        if since.elapsed() >= MINUTE {
            (*since, *count) = (Instant::now(), 0);
        }
        if *count >= self.per_minute {
            return false;
        }
        *count += 1;
        true
    }
}

/// Look-ups per member and minute: a member opens far fewer new customers, groups or
/// orders than this.
pub const LOOKUPS_PER_MINUTE: u32 = 30;

impl Default for Allowance {
    fn default() -> Self {
        Self::new(LOOKUPS_PER_MINUTE)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_member_gets_the_minutes_allowance_and_no_more_and_others_are_not_charged() {
        let a = Allowance::new(3);
        assert!((0..3).all(|_| a.take("zhangwei")));
        assert!(!a.take("zhangwei"));
        assert!(a.take("lina"));
    }
}
