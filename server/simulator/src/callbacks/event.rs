//! What the simulator reports by callback, and the plaintext XML WeCom would encrypt
//! for it (wecom-api.md section 9; field order as in WeCom's own samples).

use serde::Serialize;

/// A member typed text to the app, or a customer or customer group changed.
#[derive(Debug, Clone)]
pub enum Event {
    /// A member sent text to the app (`MsgType` text).
    Text {
        userid: String,
        agent_id: i64,
        content: String,
        msg_id: u64,
    },
    /// `Event` change_external_contact.
    Contact(ContactEvent),
    /// `Event` change_external_chat.
    Chat(ChatEvent),
    /// `Event` change_external_contact `ChangeType` transfer_fail: a customer's
    /// handover to `userid` (the takeover member) failed, `customer_refused` or
    /// `customer_limit_exceed` (D-92130).
    TransferFail {
        userid: String,
        external_userid: String,
        fail_reason: &'static str,
    },
    /// `Event` change_contact `ChangeType` delete_user: a member left (D-90970).
    MemberLeft { userid: String },
}

/// A change in who follows a customer.
#[derive(Debug, Clone)]
pub struct ContactEvent {
    pub change: ContactChange,
    pub userid: String,
    pub external_userid: String,
    /// The `state` of the contact way the customer came through (add only).
    pub state: Option<String>,
    /// What the app may send a welcome message with (add only).
    pub welcome_code: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContactChange {
    /// A member added the customer.
    Add,
    /// A member edited what they noted about the customer.
    Edit,
    /// The member deleted the customer.
    Delete,
    /// The customer deleted the member.
    DeleteFollowUser,
}

impl ContactChange {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Add => "add_external_contact",
            Self::Edit => "edit_external_contact",
            Self::Delete => "del_external_contact",
            Self::DeleteFollowUser => "del_follow_user",
        }
    }
}

/// A change of a customer group.
#[derive(Debug, Clone)]
pub struct ChatEvent {
    pub chat_id: String,
    pub change: ChatChange,
}

#[derive(Debug, Clone)]
pub enum ChatChange {
    Create,
    Dismiss,
    /// People joined: `join_scene` 0 invited by a member, 3 scanned a QR code.
    AddMember {
        join_scene: i32,
        members: Vec<String>,
    },
    /// People left: `quit_scene` 0 left by themselves, 1 removed by the owner.
    DelMember {
        quit_scene: i32,
        members: Vec<String>,
    },
}

impl ChatChange {
    pub fn change_type(&self) -> &'static str {
        match self {
            Self::Create => "create",
            Self::Dismiss => "dismiss",
            Self::AddMember { .. } | Self::DelMember { .. } => "update",
        }
    }

    pub fn update_detail(&self) -> Option<&'static str> {
        match self {
            Self::AddMember { .. } => Some("add_member"),
            Self::DelMember { .. } => Some("del_member"),
            Self::Create | Self::Dismiss => None,
        }
    }
}

/// The kind of a callback, as `/sim/callbacks` lists it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Text,
    ChangeExternalContact,
    ChangeExternalChat,
    ChangeContact,
}

impl Event {
    pub fn kind(&self) -> Kind {
        match self {
            Self::Text { .. } => Kind::Text,
            Self::Contact(_) | Self::TransferFail { .. } => Kind::ChangeExternalContact,
            Self::Chat(_) => Kind::ChangeExternalChat,
            Self::MemberLeft { .. } => Kind::ChangeContact,
        }
    }

    /// `ChangeType`, for events.
    pub fn change_type(&self) -> Option<&'static str> {
        match self {
            Self::Text { .. } => None,
            Self::Contact(c) => Some(c.change.as_str()),
            Self::Chat(c) => Some(c.change.change_type()),
            Self::TransferFail { .. } => Some("transfer_fail"),
            Self::MemberLeft { .. } => Some("delete_user"),
        }
    }

    /// `UpdateDetail`, for group updates.
    pub fn update_detail(&self) -> Option<&'static str> {
        match self {
            Self::Chat(c) => c.change.update_detail(),
            _ => None,
        }
    }

    /// The plaintext XML WeCom encrypts: to `corp_id`, created at `create_time`.
    pub fn to_xml(&self, corp_id: &str, create_time: i64) -> String {
        let mut x = Xml::new();
        x.text("ToUserName", corp_id);
        match self {
            Self::Text {
                userid,
                agent_id,
                content,
                msg_id,
            } => {
                x.text("FromUserName", userid);
                x.number("CreateTime", create_time);
                x.text("MsgType", "text");
                x.text("Content", content);
                x.number("MsgId", *msg_id);
                x.number("AgentID", *agent_id);
            }
            Self::Contact(c) => {
                x.event_head(create_time, "change_external_contact");
                x.text("ChangeType", c.change.as_str());
                x.text("UserID", &c.userid);
                x.text("ExternalUserID", &c.external_userid);
                if let Some(state) = &c.state {
                    x.text("State", state);
                }
                if let Some(code) = &c.welcome_code {
                    x.text("WelcomeCode", code);
                }
            }
            Self::TransferFail {
                userid,
                external_userid,
                fail_reason,
            } => {
                x.event_head(create_time, "change_external_contact");
                x.text("ChangeType", "transfer_fail");
                x.text("FailReason", fail_reason);
                x.text("UserID", userid);
                x.text("ExternalUserID", external_userid);
            }
            Self::MemberLeft { userid } => {
                x.event_head(create_time, "change_contact");
                x.text("ChangeType", "delete_user");
                x.text("UserID", userid);
            }
            Self::Chat(c) => {
                x.event_head(create_time, "change_external_chat");
                x.text("ChatId", &c.chat_id);
                x.text("ChangeType", c.change.change_type());
                let (scene, members) = match &c.change {
                    ChatChange::AddMember {
                        join_scene,
                        members,
                    } => (Some(("JoinScene", *join_scene)), members.as_slice()),
                    ChatChange::DelMember {
                        quit_scene,
                        members,
                    } => (Some(("QuitScene", *quit_scene)), members.as_slice()),
                    ChatChange::Create | ChatChange::Dismiss => (None, &[][..]),
                };
                if let (Some(detail), Some((name, value))) = (c.change.update_detail(), scene) {
                    x.text("UpdateDetail", detail);
                    x.number(name, value);
                    x.number("MemChangeCnt", members.len());
                    x.open("MemChangeList");
                    for m in members {
                        x.text("Item", m);
                    }
                    x.close("MemChangeList");
                }
            }
        }
        x.finish()
    }
}

/// A tiny writer for WeCom's flat XML: strings in CDATA, numbers bare.
struct Xml(String);

impl Xml {
    fn new() -> Self {
        Self(String::from("<xml>"))
    }

    fn open(&mut self, name: &str) {
        self.0.push('<');
        self.0.push_str(name);
        self.0.push('>');
    }

    fn close(&mut self, name: &str) {
        self.0.push_str("</");
        self.0.push_str(name);
        self.0.push('>');
    }

    fn text(&mut self, name: &str, value: &str) {
        self.open(name);
        self.0.push_str(&cdata(value));
        self.close(name);
    }

    fn number(&mut self, name: &str, value: impl std::fmt::Display) {
        self.open(name);
        self.0.push_str(&value.to_string());
        self.close(name);
    }

    /// What every event starts with: from `sys`, `MsgType` event.
    fn event_head(&mut self, create_time: i64, event: &str) {
        self.text("FromUserName", "sys");
        self.number("CreateTime", create_time);
        self.text("MsgType", "event");
        self.text("Event", event);
    }

    fn finish(mut self) -> String {
        self.0.push_str("</xml>");
        self.0
    }
}

/// `value` as CDATA. A `]]>` inside would end the section early, so the section is
/// split there (`]]` ends one, `>` starts the next): parsers join them back. Characters
/// XML 1.0 does not allow at all (most control characters) are dropped, since no
/// parser would read the message otherwise.
pub fn cdata(value: &str) -> String {
    let allowed: String = value
        .chars()
        .filter(|c| match c {
            '\t' | '\n' | '\r' => true,
            '\u{fffe}' | '\u{ffff}' => false,
            c => *c >= ' ',
        })
        .collect();
    format!("<![CDATA[{}]]>", allowed.replace("]]>", "]]]]><![CDATA[>"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize)]
    struct Text {
        #[serde(rename = "Content")]
        content: String,
        #[serde(rename = "MsgId")]
        msg_id: u64,
        #[serde(rename = "AgentID")]
        agent_id: i64,
    }

    fn text(content: &str) -> Event {
        Event::Text {
            userid: "zhangwei".into(),
            agent_id: 1000002,
            content: content.into(),
            msg_id: 4561255354251345929,
        }
    }

    #[test]
    fn text_with_cdata_terminators_and_markup_round_trips() {
        for content in ["a]]>b", "]]>", "x]]>]]>y", "<b>&amp;</b>", "好的，明天上午"] {
            let xml = text(content).to_xml("ww1", 1700000000);
            let back: Text = quick_xml::de::from_str(&xml).expect("valid XML");
            assert_eq!(back.content, content, "{xml}");
            assert_eq!(back.msg_id, 4561255354251345929);
            assert_eq!(back.agent_id, 1000002);
        }
    }

    #[test]
    fn control_characters_xml_cannot_carry_are_dropped() {
        let xml = text("a\u{0}b\u{1b}c\nd").to_xml("ww1", 1);
        let back: Text = quick_xml::de::from_str(&xml).expect("valid XML");
        assert_eq!(back.content, "abc\nd");
    }

    #[test]
    fn a_member_joining_by_qr_code_reads_as_wecom_sends_it() {
        let e = Event::Chat(ChatEvent {
            chat_id: "wr1".into(),
            change: ChatChange::AddMember {
                join_scene: 3,
                members: vec!["wm1".into()],
            },
        });
        assert_eq!(
            e.to_xml("ww1", 1700000000),
            "<xml><ToUserName><![CDATA[ww1]]></ToUserName><FromUserName><![CDATA[sys]]></FromUserName>\
             <CreateTime>1700000000</CreateTime><MsgType><![CDATA[event]]></MsgType>\
             <Event><![CDATA[change_external_chat]]></Event><ChatId><![CDATA[wr1]]></ChatId>\
             <ChangeType><![CDATA[update]]></ChangeType><UpdateDetail><![CDATA[add_member]]></UpdateDetail>\
             <JoinScene>3</JoinScene><MemChangeCnt>1</MemChangeCnt>\
             <MemChangeList><Item><![CDATA[wm1]]></Item></MemChangeList></xml>"
        );
    }

    #[test]
    fn a_dismissed_group_carries_no_update_fields() {
        let e = Event::Chat(ChatEvent {
            chat_id: "wr1".into(),
            change: ChatChange::Dismiss,
        });
        let xml = e.to_xml("ww1", 1);
        assert!(
            xml.contains("<ChangeType><![CDATA[dismiss]]></ChangeType></xml>"),
            "{xml}"
        );
    }

    #[test]
    fn only_an_add_carries_state_and_welcome_code() {
        let e = Event::Contact(ContactEvent {
            change: ContactChange::Add,
            userid: "lina".into(),
            external_userid: "wm1".into(),
            state: Some("order-1".into()),
            welcome_code: Some("WELCOME".into()),
        });
        let xml = e.to_xml("ww1", 1);
        assert!(xml.contains("<ChangeType><![CDATA[add_external_contact]]></ChangeType><UserID><![CDATA[lina]]></UserID><ExternalUserID><![CDATA[wm1]]></ExternalUserID><State><![CDATA[order-1]]></State><WelcomeCode><![CDATA[WELCOME]]></WelcomeCode>"), "{xml}");
    }
}
