//! WeCom's documented shapes as contract tests (issue 20). `tests/wecom_contract/`
//! holds, for every endpoint the client calls and every callback it reads, the
//! request and answer as WeCom's own page documents them (with the page id). The
//! client must read every documented answer (with fields added that it has never
//! seen) and send only documented fields with their documented JSON types; the
//! simulator must answer with every documented field. Then the client and the
//! simulator can no longer drift away from WeCom together.

use std::collections::HashMap;
use std::sync::Arc;

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use desk_server::wecom::types::*;
use desk_server::wecom::WeComClient;
use parking_lot::Mutex;
use secrecy::SecretString;
use serde_json::{json, Map, Value};

use crate::helpers::*;

/// One documented endpoint or callback.
pub struct Doc {
    pub file: String,
    pub json: Value,
}

impl Doc {
    pub fn endpoint(&self) -> &str {
        self.json["endpoint"].as_str().unwrap_or_default()
    }

    /// The documented answer (`variant` where there are several).
    pub(crate) fn response(&self, variant: Option<&str>) -> Value {
        match variant {
            Some(v) => self.json["responses"][v].clone(),
            None => self.json["response"].clone(),
        }
    }

    /// The documented request body (`variant` where there are several).
    pub(crate) fn request(&self, variant: Option<&str>) -> Value {
        match variant {
            Some(v) => self.json["requests"][v].clone(),
            None => self.json["request"].clone(),
        }
    }
}

/// Every fixture in `tests/wecom_contract/`.
pub fn docs() -> Vec<Doc> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/wecom_contract");
    let mut docs: Vec<Doc> = std::fs::read_dir(&dir)
        .expect("tests/wecom_contract")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .map(|p| {
            let text = std::fs::read_to_string(&p).expect("read fixture");
            let json: Value =
                serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            Doc {
                file: p.file_name().expect("name").to_string_lossy().into_owned(),
                json,
            }
        })
        .collect();
    docs.sort_by(|a, b| a.file.cmp(&b.file));
    docs
}

pub(crate) fn doc(endpoint: &str) -> Doc {
    docs()
        .into_iter()
        .find(|d| d.endpoint() == endpoint)
        .unwrap_or_else(|| panic!("no fixture documents {endpoint}"))
}

/// The JSON type of a value, as the contract compares them.
fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Every field of `ours` is documented in `documented` with the same JSON type
/// (objects field by field, arrays by their first element); what is wrong, by path.
pub fn undocumented(ours: &Value, documented: &Value, at: &str, wrong: &mut Vec<String>) {
    match (ours, documented) {
        (Value::Object(o), Value::Object(d)) => {
            for (k, v) in o {
                match d.get(k) {
                    None => wrong.push(format!("{at}.{k}: not documented")),
                    Some(dv) => undocumented(v, dv, &format!("{at}.{k}"), wrong),
                }
            }
        }
        (Value::Array(o), Value::Array(d)) => {
            if let (Some(o), Some(d)) = (o.first(), d.first()) {
                undocumented(o, d, &format!("{at}[0]"), wrong);
            }
        }
        (o, d) if kind(o) != kind(d) => wrong.push(format!(
            "{at}: {} where WeCom documents {}",
            kind(o),
            kind(d)
        )),
        _ => {}
    }
}

/// The same answer with a field WeCom might add tomorrow in every object.
fn with_new_fields(v: &Value) -> Value {
    match v {
        Value::Object(m) => {
            let mut out: Map<String, Value> = m
                .iter()
                .map(|(k, v)| (k.clone(), with_new_fields(v)))
                .collect();
            out.insert("a_field_from_next_year".into(), json!({"x": [1, "y"]}));
            Value::Object(out)
        }
        Value::Array(a) => Value::Array(a.iter().map(with_new_fields).collect()),
        other => other.clone(),
    }
}

/// What the stand-in WeCom saw of one request.
#[derive(Debug, Clone)]
struct Seen {
    path: String,
    query: HashMap<String, String>,
    body: Value,
}

/// A stand-in WeCom that answers each path with a documented answer (plus new
/// fields) and keeps what it was sent.
pub(crate) struct StandIn {
    url: String,
    answers: Arc<Mutex<HashMap<String, Value>>>,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl StandIn {
    pub(crate) async fn start() -> Self {
        let answers: Arc<Mutex<HashMap<String, Value>>> = Arc::default();
        let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
        let (a, s) = (answers.clone(), seen.clone());
        let server = HttpServer::new(move || {
            let (a, s) = (a.clone(), s.clone());
            App::new().default_service(web::to(move |req: HttpRequest, body: web::Bytes| {
                let (a, s) = (a.clone(), s.clone());
                async move {
                    let path = req.path().trim_start_matches("/cgi-bin/").to_string();
                    let query =
                        web::Query::<HashMap<String, String>>::from_query(req.query_string())
                            .map(|q| q.into_inner())
                            .unwrap_or_default();
                    s.lock().push(Seen {
                        path: path.clone(),
                        query,
                        body: serde_json::from_slice(&body).unwrap_or(Value::Null),
                    });
                    let answer = a
                        .lock()
                        .get(&path)
                        .cloned()
                        .unwrap_or(json!({"errcode": 404, "errmsg": "not documented here"}));
                    HttpResponse::Ok().json(answer)
                }
            }))
        })
        .workers(1)
        .bind("127.0.0.1:0")
        .expect("bind stand-in");
        let url = format!("http://{}", server.addrs()[0]);
        tokio::spawn(server.run());
        let stand_in = Self { url, answers, seen };
        stand_in.answer("gettoken", &doc("gettoken").response(None));
        stand_in
    }

    pub(crate) fn answer(&self, path: &str, documented: &Value) {
        self.answers
            .lock()
            .insert(path.to_string(), with_new_fields(documented));
    }

    /// The last request to `path`.
    fn last(&self, path: &str) -> Seen {
        self.seen
            .lock()
            .iter()
            .rev()
            .find(|s| s.path == path)
            .cloned()
            .unwrap_or_else(|| panic!("nothing was sent to {path}"))
    }

    pub(crate) fn client(&self) -> WeComClient {
        let settings = desk_server::config::WeComSettings {
            api_base: self.url.clone(),
            corp_id: "ww-contract".into(),
            agent_id: 1000002,
            agent_secret: SecretString::from("contract-secret"),
            oauth_base: self.url.clone(),
            timeout_secs: 5,
            request_deadline_secs: 10.0,
        };
        WeComClient::new(&settings).expect("client")
    }
}

/// The client's request to `path` carries only documented fields and query
/// parameters, each with its documented JSON type.
pub(crate) fn check_request(stand_in: &StandIn, doc: &Doc, variant: Option<&str>) {
    let seen = stand_in.last(doc.endpoint());
    let mut wrong = Vec::new();
    if doc.json["method"] == "POST" {
        undocumented(
            &seen.body,
            &doc.request(variant),
            doc.endpoint(),
            &mut wrong,
        );
    }
    let documented_query = doc.json["query"].as_object().cloned().unwrap_or_default();
    for k in seen.query.keys() {
        if k != "access_token" && !documented_query.contains_key(k) {
            wrong.push(format!("{}?{k}: not documented", doc.endpoint()));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} ({}): {wrong:#?}",
        doc.file,
        doc.json["page"]
    );
}

fn text(content: &str) -> MessageContent {
    MessageContent::Text {
        text: Text {
            content: content.into(),
        },
    }
}

/// Every endpoint: the client reads the documented answer (and ignores fields it has
/// never seen), reads the fields it uses correctly, and sends only documented
/// fields. Every value asserted below is the one in the fixture.
#[tokio::test]
async fn the_client_reads_every_documented_answer_and_sends_documented_requests() {
    let w = StandIn::start().await;
    let c = w.client();
    let answer = |endpoint: &str, variant: Option<&str>| {
        let d = doc(endpoint);
        w.answer(endpoint, &d.response(variant));
        d
    };

    let d = answer("get_jsapi_ticket", None);
    let t = c.corp_jsapi_ticket().await.expect("corp ticket");
    assert_eq!(*t, *d.response(None)["ticket"].as_str().expect("ticket"));
    check_request(&w, &d, None);
    check_request(&w, &doc("gettoken"), None);
    let d = answer("ticket/get", None);
    c.agent_jsapi_ticket().await.expect("agent ticket");
    check_request(&w, &d, None);

    for variant in ["member", "non_member"] {
        let d = answer("auth/getuserinfo", Some(variant));
        let who = c.user_of_code("CODE").await.expect(variant);
        assert_eq!(
            who.userid.as_deref(),
            d.response(Some(variant))["userid"].as_str()
        );
        assert_eq!(
            who.openid.as_deref(),
            d.response(Some(variant))["openid"].as_str()
        );
        check_request(&w, &d, None);
    }

    let d = answer("user/get", None);
    let m = c.member("zhangsan").await.expect("user/get");
    assert_eq!(m.name, d.response(None)["name"].as_str().expect("name"));
    check_request(&w, &d, None);

    let d = answer("externalcontact/list", None);
    let ids = c.customer_ids("zhangsan").await.expect("list");
    assert_eq!(json!(ids), d.response(None)["external_userid"]);
    check_request(&w, &d, None);

    let d = answer("externalcontact/get", None);
    let got = c
        .customer("woAJ2GCAAAXtWyujaWJHDDGi0mACAAAA", "")
        .await
        .expect("get");
    let documented = d.response(None);
    assert_eq!(
        got.external_contact.external_userid,
        documented["external_contact"]["external_userid"]
            .as_str()
            .expect("id")
    );
    assert_eq!(
        json!(got.follow_user[0].follow.remark_mobiles),
        documented["follow_user"][0]["remark_mobiles"]
    );
    check_request(&w, &d, None);

    let d = answer("externalcontact/batch/get_by_user", None);
    let page = c
        .customers_page(&["zhangsan".into()], "", 100)
        .await
        .expect("batch");
    let documented = d.response(None);
    assert_eq!(
        json!(
            page.external_contact_list[0]
                .follow_info
                .follow
                .remark_mobiles
        ),
        documented["external_contact_list"][0]["follow_info"]["remark_mobiles"]
    );
    assert_eq!(json!(page.next_cursor), documented["next_cursor"]);
    check_request(&w, &d, None);

    // As the sidebar writes a remark phone.
    let d = answer("externalcontact/remark", None);
    c.set_remark(&Remark {
        userid: "zhangsan".into(),
        external_userid: "woAJ2GCAAAd1asdasdjO4wKmE8Aabj9AAA".into(),
        remark_mobiles: Some(vec!["13800000001".into()]),
        ..Remark::default()
    })
    .await
    .expect("remark");
    check_request(&w, &d, None);

    // As the join ways' pool discovery lists groups.
    let d = answer("externalcontact/groupchat/list", None);
    let groups = c
        .group_chats(&GroupChatListQuery {
            status_filter: 0,
            owner_filter: Some(OwnerFilter {
                userid_list: vec!["abel".into()],
            }),
            cursor: String::new(),
            limit: 1000,
        })
        .await
        .expect("groupchat/list");
    assert_eq!(
        json!(groups.group_chat_list[0].chat_id),
        d.response(None)["group_chat_list"][0]["chat_id"]
    );
    check_request(&w, &d, None);

    let d = answer("externalcontact/groupchat/get", None);
    let g = c
        .group_chat("wrOgQhDgAAMYQiS5ol9G7gK9JVAAAA")
        .await
        .expect("get");
    let documented = d.response(None);
    assert_eq!(json!(g.owner), documented["group_chat"]["owner"]);
    assert_eq!(
        g.member_list.len(),
        documented["group_chat"]["member_list"]
            .as_array()
            .expect("members")
            .len()
    );
    check_request(&w, &d, None);

    // As join ways make them: a QR code for one group, carrying the order's state.
    let settings = JoinWaySettings {
        scene: 2,
        remark: Some("DD-1 王女士".into()),
        auto_create_room: Some(0),
        chat_id_list: vec!["wrOgQhDgAAH2Yy-CTZ6POca8mlBEdaaa".into()],
        state: Some("o1a2b3".into()),
        ..Default::default()
    };
    let d = answer("externalcontact/groupchat/add_join_way", None);
    let config_id = c.add_join_way(&settings).await.expect("add_join_way");
    assert_eq!(json!(config_id), d.response(None)["config_id"]);
    check_request(&w, &d, None);

    let d = answer("externalcontact/groupchat/get_join_way", None);
    let way = c.join_way(&config_id).await.expect("get_join_way");
    let documented = d.response(None);
    assert_eq!(json!(way.qr_code), documented["join_way"]["qr_code"]);
    assert_eq!(
        json!(way.settings.mark_source),
        documented["join_way"]["mark_source"]
    );
    check_request(&w, &d, None);

    let d = answer("externalcontact/groupchat/update_join_way", None);
    c.update_join_way(&JoinWayUpdate {
        config_id: config_id.clone(),
        settings,
    })
    .await
    .expect("update_join_way");
    check_request(&w, &d, None);

    let d = answer("externalcontact/groupchat/del_join_way", None);
    c.delete_join_way(&config_id).await.expect("del_join_way");
    check_request(&w, &d, None);

    // As staff chats are made and told.
    let d = answer("appchat/create", None);
    let chatid = c
        .create_app_chat(&AppChatCreate {
            name: "DD-1 新房装修·内部群".into(),
            owner: Some("userid1".into()),
            userlist: vec!["userid1".into(), "userid2".into()],
            chatid: None,
        })
        .await
        .expect("appchat/create");
    assert_eq!(json!(chatid), d.response(None)["chatid"]);
    check_request(&w, &d, None);

    let d = answer("appchat/get", None);
    let info = c.app_chat(&chatid).await.expect("appchat/get");
    assert_eq!(
        json!(info.userlist),
        d.response(None)["chat_info"]["userlist"]
    );
    check_request(&w, &d, None);

    let d = answer("appchat/send", None);
    c.send_to_app_chat(&AppChatMessage {
        chatid: chatid.clone(),
        content: text("订单 DD-1 的内部群已建好"),
        safe: 0,
    })
    .await
    .expect("appchat/send");
    check_request(&w, &d, None);

    let d = answer("message/send", None);
    let receipt = c
        .send_app_message(&["UserID1".into()], text("你好"))
        .await
        .expect("message/send");
    assert_eq!(json!(receipt.invaliduser), d.response(None)["invaliduser"]);
    check_request(&w, &d, Some("text"));
    c.send_app_message(
        &["UserID1".into()],
        MessageContent::Textcard {
            textcard: TextCard {
                title: "新订单".into(),
                description: "DD-1".into(),
                url: "https://desk.example.com/orders/DD-1".into(),
                btntxt: Some("打开".into()),
            },
        },
    )
    .await
    .expect("textcard");
    check_request(&w, &d, Some("textcard"));

    let d = answer("webhook/send", None);
    let robot = SecretString::from(format!("{}/cgi-bin/webhook/send?key=KEY", w.url));
    c.send_robot(
        &robot,
        &RobotMessage::Text {
            text: RobotText {
                content: "有新的网站咨询".into(),
                mentioned_list: vec!["wangqing".into()],
                mentioned_mobile_list: Vec::new(),
            },
        },
    )
    .await
    .expect("webhook/send");
    check_request(&w, &d, Some("text"));
}

/// Every WeCom path the client names has a documented fixture.
#[test]
fn every_endpoint_the_client_calls_is_documented() {
    let source = concat!(
        include_str!("../../src/wecom/client.rs"),
        include_str!("../../src/wecom/handover.rs"),
        include_str!("../../src/wecom/media.rs")
    );
    let documented: Vec<String> = docs().iter().map(|d| d.endpoint().to_string()).collect();
    let mut called = Vec::new();
    for piece in source.split('"').skip(1).step_by(2) {
        let path = piece.trim_start_matches("cgi-bin/");
        let looks_like_a_path = path
            .chars()
            .all(|c| c.is_ascii_lowercase() || c == '/' || c == '_')
            && (path.contains('/') || ["gettoken", "get_jsapi_ticket"].contains(&path));
        if looks_like_a_path && !path.is_empty() && !path.starts_with("application/") {
            called.push(path.to_string());
        }
    }
    assert!(called.len() >= 20, "{called:?}");
    for path in called {
        assert!(
            documented.contains(&path),
            "{path} has no fixture in tests/wecom_contract"
        );
    }
    for d in docs() {
        assert!(
            d.json["page"].as_str().is_some_and(|p| p.starts_with("D-")),
            "{}: the page id",
            d.file
        );
    }
}

/// Every field `documented` has is in `ours` with the same JSON type (objects field by
/// field, arrays by their first element, where both have one); `optional` paths may
/// be absent. What is missing or wrong, by path.
pub(crate) fn missing(
    ours: &Value,
    documented: &Value,
    at: &str,
    optional: &[&str],
    wrong: &mut Vec<String>,
) {
    match (ours, documented) {
        (Value::Object(o), Value::Object(d)) => {
            for (k, dv) in d {
                let path = format!("{at}.{k}");
                match o.get(k) {
                    None if optional.contains(&path.as_str()) => {}
                    None => wrong.push(format!("{path}: missing")),
                    Some(v) => missing(v, dv, &path, optional, wrong),
                }
            }
        }
        (Value::Array(o), Value::Array(d)) => {
            if let (Some(o), Some(d)) = (o.first(), d.first()) {
                missing(o, d, &format!("{at}[0]"), optional, wrong);
            }
        }
        (o, d) if kind(o) != kind(d) && !(kind(o) == "integer" && kind(d) == "number") => wrong
            .push(format!(
                "{at}: {} where WeCom documents {}",
                kind(o),
                kind(d)
            )),
        _ => {}
    }
}

/// The simulator, asked as WeCom's pages ask (the documented request with the demo
/// corp's ids), answers every documented field with its documented JSON type. The
/// fields WeCom itself leaves out in some answers are listed in each fixture's
/// `optional`, with the page's words in its `note`.
#[tokio::test]
async fn the_simulator_answers_every_documented_field() {
    let sim = spawn_simulator().await;
    let http = &sim.http;
    let base = format!("{}/cgi-bin", sim.url);
    let raw = |method: &str, path: &str, query: Vec<(&str, String)>, body: Option<Value>| {
        let url = format!("{base}/{path}");
        let req = match method {
            "GET" => http.get(url),
            _ => http.post(url).json(&body.unwrap_or(Value::Null)),
        }
        .query(&query);
        async move {
            let v: Value = req
                .send()
                .await
                .expect("simulator answers")
                .json()
                .await
                .expect("json");
            v
        }
    };
    let token_answer = raw(
        "GET",
        "gettoken",
        vec![("corpid", CORP_ID.into()), ("corpsecret", SECRET.into())],
        None,
    )
    .await;
    let token = token_answer["access_token"]
        .as_str()
        .expect("token")
        .to_string();
    let t = || ("access_token", token.clone());
    let code: Value = http
        .post(format!("{}/sim/oauth/code", sim.url))
        .json(&json!({"userid": "zhangwei"}))
        .send()
        .await
        .expect("code")
        .json()
        .await
        .expect("json");
    let code = code["code"].as_str().expect("code").to_string();
    let chat = "wrPool0000";
    let customer = "wmDemo0000";
    // The documented request body with the demo corp's ids in it.
    let body = |endpoint: &str, variant: Option<&str>, with: Value| {
        let mut b = doc(endpoint).request(variant);
        if let (Value::Object(b), Value::Object(with)) = (&mut b, with) {
            b.extend(with);
        }
        b
    };

    let mut answers: Vec<(&str, Option<&str>, Value)> = vec![
        ("gettoken", None, token_answer.clone()),
        (
            "get_jsapi_ticket",
            None,
            raw("GET", "get_jsapi_ticket", vec![t()], None).await,
        ),
        (
            "ticket/get",
            None,
            raw(
                "GET",
                "ticket/get",
                vec![t(), ("type", "agent_config".into())],
                None,
            )
            .await,
        ),
        (
            "auth/getuserinfo",
            Some("member"),
            raw("GET", "auth/getuserinfo", vec![t(), ("code", code)], None).await,
        ),
        (
            "user/get",
            None,
            raw(
                "GET",
                "user/get",
                vec![t(), ("userid", "zhangwei".into())],
                None,
            )
            .await,
        ),
        (
            "externalcontact/list",
            None,
            raw(
                "GET",
                "externalcontact/list",
                vec![t(), ("userid", "zhangwei".into())],
                None,
            )
            .await,
        ),
        (
            "externalcontact/get",
            None,
            raw(
                "GET",
                "externalcontact/get",
                vec![t(), ("external_userid", customer.into())],
                None,
            )
            .await,
        ),
        (
            "externalcontact/batch/get_by_user",
            None,
            raw(
                "POST",
                "externalcontact/batch/get_by_user",
                vec![t()],
                Some(body(
                    "externalcontact/batch/get_by_user",
                    None,
                    json!({"userid_list": ["zhangwei"]}),
                )),
            )
            .await,
        ),
        (
            "externalcontact/remark",
            None,
            raw(
                "POST",
                "externalcontact/remark",
                vec![t()],
                Some(json!({"userid": "zhangwei", "external_userid": customer,
                    "remark": "王女士", "remark_mobiles": ["13800000001"]})),
            )
            .await,
        ),
        (
            "externalcontact/groupchat/list",
            None,
            raw(
                "POST",
                "externalcontact/groupchat/list",
                vec![t()],
                Some(body(
                    "externalcontact/groupchat/list",
                    None,
                    json!({"owner_filter": {"userid_list": ["wangqiang"]}, "cursor": ""}),
                )),
            )
            .await,
        ),
        (
            "externalcontact/groupchat/get",
            None,
            raw(
                "POST",
                "externalcontact/groupchat/get",
                vec![t()],
                Some(body(
                    "externalcontact/groupchat/get",
                    None,
                    json!({"chat_id": chat}),
                )),
            )
            .await,
        ),
    ];
    let added = raw(
        "POST",
        "externalcontact/groupchat/add_join_way",
        vec![t()],
        Some(body(
            "externalcontact/groupchat/add_join_way",
            None,
            json!({"chat_id_list": [chat], "auto_create_room": 0}),
        )),
    )
    .await;
    let config_id = added["config_id"].as_str().expect("config_id").to_string();
    answers.push(("externalcontact/groupchat/add_join_way", None, added));
    answers.push((
        "externalcontact/groupchat/get_join_way",
        None,
        raw(
            "POST",
            "externalcontact/groupchat/get_join_way",
            vec![t()],
            Some(json!({ "config_id": config_id })),
        )
        .await,
    ));
    answers.push((
        "externalcontact/groupchat/update_join_way",
        None,
        raw(
            "POST",
            "externalcontact/groupchat/update_join_way",
            vec![t()],
            Some(body(
                "externalcontact/groupchat/update_join_way",
                None,
                json!({"config_id": config_id, "chat_id_list": [chat], "auto_create_room": 0}),
            )),
        )
        .await,
    ));
    answers.push((
        "externalcontact/groupchat/del_join_way",
        None,
        raw(
            "POST",
            "externalcontact/groupchat/del_join_way",
            vec![t()],
            Some(json!({ "config_id": config_id })),
        )
        .await,
    ));
    let created = raw(
        "POST",
        "appchat/create",
        vec![t()],
        Some(json!({"name": "DD-1 内部群", "owner": "zhangwei", "userlist": ["zhangwei", "lina"]})),
    )
    .await;
    let chatid = created["chatid"].as_str().expect("chatid").to_string();
    answers.push(("appchat/create", None, created));
    answers.push((
        "appchat/get",
        None,
        raw(
            "GET",
            "appchat/get",
            vec![t(), ("chatid", chatid.clone())],
            None,
        )
        .await,
    ));
    answers.push((
        "appchat/send",
        None,
        raw(
            "POST",
            "appchat/send",
            vec![t()],
            Some(body("appchat/send", None, json!({ "chatid": chatid }))),
        )
        .await,
    ));
    for variant in ["text", "textcard"] {
        answers.push((
            "message/send",
            Some(variant),
            raw(
                "POST",
                "message/send",
                vec![t()],
                Some(body(
                    "message/send",
                    Some(variant),
                    json!({"touser": "zhangwei|nobody", "agentid": AGENT_ID}),
                )),
            )
            .await,
        ));
    }
    for variant in ["text", "markdown"] {
        answers.push((
            "webhook/send",
            Some(variant),
            raw(
                "POST",
                "webhook/send",
                vec![("key", "demo-robot-key-0001".into())],
                Some(doc("webhook/send").request(Some(variant))),
            )
            .await,
        ));
    }

    let mut wrong = Vec::new();
    for (endpoint, variant, ours) in &answers {
        let d = doc(endpoint);
        assert_eq!(ours["errcode"], 0, "{endpoint} {variant:?}: {ours}");
        let documented = match (endpoint, variant) {
            (_, Some(v)) if d.json["responses"].is_object() => d.response(Some(v)),
            _ => d.response(None),
        };
        let optional: Vec<&str> = d.json["optional"]
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        missing(ours, &documented, endpoint, &optional, &mut wrong);
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}
