//! Access tokens, JS-SDK tickets and OAuth codes the simulator issues, with WeCom's
//! lifetimes and limits.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::state::{random_id, within_rate, CODE_LIFETIME};

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
struct Issued {
    value: String,
    expires_at: Instant,
}

impl Issued {
    fn remaining(&self, now: Instant) -> Option<u64> {
        (self.expires_at > now).then(|| self.expires_at.duration_since(now).as_secs().max(1))
    }
}

#[derive(Debug, Clone)]
struct TokenInfo {
    agent_id: i64,
    expires_at: Instant,
    revoked: bool,
}

/// What an access token is worth right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenCheck {
    /// Valid, issued to this app.
    Valid(i64),
    /// Never issued, or revoked.
    Invalid,
    Expired,
}

/// Who an OAuth code was issued to.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum CodeOwner {
    Member(String),
    Outsider(String),
}

/// Access tokens, JS-SDK tickets and OAuth codes the simulator issued.
#[derive(Debug, Default)]
pub struct Credentials {
    lifetimes: Lifetimes,
    tokens: HashMap<String, TokenInfo>,
    token_of_agent: HashMap<i64, String>,
    corp_ticket: Option<Issued>,
    agent_tickets: HashMap<i64, Issued>,
    /// Every ticket ever issued with its expiry, so a page signed just before a
    /// refresh still verifies (as in WeCom, an old ticket stays valid until it expires).
    issued_corp_tickets: Vec<Issued>,
    issued_agent_tickets: HashMap<i64, Vec<Issued>>,
    /// Ticket fetch times per agent, for the 100-per-hour limit.
    ticket_fetches: HashMap<i64, VecDeque<Instant>>,
    codes: HashMap<String, (CodeOwner, Instant)>,
}

impl Credentials {
    /// Applies to credentials issued from now on.
    pub fn set_lifetimes(&mut self, lifetimes: Lifetimes) {
        self.lifetimes = lifetimes;
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

    pub fn check_token(&self, token: &str, now: Instant) -> TokenCheck {
        match self.tokens.get(token) {
            None => TokenCheck::Invalid,
            Some(t) if t.revoked => TokenCheck::Invalid,
            Some(t) if t.expires_at <= now => TokenCheck::Expired,
            Some(t) => TokenCheck::Valid(t.agent_id),
        }
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
        within_rate(
            self.ticket_fetches.entry(agent_id).or_default(),
            now,
            Duration::from_secs(3600),
            100,
        )
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

    pub fn issue_code(&mut self, owner: CodeOwner, now: Instant) -> String {
        let code = random_id("simcode_", 32);
        self.codes
            .insert(code.clone(), (owner, now + CODE_LIFETIME));
        code
    }

    /// Who the code was issued to, if it is still valid. Single use: taken out
    /// whatever the answer.
    pub fn take_code(&mut self, code: &str, now: Instant) -> Option<CodeOwner> {
        match self.codes.remove(code) {
            Some((owner, expires_at)) if expires_at > now => Some(owner),
            _ => None,
        }
    }
}
