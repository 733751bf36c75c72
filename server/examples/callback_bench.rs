//! Callback and notification benchmark helpers (not a test); `scripts/bench.sh` runs
//! them against a `wecom-desk serve` and a `wecom-desk simulate` it started.
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
//! - `inbox-cost`: the endpoint's database step alone, in this process, no HTTP:
//!   `callback::store::insert_once` from 64 tasks on the server's SQLite pool (new
//!   keys, then the same keys again), on a pool that does not ping a connection before
//!   handing it out, and as one writer committing 64 inserts at a time; wall rate and
//!   CPU (all threads) per insert.
//!
//! `cargo run --release -p desk-server --example callback_bench -- --help`

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
#[command(about = "Callback and notification benchmark helpers")]
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
    /// The database step of the endpoint alone, on a fresh SQLite file.
    InboxCost {
        /// Inserts per variant.
        #[arg(long, default_value_t = 20_000)]
        count: usize,
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

/// CPU time of this process so far (every thread), from /proc.
fn cpu_time(hz: f64) -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // The fields after the command name, which is in parentheses.
    let rest = stat.rsplit(')').next().unwrap_or_default();
    let f: Vec<f64> = rest
        .split_whitespace()
        .map(|x| x.parse().unwrap_or(0.0))
        .collect();
    // utime and stime are fields 14 and 15 of the whole line, 12 and 13 here.
    Duration::from_secs_f64((f.get(11).unwrap_or(&0.0) + f.get(12).unwrap_or(&0.0)) / hz)
}

fn clock_ticks() -> f64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(100.0)
}

/// `count` inbox inserts of keys `first..`, 64 at a time, on `db`; prints a line.
async fn insert_run(
    what: &str,
    db: &desk_server::db::Db,
    first: usize,
    count: usize,
    hz: f64,
) -> anyhow::Result<u64> {
    use desk_server::callback::store::{insert_once, Delivery};
    let c0 = cpu_time(hz);
    let t0 = Instant::now();
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let tasks: Vec<_> = (0..64)
        .map(|_| {
            let (db, next) = (db.clone(), next.clone());
            tokio::spawn(async move {
                let mut new = 0u64;
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    if i >= count {
                        return Ok::<_, sqlx::Error>(new);
                    }
                    let key = format!("msg:{}", first + i);
                    let body = inbox_body(first + i);
                    let d = Delivery {
                        dedup_key: &key,
                        msg_type: "text",
                        event: "",
                        change_type: "",
                        body: &body,
                    };
                    new += u64::from(insert_once(&db, &d).await?);
                }
            })
        })
        .collect();
    let mut new = 0;
    for t in tasks {
        new += t.await??;
    }
    report(what, count, new, t0.elapsed(), cpu_time(hz) - c0);
    Ok(new)
}

fn inbox_body(id: usize) -> String {
    format!(
        "<xml><ToUserName><![CDATA[{CORP_ID}]]></ToUserName><FromUserName><![CDATA[{MEMBER}]]></FromUserName><CreateTime>{}</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[好的，明天上午十点到工地 {id}]]></Content><MsgId>{id}</MsgId><AgentID>{AGENT_ID}</AgentID></xml>",
        now_secs()
    )
}

fn report(what: &str, count: usize, new: u64, wall: Duration, cpu: Duration) {
    println!(
        "{what:<52} {:>7.0}/s  {:>5.0} µs CPU each  ({new} of {count} new)",
        count as f64 / wall.as_secs_f64(),
        cpu.as_secs_f64() * 1e6 / count as f64,
    );
}

async fn inbox_cost(count: usize) -> anyhow::Result<()> {
    use sqlx::Executor;
    let hz = clock_ticks();
    let dir = tempfile::tempdir()?;
    let url = format!("sqlite://{}/inbox.db", dir.path().display());
    let db = desk_server::db::connect(&url).await?;
    println!("== the callback endpoint's database step alone (callback::store::insert_once), {count} inserts per line, 64 tasks, one runtime thread");
    insert_run("server's pool (db::connect), new keys", &db, 0, count, hz).await?;
    insert_run("server's pool, the same keys again", &db, 0, count, hz).await?;
    // The server's pool settings less the ping before each acquire.
    let quiet = sqlx::any::AnyPoolOptions::new()
        .max_connections(8)
        .test_before_acquire(false)
        .after_connect(|conn, _| {
            Box::pin(async move {
                conn.execute(
                    "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                     PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;",
                )
                .await
                .map(drop)
            })
        })
        .connect(&url)
        .await?;
    insert_run(
        "same, test_before_acquire(false), new keys",
        &quiet,
        count,
        count,
        hz,
    )
    .await?;
    // One writer, 64 inserts a transaction: what batching the endpoint's inserts gives.
    let mut conn = quiet.acquire().await?;
    let c0 = cpu_time(hz);
    let t0 = Instant::now();
    let mut new = 0u64;
    for chunk in (2 * count..3 * count).collect::<Vec<_>>().chunks(64) {
        let mut tx = sqlx::Connection::begin(&mut *conn).await?;
        for &i in chunk {
            let done = sqlx::query(
                "INSERT INTO callback_inbox (dedup_key, received_at, msg_type, event, change_type, body)
                 VALUES ($1, $2, $3, '', '', $4) ON CONFLICT (dedup_key) DO NOTHING",
            )
            .bind(format!("msg:{i}"))
            .bind(now_secs())
            .bind("text")
            .bind(inbox_body(i))
            .execute(&mut *tx)
            .await?;
            new += done.rows_affected();
        }
        tx.commit().await?;
    }
    report(
        "one connection, 64 inserts a transaction, new keys",
        count,
        new,
        t0.elapsed(),
        cpu_time(hz) - c0,
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
        Command::InboxCost { count } => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?
            .block_on(inbox_cost(count)),
    }
}
