//! Customer groups and their join ways (QR codes into given groups).

use super::{fail, next_cursor, offset_of, to_value, Answer, Call, Fail};
use crate::state::World;
use desk_wecom::types::{
    ConfigId, Empty, GroupChatDetail, GroupChatListQuery, GroupChatPage, GroupChatQuery,
    GroupChatRef, JoinWay, JoinWayDetail, JoinWaySettings, JoinWayUpdate,
};

/// `externalcontact/groupchat/list`: chat ids, optionally of given owners and with a
/// given handover status (`status_filter`, D-92120), paged.
pub(super) fn list(w: &mut World, _agent: i64, call: &Call) -> Answer {
    let req: GroupChatListQuery = call.json()?;
    if !(1..=1000).contains(&req.limit) {
        return fail(40058, "limit must be 1..1000");
    }
    if !(0..=3).contains(&req.status_filter) {
        return fail(40058, "status_filter must be 0..3");
    }
    let owners = req.owner_filter.map(|o| o.userid_list).unwrap_or_default();
    // 0 the owner is here, 1 the owner left and the group waits, 3 taken over (the
    // simulator moves groups at once: never 2, in progress).
    let status = |g: &desk_wecom::types::GroupChat| {
        if w.handovers.inherited_groups.contains(&g.chat_id) {
            3
        } else if w.handovers.has_left(&g.owner) {
            1
        } else {
            0
        }
    };
    let all: Vec<GroupChatRef> = w
        .groups
        .all()
        .filter(|g| owners.is_empty() || owners.contains(&g.owner))
        .map(|g| GroupChatRef {
            chat_id: g.chat_id.clone(),
            status: status(g),
        })
        .filter(|g| req.status_filter == 0 || g.status == req.status_filter)
        .collect();
    let offset = offset_of(&req.cursor)?;
    let end = (offset + req.limit as usize).min(all.len());
    to_value(GroupChatPage {
        group_chat_list: all.get(offset..end).unwrap_or_default().to_vec(),
        next_cursor: next_cursor(end, all.len()),
    })
}

/// `externalcontact/groupchat/get`: a customer group, with names on `need_name: 1`.
///
/// A dismissed group answers as an unknown chat id does: 40050. WeCom's documentation
/// of this API (document/path/92122, 96338) names no errcode for either; 40050 is the
/// global code "chatid不存在", and integrations in the wild read 40050 from
/// `groupchat/get` as "dismissed or unknown" (no code of its own for dismissed was
/// found). So a dismissed group cannot be told from a chat id that never was.
pub(super) fn detail(w: &mut World, _agent: i64, call: &Call) -> Answer {
    let req: GroupChatQuery = call.json()?;
    if w.faults.settings().busy_chat_ids.contains(&req.chat_id) {
        return fail(-1, "system busy");
    }
    match w.groups.get(&req.chat_id) {
        Some(g) => {
            let mut g = g.clone();
            if req.need_name == 1 {
                for m in &mut g.member_list {
                    m.name = match m.kind {
                        1 => w
                            .directory
                            .member_name(&m.userid)
                            .unwrap_or_default()
                            .to_string(),
                        _ => w
                            .directory
                            .customer(&m.userid)
                            .map(|c| c.name.clone())
                            .unwrap_or_default(),
                    };
                }
            }
            to_value(GroupChatDetail { group_chat: g })
        }
        None if w.app_chats.contains(&req.chat_id) => fail(90501, "not customer group"),
        None => fail(40050, "chatid not exist"),
    }
}

/// The limits WeCom puts on a join way's settings.
fn check_join_way(w: &World, s: &JoinWaySettings) -> Result<(), Fail> {
    if !matches!(s.scene, 1 | 2) {
        return fail(40058, "scene must be 1 or 2");
    }
    if s.chat_id_list.is_empty() || s.chat_id_list.len() > 5 {
        return fail(40058, "chat_id_list size must be 1..5");
    }
    if let Some(c) = s.chat_id_list.iter().find(|c| !w.groups.contains(c)) {
        return fail(40050, format!("chatid not exist: {c}"));
    }
    let too_long =
        |v: &Option<String>, max: usize| v.as_ref().is_some_and(|s| s.chars().count() > max);
    if too_long(&s.remark, 30) || too_long(&s.state, 30) || too_long(&s.room_base_name, 40) {
        return fail(40058, "remark/state ≤30 chars, room_base_name ≤40 chars");
    }
    Ok(())
}

/// `externalcontact/groupchat/add_join_way` → `{config_id}`.
pub(super) fn add_join_way(w: &mut World, agent: i64, call: &Call) -> Answer {
    let settings: JoinWaySettings = call.json()?;
    check_join_way(w, &settings)?;
    let config_id = w.groups.add_join_way(settings, agent);
    to_value(ConfigId { config_id })
}

/// `externalcontact/groupchat/get_join_way`: the settings, and a QR code URL for scene 2.
pub(super) fn get_join_way(w: &mut World, _agent: i64, call: &Call) -> Answer {
    let req: ConfigId = call.json()?;
    let Some(j) = w.groups.join_way(&req.config_id) else {
        return fail(40058, "invalid config_id");
    };
    // WeCom answers every setting, those left out at creation with their defaults
    // (`mark_source` a bool, true unless set).
    let mut settings = j.settings.clone();
    settings.mark_source = Some(settings.mark_source.unwrap_or(true));
    settings.auto_create_room = Some(settings.auto_create_room.unwrap_or(1));
    to_value(JoinWayDetail {
        join_way: JoinWay {
            config_id: req.config_id.clone(),
            qr_code: (j.settings.scene == 2)
                .then(|| format!("{}/sim/qr/{}", call.base, req.config_id)),
            settings,
        },
    })
}

/// `externalcontact/groupchat/update_join_way`: overwrites every setting.
pub(super) fn update_join_way(w: &mut World, _agent: i64, call: &Call) -> Answer {
    let req: JoinWayUpdate = call.json()?;
    check_join_way(w, &req.settings)?;
    if w.groups.update_join_way(&req.config_id, req.settings) {
        to_value(Empty {})
    } else {
        fail(40058, "invalid config_id")
    }
}

/// `externalcontact/groupchat/del_join_way`.
pub(super) fn del_join_way(w: &mut World, _agent: i64, call: &Call) -> Answer {
    let req: ConfigId = call.json()?;
    if w.groups.remove_join_way(&req.config_id) {
        to_value(Empty {})
    } else {
        fail(40058, "invalid config_id")
    }
}
