//! What a real corp does (issue 20): WeCom's rate limits and refusals as the product
//! meets them, and the simulator behaving as WeCom documents itself.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::helpers::*;

const WANG: &str = "wmDemo0000";

async fn an_order(app: &TestApp) {
    let order = OrderFields::default().json();
    assert!(app.put_order("DD-F1", &order).await.status().is_success());
}

/// 45009: one call to WeCom and at once a 503 saying to wait a minute.
#[tokio::test]
async fn a_member_meeting_wecoms_rate_limit_is_told_at_once_after_one_call() {
    let app = spawn_app().await;
    an_order(&app).await;
    let zhang = app.login("zhangwei").await;
    app.sim.set_faults(json!({ "rateLimitAfter": 0 })).await;
    let before = app.sim.calls("externalcontact/batch/get_by_user").await;
    let started = Instant::now();
    let r = app.get_as(&zhang, "/api/orders/DD-F1/candidates").await;
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(r.status(), 503);
    let e = error_body(r).await;
    assert_eq!(e.code, "wecom_rate_limited");
    assert!(e.message.contains("一分钟后再试"), "{}", e.message);
    assert_eq!(
        app.sim.calls("externalcontact/batch/get_by_user").await - before,
        1
    );
}

/// 45033 (too many concurrent calls) is worth a quick retry: the member sees nothing.
#[tokio::test]
async fn too_many_concurrent_calls_are_retried_and_the_member_gets_the_answer() {
    let app = spawn_app().await;
    an_order(&app).await;
    let zhang = app.login("zhangwei").await;
    app.sim.set_faults(json!({ "concurrentNext": 1 })).await;
    let r = app.get_as(&zhang, "/api/orders/DD-F1/candidates").await;
    assert_eq!(r.status(), 200);
    assert_eq!(app.sim.calls("externalcontact/batch/get_by_user").await, 2);
}

/// A corp whose app does not trust the server's address: the admin's checks name the
/// address to add, and a member is told to ask an admin.
#[tokio::test]
async fn an_untrusted_server_address_is_named_in_the_admins_checks() {
    let mut corp = Fixture::demo();
    corp.rules.trusted_ips = Some(vec!["10.1.2.3".parse().expect("ip")]);
    let sim = spawn_simulator_with(corp).await;
    let settings = desk_server::config::Settings::from_toml_only(&config_text(
        &sim.url,
        SECRET,
        "sqlite::memory:",
    ))
    .expect("settings");
    let text = desk_server::doctor::run(&settings).await.render();
    assert!(text.contains("60020"), "{text}");
    assert!(text.contains("127.0.0.1"), "the address to add: {text}");
    assert!(text.contains("企业可信IP"), "{text}");
}

/// The app not under 客户联系 → 可调用接口的应用 (48002), and a member outside its
/// visible range (60011): each says what to click.
#[tokio::test]
async fn an_app_without_customer_rights_and_a_member_outside_its_range_are_explained() {
    let mut corp = Fixture::demo();
    corp.rules.customer_api_agents = Some(vec![]);
    corp.rules.outside_app_range = vec!["chenjing".into()];
    let sim = spawn_simulator_with(corp).await;
    let app = spawn_app_on(sim).await;
    an_order(&app).await;
    let zhang = app.login("zhangwei").await;
    let r = app.get_as(&zhang, "/api/orders/DD-F1/candidates").await;
    assert_eq!(r.status(), 403);
    let e = error_body(r).await;
    assert_eq!(e.code, "customer_api_forbidden");
    assert!(e.message.contains("可调用接口的应用"), "{}", e.message);

    let client = app.sim.client();
    let err = client
        .member("chenjing")
        .await
        .expect_err("outside the range");
    assert_eq!(err.errcode(), Some(60011));
    assert!(err.admin_detail().fix.contains("可见范围"));
    let receipt = client
        .send_app_message(
            &["zhangwei".into(), "chenjing".into()],
            desk_server::wecom::types::MessageContent::Text {
                text: desk_server::wecom::types::Text {
                    content: "你好".into(),
                },
            },
        )
        .await
        .expect("sent to the one in range");
    assert_eq!(receipt.invaliduser, "chenjing");
    let err = client
        .send_app_message(
            &["chenjing".into()],
            desk_server::wecom::types::MessageContent::Text {
                text: desk_server::wecom::types::Text {
                    content: "你好".into(),
                },
            },
        )
        .await
        .expect_err("nobody valid");
    assert_eq!(err.errcode(), Some(81013));
}

/// The corp's own frequency: past the API's minute, 45009 for the rest of it.
#[tokio::test]
async fn an_api_called_past_its_minute_answers_45009() {
    let mut corp = Fixture::demo();
    corp.rules.per_api_per_minute = 5;
    let sim = spawn_simulator_with(corp).await;
    let client = sim.client();
    for _ in 0..5 {
        client.member("zhangwei").await.expect("within the minute");
    }
    let err = client.member("zhangwei").await.expect_err("over");
    assert!(err.is_rate_limited(), "{err:?}");
    // Another API has its own count.
    client.customer_ids("zhangwei").await.expect("another API");
}

/// WeCom drops the 31st app message to one member in a minute without a word.
#[tokio::test]
async fn the_thirty_first_app_message_to_a_member_in_a_minute_is_dropped() {
    let sim = spawn_simulator().await;
    let client = sim.client();
    for i in 0..31 {
        client
            .send_app_message(
                &["chenjing".into()],
                desk_server::wecom::types::MessageContent::Text {
                    text: desk_server::wecom::types::Text {
                        content: format!("第{i}条"),
                    },
                },
            )
            .await
            .expect("WeCom answers ok");
    }
    let got: Value = sim
        .http
        .get(format!("{}/sim/messages", sim.url))
        .send()
        .await
        .expect("messages")
        .json()
        .await
        .expect("json");
    let to_chen = got["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .filter(|m| m["via"] == "message/send" && m["to"] == "chenjing")
        .count();
    assert_eq!(to_chen, 30);
}

/// `externalcontact/remark` as WeCom documents it (D-92115): `[]` leaves the phones,
/// `[""]` clears them, a body that changes nothing and over-long fields are refused;
/// and a phones-only edit in the client raises no callback (D-92277).
#[tokio::test]
async fn remark_phones_are_cleared_only_by_an_empty_string_and_a_phones_only_edit_is_silent() {
    let sim = spawn_simulator().await;
    let client = sim.client();
    let remark = |body: Value| {
        serde_json::from_value::<desk_server::wecom::types::Remark>(body).expect("remark")
    };
    let phones = || async {
        let c = client.customer(WANG, "").await.expect("customer");
        c.follow_user
            .iter()
            .find(|f| f.follow.userid == "zhangwei")
            .expect("zhangwei follows")
            .follow
            .remark_mobiles
            .clone()
    };
    client
        .set_remark(&remark(
            json!({"userid": "zhangwei", "external_userid": WANG,
            "remark_mobiles": ["13900000001"]}),
        ))
        .await
        .expect("set");
    client
        .set_remark(&remark(
            json!({"userid": "zhangwei", "external_userid": WANG,
            "remark_mobiles": []}),
        ))
        .await
        .expect("an empty list is taken");
    assert_eq!(phones().await, ["13900000001"], "[] is not 'clear'");
    client
        .set_remark(&remark(
            json!({"userid": "zhangwei", "external_userid": WANG,
            "remark_mobiles": [""]}),
        ))
        .await
        .expect("clear");
    assert!(phones().await.is_empty(), "[\"\"] clears");
    for bad in [
        json!({"userid": "zhangwei", "external_userid": WANG}),
        json!({"userid": "zhangwei", "external_userid": WANG, "remark": "字".repeat(21)}),
        json!({"userid": "zhangwei", "external_userid": WANG, "description": "字".repeat(151)}),
    ] {
        let err = client
            .set_remark(&remark(bad.clone()))
            .await
            .expect_err("refused");
        assert_eq!(err.errcode(), Some(40058), "{bad}");
    }

    // In the client: a phones-only edit raises nothing, a remark edit does.
    let edit = |body: Value| {
        let sim = &sim;
        async move {
            let v: Value = sim
                .http
                .post(format!("{}/sim/customers/{WANG}/follow", sim.url))
                .json(&body)
                .send()
                .await
                .expect("follow")
                .json()
                .await
                .expect("json");
            v["callbacks"].as_array().map_or(0, Vec::len)
        }
    };
    let current = client.customer(WANG, "").await.expect("customer");
    let mut mine = serde_json::to_value(
        &current
            .follow_user
            .iter()
            .find(|f| f.follow.userid == "zhangwei")
            .expect("zhangwei")
            .follow,
    )
    .expect("json");
    mine["remark_mobiles"] = json!(["13900000002"]);
    assert_eq!(edit(mine.clone()).await, 0, "phones only: no callback");
    mine["remark"] = json!("王女士 城南店");
    assert_eq!(edit(mine).await, 1, "a remark edit raises one");
}

/// Work that meets 45009 waits a whole window: an app message WeCom refused for its
/// rate is tried again no sooner than a minute later, not within seconds.
#[tokio::test]
async fn an_app_message_meeting_wecoms_rate_limit_waits_a_minute() {
    let app = spawn_app().await;
    // The app holds a token (a login needs one) before WeCom starts refusing.
    app.login("lina").await;
    app.sim.set_faults(json!({ "rateLimitAfter": 0 })).await;
    // lina is bound to no staff id: her text is answered by an app message saying so.
    let r = app.deliver(&text_message("lina", "收到", 424_242)).await;
    assert_eq!(r.status(), 200);
    let (next_at, attempts): (i64, i64) = eventually("the refused app message", 10, || async {
        sqlx::query_as::<_, (i64, i64, Option<String>)>(
            "SELECT next_at, attempts, last_error FROM outbox WHERE kind = 'app_message'",
        )
        .fetch_optional(&app.db().await)
        .await
        .expect("outbox")
        .filter(|(_, _, why)| why.as_deref().is_some_and(|w| w.contains("45009")))
        .map(|(next, attempts, _)| (next, attempts))
    })
    .await;
    let wait_ms = next_at - desk_server::clock::now_millis();
    assert!(wait_ms >= 55_000, "tried again in {wait_ms} ms");
    assert_eq!(attempts, 1, "the try counts");
    assert_eq!(
        app.sim.calls("message/send").await,
        1,
        "one call, no quick retry"
    );
}
