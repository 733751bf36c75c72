//! Load for the callback pipeline (not a test, not a micro-benchmark): sends
//! callbacks and notifications over HTTP to `wecom-desk serve` instances and watches a
//! `wecom-desk simulate`, both started by `scripts/bench/callbacks.sh`.
//!
//! - `requests`: writes signed `POST /wecom/callback` requests, one a line
//!   (`query string <TAB> body`), for wrk to cycle through (`callbacks.lua`) or send
//!   once each (`burst.lua`): members' texts to the app (`--kind text`, `--ids`
//!   distinct `MsgId`s from `--first-id`; fewer ids than lines: the same messages
//!   again) or group events the product does not serve (`--kind chat`).
//! - `paced`: callbacks (or `GET --get PATH`, the generator's floor) at a fixed rate,
//!   each sent at its scheduled time whatever the earlier ones are doing (no
//!   coordinated omission), round-robin over the `--url`s; latency from the scheduled
//!   time to the answer, percentiles printed.
//! - `notify`: `POST /api/v1/notifications` round-robin over the given robots, spaced
//!   so that no robot goes past its 20 a minute, while `GET /sim/messages` is polled:
//!   the time from the 202 to the robot message showing at the simulator.
//!
//! The endpoint's database step alone is a micro-benchmark: `benches/inbox.rs`.
//! `cargo run --release -p desk-server --example callback_load -- --help`

mod loadgen;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::{Parser, Subcommand};
use loadgen::{ms, pct, Kind, Pace};
use parking_lot::Mutex;
use serde_json::{json, Value};

#[derive(Parser)]
#[command(about = "Load for the callback pipeline: signed callbacks and notifications")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Writes signed callback requests, one a line, for wrk.
    Requests {
        #[arg(long)]
        out: std::path::PathBuf,
        #[arg(long, value_enum, default_value_t = Kind::Text)]
        kind: Kind,
        /// Lines written.
        #[arg(long)]
        count: u64,
        #[arg(long, alias = "first-msg-id")]
        first_id: u64,
        /// Distinct ids, cycled through; every line a new one when not given.
        #[arg(long)]
        ids: Option<u64>,
    },
    /// Callbacks at a fixed rate; latency percentiles.
    Paced {
        /// A server, e.g. http://127.0.0.1:8080; several are taken in turn.
        #[arg(long, required = true, value_delimiter = ',')]
        url: Vec<String>,
        #[arg(long, default_value_t = 1000)]
        rate: u64,
        #[arg(long, default_value_t = 10)]
        secs: u64,
        /// Sent at the same rate before, not counted.
        #[arg(long, default_value_t = 1)]
        warmup_secs: u64,
        #[arg(long, value_enum, default_value_t = Kind::Text)]
        kind: Kind,
        #[arg(long, alias = "first-msg-id", default_value_t = 0)]
        first_id: u64,
        /// Distinct ids, cycled through (ids sent before: duplicates); every
        /// callback a new one when not given.
        #[arg(long)]
        ids: Option<u64>,
        /// `GET` this path (e.g. /healthz) instead: what the generator adds.
        #[arg(long)]
        get: Option<String>,
        /// Fail unless every counted request was answered 2xx.
        #[arg(long)]
        strict: bool,
    },
    /// Notification accepted → robot message at the simulator.
    Notify {
        #[command(flatten)]
        servers: loadgen::Servers,
        /// Robot names in `robot.webhook_urls`, comma-separated.
        #[arg(long, value_delimiter = ',')]
        robots: Vec<String>,
        /// At most 20 per robot: the robots' minute is not waited out.
        #[arg(long, default_value_t = 200)]
        count: usize,
        #[arg(long, default_value_t = 50)]
        spacing_ms: u64,
    },
}

/// The bench tag a notification carries in its text.
fn tag(i: usize) -> String {
    format!("[bench-{i:05}]")
}

async fn notify(
    app: &str,
    sim: &str,
    key: &str,
    robots: &[String],
    count: usize,
    spacing: Duration,
) -> anyhow::Result<()> {
    anyhow::ensure!(!robots.is_empty(), "name at least one robot");
    anyhow::ensure!(
        count <= 20 * robots.len(),
        "{count} notifications are more than 20 a robot: the robots' minute would be waited out"
    );
    let http = reqwest::Client::new();
    let seen: Arc<Mutex<HashMap<String, Instant>>> = Arc::default();
    let stop = Arc::new(tokio::sync::Notify::new());
    // Only messages after these are the bench's.
    let before: Value = http
        .get(format!("{sim}/sim/messages"))
        .send()
        .await?
        .json()
        .await?;
    let skip = before["messages"].as_array().map_or(0, Vec::len);
    let poller = {
        let (http, seen, stop, url) = (
            http.clone(),
            seen.clone(),
            stop.clone(),
            format!("{sim}/sim/messages"),
        );
        tokio::spawn(async move {
            let mut polls = 0u64;
            let mut done = skip;
            loop {
                let got: Option<Value> = match http.get(&url).send().await {
                    Ok(r) => r.json().await.ok(),
                    Err(_) => None,
                };
                let now = Instant::now();
                polls += 1;
                let messages = got
                    .as_ref()
                    .and_then(|v| v["messages"].as_array())
                    .map(Vec::as_slice)
                    .unwrap_or_default();
                for m in messages.iter().skip(done) {
                    let text = m["body"]["text"]["content"].as_str().unwrap_or_default();
                    if let Some(at) = text.find("[bench-") {
                        let t = text[at..].split(']').next().unwrap_or_default();
                        seen.lock().entry(format!("{t}]")).or_insert(now);
                    }
                }
                done = done.max(messages.len());
                tokio::select! {
                    _ = stop.notified() => return polls,
                    _ = tokio::time::sleep(Duration::from_millis(1)) => {}
                }
            }
        })
    };

    let started = Instant::now();
    let mut accepted = Vec::with_capacity(count);
    for i in 0..count {
        let at = started + spacing * i as u32;
        tokio::time::sleep_until(at.into()).await;
        let robot = &robots[i % robots.len()];
        let r = http
            .post(format!("{app}/api/v1/notifications"))
            .bearer_auth(key)
            .json(&json!({
                "conversationId": format!("bench-{i}"),
                "text": format!("客户王女士：明天几点到？{}", tag(i)),
                "robot": robot,
            }))
            .send()
            .await?;
        let status = r.status();
        let acked = Instant::now();
        let body: Value = r.json().await?;
        anyhow::ensure!(status.as_u16() == 202, "notification {i}: {status} {body}");
        accepted.push(acked);
    }
    // Everything should be at the robots well within this.
    let deadline = Instant::now() + Duration::from_secs(10);
    while seen.lock().len() < count && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    stop.notify_one();
    let polls = poller.await?;
    let seen = seen.lock();
    let mut times: Vec<Duration> = accepted
        .iter()
        .enumerate()
        .filter_map(|(i, acked)| {
            seen.get(&tag(i))
                .map(|s| s.saturating_duration_since(*acked))
        })
        .collect();
    let missing = count - times.len();
    anyhow::ensure!(!times.is_empty(), "no notification reached a robot");
    times.sort();
    println!(
        "== notification accepted (202) → robot message at the simulator: {count} notifications, one every {} ms, round-robin over {} robot(s)",
        spacing.as_millis(),
        robots.len()
    );
    println!(
        "notify: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms, missing {missing}",
        ms(pct(&times, 0.50)),
        ms(pct(&times, 0.99)),
        ms(pct(&times, 1.0)),
    );
    println!(
        "(GET /sim/messages polled {polls} times, about every {:.1} ms: the resolution; the simulator's `at` is whole seconds)",
        ms(started.elapsed()) / polls.max(1) as f64
    );
    anyhow::ensure!(
        missing == 0,
        "{missing} notifications never reached a robot"
    );
    Ok(())
}

fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Requests {
            out,
            kind,
            count,
            first_id,
            ids,
        } => loadgen::write_requests(&out, kind, count, first_id, ids),
        Command::Paced {
            url,
            rate,
            secs,
            warmup_secs,
            kind,
            first_id,
            ids,
            get,
            strict,
        } => {
            let run = loadgen::paced(&Pace {
                urls: url,
                rate,
                secs,
                warmup_secs,
                kind,
                first_id,
                ids,
                get,
            })?;
            anyhow::ensure!(
                !strict || run.ok == run.times.len(),
                "{} requests were not answered 2xx",
                run.times.len() - run.ok
            );
            Ok(())
        }
        Command::Notify {
            servers,
            robots,
            count,
            spacing_ms,
        } => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?
            .block_on(notify(
                &servers.app,
                &servers.sim,
                &servers.key,
                &robots,
                count,
                Duration::from_millis(spacing_ms),
            )),
    }
}
