//! Quick replies (话术): admins keep them in order (write, reorder, delete, each
//! audited), members list them by group and say when they sent one (counted and
//! audited); the limits are in characters and each refusal names its limit.

use desk_shared::admin::AuditPage;
use desk_shared::replies::{AdminReplies, Reply, ReplyGroups};
use futures::future::join_all;
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::*;

/// The demo corp's admin (`server.admin_userids`) and a member who is not one.
const ADMIN: &str = "wangqiang";
const MEMBER: &str = "zhangwei";

/// `POST /api/admin/replies` as `session`.
async fn add(app: &TestApp, session: &str, body: Value) -> reqwest::Response {
    app.post_as(session, "/api/admin/replies", &body).await
}

/// Adds a reply that must be accepted; the reply as stored.
async fn added(app: &TestApp, admin: &str, title: &str, text: &str, group: &str) -> Reply {
    let r = add(
        app,
        admin,
        json!({"title": title, "text": text, "group": group}),
    )
    .await;
    assert_eq!(
        r.status(),
        201,
        "{title}: {}",
        r.text().await.unwrap_or_default()
    );
    r.json().await.expect("Reply")
}

/// Every reply as the console lists it.
async fn console(app: &TestApp, admin: &str) -> Vec<Reply> {
    let r = app.get_as(admin, "/api/admin/replies").await;
    assert_eq!(r.status(), 200);
    assert_eq!(header(&r, "cache-control"), "no-store");
    r.json::<AdminReplies>()
        .await
        .expect("AdminReplies")
        .replies
}

/// What the sidebar lists for `session`: (group, [(id, useCount)]).
async fn sidebar(app: &TestApp, session: &str) -> Vec<(String, Vec<(i64, i64)>)> {
    let r = app.get_as(session, "/api/replies").await;
    assert_eq!(r.status(), 200);
    assert_eq!(header(&r, "cache-control"), "no-store");
    let groups: ReplyGroups = r.json().await.expect("ReplyGroups");
    groups
        .groups
        .into_iter()
        .map(|g| {
            (
                g.name,
                g.replies.iter().map(|r| (r.id, r.use_count)).collect(),
            )
        })
        .collect()
}

async fn send(
    app: &TestApp,
    session: &str,
    method: Method,
    path: &str,
    body: Value,
) -> reqwest::Response {
    app.send_as(Some(session), method, path, Some(&body)).await
}

/// `DELETE path` as `session`, without a body (as the console sends it).
async fn delete(app: &TestApp, session: &str, path: &str) -> reqwest::Response {
    app.send_as(Some(session), Method::DELETE, path, None).await
}

/// The audit entries `actor` made, newest first: (action, subject, detail).
async fn audit_of(app: &TestApp, admin: &str, actor: &str) -> Vec<(String, String, Value)> {
    let page: AuditPage = app
        .get_as(admin, &format!("/api/admin/audit?member={actor}&limit=100"))
        .await
        .json()
        .await
        .expect("AuditPage");
    page.entries
        .into_iter()
        .map(|e| {
            let detail = serde_json::from_str(&e.detail).expect("detail is JSON");
            (e.action, e.subject, detail)
        })
        .collect()
}

fn ids(replies: &[Reply]) -> Vec<i64> {
    replies.iter().map(|r| r.id).collect()
}

#[tokio::test]
async fn admins_write_replies_in_order_and_members_see_them_by_group() {
    let app = spawn_app().await;
    let admin = app.login(ADMIN).await;
    let member = app.login(MEMBER).await;
    assert!(sidebar(&app, &member).await.is_empty(), "no replies yet");

    let welcome = added(
        &app,
        &admin,
        " 进群欢迎 ",
        "{客户}您好，我是设计师{设计师}。",
        " 问候 ",
    )
    .await;
    assert_eq!(
        (
            welcome.title.as_str(),
            welcome.group.as_str(),
            welcome.use_count
        ),
        ("进群欢迎", "问候", 0),
        "title and group trimmed"
    );
    let quote = added(
        &app,
        &admin,
        "报价单已发",
        "订单 {订单号} 的报价单已发到群里。",
        "报价",
    )
    .await;
    let start = added(&app, &admin, "开工通知", "本周六开工。", "").await;
    assert_eq!(start.group, "常用", "no group: 常用");
    let hello = added(&app, &admin, "加好友问候", "很高兴为您服务！", "问候").await;
    assert_eq!(
        ids(&console(&app, &admin).await),
        [welcome.id, quote.id, start.id, hello.id],
        "appended in the order written"
    );

    // Rewritten in place: its place and count stay.
    let r = send(
        &app,
        &admin,
        Method::PUT,
        &format!("/api/admin/replies/{}", quote.id),
        json!({"title": "报价说明", "text": "报价含设计、主材、辅材和人工。", "group": "报价"}),
    )
    .await;
    assert_eq!(r.status(), 200);
    let rewritten: Reply = r.json().await.expect("Reply");
    assert_eq!(
        (
            rewritten.id,
            rewritten.title.as_str(),
            rewritten.text.as_str()
        ),
        (quote.id, "报价说明", "报价含设计、主材、辅材和人工。")
    );

    let path = format!("/api/admin/replies/{}", start.id);
    let r = delete(&app, &admin, &path).await;
    assert_eq!(r.status(), 204);
    let again = delete(&app, &admin, &path).await;
    assert_eq!(again.status(), 404, "deleted already");
    assert_eq!(error_body(again).await.code, "not_found");

    let listed = console(&app, &admin).await;
    assert_eq!(ids(&listed), [welcome.id, quote.id, hello.id]);
    assert_eq!(listed[1], rewritten);
    assert_eq!(
        sidebar(&app, &member).await,
        [
            ("问候".to_string(), vec![(welcome.id, 0), (hello.id, 0)]),
            ("报价".to_string(), vec![(quote.id, 0)]),
        ],
        "groups in the order of their first reply"
    );

    let audit = audit_of(&app, &admin, ADMIN).await;
    let actions: Vec<(&str, String)> = audit
        .iter()
        .map(|(a, s, _)| (a.as_str(), s.clone()))
        .collect();
    assert_eq!(
        actions,
        [
            ("reply.deleted", start.id.to_string()),
            ("reply.updated", quote.id.to_string()),
            ("reply.created", hello.id.to_string()),
            ("reply.created", start.id.to_string()),
            ("reply.created", quote.id.to_string()),
            ("reply.created", welcome.id.to_string()),
        ],
        "every change under the admin, newest first; the refused delete not recorded"
    );
    assert_eq!(audit[0].2["title"], "开工通知");
}

#[tokio::test]
async fn a_new_order_must_name_every_reply_once_and_groups_follow_it() {
    let app = spawn_app().await;
    let admin = app.login(ADMIN).await;
    let a = added(&app, &admin, "A", "a", "问候").await;
    let b = added(&app, &admin, "B", "b", "报价").await;
    let c = added(&app, &admin, "C", "c", "问候").await;

    let r = send(
        &app,
        &admin,
        Method::PUT,
        "/api/admin/replies/order",
        json!({"ids": [b.id, c.id, a.id]}),
    )
    .await;
    assert_eq!(r.status(), 200);
    let answered: AdminReplies = r.json().await.expect("AdminReplies");
    assert_eq!(ids(&answered.replies), [b.id, c.id, a.id]);
    assert_eq!(ids(&console(&app, &admin).await), [b.id, c.id, a.id]);
    assert_eq!(
        sidebar(&app, &admin).await,
        [
            ("报价".to_string(), vec![(b.id, 0)]),
            ("问候".to_string(), vec![(c.id, 0), (a.id, 0)]),
        ]
    );

    for bad in [
        json!({"ids": [b.id, c.id]}),
        json!({"ids": [b.id, c.id, a.id, a.id]}),
        json!({"ids": [b.id, c.id, c.id]}),
        json!({"ids": [b.id, c.id, a.id + 1000]}),
        json!({"ids": []}),
    ] {
        let r = send(
            &app,
            &admin,
            Method::PUT,
            "/api/admin/replies/order",
            bad.clone(),
        )
        .await;
        assert_eq!(r.status(), 400, "{bad}");
        let e = error_body(r).await;
        assert_eq!(e.code, "invalid_field", "{bad}");
        assert!(e.message.contains("刷新"), "says to reload: {}", e.message);
    }
    assert_eq!(
        ids(&console(&app, &admin).await),
        [b.id, c.id, a.id],
        "a refused order changes nothing"
    );

    // `order` is never read as a reply's id.
    let r = delete(&app, &admin, "/api/admin/replies/order").await;
    assert_eq!(r.status(), 405);
    assert_eq!(console(&app, &admin).await.len(), 3);

    let audit = audit_of(&app, &admin, ADMIN).await;
    assert_eq!(audit[0].0, "reply.reordered");
    assert_eq!(audit[0].2["ids"], json!([b.id, c.id, a.id]));
    assert_eq!(
        audit.iter().filter(|e| e.0 == "reply.reordered").count(),
        1,
        "refusals not recorded"
    );
}

#[tokio::test]
async fn only_admins_keep_replies_and_only_members_read_them() {
    let app = spawn_app().await;
    let admin = app.login(ADMIN).await;
    let member = app.login(MEMBER).await;
    let kept = added(&app, &admin, "进群欢迎", "您好", "问候").await;
    let one = format!("/api/admin/replies/{}", kept.id);
    let input = json!({"title": "改过", "text": "改过", "group": ""});
    let calls = [
        (Method::GET, "/api/admin/replies", None),
        (Method::POST, "/api/admin/replies", Some(input.clone())),
        (
            Method::PUT,
            "/api/admin/replies/order",
            Some(json!({"ids": [kept.id]})),
        ),
        (Method::PUT, one.as_str(), Some(input.clone())),
        (Method::DELETE, one.as_str(), None),
    ];
    for (method, path, body) in &calls {
        let r = app
            .send_as(Some(&member), method.clone(), path, body.as_ref())
            .await;
        assert_eq!(r.status(), 403, "{method} {path} as a member");
        assert_eq!(error_body(r).await.code, "admin_only");
        let r = app.send_as(None, method.clone(), path, body.as_ref()).await;
        assert_eq!(r.status(), 401, "{method} {path} logged out");
        assert_eq!(error_body(r).await.code, "not_logged_in");
    }
    assert_eq!(
        console(&app, &admin).await,
        std::slice::from_ref(&kept),
        "nothing changed"
    );

    for (method, path, body) in [
        (Method::GET, "/api/replies".to_string(), None),
        (
            Method::POST,
            format!("/api/replies/{}/sent", kept.id),
            Some(json!({})),
        ),
    ] {
        let r = app
            .send_as(None, method.clone(), &path, body.as_ref())
            .await;
        assert_eq!(r.status(), 401, "{method} {path} logged out");
        assert_eq!(error_body(r).await.code, "not_logged_in");
    }
    assert_eq!(
        sidebar(&app, &member).await,
        [("问候".to_string(), vec![(kept.id, 0)])]
    );
}

#[tokio::test]
async fn each_send_is_counted_once_and_audited_with_where_it_went() {
    let app = spawn_app().await;
    let admin = app.login(ADMIN).await;
    let member = app.login(MEMBER).await;
    let welcome = added(&app, &admin, "进群欢迎", "{客户}您好", "问候").await;
    let other = added(&app, &admin, "开工通知", "本周六开工", "进度").await;
    let sent = format!("/api/replies/{}/sent", welcome.id);

    let r = app
        .post_as(&member, &sent, &json!({"externalUserId": "wmDemo0000"}))
        .await;
    assert_eq!(r.status(), 204);
    let r = app
        .post_as(
            &member,
            &sent,
            &json!({"chatId": "wrDemoWang0001", "unknown": 1}),
        )
        .await;
    assert_eq!(r.status(), 204, "unknown fields ignored");
    assert_eq!(
        sidebar(&app, &member).await,
        [
            ("问候".to_string(), vec![(welcome.id, 2)]),
            ("进度".to_string(), vec![(other.id, 0)]),
        ]
    );

    // Sends at once are each counted.
    let nowhere = json!({});
    let answers = join_all((0..8).map(|_| app.post_as(&member, &sent, &nowhere))).await;
    assert!(answers.iter().all(|r| r.status() == 204));
    let listed = console(&app, &admin).await;
    assert_eq!((listed[0].use_count, listed[1].use_count), (10, 0));

    // Where it went must be an id: refused, not counted.
    for bad in [
        json!({"externalUserId": "wm\u{0007}bell"}),
        json!({"chatId": "wr\u{202e}evil"}),
        json!({"chatId": "w".repeat(65)}),
    ] {
        let r = app.post_as(&member, &sent, &bad).await;
        assert_eq!(r.status(), 400, "{bad}");
        assert_eq!(error_body(r).await.code, "invalid_field");
    }
    let r = app.post_as(&member, &sent, &json!("not an object")).await;
    assert_eq!(r.status(), 400);
    assert_eq!(error_body(r).await.code, "bad_json");
    assert_eq!(console(&app, &admin).await[0].use_count, 10);

    let audit = audit_of(&app, &admin, MEMBER).await;
    assert_eq!(audit.len(), 10, "{audit:?}");
    assert!(audit
        .iter()
        .all(|(action, subject, _)| action == "reply.sent" && *subject == welcome.id.to_string()));
    let oldest = &audit[9].2;
    assert_eq!(
        (oldest["externalUserId"].as_str(), oldest["chatId"].as_str()),
        (Some("wmDemo0000"), None)
    );
    assert_eq!(audit[8].2["chatId"], "wrDemoWang0001");
    assert_eq!(oldest["title"], "进群欢迎");
}

#[tokio::test]
async fn limits_are_in_characters_and_a_refusal_names_the_limit() {
    let app = spawn_app().await;
    let admin = app.login(ADMIN).await;
    let refused = |body: Value| {
        let (app, admin) = (&app, admin.clone());
        async move {
            let r = add(app, &admin, body.clone()).await;
            assert_eq!(r.status(), 400, "{body}");
            let e = error_body(r).await;
            assert_eq!(e.code, "invalid_field", "{body}");
            e.message
        }
    };

    let m = refused(json!({"title": "标".repeat(31), "text": "好", "group": ""})).await;
    assert!(m.contains("title") && m.contains("30"), "{m}");
    let at_most = added(&app, &admin, &"标".repeat(30), "好", "").await;
    assert_eq!(at_most.title.chars().count(), 30);

    let m = refused(json!({"title": "长文", "text": "字".repeat(1001), "group": ""})).await;
    assert!(
        m.contains("1000") && m.contains("1001"),
        "says the limit and the length: {m}"
    );
    let longest = added(&app, &admin, "长文", &"字".repeat(1000), "").await;
    assert_eq!(
        longest.text,
        "字".repeat(1000),
        "1,000 characters are 3,000 bytes"
    );

    let m = refused(json!({"title": "分组", "text": "好", "group": "组".repeat(21)})).await;
    assert!(m.contains("group") && m.contains("20"), "{m}");
    let blank_group = added(&app, &admin, "空分组", "好", "   ").await;
    assert_eq!(blank_group.group, "常用");

    let lines = added(&app, &admin, "两行", "第一行\n第二行", "").await;
    assert_eq!(lines.text, "第一行\n第二行", "line breaks kept in the text");
    for (field, body) in [
        ("title", json!({"title": "", "text": "好", "group": ""})),
        ("title", json!({"title": "  ", "text": "好", "group": ""})),
        (
            "title",
            json!({"title": "响\u{0007}铃", "text": "好", "group": ""}),
        ),
        (
            "title",
            json!({"title": "两\n行", "text": "好", "group": ""}),
        ),
        ("text", json!({"title": "空", "text": " \n ", "group": ""})),
        (
            "text",
            json!({"title": "制表", "text": "a\tb", "group": ""}),
        ),
        (
            "text",
            json!({"title": "反向", "text": "价格\u{202e}0001", "group": ""}),
        ),
        (
            "group",
            json!({"title": "反向", "text": "好", "group": "报\u{2066}价"}),
        ),
    ] {
        let m = refused(body.clone()).await;
        assert!(m.starts_with(field), "{body} names {field}: {m}");
    }
    let r = add(&app, &admin, json!({"title": "缺内容"})).await;
    assert_eq!(r.status(), 400);
    assert_eq!(error_body(r).await.code, "bad_json");

    // The same rules for a rewrite.
    let r = send(
        &app,
        &admin,
        Method::PUT,
        &format!("/api/admin/replies/{}", lines.id),
        json!({"title": "两行", "text": "字".repeat(1001), "group": ""}),
    )
    .await;
    assert_eq!(r.status(), 400);
    assert_eq!(
        ids(&console(&app, &admin).await),
        [at_most.id, longest.id, blank_group.id, lines.id],
        "only what was accepted is kept"
    );
    assert_eq!(console(&app, &admin).await[3].text, "第一行\n第二行");
}

#[tokio::test]
async fn an_unknown_or_malformed_reply_id_is_not_found() {
    let app = spawn_app().await;
    let admin = app.login(ADMIN).await;
    let member = app.login(MEMBER).await;
    let kept = added(&app, &admin, "进群欢迎", "您好", "").await;
    let input = json!({"title": "改", "text": "改", "group": ""});
    for id in [
        (kept.id + 1000).to_string(),
        "abc".into(),
        "0".into(),
        "-1".into(),
        "99999999999999999999".into(),
    ] {
        let r = app
            .post_as(&member, &format!("/api/replies/{id}/sent"), &json!({}))
            .await;
        assert_eq!(r.status(), 404, "sent {id}");
        let e = error_body(r).await;
        assert_eq!(e.code, "not_found");
        assert!(e.message.contains("话术"), "{}", e.message);
        let path = format!("/api/admin/replies/{id}");
        let r = send(&app, &admin, Method::PUT, &path, input.clone()).await;
        assert_eq!(r.status(), 404, "PUT {id}");
        let r = delete(&app, &admin, &path).await;
        assert_eq!(r.status(), 404, "DELETE {id}");
    }
    assert_eq!(console(&app, &admin).await, [kept]);
}

#[tokio::test]
async fn at_most_500_replies_are_kept_even_when_admins_add_at_once() {
    let app = spawn_app().await;
    let admin = app.login(ADMIN).await;
    // 496 written straight to the store (the API's path is the same, only slower).
    let db = app.db().await;
    let mut tx = db.begin().await.expect("tx");
    for i in 0..496 {
        let title = format!("话术{i}");
        let reply = desk_server::replies::store::NewReply {
            title: &title,
            text: "您好",
            group: "常用",
        };
        let row = desk_server::replies::store::append(&mut tx, &reply, ADMIN, 0, 500)
            .await
            .expect("append");
        assert!(row.is_some());
    }
    tx.commit().await.expect("commit");

    // Six at once for the last four places: four are kept, at the end, two refused.
    let answers = join_all((0..6).map(|i| {
        let body = json!({"title": format!("同时{i}"), "text": "您好", "group": ""});
        let (app, admin) = (&app, &admin);
        async move { add(app, admin, body).await }
    }))
    .await;
    let mut statuses: Vec<u16> = answers.iter().map(|r| r.status().as_u16()).collect();
    statuses.sort_unstable();
    assert_eq!(statuses, [201, 201, 201, 201, 409, 409]);
    let listed = console(&app, &admin).await;
    assert_eq!(listed.len(), 500);
    assert!(listed[496..].iter().all(|r| r.title.starts_with("同时")));

    let r = add(
        &app,
        &admin,
        json!({"title": "第501条", "text": "您好", "group": ""}),
    )
    .await;
    assert_eq!(r.status(), 409);
    let e = error_body(r).await;
    assert_eq!(e.code, "bad_request");
    assert!(e.message.contains("500"), "names the limit: {}", e.message);
    assert_eq!(console(&app, &admin).await.len(), 500);

    let r = delete(
        &app,
        &admin,
        &format!("/api/admin/replies/{}", listed[0].id),
    )
    .await;
    assert_eq!(r.status(), 204);
    let last = added(&app, &admin, "第501条", "您好", "").await;
    let listed = console(&app, &admin).await;
    assert_eq!(
        listed.last().map(|r| r.id),
        Some(last.id),
        "appended at the end"
    );
}
