//! People joining and leaving customer groups, groups dismissed, and a customer
//! scanning a join-way QR code: `change_external_chat`.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::json;

use super::{delivered, Refusal};
use crate::callbacks::{self, ChatChange, ChatEvent, Event};
use crate::state::{random_id, World};
use crate::Simulator;
use desk_wecom::clock::now_secs;
use desk_wecom::types::{GroupMember, UserRef};

/// People a customer group holds at most.
pub const GROUP_LIMIT: usize = 500;

/// `JoinScene` of the callback: invited by a member.
const INVITED: i32 = 0;
/// `JoinScene` of the callback (and `join_scene` of `groupchat/get`): scanned a QR code.
const BY_QR_CODE: i32 = 3;

/// Who joins, and how.
struct Joiner {
    userid: String,
    kind: i32,
    join_scene: i32,
    state: Option<String>,
}

/// Puts `who` in the group and answers the `add_member` update.
fn join(w: &mut World, chat_id: &str, who: Joiner) -> Result<Event, Refusal> {
    let no_group = || Refusal::not_found(format!("no customer group {chat_id}"));
    if !w.groups.contains(chat_id) {
        return Err(no_group());
    }
    let known = match who.kind {
        1 => w.directory.is_member(&who.userid),
        _ => w.directory.customer(&who.userid).is_some(),
    };
    if !known {
        let what = if who.kind == 1 { "member" } else { "customer" };
        return Err(Refusal::not_found(format!("no {what} {}", who.userid)));
    }
    let g = w.groups.get_mut(chat_id).ok_or_else(no_group)?;
    if g.member_list.iter().any(|m| m.userid == who.userid) {
        return Err(Refusal::conflict(format!(
            "{} is in {chat_id} already",
            who.userid
        )));
    }
    if g.member_list.len() >= GROUP_LIMIT {
        return Err(Refusal::bad(format!("{chat_id} is full ({GROUP_LIMIT})")));
    }
    let invited = who.join_scene == INVITED;
    g.member_list.push(GroupMember {
        userid: who.userid.clone(),
        kind: who.kind,
        join_time: now_secs(),
        // groupchat/get counts scenes from 1 (1 invited, 2 link, 3 QR code), the
        // callback from 0.
        join_scene: if invited { 1 } else { BY_QR_CODE },
        invitor: invited.then(|| UserRef {
            userid: g.owner.clone(),
        }),
        group_nickname: String::new(),
        name: String::new(),
        unionid: None,
        state: who.state,
    });
    g.member_version = random_id("", 32);
    Ok(Event::Chat(ChatEvent {
        chat_id: chat_id.to_string(),
        change: ChatChange::AddMember {
            join_scene: who.join_scene,
            members: vec![who.userid],
        },
    }))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct AddMember {
    #[serde(default)]
    userid: String,
    /// 1 member, 2 customer; by default whichever `userid` is.
    #[serde(rename = "type")]
    kind: Option<i32>,
    /// 0 invited (default), 3 scanned a QR code.
    #[serde(default)]
    join_scene: i32,
    state: Option<String>,
}

/// `POST /sim/groups/{chatId}/members` `{userid, type?, joinScene?, state?}`: someone
/// joins a customer group (`update` / `add_member`). → `{callbacks}`.
pub(super) async fn add_member(
    sim: web::Data<Simulator>,
    chat_id: web::Path<String>,
    body: web::Json<AddMember>,
) -> Result<HttpResponse, Refusal> {
    let req = body.into_inner();
    if !matches!(req.join_scene, INVITED | BY_QR_CODE) {
        return Err(Refusal::bad("joinScene is 0 (invited) or 3 (QR code)"));
    }
    if req.state.as_ref().is_some_and(|s| s.chars().count() > 30) {
        return Err(Refusal::bad("state is at most 30 characters"));
    }
    let event = sim.with_world(|w| {
        let kind = match req.kind {
            Some(k @ (1 | 2)) => k,
            Some(_) => return Err(Refusal::bad("type is 1 (member) or 2 (customer)")),
            None if w.directory.is_member(&req.userid) => 1,
            None => 2,
        };
        join(
            w,
            &chat_id,
            Joiner {
                userid: req.userid,
                kind,
                join_scene: req.join_scene,
                state: req.state,
            },
        )
    })?;
    Ok(delivered(&callbacks::raise(sim, vec![event]).await))
}

/// `DELETE /sim/groups/{chatId}/members/{userid}`: someone leaves (`update` /
/// `del_member`, QuitScene 0). The owner cannot leave. → `{callbacks}`.
pub(super) async fn remove_member(
    sim: web::Data<Simulator>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, Refusal> {
    let (chat_id, userid) = path.into_inner();
    let event = sim.with_world(|w| {
        let g = w
            .groups
            .get_mut(&chat_id)
            .ok_or_else(|| Refusal::not_found(format!("no customer group {chat_id}")))?;
        if g.owner == userid {
            return Err(Refusal::bad("the owner cannot leave: dismiss the group"));
        }
        let before = g.member_list.len();
        g.member_list.retain(|m| m.userid != userid);
        if g.member_list.len() == before {
            return Err(Refusal::not_found(format!("{userid} is not in {chat_id}")));
        }
        g.member_version = random_id("", 32);
        Ok(Event::Chat(ChatEvent {
            chat_id: chat_id.clone(),
            change: ChatChange::DelMember {
                quit_scene: 0,
                members: vec![userid.clone()],
            },
        }))
    })?;
    Ok(delivered(&callbacks::raise(sim, vec![event]).await))
}

/// `POST /sim/groups/{chatId}/dismiss`: the owner dismisses the group (`dismiss`);
/// `groupchat/get` then answers 40050. → `{callbacks}`.
pub(super) async fn dismiss(
    sim: web::Data<Simulator>,
    chat_id: web::Path<String>,
) -> Result<HttpResponse, Refusal> {
    let chat_id = chat_id.into_inner();
    if sim.with_world(|w| w.groups.remove(&chat_id)).is_none() {
        return Err(Refusal::not_found(format!("no customer group {chat_id}")));
    }
    let event = Event::Chat(ChatEvent {
        chat_id,
        change: ChatChange::Dismiss,
    });
    Ok(delivered(&callbacks::raise(sim, vec![event]).await))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Scan {
    #[serde(default)]
    external_user_id: String,
}

/// `POST /sim/join-ways/{configId}/scan` `{externalUserId}`: a customer scans the join
/// way's QR code and joins its first group with room (JoinScene 3, the way's `state`
/// on the member). → `{chatId, callbacks}`.
pub(super) async fn scan(
    sim: web::Data<Simulator>,
    config_id: web::Path<String>,
    body: web::Json<Scan>,
) -> Result<HttpResponse, Refusal> {
    let customer = body.into_inner().external_user_id;
    let (chat_id, event) = sim.with_world(|w| {
        let way = w
            .groups
            .join_way(&config_id)
            .ok_or_else(|| Refusal::not_found(format!("no join way {config_id}")))?;
        let state = way.settings.state.clone();
        let chat_id = way
            .settings
            .chat_id_list
            .iter()
            .find(|c| {
                w.groups
                    .get(c)
                    .is_some_and(|g| g.member_list.len() < GROUP_LIMIT)
            })
            .cloned()
            .ok_or_else(|| Refusal::bad("no group of this join way has room"))?;
        let event = join(
            w,
            &chat_id,
            Joiner {
                userid: customer,
                kind: 2,
                join_scene: BY_QR_CODE,
                state,
            },
        )?;
        Ok((chat_id, event))
    })?;
    let records = callbacks::raise(sim, vec![event]).await;
    Ok(HttpResponse::Ok().json(json!({ "chatId": chat_id, "callbacks": records })))
}
