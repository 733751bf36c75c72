//! Matching over HTTP (not a test): starts a server and a simulator in this process;
//! a designer (the demo admin, who has no demo customers) with exactly 10,000
//! generated customers asks for an order's candidates.
//! Cold: how many WeCom calls the first candidates request makes (target ≤ 100).
//! Warm: candidates latency over HTTP on loopback, one request at a time (target p50
//! < 5 ms on SQLite, < 2 ms on PostgreSQL). The lookup alone, without HTTP, is the
//! micro-benchmark `benches/matching.rs`.
//!
//! The database is the first argument, else `DESK_BENCH_DATABASE_URL`, else a SQLite
//! file in a temp dir. A PostgreSQL URL must name a database that exists (ideally an
//! empty one; the example does not drop it):
//! `cargo run --release -p desk-server --example match_over_http [-- postgres://...]`
//! (make bench runs it on both).

use std::time::{Duration, Instant};

use desk_server::config::Settings;
use desk_server::db::{redact, Backend};
use desk_server::startup::Application;
use desk_simulator::fixture::DEMO_FIXTURE;
use desk_simulator::{Fixture, SimulatorServer};
use serde_json::{json, Value};

const CUSTOMERS: usize = 10_000;
const WARM_REQUESTS: usize = 1_000;

mod common;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let fixture = Fixture::from_toml(&format!(
        "{DEMO_FIXTURE}\n[[generate]]\nuserid = \"wangqiang\"\ncount = {CUSTOMERS}\n"
    ))
    .map_err(anyhow::Error::msg)?;
    let sim = SimulatorServer::bind(fixture, "127.0.0.1:0")?;
    let (sim_url, _sim) = sim.spawn();
    let dir = tempfile::tempdir()?;
    let db_url = std::env::args()
        .nth(1)
        .or_else(|| std::env::var("DESK_BENCH_DATABASE_URL").ok())
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| format!("sqlite://{}/bench.db", dir.path().display()));
    let backend = match Backend::of_url(&db_url)? {
        Backend::Sqlite => "SQLite",
        Backend::Postgres => "PostgreSQL",
    };
    let settings = Settings::from_toml_only(&format!(
        r#"
        [server]
        listen = "127.0.0.1:0"
        public_url = "http://127.0.0.1"
        allowed_origins = ["http://127.0.0.1"]
        [wecom]
        corp_id = "wwdemo0000000001"
        agent_id = 1000002
        agent_secret = "demo-agent-secret-0001"
        api_base = "{sim_url}"
        oauth_base = "{sim_url}"
        [database]
        url = "{db_url}"
        [integration]
        api_keys = ["bench-key"]
        "#
    ))?;
    let app = Application::build(settings).await?;
    let base = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;

    // An order whose customer is generated customer 4242 (remark phone 13900004242).
    let r = http
        .put(format!("{base}/api/v1/orders/BENCH-1"))
        .bearer_auth("bench-key")
        .json(&json!({"title": "压测订单", "designerUserId": "wangqiang", "projectManagerUserId": "lina",
                      "customerName": "客户4242", "customerPhone": "139 0000 4242"}))
        .send()
        .await?;
    anyhow::ensure!(r.status().is_success(), "order: {}", r.status());

    // Log in as the designer through the simulator's OAuth page.
    let session = common::login(&http, &base, &sim_url, "wangqiang").await?;

    let calls = || async {
        let v: Value = http
            .get(format!("{sim_url}/sim/stats"))
            .send()
            .await?
            .json()
            .await?;
        let total: u64 = v["calls"]
            .as_object()
            .map(|m| m.values().filter_map(Value::as_u64).sum())
            .unwrap_or(0);
        Ok::<_, anyhow::Error>((
            total,
            v["calls"]["externalcontact/batch/get_by_user"]
                .as_u64()
                .unwrap_or(0),
        ))
    };
    let (before, _) = calls().await?;
    let url = format!("{base}/api/orders/BENCH-1/candidates");
    let started = Instant::now();
    let cold: Value = http
        .get(&url)
        .header("cookie", &session)
        .send()
        .await?
        .json()
        .await?;
    let cold_time = started.elapsed();
    let (after, batch) = calls().await?;
    anyhow::ensure!(
        cold["candidates"][0]["externalUserId"] == "wmgenwangqiangx004242",
        "wrong match: {cold}"
    );

    let mut times = Vec::with_capacity(WARM_REQUESTS);
    for _ in 0..WARM_REQUESTS {
        let t = Instant::now();
        let r = http.get(&url).header("cookie", &session).send().await?;
        anyhow::ensure!(r.status().is_success());
        r.bytes().await?;
        times.push(t.elapsed());
    }
    times.sort();
    let pct = |p: f64| times[((times.len() as f64 * p) as usize).min(times.len() - 1)];
    let ms = |d: Duration| d.as_secs_f64() * 1e3;

    println!(
        "== matching on {backend} ({}), designer with {CUSTOMERS} customers",
        redact(&db_url)
    );
    println!(
        "cold: {} WeCom calls ({} batch/get_by_user pages), {:.0} ms",
        after - before,
        batch,
        ms(cold_time)
    );
    println!(
        "warm: p50 {:.2} ms, p99 {:.2} ms over {WARM_REQUESTS} requests (HTTP on loopback, one at a time)",
        ms(pct(0.50)),
        ms(pct(0.99))
    );
    Ok(())
}
