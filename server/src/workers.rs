//! Background work beside the HTTP server: started by `Application::build`, stopped
//! after the server (on SIGTERM, in-flight requests finish first, then each worker
//! finishes the round it is in).

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use rand::Rng;
use tokio::sync::{watch, Notify};
use tokio::task::JoinHandle;
use tracing::Instrument;

/// The running workers and the signal that stops them.
pub struct Workers {
    stop: watch::Sender<bool>,
    tasks: Vec<(&'static str, JoinHandle<()>)>,
    rounds: Rounds,
}

impl Default for Workers {
    fn default() -> Self {
        Self {
            stop: watch::channel(false).0,
            tasks: Vec::new(),
            rounds: Rounds::default(),
        }
    }
}

/// How many rounds each worker has finished: what a test waits on to know a worker
/// has looked at a change (instead of sleeping for a while and hoping it has).
#[derive(Clone, Default)]
pub struct Rounds(Arc<parking_lot::Mutex<RoundCounters>>);

/// Each worker's count of finished rounds, watched.
type RoundCounters = HashMap<&'static str, Arc<watch::Sender<u64>>>;

impl Rounds {
    fn counter(&self, worker: &'static str) -> Arc<watch::Sender<u64>> {
        self.0
            .lock()
            .entry(worker)
            .or_insert_with(|| Arc::new(watch::channel(0).0))
            .clone()
    }

    /// Waits until `worker` has finished at least `n` rounds since it started.
    pub async fn reached(&self, worker: &'static str, n: u64) {
        let mut finished = self.counter(worker).subscribe();
        let _ = finished.wait_for(|done| *done >= n).await;
    }

    /// Waits until `worker` has finished `more` rounds after this call (a round under
    /// way when it is called counts, so wait for two to see one that started after).
    pub async fn wait(&self, worker: &'static str, more: u64) {
        let mut finished = self.counter(worker).subscribe();
        let target = *finished.borrow_and_update() + more;
        let _ = finished.wait_for(|n| *n >= target).await;
    }
}

/// Each round of a worker in a span of its own, so its log lines (its WeCom calls and
/// their retries included) name the worker.
fn round_span(worker: &'static str) -> tracing::Span {
    tracing::info_span!("worker_round", worker)
}

impl Workers {
    /// The count of finished rounds per worker.
    pub fn rounds(&self) -> Rounds {
        self.rounds.clone()
    }
    /// Runs `round` every `period` (the first after one period) until stopped.
    pub fn every<F, Fut>(&mut self, name: &'static str, period: Duration, round: F)
    where
        F: Fn() -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send,
    {
        let mut stop = self.stop.subscribe();
        let finished = self.rounds.counter(name);
        let task = tokio::spawn(async move {
            let mut ticks = tokio::time::interval(period);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            ticks.tick().await;
            loop {
                tokio::select! {
                    _ = stop.changed() => return,
                    _ = ticks.tick() => {
                        round().instrument(round_span(name)).await;
                        finished.send_modify(|n| *n += 1);
                    }
                }
            }
        });
        tracing::debug!(worker = name, ?period, "worker started");
        self.tasks.push((name, task));
    }

    /// Runs `round` whenever `wake` is rung and at least every `period`, until stopped.
    /// A ring during a round runs one more round right after it.
    pub fn on_wake<F, Fut>(
        &mut self,
        name: &'static str,
        period: Duration,
        wake: std::sync::Arc<Notify>,
        round: F,
    ) where
        F: Fn() -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send,
    {
        self.on_wake_gathering(name, period, Duration::ZERO, wake, round)
    }

    /// As `on_wake`, but rounds start at most once every `gather`: rings coming one
    /// after another (a callback stored, a message queued, a thousand a second) are
    /// gathered into one round of many instead of a round each, at the price of
    /// `gather` more wait for the first of them when a round has just run. A ring
    /// after a quiet spell runs a round at once.
    pub fn on_wake_gathering<F, Fut>(
        &mut self,
        name: &'static str,
        period: Duration,
        gather: Duration,
        wake: std::sync::Arc<Notify>,
        round: F,
    ) where
        F: Fn() -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send,
    {
        let mut stop = self.stop.subscribe();
        let finished = self.rounds.counter(name);
        let task = tokio::spawn(async move {
            let mut last = tokio::time::Instant::now();
            loop {
                tokio::select! {
                    _ = stop.changed() => return,
                    _ = wake.notified() => {}
                    _ = tokio::time::sleep(period) => {}
                }
                tokio::select! {
                    _ = stop.changed() => return,
                    _ = tokio::time::sleep_until(last + gather) => {}
                }
                last = tokio::time::Instant::now();
                round().instrument(round_span(name)).await;
                finished.send_modify(|n| *n += 1);
            }
        });
        tracing::debug!(worker = name, ?period, "worker started");
        self.tasks.push((name, task));
    }

    /// Signals every worker to stop and waits up to `grace` for them.
    pub async fn stop(self, grace: Duration) {
        let _ = self.stop.send(true);
        for (name, task) in self.tasks {
            match tokio::time::timeout(grace, task).await {
                Ok(_) => tracing::debug!(worker = name, "worker stopped"),
                Err(_) => tracing::warn!(worker = name, "worker did not stop in time"),
            }
        }
    }
}

/// The pause after the `attempts`-th failed try: doubling from `base_ms` up to
/// `max_ms`, with up to a fifth more at random.
pub fn backoff(base_ms: u64, max_ms: u64, attempts: i64) -> i64 {
    let base = base_ms.max(1);
    let doubled = base.saturating_mul(1u64 << (attempts - 1).clamp(0, 30));
    let capped = doubled.min(max_ms.max(base));
    let jitter = rand::thread_rng().gen_range(0..=capped / 5);
    i64::try_from(capped + jitter).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pause_doubles_up_to_the_cap() {
        let within = |p: i64, least: i64| (least..=least + least / 5).contains(&p);
        assert!(within(backoff(1000, 300_000, 1), 1000));
        assert!(within(backoff(1000, 300_000, 2), 2000));
        assert!(within(backoff(1000, 300_000, 4), 8000));
        assert!(within(backoff(1000, 300_000, 40), 300_000));
        assert!(within(backoff(1000, 300_000, 0), 1000), "a first try");
    }
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test]
    async fn a_worker_runs_each_period_and_stops_when_told() {
        let rounds = Arc::new(AtomicUsize::new(0));
        let mut workers = Workers::default();
        let counted = rounds.clone();
        workers.every("count", Duration::from_millis(20), move || {
            let counted = counted.clone();
            async move {
                counted.fetch_add(1, Ordering::SeqCst);
            }
        });
        let finished = workers.rounds();
        tokio::time::timeout(Duration::from_secs(10), finished.wait("count", 3))
            .await
            .expect("three rounds within 10 s");
        assert!(rounds.load(Ordering::SeqCst) >= 3);
        workers.stop(Duration::from_secs(1)).await;
        let done = rounds.load(Ordering::SeqCst);
        // Three periods after the stop: a worker still running would have counted.
        tokio::time::sleep(Duration::from_millis(60)).await;
        assert_eq!(rounds.load(Ordering::SeqCst), done, "no round after stop");
    }
}
