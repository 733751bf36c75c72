//! What the callback drivers share (`callback_load`, `welcome_load`): callbacks
//! encrypted and signed as WeCom sends them (with the demo `[callback]` keys), the
//! files of them wrk cycles through, and sending them at a fixed rate (open loop,
//! latency from the scheduled send).

#![allow(dead_code)] // each driver uses a part

use std::io::{BufWriter, Write};
use std::time::{Duration, Instant};

use desk_server::clock::now_secs;
use desk_server::wecom::crypto::CallbackCrypto;

/// `[callback]` of the demo config (and of the bench's server config).
pub const TOKEN: &str = "demoCallbackToken";
pub const AES_KEY: &str = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C";
pub const CORP_ID: &str = "wwdemo0000000001";
pub const AGENT_ID: i64 = 1000002;
/// A member of the demo corp: the app-message replies the worker queues reach them.
pub const MEMBER: &str = "zhangwei";

/// What a callback says.
/// The server and simulator a tool drives, and the integration key it uses.
#[derive(Clone, Debug, clap::Args)]
pub struct Servers {
    /// The server, e.g. http://127.0.0.1:8080
    #[arg(long)]
    pub app: String,
    /// The simulator.
    #[arg(long)]
    pub sim: String,
    /// An `integration.api_keys` key.
    #[arg(long)]
    pub key: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Kind {
    /// A member's text to the app (`MsgId` = the id): the worker routes it and queues
    /// an app-message reply.
    Text,
    /// `change_external_chat` / `update` / `add_member` for a customer group the
    /// product does not serve (`ChatId` made from the id): no WeCom call, no write
    /// but the worker's own.
    Chat,
}

pub fn crypto() -> anyhow::Result<CallbackCrypto> {
    CallbackCrypto::new(TOKEN.to_string().into(), AES_KEY, CORP_ID).map_err(anyhow::Error::from)
}

/// Callback `id` of `kind`, as WeCom posts it: the query string and the body. `seq`
/// makes the nonce.
pub fn signed(c: &CallbackCrypto, kind: Kind, id: u64, seq: u64) -> (String, String) {
    let now = now_secs();
    let plain = match kind {
        Kind::Text => format!(
            "<xml><ToUserName><![CDATA[{CORP_ID}]]></ToUserName><FromUserName><![CDATA[{MEMBER}]]></FromUserName><CreateTime>{now}</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[好的，明天上午十点到工地 {id}]]></Content><MsgId>{id}</MsgId><AgentID>{AGENT_ID}</AgentID></xml>"
        ),
        Kind::Chat => format!(
            "<xml><ToUserName><![CDATA[{CORP_ID}]]></ToUserName><FromUserName><![CDATA[sys]]></FromUserName><CreateTime>{now}</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[change_external_chat]]></Event><ChatId><![CDATA[wrNotServed{id}]]></ChatId><ChangeType><![CDATA[update]]></ChangeType><UpdateDetail><![CDATA[add_member]]></UpdateDetail><JoinScene>0</JoinScene><MemChangeCnt>1</MemChangeCnt><MemChangeList><Item><![CDATA[wmBench{id}]]></Item></MemChangeList></xml>"
        ),
    };
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

/// Writes `count` signed requests to `out`, one a line (`query string <TAB> body`),
/// ids from `first` cycling through `ids` of them (every line a new one when `None`);
/// made on every core, written in order.
pub fn write_requests(
    out: &std::path::Path,
    kind: Kind,
    count: u64,
    first: u64,
    ids: Option<u64>,
) -> anyhow::Result<()> {
    let ids = ids.unwrap_or(count).max(1);
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()) as u64;
    let mut w = BufWriter::with_capacity(1 << 20, std::fs::File::create(out)?);
    const CHUNK: u64 = 20_000;
    let mut start = 0;
    while start < count {
        let parts: Vec<String> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..threads)
                .map(|t| {
                    let from = start + t * CHUNK;
                    let to = (from + CHUNK).min(count);
                    s.spawn(move || -> anyhow::Result<String> {
                        let c = crypto()?;
                        let mut text =
                            String::with_capacity(((to.saturating_sub(from)) * 700) as usize);
                        for i in from..to {
                            let (query, body) = signed(&c, kind, first + i % ids, i);
                            text.push_str(&query);
                            text.push('\t');
                            text.push_str(&body);
                            text.push('\n');
                        }
                        Ok(text)
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join()
                        .map_err(|_| anyhow::anyhow!("a writer thread panicked"))?
                })
                .collect::<anyhow::Result<_>>()
        })?;
        for part in parts {
            w.write_all(part.as_bytes())?;
        }
        start += threads * CHUNK;
    }
    w.flush()?;
    Ok(())
}

pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// The `p`-quantile of sorted `times`.
pub fn pct(times: &[Duration], p: f64) -> Duration {
    times[((times.len() as f64 * p) as usize).min(times.len() - 1)]
}

/// What `paced` sends.
#[derive(Clone, Debug)]
pub struct Pace {
    /// Servers, taken in turn.
    pub urls: Vec<String>,
    pub rate: u64,
    pub secs: u64,
    /// Sent at the same rate before, not counted.
    pub warmup_secs: u64,
    pub kind: Kind,
    pub first_id: u64,
    /// Distinct ids, cycled through; every callback a new one when `None`.
    pub ids: Option<u64>,
    /// `GET` this path instead of callbacks (the generator's own floor).
    pub get: Option<String>,
}

/// How a paced run went.
pub struct Paced {
    /// Latency of the counted requests (after the warm-up), sorted.
    pub times: Vec<Duration>,
    pub ok: usize,
    /// Answered 503 (the inbox full: back-pressure).
    pub full: usize,
    /// Anything else: another status, or no answer.
    pub other: usize,
}

/// Sends at `pace.rate` a second, each request at its scheduled time whatever the
/// earlier ones are doing (no coordinated omission); latency from the scheduled time
/// to the whole answer. Prints a summary (`paced: p50 … ms, …`).
pub fn paced(pace: &Pace) -> anyhow::Result<Paced> {
    let Pace {
        rate,
        secs,
        warmup_secs,
        kind,
        first_id: first,
        ids,
        ..
    } = *pace;
    anyhow::ensure!(
        rate > 0 && secs > 0 && !pace.urls.is_empty(),
        "rate, secs and a url are needed"
    );
    let c = crypto()?;
    let warmup = rate * warmup_secs;
    let total = warmup + rate * secs;
    let ids = ids.unwrap_or(total).max(1);
    let requests: Vec<(String, Option<String>)> = (0..total)
        .map(|i| {
            let url = &pace.urls[i as usize % pace.urls.len()];
            match &pace.get {
                Some(path) => (format!("{url}{path}"), None),
                None => {
                    let (query, body) = signed(&c, kind, first + i % ids, i);
                    (format!("{url}/wecom/callback?{query}"), Some(body))
                }
            }
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
            let answer = match body {
                Some(body) => http.post(url).body(body).send().await,
                None => http.get(url).send().await,
            };
            let status = match answer {
                Ok(r) => {
                    let status = r.status().as_u16();
                    if r.bytes().await.is_ok() {
                        status
                    } else {
                        0
                    }
                }
                Err(_) => 0,
            };
            (at.elapsed(), status)
        }));
    }
    let sent_in = start.elapsed();
    let results: Vec<(Duration, u16)> = runtime.block_on(async {
        let mut out = Vec::with_capacity(tasks.len());
        for t in tasks {
            out.push(t.await.unwrap_or((Duration::MAX, 0)));
        }
        out
    });
    let measured = &results[warmup as usize..];
    let ok = measured
        .iter()
        .filter(|(_, s)| (200..300).contains(s))
        .count();
    let full = measured.iter().filter(|(_, s)| *s == 503).count();
    let other = measured.len() - ok - full;
    let mut times: Vec<Duration> = measured.iter().map(|(d, _)| *d).collect();
    times.sort();
    let mut lags = lags.split_off(warmup as usize);
    lags.sort();
    let what = match (&pace.get, kind) {
        (Some(path), _) => format!("GET {path} (the generator's floor)"),
        (None, Kind::Text) if ids >= total => "members' texts, distinct MsgIds".to_string(),
        (None, Kind::Text) => format!("members' texts, {ids} MsgIds over and over"),
        (None, Kind::Chat) => "group events the product does not serve".to_string(),
    };
    println!(
        "== callback acknowledgement at a fixed {rate}/s: {} requests over {secs} s after {warmup_secs} s of warm-up ({what}; open loop; {} server(s))",
        times.len(),
        pace.urls.len()
    );
    println!(
        "paced: p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms, errors {}, 503 {full}",
        ms(pct(&times, 0.50)),
        ms(pct(&times, 0.90)),
        ms(pct(&times, 0.99)),
        ms(pct(&times, 1.0)),
        other,
    );
    println!(
        "schedule: {total} sent in {:.2} s; sending late by p99 {:.3} ms, max {:.3} ms (counted in the latency)",
        sent_in.as_secs_f64(),
        ms(pct(&lags, 0.99)),
        ms(pct(&lags, 1.0)),
    );
    Ok(Paced {
        times,
        ok,
        full,
        other,
    })
}
