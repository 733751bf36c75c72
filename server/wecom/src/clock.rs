//! Time as WeCom and the database count it (unix seconds and milliseconds), and the
//! `Clock` the server and the simulator are built with: the wall clock plus an offset
//! that only `advance` moves, so tests move time forward instead of sleeping for it.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Unix seconds now, on the wall clock.
pub fn now_secs() -> i64 {
    now_millis().div_euclid(1000)
}

/// Unix milliseconds now, on the wall clock.
pub fn now_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or_default()
}

/// The wall clock plus an offset that only `advance` moves; clones share it.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    offset_ms: Arc<AtomicI64>,
}

impl Clock {
    /// The wall clock.
    pub fn system() -> Self {
        Self::default()
    }

    fn offset(&self) -> i64 {
        self.offset_ms.load(Ordering::Relaxed)
    }

    /// Unix milliseconds now, as this clock counts them.
    pub fn now_millis(&self) -> i64 {
        now_millis() + self.offset()
    }

    /// Unix seconds now, as this clock counts them.
    pub fn now_secs(&self) -> i64 {
        self.now_millis().div_euclid(1000)
    }

    /// A monotonic instant now, as this clock counts it (for lifetimes and windows).
    pub fn instant(&self) -> Instant {
        Instant::now() + Duration::from_millis(self.offset().max(0) as u64)
    }

    /// Moves this clock (and its clones) forward by `by`.
    pub fn advance(&self, by: Duration) {
        self.offset_ms
            .fetch_add(by.as_millis() as i64, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_clock_moved_forward_is_ahead_of_the_wall_clock_and_its_clones_too() {
        let clock = Clock::system();
        let copy = clock.clone();
        let before = copy.instant();
        clock.advance(Duration::from_secs(3600));
        assert!(copy.now_secs() - now_secs() >= 3599);
        assert!(copy.instant() >= before + Duration::from_secs(3600));
    }
}
