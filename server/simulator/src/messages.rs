//! The messages the simulator accepted (app messages, app-chat and robot messages),
//! and the robots that may send them.

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

/// Messages accepted, and the robots that may send them.
#[derive(Debug)]
pub struct Messages {
    robots: Vec<Robot>,
    /// Robot send times per key, for the 20-per-minute limit.
    robot_sends: HashMap<String, VecDeque<Instant>>,
    sent: Vec<SentMessage>,
}

impl Messages {
    pub(crate) fn new(robots: Vec<Robot>) -> Self {
        Self {
            robots,
            robot_sends: HashMap::new(),
            sent: Vec::new(),
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
}
