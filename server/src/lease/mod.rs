//! Leases: "one at a time across every instance" for work that must not run twice at
//! once (refreshing a WeCom credential, a member's customer mirror). A lease is a row
//! with a holder and an end time, so one held by an instance that died lets go by
//! itself; the same SQL runs on SQLite and PostgreSQL.

pub mod store;

use std::time::Duration;

use rand::Rng;

use crate::clock::now_millis;
use crate::db::Db;

/// How long to wait between looks while another instance holds a lease.
pub const POLL: Duration = Duration::from_millis(25);

/// A lease this task holds. Let go when dropped (also when the work holding it was
/// cancelled, e.g. at a request's deadline), or when it runs out.
#[derive(Debug)]
pub struct Lease {
    db: Db,
    name: String,
    holder: String,
}

impl Lease {
    /// Takes the lease `name` for `ttl` if nobody holds it.
    pub async fn try_take(db: &Db, name: &str, ttl: Duration) -> Result<Option<Self>, sqlx::Error> {
        let holder = format!("{:016x}", rand::thread_rng().gen::<u64>());
        let now = now_millis();
        let taken = store::try_take(db, name, &holder, now, now + ttl.as_millis() as i64).await?;
        Ok(taken.then(|| Self {
            db: db.clone(),
            name: name.to_string(),
            holder,
        }))
    }
}

/// Why a turn could not be had.
#[derive(Debug, thiserror::Error)]
pub enum TurnError {
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    /// The request's deadline passed while another holder had the lease.
    #[error("waited for the lease past the request's deadline")]
    Timeout,
}

impl From<TurnError> for crate::error::ApiError {
    fn from(e: TurnError) -> Self {
        match e {
            TurnError::Database(e) => e.into(),
            TurnError::Timeout => crate::error::ApiError::wecom_timeout(),
        }
    }
}

/// Waits (polling) until this task holds the lease `name` for `ttl`: work that must
/// run one at a time, e.g. per order. The wait ends at the current request's deadline.
pub async fn take_turn(db: &Db, name: &str, ttl: Duration) -> Result<Lease, TurnError> {
    loop {
        if let Some(held) = Lease::try_take(db, name, ttl).await? {
            return Ok(held);
        }
        crate::deadline::within_deadline(tokio::time::sleep(POLL))
            .await
            .map_err(|_| TurnError::Timeout)?;
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        let (db, name, holder) = (
            self.db.clone(),
            std::mem::take(&mut self.name),
            std::mem::take(&mut self.holder),
        );
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        runtime.spawn(async move {
            if let Err(e) = store::release(&db, &name, &holder).await {
                tracing::warn!(error = %e, lease = %name, "could not let go of a lease; it runs out by itself");
            }
        });
    }
}
