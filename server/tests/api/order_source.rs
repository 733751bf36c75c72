//! Orders pulled from the business system on demand (`integration.order_source`),
//! against a test ERP on port 0 whose answers each test sets.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use actix_web::{web, App, HttpResponse, HttpServer};
use serde_json::{json, Value};

use crate::helpers::*;

/// What the test ERP answers for an order id: a status, a body, after a delay.
#[derive(Clone)]
struct Answer {
    status: u16,
    body: String,
    delay_ms: u64,
}

#[derive(Default)]
struct ErpState {
    answers: parking_lot::Mutex<HashMap<String, Answer>>,
    calls: AtomicUsize,
    last_authorization: parking_lot::Mutex<Option<String>>,
}

struct Erp {
    url: String,
    state: Arc<ErpState>,
}

impl Erp {
    async fn start() -> Self {
        let state = Arc::new(ErpState::default());
        let data = web::Data::from(state.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .route("/api/orders/{id}", web::get().to(erp_order))
        })
        .workers(1)
        .bind("127.0.0.1:0")
        .expect("bind erp");
        let port = server.addrs()[0].port();
        tokio::spawn(server.run());
        Self {
            url: format!("http://127.0.0.1:{port}"),
            state,
        }
    }

    fn answer(&self, id: &str, status: u16, body: impl Into<String>, delay_ms: u64) {
        self.state.answers.lock().insert(
            id.to_string(),
            Answer {
                status,
                body: body.into(),
                delay_ms,
            },
        );
    }

    fn calls(&self) -> usize {
        self.state.calls.load(Ordering::SeqCst)
    }
}

async fn erp_order(
    state: web::Data<ErpState>,
    id: web::Path<String>,
    req: actix_web::HttpRequest,
) -> HttpResponse {
    state.calls.fetch_add(1, Ordering::SeqCst);
    *state.last_authorization.lock() = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .map(String::from);
    let answer = state.answers.lock().get(id.as_str()).cloned();
    let Some(a) = answer else {
        return HttpResponse::NotFound().finish();
    };
    tokio::time::sleep(Duration::from_millis(a.delay_ms)).await;
    HttpResponse::build(actix_web::http::StatusCode::from_u16(a.status).expect("status"))
        .content_type("application/json")
        .body(a.body)
}

fn order_json(designer: &str, pm: &str) -> String {
    json!({
        "title": "城南店 · 拉取的订单",
        "designerUserId": designer,
        "projectManagerUserId": pm,
        "customerName": "王女士",
        "customerPhone": "13900000000",
    })
    .to_string()
}

async fn app_with_erp(erp: &Erp, ttl_secs: u64) -> TestApp {
    let template = format!("{}/api/orders/{{id}}", erp.url);
    spawn_app_with(spawn_simulator().await, move |c| {
        c.replace(
            "[integration]",
            &format!(
                "[integration]\norder_source = \"{template}\"\norder_source_ttl_secs = {ttl_secs}\norder_source_timeout_secs = 0.5\norder_source_headers = {{ Authorization = \"Bearer erp-secret\" }}"
            ),
        )
    })
    .await
}

async fn stored_orders(app: &TestApp) -> i64 {
    app.count("SELECT COUNT(*) FROM orders").await
}

#[tokio::test]
async fn an_order_is_fetched_on_first_open_kept_for_the_ttl_then_fetched_again() {
    let erp = Erp::start().await;
    erp.answer("ERP-1", 200, order_json("zhangwei", "lina"), 0);
    // TTLs count whole seconds: 2 s, so "within it" cannot straddle its end.
    let app = app_with_erp(&erp, 2).await;
    let zhang = app.login("zhangwei").await;

    let r = app.get_as(&zhang, "/api/orders/ERP-1").await;
    assert_eq!(r.status(), 200);
    let o: desk_shared::Order = r.json().await.expect("order");
    assert_eq!(o.title, "城南店 · 拉取的订单");
    assert_eq!(o.designer.name, "张伟");
    assert!(o.notice.is_none());
    assert_eq!(erp.calls(), 1);
    assert_eq!(
        erp.state.last_authorization.lock().as_deref(),
        Some("Bearer erp-secret"),
        "the configured headers are sent"
    );
    // Matching works on the pulled order like on a pushed one.
    let c = app.get_as(&zhang, "/api/orders/ERP-1/candidates").await;
    assert_eq!(c.status(), 200);

    assert_eq!(app.get_as(&zhang, "/api/orders/ERP-1").await.status(), 200);
    assert_eq!(erp.calls(), 1, "within the TTL: no second fetch");
    app.clock.advance(Duration::from_millis(2100));
    assert_eq!(app.get_as(&zhang, "/api/orders/ERP-1").await.status(), 200);
    assert_eq!(erp.calls(), 2, "after it: one refetch");
}

#[tokio::test]
async fn fifty_concurrent_opens_share_one_fetch() {
    let erp = Erp::start().await;
    erp.answer("ERP-2", 200, order_json("zhangwei", "lina"), 200);
    let app = app_with_erp(&erp, 60).await;
    let zhang = app.login("zhangwei").await;
    let opens = (0..50).map(|_| app.get_as(&zhang, "/api/orders/ERP-2"));
    for r in futures::future::join_all(opens).await {
        assert_eq!(r.status(), 200);
    }
    assert_eq!(erp.calls(), 1);
}

#[tokio::test]
async fn each_failure_of_the_business_system_gets_its_own_answer_and_stores_nothing() {
    let erp = Erp::start().await;
    let app = app_with_erp(&erp, 60).await;
    let zhang = app.login("zhangwei").await;
    let mut missing: Value = serde_json::from_str(&order_json("zhangwei", "lina")).expect("json");
    missing
        .as_object_mut()
        .expect("object")
        .remove("customerPhone");
    erp.answer("E500", 500, "oops", 0);
    erp.answer("ESLOW", 200, order_json("zhangwei", "lina"), 1500);
    erp.answer("EJSON", 200, "<html>not json</html>", 0);
    erp.answer("EFIELD", 200, missing.to_string(), 0);
    erp.answer("EMEMBER", 200, order_json("ghost", "lina"), 0);
    for (id, status, code, names) in [
        ("ENONE", 404, "order_not_found", None),
        ("E500", 502, "order_source_failed", None),
        ("ESLOW", 504, "order_source_timeout", None),
        ("EJSON", 502, "order_source_invalid", None),
        ("EFIELD", 502, "order_source_invalid", Some("customerPhone")),
        (
            "EMEMBER",
            502,
            "order_source_invalid",
            Some("designerUserId"),
        ),
    ] {
        let r = app.get_as(&zhang, &format!("/api/orders/{id}")).await;
        assert_eq!(r.status(), status, "{id}");
        let e = error_body(r).await;
        assert_eq!(e.code, code, "{id}");
        if let Some(field) = names {
            assert!(e.message.contains(field), "{id}: {}", e.message);
        }
    }
    assert_eq!(stored_orders(&app).await, 0, "never a half-stored order");
}

#[tokio::test]
async fn a_stored_copy_is_shown_with_a_notice_when_the_business_system_is_down() {
    let erp = Erp::start().await;
    erp.answer("ERP-3", 200, order_json("zhangwei", "lina"), 0);
    let app = app_with_erp(&erp, 1).await;
    let zhang = app.login("zhangwei").await;
    assert_eq!(app.get_as(&zhang, "/api/orders/ERP-3").await.status(), 200);
    erp.answer("ERP-3", 503, "down", 0);
    app.clock.advance(Duration::from_millis(1100));
    let r = app.get_as(&zhang, "/api/orders/ERP-3").await;
    assert_eq!(r.status(), 200);
    let o: desk_shared::Order = r.json().await.expect("order");
    assert!(o.notice.unwrap_or_default().contains("可能不是最新"));
}

#[tokio::test]
async fn a_member_not_on_a_pulled_order_gets_403_and_pushed_orders_are_never_fetched() {
    let erp = Erp::start().await;
    erp.answer("ERP-4", 200, order_json("zhangwei", "lina"), 0);
    let app = app_with_erp(&erp, 1).await;
    let chen = app.login("chenjing").await;
    let r = app.get_as(&chen, "/api/orders/ERP-4").await;
    assert_eq!(r.status(), 403);
    assert_eq!(error_body(r).await.code, "not_your_order");

    // A pushed order is the business system's word already: not asked again.
    let pushed = json!({
        "title": "推送的订单", "designerUserId": "zhangwei", "projectManagerUserId": "lina",
        "customerName": "王女士", "customerPhone": "13900000000",
    });
    assert_eq!(app.put_order("PUSHED-1", &pushed).await.status(), 201);
    app.clock.advance(Duration::from_millis(1100));
    let zhang = app.login("zhangwei").await;
    let calls = erp.calls();
    assert_eq!(
        app.get_as(&zhang, "/api/orders/PUSHED-1").await.status(),
        200
    );
    assert_eq!(erp.calls(), calls);
}

#[tokio::test]
async fn an_unknown_order_source_or_key_stops_the_server_at_start_naming_it() {
    let sim = spawn_simulator().await;
    for (edit, named) in [
        ("order_source = \"sftp://erp\"", "integration.order_source"),
        ("order_sourse = \"embedded\"", "order_sourse"),
    ] {
        let text = config_text(&sim.url, SECRET, "sqlite::memory:")
            .replace("[integration]", &format!("[integration]\n{edit}"));
        let err = match desk_server::config::Settings::from_toml_only(&text) {
            Err(e) => e.to_string(),
            Ok(settings) => match desk_server::startup::Application::build(settings).await {
                Err(e) => format!("{e:#}"),
                Ok(_) => panic!("{edit} was accepted"),
            },
        };
        assert!(err.contains(named), "{edit}: {err}");
    }
}

/// Ids no order can have (too long, dots only) are 404 before anything is kept or
/// fetched; an unknown id is asked of the business system once, not on every
/// request; and each fetch counts against the member's allowance, so a script trying
/// ids cannot make the server hammer the business system.
#[tokio::test]
async fn made_up_order_ids_cost_the_business_system_a_fetch_a_minute_at_most() {
    let erp = Erp::start().await;
    erp.answer("ERP-KNOWN", 200, order_json("zhangwei", "lina"), 0);
    let app = app_with_erp(&erp, 60).await;
    let zhang = app.login("zhangwei").await;

    // 4 KB ids: 404, no fetch (before: each was fetched and its lock kept forever).
    for i in 0..200 {
        let id = format!("{i:04}{}", "x".repeat(4096));
        let r = app.get_as(&zhang, &format!("/api/orders/{id}")).await;
        assert_eq!(r.status(), 404);
    }
    for id in ["..", "%2E%2E", "."] {
        let (status, body) = app
            .raw(
                "GET",
                &format!("/api/orders/{id}"),
                &[("cookie", &zhang)],
                "",
            )
            .await;
        assert_eq!(status, 404, "{id}: {body}");
    }
    assert_eq!(erp.calls(), 0, "nothing asked for ids no order can have");

    // One unknown id, ten times: asked once.
    for _ in 0..10 {
        let r = app.get_as(&zhang, "/api/orders/ERP-NOPE").await;
        assert_eq!(r.status(), 404);
        assert_eq!(error_body(r).await.code, "order_not_found");
    }
    assert_eq!(erp.calls(), 1, "a 404 is remembered");

    // Many unknown ids: past the member's allowance, 429 and no fetch.
    let limit = desk_server::sidebar::LOOKUPS_PER_MINUTE as usize;
    let mut refused = 0;
    for i in 0..limit + 10 {
        let r = app
            .get_as(&zhang, &format!("/api/orders/ERP-MADE-UP-{i}"))
            .await;
        match r.status().as_u16() {
            404 => {}
            429 => {
                assert_eq!(error_body(r).await.code, "too_many_requests");
                refused += 1;
            }
            other => panic!("ERP-MADE-UP-{i}: {other}"),
        }
    }
    assert!(refused >= 10, "{refused} refused");
    assert!(erp.calls() <= limit, "{} fetches", erp.calls());
    // Another member is not charged for it.
    let lina = app.login("lina").await;
    assert_eq!(
        app.get_as(&lina, "/api/orders/ERP-KNOWN").await.status(),
        200
    );
}
