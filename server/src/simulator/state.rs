//! The simulator's mutable world: issued credentials, codes, groups, join ways, app
//! chats, sent messages, call counters and injected faults.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::time::{Duration, Instant};

use rand::distributions::Alphanumeric;
use rand::Rng;
use serde::{Deserialize, Serialize};

use super::fixture::Fixture;
use crate::wecom::types::{GroupChat, GroupMember, JoinWaySettings, UserRef};

/// Faults injected through `/sim/faults`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Faults {
    /// Added to every `/cgi-bin/` answer.
    #[serde(default)]
    pub latency_ms: u64,
    /// The next N calls answer errcode -1.
    #[serde(default)]
    pub busy_next: u32,
    /// After N more calls, every call answers 45009 (until cleared with `null`).
    #[serde(default)]
    pub rate_limit_after: Option<u64>,
    /// The next N calls answer with HTTP `http_error_status`.
    #[serde(default)]
    pub http_error_next: u32,
    #[serde(default = "default_http_error_status")]
    pub http_error_status: u16,
    /// After N more calls, every token is revoked (once): a token that dies mid-task.
    #[serde(default)]
    pub revoke_tokens_after: Option<u64>,
}

fn default_http_error_status() -> u16 {
    502
}

/// Credential lifetimes set through `/sim/lifetimes`.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Lifetimes {
    pub token_secs: u64,
    pub ticket_secs: u64,
}

impl Default for Lifetimes {
    fn default() -> Self {
        Self {
            token_secs: 7200,
            ticket_secs: 7200,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Issued {
    pub value: String,
    pub expires_at: Instant,
}

impl Issued {
    pub fn remaining(&self, now: Instant) -> Option<u64> {
        (self.expires_at > now).then(|| self.expires_at.duration_since(now).as_secs().max(1))
    }
}

#[derive(Debug, Clone)]
pub struct TokenInfo {
    pub agent_id: i64,
    pub expires_at: Instant,
    pub revoked: bool,
}

/// A message the simulator accepted (app message, app-chat message or robot message).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SentMessage {
    /// `message/send`, `appchat/send` or `webhook/send`.
    pub via: String,
    /// Recipients, chat id or robot key.
    pub to: String,
    pub body: serde_json::Value,
}

#[derive(Debug, Clone)]
pub struct AppChat {
    pub name: String,
    pub owner: String,
    pub userlist: Vec<String>,
    pub agent_id: i64,
}

#[derive(Debug, Clone)]
pub struct StoredJoinWay {
    pub settings: JoinWaySettings,
    pub agent_id: i64,
}

/// The world. One lock guards it; the simulator is for tests and demos, not load.
#[derive(Debug)]
pub struct World {
    pub fixture: Fixture,
    pub lifetimes: Lifetimes,
    pub faults: Faults,
    /// Calls since `rate_limit_after` was set.
    pub calls_since_rate_limit_set: u64,
    pub calls: BTreeMap<String, u64>,
    pub tokens: HashMap<String, TokenInfo>,
    pub token_of_agent: HashMap<i64, String>,
    pub corp_ticket: Option<Issued>,
    pub agent_tickets: HashMap<i64, Issued>,
    /// Every ticket ever issued with its expiry, so a page signed just before a
    /// refresh still verifies (as in WeCom, an old ticket stays valid until it expires).
    pub issued_corp_tickets: Vec<Issued>,
    pub issued_agent_tickets: HashMap<i64, Vec<Issued>>,
    /// Ticket fetch times per agent, for the 100-per-hour limit.
    pub ticket_fetches: HashMap<i64, VecDeque<Instant>>,
    pub codes: HashMap<String, (CodeOwner, Instant)>,
    pub groups: BTreeMap<String, GroupChat>,
    pub join_ways: BTreeMap<String, StoredJoinWay>,
    pub app_chats: BTreeMap<String, AppChat>,
    pub sent: Vec<SentMessage>,
    /// Robot send times per key, for the 20-per-minute limit.
    pub robot_sends: HashMap<String, VecDeque<Instant>>,
    /// The member using the simulated client (the last one who logged in).
    pub client_member: Option<String>,
    /// The member the OAuth page approves without asking (`/sim/login?userid=`).
    pub auto_login: Option<String>,
}

/// Who an OAuth code was issued to.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum CodeOwner {
    Member(String),
    Outsider(String),
}

pub fn random_id(prefix: &str, len: usize) -> String {
    let tail: String = rand::thread_rng()
        .sample_iter(&Alphanumeric)
        .take(len)
        .map(char::from)
        .collect();
    format!("{prefix}{tail}")
}

impl World {
    pub fn new(fixture: Fixture) -> Self {
        let groups = fixture
            .groups
            .iter()
            .map(|g| {
                let mut member_list = vec![GroupMember {
                    userid: g.owner.clone(),
                    kind: 1,
                    join_time: g.create_time,
                    join_scene: 1,
                    invitor: None,
                    group_nickname: String::new(),
                    name: String::new(),
                    unionid: None,
                    state: None,
                }];
                member_list.extend(g.members.iter().map(|m| GroupMember {
                    userid: m.userid.clone(),
                    kind: m.kind,
                    join_time: g.create_time,
                    join_scene: 1,
                    invitor: Some(UserRef {
                        userid: g.owner.clone(),
                    }),
                    group_nickname: String::new(),
                    name: String::new(),
                    unionid: None,
                    state: None,
                }));
                let chat = GroupChat {
                    chat_id: g.chat_id.clone(),
                    name: g.name.clone(),
                    owner: g.owner.clone(),
                    create_time: g.create_time,
                    notice: g.notice.clone(),
                    admin_list: Vec::new(),
                    member_version: random_id("", 32),
                    member_list,
                };
                (g.chat_id.clone(), chat)
            })
            .collect();
        Self {
            fixture,
            lifetimes: Lifetimes::default(),
            faults: Faults::default(),
            calls_since_rate_limit_set: 0,
            calls: BTreeMap::new(),
            tokens: HashMap::new(),
            token_of_agent: HashMap::new(),
            corp_ticket: None,
            agent_tickets: HashMap::new(),
            issued_corp_tickets: Vec::new(),
            issued_agent_tickets: HashMap::new(),
            ticket_fetches: HashMap::new(),
            codes: HashMap::new(),
            groups,
            join_ways: BTreeMap::new(),
            app_chats: BTreeMap::new(),
            sent: Vec::new(),
            robot_sends: HashMap::new(),
            client_member: None,
            auto_login: None,
        }
    }

    pub fn member_name(&self, userid: &str) -> Option<&str> {
        self.fixture
            .members
            .iter()
            .find(|m| m.userid == userid)
            .map(|m| m.name.as_str())
    }

    /// Issues (or returns the still valid) token of an app: one token per secret.
    pub fn token_for(&mut self, agent_id: i64, now: Instant) -> (String, u64) {
        if let Some(t) = self.token_of_agent.get(&agent_id) {
            if let Some(info) = self.tokens.get(t) {
                if !info.revoked && info.expires_at > now {
                    let left = info.expires_at.duration_since(now).as_secs().max(1);
                    return (t.clone(), left);
                }
            }
        }
        let token = random_id("simtok_", 40);
        let lifetime = self.lifetimes.token_secs;
        self.tokens.insert(
            token.clone(),
            TokenInfo {
                agent_id,
                expires_at: now + Duration::from_secs(lifetime),
                revoked: false,
            },
        );
        self.token_of_agent.insert(agent_id, token.clone());
        (token, lifetime)
    }

    pub fn revoke_all_tokens(&mut self) {
        for info in self.tokens.values_mut() {
            info.revoked = true;
        }
    }

    /// The corp ticket (same while valid, as WeCom does).
    pub fn corp_ticket(&mut self, now: Instant) -> (String, u64) {
        if let Some(t) = &self.corp_ticket {
            if let Some(left) = t.remaining(now) {
                return (t.value.clone(), left);
            }
        }
        let issued = Issued {
            value: random_id("simcorpticket_", 48),
            expires_at: now + Duration::from_secs(self.lifetimes.ticket_secs),
        };
        self.issued_corp_tickets.push(issued.clone());
        self.corp_ticket = Some(issued.clone());
        (issued.value, self.lifetimes.ticket_secs)
    }

    /// The app ticket of `agent_id`.
    pub fn agent_ticket(&mut self, agent_id: i64, now: Instant) -> (String, u64) {
        if let Some(t) = self.agent_tickets.get(&agent_id) {
            if let Some(left) = t.remaining(now) {
                return (t.value.clone(), left);
            }
        }
        let issued = Issued {
            value: random_id("simagentticket_", 48),
            expires_at: now + Duration::from_secs(self.lifetimes.ticket_secs),
        };
        self.issued_agent_tickets
            .entry(agent_id)
            .or_default()
            .push(issued.clone());
        self.agent_tickets.insert(agent_id, issued.clone());
        (issued.value, self.lifetimes.ticket_secs)
    }

    /// Records a ticket fetch; false when the app is over 100 fetches in the last hour.
    pub fn ticket_fetch_allowed(&mut self, agent_id: i64, now: Instant) -> bool {
        let q = self.ticket_fetches.entry(agent_id).or_default();
        while q
            .front()
            .is_some_and(|t| now.duration_since(*t) > Duration::from_secs(3600))
        {
            q.pop_front();
        }
        if q.len() >= 100 {
            return false;
        }
        q.push_back(now);
        true
    }

    /// Records a robot send; false when the robot is over 20 in the last minute.
    pub fn robot_send_allowed(&mut self, key: &str, now: Instant) -> bool {
        let q = self.robot_sends.entry(key.to_string()).or_default();
        while q
            .front()
            .is_some_and(|t| now.duration_since(*t) > Duration::from_secs(60))
        {
            q.pop_front();
        }
        if q.len() >= 20 {
            return false;
        }
        q.push_back(now);
        true
    }

    pub fn issue_code(&mut self, owner: CodeOwner, now: Instant) -> String {
        let code = random_id("simcode_", 32);
        self.codes
            .insert(code.clone(), (owner, now + Duration::from_secs(300)));
        code
    }

    /// Valid tickets right now: (corp tickets, app tickets per agent).
    pub fn valid_tickets(&self, now: Instant) -> (Vec<String>, BTreeMap<i64, Vec<String>>) {
        let valid = |v: &Vec<Issued>| {
            v.iter()
                .filter(|t| t.expires_at > now)
                .map(|t| t.value.clone())
                .collect::<Vec<_>>()
        };
        (
            valid(&self.issued_corp_tickets),
            self.issued_agent_tickets
                .iter()
                .map(|(a, v)| (*a, valid(v)))
                .collect(),
        )
    }
}
