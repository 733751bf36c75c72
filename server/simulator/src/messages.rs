//! The messages the simulator accepted (app messages, app-chat and robot messages,
//! and what members sent into chats with the client's `sendChatMessage`), and the
//! robots that may send them.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::fixture::Robot;
use crate::state::{within_rate, KEPT_MESSAGES};

/// A message the simulator accepted (app message, app-chat message or robot message).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SentMessage {
    /// `message/send`, `appchat/send` or `webhook/send`.
    pub via: String,
    /// Recipients, chat id or robot key.
    pub to: String,
    pub body: serde_json::Value,
    /// Unix seconds it was accepted.
    #[serde(default)]
    pub at: i64,
}

/// What a member sent into a chat with `sendChatMessage` in the simulated client.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ChatMessage {
    pub member: String,
    /// The entry the page was opened from (`single_chat_tools`, …).
    pub entry: String,
    pub external_user_id: Option<String>,
    pub chat_id: Option<String>,
    pub msgtype: String,
    pub text: Option<String>,
    pub media_id: Option<String>,
    /// Unix seconds, on the simulator's clock.
    pub at: i64,
}

/// Messages sent into chats that the simulator keeps (`/sim/client/sent`).
pub const KEPT_CHAT_MESSAGES: usize = 500;

/// Messages accepted, and the robots that may send them.
#[derive(Debug)]
pub struct Messages {
    robots: Vec<Robot>,
    /// Robot send times per key, for the 20-per-minute limit.
    robot_sends: HashMap<String, VecDeque<Instant>>,
    sent: Vec<SentMessage>,
    chats: VecDeque<ChatMessage>,
}

impl Messages {
    pub(crate) fn new(robots: Vec<Robot>) -> Self {
        Self {
            robots,
            robot_sends: HashMap::new(),
            sent: Vec::new(),
            chats: VecDeque::new(),
        }
    }

    pub fn is_robot(&self, key: &str) -> bool {
        self.robots.iter().any(|r| r.key == key)
    }

    /// The corp's robots, in fixture order.
    pub fn robots(&self) -> &[Robot] {
        &self.robots
    }

    /// Records a robot send; false when the robot is over 20 in the last minute.
    pub fn robot_send_allowed(&mut self, key: &str, now: Instant) -> bool {
        within_rate(
            self.robot_sends.entry(key.to_string()).or_default(),
            now,
            Duration::from_secs(60),
            20,
        )
    }

    /// Keeps `message`, forgetting the oldest past `KEPT_MESSAGES` (a long demo or a
    /// load test must not grow the simulator without bound).
    pub fn record(&mut self, message: SentMessage) {
        if self.sent.len() >= KEPT_MESSAGES {
            self.sent.drain(..KEPT_MESSAGES / 10);
        }
        self.sent.push(message);
    }

    /// Every accepted message, oldest first.
    pub fn sent(&self) -> &[SentMessage] {
        &self.sent
    }

    /// Keeps a message a member sent into a chat (the last 500).
    pub fn record_chat(&mut self, message: ChatMessage) {
        if self.chats.len() >= KEPT_CHAT_MESSAGES {
            self.chats.pop_front();
        }
        self.chats.push_back(message);
    }

    /// The messages members sent into chats, oldest first.
    pub fn chat_sent(&self) -> impl Iterator<Item = &ChatMessage> {
        self.chats.iter()
    }
}
