//! Internal chats made by the app (`appchat/*`), app messages (`message/send`) and
//! group robots (`webhook/send`).

use serde::{Deserialize, Serialize};

/// `appchat/create` body.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AppChatCreate {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    pub userlist: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chatid: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AppChatId {
    pub chatid: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AppChatInfo {
    pub chatid: String,
    pub name: String,
    pub owner: String,
    pub userlist: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AppChatDetail {
    pub chat_info: AppChatInfo,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Text {
    pub content: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TextCard {
    pub title: String,
    pub description: String,
    pub url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub btntxt: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Markdown {
    pub content: String,
}

/// The content of an app message or app-chat message (`msgtype` + its object).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "msgtype", rename_all = "lowercase")]
pub enum MessageContent {
    Text { text: Text },
    Textcard { textcard: TextCard },
    Markdown { markdown: Markdown },
}

/// `appchat/send` body.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AppChatMessage {
    pub chatid: String,
    #[serde(flatten)]
    pub content: MessageContent,
    #[serde(default)]
    pub safe: i32,
}

/// `message/send` body.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AppMessage {
    /// `u1|u2`.
    pub touser: String,
    pub agentid: i64,
    #[serde(flatten)]
    pub content: MessageContent,
    /// Documented for some message types only; 0 (the default) is not sent.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub safe: i32,
}

fn is_zero(n: &i32) -> bool {
    *n == 0
}

/// `message/send` answer: partly invalid recipients still get the message.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct MessageReceipt {
    /// `u1|u2`: recipients who are not members (or outside the app's range).
    #[serde(default)]
    pub invaliduser: String,
    /// `u1|u2`: members without a license (接口许可) who did not get it.
    #[serde(default)]
    pub unlicenseduser: String,
    #[serde(default)]
    pub invalidparty: String,
    #[serde(default)]
    pub invalidtag: String,
    #[serde(default)]
    pub msgid: String,
}

/// A group robot message (`webhook/send`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "msgtype", rename_all = "lowercase")]
pub enum RobotMessage {
    Text { text: RobotText },
    Markdown { markdown: Markdown },
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RobotText {
    pub content: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mentioned_list: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mentioned_mobile_list: Vec<String>,
}
