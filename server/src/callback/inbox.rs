//! The endpoint's writer: deliveries arriving together are stored together, in one
//! statement, by one task, and each request is answered once its row is durable.
//! Under load this turns thousands of one-row commits (each waiting for SQLite's one
//! writer) into a few dozen; alone, a delivery is stored at once as before.

use std::sync::Arc;

use tokio::sync::{mpsc, oneshot, Notify};

use super::store::{insert_batch, NewDelivery, MAX_BATCH};
use crate::db::Db;

/// Deliveries waiting for the writer at most; more wait in their requests.
const QUEUE: usize = 4096;

type Reply = oneshot::Sender<Result<bool, String>>;

/// Hands deliveries to the writer task.
#[derive(Clone)]
pub struct Inbox {
    queue: mpsc::Sender<(NewDelivery, Reply)>,
}

/// Why a delivery was not stored (the request answers 500, and WeCom tries again).
#[derive(Debug, thiserror::Error)]
#[error("the callback could not be stored: {0}")]
pub struct NotStored(String);

impl Inbox {
    /// Starts the writer on `db`; `stored` is rung after each batch with a new row.
    pub fn start(db: Db, stored: Arc<Notify>) -> Self {
        let (queue, mut waiting) = mpsc::channel::<(NewDelivery, Reply)>(QUEUE);
        tokio::spawn(async move {
            let mut batch = Vec::with_capacity(MAX_BATCH);
            while waiting.recv_many(&mut batch, MAX_BATCH).await > 0 {
                let (rows, replies): (Vec<NewDelivery>, Vec<Reply>) = batch.drain(..).unzip();
                match insert_batch(&db, &rows).await {
                    Ok(new) => {
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
        Self { queue }
    }

    /// Stores `d` unless its key was stored before; whether it was new.
    pub async fn insert_once(&self, d: NewDelivery) -> Result<bool, NotStored> {
        let (reply, answer) = oneshot::channel();
        self.queue
            .send((d, reply))
            .await
            .map_err(|_| NotStored("the writer stopped".into()))?;
        answer
            .await
            .map_err(|_| NotStored("the writer stopped".into()))?
            .map_err(NotStored)
    }
}
