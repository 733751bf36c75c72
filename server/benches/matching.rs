//! The database part of matching an order's customer, in-process: one member's mirror
//! of 10,000 customers (each with a remark phone), then the lookup a candidates
//! request makes (`contacts::by_phone`), the mirror's freshness check
//! (`contacts::store::last_sync`), and the phone normalisation alone.
//! A temporary SQLite file, or the database `DESK_BENCH_DATABASE_URL` names (an
//! existing PostgreSQL database: the bench member's rows are replaced in it).
//! `cargo bench -p desk-server --bench matching`; the whole candidates request over
//! HTTP is `examples/match_over_http.rs` (`make bench` runs both).

use std::hint::black_box;
use std::sync::OnceLock;

use desk_server::contacts::{self, store, MirroredCustomer, SyncInfo};
use desk_server::db::Db;
use desk_shared::normalize_phone;
use tokio::runtime::Runtime;

const CUSTOMERS: usize = 10_000;
const OWNER: &str = "bench-designer";

struct Mirror {
    runtime: Runtime,
    db: Db,
    _dir: tempfile::TempDir,
}

static MIRROR: OnceLock<Mirror> = OnceLock::new();

fn main() {
    divan::main();
}

/// The database with `OWNER`'s mirror, made by the first bench that needs it.
fn mirror() -> &'static Mirror {
    MIRROR.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let dir = tempfile::tempdir().expect("temp dir");
        let url = std::env::var("DESK_BENCH_DATABASE_URL")
            .ok()
            .filter(|u| !u.is_empty())
            .unwrap_or_else(|| format!("sqlite://{}/matching.db", dir.path().display()));
        let db = runtime.block_on(async {
            let db = desk_server::db::connect(&url).await.expect("database");
            let rows: Vec<MirroredCustomer> = (0..CUSTOMERS)
                .map(|i| MirroredCustomer {
                    external_userid: format!("wmbench{i:06}"),
                    name: format!("客户{i}"),
                    avatar: String::new(),
                    remark: format!("客户{i} 139 0000 {i:04}"),
                    phone_keys: contacts::phone_keys(&[format!("139 0000 {i:04}")]),
                })
                .collect();
            let info = SyncInfo {
                synced_at: 1_700_000_000,
                synced_ms: 1_700_000_000_000,
                customers: CUSTOMERS as i64,
                without_phone: 0,
            };
            store::replace(&db, OWNER, &rows, info)
                .await
                .expect("mirror");
            db
        });
        Mirror {
            runtime,
            db,
            _dir: dir,
        }
    })
}

/// The customers whose remark phones match an order's phone (one here).
#[divan::bench]
fn by_phone(bencher: divan::Bencher) {
    let m = mirror();
    let mut i = 0;
    bencher.bench_local(|| {
        i = (i + 4_241) % CUSTOMERS;
        let phone = format!("+86 139-0000-{i:04}");
        let found = m
            .runtime
            .block_on(contacts::by_phone(&m.db, OWNER, &phone))
            .expect("lookup");
        assert_eq!(found.len(), 1, "{phone}");
    });
}

/// When the member's mirror was last fetched (each candidates request asks).
#[divan::bench]
fn last_sync(bencher: divan::Bencher) {
    let m = mirror();
    bencher.bench_local(|| {
        m.runtime
            .block_on(store::last_sync(&m.db, black_box(OWNER)))
            .expect("last sync")
    });
}

/// An order's phone as typed, to its key.
#[divan::bench]
fn normalize(bencher: divan::Bencher) {
    bencher.bench(|| normalize_phone(black_box("+86 139-0000-4242")));
}
