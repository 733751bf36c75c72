//! A cached credential (access token or JS-SDK ticket) with single-flight refresh.
//!
//! The hot path is one atomic load and a clock read. A refresh takes an async mutex,
//! so any number of callers on a cold or expiring cache cause exactly one fetch; the
//! others wait for it and then read the fresh value. When shared (several instances
//! on one database), the value also lives in a row: an instance whose memory is cold
//! reads the row, and only the one holding the row's lease fetches from WeCom, so
//! all instances together fetch once per lifetime.

use std::future::Future;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use arc_swap::ArcSwapOption;
use tokio::sync::Mutex;

use super::store::{self, StoredCredential};
use super::WeComError;
use crate::clock::Clock;
use crate::db::Db;
use crate::lease::{self, Lease};

/// How long one instance may take to fetch a credential before another tries.
const FETCH_LEASE: Duration = Duration::from_secs(30);

#[derive(Debug)]
struct Entry {
    value: Arc<str>,
    refresh_at: Instant,
}

/// One credential and its refresh lock.
#[derive(Debug, Default)]
pub struct CredentialCache {
    /// What it holds, as `/metrics` names it: `access_token`, `corp_ticket`, `agent_ticket`.
    kind: &'static str,
    current: ArcSwapOption<Entry>,
    refresh: Mutex<()>,
    shared: OnceLock<Shared>,
    clock: Clock,
}

/// Where a shared credential lives.
#[derive(Debug)]
struct Shared {
    db: Db,
    name: String,
}

/// How long before expiry a credential is refreshed: a tenth of its lifetime, at most
/// five minutes (7200 s → 300 s; a 60 s lifetime → 6 s).
pub fn refresh_margin(lifetime: Duration) -> Duration {
    (lifetime / 10).min(Duration::from_secs(300))
}

impl CredentialCache {
    pub fn new(kind: &'static str) -> Self {
        Self::with_clock(kind, Clock::system())
    }

    /// A cache whose lifetimes run on `clock`.
    pub fn with_clock(kind: &'static str, clock: Clock) -> Self {
        Self {
            kind,
            clock,
            ..Self::default()
        }
    }

    /// Counts a refresh by how it went.
    fn counted(&self, result: Result<Arc<str>, WeComError>) -> Result<Arc<str>, WeComError> {
        let outcome = if result.is_ok() { "fetched" } else { "failed" };
        crate::metrics::credential_refresh(self.kind, outcome);
        result
    }

    /// The cached value when it is not due for refresh.
    pub fn fresh(&self) -> Option<Arc<str>> {
        let guard = self.current.load();
        match guard.as_ref() {
            Some(e) if self.clock.instant() < e.refresh_at => Some(e.value.clone()),
            _ => None,
        }
    }

    /// Shares this credential with every instance on `db` under `name`.
    pub fn share_in(&self, db: Db, name: String) {
        let _ = self.shared.set(Shared { db, name });
    }

    /// The cached value, or the result of `fetch` (value, lifetime in seconds) run by
    /// exactly one of the callers that found the cache cold (across instances, when
    /// shared).
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
        match self.shared.get() {
            Some(shared) => self.refresh_shared(shared, fetch).await,
            None => self.fetch_alone(fetch).await,
        }
    }

    /// Fetches and keeps the value in memory only.
    async fn fetch_alone<F, Fut>(&self, fetch: F) -> Result<Arc<str>, WeComError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<(String, u64), WeComError>>,
    {
        let started = self.clock.now_millis();
        self.counted(
            fetch()
                .await
                .map(|(value, expires_in)| self.keep(&stored(value, expires_in, started))),
        )
    }

    async fn refresh_shared<F, Fut>(
        &self,
        shared: &Shared,
        fetch: F,
    ) -> Result<Arc<str>, WeComError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<(String, u64), WeComError>>,
    {
        let lease_name = format!("credential:{}", shared.name);
        loop {
            match self.usable_row(shared).await {
                Ok(Some(v)) => {
                    crate::metrics::credential_refresh(self.kind, "shared");
                    return Ok(v);
                }
                Ok(None) => {}
                Err(e) => {
                    // The database is down: WeCom is still there. Fetch for this one.
                    tracing::warn!(error = %e, credential = %shared.name, "shared credential unreadable; fetching without sharing");
                    return self.fetch_alone(fetch).await;
                }
            }
            let held = match Lease::try_take(&shared.db, &lease_name, FETCH_LEASE).await {
                Ok(held) => held,
                Err(e) => {
                    tracing::warn!(error = %e, credential = %shared.name, "credential lease unavailable; fetching without sharing");
                    return self.fetch_alone(fetch).await;
                }
            };
            if let Some(_held) = held {
                if let Ok(Some(v)) = self.usable_row(shared).await {
                    crate::metrics::credential_refresh(self.kind, "shared");
                    return Ok(v);
                }
                let started = self.clock.now_millis();
                let (value, expires_in) = match fetch().await {
                    Ok(fetched) => fetched,
                    Err(e) => return self.counted(Err(e)),
                };
                crate::metrics::credential_refresh(self.kind, "fetched");
                let row = stored(value, expires_in, started);
                if let Err(e) = store::write(&shared.db, &shared.name, &row).await {
                    tracing::warn!(error = %e, credential = %shared.name, "could not share a fetched credential");
                }
                return Ok(self.keep(&row));
            }
            tokio::time::sleep(lease::POLL).await;
        }
    }

    /// The shared row's value if it is set and not yet due for refresh (kept in memory).
    async fn usable_row(&self, shared: &Shared) -> Result<Option<Arc<str>>, sqlx::Error> {
        let row = store::read(&shared.db, &shared.name).await?;
        Ok(row
            .filter(|r| !r.value.is_empty() && self.clock.now_millis() < r.refresh_at)
            .map(|r| self.keep(&r)))
    }

    fn keep(&self, row: &StoredCredential) -> Arc<str> {
        let value: Arc<str> = row.value.as_str().into();
        let left = Duration::from_millis((row.refresh_at - self.clock.now_millis()).max(0) as u64);
        self.current.store(Some(Arc::new(Entry {
            value: value.clone(),
            refresh_at: self.clock.instant() + left,
        })));
        value
    }

    /// Drops the cached value if it is still `stale` (a newer one is kept), here and,
    /// when shared, for every instance.
    pub async fn invalidate(&self, stale: &str) {
        self.current.rcu(|cur| match cur {
            Some(e) if &*e.value == stale => None,
            other => other.clone(),
        });
        if let Some(shared) = self.shared.get() {
            if let Err(e) = store::clear_if(&shared.db, &shared.name, stale).await {
                tracing::warn!(error = %e, credential = %shared.name, "could not invalidate a shared credential");
            }
        }
    }
}

/// A fetched value with its refresh and expiry times, lifetime counted from when the
/// fetch started.
fn stored(value: String, expires_in: u64, started_ms: i64) -> StoredCredential {
    let lifetime = Duration::from_secs(expires_in);
    let lifetime_ms = lifetime.as_millis() as i64;
    let margin_ms = refresh_margin(lifetime).as_millis() as i64;
    StoredCredential {
        value,
        refresh_at: started_ms + lifetime_ms - margin_ms,
        expires_at: started_ms + lifetime_ms,
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
        let cache = Arc::new(CredentialCache::new("test"));
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
        let cache = CredentialCache::new("test");
        cache
            .get_or_refresh(|| async { Ok(("new".to_string(), 7200)) })
            .await
            .expect("fetch");
        cache.invalidate("old").await;
        assert_eq!(cache.fresh().as_deref(), Some("new"));
        cache.invalidate("new").await;
        assert!(cache.fresh().is_none());
    }

    #[tokio::test]
    async fn a_short_lifetime_is_refreshed_before_it_ends() {
        let cache = CredentialCache::new("test");
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
        let cache = CredentialCache::new("test");
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
