//! A cached credential (access token or JS-SDK ticket) with single-flight refresh.
//!
//! The hot path is one atomic load and a clock read. A refresh takes an async mutex,
//! so any number of callers on a cold or expiring cache cause exactly one fetch; the
//! others wait for it and then read the fresh value.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use arc_swap::ArcSwapOption;
use tokio::sync::Mutex;

use super::WeComError;

#[derive(Debug)]
struct Entry {
    value: Arc<str>,
    refresh_at: Instant,
}

/// One credential and its refresh lock.
#[derive(Debug, Default)]
pub struct CredentialCache {
    current: ArcSwapOption<Entry>,
    refresh: Mutex<()>,
}

/// How long before expiry a credential is refreshed: a tenth of its lifetime, at most
/// five minutes (7200 s → 300 s; a 60 s lifetime → 6 s).
pub fn refresh_margin(lifetime: Duration) -> Duration {
    (lifetime / 10).min(Duration::from_secs(300))
}

impl CredentialCache {
    pub fn new() -> Self {
        Self::default()
    }

    /// The cached value when it is not due for refresh.
    pub fn fresh(&self) -> Option<Arc<str>> {
        let guard = self.current.load();
        match guard.as_ref() {
            Some(e) if Instant::now() < e.refresh_at => Some(e.value.clone()),
            _ => None,
        }
    }

    /// The cached value, or the result of `fetch` (value, lifetime in seconds) run by
    /// exactly one of the callers that found the cache cold.
    pub async fn get_or_refresh<F, Fut>(&self, fetch: F) -> Result<Arc<str>, WeComError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<(String, u64), WeComError>>,
    {
        if let Some(v) = self.fresh() {
            return Ok(v);
        }
        let _refreshing = self.refresh.lock().await;
        if let Some(v) = self.fresh() {
            return Ok(v);
        }
        let started = Instant::now();
        let (value, expires_in) = fetch().await?;
        let lifetime = Duration::from_secs(expires_in);
        let value: Arc<str> = value.into();
        self.current.store(Some(Arc::new(Entry {
            value: value.clone(),
            refresh_at: started + lifetime - refresh_margin(lifetime),
        })));
        Ok(value)
    }

    /// Drops the cached value if it is still `stale` (a newer one is kept).
    pub fn invalidate(&self, stale: &str) {
        self.current.rcu(|cur| match cur {
            Some(e) if &*e.value == stale => None,
            other => other.clone(),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn margin_scales_with_lifetime() {
        assert_eq!(
            refresh_margin(Duration::from_secs(7200)),
            Duration::from_secs(300)
        );
        assert_eq!(
            refresh_margin(Duration::from_secs(60)),
            Duration::from_secs(6)
        );
        assert_eq!(refresh_margin(Duration::ZERO), Duration::ZERO);
    }

    #[tokio::test]
    async fn concurrent_cold_callers_fetch_once() {
        let cache = Arc::new(CredentialCache::new());
        let fetches = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = (0..100)
            .map(|_| {
                let cache = cache.clone();
                let fetches = fetches.clone();
                tokio::spawn(async move {
                    cache
                        .get_or_refresh(|| async {
                            fetches.fetch_add(1, Ordering::SeqCst);
                            tokio::time::sleep(Duration::from_millis(20)).await;
                            Ok(("tok".to_string(), 7200))
                        })
                        .await
                })
            })
            .collect();
        for t in tasks {
            assert_eq!(&*t.await.expect("join").expect("value"), "tok");
        }
        assert_eq!(fetches.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn invalidate_drops_only_the_stale_value() {
        let cache = CredentialCache::new();
        cache
            .get_or_refresh(|| async { Ok(("new".to_string(), 7200)) })
            .await
            .expect("fetch");
        cache.invalidate("old");
        assert_eq!(cache.fresh().as_deref(), Some("new"));
        cache.invalidate("new");
        assert!(cache.fresh().is_none());
    }

    #[tokio::test]
    async fn a_short_lifetime_is_refreshed_before_it_ends() {
        let cache = CredentialCache::new();
        // 1 s lifetime → 100 ms margin: due for refresh at 900 ms.
        cache
            .get_or_refresh(|| async { Ok(("a".to_string(), 1)) })
            .await
            .expect("fetch");
        assert!(cache.fresh().is_some());
        tokio::time::sleep(Duration::from_millis(950)).await;
        assert!(cache.fresh().is_none());
    }

    #[tokio::test]
    async fn a_failed_fetch_leaves_the_cache_cold_for_the_next_caller() {
        let cache = CredentialCache::new();
        let err = cache
            .get_or_refresh(|| async { Err(WeComError::Status(500)) })
            .await;
        assert!(err.is_err());
        let v = cache
            .get_or_refresh(|| async { Ok(("b".to_string(), 7200)) })
            .await
            .expect("second fetch");
        assert_eq!(&*v, "b");
    }
}
