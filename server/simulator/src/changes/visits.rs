//! The store visit in the client: a customer scans a 「联系我」 QR code and becomes a
//! contact of its member (`add_external_contact` with `State` and `WelcomeCode`); and
//! what was said in a customer group on a day (群聊数据统计).

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::json;

use super::Refusal;
use crate::activity::{day_of, format_day, parse_day};
use crate::api::people_of;
use crate::callbacks::{self, ContactChange, ContactEvent, Event};
use crate::contact_ways::register_codes;
use crate::fixture::Customer;
use crate::state::{random_id, World};
use crate::Simulator;
use desk_wecom::types::Follow;

/// The name of a customer the scan makes up.
const DEFAULT_NAME: &str = "到店客户";
/// `add_way` of a customer who scanned a member's QR code (扫描二维码).
const ADD_WAY_QR_CODE: i32 = 1;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Scan {
    external_user_id: Option<String>,
    name: Option<String>,
}

/// `POST /sim/contact-ways/{configId}/scan` `{externalUserId?, name?}`: the customer
/// (a new one unless `externalUserId` names one; made up when not given) scans the
/// contact way's QR code and adds its member (type 2: its people in turn). →
/// `{externalUserId, userid, welcomeCode, callbacks}`; 404 unknown or deleted way,
/// 410 a temporary way used or expired, 409 the customer is the member's already.
pub(super) async fn scan(
    sim: web::Data<Simulator>,
    config_id: web::Path<String>,
    body: web::Json<Scan>,
) -> Result<HttpResponse, Refusal> {
    let (event, userid) = sim.with_world(|w| scanned(w, &config_id, body.into_inner()))?;
    let Event::Contact(c) = &event else {
        return Err(Refusal::bad("not a contact event"));
    };
    let (external_user_id, welcome_code) = (c.external_userid.clone(), c.welcome_code.clone());
    let records = callbacks::raise(sim, vec![event]).await;
    Ok(HttpResponse::Ok().json(json!({
        "externalUserId": external_user_id,
        "userid": userid,
        "welcomeCode": welcome_code,
        "callbacks": records,
    })))
}

fn scanned(w: &mut World, config_id: &str, req: Scan) -> Result<(Event, String), Refusal> {
    let now = w.clock.now_secs();
    let way = w
        .store_visit
        .contact_ways
        .get(config_id)
        .ok_or_else(|| Refusal::not_found(format!("no contact way {config_id}")))?;
    if way.is_dead(now) {
        return Err(Refusal::gone(
            "this temporary contact way was used or expired",
        ));
    }
    let settings = way.settings.clone();
    let people: Vec<String> = people_of(w, &settings)
        .into_iter()
        .filter(|u| !w.rules.settings.without_customer_contact.contains(u))
        .collect();
    if people.is_empty() {
        return Err(Refusal::bad(
            "no member of this contact way can take customers",
        ));
    }
    let member = people[(way.scans % people.len() as u64) as usize].clone();
    let id = match req.external_user_id.filter(|id| !id.is_empty()) {
        Some(id) => {
            let fits = id.len() <= 64
                && id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
            if !fits {
                return Err(Refusal::bad("externalUserId: 1..64 of [A-Za-z0-9_-]"));
            }
            id
        }
        None => random_id("wm", 30),
    };
    let follow = Follow {
        userid: member.clone(),
        createtime: now,
        add_way: if settings.scene == 2 {
            ADD_WAY_QR_CODE
        } else {
            0
        },
        // The customer added the member.
        oper_userid: Some(id.clone()),
        state: settings.state.clone().filter(|s| !s.is_empty()),
        ..Follow::default()
    };
    let kind = match w.directory.customer_mut(&id) {
        Some(c) if c.follow.iter().any(|f| f.userid == member) => {
            return Err(Refusal::conflict(format!(
                "{id} is {member}'s customer already"
            )));
        }
        Some(c) => {
            c.follow.push(follow.clone());
            c.kind
        }
        None => {
            let name = req
                .name
                .map(|n| n.trim().to_string())
                .filter(|n| !n.is_empty())
                .unwrap_or_else(|| DEFAULT_NAME.to_string());
            w.directory.add_customer(Customer {
                external_userid: id.clone(),
                name,
                avatar: String::new(),
                kind: 1,
                gender: 0,
                corp_name: None,
                follow: vec![follow.clone()],
            });
            1
        }
    };
    if let Some(way) = w.store_visit.contact_ways.get_mut(config_id) {
        way.scans += 1;
    }
    let event = Event::Contact(ContactEvent {
        change: ContactChange::Add,
        userid: member.clone(),
        external_userid: id,
        state: follow.state,
        // A WeCom user gets the member's business card instead (as `/sim/customers`).
        welcome_code: (kind != 2).then(callbacks::new_welcome_code),
    });
    register_codes(w, std::slice::from_ref(&event));
    Ok((event, member))
}

#[derive(Deserialize)]
pub(super) struct Said {
    #[serde(default)]
    day: String,
    #[serde(default)]
    messages: u64,
    #[serde(default)]
    speakers: Vec<String>,
}

/// `POST /sim/groups/{chatId}/activity` `{day: "YYYY-MM-DD", messages, speakers}`:
/// adds messages sent in a customer group on a Beijing day and who sent them (as many
/// calls as wanted; they add up). → the day's totals `{chatId, day, messages,
/// speakers}`; 404 unknown group, 400 a bad or future day, speakers without messages.
pub(super) async fn record_activity(
    sim: web::Data<Simulator>,
    chat_id: web::Path<String>,
    body: web::Json<Said>,
) -> Result<HttpResponse, Refusal> {
    let said = body.into_inner();
    let day = parse_day(&said.day).ok_or_else(|| Refusal::bad("day: YYYY-MM-DD"))?;
    if said.messages == 0 && !said.speakers.is_empty() {
        return Err(Refusal::bad("speakers without messages"));
    }
    if said.speakers.iter().any(|s| s.is_empty()) {
        return Err(Refusal::bad("a speaker is an empty id"));
    }
    let totals = sim.with_world(|w| {
        if !w.groups.contains(&chat_id) {
            return Err(Refusal::not_found(format!("no customer group {chat_id}")));
        }
        if day > day_of(w.clock.now_secs()) {
            return Err(Refusal::bad(format!("{} is in the future", said.day)));
        }
        let a = w
            .activity
            .record(&chat_id, day, said.messages, said.speakers);
        Ok(json!({
            "chatId": chat_id.as_str(), "day": format_day(day),
            "messages": a.messages, "speakers": a.speakers,
        }))
    })?;
    Ok(HttpResponse::Ok().json(totals))
}

/// `GET /sim/groups/{chatId}/activity` → `{chatId, days: [{day, messages,
/// speakers}]}`, oldest first; 404 unknown group.
pub(super) async fn activity(
    sim: web::Data<Simulator>,
    chat_id: web::Path<String>,
) -> Result<HttpResponse, Refusal> {
    let days = sim.with_world(|w| {
        if !w.groups.contains(&chat_id) {
            return Err(Refusal::not_found(format!("no customer group {chat_id}")));
        }
        Ok(w.activity
            .days(&chat_id)
            .map(|(d, a)| json!({"day": format_day(d), "messages": a.messages, "speakers": a.speakers}))
            .collect::<Vec<_>>())
    })?;
    Ok(HttpResponse::Ok().json(json!({ "chatId": chat_id.as_str(), "days": days })))
}
