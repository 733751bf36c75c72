//! The simulated WeCom server API under `/cgi-bin/`: the paths of wecom-api.md
//! sections 1-8b and `media/upload` (D-96484), answering with the documented shapes, limits and errcodes.
//!
//! `ROUTES` is the one table of what is served: each path with the method WeCom
//! requires and its handler. The area modules hold the handlers.

mod appchat;
mod contact_ways;
mod credentials;
mod customers;
mod groups;
mod handover;
mod media;
mod members;
mod robot;
mod statistic;
mod welcome;

pub(crate) use contact_ways::people_of;

use std::collections::HashMap;
use std::time::Instant;

use actix_web::http::{Method, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Value};

use self::Handler::{App, Open};
use super::state::{InjectedFault, TokenCheck, World};
use super::Simulator;

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

/// The HTTP method WeCom requires for a path.
#[derive(Clone, Copy)]
enum Verb {
    Get,
    Post,
}

impl Verb {
    fn method(self) -> Method {
        match self {
            Verb::Get => Method::GET,
            Verb::Post => Method::POST,
        }
    }

    /// What WeCom answers a call made with another method.
    fn refusal(self) -> Answer {
        match self {
            Verb::Get => fail(43001, "require GET method"),
            Verb::Post => fail(43002, "require POST method"),
        }
    }
}

/// The request as a handler sees it.
struct Call<'a> {
    query: &'a HashMap<String, String>,
    body: &'a [u8],
    /// The body's `Content-Type` (a form's boundary is in it).
    content_type: &'a str,
    /// When the call arrived.
    now: Instant,
    /// Scheme and host the caller used, for URLs in answers.
    base: &'a str,
}

impl Call<'_> {
    /// A query parameter; empty counts as missing, as in WeCom.
    fn param(&self, name: &str) -> Option<&str> {
        self.query
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    /// The JSON body as `T`; unreadable is 47001.
    fn json<T: DeserializeOwned>(&self) -> Result<T, Fail> {
        serde_json::from_slice(self.body)
            .map_err(|e| Fail(47001, format!("data format error: {e}")))
    }

    /// The body as it came, for `/sim/messages`.
    fn raw_json(&self) -> Value {
        serde_json::from_slice(self.body).unwrap_or_default()
    }
}

/// A handler, by what it needs before it runs.
#[derive(Clone, Copy)]
enum Handler {
    /// No access token: the call carries its own credential (secret, robot key).
    Open(fn(&mut World, &Call) -> Answer),
    /// A valid access token; the handler gets the agent id of its app.
    App(fn(&mut World, i64, &Call) -> Answer),
}

struct Route {
    path: &'static str,
    verb: Verb,
    handler: Handler,
}

const fn get(path: &'static str, handler: Handler) -> Route {
    Route {
        path,
        verb: Verb::Get,
        handler,
    }
}

const fn post(path: &'static str, handler: Handler) -> Route {
    Route {
        path,
        verb: Verb::Post,
        handler,
    }
}

/// Every path the simulator serves, the method WeCom requires for it, and its handler.
const ROUTES: &[Route] = &[
    get("gettoken", Open(credentials::access_token)),
    get("get_jsapi_ticket", App(credentials::corp_ticket)),
    get("ticket/get", App(credentials::agent_ticket)),
    get("auth/getuserinfo", App(members::user_info)),
    get("user/get", App(members::member)),
    get("externalcontact/list", App(customers::list)),
    get("externalcontact/get", App(customers::detail)),
    post(
        "externalcontact/batch/get_by_user",
        App(customers::batch_by_member),
    ),
    post("externalcontact/remark", App(customers::remark)),
    post("externalcontact/groupchat/list", App(groups::list)),
    post("externalcontact/groupchat/get", App(groups::detail)),
    post(
        "externalcontact/groupchat/add_join_way",
        App(groups::add_join_way),
    ),
    post(
        "externalcontact/groupchat/get_join_way",
        App(groups::get_join_way),
    ),
    post(
        "externalcontact/groupchat/update_join_way",
        App(groups::update_join_way),
    ),
    post(
        "externalcontact/groupchat/del_join_way",
        App(groups::del_join_way),
    ),
    post("externalcontact/add_contact_way", App(contact_ways::add)),
    post("externalcontact/get_contact_way", App(contact_ways::get)),
    post(
        "externalcontact/update_contact_way",
        App(contact_ways::update),
    ),
    post("externalcontact/del_contact_way", App(contact_ways::delete)),
    post("externalcontact/list_contact_way", App(contact_ways::list)),
    post("externalcontact/send_welcome_msg", App(welcome::send)),
    post(
        "externalcontact/groupchat/statistic",
        App(statistic::by_owner),
    ),
    post(
        "externalcontact/groupchat/statistic_group_by_day",
        App(statistic::by_day),
    ),
    post("appchat/create", App(appchat::create)),
    get("appchat/get", App(appchat::detail)),
    post("appchat/send", App(appchat::send)),
    post("message/send", App(appchat::send_app_message)),
    post("webhook/send", Open(robot::send)),
    post("media/upload", App(media::upload)),
    get(
        "externalcontact/get_follow_user_list",
        App(handover::follow_users),
    ),
    post(
        "externalcontact/get_unassigned_list",
        App(handover::unassigned),
    ),
    post(
        "externalcontact/resigned/transfer_customer",
        App(handover::transfer_resigned),
    ),
    post(
        "externalcontact/resigned/transfer_result",
        App(handover::transfer_result),
    ),
    post(
        "externalcontact/transfer_customer",
        App(handover::transfer_onjob),
    ),
    post(
        "externalcontact/transfer_result",
        App(handover::transfer_result),
    ),
    post(
        "externalcontact/groupchat/transfer",
        App(handover::groups_resigned),
    ),
    post(
        "externalcontact/groupchat/onjob_transfer",
        App(handover::groups_onjob),
    ),
];

pub fn configure(cfg: &mut web::ServiceConfig) {
    // Files up to 20 MB (D-96484), so that a file over its type's limit is answered
    // with WeCom's errcode rather than an HTTP 413.
    cfg.service(
        web::resource("/cgi-bin/{path:media/upload}")
            .app_data(web::PayloadConfig::new(media::UPLOAD_BODY_LIMIT))
            .default_service(web::to(cgi)),
    );
    cfg.service(
        web::resource("/cgi-bin/{path:.*}")
            .app_data(web::PayloadConfig::new(2 << 20))
            .default_service(web::to(cgi)),
    );
}

/// Every `/cgi-bin/` call: count it, inject faults, check the method, then the
/// token (unless the route is open), then the handler.
async fn cgi(
    req: HttpRequest,
    sim: web::Data<Simulator>,
    query: web::Query<HashMap<String, String>>,
    body: web::Bytes,
) -> HttpResponse {
    let path = req.match_info().get("path").unwrap_or_default();
    let Some(route) = ROUTES.iter().find(|r| r.path == path) else {
        return HttpResponse::NotFound().json(json!({"errcode": 404, "errmsg": "not found"}));
    };
    let _in_flight = sim.enter_call();
    let (now, latency, injected, max_concurrent) = sim.with_world(|w| {
        w.calls.record(route.path);
        (
            w.clock.instant(),
            w.faults.latency(),
            injected_fault(w),
            w.rules.settings.max_concurrent_calls,
        )
    });
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    if let Some(resp) = injected {
        return resp;
    }
    // Counted while the call waits, as WeCom counts calls it has not answered yet.
    if max_concurrent > 0 && _in_flight.count() > max_concurrent {
        return respond(fail(45033, "api concurrent out of limit"));
    }
    if req.method() != route.verb.method() {
        return respond(route.verb.refusal());
    }
    let from = req.peer_addr().map(|a| a.ip());
    let base = {
        let info = req.connection_info();
        format!("{}://{}", info.scheme(), info.host())
    };
    let content_type = req
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let call = Call {
        query: &query,
        body: &body,
        content_type,
        now,
        base: &base,
    };
    // Handovers whose 24 h passed complete first, as WeCom would have done by now.
    let (answer, events, slow) = sim.with_world(|w| {
        let events = crate::handover::settle(w);
        let answer = dispatch(w, route, &call, from, now);
        (answer, events, w.faults.slow_answer(route.path))
    });
    crate::callbacks::raise_in_background(sim.clone(), events);
    if !slow.is_zero() {
        tokio::time::sleep(slow).await;
    }
    respond(answer)
}

/// Runs `route`'s handler on the world: the token or the frequency checked first.
fn dispatch(
    w: &mut World,
    route: &Route,
    call: &Call,
    from: Option<std::net::IpAddr>,
    now: Instant,
) -> Answer {
    match route.handler {
        Open(handler) => match w.rules.check_frequency(route.path, now) {
            Some(refusal) => Err(Fail(refusal.0, refusal.1)),
            None => handler(w, call),
        },
        App(handler) => app_of(w, call)
            .and_then(
                |agent| match w.rules.check_call(route.path, agent, from, now) {
                    Some(refusal) => Err(Fail(refusal.0, refusal.1)),
                    None => Ok(agent),
                },
            )
            .and_then(|agent| handler(w, agent, call)),
    }
}

/// 60011 for a member outside the app's visible range (`[rules] outside_app_range`).
fn in_range(w: &World, userid: &str) -> Result<(), Fail> {
    match w.rules.in_range(userid) {
        true => Ok(()),
        false => fail(
            60011,
            format!("no privilege to access/modify contact/party/agent, userid: {userid}"),
        ),
    }
}

/// The fault `/sim/faults` asked for, if this call gets one.
fn injected_fault(w: &mut World) -> Option<HttpResponse> {
    if w.faults.tokens_revoked_now() {
        w.credentials.revoke_all_tokens();
    }
    Some(match w.faults.next_fault()? {
        InjectedFault::HttpStatus(status) => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY);
            HttpResponse::build(status).body("simulated outage")
        }
        InjectedFault::Busy => respond(fail(-1, "system busy")),
        InjectedFault::RateLimited => respond(fail(45009, "api freq out of limit")),
        InjectedFault::TooManyConcurrent => respond(fail(45033, "api concurrent out of limit")),
    })
}

/// The app behind `access_token`, as WeCom checks it: missing 41001, unknown or
/// revoked 40014, expired 42001.
fn app_of(w: &World, call: &Call) -> Result<i64, Fail> {
    let Some(token) = call.param("access_token") else {
        return fail(41001, "access_token missing");
    };
    match w.credentials.check_token(token, call.now) {
        TokenCheck::Valid(agent) => Ok(agent),
        TokenCheck::Invalid => fail(40014, "invalid access_token"),
        TokenCheck::Expired => fail(42001, "access_token expired"),
    }
}

/// Where a page starts: `""` is the first page, else a cursor this simulator gave.
fn offset_of(cursor: &str) -> Result<usize, Fail> {
    if cursor.is_empty() {
        return Ok(0);
    }
    cursor
        .strip_prefix("sim")
        .and_then(|n| n.parse().ok())
        .ok_or(Fail(40058, "invalid cursor".into()))
}

/// The cursor of the page after `..end`; `""` when there is none.
fn next_cursor(end: usize, total: usize) -> String {
    if end < total {
        format!("sim{end}")
    } else {
        String::new()
    }
}
