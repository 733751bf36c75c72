//! The endpoint's writer: deliveries arriving together are stored together, in one
//! statement, by one task, and each request is answered once its row is durable.
//! Under load this turns thousands of one-row commits (each waiting for SQLite's one
//! writer) into a few dozen; alone, a delivery is stored at once as before. Places
//! are bounded, and taken before a body is read: when none frees within 2 s the
//! delivery is refused (503, and WeCom sends it again) rather than held, so a flood
//! never grows the process.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use tokio::sync::{mpsc, oneshot, Notify, OwnedSemaphorePermit, Semaphore};

use super::store::{insert_batch, NewDelivery, MAX_BATCH};
use crate::db::Db;

type Reply = oneshot::Sender<Result<bool, String>>;

/// How long a delivery waits for a place in a full inbox before it is refused (WeCom
/// waits 5 s for an answer; whether it sends again after an error answer is not
/// documented, so a short stall of the writer is waited out, not refused).
const FULL_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

/// Hands deliveries to the writer task.
#[derive(Clone)]
pub struct Inbox {
    queue: mpsc::Sender<(NewDelivery, Reply)>,
    /// Deliveries taken in at once (read, decrypted, waiting for the writer): what
    /// bounds the memory a flood costs, however many connections bring it.
    room: Arc<Semaphore>,
}

/// A delivery's place in the inbox, from before its body is read until it is stored.
pub struct Admitted {
    _place: OwnedSemaphorePermit,
}

/// Why a delivery was not stored (WeCom tries again).
#[derive(Debug, thiserror::Error)]
pub enum NotStored {
    /// The queue is full: the writer is behind (503).
    #[error("the callback inbox is full")]
    Full,
    /// The database refused, or the writer stopped (500).
    #[error("the callback could not be stored: {0}")]
    Failed(String),
}

impl Inbox {
    /// Starts the writer on `db`, at most `capacity` deliveries taken in at once (more
    /// wait for room, then are refused: `callback.inbox_queue`); `stored` is rung after
    /// each batch with a new row, `urgent` set when one of them is urgent.
    pub fn start(db: Db, stored: Arc<Notify>, urgent: Arc<AtomicBool>, capacity: usize) -> Self {
        let capacity = capacity.max(1);
        let room = Arc::new(Semaphore::new(capacity));
        let (queue, mut waiting) = mpsc::channel::<(NewDelivery, Reply)>(capacity);
        tokio::spawn(async move {
            let mut batch = Vec::with_capacity(MAX_BATCH);
            while waiting.recv_many(&mut batch, MAX_BATCH).await > 0 {
                let (rows, replies): (Vec<NewDelivery>, Vec<Reply>) = batch.drain(..).unzip();
                match insert_batch(&db, &rows).await {
                    Ok(new) => {
                        if rows.iter().any(|r| r.urgent && new.contains(&r.dedup_key)) {
                            urgent.store(true, Ordering::Relaxed);
                        }
                        if !new.is_empty() {
                            stored.notify_one();
                        }
                        // A key twice in one batch: only its first request stored it.
                        let mut told = std::collections::HashSet::new();
                        for (row, reply) in rows.iter().zip(replies) {
                            let first = new.contains(&row.dedup_key) && told.insert(&row.dedup_key);
                            crate::metrics::callback_received(!first);
                            let _ = reply.send(Ok(first));
                        }
                    }
                    Err(e) => {
                        tracing::error!(error = %e, rows = rows.len(), "callbacks could not be stored; WeCom will send them again");
                        for reply in replies {
                            let _ = reply.send(Err(e.to_string()));
                        }
                    }
                }
            }
        });
        Self { queue, room }
    }

    /// A place for one more delivery, waited for up to 2 s (then `Full`): taken before
    /// its body is read.
    pub async fn admit(&self) -> Result<Admitted, NotStored> {
        match tokio::time::timeout(FULL_WAIT, self.room.clone().acquire_owned()).await {
            Ok(Ok(_place)) => Ok(Admitted { _place }),
            Ok(Err(_)) => Err(NotStored::Failed("the writer stopped".into())),
            Err(_) => Err(NotStored::Full),
        }
    }

    /// Stores `d` (admitted by `admit`) unless its key was stored before; whether it
    /// was new.
    pub async fn insert_once(&self, d: NewDelivery, _place: Admitted) -> Result<bool, NotStored> {
        let (reply, answer) = oneshot::channel();
        // Never waits: the queue has room for every admitted delivery.
        self.queue
            .send((d, reply))
            .await
            .map_err(|_| NotStored::Failed("the writer stopped".into()))?;
        answer
            .await
            .map_err(|_| NotStored::Failed("the writer stopped".into()))?
            .map_err(NotStored::Failed)
    }
}
