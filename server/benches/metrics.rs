//! What metrics cost in-process: one HTTP request's recording (a counter and a
//! histogram, by method, route and status), one WeCom call's, and one render of
//! `/metrics` with a realistic number of series (every route of the server with four
//! statuses, the WeCom endpoints with four errcodes): after nothing new, after a
//! scrape interval's requests, and the first render after a million requests (it folds
//! every recorded duration into its buckets).
//! `cargo bench -p desk-server --bench metrics` (`make bench` runs it in its metrics
//! part, after the HTTP runs with metrics off and on).

use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

use actix_web::http::StatusCode;
use desk_server::metrics;
use metrics_exporter_prometheus::PrometheusHandle;

/// Routes like the server's (its patterns, so ids never multiply them).
const ROUTES: [&str; 24] = [
    "/api/session",
    "/api/jssdk/signatures",
    "/auth/login",
    "/auth/callback",
    "/auth/logout",
    "/api/orders",
    "/api/orders/{id}",
    "/api/orders/{id}/candidates",
    "/api/orders/{id}/group",
    "/api/orders/{id}/appchat",
    "/api/orders/{id}/join-way",
    "/api/contacts/{external_userid}/profile",
    "/api/contacts/{external_userid}/remark-phones",
    "/api/groups/{chat_id}",
    "/api/admin/pool",
    "/api/admin/outbox",
    "/api/v1/orders/{id}",
    "/api/v1/notifications",
    "/api/v1/notifications/{id}",
    "/api/v1/staff/{staff_id}",
    "/api/v1/conversations/{id}/messages",
    "/wecom/callback",
    "/metrics",
    "unmatched",
];
const STATUSES: [StatusCode; 4] = [
    StatusCode::OK,
    StatusCode::BAD_REQUEST,
    StatusCode::FORBIDDEN,
    StatusCode::NOT_FOUND,
];
const ENDPOINTS: [&str; 16] = [
    "cgi-bin/gettoken",
    "cgi-bin/get_jsapi_ticket",
    "cgi-bin/ticket/get",
    "cgi-bin/auth/getuserinfo",
    "cgi-bin/user/get",
    "cgi-bin/externalcontact/list",
    "cgi-bin/externalcontact/get",
    "cgi-bin/externalcontact/batch/get_by_user",
    "cgi-bin/externalcontact/remark",
    "cgi-bin/externalcontact/groupchat/list",
    "cgi-bin/externalcontact/groupchat/get",
    "cgi-bin/externalcontact/groupchat/add_join_way",
    "cgi-bin/appchat/create",
    "cgi-bin/appchat/send",
    "cgi-bin/message/send",
    "cgi-bin/webhook/send",
];
const ERRCODES: [&str; 4] = ["0", "-1", "45009", "transport"];

/// Requests between two scrapes: 15 s at 1,000 requests a second.
const SCRAPE_INTERVAL: usize = 15_000;

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
/// The last render's size, for the line printed after the table.
static RENDERED_BYTES: AtomicUsize = AtomicUsize::new(0);

fn main() -> anyhow::Result<()> {
    HANDLE
        .set(metrics::install()?)
        .map_err(|_| anyhow::anyhow!("installed twice"))?;
    // Every series there is, so that renders have all of them from the start.
    record_requests(0, ROUTES.len() * STATUSES.len());
    record_calls(0, ENDPOINTS.len() * ERRCODES.len());
    divan::main();
    let bytes = RENDERED_BYTES.load(Ordering::Relaxed);
    if bytes > 0 {
        let series = handle()
            .render()
            .lines()
            .filter(|l| !l.starts_with('#'))
            .count();
        println!("one render: {bytes} bytes, {series} series");
    }
    Ok(())
}

fn handle() -> &'static PrometheusHandle {
    HANDLE.get().expect("installed in main")
}

/// Records `n` requests, cycling through the routes and statuses from `from`.
fn record_requests(from: usize, n: usize) {
    for i in from..from + n {
        let route = ROUTES[i % ROUTES.len()];
        let status = STATUSES[(i / ROUTES.len()) % STATUSES.len()];
        metrics::http_request("GET", Some(route.to_string()), status, black_box(0.000_3));
    }
}

/// Records `n` WeCom calls, cycling through the endpoints and errcodes from `from`.
fn record_calls(from: usize, n: usize) {
    for i in from..from + n {
        let endpoint = ENDPOINTS[i % ENDPOINTS.len()];
        let errcode = ERRCODES[(i / ENDPOINTS.len()) % ERRCODES.len()];
        metrics::wecom_call(endpoint, errcode.to_string(), black_box(0.02));
    }
}

/// One HTTP request recorded (counter + histogram, the worker's handles kept).
#[divan::bench]
fn record_http_request(bencher: divan::Bencher) {
    let mut i = 0;
    bencher.bench_local(|| {
        record_requests(i, 1);
        i += 1;
    });
}

/// One WeCom call recorded (counter + histogram, labelled keys built each time).
#[divan::bench]
fn record_wecom_call(bencher: divan::Bencher) {
    let mut i = 0;
    bencher.bench_local(|| {
        record_calls(i, 1);
        i += 1;
    });
}

/// One render of `/metrics` after `new` requests (and a tenth as many WeCom calls)
/// since the last one.
#[divan::bench(args = [0, SCRAPE_INTERVAL], sample_count = 100, sample_size = 1)]
fn render(bencher: divan::Bencher, new: usize) {
    render_after(bencher, new);
}

/// The first render after a million requests and 100,000 WeCom calls.
#[divan::bench(sample_count = 5, sample_size = 1)]
fn render_after_a_million(bencher: divan::Bencher) {
    render_after(bencher, 1_000_000);
}

fn render_after(bencher: divan::Bencher, new: usize) {
    handle().render();
    bencher
        .with_inputs(|| {
            record_requests(0, new);
            record_calls(0, new / 10);
        })
        .bench_local_values(|()| {
            let text = handle().render();
            RENDERED_BYTES.store(text.len(), Ordering::Relaxed);
            text
        });
}
