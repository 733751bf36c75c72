//! Join ways over HTTP (not a test): starts a server and a simulator in this process,
//! a warm pool of 600 empty customer groups, then `POST /api/orders/{id}/join-way`
//! for 500 distinct orders over HTTP on loopback, 8 at a time: requests per second
//! and latency. Each request takes a pool group, records it as the order's, and makes
//! the join way (`add_join_way` + `get_join_way` at the simulator): each one uses up
//! a group, so it is a fixed run, not an iterated micro-benchmark. SQLite in a temp
//! dir. `cargo run --release -p desk-server --example join_way_over_http` (make bench
//! runs it).

use std::time::Instant;

use desk_server::config::Settings;
use desk_server::startup::Application;
use desk_simulator::fixture::DEMO_FIXTURE;
use desk_simulator::{Fixture, SimulatorServer};
use futures::stream::{self, StreamExt};
use serde_json::json;

const GROUPS: usize = 600;
const ORDERS: usize = 500;
const AT_ONCE: usize = 8;

mod common;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let groups: String = (0..GROUPS)
        .map(|i| {
            format!("\n[[groups]]\nchat_id = \"wrBench{i:05}\"\nname = \"压测群{i}\"\nowner = \"wangqiang\"\n")
        })
        .collect();
    let fixture =
        Fixture::from_toml(&format!("{DEMO_FIXTURE}\n{groups}")).map_err(anyhow::Error::msg)?;
    let sim = SimulatorServer::bind(fixture, "127.0.0.1:0")?;
    let (sim_url, _sim) = sim.spawn();
    let dir = tempfile::tempdir()?;
    let settings = Settings::from_toml_only(&format!(
        r#"
        [server]
        listen = "127.0.0.1:0"
        public_url = "http://127.0.0.1"
        allowed_origins = ["http://127.0.0.1"]
        admin_userids = ["wangqiang"]
        [wecom]
        corp_id = "wwdemo0000000001"
        agent_id = 1000002
        agent_secret = "demo-agent-secret-0001"
        api_base = "{sim_url}"
        oauth_base = "{sim_url}"
        [pool]
        owner_userids = ["wangqiang"]
        low_threshold = 3
        [database]
        url = "sqlite://{}/bench.db"
        [integration]
        api_keys = ["bench-key"]
        "#,
        dir.path().display()
    ))?;
    let app = Application::build(settings).await?;
    let base = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;

    let admin = common::login(&http, &base, &sim_url, "wangqiang").await?;
    let discovered = http
        .post(format!("{base}/api/admin/pool/discover"))
        .header("cookie", &admin)
        .json(&json!({}))
        .send()
        .await?;
    anyhow::ensure!(
        discovered.status().is_success(),
        "discover: {}",
        discovered.status()
    );
    let member = common::login(&http, &base, &sim_url, "zhangwei").await?;
    for i in 0..ORDERS {
        let r = http
            .put(format!("{base}/api/v1/orders/JW-{i:05}"))
            .bearer_auth("bench-key")
            .json(&json!({"title": format!("压测订单{i}"), "designerUserId": "zhangwei",
                "projectManagerUserId": "lina", "customerName": "王女士", "customerPhone": "13900000000"}))
            .send()
            .await?;
        anyhow::ensure!(r.status().is_success(), "order: {}", r.status());
    }

    let started = Instant::now();
    let mut latencies: Vec<f64> = stream::iter(0..ORDERS)
        .map(|i| {
            let (http, base, member) = (http.clone(), base.clone(), member.clone());
            async move {
                let t = Instant::now();
                let r = http
                    .post(format!("{base}/api/orders/JW-{i:05}/join-way"))
                    .header("cookie", &member)
                    .json(&json!({}))
                    .send()
                    .await?;
                anyhow::ensure!(r.status() == 201, "join way {i}: {}", r.status());
                Ok::<_, anyhow::Error>(t.elapsed().as_secs_f64() * 1e3)
            }
        })
        .buffer_unordered(AT_ONCE)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<Result<_, _>>()?;
    let elapsed = started.elapsed().as_secs_f64();
    latencies.sort_by(f64::total_cmp);
    let pct = |p: f64| latencies[((latencies.len() as f64 * p) as usize).min(latencies.len() - 1)];
    println!("== join ways for {ORDERS} distinct orders on a warm pool of {GROUPS} groups, {AT_ONCE} at a time (SQLite)");
    println!(
        "join-way: {:.0} requests/s; p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        ORDERS as f64 / elapsed,
        pct(0.50),
        pct(0.99),
        pct(1.0)
    );
    Ok(())
}
