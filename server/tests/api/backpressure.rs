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

/// A server keeps `server.max_connections` open at most; while three quarters are
/// open, a callback's answer closes its connection, so that connections waiting in
/// the system's queue get their turn rather than wait on clients that keep theirs.
#[tokio::test]
async fn a_crowded_server_closes_a_callbacks_connection_after_answering() {
    let app = spawn_app_with(spawn_simulator().await, |c| {
        c.replace("[server]\n", "[server]\nmax_connections = 8\n")
    })
    .await;
    let plain = text_message("zhangwei", "#web-1 还不挤", 7300);
    let resp = post_callback(&app.http, &app.address, &plain).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers().get("connection"), None, "kept open");

    let host = app.address.trim_start_matches("http://").to_string();
    let mut idle = Vec::new();
    for _ in 0..6 {
        idle.push(
            tokio::net::TcpStream::connect(&host)
                .await
                .expect("connect"),
        );
    }
    let closed = eventually("a crowded answer closes", 10, || async {
        let n = 7301 + rand_id();
        let plain = text_message("zhangwei", "#web-1 挤了", n);
        let resp = post_callback(&app.http, &app.address, &plain).await;
        assert_eq!(resp.status(), 200, "answered all the same");
        let header = resp.headers().get("connection")?.to_str().ok()?.to_string();
        (header == "close").then_some(header)
    })
    .await;
    assert_eq!(closed, "close");

    drop(idle);
    eventually("kept open again", 10, || async {
        let plain = text_message("zhangwei", "#web-1 又不挤了", 7400 + rand_id());
        let resp = post_callback(&app.http, &app.address, &plain).await;
        resp.headers().get("connection").is_none().then_some(())
    })
    .await;
}

fn rand_id() -> u64 {
    rand::random::<u32>() as u64
}

/// A callback's place in the inbox is taken before its body is read: a client that
/// sends the head and never the body gives its place back (408) instead of holding
/// it, so that a few such clients cannot fill the inbox.
#[tokio::test]
async fn a_callback_whose_body_never_comes_is_408_and_gives_its_place_back() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = spawn_app_with(spawn_simulator().await, |c| {
        c.replace("[callback]", "[callback]\ninbox_queue = 1")
    })
    .await;
    let host = app.address.trim_start_matches("http://").to_string();
    let mut slow = tokio::net::TcpStream::connect(&host)
        .await
        .expect("connect");
    let head = format!(
        "POST /wecom/callback?msg_signature=x&timestamp={}&nonce=1 HTTP/1.1\r\nHost: {host}\r\n\
         Content-Type: text/xml\r\nContent-Length: 500\r\n\r\n<xml>",
        desk_server::clock::now_secs()
    );
    slow.write_all(head.as_bytes()).await.expect("head");
    let mut answer = vec![0u8; 512];
    let n = tokio::time::timeout(Duration::from_secs(30), slow.read(&mut answer))
        .await
        .expect("answered within 30 s")
        .expect("read");
    let answer = String::from_utf8_lossy(&answer[..n]).to_string();
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("request_timeout"), "{answer}");
    // Its place is free again: the one place of the inbox takes the next callback.
    let plain = text_message("zhangwei", "#web-1 正常的", 7500);
    let resp = post_callback(&app.http, &app.address, &plain).await;
    assert_eq!(resp.status(), 200);
}
