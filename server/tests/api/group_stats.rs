//! The groups' activity in numbers: 群聊数据统计 read from WeCom one day at a time for
//! the designers of orders with a customer group (≤ 100 owners a call), kept, and
//! answered per designer and day (`GET /api/admin/stats/groups`).

use desk_server::wecom::types::{GroupStatisticQuery, OwnerFilter};
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::*;

/// 100 more designers than the demo corp has: with 张伟 they are 101 owners.
const EXTRA: usize = 100;

/// A hundred more designers for the demo corp (the test puts the last of them outside
/// the app's range: WeCom refuses a statistics call that names them).
fn hundred_designers() -> String {
    let members: String = (0..EXTRA)
        .map(|i| {
            format!("[[members]]\nuserid = \"d{i:03}\"\nname = \"设计师{i:03}\"\nposition = \"设计师\"\n")
        })
        .collect();
    members
}

/// An order for `designer` recorded with customer group `chat` (straight in the
/// database: the statistics only ask which designers have order groups).
async fn order_with_group(app: &TestApp, id: &str, designer: &str, chat: &str) {
    let order = OrderFields {
        designer,
        ..Default::default()
    }
    .json();
    let input: desk_shared::OrderInput = serde_json::from_value(order).expect("order");
    // Stored as the push stores it (the push would refuse a designer outside the range).
    desk_server::orders::store::upsert(&app.db().await, id, &input, None)
        .await
        .expect("order");
    sqlx::query(
        "INSERT INTO order_groups (order_id, chat_id, group_name, created_by, created_at)
         VALUES ($1, $2, '装修服务群', $3, 0)",
    )
    .bind(id)
    .bind(chat)
    .bind(designer)
    .execute(&app.db().await)
    .await
    .expect("order group");
}

async fn read_now(app: &TestApp, admin: &str) -> i64 {
    let r = app
        .send_as(
            Some(admin),
            Method::POST,
            "/api/admin/stats/groups/read",
            None,
        )
        .await;
    assert_eq!(r.status(), 200);
    r.json::<Value>().await.expect("json")["days"]
        .as_i64()
        .expect("days")
}

#[tokio::test]
async fn the_numbers_are_read_once_a_day_for_every_designer_100_owners_a_call_and_summed_right() {
    let mut corp = demo_fixture_with(&hundred_designers());
    corp.rules.outside_app_range.push("d099".into());
    let sim = spawn_simulator_with(corp).await;
    let app = spawn_app_on(sim).await;
    // Past 07:00 Beijing: yesterday's numbers are settled (a day read earlier is read
    // again, below).
    let hour = (beijing_now(&app).await % 86_400) / 3600;
    if hour < 7 {
        app.advance(((7 - hour) * 3600) as u64).await;
    }
    let admin = app.login("wangqiang").await;
    // Nothing to read before any order has a group: no call to WeCom.
    assert_eq!(read_now(&app, &admin).await, 0);
    assert_eq!(
        app.sim.calls("externalcontact/groupchat/statistic").await,
        0
    );

    // 张伟's order has the demo's customer group (with its made-up month of talk); a
    // hundred other designers have orders with groups WeCom counts nothing for.
    order_with_group(&app, "DD-T0", "zhangwei", "wrDemoWang0001").await;
    for i in 0..EXTRA {
        order_with_group(
            &app,
            &format!("DD-T{}", i + 1),
            &format!("d{i:03}"),
            &format!("wrT{i:03}"),
        )
        .await;
    }
    let yesterday_ts = app.sim.get_json("/sim/clock").await["now"]
        .as_i64()
        .expect("now")
        - 86_400;
    // One more message yesterday, so yesterday is never a quiet day.
    let yesterday = desk_server::stats::days::name(desk_server::stats::days::day_of(yesterday_ts));
    let r = app
        .sim
        .http
        .post(format!(
            "{}/sim/groups/wrDemoWang0001/activity",
            app.sim.url
        ))
        .json(&json!({ "day": yesterday, "messages": 3, "speakers": ["zhangwei"] }))
        .send()
        .await
        .expect("activity");
    assert!(r.status().is_success(), "{}", r.status());

    // The first read: the last 30 days, 100 owners a call at most (the simulator
    // refuses more), the owner WeCom refuses left out by halving the call.
    assert_eq!(read_now(&app, &admin).await, 30);
    let first = app.sim.calls("externalcontact/groupchat/statistic").await;
    assert!(first > 60 && first % 30 == 0, "{first} calls");
    let per_day = first / 30;
    // Read once: asking again reads nothing.
    assert_eq!(read_now(&app, &admin).await, 0);
    assert_eq!(
        app.sim.calls("externalcontact/groupchat/statistic").await,
        first
    );

    // What the console gets is what WeCom answered, day by day, and the sums of it.
    let report = app.json_as(&admin, "/api/admin/stats/groups").await;
    assert_eq!(report["to"], yesterday.as_str());
    assert_eq!(report["readThrough"], yesterday.as_str());
    let days = report["days"].as_array().expect("days");
    let mine: Vec<&Value> = days
        .iter()
        .filter(|d| d["designer"] == "zhangwei")
        .collect();
    assert_eq!(mine.len(), 30, "a row for each day read");
    let wecom = app.sim.client();
    let mut total_messages = 0;
    for row in &mine {
        let day =
            desk_server::stats::days::parse(row["day"].as_str().expect("day")).expect("a day");
        let start = desk_server::stats::days::start_of(day);
        let answer = wecom
            .group_statistic(&GroupStatisticQuery {
                day_begin_time: start,
                day_end_time: Some(start),
                owner_filter: Some(OwnerFilter {
                    userid_list: vec!["zhangwei".into()],
                }),
                ..Default::default()
            })
            .await
            .expect("statistic");
        let data = answer.items[0].data;
        assert_eq!(row["stats"]["messages"], data.msg_total, "{}", row["day"]);
        assert_eq!(row["stats"]["chatsWithMessages"], data.chat_has_msg);
        assert_eq!(row["stats"]["members"], data.member_total);
        assert_eq!(row["stats"]["membersWithMessages"], data.member_has_msg);
        total_messages += data.msg_total;
    }
    let yesterday_row = mine
        .iter()
        .find(|d| d["day"] == yesterday.as_str())
        .expect("yesterday");
    assert!(
        yesterday_row["stats"]["messages"]
            .as_i64()
            .expect("messages")
            >= 3
    );
    let totals = report["designers"]
        .as_array()
        .expect("designers")
        .iter()
        .find(|d| d["designer"]["userId"] == "zhangwei")
        .expect("张伟's totals")
        .clone();
    assert_eq!(totals["designer"]["name"], "张伟");
    assert_eq!(totals["totals"]["messages"], total_messages);
    // Groups and members are the last day's, not a sum of days.
    assert_eq!(totals["totals"]["chats"], yesterday_row["stats"]["chats"]);
    assert_eq!(
        totals["totals"]["members"],
        yesterday_row["stats"]["members"]
    );

    // A day later, the one new day is read.
    // 01:00 Beijing the next day: the day just ended is read, and again once WeCom
    // has settled it (after 06:00), then no more.
    let before = app.sim.calls("externalcontact/groupchat/statistic").await;
    let now = beijing_now(&app).await;
    app.advance((86_400 - now % 86_400 + 3600) as u64).await;
    let admin = app.login("wangqiang").await;
    assert_eq!(read_now(&app, &admin).await, 1);
    app.advance(6 * 3600).await;
    let admin = app.login("wangqiang").await;
    assert_eq!(read_now(&app, &admin).await, 1, "read again once settled");
    assert_eq!(read_now(&app, &admin).await, 0);
    assert_eq!(
        app.sim.calls("externalcontact/groupchat/statistic").await,
        before + 2 * per_day
    );

    // One designer, a chosen span; refusals name the field.
    let one = app
        .json_as(
            &admin,
            &format!("/api/admin/stats/groups?designer=zhangwei&from={yesterday}&to={yesterday}"),
        )
        .await;
    assert_eq!(one["days"].as_array().expect("days").len(), 1);
    for (query, field) in [
        ("from=2026-02-30", "from"),
        ("from=2026-12-05&to=2026-12-01", "from"),
        ("from=2025-01-01&to=2026-01-01", "from"),
        ("to=yesterday", "to"),
    ] {
        let r = app
            .get_as(&admin, &format!("/api/admin/stats/groups?{query}"))
            .await;
        assert_eq!(r.status(), 400, "{query}");
        let e = error_body(r).await;
        assert!(e.message.starts_with(field), "{query}: {}", e.message);
    }
}

/// The simulator's clock, as Beijing counts seconds (UTC+8).
async fn beijing_now(app: &TestApp) -> i64 {
    app.sim.get_json("/sim/clock").await["now"]
        .as_i64()
        .expect("now")
        + 8 * 3600
}
