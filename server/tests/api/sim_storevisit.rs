//! The simulator's store visit, against it over HTTP: 「联系我」 contact ways
//! (D-92572) refused and made as WeCom does, a customer's scan raising
//! `add_external_contact` with `State` and `WelcomeCode`, `send_welcome_msg` (D-92137)
//! once within 20 s, and 群聊数据统计 (D-96359) counted from the groups' activity.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use actix_web::{web, App, HttpResponse, HttpServer};
use desk_simulator::activity::{day_of, format_day};
use serde_json::{json, Value};

use crate::helpers::*;

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
const DAY: i64 = 86_400;

/// A `/cgi-bin/` POST with `body`.
async fn cgi(sim: &Sim, token: &str, path: &str, body: Value) -> Value {
    sim.http
        .post(format!("{}/cgi-bin/{path}?access_token={token}", sim.url))
        .json(&body)
        .send()
        .await
        .expect("answer")
        .json()
        .await
        .expect("json")
}

/// A `/sim/` POST: its status and JSON body.
async fn control(sim: &Sim, path: &str, body: Value) -> (u16, Value) {
    let r = sim
        .http
        .post(format!("{}{path}", sim.url))
        .json(&body)
        .send()
        .await
        .expect("answer");
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or_default())
}

fn errcode(v: &Value) -> i64 {
    v["errcode"]
        .as_i64()
        .unwrap_or_else(|| panic!("no errcode: {v}"))
}

/// A QR contact way for `users` with `state`; its config id.
async fn contact_way(sim: &Sim, token: &str, kind: i32, users: &[&str], state: &str) -> String {
    let v = cgi(
        sim,
        token,
        "externalcontact/add_contact_way",
        json!({"type": kind, "scene": 2, "user": users, "state": state}),
    )
    .await;
    assert_eq!(errcode(&v), 0, "{v}");
    v["config_id"].as_str().expect("config_id").to_string()
}

/// A customer scans `config_id`: `(status, answer)`.
async fn scan(sim: &Sim, config_id: &str, body: Value) -> (u16, Value) {
    control(sim, &format!("/sim/contact-ways/{config_id}/scan"), body).await
}

/// A new customer's welcome code from a scan of `config_id`.
async fn welcome_code(sim: &Sim, config_id: &str) -> String {
    let (status, v) = scan(sim, config_id, json!({})).await;
    assert_eq!(status, 200, "{v}");
    v["welcomeCode"].as_str().expect("welcomeCode").to_string()
}

async fn png_media(sim: &Sim, token: &str) -> String {
    let file = reqwest::multipart::Part::bytes(PNG.to_vec()).file_name("welcome.png");
    let v: Value = sim
        .http
        .post(format!("{}/cgi-bin/media/upload", sim.url))
        .query(&[("access_token", token), ("type", "image")])
        .multipart(reqwest::multipart::Form::new().part("media", file))
        .send()
        .await
        .expect("answer")
        .json()
        .await
        .expect("json");
    assert_eq!(errcode(&v), 0, "{v}");
    v["media_id"].as_str().expect("media_id").to_string()
}

#[tokio::test]
async fn add_contact_way_refuses_what_wecom_refuses_and_serves_a_png_qr_code() {
    let sim = spawn_simulator().await;
    let token = sim.token().await;
    let long = "长".repeat(31);
    for (body, expected) in [
        (json!({"scene": 2, "user": ["zhangwei"]}), 41037),
        (json!({"type": 3, "scene": 2, "user": ["zhangwei"]}), 41039),
        (json!({"type": 1, "user": ["zhangwei"]}), 41038),
        (
            json!({"type": 1, "scene": 2, "user": ["zhangwei"], "remark": long}),
            40058,
        ),
        (
            json!({"type": 1, "scene": 2, "user": ["zhangwei"], "state": long}),
            40058,
        ),
        (
            json!({"type": 1, "scene": 2, "user": ["zhangwei", "lina"]}),
            40058,
        ),
        (json!({"type": 1, "scene": 2, "user": ["nobody"]}), 60111),
        // 周敏 at the front desk has no 客户联系.
        (json!({"type": 1, "scene": 2, "user": ["zhoumin"]}), 84074),
    ] {
        let v = cgi(
            &sim,
            &token,
            "externalcontact/add_contact_way",
            body.clone(),
        )
        .await;
        assert_eq!(errcode(&v), expected, "{body}: {v}");
    }

    let thirty = "店".repeat(30);
    let v = cgi(
        &sim,
        &token,
        "externalcontact/add_contact_way",
        json!({"type": 1, "scene": 2, "user": ["zhangwei"], "state": thirty, "remark": "到店"}),
    )
    .await;
    assert_eq!(errcode(&v), 0, "{v}");
    let config_id = v["config_id"].as_str().expect("config_id").to_string();
    let qr = v["qr_code"].as_str().expect("qr_code").to_string();
    let image = sim.http.get(&qr).send().await.expect("qr answers");
    assert_eq!(image.status(), 200);
    assert_eq!(header(&image, "content-type"), "image/png");
    assert!(image
        .bytes()
        .await
        .expect("bytes")
        .starts_with(b"\x89PNG\r\n\x1a\n"));

    let got = cgi(
        &sim,
        &token,
        "externalcontact/get_contact_way",
        json!({"config_id": config_id}),
    )
    .await;
    let way = &got["contact_way"];
    assert_eq!(
        (way["type"].clone(), way["scene"].clone()),
        (json!(1), json!(2)),
        "{got}"
    );
    assert_eq!(way["user"], json!(["zhangwei"]));
    assert_eq!(way["state"], json!(thirty));
    assert_eq!(way["skip_verify"], true, "WeCom's default");
    assert_eq!(way["qr_code"], json!(qr));

    // A mini-program way has no QR code.
    let v = cgi(
        &sim,
        &token,
        "externalcontact/add_contact_way",
        json!({"type": 1, "scene": 1, "user": ["lina"]}),
    )
    .await;
    assert_eq!(errcode(&v), 0, "{v}");
    assert!(v.get("qr_code").is_none(), "{v}");

    // Update changes what it is given; an unknown config id is 41044.
    let v = cgi(
        &sim,
        &token,
        "externalcontact/update_contact_way",
        json!({"config_id": config_id, "remark": "改过"}),
    )
    .await;
    assert_eq!(errcode(&v), 0, "{v}");
    let got = cgi(
        &sim,
        &token,
        "externalcontact/get_contact_way",
        json!({"config_id": config_id}),
    )
    .await;
    assert_eq!(got["contact_way"]["remark"], "改过");
    assert_eq!(got["contact_way"]["state"], json!(thirty), "kept");
    for path in ["get_contact_way", "update_contact_way", "del_contact_way"] {
        let v = cgi(
            &sim,
            &token,
            &format!("externalcontact/{path}"),
            json!({"config_id": "nope"}),
        )
        .await;
        assert_eq!(errcode(&v), 41044, "{path}: {v}");
    }
    let listed = cgi(&sim, &token, "externalcontact/list_contact_way", json!({})).await;
    let ids: Vec<&str> = listed["contact_way"]
        .as_array()
        .expect("contact_way")
        .iter()
        .filter_map(|c| c["config_id"].as_str())
        .collect();
    assert!(ids.contains(&config_id.as_str()), "{listed}");
    assert_eq!(ids.len(), 2, "{listed}");

    let v = cgi(
        &sim,
        &token,
        "externalcontact/del_contact_way",
        json!({"config_id": config_id}),
    )
    .await;
    assert_eq!(errcode(&v), 0, "{v}");
    assert_eq!(sim.http.get(&qr).send().await.expect("qr").status(), 404);
    assert_eq!(sim.calls("externalcontact/add_contact_way").await, 10);
    assert_eq!(sim.calls("externalcontact/get_contact_way").await, 3);
}

/// Each request that arrived: its query and body.
type Arrived = Mutex<Vec<(HashMap<String, String>, String)>>;

/// A callback URL that records what arrives and answers 200.
struct Receiver {
    url: String,
    got: Arc<Arrived>,
}

async fn receive(
    got: web::Data<Arrived>,
    q: web::Query<HashMap<String, String>>,
    body: String,
) -> HttpResponse {
    got.lock().expect("lock").push((q.into_inner(), body));
    HttpResponse::Ok().finish()
}

impl Receiver {
    async fn start() -> Self {
        let got = web::Data::new(Mutex::new(Vec::new()));
        let shared = got.clone().into_inner();
        let server = HttpServer::new(move || {
            App::new()
                .app_data(got.clone())
                .route("/cb", web::post().to(receive))
        })
        .workers(1)
        .bind("127.0.0.1:0")
        .expect("bind receiver");
        let port = server.addrs()[0].port();
        tokio::spawn(server.run());
        Self {
            url: format!("http://127.0.0.1:{port}/cb"),
            got: shared,
        }
    }

    /// The decrypted messages so far.
    fn plaintexts(&self) -> Vec<String> {
        let crypto = wecom_crypto();
        self.got
            .lock()
            .expect("lock")
            .iter()
            .map(|(q, body)| {
                let start = body.find("<Encrypt><![CDATA[").expect("Encrypt") + 18;
                let end = start + body[start..].find("]]>").expect("CDATA end");
                let p = |n: &str| q.get(n).map(String::as_str).unwrap_or_default();
                crypto
                    .open(
                        p("msg_signature"),
                        p("timestamp"),
                        p("nonce"),
                        &body[start..end],
                    )
                    .expect("decrypts with the app's keys")
            })
            .collect()
    }
}

#[tokio::test]
async fn a_scan_makes_a_contact_and_raises_the_add_event_with_state_and_welcome_code() {
    let sim = spawn_simulator().await;
    let receiver = Receiver::start().await;
    sim.set_callback_url(&receiver.url).await;
    let token = sim.token().await;
    let config_id = contact_way(&sim, &token, 1, &["zhangwei"], "store-visit-7").await;

    let (status, v) = scan(&sim, &config_id, json!({"name": "林先生"})).await;
    assert_eq!(status, 200, "{v}");
    let id = v["externalUserId"]
        .as_str()
        .expect("externalUserId")
        .to_string();
    let code = v["welcomeCode"].as_str().expect("welcomeCode").to_string();
    assert_eq!(v["userid"], "zhangwei");
    assert!(!code.is_empty());
    // Answered once delivered: the app has it now.
    let plain = receiver.plaintexts();
    assert_eq!(plain.len(), 1, "{plain:?}");
    let expected = format!(
        "<Event><![CDATA[change_external_contact]]></Event><ChangeType><![CDATA[add_external_contact]]></ChangeType><UserID><![CDATA[zhangwei]]></UserID><ExternalUserID><![CDATA[{id}]]></ExternalUserID><State><![CDATA[store-visit-7]]></State><WelcomeCode><![CDATA[{code}]]></WelcomeCode></xml>"
    );
    assert!(plain[0].contains(&expected), "{}", plain[0]);

    // The customer is the member's, with the way's state, by QR code, now.
    let now = sim.get_json("/sim/clock").await["now"]
        .as_i64()
        .expect("now");
    let c = sim
        .get_json(&format!(
            "/cgi-bin/externalcontact/get?access_token={token}&external_userid={id}"
        ))
        .await;
    assert_eq!(c["external_contact"]["name"], "林先生", "{c}");
    let follow = &c["follow_user"][0];
    assert_eq!(follow["userid"], "zhangwei");
    assert_eq!(follow["state"], "store-visit-7");
    assert_eq!(follow["add_way"], 1);
    assert_eq!(follow["oper_userid"], json!(id));
    assert!((follow["createtime"].as_i64().expect("createtime") - now).abs() <= 2);

    // The same customer again: a contact already, nothing raised.
    let (status, _) = scan(&sim, &config_id, json!({"externalUserId": id})).await;
    assert_eq!(status, 409);
    assert_eq!(receiver.plaintexts().len(), 1);
    // Without a name: a made-up customer named 到店客户.
    let (_, v) = scan(&sim, &config_id, json!({})).await;
    let other = v["externalUserId"].as_str().expect("id");
    assert_ne!(other, id);
    let c = sim
        .get_json(&format!(
            "/cgi-bin/externalcontact/get?access_token={token}&external_userid={other}"
        ))
        .await;
    assert_eq!(c["external_contact"]["name"], "到店客户");

    // A type-2 way hands customers to its members in turn; a temporary one dies.
    let both = contact_way(&sim, &token, 2, &["zhangwei", "lina"], "").await;
    let mut takers = Vec::new();
    for _ in 0..3 {
        let (_, v) = scan(&sim, &both, json!({})).await;
        takers.push(v["userid"].as_str().expect("userid").to_string());
    }
    assert_eq!(takers, ["zhangwei", "lina", "zhangwei"]);
    let v = cgi(
        &sim,
        &token,
        "externalcontact/add_contact_way",
        json!({"type": 1, "scene": 2, "user": ["lina"], "is_temp": true}),
    )
    .await;
    let temp = v["config_id"].as_str().expect("config_id").to_string();
    assert_eq!(scan(&sim, &temp, json!({})).await.0, 200);
    assert_eq!(scan(&sim, &temp, json!({})).await.0, 410);
    assert_eq!(scan(&sim, "nope", json!({})).await.0, 404);
}

#[tokio::test]
async fn a_welcome_goes_out_once_within_twenty_seconds() {
    let sim = spawn_simulator().await;
    let token = sim.token().await;
    let config_id = contact_way(&sim, &token, 1, &["zhangwei"], "visit").await;
    let image = png_media(&sim, &token).await;
    let send = |code: &str, body: Value| {
        let mut body = body;
        body["welcome_code"] = json!(code);
        let (sim, token) = (sim.clone(), token.clone());
        async move { cgi(&sim, &token, "externalcontact/send_welcome_msg", body).await }
    };
    let welcome = json!({"text": {"content": "欢迎光临城南装饰"},
        "attachments": [{"msgtype": "image", "image": {"media_id": image}}]});

    let (_, v) = scan(&sim, &config_id, json!({})).await;
    let (customer, code) = (
        v["externalUserId"].as_str().expect("id").to_string(),
        v["welcomeCode"].as_str().expect("code").to_string(),
    );
    let v = send(&code, welcome.clone()).await;
    assert_eq!(errcode(&v), 0, "{v}");
    let v = send(&code, welcome.clone()).await;
    assert_eq!(errcode(&v), 41051, "once per code: {v}");
    let sent = sim.get_json("/sim/welcomes").await;
    assert_eq!(sent.as_array().expect("a list").len(), 1, "{sent}");
    assert_eq!(sent[0]["externalUserId"], json!(customer));
    assert_eq!(sent[0]["userid"], "zhangwei");
    assert_eq!(sent[0]["welcomeCode"], json!(code));
    assert_eq!(sent[0]["text"], "欢迎光临城南装饰");
    assert_eq!(
        sent[0]["attachments"],
        json!([{"msgtype": "image", "mediaId": image}])
    );
    // The customer's page shows it, the image from the simulator.
    let feed = sim
        .page(&format!(
            "{}/sim/contact/{config_id}/feed?customer={customer}",
            sim.url
        ))
        .await;
    assert!(feed.contains("欢迎光临城南装饰"), "{feed}");
    assert!(feed.contains(&format!("/sim/media/{image}")), "{feed}");
    let page = sim
        .page(&format!("{}/sim/contact/{config_id}", sim.url))
        .await;
    assert!(page.contains("扫码添加") && page.contains("张伟"), "{page}");

    // Past 20 s the code is dead.
    let code = welcome_code(&sim, &config_id).await;
    sim.advance(21).await;
    assert_eq!(errcode(&send(&code, welcome.clone()).await), 41050);

    // A refused welcome leaves the code usable.
    let code = welcome_code(&sim, &config_id).await;
    let bad = json!({"attachments": [{"msgtype": "image", "image": {"media_id": "no-such"}}]});
    assert_eq!(errcode(&send(&code, bad).await), 40007);
    let ten =
        json!({"attachments": vec![json!({"msgtype": "image", "image": {"media_id": image}}); 10]});
    assert_eq!(errcode(&send(&code, ten).await), 40058);
    let long = json!({"text": {"content": "a".repeat(4001)}});
    assert_eq!(errcode(&send(&code, long).await), 40058);
    assert_eq!(errcode(&send(&code, json!({})).await), 40058);
    let v = send(&code, json!({"text": {"content": "a".repeat(4000)}})).await;
    assert_eq!(errcode(&v), 0, "{v}");
    assert_eq!(errcode(&send("never-issued", welcome.clone()).await), 41050);
    assert_eq!(errcode(&send("", welcome.clone()).await), 41049);

    // Another app sending (41096): a retry goes out. The customer chatting (41051):
    // the code is used up.
    let code = welcome_code(&sim, &config_id).await;
    sim.set_faults(json!({"welcomeErrcodes": [41096]})).await;
    assert_eq!(errcode(&send(&code, welcome.clone()).await), 41096);
    assert_eq!(errcode(&send(&code, welcome.clone()).await), 0);
    let code = welcome_code(&sim, &config_id).await;
    sim.set_faults(json!({"welcomeErrcodes": [41051]})).await;
    assert_eq!(errcode(&send(&code, welcome.clone()).await), 41051);
    assert_eq!(errcode(&send(&code, welcome.clone()).await), 41051);

    // A customer added in the client (`/sim/customers`) carries a usable code too.
    let (status, added) = control(
        &sim,
        "/sim/customers",
        json!({"name": "钱女士", "follow": [{"userid": "lina"}]}),
    )
    .await;
    assert_eq!(status, 200, "{added}");
    let plain = added["callbacks"][0]["plaintext"]
        .as_str()
        .expect("plaintext");
    let start = plain.find("<WelcomeCode><![CDATA[").expect("WelcomeCode") + 22;
    let code = &plain[start..start + plain[start..].find("]]>").expect("end")];
    assert_eq!(errcode(&send(code, welcome.clone()).await), 0);

    assert_eq!(
        sim.get_json("/sim/welcomes").await.as_array().map(Vec::len),
        Some(4)
    );
    assert_eq!(sim.calls("externalcontact/send_welcome_msg").await, 15);
}

/// Unix seconds at 00:00 Beijing, `days` before the day `now` is in.
fn day_start_before(now: i64, days: i64) -> i64 {
    ((now + 8 * 3600).div_euclid(DAY) - days) * DAY - 8 * 3600
}

/// A corp of owners o1..o5 (o1 with customers wmA..wmD): g1 made 3 days ago with wmA
/// and wmB, g2 made 10 days ago with wmC; o2 one group, o3 three, o4 one, o5 four.
fn owners_corp(now: i64) -> Fixture {
    let noon = |days: i64| day_start_before(now, days) + 12 * 3600;
    let mut toml = format!(
        "corp_id = \"{CORP_ID}\"\n[[apps]]\nagent_id = {AGENT_ID}\nsecret = \"{SECRET}\"\n\
         [callback]\nurl = \"\"\ntoken = \"{CALLBACK_TOKEN}\"\nencoding_aes_key = \"{CALLBACK_KEY}\"\n"
    );
    for o in 1..=5 {
        toml += &format!("[[members]]\nuserid = \"o{o}\"\nname = \"群主{o}\"\n");
    }
    for c in ["wmA", "wmB", "wmC", "wmD"] {
        toml += &format!(
            "[[customers]]\nexternal_userid = \"{c}\"\nname = \"{c}\"\n[[customers.follow]]\nuserid = \"o1\"\n"
        );
    }
    toml += &format!(
        "[[groups]]\nchat_id = \"g1\"\nowner = \"o1\"\ncreate_time = {}\nmembers = [{{ userid = \"wmA\", type = 2 }}, {{ userid = \"wmB\", type = 2 }}]\n\
         [[groups]]\nchat_id = \"g2\"\nowner = \"o1\"\ncreate_time = {}\nmembers = [{{ userid = \"wmC\", type = 2 }}]\n",
        noon(3),
        noon(10)
    );
    for (owner, count) in [(2, 1), (3, 3), (4, 1), (5, 4)] {
        for i in 0..count {
            toml += &format!(
                "[[groups]]\nchat_id = \"g{owner}x{i}\"\nowner = \"o{owner}\"\ncreate_time = {}\n",
                noon(10)
            );
        }
    }
    Fixture::from_toml(&toml).expect("fixture")
}

/// `[new_chat_cnt, chat_total, chat_has_msg, new_member_cnt, member_total,
/// member_has_msg, msg_total, migrate_trainee_chat_cnt]`.
fn numbers(data: &Value) -> [i64; 8] {
    [
        "new_chat_cnt",
        "chat_total",
        "chat_has_msg",
        "new_member_cnt",
        "member_total",
        "member_has_msg",
        "msg_total",
        "migrate_trainee_chat_cnt",
    ]
    .map(|k| data[k].as_i64().unwrap_or_else(|| panic!("{k} in {data}")))
}

fn owners_of(page: &Value) -> Vec<&str> {
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|i| i["owner"].as_str())
        .collect()
}

#[tokio::test]
async fn group_statistics_sum_the_recorded_activity_and_refuse_what_wecom_refuses() {
    let now = desk_server::clock::now_secs();
    let sim = spawn_simulator_with(owners_corp(now)).await;
    let today = day_of(now);
    let day = |d: i64| format_day(today - d);
    // A token each time: the clock moves a day on below.
    let by_owner = |body: Value| {
        let sim = sim.clone();
        async move {
            let token = sim.token().await;
            cgi(&sim, &token, "externalcontact/groupchat/statistic", body).await
        }
    };
    let by_day = |body: Value| {
        let sim = sim.clone();
        async move {
            let token = sim.token().await;
            cgi(
                &sim,
                &token,
                "externalcontact/groupchat/statistic_group_by_day",
                body,
            )
            .await
        }
    };

    // A fixture that asks for none has no made-up activity.
    let quiet = by_day(json!({"day_begin_time": day_start_before(now, 10),
        "day_end_time": day_start_before(now, 1)}))
    .await;
    let items = quiet["items"].as_array().expect("items");
    assert_eq!(items.len(), 10, "{quiet}");
    assert!(items.iter().all(|i| i["data"]["msg_total"] == 0), "{quiet}");

    // Two days of talk in g1, one in g2; wmD joins g1 today, o1 writes in it today.
    for (chat, d, messages, speakers) in [
        ("g1", 2, 5, json!(["o1", "wmA"])),
        ("g1", 1, 3, json!(["wmA"])),
        ("g2", 2, 2, json!(["wmC"])),
    ] {
        let (status, v) = control(
            &sim,
            &format!("/sim/groups/{chat}/activity"),
            json!({"day": day(d), "messages": messages, "speakers": speakers}),
        )
        .await;
        assert_eq!(status, 200, "{v}");
    }
    let (status, _) = control(
        &sim,
        "/sim/groups/g1/activity",
        json!({"day": day(-1), "messages": 1, "speakers": ["o1"]}),
    )
    .await;
    assert_eq!(status, 400, "a future day");
    let (status, _) = control(
        &sim,
        "/sim/groups/nope/activity",
        json!({"day": day(1), "messages": 1}),
    )
    .await;
    assert_eq!(status, 404);
    let (status, v) = control(&sim, "/sim/groups/g1/members", json!({"userid": "wmD"})).await;
    assert_eq!(status, 200, "{v}");
    sim.client_login("o1").await;
    let (_, sent) = control(
        &sim,
        "/sim/client/send-chat",
        json!({"entry": "group_chat_tools", "chatId": "g1", "agentId": AGENT_ID,
            "msgtype": "text", "text": {"content": "大家好"}}),
    )
    .await;
    assert_eq!(sent["ok"], true, "{sent}");

    // Today cannot be asked for; tomorrow it is yesterday.
    let today_asked = by_owner(json!({"day_begin_time": day_start_before(now, 0)})).await;
    assert_eq!(errcode(&today_asked), 40058, "{today_asked}");
    sim.advance(DAY as u64).await;
    let now = now + DAY;

    // o1 over the four days g1 has lived (3 days ago .. yesterday):
    let four = json!({"day_begin_time": day_start_before(now, 4),
        "day_end_time": day_start_before(now, 1), "owner_filter": {"userid_list": ["o1"]}});
    let page = by_owner(four.clone()).await;
    assert_eq!(errcode(&page), 0, "{page}");
    assert_eq!(
        (page["total"].clone(), page["next_offset"].clone()),
        (json!(1), json!(1))
    );
    assert_eq!(owners_of(&page), ["o1"]);
    assert_eq!(
        numbers(&page["items"][0]["data"]),
        [1, 8, 4, 3, 21, 5, 11, 0]
    );
    let days = by_day(four).await;
    let per_day: Vec<(i64, [i64; 8])> = days["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| {
            (
                i["stat_time"].as_i64().expect("stat_time"),
                numbers(&i["data"]),
            )
        })
        .collect();
    assert_eq!(
        per_day,
        [
            (day_start_before(now, 4), [1, 2, 0, 2, 5, 0, 0, 0]),
            (day_start_before(now, 3), [0, 2, 2, 0, 5, 3, 7, 0]),
            (day_start_before(now, 2), [0, 2, 1, 0, 5, 1, 3, 0]),
            (day_start_before(now, 1), [0, 2, 1, 1, 6, 1, 1, 0]),
        ]
    );
    // Times are rounded down to 00:00 Beijing.
    let rounded = by_owner(
        json!({"day_begin_time": day_start_before(now, 4) + 13 * 3600,
        "day_end_time": day_start_before(now, 1) + 86_399,
        "owner_filter": {"userid_list": ["o1"]}}),
    )
    .await;
    assert_eq!(rounded["items"], page["items"]);

    // Paging, ordered by groups (2), most first, then by owner.
    let yesterday = day_start_before(now, 1);
    let mut seen = Vec::new();
    let mut offset = 0;
    loop {
        let p = by_owner(json!({"day_begin_time": yesterday, "order_by": 2,
            "offset": offset, "limit": 2}))
        .await;
        assert_eq!(p["total"], 5, "{p}");
        seen.extend(owners_of(&p).iter().map(|o| o.to_string()));
        offset = p["next_offset"].as_u64().expect("next_offset");
        if offset == 5 {
            break;
        }
        assert_eq!(seen.len() as u64, offset, "{p}");
    }
    assert_eq!(seen, ["o5", "o3", "o1", "o2", "o4"]);
    let asc = by_owner(json!({"day_begin_time": yesterday, "order_by": 2, "order_asc": 1})).await;
    assert_eq!(owners_of(&asc), ["o2", "o4", "o1", "o3", "o5"]);

    // WeCom's limits.
    let many: Vec<String> = (0..101).map(|i| format!("o{i}")).collect();
    for (body, what) in [
        (
            json!({"day_begin_time": yesterday, "owner_filter": {"userid_list": many}}),
            "101 owners",
        ),
        (
            json!({"day_begin_time": day_start_before(now, 31), "day_end_time": yesterday}),
            "31 days",
        ),
        (
            json!({"day_begin_time": day_start_before(now, 181)}),
            "181 days back",
        ),
        (json!({"day_end_time": yesterday}), "no day_begin_time"),
        (
            json!({"day_begin_time": yesterday, "day_end_time": day_start_before(now, 2)}),
            "end before begin",
        ),
        (
            json!({"day_begin_time": yesterday, "limit": 1001}),
            "limit 1001",
        ),
    ] {
        assert_eq!(errcode(&by_owner(body.clone()).await), 40058, "{what}");
        if what != "limit 1001" {
            assert_eq!(errcode(&by_day(body).await), 40058, "by day: {what}");
        }
    }
    let thirty =
        by_day(json!({"day_begin_time": day_start_before(now, 30), "day_end_time": yesterday}))
            .await;
    assert_eq!(
        thirty["items"].as_array().map(Vec::len),
        Some(30),
        "{thirty}"
    );
    let oldest = by_owner(json!({"day_begin_time": day_start_before(now, 180)})).await;
    assert_eq!(errcode(&oldest), 0, "{oldest}");
    assert_eq!(
        sim.calls("externalcontact/groupchat/statistic_group_by_day")
            .await,
        8
    );
}

#[tokio::test]
async fn without_an_owner_filter_a_large_range_is_refused_and_owners_must_be_in_range() {
    let mut toml = format!(
        "corp_id = \"{CORP_ID}\"\n[[apps]]\nagent_id = {AGENT_ID}\nsecret = \"{SECRET}\"\n\
         [callback]\nurl = \"\"\ntoken = \"{CALLBACK_TOKEN}\"\nencoding_aes_key = \"{CALLBACK_KEY}\"\n\
         [rules]\noutside_app_range = [\"m0\"]\n\
         [[groups]]\nchat_id = \"g0\"\nowner = \"m0\"\n[[groups]]\nchat_id = \"g1\"\nowner = \"m1\"\n"
    );
    // 1,001 people in the app's range (m0 is outside it).
    for i in 0..=1001 {
        toml += &format!("[[members]]\nuserid = \"m{i}\"\nname = \"成员{i}\"\n");
    }
    let sim = spawn_simulator_with(Fixture::from_toml(&toml).expect("fixture")).await;
    let token = sim.token().await;
    let yesterday = day_start_before(desk_server::clock::now_secs(), 1);
    let ask = |filter: Value| {
        let (sim, token) = (sim.clone(), token.clone());
        async move {
            cgi(
                &sim,
                &token,
                "externalcontact/groupchat/statistic",
                json!({"day_begin_time": yesterday, "owner_filter": filter}),
            )
            .await
        }
    };
    assert_eq!(errcode(&ask(json!({"userid_list": []})).await), 81017);
    let one = ask(json!({"userid_list": ["m1", "m2"]})).await;
    assert_eq!(errcode(&one), 0, "{one}");
    assert_eq!(owners_of(&one), ["m1"], "only owners of groups");
    assert_eq!(errcode(&ask(json!({"userid_list": ["m0"]})).await), 60011);
}

#[tokio::test]
async fn the_demo_corp_has_thirty_days_of_made_up_activity_the_same_every_start() {
    let (a, b) = (spawn_simulator().await, spawn_simulator().await);
    let month = |sim: Sim| async move {
        let token = sim.token().await;
        let now = sim.get_json("/sim/clock").await["now"]
            .as_i64()
            .expect("now");
        cgi(
            &sim,
            &token,
            "externalcontact/groupchat/statistic_group_by_day",
            json!({"day_begin_time": day_start_before(now, 30),
                "day_end_time": day_start_before(now, 1)}),
        )
        .await
    };
    let (first, second) = (month(a.clone()).await, month(b).await);
    assert_eq!(errcode(&first), 0, "{first}");
    assert_eq!(first["items"], second["items"], "deterministic");
    let messages: i64 = first["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["data"]["msg_total"].as_i64().unwrap_or(0))
        .sum();
    assert!(messages > 30, "{first}");
    // Only groups with customers talk; the empty pool groups are quiet.
    let wang = a.get_json("/sim/groups/wrDemoWang0001/activity").await;
    assert!(
        wang["days"].as_array().is_some_and(|d| d.len() >= 10),
        "{wang}"
    );
    let pool = a.get_json("/sim/groups/wrPool0000/activity").await;
    assert_eq!(pool["days"], json!([]), "{pool}");
}
