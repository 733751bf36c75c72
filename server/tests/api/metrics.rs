//! `GET /metrics`: what Prometheus reads, who may read it, and that no secret is in it.
//! The recorder is the test process's (shared by every app in it): counters are
//! compared before and after, or against what this test's simulator saw.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use crate::helpers::*;

/// One sample of the text format: `name{k="v",…} value`.
#[derive(Debug)]
struct Sample {
    name: String,
    labels: BTreeMap<String, String>,
    value: f64,
}

/// A parsed scrape.
#[derive(Debug)]
struct Scrape {
    text: String,
    samples: Vec<Sample>,
}

impl Scrape {
    /// Parses the text format (0.0.4): comments skipped, labels unescaped; panics on
    /// a line that is not a sample, so a malformed answer fails the test.
    fn parse(text: String) -> Self {
        let samples = text
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
            .map(|line| parse_sample(line).unwrap_or_else(|| panic!("not a sample: {line:?}")))
            .collect();
        Self { text, samples }
    }

    /// The sum of `name`'s samples whose labels include every one of `labels`.
    fn sum(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        self.matching(name, labels).map(|s| s.value).sum()
    }

    fn matching<'a>(
        &'a self,
        name: &'a str,
        labels: &'a [(&str, &str)],
    ) -> impl Iterator<Item = &'a Sample> + 'a {
        self.samples.iter().filter(move |s| {
            s.name == name
                && labels
                    .iter()
                    .all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v))
        })
    }

    /// Every value `label` takes in `name`'s samples.
    fn label_values(&self, name: &str, label: &str) -> Vec<String> {
        self.samples
            .iter()
            .filter(|s| s.name == name)
            .filter_map(|s| s.labels.get(label).cloned())
            .collect()
    }
}

fn parse_sample(line: &str) -> Option<Sample> {
    let (head, value) = line.rsplit_once(' ')?;
    let value = match value {
        "+Inf" => f64::INFINITY,
        "-Inf" => f64::NEG_INFINITY,
        v => v.parse().ok()?,
    };
    let (name, labels) = match head.split_once('{') {
        None => (head, BTreeMap::new()),
        Some((name, rest)) => (name, parse_labels(rest.strip_suffix('}')?)?),
    };
    let valid_name = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':');
    valid_name.then(|| Sample {
        name: name.to_string(),
        labels,
        value,
    })
}

/// `k="v",k2="v\"2"` (a trailing comma allowed).
fn parse_labels(mut s: &str) -> Option<BTreeMap<String, String>> {
    let mut labels = BTreeMap::new();
    while !s.is_empty() {
        let (key, rest) = s.split_once("=\"")?;
        let mut value = String::new();
        let mut chars = rest.char_indices();
        let end = loop {
            match chars.next()? {
                (_, '\\') => match chars.next()?.1 {
                    'n' => value.push('\n'),
                    c => value.push(c),
                },
                (i, '"') => break i,
                (_, c) => value.push(c),
            }
        };
        labels.insert(key.trim().to_string(), value);
        s = rest[end + 1..].trim_start_matches(',');
    }
    Some(labels)
}

impl TestApp {
    async fn scrape_response(&self) -> reqwest::Response {
        self.get("/metrics").await
    }

    /// `/metrics` as Prometheus on this machine reads it (checked: 200, its headers).
    async fn scrape(&self) -> Scrape {
        let r = self.scrape_response().await;
        assert_eq!(r.status(), 200);
        assert_eq!(header(&r, "cache-control"), "no-store");
        assert!(
            header(&r, "content-type").starts_with("text/plain; version=0.0.4"),
            "{}",
            header(&r, "content-type")
        );
        Scrape::parse(r.text().await.expect("text"))
    }
}

/// Every `/cgi-bin/` path this test's simulator answered, with how often.
async fn simulator_calls(sim: &Sim) -> BTreeMap<String, f64> {
    let v: Value = sim.get_json("/sim/stats").await;
    v["calls"]
        .as_object()
        .expect("calls")
        .iter()
        .map(|(path, n)| (path.clone(), n.as_f64().unwrap_or(0.0)))
        .collect()
}

#[tokio::test]
async fn each_wecom_call_the_simulator_answered_is_counted_under_its_endpoint() {
    let app = spawn_app().await;
    let _session = app.login("zhangwei").await;
    let r = app.post_signatures(&format!("{ORIGIN}/orders/42")).await;
    assert_eq!(r.status(), 200);

    let seen = simulator_calls(&app.sim).await;
    for path in [
        "gettoken",
        "auth/getuserinfo",
        "get_jsapi_ticket",
        "ticket/get",
    ] {
        assert!(
            seen.get(path).copied().unwrap_or(0.0) >= 1.0,
            "{path}: {seen:?}"
        );
    }
    let scrape = app.scrape().await;
    for (path, calls) in &seen {
        let endpoint = format!("cgi-bin/{path}");
        let counted = scrape.sum(
            "wecom_requests_total",
            &[("endpoint", &endpoint), ("errcode", "0")],
        );
        // Other apps in this process count too: at least this simulator's calls.
        assert!(
            counted >= *calls,
            "{endpoint}: counted {counted}, the simulator answered {calls}"
        );
        let timed = scrape.sum(
            "wecom_request_duration_seconds_count",
            &[("endpoint", &endpoint)],
        );
        assert!(timed >= *calls, "{endpoint}: timed {timed} of {calls}");
    }
    for kind in ["access_token", "corp_ticket", "agent_ticket"] {
        let fetched = scrape.sum(
            "wecom_credential_refreshes_total",
            &[("kind", kind), ("outcome", "fetched")],
        );
        assert!(fetched >= 1.0, "{kind}");
    }
    // A histogram with the 1 ms .. 10 s buckets, not a summary.
    let buckets = scrape.label_values("wecom_request_duration_seconds_bucket", "le");
    for le in ["0.001", "0.1", "10", "+Inf"] {
        assert!(buckets.iter().any(|b| b == le), "bucket {le}: {buckets:?}");
    }
    // The endpoint never carries the query (the token and secret are in it).
    for endpoint in scrape.label_values("wecom_requests_total", "endpoint") {
        assert!(
            !endpoint.contains('?') && !endpoint.contains('='),
            "{endpoint}"
        );
    }
}

#[tokio::test]
async fn an_http_request_is_counted_by_route_pattern_and_status_never_by_its_id() {
    let app = spawn_app().await;
    let before = app.scrape().await;
    let r = app
        .put_order(
            "ord-metrics-77310",
            &json!({
                "title": "城南店 · 新房装修",
                "designerUserId": "zhangwei",
                "projectManagerUserId": "lina",
                "customerName": "王女士",
                "customerPhone": "13800138000",
            }),
        )
        .await;
    assert!(r.status().is_success(), "{}", r.status());
    let session = app.login("zhangwei").await;
    assert_eq!(
        app.get_as(&session, "/api/orders/ord-metrics-77310")
            .await
            .status(),
        200
    );
    let candidates = app
        .get_as(&session, "/api/orders/ord-metrics-77310/candidates")
        .await;
    assert_eq!(candidates.status(), 200);
    assert_eq!(app.get("/api/no-such-api-88412").await.status(), 404);
    let signed = app.post_signatures(&format!("{ORIGIN}/orders/42")).await;
    assert_eq!(signed.status(), 200);
    let after = app.scrape().await;

    let delta = |labels: &[(&str, &str)]| {
        after.sum("http_requests_total", labels) - before.sum("http_requests_total", labels)
    };
    let order = [
        ("method", "GET"),
        ("route", "/api/orders/{id}"),
        ("status", "200"),
    ];
    assert!(delta(&order) >= 1.0, "{}", after.text);
    let signatures = [
        ("method", "POST"),
        ("route", "/api/jssdk/signatures"),
        ("status", "200"),
    ];
    assert!(delta(&signatures) >= 1.0);
    let refreshed = |s: &Scrape| {
        s.sum(
            "customer_mirror_refreshes_total",
            &[("outcome", "refreshed")],
        )
    };
    assert!(refreshed(&after) - refreshed(&before) >= 1.0);
    assert!(delta(&[("route", "unmatched"), ("status", "404")]) >= 1.0);
    assert!(
        after.sum(
            "http_request_duration_seconds_count",
            &[("method", "GET"), ("route", "/api/orders/{id}")]
        ) >= 1.0
    );
    for route in after.label_values("http_requests_total", "route") {
        assert!(
            !route.contains("77310") && !route.contains("88412"),
            "an id became a label: {route}"
        );
    }
}

#[tokio::test]
async fn a_wecom_errcode_is_a_label_of_its_own() {
    let app = spawn_app().await;
    // Warm-up is done with the token and tickets once the page can be signed.
    assert_eq!(
        app.post_signatures(&format!("{ORIGIN}/")).await.status(),
        200
    );
    let before = app.scrape().await;
    app.sim.set_faults(json!({"busyNext": 2})).await;
    let _session = app.login("zhangwei").await; // -1 twice, then the retry goes through
    let after = app.scrape().await;
    let busy = |s: &Scrape| s.sum("wecom_requests_total", &[("errcode", "-1")]);
    assert!(
        busy(&after) - busy(&before) >= 2.0,
        "{} -> {}",
        busy(&before),
        busy(&after)
    );
}

#[tokio::test]
async fn callbacks_received_repeated_and_refused_are_counted() {
    let app = spawn_app().await;
    let before = app.scrape().await;
    let message = text_message("zhangwei", "#c-1 好的", 9_310_001);
    assert_eq!(app.deliver(&message).await.status(), 200);
    assert_eq!(app.deliver(&message).await.status(), 200);
    let forged = app
        .http
        .post(format!(
            "{}/wecom/callback?msg_signature=0000&timestamp={}&nonce=n",
            app.address,
            desk_server::clock::now_secs()
        ))
        .body("<xml><Encrypt><![CDATA[AAAA]]></Encrypt></xml>")
        .send()
        .await
        .expect("answer");
    assert_eq!(forged.status(), 403);
    let after = app.scrape().await;
    let delta =
        |name: &str, labels: &[(&str, &str)]| after.sum(name, labels) - before.sum(name, labels);
    assert!(delta("callbacks_received_total", &[]) >= 2.0);
    assert!(delta("callbacks_deduplicated_total", &[]) >= 1.0);
    assert!(delta("callbacks_rejected_total", &[("reason", "bad_signature")]) >= 1.0);
}

#[tokio::test]
async fn a_scraper_outside_allow_is_refused_with_a_json_error() {
    let sim = spawn_simulator().await;
    let app = spawn_app_with(sim, |c| format!("{c}\n[metrics]\nallow = [\"10.9.9.9\"]\n")).await;
    let r = app.scrape_response().await;
    assert_eq!(r.status(), 403);
    let e = error_body(r).await;
    assert_eq!(e.code, "metrics_forbidden");
    // A forwarded-for header names whatever a client likes: never believed.
    let r = app
        .http
        .get(format!("{}/metrics", app.address))
        .header("x-forwarded-for", "10.9.9.9")
        .send()
        .await
        .expect("answer");
    assert_eq!(r.status(), 403);
}

#[tokio::test]
async fn a_request_a_proxy_passed_on_from_loopback_is_refused_without_the_token() {
    // nginx on the same host: every outside request reaches the server from 127.0.0.1.
    let sim = spawn_simulator().await;
    let app = spawn_app_with(sim, |c| {
        format!("{c}\n[metrics]\ntoken = \"scrape-token-77120\"\n")
    })
    .await;
    assert_eq!(app.scrape_response().await.status(), 200, "loopback itself");
    for header in ["x-forwarded-for", "x-real-ip", "forwarded"] {
        let r = app
            .http
            .get(format!("{}/metrics", app.address))
            .header(header, "203.0.113.9")
            .send()
            .await
            .expect("answer");
        assert_eq!(r.status(), 403, "{header}");
        assert_eq!(error_body(r).await.code, "metrics_forbidden");
    }
    let r = app
        .http
        .get(format!("{}/metrics", app.address))
        .header("x-forwarded-for", "203.0.113.9")
        .bearer_auth("scrape-token-77120")
        .send()
        .await
        .expect("answer");
    assert_eq!(r.status(), 200, "the token still lets a proxied scraper in");
}

#[tokio::test]
async fn the_bearer_token_is_accepted_from_anywhere_and_a_wrong_one_refused() {
    let sim = spawn_simulator().await;
    let app = spawn_app_with(sim, |c| {
        format!("{c}\n[metrics]\nallow = [\"10.9.9.0/24\"]\ntoken = \"scrape-token-61523\"\n")
    })
    .await;
    let with = |token: &'static str| {
        app.http
            .get(format!("{}/metrics", app.address))
            .bearer_auth(token)
            .send()
    };
    let ok = with("scrape-token-61523").await.expect("answer");
    assert_eq!(ok.status(), 200);
    let text = ok.text().await.expect("text");
    assert!(!text.contains("scrape-token-61523"));
    Scrape::parse(text);
    let wrong = with("scrape-token-61524").await.expect("answer");
    assert_eq!(wrong.status(), 403);
    assert_eq!(error_body(wrong).await.code, "metrics_forbidden");
    assert_eq!(app.scrape_response().await.status(), 403);
}

#[tokio::test]
async fn metrics_switched_off_are_not_found_and_the_rest_is_served() {
    let sim = spawn_simulator().await;
    let app = spawn_app_with(sim, |c| format!("{c}\n[metrics]\nenabled = false\n")).await;
    assert_eq!(app.scrape_response().await.status(), 404);
    assert_eq!(
        app.post_signatures(&format!("{ORIGIN}/")).await.status(),
        200
    );
}

#[tokio::test]
async fn a_bad_allow_entry_stops_the_start_naming_it() {
    let sim = spawn_simulator().await;
    let dir = tempfile::tempdir().expect("dir");
    let db = format!("sqlite://{}/desk.db", dir.path().display());
    let text = format!(
        "{}\n[metrics]\nallow = [\"127.0.0.1\", \"10.0.0.0/33\"]\n",
        config_text(&sim.url, SECRET, &db)
    );
    let settings = desk_server::config::Settings::from_toml_only(&text).expect("settings");
    let err = desk_server::startup::Application::build_with_retry(settings, fast_retry())
        .await
        .err()
        .expect("a start error");
    assert!(format!("{err:#}").contains("10.0.0.0/33"), "{err:#}");
}

#[tokio::test]
async fn the_outbox_backlog_is_read_at_scrape_time_and_no_secret_is_in_the_scrape() {
    let sim = spawn_simulator().await;
    // A robot nobody answers for: its message stays queued, tried again and again.
    let robot_key = "metrics-robot-key-40917";
    let app = spawn_app_with(sim, move |c| {
        format!(
            "{c}\n[robot]\nwebhook_urls = {{ store = \"http://127.0.0.1:9/cgi-bin/webhook/send?key={robot_key}\" }}\n[outbox]\nretry_base_ms = 50\nretry_max_ms = 200\n"
        )
    })
    .await;
    let empty = app.scrape().await;
    for kind in ["robot", "event", "app_message"] {
        assert_eq!(empty.sum("outbox_depth", &[("kind", kind)]), 0.0, "{kind}");
        assert_eq!(
            empty
                .matching("outbox_oldest_age_seconds", &[("kind", kind)])
                .count(),
            1,
            "{kind}"
        );
    }
    let before = empty.sum(
        "wecom_requests_total",
        &[
            ("endpoint", "cgi-bin/webhook/send"),
            ("errcode", "transport"),
        ],
    );
    let _ = app_notify_ok(
        &app,
        json!({"conversationId": "c-m1", "text": "王女士：明天几点到？"}),
    )
    .await;
    let scrape = eventually("a failed robot send", 10, || async {
        let s = app.scrape().await;
        let tried = s.sum(
            "wecom_requests_total",
            &[
                ("endpoint", "cgi-bin/webhook/send"),
                ("errcode", "transport"),
            ],
        );
        (tried > before).then_some(s)
    })
    .await;
    assert_eq!(scrape.sum("outbox_depth", &[("kind", "robot")]), 1.0);
    assert_eq!(scrape.sum("outbox_failed", &[("kind", "robot")]), 0.0);
    assert!(scrape.sum("outbox_oldest_age_seconds", &[("kind", "robot")]) > 0.0);

    let (corp_tickets, app_tickets) = app.sim.tickets().await;
    let mut secrets = vec![
        SECRET.to_string(),
        robot_key.to_string(),
        CALLBACK_TOKEN.to_string(),
        CALLBACK_KEY.to_string(),
        API_KEY.to_string(),
    ];
    secrets.extend(corp_tickets);
    secrets.extend(app_tickets);
    for secret in secrets {
        assert!(!scrape.text.contains(&secret), "{secret} is in the scrape");
    }
    assert!(!scrape.text.contains("access_token="));
}
