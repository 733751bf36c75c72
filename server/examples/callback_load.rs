//! Load for the callback pipeline (not a test, not a micro-benchmark): sends
//! callbacks and notifications over HTTP to a `wecom-desk serve` and watches a
//! `wecom-desk simulate`, both started by `scripts/bench/callbacks.sh`.
//!
//! - `requests`: writes signed `POST /wecom/callback` requests, one a line
//!   (`query string <TAB> body`), for wrk to cycle through: text messages from a
//!   member, encrypted and signed with the demo callback keys, `--ids` distinct
//!   `MsgId`s from `--first-msg-id` (fewer ids than lines: the same messages again).
//! - `paced`: callbacks at a fixed rate, each sent at its scheduled time whatever the
//!   earlier ones are doing (no coordinated omission); latency from the scheduled time
//!   to the answer, percentiles printed.
//! - `notify`: `POST /api/v1/notifications` round-robin over the given robots, spaced
//!   so that no robot goes past its 20 a minute, while `GET /sim/messages` is polled:
//!   the time from the 202 to the robot message showing at the simulator.
//!
//! The endpoint's database step alone is a micro-benchmark: `benches/inbox.rs`.
//! `cargo run --release -p desk-server --example callback_load -- --help`

use std::collections::HashMap;
use std::io::{BufWriter, Write};
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::{Parser, Subcommand};
use desk_server::clock::now_secs;
use desk_server::wecom::crypto::CallbackCrypto;
use parking_lot::Mutex;
use serde_json::{json, Value};

/// `[callback]` of the demo config (and of the bench's server config).
const TOKEN: &str = "demoCallbackToken";
const AES_KEY: &str = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C";
const CORP_ID: &str = "wwdemo0000000001";
const AGENT_ID: i64 = 1000002;
/// A member of the demo corp: the app-message replies the worker queues reach them.
const MEMBER: &str = "zhangwei";

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
        /// Lines written.
        #[arg(long)]
        count: u64,
        #[arg(long)]
        first_msg_id: u64,
        /// Distinct MsgIds, cycled through; every line a new one when not given.
        #[arg(long)]
        ids: Option<u64>,
    },
    /// Callbacks at a fixed rate; latency percentiles.
    Paced {
        /// The server, e.g. http://127.0.0.1:8080
        #[arg(long)]
        url: String,
        #[arg(long, default_value_t = 1000)]
        rate: u64,
        #[arg(long, default_value_t = 10)]
        secs: u64,
        /// Sent at the same rate before, not counted.
        #[arg(long, default_value_t = 1)]
        warmup_secs: u64,
        #[arg(long)]
        first_msg_id: u64,
        /// Distinct MsgIds, cycled through (ids sent before: duplicates); every
        /// callback a new one when not given.
        #[arg(long)]
        ids: Option<u64>,
    },
    /// Notification accepted → robot message at the simulator.
    Notify {
        #[arg(long)]
        app: String,
        #[arg(long)]
        sim: String,
        /// An `integration.api_keys` key.
        #[arg(long)]
        key: String,
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

fn crypto() -> anyhow::Result<CallbackCrypto> {
    CallbackCrypto::new(TOKEN.to_string().into(), AES_KEY, CORP_ID).map_err(anyhow::Error::from)
}

/// A member's text to the app, as WeCom posts it: the query string and the body.
fn signed_text(c: &CallbackCrypto, msg_id: u64, seq: u64) -> (String, String) {
    let now = now_secs();
    let plain = format!(
        "<xml><ToUserName><![CDATA[{CORP_ID}]]></ToUserName><FromUserName><![CDATA[{MEMBER}]]></FromUserName><CreateTime>{now}</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[好的，明天上午十点到工地 {msg_id}]]></Content><MsgId>{msg_id}</MsgId><AgentID>{AGENT_ID}</AgentID></xml>"
    );
    let encrypt = c.encrypt(&plain);
    let ts = now.to_string();
    let nonce = format!("{seq:x}{:08x}", rand::random::<u32>());
    let sig = c.sign(&ts, &nonce, &encrypt);
    (
        format!("msg_signature={sig}&timestamp={ts}&nonce={nonce}"),
        format!(
            "<xml><ToUserName><![CDATA[{CORP_ID}]]></ToUserName><Encrypt><![CDATA[{encrypt}]]></Encrypt><AgentID><![CDATA[{AGENT_ID}]]></AgentID></xml>"
        ),
    )
}

fn write_requests(
    out: &std::path::Path,
    count: u64,
    first: u64,
    ids: Option<u64>,
) -> anyhow::Result<()> {
    let c = crypto()?;
    let ids = ids.unwrap_or(count).max(1);
    let mut w = BufWriter::new(std::fs::File::create(out)?);
    for i in 0..count {
        let (query, body) = signed_text(&c, first + i % ids, i);
        writeln!(w, "{query}\t{body}")?;
    }
    w.flush()?;
    Ok(())
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// The `p`-quantile of sorted `times`.
fn pct(times: &[Duration], p: f64) -> Duration {
    times[((times.len() as f64 * p) as usize).min(times.len() - 1)]
}

/// What `paced` sends.
struct Pace {
    rate: u64,
    secs: u64,
    warmup_secs: u64,
    first_msg_id: u64,
    ids: Option<u64>,
}

fn paced(url: &str, pace: &Pace) -> anyhow::Result<()> {
    let Pace {
        rate,
        secs,
        warmup_secs,
        first_msg_id: first,
        ids,
    } = *pace;
    anyhow::ensure!(rate > 0 && secs > 0, "rate and secs must be positive");
    let c = crypto()?;
    let warmup = rate * warmup_secs;
    let total = warmup + rate * secs;
    let ids = ids.unwrap_or(total).max(1);
    let endpoint = format!("{url}/wecom/callback");
    let requests: Vec<(String, String)> = (0..total)
        .map(|i| {
            let (query, body) = signed_text(&c, first + i % ids, i);
            (format!("{endpoint}?{query}"), body)
        })
        .collect();
    // One runtime thread for the requests; this thread only keeps the schedule
    // (std's sleep is precise to tens of µs, tokio's timer to a millisecond).
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;
    let http = reqwest::Client::new();
    let period = Duration::from_secs_f64(1.0 / rate as f64);
    let start = Instant::now() + Duration::from_millis(50);
    let mut tasks = Vec::with_capacity(requests.len());
    let mut lags = Vec::with_capacity(requests.len());
    for (i, (url, body)) in requests.into_iter().enumerate() {
        let at = start + period * i as u32;
        if let Some(wait) = at.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
        lags.push(at.elapsed());
        let http = http.clone();
        tasks.push(runtime.spawn(async move {
            let answer = http.post(url).body(body).send().await;
            let ok = match answer {
                Ok(r) => r.status().is_success() && r.bytes().await.is_ok(),
                Err(_) => false,
            };
            (at.elapsed(), ok)
        }));
    }
    let sent_in = start.elapsed();
    let results: Vec<(Duration, bool)> = runtime.block_on(async {
        let mut out = Vec::with_capacity(tasks.len());
        for t in tasks {
            out.push(t.await.unwrap_or((Duration::MAX, false)));
        }
        out
    });
    let measured = &results[warmup as usize..];
    let errors = measured.iter().filter(|(_, ok)| !ok).count();
    let mut times: Vec<Duration> = measured.iter().map(|(d, _)| *d).collect();
    times.sort();
    let mut lags = lags.split_off(warmup as usize);
    lags.sort();
    let kind = if ids >= total {
        "distinct MsgIds".to_string()
    } else {
        format!("{ids} MsgIds over and over")
    };
    println!(
        "== callback acknowledgement at a fixed {rate}/s: {} callbacks over {secs} s after {warmup_secs} s of warm-up ({kind}, open loop)",
        times.len()
    );
    println!(
        "paced: p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms, errors {errors}",
        ms(pct(&times, 0.50)),
        ms(pct(&times, 0.90)),
        ms(pct(&times, 0.99)),
        ms(pct(&times, 1.0)),
    );
    println!(
        "schedule: {total} sent in {:.2} s; sending late by p99 {:.3} ms, max {:.3} ms (counted in the latency)",
        sent_in.as_secs_f64(),
        ms(pct(&lags, 0.99)),
        ms(pct(&lags, 1.0)),
    );
    anyhow::ensure!(errors == 0, "{errors} callbacks were not answered 2xx");
    Ok(())
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
            count,
            first_msg_id,
            ids,
        } => write_requests(&out, count, first_msg_id, ids),
        Command::Paced {
            url,
            rate,
            secs,
            warmup_secs,
            first_msg_id,
            ids,
        } => paced(
            &url,
            &Pace {
                rate,
                secs,
                warmup_secs,
                first_msg_id,
                ids,
            },
        ),
        Command::Notify {
            app,
            sim,
            key,
            robots,
            count,
            spacing_ms,
        } => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?
            .block_on(notify(
                &app,
                &sim,
                &key,
                &robots,
                count,
                Duration::from_millis(spacing_ms),
            )),
    }
}
