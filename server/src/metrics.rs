//! Prometheus metrics: the names of everything measured, the one recorder of the
//! process, one-line recording functions for the call sites and the HTTP middleware
//! (docs/metrics.md says what each one means). `GET /metrics` is `scrape`.
//!
//! The recorder is process-wide (the `metrics` facade has one global recorder): a
//! process running several apps (the api tests) shares the counters, so tests look
//! at deltas. What is read from the database at scrape time (the outbox) is not in
//! the recorder but written per app, from that app's database, into its answer.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use anyhow::Context;
use metrics::{counter, describe_counter, describe_histogram, histogram, Counter, Histogram, Unit};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

// ---- names ------------------------------------------------------------------------

/// Requests answered, by `method`, `route` (the matched pattern) and `status`.
pub const HTTP_REQUESTS: &str = "http_requests_total";
/// How long answering took, by `method` and `route`.
pub const HTTP_DURATION: &str = "http_request_duration_seconds";
/// HTTP requests sent to WeCom, by `endpoint` (`cgi-bin/…`) and `errcode`.
pub const WECOM_REQUESTS: &str = "wecom_requests_total";
/// How long one WeCom request took, by `endpoint`.
pub const WECOM_DURATION: &str = "wecom_request_duration_seconds";
/// Credential refreshes, by `kind` and `outcome`.
pub const CREDENTIAL_REFRESHES: &str = "wecom_credential_refreshes_total";
/// Outbox rows not yet sent, by `kind` (read at scrape time).
pub const OUTBOX_DEPTH: &str = "outbox_depth";
/// Age of the oldest row not yet sent, by `kind` (0 when none).
pub const OUTBOX_OLDEST_AGE: &str = "outbox_oldest_age_seconds";
/// Outbox rows given up on, by `kind`.
pub const OUTBOX_FAILED: &str = "outbox_failed";
/// Verified callbacks handed to the inbox (new ones and repeats).
pub const CALLBACKS_RECEIVED: &str = "callbacks_received_total";
/// Of those, repeats of one stored before.
pub const CALLBACKS_DEDUPLICATED: &str = "callbacks_deduplicated_total";
/// Callbacks refused, by `reason`.
pub const CALLBACKS_REJECTED: &str = "callbacks_rejected_total";
/// Stored callbacks whose processing was given up after the last try.
pub const CALLBACKS_FAILED: &str = "callbacks_failed_total";
/// Refreshes of a member's customer mirror, by `outcome`.
pub const CUSTOMER_MIRROR_REFRESHES: &str = "customer_mirror_refreshes_total";
/// Quick replies members sent into a chat from the sidebar.
pub const REPLIES_SENT: &str = "replies_sent_total";
/// Welcomes to customers who scanned an order's code, by `outcome` (`sent`, `failed`).
pub const WELCOMES: &str = "welcomes_total";

/// Histogram buckets of every duration: 1 ms to 10 s.
pub const DURATION_BUCKETS: [f64; 13] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// What Prometheus's text format 0.0.4 is answered as.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// The route label of a request no resource matched (ids never become labels).
pub const UNMATCHED: &str = "unmatched";

// ---- the recorder -----------------------------------------------------------------

static RECORDER: OnceLock<Result<PrometheusHandle, String>> = OnceLock::new();

/// The process's recorder, installed by the first call. Upkeep (folding recorded
/// durations into their buckets, so memory stays bounded between scrapes) runs on a
/// thread of its own: apps and their runtimes may come and go, the recorder stays.
pub fn install() -> anyhow::Result<PrometheusHandle> {
    RECORDER
        .get_or_init(|| {
            let handle = PrometheusBuilder::new()
                .set_buckets(&DURATION_BUCKETS)
                .map_err(|e| e.to_string())?
                .install_recorder()
                .map_err(|e| e.to_string())?;
            describe();
            let upkeep = handle.clone();
            std::thread::Builder::new()
                .name("metrics-upkeep".into())
                .spawn(move || loop {
                    std::thread::sleep(Duration::from_secs(5));
                    upkeep.run_upkeep();
                })
                .map_err(|e| e.to_string())?;
            Ok(handle)
        })
        .clone()
        .map_err(anyhow::Error::msg)
        .context("cannot install the metrics recorder")
}

/// The `# HELP` lines.
fn describe() {
    describe_counter!(HTTP_REQUESTS, "HTTP requests answered");
    describe_histogram!(
        HTTP_DURATION,
        Unit::Seconds,
        "Time to answer an HTTP request"
    );
    describe_counter!(
        WECOM_REQUESTS,
        "HTTP requests sent to WeCom, retries each counted"
    );
    describe_histogram!(WECOM_DURATION, Unit::Seconds, "Time of one WeCom request");
    describe_counter!(
        CREDENTIAL_REFRESHES,
        "Access token and JS-SDK ticket refreshes"
    );
    describe_counter!(
        CALLBACKS_RECEIVED,
        "Verified WeCom callbacks handed to the inbox, repeats included"
    );
    describe_counter!(
        CALLBACKS_DEDUPLICATED,
        "Callbacks that repeated one stored before"
    );
    describe_counter!(CALLBACKS_REJECTED, "Callbacks refused");
    describe_counter!(
        CALLBACKS_FAILED,
        "Stored callbacks given up on after their last try"
    );
    describe_counter!(
        CUSTOMER_MIRROR_REFRESHES,
        "Refreshes of a member's customer mirror"
    );
    describe_counter!(
        REPLIES_SENT,
        "Quick replies sent into a chat from the sidebar"
    );
    describe_counter!(
        WELCOMES,
        "Welcomes sent to customers who scanned an order's code"
    );
    // Shown from the start (at 0), so a ratio or rate of them is defined at once.
    for name in [
        CALLBACKS_RECEIVED,
        CALLBACKS_DEDUPLICATED,
        CALLBACKS_FAILED,
        REPLIES_SENT,
    ] {
        counter!(name).absolute(0);
    }
}

// ---- recording (each a no-op while no recorder is installed) ----------------------

/// The series of one (method, route, status), as the recorder handed them out.
type HttpSeries = HashMap<(&'static str, String, u16), (Counter, Histogram)>;

thread_local! {
    /// Each HTTP worker's handles, so a request costs a map lookup and two atomic
    /// updates instead of building and looking up two labelled keys in the recorder
    /// (benches/metrics.rs: 160-250 ns a request against 750 ns).
    static HTTP_SERIES: RefCell<HttpSeries> = RefCell::new(HashMap::new());
}

/// One answered HTTP request.
pub fn http_request(method: &'static str, route: Option<String>, status: StatusCode, secs: f64) {
    // Before the recorder is installed there is nothing to count into (and a handle
    // kept now would stay a no-op).
    if !RECORDER.get().is_some_and(Result::is_ok) {
        return;
    }
    let key = (
        method,
        route.unwrap_or_else(|| UNMATCHED.to_string()),
        status.as_u16(),
    );
    HTTP_SERIES.with_borrow_mut(|series| {
        let (requests, duration) = series.entry(key).or_insert_with_key(|(method, route, status)| {
            (
                counter!(HTTP_REQUESTS, "method" => *method, "route" => route.clone(), "status" => status.to_string()),
                histogram!(HTTP_DURATION, "method" => *method, "route" => route.clone()),
            )
        });
        requests.increment(1);
        duration.record(secs);
    });
}

/// One request sent to WeCom: `endpoint` is its path (`cgi-bin/user/get`, never the
/// query), `errcode` `0`, the errcode, `transport`, `timeout`, `http_502`, `decode`.
pub fn wecom_call(endpoint: &str, errcode: String, secs: f64) {
    counter!(WECOM_REQUESTS, "endpoint" => endpoint.to_string(), "errcode" => errcode).increment(1);
    histogram!(WECOM_DURATION, "endpoint" => endpoint.to_string()).record(secs);
}

/// A WeCom request under way. Dropped before `finish` (the member's request ran out of
/// its deadline and the call was cut off), it counts as a `timeout`.
pub struct WeComCall<'a> {
    endpoint: &'a str,
    started: Instant,
    done: bool,
}

impl<'a> WeComCall<'a> {
    pub fn start(endpoint: &'a str) -> Self {
        Self {
            endpoint,
            started: Instant::now(),
            done: false,
        }
    }

    pub fn finish(mut self, errcode: String) {
        self.done = true;
        wecom_call(self.endpoint, errcode, self.started.elapsed().as_secs_f64());
    }
}

impl Drop for WeComCall<'_> {
    fn drop(&mut self) {
        if !self.done {
            wecom_call(
                self.endpoint,
                "timeout".into(),
                self.started.elapsed().as_secs_f64(),
            );
        }
    }
}

/// A credential refresh: `kind` `access_token`, `corp_ticket` or `agent_ticket`;
/// `outcome` `fetched`, `shared` (another instance's, from the database) or `failed`.
pub fn credential_refresh(kind: &'static str, outcome: &'static str) {
    counter!(CREDENTIAL_REFRESHES, "kind" => kind, "outcome" => outcome).increment(1);
}

/// A verified callback handed to the inbox; `repeat` when stored before.
pub fn callback_received(repeat: bool) {
    counter!(CALLBACKS_RECEIVED).increment(1);
    if repeat {
        counter!(CALLBACKS_DEDUPLICATED).increment(1);
    }
}

/// A callback refused, and why (`bad_signature`, `stale_timestamp`, `bad_body`, …).
pub fn callback_rejected(reason: &'static str) {
    counter!(CALLBACKS_REJECTED, "reason" => reason).increment(1);
}

/// A stored callback given up on.
pub fn callback_failed() {
    counter!(CALLBACKS_FAILED).increment(1);
}

/// A member's customer mirror refresh: `refreshed`, `shared` (another caller's or
/// instance's refresh served it) or `failed`.
pub fn customer_mirror_refresh(outcome: &'static str) {
    counter!(CUSTOMER_MIRROR_REFRESHES, "outcome" => outcome).increment(1);
}

/// A member sent a quick reply into a chat.
pub fn reply_sent() {
    counter!(REPLIES_SENT).increment(1);
}

/// A welcome WeCom took (or refused) for a customer who scanned an order's code.
pub fn welcome_sent(ok: bool) {
    let outcome = if ok { "sent" } else { "failed" };
    counter!(WELCOMES, "outcome" => outcome).increment(1);
}

// ---- the HTTP middleware ----------------------------------------------------------

/// Counts and times every request by method, matched route pattern and status.
pub async fn measure(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let method = method_label(req.method());
    let result = next.call(req).await;
    let secs = started.elapsed().as_secs_f64();
    match &result {
        Ok(res) => http_request(method, res.request().match_pattern(), res.status(), secs),
        Err(e) => http_request(method, None, e.as_response_error().status_code(), secs),
    }
    result
}

/// A bounded label: the standard methods, `other` for anything a client makes up.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}
