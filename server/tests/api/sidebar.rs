//! The chat sidebar: a customer's profile (who may see it, which orders it shows),
//! writing a remark phone, and the group toolbar's view of a customer group.
//!
//! Demo fixture: 王女士 (wmDemo0000) is followed by zhangwei (remark phone
//! 13900000000) and lina (remark phone 13900000001); chenjing does not follow her.

use desk_shared::{Candidates, ContactProfile, GroupView};
use serde_json::{json, Value};

use crate::helpers::*;

const WANG: &str = "wmDemo0000";

fn order(designer: &str, pm: &str, phone: &str) -> Value {
    OrderFields {
        title: "城南店 · 王女士新房装修",
        designer,
        pm,
        phone,
        ..Default::default()
    }
    .json()
}

async fn put(app: &TestApp, id: &str, designer: &str, pm: &str, phone: &str) {
    let r = app.put_order(id, &order(designer, pm, phone)).await;
    assert!(r.status().is_success(), "PUT {id}: {}", r.status());
}

async fn profile(app: &TestApp, session: &str, id: &str) -> reqwest::Response {
    app.get_as(session, &format!("/api/contacts/{id}/profile"))
        .await
}

async fn profile_ok(app: &TestApp, session: &str, id: &str) -> ContactProfile {
    let r = profile(app, session, id).await;
    assert_eq!(r.status(), 200);
    assert_eq!(header(&r, "cache-control"), "no-store");
    r.json().await.expect("profile JSON")
}

fn order_ids(p: &ContactProfile) -> Vec<String> {
    let mut ids: Vec<String> = p.orders.iter().map(|o| o.id.clone()).collect();
    ids.sort();
    ids
}

async fn put_remark_phone(
    app: &TestApp,
    session: &str,
    id: &str,
    phone: &str,
) -> reqwest::Response {
    app.http
        .put(format!("{}/api/contacts/{id}/remark-phones", app.address))
        .header("cookie", session)
        .json(&json!({ "phone": phone }))
        .send()
        .await
        .expect("answer")
}

/// Records `chat_id` as order `id`'s group, naming `customer` as picked by hand.
async fn record(app: &TestApp, session: &str, id: &str, chat_id: &str, customer: &str) {
    let r = app
        .post_as(
            session,
            &format!("/api/orders/{id}/group"),
            &json!({"chatId": chat_id, "groupName": "王女士-城南店服务群",
                    "externalUserIds": [customer], "userIds": ["zhangwei", "lina"]}),
        )
        .await;
    assert_eq!(r.status(), 201, "record {chat_id} for {id}");
}

#[tokio::test]
async fn a_follower_sees_the_customer_their_remark_and_every_follower() {
    let app = spawn_app().await;
    let zhangwei = app.login("zhangwei").await;
    let p = profile_ok(&app, &zhangwei, WANG).await;
    assert_eq!(p.external_user_id, WANG);
    assert_eq!(p.name, "王女士");
    assert_eq!(p.kind, 1);
    assert_eq!(p.remark, "王女士 城南店");
    assert_eq!(p.remark_phones, vec!["13900000000".to_string()]);
    let mut followers: Vec<(String, String)> = p
        .followers
        .iter()
        .map(|f| (f.user_id.clone(), f.name.clone()))
        .collect();
    followers.sort();
    assert_eq!(
        followers,
        vec![
            ("lina".to_string(), "李娜".to_string()),
            ("zhangwei".to_string(), "张伟".to_string())
        ]
    );
    // lina reads her own remark, not zhangwei's.
    let lina = app.login("lina").await;
    let p = profile_ok(&app, &lina, WANG).await;
    assert_eq!(p.remark_phones, vec!["13900000001".to_string()]);
}

#[tokio::test]
async fn only_a_member_who_follows_the_customer_gets_the_profile() {
    let app = spawn_app().await;
    let chenjing = app.login("chenjing").await;
    // Warm the kept copy as a follower first: a non-follower must not get it either.
    let zhangwei = app.login("zhangwei").await;
    profile_ok(&app, &zhangwei, WANG).await;
    for id in [WANG, "wmNobody", "..%2F..%2Fetc", "wm%20x"] {
        let r = profile(&app, &chenjing, id).await;
        assert_eq!(r.status(), 403, "{id}");
        assert_eq!(error_body(r).await.code, "not_your_customer", "{id}");
    }
    let anonymous = app.get(&format!("/api/contacts/{WANG}/profile")).await;
    assert_eq!(anonymous.status(), 401);
}

#[tokio::test]
async fn a_customer_added_after_the_copy_was_kept_is_asked_about_again() {
    let app = spawn_app().await;
    let zhangwei = app.login("zhangwei").await;
    profile_ok(&app, &zhangwei, WANG).await;
    let chenjing = app.login("chenjing").await;
    let asked = app.sim.calls("externalcontact/get").await;
    // Asking again and again costs WeCom one call per recheck interval, not one each.
    for _ in 0..20 {
        assert_eq!(profile(&app, &chenjing, WANG).await.status(), 403);
    }
    let calls = app.sim.calls("externalcontact/get").await;
    assert!(
        calls <= asked + 1,
        "{} calls for 20 refusals",
        calls - asked
    );
    // chenjing adds 王女士 in WeCom, and opens the sidebar a moment later.
    let r = app
        .sim
        .http
        .post(format!("{}/sim/customers/{WANG}/follow", app.sim.url))
        .json(&json!({"userid": "chenjing", "remark": "王女士", "remark_mobiles": []}))
        .send()
        .await
        .expect("follow");
    assert!(r.status().is_success(), "{}", r.status());
    app.clock.advance(desk_server::sidebar::RECHECK);
    let p = profile_ok(&app, &chenjing, WANG).await;
    assert_eq!(p.remark, "王女士");
    assert_eq!(p.followers.len(), 3);
}

#[tokio::test]
async fn orders_come_from_any_followers_remark_phone_and_from_recorded_groups() {
    let app = spawn_app().await;
    // zhangwei's own remark phone.
    put(&app, "DD-S1", "zhangwei", "lina", "139 0000 0000").await;
    // Only lina's remark has this phone.
    put(&app, "DD-S2", "zhangwei", "lina", "+86 139-0000-0001").await;
    // Nobody's remark has this phone, but 王女士 is in its recorded group.
    put(&app, "DD-S3", "zhangwei", "lina", "13700001111").await;
    // 王女士's phone, but zhangwei is not on it: he may not see it.
    put(&app, "DD-S4", "chenjing", "wangqiang", "13900000000").await;
    // Someone else's order.
    put(&app, "DD-S5", "zhangwei", "lina", "13800000000").await;
    let zhangwei = app.login("zhangwei").await;
    let chat = app
        .make_customer_group("zhangwei", &["zhangwei", "lina"], &[WANG])
        .await;
    record(&app, &zhangwei, "DD-S3", &chat, WANG).await;

    let p = profile_ok(&app, &zhangwei, WANG).await;
    assert_eq!(order_ids(&p), vec!["DD-S1", "DD-S2", "DD-S3"]);
    let s3 = p.orders.iter().find(|o| o.id == "DD-S3").expect("DD-S3");
    assert_eq!(
        s3.group.as_ref().map(|g| g.chat_id.as_str()),
        Some(chat.as_str())
    );
    assert_eq!(s3.designer.name, "张伟");
    // chenjing follows nobody here; wangqiang is on DD-S4 but does not follow 王女士.
    let wangqiang = app.login("wangqiang").await;
    assert_eq!(profile(&app, &wangqiang, WANG).await.status(), 403);
}

#[tokio::test]
async fn a_remark_phone_written_from_the_sidebar_is_in_wecom_and_matches_at_once() {
    let app = spawn_app().await;
    put(&app, "DD-R1", "zhangwei", "lina", "13900000002").await;
    let zhangwei = app.login("zhangwei").await;
    let before: Candidates = app
        .get_as(&zhangwei, "/api/orders/DD-R1/candidates")
        .await
        .json()
        .await
        .expect("candidates");
    assert!(before.candidates.is_empty());
    let batch_calls = app.sim.calls("externalcontact/batch/get_by_user").await;

    let r = put_remark_phone(&app, &zhangwei, WANG, "139 0000 0002").await;
    assert_eq!(r.status(), 200);
    let p: ContactProfile = r.json().await.expect("profile");
    assert_eq!(p.remark_phones, vec!["13900000000", "13900000002"]);
    assert_eq!(order_ids(&p), vec!["DD-R1"]);
    // WeCom has it (the whole list: the old phone kept).
    let detail = app.sim.client().customer(WANG, "").await.expect("detail");
    let mine = detail
        .follow_user
        .iter()
        .find(|f| f.follow.userid == "zhangwei")
        .expect("zhangwei follows");
    assert_eq!(
        mine.follow.remark_mobiles,
        vec!["13900000000", "13900000002"]
    );
    // The next match finds her, without refetching the whole list.
    let after: Candidates = app
        .get_as(&zhangwei, "/api/orders/DD-R1/candidates")
        .await
        .json()
        .await
        .expect("candidates");
    assert_eq!(after.candidates.len(), 1);
    assert_eq!(after.candidates[0].external_user_id, WANG);
    assert_eq!(
        app.sim.calls("externalcontact/batch/get_by_user").await,
        batch_calls
    );
    // The same phone again (written differently) writes nothing.
    let remarks = app.sim.calls("externalcontact/remark").await;
    let again = put_remark_phone(&app, &zhangwei, WANG, "+86 13900000002").await;
    assert_eq!(again.status(), 200);
    assert_eq!(app.sim.calls("externalcontact/remark").await, remarks);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'contact.remark_phone_added'")
            .await,
        1
    );
}

#[tokio::test]
async fn a_remark_phone_is_refused_when_it_is_not_a_phone_or_not_your_customer() {
    let app = spawn_app().await;
    let zhangwei = app.login("zhangwei").await;
    for bad in [
        "",
        "abc",
        "12",
        "1390000000012345678901",
        "139\u{202e}0000",
        "13a900000000",
    ] {
        let r = put_remark_phone(&app, &zhangwei, WANG, bad).await;
        assert_eq!(r.status(), 400, "{bad:?}");
        assert_eq!(error_body(r).await.code, "invalid_field", "{bad:?}");
    }
    // A landline is a phone too, kept as written, so an order with it matches.
    put(&app, "DD-L1", "zhangwei", "lina", "010-6234 5678").await;
    let r = put_remark_phone(&app, &zhangwei, WANG, "010-6234 5678").await;
    assert_eq!(r.status(), 200);
    let p: ContactProfile = r.json().await.expect("profile");
    assert_eq!(p.remark_phones, vec!["13900000000", "010-6234 5678"]);
    assert_eq!(order_ids(&p), vec!["DD-L1"]);
    let c: Candidates = app
        .get_as(&zhangwei, "/api/orders/DD-L1/candidates")
        .await
        .json()
        .await
        .expect("candidates");
    assert_eq!(c.candidates.len(), 1);
    let chenjing = app.login("chenjing").await;
    let remarks = app.sim.calls("externalcontact/remark").await;
    let r = put_remark_phone(&app, &chenjing, WANG, "13900000009").await;
    assert_eq!(r.status(), 403);
    assert_eq!(error_body(r).await.code, "not_your_customer");
    assert_eq!(app.sim.calls("externalcontact/remark").await, remarks);
}

#[tokio::test]
async fn the_group_toolbar_shows_the_order_to_members_in_the_group_or_on_the_order() {
    let app = spawn_app().await;
    put(&app, "DD-G1", "zhangwei", "wangqiang", "13900000000").await;
    let zhangwei = app.login("zhangwei").await;
    // zhangwei and lina are in it; wangqiang (the order's PM) is not.
    let chat = app
        .make_customer_group("zhangwei", &["zhangwei", "lina"], &[WANG])
        .await;
    record(&app, &zhangwei, "DD-G1", &chat, WANG).await;
    let path = format!("/api/groups/{chat}");

    for (who, sees_order) in [("zhangwei", true), ("lina", false), ("wangqiang", true)] {
        let session = app.login(who).await;
        let r = app.get_as(&session, &path).await;
        assert_eq!(r.status(), 200, "{who}");
        let g: GroupView = r.json().await.expect("group JSON");
        assert_eq!(g.chat_id, chat);
        assert_eq!(g.owner.name, "张伟");
        assert_eq!(
            g.order.as_ref().map(|o| o.id.as_str()),
            sees_order.then_some("DD-G1"),
            "{who}"
        );
        let customer = g.members.iter().find(|m| m.kind == 2).expect("customer");
        assert_eq!(
            (customer.id.as_str(), customer.name.as_str()),
            (WANG, "王女士")
        );
        assert!(customer.join_time > 0);
        let staff: Vec<&str> = g
            .members
            .iter()
            .filter(|m| m.kind == 1)
            .map(|m| m.name.as_str())
            .collect();
        assert!(
            staff.contains(&"李娜") && staff.contains(&"张伟"),
            "{staff:?}"
        );
    }

    let chenjing = app.login("chenjing").await;
    for chat_id in [chat.as_str(), "wrNoSuchChat", "wrPool0000", "a%2Fb"] {
        let r = app
            .get_as(&chenjing, &format!("/api/groups/{chat_id}"))
            .await;
        assert_eq!(r.status(), 403, "{chat_id}");
        assert_eq!(error_body(r).await.code, "not_your_group", "{chat_id}");
    }
}

#[tokio::test]
async fn a_group_with_no_order_says_so() {
    let app = spawn_app().await;
    let chat = app
        .make_customer_group("zhangwei", &["zhangwei", "lina"], &[WANG])
        .await;
    let lina = app.login("lina").await;
    let r = app.get_as(&lina, &format!("/api/groups/{chat}")).await;
    assert_eq!(r.status(), 200);
    let g: GroupView = r.json().await.expect("group JSON");
    assert!(g.order.is_none());
    assert_eq!(g.members.len(), 3);
}

#[tokio::test]
async fn two_remark_phones_written_at_once_are_both_kept() {
    let app = spawn_app().await;
    let zhangwei = app.login("zhangwei").await;
    // Slow WeCom: without taking turns, both writes would read the same old list.
    app.sim.set_faults(json!({ "latencyMs": 150 })).await;
    let (a, b) = tokio::join!(
        put_remark_phone(&app, &zhangwei, WANG, "13900000011"),
        put_remark_phone(&app, &zhangwei, WANG, "13900000012"),
    );
    assert_eq!((a.status().as_u16(), b.status().as_u16()), (200, 200));
    app.sim.set_faults(json!({})).await;
    let detail = app.sim.client().customer(WANG, "").await.expect("detail");
    let mut mine = detail
        .follow_user
        .into_iter()
        .find(|f| f.follow.userid == "zhangwei")
        .expect("zhangwei follows")
        .follow
        .remark_mobiles;
    mine.sort();
    assert_eq!(mine, vec!["13900000000", "13900000011", "13900000012"]);
}

#[tokio::test]
async fn trying_many_ids_is_cut_off_after_a_minutes_allowance_for_that_member_only() {
    let app = spawn_app().await;
    let chenjing = app.login("chenjing").await;
    let before = app.sim.calls("externalcontact/get").await;
    let limit = desk_server::sidebar::LOOKUPS_PER_MINUTE as usize;
    let mut statuses = Vec::new();
    for i in 0..limit + 5 {
        statuses.push(
            profile(&app, &chenjing, &format!("wmGuess{i:04}"))
                .await
                .status()
                .as_u16(),
        );
    }
    assert!(statuses[..limit].iter().all(|s| *s == 403), "{statuses:?}");
    assert!(statuses[limit..].iter().all(|s| *s == 429), "{statuses:?}");
    let r = profile(&app, &chenjing, "wmGuessMore").await;
    assert_eq!(error_body(r).await.code, "too_many_requests");
    assert_eq!(
        app.sim.calls("externalcontact/get").await,
        before + limit as u64
    );
    // Someone else is not slowed down.
    let zhangwei = app.login("zhangwei").await;
    profile_ok(&app, &zhangwei, WANG).await;
}
