//! The simulated WeCom server API under `/cgi-bin/`: the paths of wecom-api.md
//! sections 1-7, answering with the documented shapes, limits and errcodes.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use actix_web::http::Method;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Value};

use super::state::{random_id, AppChat, CodeOwner, SentMessage, StoredJoinWay, World};
use super::Simulator;
use crate::wecom::types::*;

/// A WeCom error answer.
#[derive(Debug)]
pub struct Fail(pub i64, pub String);

fn fail<T>(code: i64, msg: impl Into<String>) -> Result<T, Fail> {
    Err(Fail(code, msg.into()))
}

type Answer = Result<Value, Fail>;

fn to_value(v: impl Serialize) -> Answer {
    serde_json::to_value(v).map_err(|e| Fail(-1, e.to_string()))
}

/// The HTTP answer WeCom gives: always 200, errcode 0 with "ok" or the error.
fn respond(answer: Answer) -> HttpResponse {
    let body = match answer {
        Ok(Value::Object(mut map)) => {
            map.insert("errcode".into(), json!(0));
            map.insert("errmsg".into(), json!("ok"));
            Value::Object(map)
        }
        Ok(_) => json!({"errcode": 0, "errmsg": "ok"}),
        Err(Fail(code, msg)) => json!({"errcode": code, "errmsg": msg}),
    };
    HttpResponse::Ok().json(body)
}

#[derive(Clone, Copy, PartialEq)]
enum Verb {
    Get,
    Post,
}

/// Every path the simulator serves and the method WeCom requires for it.
const ENDPOINTS: &[(&str, Verb)] = &[
    ("gettoken", Verb::Get),
    ("get_jsapi_ticket", Verb::Get),
    ("ticket/get", Verb::Get),
    ("auth/getuserinfo", Verb::Get),
    ("user/get", Verb::Get),
    ("externalcontact/list", Verb::Get),
    ("externalcontact/get", Verb::Get),
    ("externalcontact/batch/get_by_user", Verb::Post),
    ("externalcontact/remark", Verb::Post),
    ("externalcontact/groupchat/list", Verb::Post),
    ("externalcontact/groupchat/get", Verb::Post),
    ("externalcontact/groupchat/add_join_way", Verb::Post),
    ("externalcontact/groupchat/get_join_way", Verb::Post),
    ("externalcontact/groupchat/update_join_way", Verb::Post),
    ("externalcontact/groupchat/del_join_way", Verb::Post),
    ("appchat/create", Verb::Post),
    ("appchat/get", Verb::Get),
    ("appchat/send", Verb::Post),
    ("message/send", Verb::Post),
    ("webhook/send", Verb::Post),
];

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/cgi-bin/{path:.*}")
            .app_data(web::PayloadConfig::new(2 << 20))
            .default_service(web::to(cgi)),
    );
}

async fn cgi(
    req: HttpRequest,
    sim: web::Data<Simulator>,
    query: web::Query<HashMap<String, String>>,
    body: web::Bytes,
) -> HttpResponse {
    let path = req.match_info().get("path").unwrap_or_default().to_string();
    let Some(&(_, verb)) = ENDPOINTS.iter().find(|(p, _)| *p == path) else {
        return HttpResponse::NotFound().json(json!({"errcode": 404, "errmsg": "not found"}));
    };
    let now = Instant::now();
    let (latency, injected) = sim.with_world(|w| {
        *w.calls.entry(path.clone()).or_default() += 1;
        let latency = w.faults.latency_ms;
        (latency, injected_fault(w))
    });
    if latency > 0 {
        tokio::time::sleep(Duration::from_millis(latency)).await;
    }
    if let Some(resp) = injected {
        return resp;
    }
    let wanted = match verb {
        Verb::Get => Method::GET,
        Verb::Post => Method::POST,
    };
    if req.method() != wanted {
        return respond(match verb {
            Verb::Get => fail(43001, "require GET method"),
            Verb::Post => fail(43002, "require POST method"),
        });
    }
    let base = {
        let info = req.connection_info();
        format!("{}://{}", info.scheme(), info.host())
    };
    let answer = sim.with_world(|w| dispatch(w, &path, &query, &body, Ctx { now, base: &base }));
    respond(answer)
}

/// The fault `/sim/faults` asked for, if this call gets one.
fn injected_fault(w: &mut World) -> Option<HttpResponse> {
    match w.faults.revoke_tokens_after {
        Some(0) => {
            w.revoke_all_tokens();
            w.faults.revoke_tokens_after = None;
        }
        Some(n) => w.faults.revoke_tokens_after = Some(n - 1),
        None => {}
    }
    if w.faults.http_error_next > 0 {
        w.faults.http_error_next -= 1;
        let status = actix_web::http::StatusCode::from_u16(w.faults.http_error_status)
            .unwrap_or(actix_web::http::StatusCode::BAD_GATEWAY);
        return Some(HttpResponse::build(status).body("simulated outage"));
    }
    if w.faults.busy_next > 0 {
        w.faults.busy_next -= 1;
        return Some(respond(fail(-1, "system busy")));
    }
    if let Some(after) = w.faults.rate_limit_after {
        w.calls_since_rate_limit_set += 1;
        if w.calls_since_rate_limit_set > after {
            return Some(respond(fail(45009, "api freq out of limit")));
        }
    }
    None
}

struct Ctx<'a> {
    now: Instant,
    base: &'a str,
}

fn param<'a>(q: &'a HashMap<String, String>, name: &str) -> Option<&'a str> {
    q.get(name).map(String::as_str).filter(|v| !v.is_empty())
}

fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, Fail> {
    serde_json::from_slice(body).map_err(|e| Fail(47001, format!("data format error: {e}")))
}

/// The app behind `access_token`, as WeCom checks it: missing 41001, unknown or
/// revoked 40014, expired 42001.
fn app_of(w: &World, q: &HashMap<String, String>, now: Instant) -> Result<i64, Fail> {
    let Some(token) = param(q, "access_token") else {
        return fail(41001, "access_token missing");
    };
    match w.tokens.get(token) {
        None => fail(40014, "invalid access_token"),
        Some(t) if t.revoked => fail(40014, "invalid access_token"),
        Some(t) if t.expires_at <= now => fail(42001, "access_token expired"),
        Some(t) => Ok(t.agent_id),
    }
}

fn dispatch(
    w: &mut World,
    path: &str,
    q: &HashMap<String, String>,
    body: &[u8],
    ctx: Ctx<'_>,
) -> Answer {
    match path {
        "gettoken" => return gettoken(w, q, ctx.now),
        "webhook/send" => return robot_send(w, q, body, ctx.now),
        _ => {}
    }
    let agent = app_of(w, q, ctx.now)?;
    match path {
        "get_jsapi_ticket" => {
            if !w.ticket_fetch_allowed(agent, ctx.now) {
                return fail(45009, "api freq out of limit");
            }
            let (ticket, expires_in) = w.corp_ticket(ctx.now);
            to_value(Ticket { ticket, expires_in })
        }
        "ticket/get" => {
            if param(q, "type") != Some("agent_config") {
                return fail(40058, "invalid type, expect agent_config");
            }
            if !w.ticket_fetch_allowed(agent, ctx.now) {
                return fail(45009, "api freq out of limit");
            }
            let (ticket, expires_in) = w.agent_ticket(agent, ctx.now);
            to_value(Ticket { ticket, expires_in })
        }
        "auth/getuserinfo" => getuserinfo(w, q, ctx.now),
        "user/get" => user_get(w, q),
        "externalcontact/list" => contact_list(w, q),
        "externalcontact/get" => contact_get(w, q),
        "externalcontact/batch/get_by_user" => batch_get_by_user(w, parse(body)?),
        "externalcontact/remark" => remark(w, parse(body)?),
        "externalcontact/groupchat/list" => groupchat_list(w, parse(body)?),
        "externalcontact/groupchat/get" => groupchat_get(w, parse(body)?),
        "externalcontact/groupchat/add_join_way" => add_join_way(w, agent, parse(body)?),
        "externalcontact/groupchat/get_join_way" => get_join_way(w, parse(body)?, ctx.base),
        "externalcontact/groupchat/update_join_way" => update_join_way(w, parse(body)?),
        "externalcontact/groupchat/del_join_way" => {
            let c: ConfigId = parse(body)?;
            match w.join_ways.remove(&c.config_id) {
                Some(_) => to_value(Empty {}),
                None => fail(40058, "invalid config_id"),
            }
        }
        "appchat/create" => appchat_create(w, agent, parse(body)?),
        "appchat/get" => appchat_get(w, agent, q),
        "appchat/send" => appchat_send(w, agent, body),
        "message/send" => message_send(w, agent, body),
        _ => fail(404, "not found"),
    }
}

fn gettoken(w: &mut World, q: &HashMap<String, String>, now: Instant) -> Answer {
    let Some(corpid) = param(q, "corpid") else {
        return fail(41002, "corpid missing");
    };
    let Some(secret) = param(q, "corpsecret") else {
        return fail(41004, "corpsecret missing");
    };
    if corpid != w.fixture.corp_id {
        return fail(40013, "invalid corpid");
    }
    let Some(agent) = w
        .fixture
        .apps
        .iter()
        .find(|a| a.secret == secret)
        .map(|a| a.agent_id)
    else {
        return fail(40001, "invalid credential");
    };
    let (access_token, expires_in) = w.token_for(agent, now);
    to_value(AccessToken {
        access_token,
        expires_in,
    })
}

fn getuserinfo(w: &mut World, q: &HashMap<String, String>, now: Instant) -> Answer {
    let Some(code) = param(q, "code") else {
        return fail(41008, "code missing");
    };
    // Single use: taken out whatever happens next.
    match w.codes.remove(code) {
        Some((owner, expires_at)) if expires_at > now => to_value(match owner {
            CodeOwner::Member(userid) => AuthUserInfo {
                userid: Some(userid),
                user_ticket: None,
                ..AuthUserInfo::default()
            },
            CodeOwner::Outsider(openid) => AuthUserInfo {
                openid: Some(openid),
                ..AuthUserInfo::default()
            },
        }),
        _ => fail(40029, "invalid code"),
    }
}

fn user_get(w: &World, q: &HashMap<String, String>) -> Answer {
    let userid = param(q, "userid").unwrap_or_default();
    match w.fixture.members.iter().find(|m| m.userid == userid) {
        Some(m) => to_value(Member {
            userid: m.userid.clone(),
            name: m.name.clone(),
            avatar: m.avatar.clone(),
            position: m.position.clone(),
            department: m.department.clone(),
            status: 1,
        }),
        None => fail(60111, "userid not found"),
    }
}

fn is_member(w: &World, userid: &str) -> bool {
    w.fixture.members.iter().any(|m| m.userid == userid)
}

fn contact_list(w: &World, q: &HashMap<String, String>) -> Answer {
    let userid = param(q, "userid").unwrap_or_default();
    if !is_member(w, userid) {
        return fail(60111, "userid not found");
    }
    let ids: Vec<String> = w
        .fixture
        .customers
        .iter()
        .filter(|c| c.follow.iter().any(|f| f.userid == userid))
        .map(|c| c.external_userid.clone())
        .collect();
    if ids.is_empty() {
        return fail(84061, "not external contact");
    }
    to_value(ExternalUserIds {
        external_userid: ids,
    })
}

fn contact_of(c: &super::fixture::Customer) -> ExternalContact {
    ExternalContact {
        external_userid: c.external_userid.clone(),
        name: c.name.clone(),
        avatar: c.avatar.clone(),
        kind: c.kind,
        gender: c.gender,
        unionid: None,
        position: None,
        corp_name: c.corp_name.clone(),
        corp_full_name: c.corp_name.clone(),
    }
}

fn contact_get(w: &World, q: &HashMap<String, String>) -> Answer {
    let id = param(q, "external_userid").unwrap_or_default();
    let Some(c) = w.fixture.customers.iter().find(|c| c.external_userid == id) else {
        return fail(40096, "invalid external userid");
    };
    to_value(ExternalContactDetail {
        external_contact: contact_of(c),
        follow_user: c
            .follow
            .iter()
            .map(|f| FollowUser {
                follow: f.clone(),
                tags: Vec::new(),
            })
            .collect(),
        next_cursor: String::new(),
    })
}

fn offset_of(cursor: &str) -> Result<usize, Fail> {
    if cursor.is_empty() {
        return Ok(0);
    }
    cursor
        .strip_prefix("sim")
        .and_then(|n| n.parse().ok())
        .ok_or(Fail(40058, "invalid cursor".into()))
}

fn next_cursor(end: usize, total: usize) -> String {
    if end < total {
        format!("sim{end}")
    } else {
        String::new()
    }
}

fn batch_get_by_user(w: &World, req: BatchGetByUser) -> Answer {
    if req.userid_list.is_empty() || req.userid_list.len() > 100 {
        return fail(40058, "userid_list size must be 1..100");
    }
    if let Some(unknown) = req.userid_list.iter().find(|u| !is_member(w, u)) {
        return fail(60111, format!("userid not found: {unknown}"));
    }
    // WeCom clamps the limit: default 50, at most 100.
    let limit = req.limit.unwrap_or(50).clamp(1, 100) as usize;
    let offset = offset_of(&req.cursor)?;
    let all: Vec<(&super::fixture::Customer, &Follow)> = req
        .userid_list
        .iter()
        .flat_map(|u| {
            w.fixture
                .customers
                .iter()
                .filter_map(move |c| c.follow.iter().find(|f| &f.userid == u).map(|f| (c, f)))
        })
        .collect();
    if all.is_empty() {
        return fail(84061, "not external contact");
    }
    let end = (offset + limit).min(all.len());
    let page = all.get(offset..end).unwrap_or_default();
    to_value(CustomersPage {
        external_contact_list: page
            .iter()
            .map(|(c, f)| CustomerOfMember {
                external_contact: contact_of(c),
                follow_info: FollowInfo {
                    follow: (*f).clone(),
                    tag_id: Vec::new(),
                },
            })
            .collect(),
        next_cursor: next_cursor(end, all.len()),
    })
}

fn remark(w: &mut World, req: Remark) -> Answer {
    if !is_member(w, &req.userid) {
        return fail(60111, "userid not found");
    }
    let Some(c) = w
        .fixture
        .customers
        .iter_mut()
        .find(|c| c.external_userid == req.external_userid)
    else {
        return fail(40096, "invalid external userid");
    };
    let Some(f) = c.follow.iter_mut().find(|f| f.userid == req.userid) else {
        return fail(84061, "not external contact");
    };
    if let Some(r) = req.remark {
        f.remark = r;
    }
    if let Some(d) = req.description {
        f.description = d;
    }
    if let Some(rc) = req.remark_company {
        f.remark_corp_name = Some(rc);
    }
    if let Some(m) = req.remark_mobiles {
        f.remark_mobiles = m;
    }
    to_value(Empty {})
}

fn groupchat_list(w: &World, req: GroupChatListQuery) -> Answer {
    if !(1..=1000).contains(&req.limit) {
        return fail(40058, "limit must be 1..1000");
    }
    let owners = req.owner_filter.map(|o| o.userid_list).unwrap_or_default();
    let all: Vec<GroupChatRef> = w
        .groups
        .values()
        .filter(|g| owners.is_empty() || owners.contains(&g.owner))
        .map(|g| GroupChatRef {
            chat_id: g.chat_id.clone(),
            status: 0,
        })
        .collect();
    let offset = offset_of(&req.cursor)?;
    let end = (offset + req.limit as usize).min(all.len());
    to_value(GroupChatPage {
        group_chat_list: all.get(offset..end).unwrap_or_default().to_vec(),
        next_cursor: next_cursor(end, all.len()),
    })
}

fn groupchat_get(w: &World, req: GroupChatQuery) -> Answer {
    match w.groups.get(&req.chat_id) {
        Some(g) => {
            let mut g = g.clone();
            if req.need_name == 1 {
                for m in &mut g.member_list {
                    m.name = match m.kind {
                        1 => w.member_name(&m.userid).unwrap_or_default().to_string(),
                        _ => w
                            .fixture
                            .customers
                            .iter()
                            .find(|c| c.external_userid == m.userid)
                            .map(|c| c.name.clone())
                            .unwrap_or_default(),
                    };
                }
            }
            to_value(GroupChatDetail { group_chat: g })
        }
        None if w.app_chats.contains_key(&req.chat_id) => fail(90501, "not customer group"),
        None => fail(40050, "chatid not exist"),
    }
}

fn check_join_way(w: &World, s: &JoinWaySettings) -> Result<(), Fail> {
    if !matches!(s.scene, 1 | 2) {
        return fail(40058, "scene must be 1 or 2");
    }
    if s.chat_id_list.is_empty() || s.chat_id_list.len() > 5 {
        return fail(40058, "chat_id_list size must be 1..5");
    }
    if let Some(c) = s.chat_id_list.iter().find(|c| !w.groups.contains_key(*c)) {
        return fail(40050, format!("chatid not exist: {c}"));
    }
    let too_long =
        |v: &Option<String>, max: usize| v.as_ref().is_some_and(|s| s.chars().count() > max);
    if too_long(&s.remark, 30) || too_long(&s.state, 30) || too_long(&s.room_base_name, 40) {
        return fail(40058, "remark/state ≤30 chars, room_base_name ≤40 chars");
    }
    Ok(())
}

fn add_join_way(w: &mut World, agent: i64, s: JoinWaySettings) -> Answer {
    check_join_way(w, &s)?;
    let config_id = random_id("", 32);
    w.join_ways.insert(
        config_id.clone(),
        StoredJoinWay {
            settings: s,
            agent_id: agent,
        },
    );
    to_value(ConfigId { config_id })
}

fn get_join_way(w: &World, req: ConfigId, base: &str) -> Answer {
    let Some(j) = w.join_ways.get(&req.config_id) else {
        return fail(40058, "invalid config_id");
    };
    to_value(JoinWayDetail {
        join_way: JoinWay {
            config_id: req.config_id.clone(),
            qr_code: (j.settings.scene == 2).then(|| format!("{base}/sim/qr/{}", req.config_id)),
            settings: j.settings.clone(),
        },
    })
}

fn update_join_way(w: &mut World, req: JoinWayUpdate) -> Answer {
    check_join_way(w, &req.settings)?;
    match w.join_ways.get_mut(&req.config_id) {
        Some(j) => {
            j.settings = req.settings;
            to_value(Empty {})
        }
        None => fail(40058, "invalid config_id"),
    }
}

fn appchat_create(w: &mut World, agent: i64, req: AppChatCreate) -> Answer {
    if req.name.chars().count() > 50 {
        return fail(40058, "name ≤50 chars");
    }
    if !(2..=2000).contains(&req.userlist.len()) {
        return fail(86006, "invalid chat member count");
    }
    if let Some(u) = req.userlist.iter().find(|u| !is_member(w, u)) {
        return fail(86007, format!("invalid chat member: {u}"));
    }
    let owner = req.owner.clone().unwrap_or_else(|| req.userlist[0].clone());
    if !req.userlist.contains(&owner) {
        return fail(86007, "owner must be in userlist");
    }
    let chatid = match req.chatid {
        Some(id) => {
            if id.is_empty() || id.len() > 32 || !id.chars().all(|c| c.is_ascii_alphanumeric()) {
                return fail(86001, "invalid chatid");
            }
            if w.app_chats.contains_key(&id) {
                return fail(86215, "chatid existed");
            }
            id
        }
        None => random_id("", 24),
    };
    w.app_chats.insert(
        chatid.clone(),
        AppChat {
            name: req.name,
            owner,
            userlist: req.userlist,
            agent_id: agent,
        },
    );
    to_value(AppChatId { chatid })
}

fn appchat_get(w: &World, agent: i64, q: &HashMap<String, String>) -> Answer {
    let chatid = param(q, "chatid").unwrap_or_default();
    match w.app_chats.get(chatid) {
        Some(c) if c.agent_id != agent => fail(86008, "chat not created by this app"),
        Some(c) => to_value(AppChatDetail {
            chat_info: AppChatInfo {
                chatid: chatid.to_string(),
                name: c.name.clone(),
                owner: c.owner.clone(),
                userlist: c.userlist.clone(),
            },
        }),
        None => fail(86003, "chat not found"),
    }
}

/// Checks a message's size limits (text ≤2048 bytes, markdown ≤4096).
fn check_content(c: &MessageContent) -> Result<(), Fail> {
    match c {
        MessageContent::Text { text } if text.content.len() > 2048 => {
            fail(40058, "content exceed max length 2048 bytes")
        }
        MessageContent::Markdown { markdown } if markdown.content.len() > 4096 => {
            fail(40058, "content exceed max length 4096 bytes")
        }
        _ => Ok(()),
    }
}

fn appchat_send(w: &mut World, agent: i64, body: &[u8]) -> Answer {
    let req: AppChatMessage = parse(body)?;
    match w.app_chats.get(&req.chatid) {
        None => return fail(86003, "chat not found"),
        Some(c) if c.agent_id != agent => return fail(86008, "chat not created by this app"),
        Some(_) => {}
    }
    check_content(&req.content)?;
    w.sent.push(SentMessage {
        via: "appchat/send".into(),
        to: req.chatid.clone(),
        body: serde_json::from_slice(body).unwrap_or_default(),
    });
    to_value(Empty {})
}

fn message_send(w: &mut World, agent: i64, body: &[u8]) -> Answer {
    let req: AppMessage = parse(body)?;
    if req.agentid != agent {
        return fail(40056, "invalid agentid");
    }
    check_content(&req.content)?;
    let users: Vec<&str> = req.touser.split('|').filter(|u| !u.is_empty()).collect();
    let (valid, invalid): (Vec<&str>, Vec<&str>) =
        users.iter().partition(|u| **u == "@all" || is_member(w, u));
    if valid.is_empty() {
        return fail(81013, "user & party & tag all invalid");
    }
    w.sent.push(SentMessage {
        via: "message/send".into(),
        to: valid.join("|"),
        body: serde_json::from_slice(body).unwrap_or_default(),
    });
    to_value(MessageReceipt {
        invaliduser: invalid.join("|"),
        msgid: random_id("", 24),
        ..MessageReceipt::default()
    })
}

fn robot_send(w: &mut World, q: &HashMap<String, String>, body: &[u8], now: Instant) -> Answer {
    let key = param(q, "key").unwrap_or_default().to_string();
    if !w.fixture.robots.iter().any(|r| r.key == key) {
        return fail(93000, "invalid webhook url");
    }
    let msg: RobotMessage = parse(body)?;
    match &msg {
        RobotMessage::Text { text } if text.content.len() > 2048 => {
            return fail(40058, "content exceed max length 2048 bytes")
        }
        RobotMessage::Markdown { markdown } if markdown.content.len() > 4096 => {
            return fail(40058, "content exceed max length 4096 bytes")
        }
        _ => {}
    }
    if !w.robot_send_allowed(&key, now) {
        return fail(45009, "api freq out of limit");
    }
    w.sent.push(SentMessage {
        via: "webhook/send".into(),
        to: key,
        body: serde_json::from_slice(body).unwrap_or_default(),
    });
    to_value(Empty {})
}
