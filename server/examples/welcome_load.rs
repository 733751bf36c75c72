//! The welcome under load (not a test): customers scan orders' 「联系我」 codes while
//! other callbacks arrive at a fixed rate, and for each scan the time from its add
//! event being delivered to the server to the welcome (`send_welcome_msg`) showing at
//! the simulator. Against a `wecom-desk serve` and a `wecom-desk simulate` started by
//! `scripts/bench/welcome.sh` (the simulator's callbacks going to the server, a pool
//! of empty groups owned by `--admin`, who is a server admin):
//!
//! 1. the pool is discovered, `--orders` orders are pushed (`PUT /api/v1/orders/{id}`),
//!    and the designer makes each one's code (`POST /api/orders/{id}/contact-way`);
//! 2. `--rate` callbacks a second go to the server for `--secs` (a thread of their own:
//!    the paced sender of `callback_load`, members' texts by default);
//! 3. meanwhile `--scans` customers scan the codes (in turn), spread over the run:
//!    `POST /sim/contact-ways/{configId}/scan`, which answers once the add event (with
//!    `State` and `WelcomeCode`) has been delivered to the server, answered 200;
//! 4. `GET /sim/welcomes` is polled every `--poll-ms`: a welcome is seen when its
//!    welcome code shows up; its `sentAt` (whole seconds, the simulator's clock) checks
//!    the polled time.
//!
//! Prints the latency percentiles (from the scan's answer, the delivery, to the welcome
//! seen: the poll interval is the resolution), the scan calls' own time (an upper bound
//! on how much earlier the event reached the server), and the welcomes that never
//! came, with the order's note saying why.
//! `cargo run --release -p desk-server --example welcome_load -- --help`

mod common;
mod loadgen;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser;
use futures::stream::{self, StreamExt};
use loadgen::{ms, pct, Kind, Pace};
use parking_lot::Mutex;
use serde_json::{json, Value};

#[derive(Parser)]
#[command(about = "Welcome latency: scans of orders' codes during other callbacks")]
struct Args {
    #[command(flatten)]
    servers: loadgen::Servers,
    #[arg(long, default_value_t = 200)]
    scans: usize,
    /// Orders with a code; scan i scans order i mod orders.
    #[arg(long, default_value_t = 200)]
    orders: usize,
    /// Seconds of other traffic; the scans are spread over the first nine tenths.
    #[arg(long, default_value_t = 10)]
    secs: u64,
    /// Other callbacks a second (0: none).
    #[arg(long, default_value_t = 1000)]
    rate: u64,
    #[arg(long, value_enum, default_value_t = Kind::Text)]
    kind: Kind,
    /// Ids of the other callbacks start here.
    #[arg(long, default_value_t = 7_000_000_000)]
    first_id: u64,
    #[arg(long, default_value_t = 20)]
    poll_ms: u64,
    /// A server admin (the pool's owner).
    #[arg(long, default_value = "wangqiang")]
    admin: String,
    /// The orders' designer.
    #[arg(long, default_value = "zhangwei")]
    designer: String,
}

/// One scan, as it went.
#[derive(Clone)]
struct Scan {
    order: usize,
    sent: Instant,
    answered: Instant,
    /// The simulator's clock at the answer (unix seconds).
    answered_sim_secs: f64,
    code: String,
}

fn unix_secs() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

async fn ok_json(r: reqwest::Response, what: &str) -> anyhow::Result<Value> {
    let status = r.status();
    let body = r.text().await?;
    anyhow::ensure!(status.is_success(), "{what}: {status} {body}");
    Ok(serde_json::from_str(&body).unwrap_or(Value::Null))
}

/// The pool, the orders and their codes: the codes' config ids.
async fn set_up(http: &reqwest::Client, a: &Args) -> anyhow::Result<Vec<String>> {
    let (app, sim) = (&a.servers.app, &a.servers.sim);
    let r = http
        .put(format!("{sim}/sim/callback"))
        .json(&json!({ "url": format!("{app}/wecom/callback") }))
        .send()
        .await?;
    ok_json(r, "PUT /sim/callback").await?;
    let admin = common::login(http, app, sim, &a.admin).await?;
    let r = http
        .post(format!("{app}/api/admin/pool/discover"))
        .header("cookie", &admin)
        .json(&json!({}))
        .send()
        .await?;
    ok_json(r, "pool discover").await?;
    let designer = common::login(http, app, sim, &a.designer).await?;
    let ids: Vec<String> = (0..a.orders).map(|i| format!("WL-{i:05}")).collect();
    stream::iter(ids.iter().enumerate())
        .map(|(i, id)| async move {
            let r = http
                .put(format!("{app}/api/v1/orders/{id}"))
                .bearer_auth(&a.servers.key)
                .json(
                    &json!({"title": format!("压测订单{i} 新房装修"), "designerUserId": a.designer,
                    "projectManagerUserId": "lina", "customerName": format!("客户{i}"),
                    "customerPhone": format!("139{:08}", i)}),
                )
                .send()
                .await?;
            ok_json(r, &format!("PUT order {id}")).await.map(drop)
        })
        .buffer_unordered(8)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<anyhow::Result<()>>()?;
    let made: Vec<anyhow::Result<String>> = stream::iter(ids.iter())
        .map(|id| {
            let designer = designer.clone();
            async move {
                let r = http
                    .post(format!("{app}/api/orders/{id}/contact-way"))
                    .header("cookie", designer)
                    .header("x-desk-request", "1")
                    .send()
                    .await?;
                let v = ok_json(r, &format!("contact way of {id}")).await?;
                v["configId"]
                    .as_str()
                    .map(str::to_string)
                    .ok_or_else(|| anyhow::anyhow!("no configId for {id}: {v}"))
            }
        })
        .buffered(8)
        .collect()
        .await;
    made.into_iter().collect()
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let a = Args::parse();
    anyhow::ensure!(
        a.orders > 0 && a.scans > 0,
        "orders and scans must be positive"
    );
    anyhow::ensure!(
        a.scans <= 500,
        "/sim/welcomes keeps the last 500: at most 500 scans"
    );
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let set_up_at = Instant::now();
    let ways = set_up(&http, &a).await?;
    let clock: Value = http
        .get(format!("{}/sim/clock", a.servers.sim))
        .send()
        .await?
        .json()
        .await?;
    let ahead = clock["aheadSecs"].as_f64().unwrap_or(0.0);
    println!(
        "(set up in {:.1} s: the pool discovered, {} orders with a code; the simulator's clock {ahead} s ahead)",
        set_up_at.elapsed().as_secs_f64(),
        a.orders
    );

    // The other traffic, in a thread of its own (it keeps its own schedule).
    let other = (a.rate > 0).then(|| {
        let pace = Pace {
            urls: vec![a.servers.app.clone()],
            rate: a.rate,
            secs: a.secs,
            warmup_secs: 1,
            kind: a.kind,
            first_id: a.first_id,
            ids: None,
            get: None,
        };
        std::thread::spawn(move || loadgen::paced(&pace))
    });
    // After the sender's warm-up second (and its signing).
    tokio::time::sleep(Duration::from_millis(if a.rate > 0 { 1500 } else { 0 })).await;

    let scans: Arc<Mutex<Vec<Scan>>> = Arc::default();
    let seen: Arc<Mutex<HashMap<String, (Instant, i64)>>> = Arc::default();
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let poller = {
        let (http, url, seen, done, scans) = (
            http.clone(),
            format!("{}/sim/welcomes", a.servers.sim),
            seen.clone(),
            done.clone(),
            scans.clone(),
        );
        let every = Duration::from_millis(a.poll_ms.max(1));
        tokio::spawn(async move {
            let mut polls = 0u64;
            while !done.load(std::sync::atomic::Ordering::Relaxed) {
                let waiting = scans.lock().len() > seen.lock().len();
                if waiting {
                    if let Ok(Ok(list)) = match http.get(&url).send().await {
                        Ok(r) => Ok(r.json::<Vec<Value>>().await),
                        Err(e) => Err(e),
                    } {
                        let now = Instant::now();
                        polls += 1;
                        let mut seen = seen.lock();
                        for w in list {
                            if let Some(code) = w["welcomeCode"].as_str() {
                                let sent_at = w["sentAt"].as_i64().unwrap_or(0);
                                seen.entry(code.to_string()).or_insert((now, sent_at));
                            }
                        }
                    }
                }
                tokio::time::sleep(every).await;
            }
            polls
        })
    };

    let window = Duration::from_secs_f64(a.secs as f64 * 0.9);
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(a.scans);
    for i in 0..a.scans {
        let at = started + window.mul_f64(i as f64 / a.scans as f64);
        let (http, sim, scans) = (http.clone(), a.servers.sim.clone(), scans.clone());
        let order = i % a.orders;
        let way = ways[order].clone();
        tasks.push(tokio::spawn(async move {
            tokio::time::sleep_until(at.into()).await;
            let sent = Instant::now();
            let r = http
                .post(format!("{sim}/sim/contact-ways/{way}/scan"))
                .json(&json!({ "name": format!("到店客户{i}") }))
                .send()
                .await?;
            let answered = Instant::now();
            let answered_sim_secs = unix_secs() + ahead;
            let v = ok_json(r, "scan").await?;
            let status = v["callbacks"][0]["status"]
                .as_str()
                .unwrap_or("?")
                .to_string();
            anyhow::ensure!(
                status == "200",
                "scan {i}: the add event was answered {status}: {v}"
            );
            let code = v["welcomeCode"].as_str().unwrap_or_default().to_string();
            anyhow::ensure!(!code.is_empty(), "scan {i}: no welcome code: {v}");
            scans.lock().push(Scan {
                order,
                sent,
                answered,
                answered_sim_secs,
                code,
            });
            Ok::<_, anyhow::Error>(())
        }));
    }
    let mut failed = 0;
    for t in tasks {
        if let Err(e) = t.await? {
            failed += 1;
            eprintln!("welcome_load: {e}");
        }
    }
    let other = match other {
        Some(t) => Some(
            t.join()
                .map_err(|_| anyhow::anyhow!("the paced sender panicked"))??,
        ),
        None => None,
    };
    // A welcome code is good for 20 s: what has not come by then never will.
    let deadline = Instant::now() + Duration::from_secs(25);
    while Instant::now() < deadline {
        let all = {
            let (s, seen) = (scans.lock(), seen.lock());
            s.iter().all(|x| seen.contains_key(&x.code))
        };
        if all {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    let polls = poller.await?;

    let scans = scans.lock().clone();
    let seen = seen.lock().clone();
    let mut times = Vec::new();
    let mut calls: Vec<Duration> = scans.iter().map(|s| s.answered - s.sent).collect();
    calls.sort();
    let mut missing = Vec::new();
    let mut skew: f64 = 0.0;
    for s in &scans {
        match seen.get(&s.code) {
            Some((at, sent_at)) => {
                times.push(at.saturating_duration_since(s.answered));
                // sentAt is whole seconds: it may read up to 1 s before the answer.
                skew = skew.max(s.answered_sim_secs.floor() - *sent_at as f64);
            }
            None => missing.push(s.order),
        }
    }
    times.sort();
    let other_kind = match a.kind {
        Kind::Text => "members' texts",
        Kind::Chat => "group events the product does not serve",
    };
    println!(
        "== welcome latency: {} scans of {} orders' codes over {:.0} s, during {}/s of other callbacks ({other_kind})",
        a.scans,
        a.orders,
        window.as_secs_f64(),
        a.rate
    );
    anyhow::ensure!(
        !times.is_empty(),
        "no welcome was seen ({failed} scans failed)"
    );
    println!(
        "welcome: p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, max {:.1} ms, missing {}, scans failed {failed}",
        ms(pct(&times, 0.50)),
        ms(pct(&times, 0.90)),
        ms(pct(&times, 0.99)),
        ms(pct(&times, 1.0)),
        missing.len()
    );
    println!(
        "(from the scan's answer, i.e. the add event delivered and answered, to the welcome seen in GET /sim/welcomes, polled {polls} times every {} ms: the resolution)",
        a.poll_ms
    );
    println!(
        "scan call (the customer added and the add event delivered): p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        ms(pct(&calls, 0.50)),
        ms(pct(&calls, 0.99)),
        ms(pct(&calls, 1.0)),
    );
    println!(
        "check: no welcome's sentAt (whole seconds, the simulator's clock) is more than {skew:.0} s before its scan's answer (0 or 1 expected)"
    );
    if let Some(o) = &other {
        println!(
            "other traffic: {} of {} answered 2xx, 503 {}, other {}",
            o.ok,
            o.times.len(),
            o.full,
            o.other
        );
    }
    if !missing.is_empty() {
        missing.sort();
        missing.dedup();
        let designer = common::login(&http, &a.servers.app, &a.servers.sim, &a.designer).await?;
        for order in missing.iter().take(3) {
            let o: Value = http
                .get(format!("{}/api/orders/WL-{order:05}", a.servers.app))
                .header("cookie", &designer)
                .send()
                .await?
                .json()
                .await
                .unwrap_or(Value::Null);
            println!("no welcome for order WL-{order:05}: {}", o["welcomeNote"]);
        }
    }
    Ok(())
}
