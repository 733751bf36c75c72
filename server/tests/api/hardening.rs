//! What an attacker tried, one class at a time: each test failed before the fix.

use std::io::Write;
use std::time::{Duration, Instant};

use desk_server::wecom::crypto::CallbackCrypto;
use serde_json::{json, Value};

use crate::helpers::*;

fn order(designer: &str, pm: &str, customer: &str, phone: &str) -> Value {
    OrderFields {
        designer,
        pm,
        customer,
        phone,
        ..Default::default()
    }
    .json()
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(bytes).expect("gzip");
    enc.finish().expect("gzip")
}

/// A small gzip body that inflates to `megabytes` MB of zeros.
fn gzip_bomb(megabytes: usize) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..megabytes {
        enc.write_all(&zeros).expect("gzip");
    }
    enc.finish().expect("gzip")
}

// ---- 1. compressed request bodies ------------------------------------------------

#[tokio::test]
async fn compressed_request_bodies_are_refused_unread_on_every_endpoint() {
    let app = spawn_app().await;
    let body = gzip(br#"{"url":"https://desk.example.com/"}"#);
    for path in [
        "/api/jssdk/signatures",
        "/wecom/callback?msg_signature=a&timestamp=1&nonce=2",
        "/api/v1/orders/DD-1",
        "/auth/logout",
        "/",
    ] {
        for encoding in ["gzip", "deflate", "br", "zstd", "GZIP", "gzip, identity"] {
            let r = app
                .http
                .post(format!("{}{path}", app.address))
                .header("content-type", "application/json")
                .header("content-encoding", encoding)
                .body(body.clone())
                .send()
                .await
                .expect("answer");
            assert_eq!(r.status(), 415, "{path} {encoding}");
            let e = error_body(r).await;
            assert_eq!(e.code, "unsupported_content_encoding");
        }
    }
    // `identity` is no compression at all.
    let r = app
        .http
        .post(format!("{}/api/jssdk/signatures", app.address))
        .header("content-type", "application/json")
        .header("content-encoding", "identity")
        .body(r#"{"url":"https://desk.example.com/"}"#)
        .send()
        .await
        .expect("answer");
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn a_flood_of_compressed_bodies_leaves_the_servers_memory_flat() {
    let sim = spawn_simulator().await;
    let served = ServeProcess::start(&sim, |c| c).await;
    // 64 MB of zeros each, ~64 KB on the wire; 32 of them at once, a round at a time.
    // The first round warms the server up (connections, buffers, worker threads);
    // three more must not move its memory: inflated, they would be 6 GB.
    let bomb = gzip_bomb(64);
    let mut before = 0;
    for round in 0..4 {
        if round == 1 {
            before = resident_kb(served.pid);
        }
        let sends = (0..32).map(|i| {
            let path = if i % 2 == 0 {
                "/wecom/callback?msg_signature=a&timestamp=1&nonce=2"
            } else {
                "/api/jssdk/signatures"
            };
            served
                .http
                .post(format!("{}{path}", served.address))
                .header("content-type", "application/json")
                .header("content-encoding", "gzip")
                .body(bomb.clone())
                .send()
        });
        // Refused before the body is read; the connection may close under it, but
        // most sends get their answer, and every answer is the refusal.
        let answers: Vec<_> = futures::future::join_all(sends)
            .await
            .into_iter()
            .flatten()
            .collect();
        assert!(
            answers.len() >= 16,
            "round {round}: {} of 32 answered",
            answers.len()
        );
        for r in answers {
            assert_eq!(r.status(), 415);
        }
    }
    let after = resident_kb(served.pid);
    eprintln!(
        "resident memory: {before} kB after the warm-up round, {after} kB after 96 more bombs"
    );
    assert!(
        after < before + 6 * 1024,
        "resident memory grew from {before} kB to {after} kB"
    );
}

// ---- 2. open redirect after login --------------------------------------------------

#[tokio::test]
async fn after_login_the_browser_only_ever_goes_to_a_path_on_this_site() {
    let app = spawn_app().await;
    for next in [
        "/%09/evil.com",
        "/%0a/evil.com",
        "/%0d%0a/evil.com",
        "/%2F/evil.com",
        "/%5Cevil.com",
        "%2F%2Fevil.com",
        "/%5C%5Cevil.com",
        "/%00",
        "/%1b[31m",
        "/%E2%80%AE/evil.com",
        "https://evil.com/",
        "//evil.com",
    ] {
        let r = app.login_from(&format!("next={next}"), "zhangwei").await;
        assert_eq!(r.status(), 302, "never a 500: {next}");
        assert_eq!(header(&r, "location"), "/", "{next}");
    }
    let kept = app
        .login_from("next=%2Forders%2FDD-1%3Ftab%3D1", "zhangwei")
        .await;
    assert_eq!(header(&kept, "location"), "/orders/DD-1?tab=1");
}

#[tokio::test]
async fn next_cannot_add_attributes_to_the_state_cookie() {
    let app = spawn_app().await;
    let start = app
        .get("/auth/login?next=/x%3B%20Domain%3Devil.com%3B%20Path%3D%2F")
        .await;
    let line = set_cookie(&start, "desk_oauth").expect("state cookie");
    assert!(!line.to_lowercase().contains("domain="), "{line}");
    assert_eq!(line.matches("Path=").count(), 1, "{line}");
    let start = app.get("/auth/login?next=/orders/1;Domain=evil.com").await;
    let line = set_cookie(&start, "desk_oauth").expect("state cookie");
    assert!(!line.to_lowercase().contains("domain="), "{line}");
}

#[tokio::test]
async fn an_empty_or_forged_state_is_refused_and_makes_no_session() {
    let app = spawn_app().await;
    for (cookie, state) in [
        ("desk_oauth=|/", ""),
        ("desk_oauth=.Lw", ""),
        ("desk_oauth=", ""),
        ("desk_oauth=abc|/", "abc"),
    ] {
        let r = app
            .http
            .get(format!(
                "{}/auth/callback?code=x&state={state}",
                app.address
            ))
            .header("cookie", cookie)
            .send()
            .await
            .expect("answer");
        assert_eq!(r.status(), 400, "{cookie}");
        assert!(set_cookie(&r, "desk_session").is_none(), "{cookie}");
    }
}

// ---- 3. binding any group to an order ----------------------------------------------

#[tokio::test]
async fn only_the_orders_own_group_can_be_recorded_for_it() {
    let app = spawn_app().await;
    assert!(app
        .put_order("DD-1", &order("zhangwei", "lina", "王女士", "13900000000"))
        .await
        .status()
        .is_success());
    let lina = app.login("lina").await;

    // An admin's empty pool group: the designer is not in it, no customer is.
    let r = app
        .post_as(
            &lina,
            "/api/orders/DD-1/group",
            &json!({"chatId": "wrPool0000", "groupName": "x", "externalUserIds": [], "userIds": []}),
        )
        .await;
    assert_eq!(r.status(), 400);
    let e = error_body(r).await;
    assert_eq!(e.code, "group_not_for_order");
    assert!(e.message.contains("设计师"), "{}", e.message);

    // The designer's group, but with another customer (李先生, not the order's phone).
    let other = app
        .make_customer_group("zhangwei", &["zhangwei", "lina"], &["wmDemo0001"])
        .await;
    let r = app
        .post_as(
            &lina,
            "/api/orders/DD-1/group",
            &json!({"chatId": other, "groupName": "x", "externalUserIds": [], "userIds": []}),
        )
        .await;
    assert_eq!(r.status(), 400);
    assert_eq!(error_body(r).await.code, "group_not_for_order");

    let order: desk_shared::Order = app
        .get_as(&lina, "/api/orders/DD-1")
        .await
        .json()
        .await
        .expect("order");
    assert!(order.group.is_none(), "nothing recorded");

    // The real one: designer + PM + the customer whose remark phone is the order's.
    let real = app
        .make_customer_group("zhangwei", &["zhangwei", "lina"], &["wmDemo0000"])
        .await;
    let r = app
        .post_as(
            &lina,
            "/api/orders/DD-1/group",
            &json!({"chatId": real, "groupName": "x", "externalUserIds": ["wmDemo0000"], "userIds": []}),
        )
        .await;
    assert_eq!(r.status(), 201);
}

#[tokio::test]
async fn a_customer_picked_by_hand_counts_only_when_in_the_group_and_followed() {
    let app = spawn_app().await;
    // The order's phone is in nobody's remark: the member picks the customer by hand.
    assert!(app
        .put_order("DD-2", &order("zhangwei", "lina", "李先生", "13700000000"))
        .await
        .status()
        .is_success());
    let zhang = app.login("zhangwei").await;
    let group = app
        .make_customer_group("zhangwei", &["zhangwei", "lina"], &["wmDemo0001"])
        .await;
    // Too many picked at once: refused before any look-up.
    let many: Vec<&str> = std::iter::repeat_n("wmDemo0001", 50).collect();
    let r = app
        .post_as(
            &zhang,
            "/api/orders/DD-2/group",
            &json!({"chatId": group, "groupName": "x", "externalUserIds": many, "userIds": []}),
        )
        .await;
    assert_eq!(r.status(), 400);
    assert!(error_body(r).await.message.contains("externalUserIds"));
    // Picked someone who is not in the group.
    let r = app
        .post_as(
            &zhang,
            "/api/orders/DD-2/group",
            &json!({"chatId": group, "groupName": "x", "externalUserIds": ["wmDemo0000"], "userIds": []}),
        )
        .await;
    assert_eq!(error_body(r).await.code, "group_not_for_order");
    // Picked the customer who is in it and whom the designer follows.
    let r = app
        .post_as(
            &zhang,
            "/api/orders/DD-2/group",
            &json!({"chatId": group, "groupName": "x", "externalUserIds": ["wmDemo0001"], "userIds": []}),
        )
        .await;
    assert_eq!(r.status(), 201);
}

// ---- 4. forced refresh ---------------------------------------------------------------

#[tokio::test]
async fn a_forced_refresh_is_honoured_once_a_minute_per_member() {
    let app = spawn_app_on(
        spawn_simulator_with(demo_fixture_with(
            "[[generate]]\nuserid = \"zhangwei\"\ncount = 350\n",
        ))
        .await,
    )
    .await;
    assert!(app
        .put_order("DD-3", &order("zhangwei", "lina", "王女士", "13900000000"))
        .await
        .status()
        .is_success());
    let zhang = app.login("zhangwei").await;
    let first = app.get_as(&zhang, "/api/orders/DD-3/candidates").await;
    assert_eq!(first.status(), 200);
    let pages = app.sim.calls("externalcontact/batch/get_by_user").await;
    assert!(pages >= 4, "one whole refresh: {pages} pages");

    let forced = (0..20).map(|_| app.get_as(&zhang, "/api/orders/DD-3/candidates?refresh=true"));
    for r in futures::future::join_all(forced).await {
        assert_eq!(r.status(), 200);
        let c: desk_shared::Candidates = r.json().await.expect("json");
        assert_eq!(c.candidates.len(), 1, "still answered from the mirror");
        assert!(
            c.hint.unwrap_or_default().contains("秒后"),
            "the hint says when"
        );
    }
    assert_eq!(
        app.sim.calls("externalcontact/batch/get_by_user").await,
        pages,
        "no refetch within the minute"
    );
}

// ---- 5. a slow WeCom -----------------------------------------------------------------

#[tokio::test]
async fn a_request_waiting_on_a_slow_wecom_is_answered_504_at_its_deadline() {
    let sim = spawn_simulator().await;
    let app = spawn_app_with(sim, |c| {
        c.replace(
            "[wecom]",
            "[wecom]\nrequest_deadline_secs = 1.0\ntimeout_secs = 30",
        )
    })
    .await;
    assert!(app
        .put_order("DD-4", &order("zhangwei", "lina", "王女士", "13900000000"))
        .await
        .status()
        .is_success());
    let zhang = app.login("zhangwei").await;
    app.sim.set_faults(json!({"latencyMs": 5000})).await;
    let started = Instant::now();
    let r = app.get_as(&zhang, "/api/orders/DD-4/candidates").await;
    let took = started.elapsed();
    assert_eq!(r.status(), 504);
    let e = error_body(r).await;
    assert_eq!(e.code, "wecom_timeout");
    assert!(e.message.contains("稍后"), "{}", e.message);
    assert!(
        took < Duration::from_secs(4),
        "answered at the deadline: {took:?}"
    );

    // The refresh the request gave up on goes on by itself; once it is done (WeCom
    // quick again), the member is answered from it, and nothing was fetched twice.
    app.sim.set_faults(json!({"latencyMs": 0})).await;
    let mut status = 0;
    for _ in 0..50 {
        status = app
            .get_as(&zhang, "/api/orders/DD-4/candidates")
            .await
            .status()
            .as_u16();
        if status == 200 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(status, 200);
    assert_eq!(app.sim.calls("externalcontact/batch/get_by_user").await, 1);
}

#[tokio::test]
async fn a_long_refresh_is_not_cut_off_at_the_deadline_and_the_old_mirror_answers() {
    let sim = spawn_simulator_with(demo_fixture_with(
        "[[generate]]\nuserid = \"zhangwei\"\ncount = 350\n",
    ))
    .await;
    let app = spawn_app_with(sim, |c| {
        c.replace("[wecom]", "[wecom]\nrequest_deadline_secs = 1.0")
            .replace(
                "[integration]",
                "[contacts]\nforced_refresh_secs = 0\n[integration]",
            )
    })
    .await;
    assert!(app
        .put_order("DD-8", &order("zhangwei", "lina", "王女士", "13900000000"))
        .await
        .status()
        .is_success());
    let zhang = app.login("zhangwei").await;
    assert_eq!(
        app.get_as(&zhang, "/api/orders/DD-8/candidates")
            .await
            .status(),
        200
    );
    // Four pages at 400 ms each: longer than the 1 s a request may wait.
    app.sim.set_faults(json!({"latencyMs": 400})).await;
    let r = app
        .get_as(&zhang, "/api/orders/DD-8/candidates?refresh=true")
        .await;
    assert_eq!(r.status(), 200, "answered from the mirror as it was");
    let c: desk_shared::Candidates = r.json().await.expect("json");
    assert_eq!(c.candidates.len(), 1);
    assert!(
        c.hint.unwrap_or_default().contains("正在"),
        "says it is refreshing"
    );
    // The refresh finishes by itself: eight pages in all, the second four once.
    let mut pages = 0;
    for _ in 0..40 {
        tokio::time::sleep(Duration::from_millis(200)).await;
        pages = app.sim.calls("externalcontact/batch/get_by_user").await;
        if pages >= 8 {
            break;
        }
    }
    assert_eq!(pages, 8);
}

// ---- 6. headers ----------------------------------------------------------------------

#[tokio::test]
async fn answers_with_personal_data_are_never_cached() {
    let app = spawn_app().await;
    assert!(app
        .put_order("DD-5", &order("zhangwei", "lina", "王女士", "13900000000"))
        .await
        .status()
        .is_success());
    let zhang = app.login("zhangwei").await;
    for path in [
        "/api/session",
        "/api/orders",
        "/api/orders/DD-5",
        "/api/orders/DD-5/candidates",
        "/api/orders/nope",
    ] {
        let r = app.get_as(&zhang, path).await;
        assert_eq!(header(&r, "cache-control"), "no-store", "{path}");
        assert_eq!(header(&r, "x-content-type-options"), "nosniff", "{path}");
    }
    let r = app
        .put_order("DD-5", &order("zhangwei", "lina", "王女士", "13900000000"))
        .await;
    assert_eq!(header(&r, "cache-control"), "no-store");
}

// ---- 7. sessions ---------------------------------------------------------------------

#[tokio::test]
async fn logout_ends_the_session_and_clears_the_cookie() {
    let app = spawn_app().await;
    let zhang = app.login("zhangwei").await;
    assert_eq!(app.get_as(&zhang, "/api/orders").await.status(), 200);
    let r = app.post_as(&zhang, "/auth/logout", &json!({})).await;
    assert_eq!(r.status(), 204);
    let cleared = set_cookie(&r, "desk_session").expect("a clearing Set-Cookie");
    assert!(cleared.contains("Max-Age=0"), "{cleared}");
    assert!(cleared.contains("HttpOnly"), "{cleared}");
    // The old cookie no longer works anywhere, even if a browser kept it.
    assert_eq!(app.get_as(&zhang, "/api/orders").await.status(), 401);
    let s: desk_shared::Session = app
        .get_as(&zhang, "/api/session")
        .await
        .json()
        .await
        .expect("json");
    assert!(s.user.is_none());
    // Logging out without a session is fine too.
    assert_eq!(
        app.post_as("", "/auth/logout", &json!({})).await.status(),
        204
    );
}

#[tokio::test]
async fn an_unused_session_ends_after_the_idle_timeout_a_used_one_lives_on() {
    let app = spawn_app_with(spawn_simulator().await, |c| {
        c.replace("[server]", "[server]\nsession_idle_secs = 3")
    })
    .await;
    let zhang = app.login("zhangwei").await;
    // 4.5 s in all on the app's clock, longer than the idle timeout: each use keeps
    // it alive.
    for _ in 0..3 {
        app.clock.advance(Duration::from_millis(1500));
        assert_eq!(
            app.get_as(&zhang, "/api/orders").await.status(),
            200,
            "in use"
        );
    }
    app.clock.advance(Duration::from_millis(4200));
    let r = app.get_as(&zhang, "/api/orders").await;
    assert_eq!(r.status(), 401, "idle too long");
}

#[tokio::test]
async fn a_session_ends_at_its_absolute_age_however_much_it_is_used() {
    let app = spawn_app_with(spawn_simulator().await, |c| {
        c.replace("[server]", "[server]\nsession_max_secs = 3")
    })
    .await;
    let zhang = app.login("zhangwei").await;
    assert_eq!(app.get_as(&zhang, "/api/orders").await.status(), 200);
    app.clock.advance(Duration::from_millis(1500));
    assert_eq!(app.get_as(&zhang, "/api/orders").await.status(), 200);
    app.clock.advance(Duration::from_millis(2600));
    assert_eq!(app.get_as(&zhang, "/api/orders").await.status(), 401);
}

#[tokio::test]
async fn ended_sessions_are_deleted_in_the_background() {
    let app = spawn_app_with(spawn_simulator().await, |c| {
        c.replace(
            "[server]",
            "[server]\nsession_idle_secs = 1\nsession_sweep_secs = 1",
        )
    })
    .await;
    app.login("zhangwei").await;
    let count = || app.count("SELECT COUNT(*) FROM sessions");
    assert_eq!(count().await, 1);
    // No request, no login: the sessions worker deletes it once it has ended (the
    // app's clock moved past its idle timeout; the worker's next round is within 1 s).
    app.clock.advance(Duration::from_secs(5));
    let mut left = 1;
    for _ in 0..40 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        left = count().await;
        if left == 0 {
            break;
        }
    }
    assert_eq!(left, 0, "the ended session is gone");
}

// ---- 8. input ------------------------------------------------------------------------

#[tokio::test]
async fn control_and_direction_characters_in_orders_are_refused_naming_the_field() {
    let app = spawn_app().await;
    for (field, value) in [
        ("title", "新房\u{0}装修"),
        ("title", "新房\u{1b}[31m装修"),
        ("customerName", "王女士\r\nX-Injected: 1"),
        ("customerName", "王女士\u{202e}"),
        ("customerPhone", "139\u{2066}00000000"),
        ("title", "a\u{200f}b"),
    ] {
        let mut body = order("zhangwei", "lina", "王女士", "13900000000");
        body[field] = json!(value);
        let r = app.put_order("DD-6", &body).await;
        assert_eq!(r.status(), 400, "{field} {value:?}");
        let e = error_body(r).await;
        assert!(e.message.contains(field), "{field}: {}", e.message);
    }
    for id in ["DD%1B6", "DD%E2%80%AE6", "DD%0A6", "DD%006"] {
        let r = app
            .put_order(id, &order("zhangwei", "lina", "王女士", "13900000000"))
            .await;
        assert_eq!(r.status(), 400, "{id}");
        assert!(error_body(r).await.message.contains("id"), "{id}");
    }
}

#[tokio::test]
async fn a_path_that_is_not_utf8_is_a_400_never_silently_replaced() {
    let app = spawn_app().await;
    let r = app
        .put_order(
            "DD%FF%FE",
            &order("zhangwei", "lina", "王女士", "13900000000"),
        )
        .await;
    assert_eq!(r.status(), 400);
    assert_eq!(error_body(r).await.code, "bad_path");
    let zhang = app.login("zhangwei").await;
    let r = app.get_as(&zhang, "/api/orders/%C3%28").await;
    assert_eq!(r.status(), 400);
}

#[tokio::test]
async fn every_error_under_api_and_wecom_is_json() {
    let app = spawn_app().await;
    let url = |p: &str| format!("{}{p}", app.address);
    let cases: Vec<(reqwest::RequestBuilder, u16, &str)> = vec![
        (app.http.get(url("/api/nope")), 404, "not found"),
        (
            app.http.get(url("/wecom/nope")),
            404,
            "not found under /wecom",
        ),
        (app.http.delete(url("/api/orders")), 405, "wrong method"),
        (
            app.http.get(url("/api/jssdk/signatures")),
            405,
            "GET on a POST route",
        ),
        (
            app.http.put(url("/wecom/callback")),
            405,
            "PUT on the callback",
        ),
        (
            app.http
                .post(url("/wecom/callback?msg_signature=a&timestamp=1&nonce=2"))
                .body(vec![b'x'; 2 << 20]),
            413,
            "callback body over its limit",
        ),
        (
            app.http
                .post(url("/api/jssdk/signatures"))
                .header("content-type", "application/json")
                .body(vec![b' '; 100 << 10]),
            413,
            "JSON over its limit",
        ),
        (
            app.http
                .get(url(&format!("/api/orders?x={}", "a".repeat(10_000)))),
            414,
            "URI too long",
        ),
        (
            app.http
                .get(url("/api/session"))
                .header("x-big", "a".repeat(20_000)),
            431,
            "headers too large",
        ),
    ];
    for (req, status, what) in cases {
        let r = req.send().await.expect("answer");
        assert_eq!(r.status().as_u16(), status, "{what}");
        assert!(
            header(&r, "content-type").starts_with("application/json"),
            "{what}"
        );
        error_body(r).await;
    }
}

// ---- 9. signatures for odd URLs ----------------------------------------------------

#[tokio::test]
async fn only_urls_that_begin_with_an_allowed_origin_exactly_are_signed() {
    let app = spawn_app().await;
    for bad in [
        "https://desk.example.com\\@evil.com/",
        "https://desk.example.com@evil.com/",
        "https://user:pw@desk.example.com/",
        "https:desk.example.com/",
        "https:\\\\desk.example.com/",
        "https://desk%2Eexample.com/",
        "https://DESK.EXAMPLE.COM/",
        "https://desk.example.com:443/",
        "https://desk.example.com\t/",
        " https://desk.example.com/",
        "https://desk.example.com/\u{3000}",
    ] {
        let r = app.post_signatures(bad).await;
        assert_eq!(r.status(), 400, "{bad:?}");
    }
    for good in [
        "https://desk.example.com/",
        "https://desk.example.com",
        "https://desk.example.com?x=1#/y",
    ] {
        assert_eq!(app.post_signatures(good).await.status(), 200, "{good}");
    }
}

// ---- 10. callbacks -------------------------------------------------------------------

fn wecom_side() -> CallbackCrypto {
    CallbackCrypto::new(CALLBACK_TOKEN.to_string().into(), CALLBACK_KEY, CORP_ID).expect("keys")
}

fn now() -> i64 {
    desk_server::clock::now_secs()
}

async fn post_callback(app: &TestApp, plain: &str, timestamp: i64) -> reqwest::Response {
    let c = wecom_side();
    let encrypt = c.encrypt(plain);
    let ts = timestamp.to_string();
    let sig = c.sign(&ts, "n0nce", &encrypt);
    let body = format!(
        "<xml><ToUserName><![CDATA[{CORP_ID}]]></ToUserName><Encrypt><![CDATA[{encrypt}]]></Encrypt><AgentID><![CDATA[{AGENT_ID}]]></AgentID></xml>"
    );
    app.http
        .post(format!(
            "{}/wecom/callback?msg_signature={sig}&timestamp={ts}&nonce=n0nce",
            app.address
        ))
        .body(body)
        .send()
        .await
        .expect("answer")
}

#[tokio::test]
async fn a_callback_signed_long_ago_is_refused() {
    let app = spawn_app().await;
    let plain = format!(
        "<xml><ToUserName>{CORP_ID}</ToUserName><FromUserName>zhangwei</FromUserName><CreateTime>1</CreateTime><MsgType>text</MsgType><Content>x</Content><MsgId>1</MsgId></xml>"
    );
    let r = post_callback(&app, &plain, now() - 2 * 3600).await;
    assert_eq!(r.status(), 403);
    assert_eq!(error_body(r).await.code, "stale_timestamp");
    let r = post_callback(&app, &plain, now() + 2 * 3600).await;
    assert_eq!(r.status(), 403);
    assert_eq!(post_callback(&app, &plain, now() - 60).await.status(), 200);

    // A timestamp at the edge of i64 is refused, not a panic.
    let r = post_callback(&app, &plain, i64::MIN).await;
    assert_eq!(r.status(), 403);

    // The URL check too.
    let c = wecom_side();
    let echostr = c.encrypt("123");
    let old = (now() - 2 * 3600).to_string();
    let sig = c.sign(&old, "n", &echostr);
    let enc: String = url::form_urlencoded::byte_serialize(echostr.as_bytes()).collect();
    let r = app
        .get(&format!(
            "/wecom/callback?msg_signature={sig}&timestamp={old}&nonce=n&echostr={enc}"
        ))
        .await;
    assert_eq!(r.status(), 403);
}

async fn inbox_rows(app: &TestApp) -> i64 {
    app.count("SELECT COUNT(*) FROM callback_inbox").await
}

#[tokio::test]
async fn a_replayed_or_retried_callback_is_kept_once() {
    let app = spawn_app().await;
    let text = format!(
        "<xml><ToUserName>{CORP_ID}</ToUserName><FromUserName>zhangwei</FromUserName><CreateTime>{}</CreateTime><MsgType>text</MsgType><Content>好的</Content><MsgId>99001</MsgId><AgentID>{AGENT_ID}</AgentID></xml>",
        now()
    );
    for _ in 0..3 {
        assert_eq!(post_callback(&app, &text, now()).await.status(), 200);
    }
    assert_eq!(inbox_rows(&app).await, 1);
    // Two customers added in the same second by one member are two events.
    let event = |ext: &str| {
        format!(
            "<xml><ToUserName>{CORP_ID}</ToUserName><FromUserName>sys</FromUserName><CreateTime>1700000000</CreateTime><MsgType>event</MsgType><Event>change_external_contact</Event><ChangeType>add_external_contact</ChangeType><UserID>zhangwei</UserID><ExternalUserID>{ext}</ExternalUserID></xml>"
        )
    };
    for ext in ["wmA", "wmB", "wmA"] {
        assert_eq!(post_callback(&app, &event(ext), now()).await.status(), 200);
    }
    assert_eq!(inbox_rows(&app).await, 3);
}
