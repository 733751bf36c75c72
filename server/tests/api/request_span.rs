//! Every answer names its request (`X-Request-Id`), and the log lines of that
//! request, its WeCom calls and their retries included, carry the same id.

use std::time::Duration;

use reqwest::header::HeaderValue;
use serde_json::json;
use tokio::sync::mpsc;

use crate::helpers::*;

async fn get_with_id(app: &TestApp, path: &str, id: HeaderValue) -> reqwest::Response {
    app.http
        .get(format!("{}{path}", app.address))
        .header("x-request-id", id)
        .send()
        .await
        .expect("server answers")
}

fn is_fresh_id(id: &str) -> bool {
    id.len() == 16 && id.bytes().all(|b| b.is_ascii_hexdigit())
}

#[tokio::test]
async fn every_answer_carries_a_fresh_request_id() {
    let app = spawn_app().await;
    let first = header(&app.get("/healthz").await, "x-request-id");
    let second = header(&app.get("/api/nope").await, "x-request-id");
    assert!(is_fresh_id(&first), "{first:?}");
    assert!(is_fresh_id(&second), "{second:?}");
    assert_ne!(first, second);
}

#[tokio::test]
async fn a_well_formed_client_request_id_is_echoed() {
    let app = spawn_app().await;
    let longest = "a".repeat(64);
    for id in ["proxy-4f2a.7_b", longest.as_str()] {
        let resp = get_with_id(&app, "/healthz", HeaderValue::from_str(id).expect("id")).await;
        assert_eq!(header(&resp, "x-request-id"), id);
    }
}

#[tokio::test]
async fn a_malformed_client_request_id_is_replaced() {
    let app = spawn_app().await;
    // A newline cannot even be sent in a header; these are what a client can send.
    for id in [
        HeaderValue::from_str(&"a".repeat(200)).expect("id"),
        HeaderValue::from_str(&"a".repeat(65)).expect("id"),
        HeaderValue::from_static("two words"),
        HeaderValue::from_static("id=1;path=/x"),
        HeaderValue::from_bytes("请求".as_bytes()).expect("obs-text"),
        HeaderValue::from_static(""),
    ] {
        let resp = get_with_id(&app, "/healthz", id.clone()).await;
        let answered = header(&resp, "x-request-id");
        assert!(is_fresh_id(&answered), "{id:?} answered {answered:?}");
    }
}

#[tokio::test]
async fn refused_requests_carry_a_request_id_too() {
    let app = spawn_app().await;
    let resp = app
        .http
        .post(format!("{}/api/jssdk/signatures", app.address))
        .header("content-encoding", "gzip")
        .header("x-request-id", "refused-1")
        .body("x")
        .send()
        .await
        .expect("server answers");
    assert_eq!(resp.status(), 415);
    assert_eq!(header(&resp, "x-request-id"), "refused-1");
}

/// The next log line that `wanted` accepts, within `within`.
async fn line_where(
    log: &mut mpsc::UnboundedReceiver<String>,
    seen: &mut Vec<String>,
    within: Duration,
    wanted: impl Fn(&str) -> bool,
) -> String {
    tokio::time::timeout(within, async {
        loop {
            let line = log.recv().await.expect("the server is still logging");
            seen.push(line.clone());
            if wanted(&line) {
                return line;
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("no such log line; saw:\n{}", seen.join("\n")))
}

#[tokio::test]
async fn a_retried_wecom_call_is_logged_with_the_id_of_its_request() {
    // The real binary with its real log output.
    let sim = spawn_simulator().await;
    let mut served = ServeProcess::start(&sim, |c| c).await;
    let mut seen = served.startup_log.clone();
    let log = &mut served.log;
    let wait = Duration::from_secs(20);
    let address = served.address.clone();
    // Wait for the warm-up and the first read of who left, so the one busy answer
    // goes to the login's call.
    for done in ["WeCom reachable", "members who left read from WeCom"] {
        if !seen.iter().any(|l| l.contains(done)) {
            line_where(log, &mut seen, wait, |l| l.contains(done)).await;
        }
    }
    sim.set_faults(json!({ "busyNext": 1 })).await;

    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let start = http
        .get(format!("{address}/auth/login?next=/"))
        .send()
        .await
        .expect("login");
    let state_cookie = cookie_pair(&start, "desk_oauth").expect("state cookie");
    let authorize = url::Url::parse(&header(&start, "location")).expect("authorize");
    let q: std::collections::HashMap<_, _> = authorize.query_pairs().into_owned().collect();
    let approve = sim
        .http
        .get(format!("{}/connect/oauth2/approve", sim.url))
        .query(&[
            ("userid", "wangqiang"),
            ("redirect_uri", &q["redirect_uri"]),
            ("state", &q["state"]),
        ])
        .send()
        .await
        .expect("approve");
    let back = url::Url::parse(&header(&approve, "location")).expect("back");
    let code = back
        .query_pairs()
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.into_owned())
        .expect("code");
    let done = http
        .get(format!(
            "{address}/auth/callback?{}",
            back.query().unwrap_or_default()
        ))
        .header("cookie", state_cookie)
        .header("x-request-id", "login-trace-7")
        .send()
        .await
        .expect("callback");
    assert_eq!(done.status(), 302, "login despite one busy answer");
    assert_eq!(header(&done, "x-request-id"), "login-trace-7");

    let retry = line_where(log, &mut seen, wait, |l| {
        l.contains("transient WeCom failure")
    })
    .await;
    assert!(retry.contains("login-trace-7"), "{retry}");
    assert!(retry.contains("/auth/callback"), "{retry}");
    assert!(retry.contains("auth/getuserinfo"), "{retry}");
    line_where(log, &mut seen, wait, |l| l.contains("member logged in")).await;
    for line in &seen {
        assert!(!line.contains(&code), "the OAuth code was logged: {line}");
        assert!(!line.contains(SECRET), "the secret was logged: {line}");
    }
}
