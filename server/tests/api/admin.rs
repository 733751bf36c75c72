//! `/api/admin/`: admins only (every call, as a matrix); the deployment checks on
//! demand; every order with its group; staff bindings; the audit log.

use desk_shared::admin::{AdminOrders, AdminStaff, AuditPage};
use desk_shared::DeploymentChecks;
use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn only_admins_may_run_the_deployment_checks() {
    let app = spawn_app().await;
    let none = app.get("/api/admin/checks").await;
    assert_eq!(none.status(), 401);
    let member = app.login("zhangwei").await;
    let refused = app.get_as(&member, "/api/admin/checks").await;
    assert_eq!(refused.status(), 403);
    assert_eq!(error_body(refused).await.code, "admin_only");

    let admin = app.login("wangqiang").await;
    let r = app.get_as(&admin, "/api/admin/checks").await;
    assert_eq!(r.status(), 200);
    assert_eq!(header(&r, "cache-control"), "no-store");
    let report: DeploymentChecks = r.json().await.expect("checks");
    assert!(report.checks.len() >= 5, "{report:?}");
    let token = report
        .checks
        .iter()
        .find(|c| c.title.contains("access_token"))
        .expect("a token check");
    assert_eq!(token.status, "pass", "{token:?}");

    // Asked again at once: the same report, without spending WeCom's ticket quota.
    let tickets = app.sim.calls("ticket/get").await;
    let again = app.get_as(&admin, "/api/admin/checks").await;
    assert_eq!(again.status(), 200);
    assert_eq!(app.sim.calls("ticket/get").await, tickets);
}

#[tokio::test]
async fn a_failing_check_explains_the_errcode_and_the_console_step() {
    let sim = spawn_simulator().await;
    let app = spawn_app_with(sim, |c| {
        c.replace(
            &format!("agent_secret = \"{SECRET}\""),
            "agent_secret = \"wrong-secret\"",
        )
    })
    .await;
    // Login itself needs the token, so sign the admin in another way: the session row.
    let admin = admin_session(&app).await;
    let report: DeploymentChecks = app
        .get_as(&admin, "/api/admin/checks")
        .await
        .json()
        .await
        .expect("checks");
    assert!(!report.passed);
    let failed = report
        .checks
        .iter()
        .find(|c| c.status == "fail")
        .expect("a failed check");
    assert!(failed.detail.contains("40001"), "{failed:?}");
    assert!(
        failed.fix.as_deref().unwrap_or_default().contains("Secret"),
        "{failed:?}"
    );
    assert!(report.checks.iter().any(|c| c.status == "skipped"));
}

/// A session for the admin `wangqiang` made by the sessions store itself (login needs
/// the token, which this test's wrong secret cannot get).
async fn admin_session(app: &TestApp) -> String {
    let user = desk_shared::SessionUser {
        user_id: "wangqiang".into(),
        name: "王强".into(),
        avatar: String::new(),
    };
    let life = desk_server::auth::store::SessionLifetime {
        idle: 3600,
        max: 3600,
    };
    let token =
        desk_server::auth::store::create(&app.db().await, &user, life, app.clock.now_secs())
            .await
            .expect("session");
    format!("desk_session={token}")
}

/// Every `/api/admin/` call, with a body where it takes one.
fn admin_calls() -> Vec<(reqwest::Method, &'static str, Option<serde_json::Value>)> {
    use reqwest::Method;
    let reply = || Some(json!({"title": "矩阵", "text": "您好"}));
    let no_ids = Some(json!({"ids": []}));
    vec![
        (Method::GET, "/api/admin/checks", None),
        (Method::GET, "/api/admin/orders", None),
        (Method::GET, "/api/admin/staff", None),
        (
            Method::PUT,
            "/api/admin/staff/s-matrix",
            Some(json!({"wecomUserId": "zhangwei"})),
        ),
        (Method::DELETE, "/api/admin/staff/s-matrix", None),
        (Method::GET, "/api/admin/messages", None),
        (
            Method::POST,
            "/api/admin/outbox/nope/retry",
            Some(json!({})),
        ),
        (Method::GET, "/api/admin/audit", None),
        (Method::GET, "/api/admin/pool", None),
        (
            Method::POST,
            "/api/admin/pool",
            Some(json!({"chatIds": ["wrNope"]})),
        ),
        (Method::POST, "/api/admin/pool/discover", Some(json!({}))),
        (Method::GET, "/api/admin/handovers/leavers", None),
        (Method::GET, "/api/admin/handovers", None),
        (Method::GET, "/api/admin/handovers/hdo_nope", None),
        (
            Method::POST,
            "/api/admin/handovers",
            Some(json!({"from": "nobody", "to": "zhangwei"})),
        ),
        (Method::GET, "/api/admin/replies", None),
        (Method::POST, "/api/admin/replies", reply()),
        (Method::PUT, "/api/admin/replies/order", no_ids),
        (Method::PUT, "/api/admin/replies/424242", reply()),
        (Method::DELETE, "/api/admin/replies/424242", None),
        (Method::GET, "/api/admin/welcome", None),
        (
            Method::PUT,
            "/api/admin/welcome",
            Some(json!({"text": "您好", "withoutGroup": "您好"})),
        ),
        (Method::GET, "/api/admin/stats/groups", None),
        (
            Method::POST,
            "/api/admin/stats/groups/read",
            Some(json!({})),
        ),
    ]
}

/// The matrix covers every admin operation the server describes (and the OpenAPI
/// tests check that it describes every route it mounts).
#[test]
fn the_matrix_covers_every_admin_operation() {
    let doc = serde_json::to_value(desk_server::openapi::document()).expect("json");
    let mut documented: Vec<String> = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        if !path.starts_with("/api/admin/") {
            continue;
        }
        for method in item.as_object().expect("item").keys() {
            documented.push(format!("{} {path}", method.to_uppercase()));
        }
    }
    let template = |p: &str| {
        p.replace("/s-matrix", "/{staffId}")
            .replace("/nope/", "/{id}/")
            .replace("/hdo_nope", "/{id}")
            .replace("/424242", "/{id}")
    };
    let mut called: Vec<String> = admin_calls()
        .iter()
        .map(|(m, p, _)| format!("{m} {}", template(p)))
        .collect();
    documented.sort();
    called.sort();
    assert_eq!(called, documented);
}

#[tokio::test]
async fn every_admin_call_answers_admins_only() {
    let app = spawn_app().await;
    let member = app.login("zhangwei").await;
    let admin = app.login("wangqiang").await;
    for (method, path, body) in admin_calls() {
        let none = app.send_as(None, method.clone(), path, body.as_ref()).await;
        assert_eq!(none.status(), 401, "{method} {path} without a session");
        assert_eq!(error_body(none).await.code, "not_logged_in");

        let refused = app
            .send_as(Some(&member), method.clone(), path, body.as_ref())
            .await;
        assert_eq!(refused.status(), 403, "{method} {path} as a member");
        assert_eq!(error_body(refused).await.code, "admin_only");

        let r = app
            .send_as(Some(&admin), method.clone(), path, body.as_ref())
            .await;
        let status = r.status().as_u16();
        assert!(
            ![401, 403, 405].contains(&status) && status < 500,
            "{method} {path} as the admin: {status} {}",
            r.text().await.unwrap_or_default()
        );
    }
}

fn order(title: &str, designer: &str, customer: &str) -> serde_json::Value {
    OrderFields {
        title,
        designer,
        pm: "wangqiang",
        customer,
        phone: "13800000000",
    }
    .json()
}

#[tokio::test]
async fn the_admin_sees_every_order_filtered_by_designer_group_and_text() {
    let app = spawn_app().await;
    for (id, title, designer, customer) in [
        ("A-1", "城南店 · 新房", "zhangwei", "王女士"),
        ("A-2", "城北店 · 100%满意", "zhangwei", "李先生"),
        ("A-3", "城西店 · 旧房翻新", "lina", "赵女士"),
        ("A-4", "Ärzte-Haus · ÉCOLE", "lina", "Müller"),
    ] {
        let r = app.put_order(id, &order(title, designer, customer)).await;
        assert!(r.status().is_success(), "{id}");
    }
    let zhang = app.login("zhangwei").await;
    let chat = app
        .make_customer_group("zhangwei", &["zhangwei", "wangqiang"], &["wmDemo0000"])
        .await;
    let r = app
        .post_as(
            &zhang,
            "/api/orders/A-1/group",
            &json!({"chatId": chat, "groupName": "王女士服务群", "externalUserIds": ["wmDemo0000"], "userIds": ["zhangwei", "wangqiang"]}),
        )
        .await;
    assert_eq!(r.status(), 201);

    let admin = app.login("wangqiang").await;
    let list = |query: &'static str| {
        let app = &app;
        let admin = admin.clone();
        async move {
            let r = app
                .get_as(&admin, &format!("/api/admin/orders{query}"))
                .await;
            assert_eq!(r.status(), 200, "{query}");
            r.json::<AdminOrders>().await.expect("json")
        }
    };
    let ids = |o: &AdminOrders| {
        let mut v: Vec<String> = o.orders.iter().map(|o| o.id.clone()).collect();
        v.sort();
        v
    };

    let all = list("").await;
    assert_eq!((all.total, all.with_group), (4, 1));
    assert_eq!(ids(&all), ["A-1", "A-2", "A-3", "A-4"]);
    // Letters beyond ASCII: the very text of the order finds it on both databases
    // (SQLite's LOWER folds ASCII only).
    assert_eq!(ids(&list("?q=%C3%84rzte").await), ["A-4"], "Ärzte");
    assert_eq!(ids(&list("?q=%C3%89COLE").await), ["A-4"], "ÉCOLE");
    assert_eq!(ids(&list("?q=haus").await), ["A-4"]);
    let names: Vec<&str> = all.designers.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(all.designers.len(), 2, "{names:?}");
    let made = all.orders.iter().find(|o| o.id == "A-1").expect("A-1");
    let group = made.group.as_ref().expect("A-1's group");
    assert_eq!(
        (group.chat_id.as_str(), group.via.as_str()),
        (chat.as_str(), "client")
    );

    assert_eq!(ids(&list("?designer=zhangwei").await), ["A-1", "A-2"]);
    assert_eq!(ids(&list("?group=without").await), ["A-2", "A-3", "A-4"]);
    assert_eq!(ids(&list("?group=with").await), ["A-1"]);
    assert_eq!(
        ids(&list("?designer=zhangwei&group=without").await),
        ["A-2"]
    );
    // What the admin types is text: `%` finds the order that says it, not every order.
    assert_eq!(ids(&list("?q=%25").await), ["A-2"]);
    assert_eq!(
        ids(&list("?q=%E8%B5%B5").await),
        ["A-3"],
        "by the customer's name"
    );
    assert_eq!(
        ids(&list("?q=a-2").await),
        ["A-2"],
        "without regard to case"
    );

    let page = list("?limit=2").await;
    let next = list("?limit=2&offset=3").await;
    assert_eq!(
        (page.orders.len(), next.orders.len(), next.total),
        (2, 1, 4)
    );

    for bad in [
        "?group=maybe",
        "?limit=0",
        "?limit=101",
        "?offset=-1",
        "?colour=red",
    ] {
        let r = app.get_as(&admin, &format!("/api/admin/orders{bad}")).await;
        assert_eq!(r.status(), 400, "{bad}");
    }
}

#[tokio::test]
async fn an_admin_binds_staff_checked_with_wecom_and_each_change_is_in_the_audit_log() {
    let app = spawn_app().await;
    let admin = app.login("wangqiang").await;
    let put = |staff: &'static str, userid: &'static str| {
        let app = &app;
        let admin = admin.clone();
        async move {
            app.send_as(
                Some(&admin),
                reqwest::Method::PUT,
                &format!("/api/admin/staff/{staff}"),
                Some(&json!({ "wecomUserId": userid })),
            )
            .await
        }
    };
    let delete = |staff: &'static str| {
        let app = &app;
        let admin = admin.clone();
        async move {
            app.send_as(
                Some(&admin),
                reqwest::Method::DELETE,
                &format!("/api/admin/staff/{staff}"),
                None,
            )
            .await
            .status()
        }
    };
    let list = || {
        let app = &app;
        let admin = admin.clone();
        async move {
            let r = app.get_as(&admin, "/api/admin/staff").await;
            assert_eq!(r.status(), 200);
            r.json::<AdminStaff>().await.expect("json")
        }
    };
    let r = put("s-1", "nobody-here").await;
    assert_eq!(r.status(), 400);
    assert_eq!(error_body(r).await.code, "unknown_member");
    assert_eq!(put("s-1", "zhangwei").await.status(), 201);
    assert_eq!(put("s-2", "lina").await.status(), 201);
    let taken = put("s-3", "lina").await;
    assert_eq!(taken.status(), 409);
    assert_eq!(error_body(taken).await.code, "member_already_bound");

    let staff = list().await;
    let shown: Vec<(&str, &str, Option<&str>)> = staff
        .staff
        .iter()
        .map(|s| {
            (
                s.binding.staff_id.as_str(),
                s.binding.wecom_user_id.as_str(),
                s.member_name.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        shown,
        [
            ("s-1", "zhangwei", Some("张伟")),
            ("s-2", "lina", Some("李娜"))
        ]
    );

    // WeCom busy for a member the directory has not named yet: that row says so, the
    // list still shows.
    assert_eq!(put("s-4", "chenjing").await.status(), 201);
    app.sim.set_faults(json!({"busyNext": 1000})).await;
    let busy = list().await;
    let row = busy
        .staff
        .iter()
        .find(|s| s.binding.staff_id == "s-4")
        .expect("s-4");
    assert_eq!(row.member_name, None);
    assert!(row.check_error.is_some(), "{row:?}");
    app.sim.set_faults(json!({})).await;
    assert_eq!(delete("s-4").await, 204);

    assert_eq!(delete("s-2").await, 204);
    assert_eq!(delete("s-2").await, 404, "not bound any more");

    let audit: AuditPage = app
        .get_as(&admin, "/api/admin/audit?member=wangqiang")
        .await
        .json()
        .await
        .expect("json");
    let actions: Vec<(&str, &str)> = audit
        .entries
        .iter()
        .map(|e| (e.action.as_str(), e.subject.as_str()))
        .collect();
    assert_eq!(
        actions,
        [
            ("staff.unbound", "s-2"),
            ("staff.unbound", "s-4"),
            ("staff.bound", "s-4"),
            ("staff.bound", "s-2"),
            ("staff.bound", "s-1")
        ],
        "newest first, refusals not recorded"
    );
}

#[tokio::test]
async fn the_audit_log_is_filtered_by_member_subject_and_time_and_paged() {
    let app = spawn_app().await;
    let admin = app.login("wangqiang").await;
    // Six changes of one binding, and one of another: seven entries.
    for (staff, userid) in [
        ("s-1", "zhangwei"),
        ("s-1", "lina"),
        ("s-1", "zhangwei"),
        ("s-3", "lina"),
        ("s-1", "chenjing"),
        ("s-1", "zhangwei"),
        ("s-1", "chenjing"),
    ] {
        let r = app
            .send_as(
                Some(&admin),
                reqwest::Method::PUT,
                &format!("/api/admin/staff/{staff}"),
                Some(&json!({ "wecomUserId": userid })),
            )
            .await;
        assert!(r.status().is_success(), "{staff} {userid}: {}", r.status());
    }
    let page = |query: String| {
        let app = &app;
        let admin = admin.clone();
        async move {
            let r = app
                .get_as(&admin, &format!("/api/admin/audit{query}"))
                .await;
            assert_eq!(r.status(), 200, "{query}");
            r.json::<AuditPage>().await.expect("json")
        }
    };
    // Paged three at a time: every entry once, newest first.
    let mut seen = Vec::new();
    let mut before = None;
    loop {
        let query = match before {
            Some(b) => format!("?member=wangqiang&limit=3&before={b}"),
            None => "?member=wangqiang&limit=3".to_string(),
        };
        let p = page(query).await;
        assert!(p.entries.len() <= 3);
        seen.extend(p.entries.iter().map(|e| e.id));
        match p.next_before {
            Some(b) => before = Some(b),
            None => break,
        }
    }
    assert_eq!(seen.len(), 7, "{seen:?}");
    assert!(
        seen.windows(2).all(|w| w[0] > w[1]),
        "newest first: {seen:?}"
    );

    let one = page("?order=s-3".into()).await;
    assert_eq!(one.entries.len(), 1);
    assert_eq!(one.entries[0].action, "staff.bound");
    assert!(
        one.entries[0].detail.contains("lina"),
        "{:?}",
        one.entries[0]
    );
    assert!(page("?member=zhangwei".into()).await.entries.is_empty());

    let now = desk_server::clock::now_secs();
    assert_eq!(page(format!("?from={}", now - 60)).await.entries.len(), 7);
    assert!(page(format!("?from={}", now + 60)).await.entries.is_empty());
    assert!(page(format!("?to={}", now - 60)).await.entries.is_empty());
    let r = app
        .get_as(
            &admin,
            &format!("/api/admin/audit?from={}&to={}", now, now - 1),
        )
        .await;
    assert_eq!(r.status(), 400);
    assert_eq!(error_body(r).await.code, "invalid_field");
}
