//! Queuing a notification: the website's text, checked, made into the robot's message
//! (the bound member @-mentioned) and put into the outbox with the conversation noted,
//! in one transaction; a repeat with the same `Idempotency-Key` is the same one.

use actix_web::http::StatusCode;
use desk_shared::integration::{Notification, NotificationAccepted, MAX_ROBOT_TEXT_BYTES};
use rand::Rng;

use super::{robot_text, status_of, store, BridgeState};
use crate::clock::{now_millis, now_secs};
use crate::error::{ApiError, ErrorCode};
use crate::ids::{ConversationId, StaffId};
use crate::outbox::events::event_id;
use crate::outbox::store::{Kind, NewRow};
use crate::wecom::types::{RobotMessage, RobotText};

/// Why a notification was refused.
#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    /// The field as the JSON names it; `why` is Chinese.
    #[error("{field} is invalid: {why}")]
    InvalidField { field: &'static str, why: String },
    #[error("the Idempotency-Key header is not 1 to 200 visible ASCII characters")]
    BadKey,
    #[error("no robot named {asked:?}")]
    UnknownRobot {
        asked: Option<String>,
        known: Vec<String>,
    },
    #[error("staff id {0} is not bound")]
    UnknownStaff(String),
    #[error("the Idempotency-Key was used for another notification")]
    KeyReused,
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    #[error("{0}")]
    Unexpected(String),
}

impl From<NotifyError> for ApiError {
    fn from(e: NotifyError) -> Self {
        match e {
            NotifyError::InvalidField { field, why } => super::invalid(field, why),
            NotifyError::BadKey => super::invalid("Idempotency-Key", "须为 1~200 个可见 ASCII 字符"),
            NotifyError::UnknownRobot { asked, known } => ApiError::bad_request(
                ErrorCode::UnknownRobot,
                if known.is_empty() {
                    "没有配置群机器人（robot.webhook_urls）。/ No robot is configured.".to_string()
                } else {
                    format!(
                        "没有名为「{}」的群机器人；已配置：{}。/ No such robot.",
                        asked.unwrap_or_default(),
                        known.join("、")
                    )
                },
            ),
            NotifyError::UnknownStaff(staff_id) => ApiError::bad_request(
                ErrorCode::UnknownStaff,
                format!("员工 {staff_id} 还没有绑定企业微信成员：先 PUT /api/v1/staff/{staff_id}。/ Staff id not bound."),
            ),
            NotifyError::KeyReused => ApiError::new(
                StatusCode::CONFLICT,
                ErrorCode::IdempotencyKeyReused,
                "这个 Idempotency-Key 已用于另一条通知：每条通知请用新的 Key。/ The Idempotency-Key was used for another notification.",
            ),
            NotifyError::Database(e) => e.into(),
            NotifyError::Unexpected(why) => ApiError::internal(why),
        }
    }
}

fn invalid(field: &'static str, why: impl Into<String>) -> NotifyError {
    NotifyError::InvalidField {
        field,
        why: why.into(),
    }
}

/// Queues `n` (durably) and answers its id; `key` is the request's `Idempotency-Key`.
#[tracing::instrument(skip(state, n), fields(conversation = %n.conversation_id))]
pub async fn queue(
    state: &BridgeState,
    n: Notification,
    key: Option<&str>,
) -> Result<NotificationAccepted, NotifyError> {
    let conversation = ConversationId::parse(&n.conversation_id)
        .map_err(|why| invalid("conversationId", why.0))?;
    if n.text.trim().is_empty() {
        return Err(invalid("text", "不能为空"));
    }
    crate::ids::check_text(&n.text).map_err(|why| invalid("text", why.0))?;
    let content = robot_text(&n.text, conversation.as_str());
    if content.len() > MAX_ROBOT_TEXT_BYTES {
        let room = MAX_ROBOT_TEXT_BYTES - robot_text("", conversation.as_str()).len();
        return Err(invalid(
            "text",
            format!("最长 {room} 字节（UTF-8），企业微信的群机器人一条消息最多 {MAX_ROBOT_TEXT_BYTES} 字节"),
        ));
    }
    let robots = state.outbox.robots();
    let Some(robot) = robots.pick(n.robot.as_deref()) else {
        return Err(NotifyError::UnknownRobot {
            asked: n.robot,
            known: robots.names().into_iter().map(String::from).collect(),
        });
    };
    let mut mentioned = Vec::new();
    if let Some(staff_id) = &n.staff_id {
        let staff_id = StaffId::parse(staff_id).map_err(|why| invalid("staffId", why.0))?;
        match store::binding(&state.db, staff_id.as_str()).await? {
            Some(b) => mentioned.push(b.wecom_user_id),
            None => return Err(NotifyError::UnknownStaff(staff_id.to_string())),
        }
    }
    let id = notification_id(key)?;
    let payload = serde_json::to_string(&RobotMessage::Text {
        text: RobotText {
            content,
            mentioned_list: mentioned,
            mentioned_mobile_list: Vec::new(),
        },
    })
    .map_err(|e| NotifyError::Unexpected(e.to_string()))?;
    let mut tx = state.db.begin().await?;
    let row = NewRow {
        id: &id,
        kind: Kind::Robot,
        target: robot,
        payload: &payload,
        conversation_id: Some(conversation.as_str()),
        staff_id: n.staff_id.as_deref(),
    };
    let new = crate::outbox::store::insert(&mut tx, &row, now_millis()).await?;
    if new {
        store::notified(&mut tx, conversation.as_str(), now_secs()).await?;
    }
    tx.commit().await?;
    // A new notification is answered `queued` (what this request did), never a state
    // the worker may or may not have reached by the time the row is read back.
    let now = crate::outbox::store::get(&state.db, &id)
        .await?
        .ok_or_else(|| NotifyError::Unexpected("a queued notification is gone".into()))?;
    if new {
        state.outbox.wake();
        tracing::info!(id = %id, robot, "notification queued");
    }
    if !new
        && (now.payload != payload
            || now.target != robot
            || now.conversation_id.as_deref() != Some(conversation.as_str()))
    {
        return Err(NotifyError::KeyReused);
    }
    Ok(NotificationAccepted {
        id,
        status: match new {
            true => super::NotificationStatus::Queued,
            false => status_of(&now.status),
        },
    })
}

/// A new random id, or one derived from the request's `Idempotency-Key`.
fn notification_id(key: Option<&str>) -> Result<String, NotifyError> {
    let Some(key) = key else {
        return Ok(format!(
            "ntf_{:024x}",
            rand::thread_rng().gen::<u128>() >> 32
        ));
    };
    if key.is_empty() || key.len() > 200 {
        return Err(NotifyError::BadKey);
    }
    Ok(event_id(&format!("notification:{key}")).replacen("evt_", "ntf_", 1))
}
