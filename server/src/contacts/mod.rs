//! The mirror of members' customers: fetched with `batch/get_by_user` (100 a call),
//! stored with remark phones normalised, so matching an order's phone is a lookup.

pub mod directory;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use desk_shared::{normalize_phone, Candidate};
use sqlx::{QueryBuilder, Sqlite, SqlitePool};

use crate::clock::now_secs;
use crate::wecom::{WeComClient, WeComError};

/// Customers per `batch/get_by_user` call: WeCom's maximum.
const PAGE: u32 = 100;
/// Rows per INSERT statement (SQLite allows 32766 bound values).
const ROWS_PER_INSERT: usize = 500;

/// What one mirror refresh found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyncInfo {
    pub synced_at: i64,
    pub customers: i64,
    pub without_phone: i64,
}

/// Why the mirror could not be refreshed.
#[derive(Debug, thiserror::Error)]
pub enum MirrorError {
    #[error(transparent)]
    WeCom(#[from] WeComError),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
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

    /// The mirror of `userid`, refreshed first when older than the configured age, or
    /// when `force` and the last refresh is older than the forced-refresh interval (a
    /// whole refetch costs one WeCom call per 100 customers). Concurrent callers for
    /// one member share one refresh.
    pub async fn ensure_fresh(
        &self,
        db: &SqlitePool,
        wecom: &WeComClient,
        userid: &str,
        force: bool,
    ) -> Result<Freshness, MirrorError> {
        let last = last_sync(db, userid).await?;
        if let Some(info) = last {
            let age = now_secs() - info.synced_at;
            let interval = self.forced_interval.as_secs() as i64;
            if force && age < interval {
                return Ok(Freshness {
                    info,
                    refresh_in: Some(interval - age),
                });
            }
            if !force && self.is_fresh(&info) {
                return Ok(Freshness {
                    info,
                    refresh_in: None,
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
        let _one_at_a_time = slot.lock.lock().await;
        // A refresh that finished while this caller waited is as good as its own.
        if slot.done.load(Ordering::Acquire) != seen {
            if let Some(info) = last_sync(db, userid).await? {
                return Ok(Freshness {
                    info,
                    refresh_in: None,
                });
            }
        }
        let info = sync(db, wecom, userid).await?;
        slot.done.fetch_add(1, Ordering::Release);
        Ok(Freshness {
            info,
            refresh_in: None,
        })
    }

    fn is_fresh(&self, info: &SyncInfo) -> bool {
        now_secs() - info.synced_at < self.max_age.as_secs() as i64
    }
}

async fn last_sync(db: &SqlitePool, userid: &str) -> Result<Option<SyncInfo>, sqlx::Error> {
    let row: Option<(i64, i64, i64)> = sqlx::query_as(
        "SELECT synced_at, customers, without_phone FROM customer_syncs WHERE owner_userid = ?",
    )
    .bind(userid)
    .fetch_optional(db)
    .await?;
    Ok(row.map(|(synced_at, customers, without_phone)| SyncInfo {
        synced_at,
        customers,
        without_phone,
    }))
}

struct Row {
    external_userid: String,
    name: String,
    avatar: String,
    remark: String,
    phone_keys: Vec<String>,
}

/// Fetches every customer of `userid` and replaces their mirror in one transaction.
async fn sync(db: &SqlitePool, wecom: &WeComClient, userid: &str) -> Result<SyncInfo, MirrorError> {
    let mut rows = Vec::new();
    let mut cursor = String::new();
    let users = [userid.to_string()];
    loop {
        let page = wecom.customers_page(&users, &cursor, PAGE).await?;
        rows.extend(page.external_contact_list.into_iter().map(|c| {
            let mut phone_keys: Vec<String> = c
                .follow_info
                .follow
                .remark_mobiles
                .iter()
                .map(|p| normalize_phone(p))
                .filter(|k| !k.is_empty())
                .collect();
            phone_keys.sort();
            phone_keys.dedup();
            Row {
                external_userid: c.external_contact.external_userid,
                name: c.external_contact.name,
                avatar: c.external_contact.avatar,
                remark: c.follow_info.follow.remark,
                phone_keys,
            }
        }));
        if page.next_cursor.is_empty() {
            break;
        }
        cursor = page.next_cursor;
    }

    let info = SyncInfo {
        synced_at: now_secs(),
        customers: rows.len() as i64,
        without_phone: rows.iter().filter(|r| r.phone_keys.is_empty()).count() as i64,
    };
    let mut tx = db.begin().await?;
    sqlx::query("DELETE FROM customers WHERE owner_userid = ?")
        .bind(userid)
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM customer_phones WHERE owner_userid = ?")
        .bind(userid)
        .execute(&mut *tx)
        .await?;
    for chunk in rows.chunks(ROWS_PER_INSERT) {
        let mut q: QueryBuilder<Sqlite> = QueryBuilder::new(
            "INSERT OR REPLACE INTO customers (owner_userid, external_userid, name, avatar, remark) ",
        );
        q.push_values(chunk, |mut b, r| {
            b.push_bind(userid)
                .push_bind(&r.external_userid)
                .push_bind(&r.name)
                .push_bind(&r.avatar)
                .push_bind(&r.remark);
        });
        q.build().execute(&mut *tx).await?;
        let phones: Vec<(&str, &str)> = chunk
            .iter()
            .flat_map(|r| {
                r.phone_keys
                    .iter()
                    .map(move |k| (k.as_str(), r.external_userid.as_str()))
            })
            .collect();
        for phones in phones.chunks(ROWS_PER_INSERT) {
            let mut q: QueryBuilder<Sqlite> = QueryBuilder::new(
                "INSERT OR IGNORE INTO customer_phones (owner_userid, phone_key, external_userid) ",
            );
            q.push_values(phones, |mut b, (key, id)| {
                b.push_bind(userid).push_bind(*key).push_bind(*id);
            });
            q.build().execute(&mut *tx).await?;
        }
    }
    sqlx::query(
        "INSERT INTO customer_syncs (owner_userid, synced_at, customers, without_phone)
         VALUES (?, ?, ?, ?)
         ON CONFLICT (owner_userid) DO UPDATE SET
           synced_at = excluded.synced_at, customers = excluded.customers,
           without_phone = excluded.without_phone",
    )
    .bind(userid)
    .bind(info.synced_at)
    .bind(info.customers)
    .bind(info.without_phone)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    tracing::info!(
        userid,
        customers = info.customers,
        "customer mirror refreshed"
    );
    Ok(info)
}

/// Customers of `owner` whose remark phones match `phone` (normalised).
pub async fn by_phone(
    db: &SqlitePool,
    owner: &str,
    phone: &str,
) -> Result<Vec<Candidate>, sqlx::Error> {
    let rows: Vec<(String, String, String, String)> = sqlx::query_as(
        "SELECT c.external_userid, c.name, c.avatar, c.remark
         FROM customer_phones p
         JOIN customers c ON c.owner_userid = p.owner_userid AND c.external_userid = p.external_userid
         WHERE p.owner_userid = ? AND p.phone_key = ?
         ORDER BY c.name",
    )
    .bind(owner)
    .bind(normalize_phone(phone))
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(external_user_id, name, avatar, remark)| Candidate {
            external_user_id,
            name,
            avatar,
            remark,
        })
        .collect())
}

/// Whether the mirror has `external_userid` among `owner`'s customers.
pub async fn is_customer_of(
    db: &SqlitePool,
    owner: &str,
    external_userid: &str,
) -> Result<bool, sqlx::Error> {
    let row: Option<(i64,)> =
        sqlx::query_as("SELECT 1 FROM customers WHERE owner_userid = ? AND external_userid = ?")
            .bind(owner)
            .bind(external_userid)
            .fetch_optional(db)
            .await?;
    Ok(row.is_some())
}

/// Customers of `owner` whose name or remark mentions `name`, and whether each has
/// any remark phone: the "has the customer but no phone in the remark" hint.
pub async fn named(
    db: &SqlitePool,
    owner: &str,
    name: &str,
) -> Result<Vec<(String, bool)>, sqlx::Error> {
    if name.trim().is_empty() {
        return Ok(Vec::new());
    }
    sqlx::query_as(
        "SELECT c.name,
                EXISTS (SELECT 1 FROM customer_phones p
                        WHERE p.owner_userid = c.owner_userid AND p.external_userid = c.external_userid)
         FROM customers c
         WHERE c.owner_userid = ? AND (instr(c.name, ?) > 0 OR instr(c.remark, ?) > 0)
         LIMIT 5",
    )
    .bind(owner)
    .bind(name.trim())
    .bind(name.trim())
    .fetch_all(db)
    .await
}
