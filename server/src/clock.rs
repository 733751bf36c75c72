//! Time: the wall clock as WeCom and the database count it (`desk_wecom::clock`), and
//! the `Clock` an application is built with, which tests move forward instead of
//! sleeping.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

pub use desk_wecom::clock::{now_millis, now_secs};

/// The application's clock: the wall clock plus an offset that only `advance` moves
/// (tests); clones share it.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    offset_ms: Arc<AtomicI64>,
}

impl Clock {
    /// The wall clock.
    pub fn system() -> Self {
        Self::default()
    }

    /// Unix milliseconds now, as this application counts them.
    pub fn now_millis(&self) -> i64 {
        now_millis() + self.offset_ms.load(Ordering::Relaxed)
    }

    /// Unix seconds now, as this application counts them.
    pub fn now_secs(&self) -> i64 {
        self.now_millis().div_euclid(1000)
    }

    /// Moves this clock forward by `by`: what tests do instead of sleeping.
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
        clock.advance(Duration::from_secs(3600));
        assert!(copy.now_secs() - now_secs() >= 3599);
    }
}
