//! `ww.updateEnterpriseChat` in the simulated client (`POST /sim/client/update-chat`):
//! the member logged in adds members of the corp to a customer group they are in
//! (customer groups only, members only, app identity; WeCom raises `add_member`).

use actix_web::{web, HttpResponse};
use desk_wecom::types::GroupMember;
use serde::Deserialize;
use serde_json::json;

use crate::callbacks::{self, ChatChange, ChatEvent, Event};
use crate::state::World;
use crate::Simulator;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct UpdateChat {
    chat_id: String,
    #[serde(default)]
    user_ids_to_add: Vec<String>,
}

pub(crate) async fn update_chat(
    sim: web::Data<Simulator>,
    req: web::Json<UpdateChat>,
) -> HttpResponse {
    let req = req.into_inner();
    let outcome = sim.with_world(|w| add_members(w, &req));
    match outcome {
        Ok(added) => {
            if !added.is_empty() {
                let event = Event::Chat(ChatEvent {
                    chat_id: req.chat_id.clone(),
                    change: ChatChange::AddMember {
                        join_scene: 0,
                        members: added.clone(),
                    },
                });
                callbacks::raise_in_background(sim, vec![event]);
            }
            HttpResponse::Ok().json(json!({ "ok": true, "added": added }))
        }
        Err((errcode, errmsg)) => {
            HttpResponse::Ok().json(json!({ "ok": false, "errcode": errcode, "errmsg": errmsg }))
        }
    }
}

/// The members added (those already in the group are left as they are).
fn add_members(w: &mut World, req: &UpdateChat) -> Result<Vec<String>, (i64, String)> {
    let Some(me) = w.client.member().map(str::to_string) else {
        return Err((
            60011,
            "no privilege: nobody is logged in to the client".into(),
        ));
    };
    if req.user_ids_to_add.is_empty() {
        return Err((40058, "invalid parameter: userIdsToAdd".into()));
    }
    if let Some(u) = req
        .user_ids_to_add
        .iter()
        .find(|u| !w.directory.is_member(u))
    {
        return Err((
            40031,
            format!("invalid userid {u}: members of the corp only"),
        ));
    }
    let now = w.clock.now_secs();
    let Some(chat) = w.groups.get_mut(&req.chat_id) else {
        return Err((40050, "chatid not exist: customer groups only".into()));
    };
    if !chat.has_staff(&me) {
        return Err((
            60011,
            "no privilege: only a member of the group adds people".into(),
        ));
    }
    let mut added = Vec::new();
    for u in &req.user_ids_to_add {
        if chat.member_list.iter().any(|m| m.userid == *u) {
            continue;
        }
        let mut joined: GroupMember = chat.member_list[0].clone();
        joined.userid = u.clone();
        joined.kind = 1;
        joined.join_time = now;
        joined.join_scene = 1;
        joined.name = String::new();
        joined.invitor = Some(desk_wecom::types::UserRef { userid: me.clone() });
        chat.member_list.push(joined);
        added.push(u.clone());
    }
    Ok(added)
}
