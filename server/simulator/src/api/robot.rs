//! The group robot webhook: no token, the key in the URL is the credential.

use super::{fail, to_value, Answer, Call};
use crate::state::{SentMessage, World};
use desk_wecom::types::{Empty, RobotMessage};

/// `webhook/send?key`: 93000 for an unknown robot, 45009 past 20 a minute.
pub(super) fn send(w: &mut World, call: &Call) -> Answer {
    let key = call.param("key").unwrap_or_default().to_string();
    if !w.messages.is_robot(&key) {
        return fail(93000, "invalid webhook url");
    }
    let msg: RobotMessage = call.json()?;
    match &msg {
        RobotMessage::Text { text } if text.content.len() > 2048 => {
            return fail(40058, "content exceed max length 2048 bytes")
        }
        RobotMessage::Markdown { markdown } if markdown.content.len() > 4096 => {
            return fail(40058, "content exceed max length 4096 bytes")
        }
        _ => {}
    }
    if !w.messages.robot_send_allowed(&key, call.now) {
        return fail(45009, "api freq out of limit");
    }
    w.messages.record(SentMessage {
        via: "webhook/send".into(),
        to: key,
        body: call.raw_json(),
        at: w.clock.now_secs(),
    });
    to_value(Empty {})
}
