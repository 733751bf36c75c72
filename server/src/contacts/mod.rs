//! The mirror of members' customers: fetched with `batch/get_by_user` (100 a call),
//! stored with remark phones normalised, so matching an order's phone is a lookup.

pub mod directory;
pub mod store;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use desk_shared::{normalize_phone, Candidate};

use crate::clock::{now_millis, now_secs};
use crate::db::Db;
use crate::lease::Lease;
use crate::wecom::types::{ExternalContact, Follow};
use crate::wecom::{WeComClient, WeComError};
pub use store::MirroredCustomer;
pub use store::SyncInfo;

/// Customers per `batch/get_by_user` call: WeCom's maximum.
const PAGE: u32 = 100;
/// How long one instance may hold a member's refresh before others take over: more
/// than a 10,000-customer refresh (100 calls) takes.
const REFRESH_LEASE: Duration = Duration::from_secs(60);

/// Why the mirror could not be refreshed.
#[derive(Debug, thiserror::Error)]
pub enum MirrorError {
    #[error(transparent)]
    WeCom(#[from] WeComError),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    /// The refresh task ended without an answer (it panicked or was cancelled).
    #[error("mirror refresh interrupted: {0}")]
    Interrupted(String),
}

/// Keeps each member's customers fresh; one refresh per member at a time.
pub struct CustomerMirror {
    max_age: Duration,
    /// A forced refresh within this long of the last one is not honoured.
    forced_interval: Duration,
    refreshing: parking_lot::Mutex<HashMap<String, Arc<Refresh>>>,
}

/// The mirror as a caller gets it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Freshness {
    pub info: SyncInfo,
    /// Set when a forced refresh was asked for too soon after the last one: the
    /// seconds until one will be honoured.
    pub refresh_in: Option<i64>,
    /// The refresh took longer than the request could wait; it goes on, and this is
    /// the mirror as it was.
    pub refreshing: bool,
}

/// One member's refresh lock, and how many refreshes finished.
#[derive(Default)]
struct Refresh {
    lock: tokio::sync::Mutex<()>,
    done: AtomicU64,
}

impl CustomerMirror {
    pub fn new(max_age: Duration, forced_interval: Duration) -> Self {
        Self {
            max_age,
            forced_interval,
            refreshing: parking_lot::Mutex::new(HashMap::new()),
        }
    }

    /// Makes `userid`'s mirror out of date (customers were handed to them): the next
    /// look refreshes it.
    pub async fn mark_stale(&self, db: &Db, userid: &str) -> Result<(), sqlx::Error> {
        store::mark_stale(db, userid).await
    }

    /// The mirror of `userid`, refreshed first when older than the configured age, or
    /// when `force` and the last refresh is older than the forced-refresh interval (a
    /// whole refetch costs one WeCom call per 100 customers). Concurrent callers for
    /// one member share one refresh.
    pub async fn ensure_fresh(
        &self,
        db: &Db,
        wecom: &WeComClient,
        userid: &str,
        force: bool,
    ) -> Result<Freshness, MirrorError> {
        let last = store::last_sync(db, userid).await?;
        if let Some(info) = last {
            let age = now_secs() - info.synced_at;
            let interval = self.forced_interval.as_secs() as i64;
            if force && age < interval {
                return Ok(Freshness {
                    info,
                    refresh_in: Some(interval - age),
                    refreshing: false,
                });
            }
            if !force && self.is_fresh(&info) {
                return Ok(Freshness {
                    info,
                    refresh_in: None,
                    refreshing: false,
                });
            }
        }
        let slot = self
            .refreshing
            .lock()
            .entry(userid.to_string())
            .or_default()
            .clone();
        let seen = slot.done.load(Ordering::Acquire);
        let started_ms = now_millis();
        let _one_at_a_time = slot.lock.lock().await;
        // A refresh that finished while this caller waited is as good as its own.
        if slot.done.load(Ordering::Acquire) != seen {
            if let Some(info) = store::last_sync(db, userid).await? {
                crate::metrics::customer_mirror_refresh("shared");
                return Ok(Freshness {
                    info,
                    refresh_in: None,
                    refreshing: false,
                });
            }
        }
        // The refresh runs on its own, outside the request's deadline: a member with
        // thousands of customers takes longer than one request may wait, and a
        // refresh cut off at every request would never finish (nor count for the
        // rate limit). The request waits for it as long as its deadline allows.
        let refresh = tokio::spawn({
            let (db, wecom, userid, slot) =
                (db.clone(), wecom.clone(), userid.to_string(), slot.clone());
            async move {
                let info = refresh_once_everywhere(&db, &wecom, &userid, started_ms)
                    .await
                    .inspect_err(|_| crate::metrics::customer_mirror_refresh("failed"))?;
                slot.done.fetch_add(1, Ordering::Release);
                Ok::<_, MirrorError>(info)
            }
        });
        match crate::deadline::within_deadline(refresh).await {
            Ok(Ok(result)) => Ok(Freshness {
                info: result?,
                refresh_in: None,
                refreshing: false,
            }),
            Ok(Err(join)) => Err(MirrorError::Interrupted(join.to_string())),
            Err(_deadline) => match last {
                // Still going: answer from the mirror as it is, and say so.
                Some(info) => Ok(Freshness {
                    info,
                    refresh_in: None,
                    refreshing: true,
                }),
                None => Err(MirrorError::WeCom(WeComError::Timeout)),
            },
        }
    }

    fn is_fresh(&self, info: &SyncInfo) -> bool {
        now_secs() - info.synced_at < self.max_age.as_secs() as i64
    }
}

/// Refreshes `userid`'s mirror unless another instance is at it; then waits for
/// theirs. A refresh that finished after `started_ms` counts as this caller's own.
async fn refresh_once_everywhere(
    db: &Db,
    wecom: &WeComClient,
    userid: &str,
    started_ms: i64,
) -> Result<SyncInfo, MirrorError> {
    let name = format!("mirror:{userid}");
    loop {
        if let Some(info) = store::last_sync(db, userid).await? {
            if info.synced_ms >= started_ms {
                crate::metrics::customer_mirror_refresh("shared");
                return Ok(info);
            }
        }
        if let Some(_held) = Lease::try_take(db, &name, REFRESH_LEASE).await? {
            // The holder before may have finished between the look above and taking
            // the lease: its refresh counts.
            if let Some(info) = store::last_sync(db, userid).await? {
                if info.synced_ms >= started_ms {
                    crate::metrics::customer_mirror_refresh("shared");
                    return Ok(info);
                }
            }
            let info = sync(db, wecom, userid).await?;
            crate::metrics::customer_mirror_refresh("refreshed");
            return Ok(info);
        }
        tokio::time::sleep(crate::lease::POLL).await;
    }
}

/// Fetches every customer of `userid` and replaces their mirror in one transaction.
async fn sync(db: &Db, wecom: &WeComClient, userid: &str) -> Result<SyncInfo, MirrorError> {
    let mut rows = Vec::new();
    let mut cursor = String::new();
    let users = [userid.to_string()];
    loop {
        let page = wecom.customers_page(&users, &cursor, PAGE).await?;
        rows.extend(
            page.external_contact_list
                .into_iter()
                .map(|c| mirrored(c.external_contact, &c.follow_info.follow)),
        );
        if page.next_cursor.is_empty() {
            break;
        }
        cursor = page.next_cursor;
    }
    let ms = now_millis();
    let info = SyncInfo {
        synced_at: ms / 1000,
        synced_ms: ms,
        customers: rows.len() as i64,
        without_phone: rows.iter().filter(|r| r.phone_keys.is_empty()).count() as i64,
    };
    store::replace(db, userid, &rows, info).await?;
    tracing::info!(
        userid,
        customers = info.customers,
        "customer mirror refreshed"
    );
    Ok(info)
}

/// A customer as one member's mirror keeps them: the member's remark and the phone
/// keys of their remark phones.
pub fn mirrored(contact: ExternalContact, follow: &Follow) -> MirroredCustomer {
    MirroredCustomer {
        external_userid: contact.external_userid,
        name: contact.name,
        avatar: contact.avatar,
        remark: follow.remark.clone(),
        phone_keys: phone_keys(&follow.remark_mobiles),
    }
}

/// The normalised, de-duplicated keys of remark phones.
pub fn phone_keys<S: AsRef<str>>(phones: &[S]) -> Vec<String> {
    let mut keys: Vec<String> = phones
        .iter()
        .map(|p| normalize_phone(p.as_ref()))
        .filter(|k| !k.is_empty())
        .collect();
    keys.sort();
    keys.dedup();
    keys
}

/// Customers of `owner` whose remark phones match `phone` (normalised).
pub async fn by_phone(db: &Db, owner: &str, phone: &str) -> Result<Vec<Candidate>, sqlx::Error> {
    store::by_phone_key(db, owner, &normalize_phone(phone)).await
}

pub use store::{is_customer_of, named};
