//! One order, one group: orders in, candidates by phone, the group recorded once.

use desk_shared::{Candidates, Order, OrderGroup, Orders};
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

/// Upserts an order with lina as project manager.
async fn put(app: &TestApp, id: &str, designer: &str, customer: &str, phone: &str) {
    let r = app
        .put_order(id, &order(designer, "lina", customer, phone))
        .await;
    assert!(r.status().is_success(), "PUT {id}: {}", r.status());
}

async fn candidates(app: &TestApp, session: &str, id: &str) -> Candidates {
    let r = app
        .get_as(session, &format!("/api/orders/{id}/candidates"))
        .await;
    assert_eq!(r.status(), 200);
    r.json().await.expect("candidates JSON")
}

fn ids(c: &Candidates) -> Vec<String> {
    let mut v: Vec<String> = c
        .candidates
        .iter()
        .map(|c| c.external_user_id.clone())
        .collect();
    v.sort();
    v
}

/// A customer group with zhangwei and lina and `customer`, made in the simulated
/// client by `userid`.
async fn make_group(app: &TestApp, userid: &str, customer: &str) -> String {
    app.make_customer_group(userid, &["zhangwei", "lina"], &[customer])
        .await
}

#[tokio::test]
async fn the_order_api_needs_the_api_key() {
    let app = spawn_app().await;
    let url = format!("{}/api/v1/orders/DD-1", app.address);
    let body = order("zhangwei", "lina", "王女士", "13900000000");
    let none = app.http.put(&url).json(&body).send().await.expect("answer");
    assert_eq!(none.status(), 401);
    assert_eq!(error_body(none).await.code, "bad_api_key");
    let wrong = app
        .http
        .put(&url)
        .bearer_auth("nope")
        .json(&body)
        .send()
        .await
        .expect("answer");
    assert_eq!(wrong.status(), 401);
    assert_eq!(app.put_order("DD-1", &body).await.status(), 201);
    assert_eq!(
        app.put_order("DD-1", &body).await.status(),
        200,
        "an upsert"
    );
}

#[tokio::test]
async fn validation_errors_name_the_field() {
    let app = spawn_app().await;
    for (body, field) in [
        (order("zhangwei", "lina", "王女士", " "), "customerPhone"),
        (order("zhangwei", "lina", "", "139"), "customerName"),
        (order("ghost", "lina", "王女士", "139"), "designerUserId"),
        (
            order("zhangwei", "nobody", "王女士", "139"),
            "projectManagerUserId",
        ),
    ] {
        let r = app.put_order("DD-2", &body).await;
        assert_eq!(r.status(), 400, "{field}");
        let e = error_body(r).await;
        assert!(e.message.contains(field), "{field}: {}", e.message);
    }
    let missing = app.put_order("DD-2", &json!({"title": "x"})).await;
    assert_eq!(missing.status(), 400);
    assert!(error_body(missing).await.message.contains("designerUserId"));
}

#[tokio::test]
async fn members_see_only_their_own_orders() {
    let app = spawn_app().await;
    put(&app, "DD-10", "zhangwei", "王女士", "13900000000").await;
    put(&app, "DD-11", "chenjing", "许先生", "13800197975").await;

    let zhang = app.login("zhangwei").await;
    let list: Orders = app
        .get_as(&zhang, "/api/orders")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(
        list.orders
            .iter()
            .map(|o| o.id.as_str())
            .collect::<Vec<_>>(),
        vec!["DD-10"]
    );
    assert_eq!(list.orders[0].designer.name, "张伟");
    assert_eq!(list.orders[0].project_manager.name, "李娜");
    assert!(list.orders[0].group.is_none());

    let lina = app.login("lina").await;
    let list: Orders = app
        .get_as(&lina, "/api/orders")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(list.orders.len(), 2, "the PM of both");

    let admin = app.login("wangqiang").await;
    assert_eq!(app.get_as(&admin, "/api/orders/DD-10").await.status(), 403);
    assert_eq!(
        app.get_as(&admin, "/api/orders/DD-10/candidates")
            .await
            .status(),
        403
    );
    let chat = make_group(&app, "zhangwei", "wmDemo0000").await;
    let r = app
        .post_as(
            &admin,
            "/api/orders/DD-10/group",
            &json!({"chatId": chat, "groupName": "x"}),
        )
        .await;
    assert_eq!(r.status(), 403);
    assert_eq!(app.get_as(&zhang, "/api/orders/nope").await.status(), 404);
    assert_eq!(app.get("/api/orders").await.status(), 401);
}

#[tokio::test]
async fn any_spelling_of_the_phone_finds_the_customer() {
    let app = spawn_app().await;
    let zhang = app.login("zhangwei").await;
    // The order's phone in every common spelling; the remark has "13900000000".
    for (i, phone) in [
        "13900000000",
        "139 0000 0000",
        "139-0000-0000",
        "+86 139 0000 0000",
        "0086-13900000000",
        "8613900000000",
        "１３９００００００００",
        "(139)0000.0000",
    ]
    .iter()
    .enumerate()
    {
        let id = format!("DD-P{i}");
        put(&app, &id, "zhangwei", "王女士", phone).await;
        assert_eq!(
            ids(&candidates(&app, &zhang, &id).await),
            vec!["wmDemo0000"],
            "{phone}"
        );
    }
    // And the remarks in other spellings: "138 0000 7919", "+86 13800023757", full-width.
    for (id, phone, customer) in [
        ("DD-R1", "13800007919", "wmDemo0001"),
        ("DD-R2", "138-0002-3757", "wmDemo0003"),
        ("DD-R3", "13900031676", "wmDemo0004"),
    ] {
        put(&app, id, "zhangwei", "客户", phone).await;
        let c = candidates(&app, &zhang, id).await;
        assert_eq!(ids(&c), vec![customer], "{phone}");
        assert!(c.hint.is_none());
    }
}

#[tokio::test]
async fn zero_one_or_many_candidates_each_explained() {
    let app = spawn_app().await;
    let zhang = app.login("zhangwei").await;

    put(&app, "DD-1", "zhangwei", "王女士", "13900000000").await;
    let one = candidates(&app, &zhang, "DD-1").await;
    assert_eq!(one.candidates.len(), 1);
    assert_eq!(one.candidates[0].name, "王女士");
    assert!(one.candidates[0].remark.contains("城南店"));

    // The couple share one phone.
    put(&app, "DD-2", "zhangwei", "周先生", "13812345678").await;
    let many = candidates(&app, &zhang, "DD-2").await;
    assert_eq!(ids(&many), vec!["wmDemoPair01", "wmDemoPair02"]);
    assert!(many.hint.expect("hint").contains("2 位客户"));

    // 杨先生 is the designer's customer, but with no phone in the remark.
    put(&app, "DD-3", "zhangwei", "杨先生", "13912345000").await;
    let none = candidates(&app, &zhang, "DD-3").await;
    assert!(none.candidates.is_empty());
    let hint = none.hint.expect("hint");
    assert!(
        hint.contains("杨先生") && hint.contains("备注里没有手机号"),
        "{hint}"
    );

    // Nobody has this phone.
    put(&app, "DD-4", "zhangwei", "孙女士", "13700000000").await;
    let hint = candidates(&app, &zhang, "DD-4").await.hint.expect("hint");
    assert!(hint.contains("没有备注手机号为 13700000000"), "{hint}");
    assert!(hint.contains("手动选择"), "offers the manual pick: {hint}");
}

#[tokio::test]
async fn a_customer_followed_only_by_another_member_is_not_a_candidate() {
    let app = spawn_app().await;
    // 唐女士 (13900190056) is chenjing's customer, not zhangwei's.
    put(&app, "DD-5", "zhangwei", "唐女士", "13900190056").await;
    let zhang = app.login("zhangwei").await;
    assert!(candidates(&app, &zhang, "DD-5").await.candidates.is_empty());
    // The PM asking changes nothing: it is the designer's customers that count.
    let lina = app.login("lina").await;
    assert!(candidates(&app, &lina, "DD-5").await.candidates.is_empty());
    put(&app, "DD-6", "chenjing", "唐女士", "13900190056").await;
    assert_eq!(
        ids(&candidates(&app, &lina, "DD-6").await),
        vec!["wmDemo0024"]
    );
}

#[tokio::test]
async fn recording_is_idempotent_and_a_second_group_is_refused() {
    let app = spawn_app().await;
    put(&app, "DD-7", "zhangwei", "王女士", "13900000000").await;
    let zhang = app.login("zhangwei").await;
    let chat = make_group(&app, "zhangwei", "wmDemo0000").await;
    let body = json!({"chatId": chat, "groupName": "王女士-城南店装修服务群", "externalUserIds": ["wmDemo0000"], "userIds": ["zhangwei", "lina"]});

    let first = app.post_as(&zhang, "/api/orders/DD-7/group", &body).await;
    assert_eq!(first.status(), 201);
    let first: OrderGroup = first.json().await.expect("json");
    assert_eq!(first.chat_id, chat);
    assert_eq!(first.created_by, "zhangwei");

    let again = app.post_as(&zhang, "/api/orders/DD-7/group", &body).await;
    assert_eq!(again.status(), 200);
    assert_eq!(again.json::<OrderGroup>().await.expect("json"), first);

    let other = make_group(&app, "zhangwei", "wmDemo0000").await;
    let second = app
        .post_as(
            &zhang,
            "/api/orders/DD-7/group",
            &json!({"chatId": other, "groupName": "x"}),
        )
        .await;
    assert_eq!(second.status(), 409);
    assert_eq!(error_body(second).await.code, "group_exists");

    let o: Order = app
        .get_as(&zhang, "/api/orders/DD-7")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(o.group.expect("group").chat_id, chat);

    // The same chat cannot become another order's group either.
    put(&app, "DD-8", "zhangwei", "王女士", "13900000000").await;
    let reuse = app.post_as(&zhang, "/api/orders/DD-8/group", &body).await;
    assert_eq!(reuse.status(), 409);
}

#[tokio::test]
async fn concurrent_duplicate_posts_leave_exactly_one_record() {
    let app = spawn_app().await;
    put(&app, "DD-9", "zhangwei", "王女士", "13900000000").await;
    let zhang = app.login("zhangwei").await;
    let chat = make_group(&app, "zhangwei", "wmDemo0000").await;
    let other = make_group(&app, "zhangwei", "wmDemo0000").await;
    let bodies: Vec<Value> = (0..20)
        .map(|i| json!({"chatId": if i % 2 == 0 { &chat } else { &other }, "groupName": "g"}))
        .collect();
    let posts = bodies
        .iter()
        .map(|body| app.post_as(&zhang, "/api/orders/DD-9/group", body));
    let statuses: Vec<u16> = futures::future::join_all(posts)
        .await
        .iter()
        .map(|r| r.status().as_u16())
        .collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| [200, 201, 409].contains(s)),
        "{statuses:?}"
    );

    let groups = app
        .count("SELECT count(*) FROM order_groups WHERE order_id = 'DD-9'")
        .await;
    assert_eq!(groups, 1);
    let audits = app.count(
        "SELECT count(*) FROM audit_log WHERE action = 'order_group.created' AND subject = 'DD-9' AND actor = 'zhangwei'",
    )
    .await;
    assert_eq!(audits, 1, "the creation is in the audit log, once");
}

#[tokio::test]
async fn only_an_existing_customer_group_can_be_recorded() {
    let app = spawn_app().await;
    put(&app, "DD-12", "zhangwei", "王女士", "13900000000").await;
    let zhang = app.login("zhangwei").await;
    let unknown = app
        .post_as(
            &zhang,
            "/api/orders/DD-12/group",
            &json!({"chatId": "wrNoSuchGroup", "groupName": "g"}),
        )
        .await;
    assert_eq!(unknown.status(), 400);
    assert_eq!(error_body(unknown).await.code, "chat_not_found");
    let internal = app
        .sim
        .client()
        .create_app_chat(&desk_server::wecom::types::AppChatCreate {
            name: "内部群".into(),
            owner: None,
            userlist: vec!["zhangwei".into(), "lina".into()],
            chatid: None,
        })
        .await
        .expect("app chat");
    let r = app
        .post_as(
            &zhang,
            "/api/orders/DD-12/group",
            &json!({"chatId": internal, "groupName": "g"}),
        )
        .await;
    assert_eq!(r.status(), 400);
    assert_eq!(error_body(r).await.code, "not_customer_group");
    let empty = app
        .post_as(
            &zhang,
            "/api/orders/DD-12/group",
            &json!({"chatId": " ", "groupName": "g"}),
        )
        .await;
    assert_eq!(empty.status(), 400);
}

#[tokio::test]
async fn the_mirror_is_fetched_100_at_a_time_once_and_survives_a_revoked_token() {
    let sim = spawn_simulator_with(demo_fixture_with(
        "[[generate]]\nuserid = \"zhangwei\"\ncount = 250\n",
    ))
    .await;
    // Forced refreshes not rate-limited here: this test is about what one costs.
    let app = spawn_app_with(sim, |c| {
        c.replace(
            "[integration]",
            "[contacts]\nforced_refresh_secs = 0\n[integration]",
        )
    })
    .await;
    put(&app, "DD-13", "zhangwei", "客户7", "13900000007").await;
    let zhang = app.login("zhangwei").await;
    let gettoken_before = app.sim.calls("gettoken").await;
    // The token dies after the first page of customers.
    app.sim.set_faults(json!({ "revokeTokensAfter": 1 })).await;

    let c = candidates(&app, &zhang, "DD-13").await;
    assert_eq!(ids(&c), vec!["wmgenzhangweix000007"]);
    // 26 demo customers + 250 generated = 276: three pages, the second one twice.
    assert_eq!(app.sim.calls("externalcontact/batch/get_by_user").await, 4);
    assert_eq!(app.sim.calls("gettoken").await, gettoken_before + 1);

    // Warm: no more WeCom calls.
    candidates(&app, &zhang, "DD-13").await;
    assert_eq!(app.sim.calls("externalcontact/batch/get_by_user").await, 4);
    // Unless asked to refresh.
    let r = app
        .get_as(&zhang, "/api/orders/DD-13/candidates?refresh=true")
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(app.sim.calls("externalcontact/batch/get_by_user").await, 7);
}

#[tokio::test]
async fn concurrent_cold_requests_share_one_mirror_refresh() {
    let sim = spawn_simulator_with(demo_fixture_with(
        "[[generate]]\nuserid = \"zhangwei\"\ncount = 250\n",
    ))
    .await;
    let app = spawn_app_on(sim).await;
    put(&app, "DD-14", "zhangwei", "王女士", "13900000000").await;
    let zhang = app.login("zhangwei").await;
    let requests = (0..10).map(|_| app.get_as(&zhang, "/api/orders/DD-14/candidates"));
    for r in futures::future::join_all(requests).await {
        assert_eq!(r.status(), 200);
    }
    assert_eq!(app.sim.calls("externalcontact/batch/get_by_user").await, 3);
}
