//! What the business system sends and reads on `/api/v1/` besides orders: the
//! messages bridge (notifications, staff bindings, conversations).

use serde::{Deserialize, Serialize};

/// Longest text WeCom's robot takes in one text message (bytes, UTF-8).
pub const MAX_ROBOT_TEXT_BYTES: usize = 2048;
/// Longest conversation id: staff type it after `#` to answer that conversation.
pub const MAX_CONVERSATION_ID_CHARS: usize = 64;

/// Whether `id` may name a conversation: 1..=64 of `[0-9A-Za-z_.:-]`, so a member can
/// type it after `#` and it cannot be confused with the reply's text.
pub fn is_conversation_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_CONVERSATION_ID_CHARS
        && id.chars().all(is_conversation_id_char)
}

pub fn is_conversation_id_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | ':' | '-')
}

/// `POST /api/v1/notifications`: tell staff about a conversation through a robot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Notification {
    pub conversation_id: String,
    /// At most `MAX_ROBOT_TEXT_BYTES` with the line naming the conversation.
    pub text: String,
    /// The business system's staff id: its bound member is @-mentioned and this
    /// becomes their last notified conversation.
    #[serde(default)]
    pub staff_id: Option<String>,
    /// The robot's name in `robot.webhook_urls`; the default robot when absent.
    #[serde(default)]
    pub robot: Option<String>,
}

/// Where a notification is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum NotificationStatus {
    Queued,
    Sent,
    Failed,
}

/// `POST /api/v1/notifications` answer (202): the row is durable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct NotificationAccepted {
    pub id: String,
    pub status: NotificationStatus,
}

/// `GET /api/v1/notifications/{id}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct NotificationState {
    pub id: String,
    pub status: NotificationStatus,
    pub attempts: i64,
    pub last_error: Option<String>,
    /// Unix seconds.
    pub sent_at: Option<i64>,
}

/// `PUT /api/v1/staff/{staffId}` body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StaffBindingInput {
    pub wecom_user_id: String,
}

/// A business staff id and the WeCom member it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct StaffBinding {
    pub staff_id: String,
    pub wecom_user_id: String,
    pub last_conversation_id: Option<String>,
    /// Unix seconds.
    pub updated_at: i64,
}

/// `GET /api/v1/staff`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StaffBindings {
    pub staff: Vec<StaffBinding>,
}

/// A staff reply routed into a conversation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ConversationMessage {
    /// Grows within a conversation: ask `?after=` the last one seen.
    pub id: i64,
    pub staff_id: String,
    pub wecom_user_id: String,
    pub text: String,
    /// Unix seconds.
    pub created_at: i64,
}

/// `GET /api/v1/conversations/{id}/messages`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConversationMessages {
    pub messages: Vec<ConversationMessage>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversation_ids_are_what_a_member_can_type_after_a_hash() {
        assert!(is_conversation_id("c-1024"));
        assert!(is_conversation_id("web:chat.7_a"));
        assert!(!is_conversation_id(""));
        assert!(!is_conversation_id("有中文"));
        assert!(!is_conversation_id("a b"));
        assert!(!is_conversation_id(&"x".repeat(65)));
        assert!(is_conversation_id(&"x".repeat(64)));
    }

    #[test]
    fn a_notification_with_an_unknown_field_is_refused() {
        let err = serde_json::from_str::<Notification>(
            r#"{"conversationId":"c1","text":"hi","staffid":"s1"}"#,
        )
        .expect_err("a typo must not be ignored");
        assert!(err.to_string().contains("staffid"), "{err}");
    }
}
