//! Faults a test or a person injects through `/sim/faults`: latency, busy answers,
//! rate limits, HTTP errors, revoked tokens, welcome-message errcodes. (What a real corp refuses by itself,
//! with no fault injected, is `rules.rs`.)

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Faults injected through `/sim/faults`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FaultSettings {
    /// Added to every `/cgi-bin/` answer.
    #[serde(default)]
    pub latency_ms: u64,
    /// Added after a `/cgi-bin/` call was carried out, before its answer: WeCom did
    /// it, the caller has not heard yet (a caller killed meanwhile never hears).
    #[serde(default)]
    pub slow_answer_ms: u64,
    /// Only these `/cgi-bin/` paths answer slowly (e.g.
    /// `externalcontact/resigned/transfer_customer`); empty: every path.
    #[serde(default)]
    pub slow_answer_paths: Vec<String>,
    /// The next N calls answer errcode -1.
    #[serde(default)]
    pub busy_next: u32,
    /// The next N calls answer errcode 45033 (too many concurrent calls).
    #[serde(default)]
    pub concurrent_next: u32,
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
    /// `groupchat/get` of these chats answers errcode -1 (busy) until cleared: one
    /// group that keeps failing while the others answer.
    #[serde(default)]
    pub busy_chat_ids: Vec<String>,
    /// Each `externalcontact/send_welcome_msg` call takes the first of these and
    /// answers it instead: 41096 (another app is sending: the code stays usable),
    /// 41051 (the customer started chatting: the code is used up), or any other.
    #[serde(default)]
    pub welcome_errcodes: Vec<i64>,
}

fn default_http_error_status() -> u16 {
    502
}

/// What a faulty call answers instead of its real answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InjectedFault {
    /// This HTTP status, no WeCom body.
    HttpStatus(u16),
    /// errcode -1.
    Busy,
    /// errcode 45009.
    RateLimited,
    /// errcode 45033.
    TooManyConcurrent,
}

/// The injected faults and how far along their countdowns are.
#[derive(Debug, Default)]
pub struct Faults {
    settings: FaultSettings,
    /// Calls since `rate_limit_after` was set.
    calls_since_rate_limit_set: u64,
}

impl Faults {
    pub fn settings(&self) -> &FaultSettings {
        &self.settings
    }

    /// Replaces every fault and restarts the rate-limit countdown.
    pub fn set(&mut self, settings: FaultSettings) {
        self.settings = settings;
        self.calls_since_rate_limit_set = 0;
    }

    pub fn latency(&self) -> Duration {
        Duration::from_millis(self.settings.latency_ms)
    }

    /// How long a call to `path` waits after it was carried out.
    pub fn slow_answer(&self, path: &str) -> Duration {
        let paths = &self.settings.slow_answer_paths;
        match paths.is_empty() || paths.iter().any(|p| p == path) {
            true => Duration::from_millis(self.settings.slow_answer_ms),
            false => Duration::ZERO,
        }
    }

    /// Counts this call towards `revoke_tokens_after`; true on the call that must
    /// revoke every token.
    pub fn tokens_revoked_now(&mut self) -> bool {
        match self.settings.revoke_tokens_after {
            Some(0) => {
                self.settings.revoke_tokens_after = None;
                true
            }
            Some(n) => {
                self.settings.revoke_tokens_after = Some(n - 1);
                false
            }
            None => false,
        }
    }

    /// The errcode the next `send_welcome_msg` answers instead, if one was injected.
    pub fn take_welcome_errcode(&mut self) -> Option<i64> {
        let codes = &mut self.settings.welcome_errcodes;
        (!codes.is_empty()).then(|| codes.remove(0))
    }

    /// The fault this call gets, if any, counting it towards the others.
    pub fn next_fault(&mut self) -> Option<InjectedFault> {
        let s = &mut self.settings;
        if s.http_error_next > 0 {
            s.http_error_next -= 1;
            return Some(InjectedFault::HttpStatus(s.http_error_status));
        }
        if s.busy_next > 0 {
            s.busy_next -= 1;
            return Some(InjectedFault::Busy);
        }
        if s.concurrent_next > 0 {
            s.concurrent_next -= 1;
            return Some(InjectedFault::TooManyConcurrent);
        }
        if let Some(after) = s.rate_limit_after {
            self.calls_since_rate_limit_set += 1;
            if self.calls_since_rate_limit_set > after {
                return Some(InjectedFault::RateLimited);
            }
        }
        None
    }
}
