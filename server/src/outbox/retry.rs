//! An admin's "try again" for a message given up on.

use super::{store, Outbox};
use crate::clock::now_millis;

/// Why a retry was refused.
#[derive(Debug, thiserror::Error)]
pub enum RetryError {
    #[error("no such message")]
    NotFound,
    #[error("only a failed message can be retried")]
    NotFailed,
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

impl Outbox {
    /// Queues a failed message (a notification, an event, an app message) again from
    /// its first try, in `by`'s name in the audit log, and wakes the sender.
    #[tracing::instrument(skip(self))]
    pub async fn retry_failed(&self, id: &str, by: &str) -> Result<(), RetryError> {
        let mut tx = self.db.begin().await?;
        if !store::requeue_failed(&mut tx, id, now_millis()).await? {
            tx.rollback().await?;
            return match store::get(&self.db, id).await? {
                None => Err(RetryError::NotFound),
                Some(_) => Err(RetryError::NotFailed),
            };
        }
        crate::audit::record(&mut tx, by, "outbox.retried", id, serde_json::json!({})).await?;
        tx.commit().await?;
        self.wake();
        Ok(())
    }
}
