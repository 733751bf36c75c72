//! What metrics cost in-process: one HTTP request's recording (a counter and a
//! histogram, by method, route and status), one WeCom call's, and one render of
//! `/metrics` with a realistic number of series (every route of the server, a few
//! statuses each, the WeCom endpoints with a few errcodes) after many requests:
//! `cargo run --release -p desk-server --example metrics_bench`.

use std::hint::black_box;
use std::time::Instant;

use actix_web::http::StatusCode;
use desk_server::metrics;

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

fn main() -> anyhow::Result<()> {
    let handle = metrics::install()?;
    let n = 1_000_000u32;

    let start = Instant::now();
    for i in 0..n {
        let route = ROUTES[i as usize % ROUTES.len()];
        let status = STATUSES[(i as usize / ROUTES.len()) % STATUSES.len()];
        metrics::http_request("GET", Some(route.to_string()), status, black_box(0.000_3));
    }
    let http = start.elapsed().as_nanos() as f64 / n as f64;

    let calls = n / 10;
    let start = Instant::now();
    for i in 0..calls {
        let endpoint = ENDPOINTS[i as usize % ENDPOINTS.len()];
        let errcode = ERRCODES[(i as usize / ENDPOINTS.len()) % ERRCODES.len()];
        metrics::wecom_call(endpoint, errcode.to_string(), black_box(0.02));
    }
    let wecom = start.elapsed().as_nanos() as f64 / calls as f64;

    // The first render folds every recorded duration into its buckets; later ones
    // (a scrape every 15 s) only what came since.
    let start = Instant::now();
    let first = handle.render();
    let first_ms = start.elapsed().as_secs_f64() * 1e3;
    let renders = 100;
    let start = Instant::now();
    let mut bytes = 0;
    for _ in 0..renders {
        bytes = black_box(handle.render()).len();
    }
    let steady_ms = start.elapsed().as_secs_f64() * 1e3 / renders as f64;
    let series = first.lines().filter(|l| !l.starts_with('#')).count();

    println!("== metrics, in-process (no HTTP)");
    println!("one HTTP request recorded (counter + histogram): {http:.0} ns");
    println!("one WeCom call recorded (counter + histogram):   {wecom:.0} ns");
    println!(
        "render after {n} requests and {calls} WeCom calls: {first_ms:.2} ms ({} bytes, {series} series); then {steady_ms:.2} ms each ({bytes} bytes)",
        first.len()
    );
    Ok(())
}
