//! The callback endpoint's database step alone, in-process, no HTTP:
//! `callback::store::insert_once` on the server's SQLite pool (`db::connect`, a
//! temporary file), 64 at once on one runtime thread as the endpoint's concurrent
//! requests would (new keys, then keys stored before), and one writer committing 64
//! inserts a transaction (what batching the endpoint's inserts would give). Each
//! iteration is 64 inserts; the throughput line is inserts a second.
//! `cargo bench -p desk-server --bench inbox` (`make bench` runs it at the end of its
//! callbacks part).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

use desk_server::callback::store::{insert_once, Delivery};
use desk_server::clock::now_secs;
use desk_server::db::Db;
use divan::counter::ItemsCount;
use futures::future::try_join_all;
use tokio::runtime::Runtime;

/// Inserts an iteration: the endpoint's concurrent requests.
const AT_ONCE: usize = 64;
/// Keys stored before the runs, for the repeats.
const STORED: usize = 10_000;

struct Inbox {
    runtime: Runtime,
    db: Db,
    _dir: tempfile::TempDir,
}

static INBOX: OnceLock<Inbox> = OnceLock::new();
/// The next new key; every bench takes its keys from here.
static NEXT_KEY: AtomicUsize = AtomicUsize::new(STORED);

fn main() {
    divan::main();
}

/// The database, with `STORED` callbacks in it, made by the first bench that needs it.
fn inbox() -> &'static Inbox {
    INBOX.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}/inbox.db", dir.path().display());
        let db = runtime.block_on(async {
            let db = desk_server::db::connect(&url).await.expect("database");
            for first in (0..STORED).step_by(AT_ONCE) {
                insert_many(&db, first..(first + AT_ONCE).min(STORED)).await;
            }
            db
        });
        Inbox {
            runtime,
            db,
            _dir: dir,
        }
    })
}

/// A member's text as the endpoint stores it (decrypted).
fn body(id: usize) -> String {
    format!(
        "<xml><ToUserName><![CDATA[wwdemo0000000001]]></ToUserName><FromUserName><![CDATA[zhangwei]]></FromUserName><CreateTime>{}</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[好的，明天上午十点到工地 {id}]]></Content><MsgId>{id}</MsgId><AgentID>1000002</AgentID></xml>",
        now_secs()
    )
}

/// `insert_once` for each key in `ids`, all at once; how many were new.
async fn insert_many(db: &Db, ids: std::ops::Range<usize>) -> usize {
    let inserts = ids.map(|id| async move {
        let (key, body) = (format!("msg:{id}"), body(id));
        let d = Delivery {
            dedup_key: &key,
            msg_type: "text",
            event: "",
            change_type: "",
            body: &body,
        };
        insert_once(db, &d).await
    });
    try_join_all(inserts)
        .await
        .expect("insert")
        .into_iter()
        .filter(|new| *new)
        .count()
}

/// 64 new callbacks stored at once.
#[divan::bench]
fn insert_once_new_keys(bencher: divan::Bencher) {
    let inbox = inbox();
    bencher.counter(ItemsCount::new(AT_ONCE)).bench_local(|| {
        let first = NEXT_KEY.fetch_add(AT_ONCE, Ordering::Relaxed);
        let new = inbox
            .runtime
            .block_on(insert_many(&inbox.db, first..first + AT_ONCE));
        assert_eq!(new, AT_ONCE);
    });
}

/// 64 callbacks stored before, again (WeCom retrying): nothing inserted.
#[divan::bench]
fn insert_once_same_keys(bencher: divan::Bencher) {
    let inbox = inbox();
    let mut first = 0;
    bencher.counter(ItemsCount::new(AT_ONCE)).bench_local(|| {
        first = (first + AT_ONCE) % (STORED - AT_ONCE);
        let new = inbox
            .runtime
            .block_on(insert_many(&inbox.db, first..first + AT_ONCE));
        assert_eq!(new, 0);
    });
}

/// One connection, 64 new callbacks in one transaction.
#[divan::bench]
fn transaction_of_64(bencher: divan::Bencher) {
    let inbox = inbox();
    bencher.counter(ItemsCount::new(AT_ONCE)).bench_local(|| {
        let first = NEXT_KEY.fetch_add(AT_ONCE, Ordering::Relaxed);
        let new = inbox.runtime.block_on(async {
            let mut tx = inbox.db.begin().await?;
            let mut new = 0;
            for id in first..first + AT_ONCE {
                new += sqlx::query(
                    "INSERT INTO callback_inbox (dedup_key, received_at, msg_type, event, change_type, body)
                     VALUES ($1, $2, $3, '', '', $4) ON CONFLICT (dedup_key) DO NOTHING",
                )
                .bind(format!("msg:{id}"))
                .bind(now_secs())
                .bind("text")
                .bind(body(id))
                .execute(&mut *tx)
                .await?
                .rows_affected();
            }
            tx.commit().await?;
            Ok::<_, sqlx::Error>(new)
        });
        assert_eq!(new.expect("transaction"), AT_ONCE as u64);
    });
}
