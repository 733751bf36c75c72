//! Callbacks when the database writer is behind: the inbox's queue is bounded
//! (`callback.inbox_queue`), a delivery past it is answered 503 at once (WeCom sends it
//! again) instead of held in memory, and every delivery answered 200 is stored.

use std::collections::HashSet;
use std::time::Duration;

use sqlx::Connection;

use crate::helpers::*;

mod sqlite_only {
    use super::*;

    #[tokio::test]
    #[ignore = "SQLite only: the writer is held through SQLite's own write lock (make unit runs it)"]
    async fn a_full_inbox_answers_503_at_once_and_every_callback_answered_200_is_stored() {
        require_sqlite();
        let app = spawn_app_with(spawn_simulator().await, |c| {
            c.replace("[callback]", "[callback]\ninbox_queue = 2")
        })
        .await;
        // Another process holds SQLite's write lock: the server's one writer waits.
        let mut holder = sqlx::SqliteConnection::connect(&app.db_url)
            .await
            .expect("a second connection");
        sqlx::query("BEGIN IMMEDIATE")
            .execute(&mut holder)
            .await
            .expect("the write lock");

        let sends: Vec<_> = (0..12u64)
            .map(|i| {
                let (http, address) = (app.http.clone(), app.address.clone());
                tokio::spawn(async move {
                    let plain = text_message("zhangwei", &format!("#web-1 第 {i} 条"), 7100 + i);
                    (
                        7100 + i,
                        post_callback(&http, &address, &plain).await.status(),
                    )
                })
            })
            .collect();
        // The ones past the queue are refused at once, while the lock is still held.
        eventually("503s while the writer waits", 10, || async {
            let text = app.get("/metrics").await.text().await.ok()?;
            let n = text
                .lines()
                .find(|l| l.starts_with("callbacks_rejected_total{reason=\"inbox_full\"}"))
                .and_then(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
                .unwrap_or(0.0);
            (n >= 1.0).then_some(())
        })
        .await;
        sqlx::query("ROLLBACK")
            .execute(&mut holder)
            .await
            .expect("let go");

        let mut answered = HashSet::new();
        let mut refused = 0;
        for send in sends {
            let (id, status) = tokio::time::timeout(Duration::from_secs(20), send)
                .await
                .expect("every request answered")
                .expect("task");
            match status.as_u16() {
                200 => {
                    answered.insert(id);
                }
                503 => refused += 1,
                other => panic!("callback {id} answered {other}"),
            }
        }
        assert!(refused >= 1, "some were refused");
        assert!(!answered.is_empty(), "the queued ones were stored");
        for id in &answered {
            let key = format!("msg:{id}");
            assert_eq!(
                app.count(&format!(
                    "SELECT COUNT(*) FROM callback_inbox WHERE dedup_key = '{key}'"
                ))
                .await,
                1,
                "{key} answered 200 is stored"
            );
        }
    }
}
