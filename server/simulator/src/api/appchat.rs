//! Internal group chats made by the app, and app messages to members.

use super::{fail, to_value, Answer, Call, Fail};
use crate::state::{random_id, AppChat, SentMessage, World};
use desk_wecom::types::{
    AppChatCreate, AppChatDetail, AppChatId, AppChatInfo, AppChatMessage, AppMessage, Empty,
    MessageContent, MessageReceipt,
};

/// `appchat/create` → `{chatid}`: members only, 2..2000 of them.
pub(super) fn create(w: &mut World, agent: i64, call: &Call) -> Answer {
    let req: AppChatCreate = call.json()?;
    if req.name.chars().count() > 50 {
        return fail(40058, "name ≤50 chars");
    }
    if !(2..=2000).contains(&req.userlist.len()) {
        return fail(86006, "invalid chat member count");
    }
    if let Some(u) = req.userlist.iter().find(|u| !w.directory.is_member(u)) {
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
            if w.app_chats.contains(&id) {
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

/// `appchat/get?chatid`: only the app that made the chat may read it.
pub(super) fn detail(w: &mut World, agent: i64, call: &Call) -> Answer {
    let chatid = call.param("chatid").unwrap_or_default();
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

/// `appchat/send`: into a chat this app made.
pub(super) fn send(w: &mut World, agent: i64, call: &Call) -> Answer {
    let req: AppChatMessage = call.json()?;
    match w.app_chats.get(&req.chatid) {
        None => return fail(86003, "chat not found"),
        Some(c) if c.agent_id != agent => return fail(86008, "chat not created by this app"),
        Some(_) => {}
    }
    check_content(&req.content)?;
    w.messages.record(SentMessage {
        via: "appchat/send".into(),
        to: req.chatid.clone(),
        body: call.raw_json(),
        at: w.clock.now_secs(),
    });
    to_value(Empty {})
}

/// `message/send`: an app message to members; unknown ones come back in `invaliduser`.
pub(super) fn send_app_message(w: &mut World, agent: i64, call: &Call) -> Answer {
    let req: AppMessage = call.json()?;
    if req.agentid != agent {
        return fail(40056, "invalid agentid");
    }
    check_content(&req.content)?;
    let users: Vec<&str> = req.touser.split('|').filter(|u| !u.is_empty()).collect();
    let (valid, invalid): (Vec<&str>, Vec<&str>) = users
        .iter()
        .partition(|u| **u == "@all" || (w.directory.is_member(u) && w.rules.in_range(u)));
    if valid.is_empty() {
        return fail(81013, "user & party & tag all invalid");
    }
    // Past 30 a minute to one member WeCom drops the message without a word.
    let delivered: Vec<&str> = valid
        .into_iter()
        .filter(|u| w.rules.app_message_delivered(u, call.now))
        .collect();
    if !delivered.is_empty() {
        w.messages.record(SentMessage {
            via: "message/send".into(),
            to: delivered.join("|"),
            body: call.raw_json(),
            at: w.clock.now_secs(),
        });
    }
    to_value(MessageReceipt {
        invaliduser: invalid.join("|"),
        msgid: random_id("", 24),
        ..MessageReceipt::default()
    })
}
