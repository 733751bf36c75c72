//! What a real corp does by itself, with no fault injected: WeCom's documented limits
//! and the refusals a deployment meets when the admin console is not set up (D-90454
//! for the frequencies; errcodes from the global list). Each is set in the fixture's
//! `[rules]` (docs/simulator.md); the defaults are a real corp's.

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

/// The corp's settings that decide these refusals.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CorpRules {
    /// Calls in flight at once past which WeCom answers 45033 (接口并发调用超过限制).
    /// WeCom does not publish the number; 0 turns the limit off.
    pub max_concurrent_calls: u32,
    /// Calls of one API by the corp per minute and per hour (D-90454: 10,000 and
    /// 150,000); past either, 45009 until the window ends (blocked 60 s or 60 min).
    /// 0 turns the limit off.
    pub per_api_per_minute: u32,
    pub per_api_per_hour: u32,
    /// The app's 企业可信IP: a token-carrying call from another address answers 60020
    /// naming the address it came from. Absent: every address is trusted (apps made
    /// before mid-2022).
    pub trusted_ips: Option<Vec<IpAddr>>,
    /// The apps under 客户联系 → 可调用接口的应用; any other gets 48002 from the
    /// `externalcontact/` APIs. Absent: every app.
    pub customer_api_agents: Option<Vec<i64>>,
    /// Members outside the app's visible range: `user/get` and the customer APIs
    /// answer 60011 for them, `message/send` lists them in `invaliduser`.
    pub outside_app_range: Vec<String>,
    /// App messages one member gets from one app per minute (D-90454: 30); the rest
    /// are dropped without an error (超过部分会被丢弃不下发). 0 turns it off.
    pub app_messages_per_member_minute: u32,
    /// Phones-only remark edits raise no callback (D-92277); true is WeCom.
    pub silent_phone_edits: bool,
    /// Members not configured for customer contact (客户联系): left out of
    /// `get_follow_user_list`.
    pub without_customer_contact: Vec<String>,
}

impl Default for CorpRules {
    fn default() -> Self {
        Self {
            max_concurrent_calls: 100,
            per_api_per_minute: 10_000,
            per_api_per_hour: 150_000,
            trusted_ips: None,
            customer_api_agents: None,
            outside_app_range: Vec::new(),
            app_messages_per_member_minute: 30,
            silent_phone_edits: true,
            without_customer_contact: Vec::new(),
        }
    }
}

/// A counter over a fixed window that, once over, refuses until the window ends.
#[derive(Debug, Clone, Copy)]
struct Window {
    started: Instant,
    count: u32,
}

impl Window {
    /// Counts one; false when over `limit` in the current window.
    fn take(slot: &mut Option<Window>, length: Duration, limit: u32, now: Instant) -> bool {
        let w = slot.get_or_insert(Window {
            started: now,
            count: 0,
        });
        if now.duration_since(w.started) >= length {
            *w = Window {
                started: now,
                count: 0,
            };
        }
        w.count = w.count.saturating_add(1);
        w.count <= limit
    }
}

const MINUTE: Duration = Duration::from_secs(60);
const HOUR: Duration = Duration::from_secs(3600);

/// The rules and their counters.
#[derive(Debug, Default)]
pub struct Rules {
    pub settings: CorpRules,
    per_api: HashMap<&'static str, (Option<Window>, Option<Window>)>,
    per_member: HashMap<String, Option<Window>>,
}

/// Why the corp refuses a call before its handler runs.
pub struct Refusal(pub i64, pub String);

impl Rules {
    pub fn new(settings: CorpRules) -> Self {
        Self {
            settings,
            ..Self::default()
        }
    }

    /// The refusal of a token-carrying call to `path` by `agent` from `from`, if any:
    /// the trusted IPs, the customer-contact permission, then the API's frequency.
    pub fn check_call(
        &mut self,
        path: &'static str,
        agent: i64,
        from: Option<IpAddr>,
        now: Instant,
    ) -> Option<Refusal> {
        let s = &self.settings;
        if let (Some(trusted), Some(ip)) = (&s.trusted_ips, from) {
            if !trusted.contains(&ip) {
                return Some(Refusal(
                    60020,
                    format!("not allow to access from your ip, hint: [sim], from ip: {ip}, more info at https://open.work.weixin.qq.com/devtool/query?e=60020"),
                ));
            }
        }
        if path.starts_with("externalcontact/")
            && s.customer_api_agents
                .as_ref()
                .is_some_and(|agents| !agents.contains(&agent))
        {
            return Some(Refusal(48002, "api forbidden".into()));
        }
        self.check_frequency(path, now)
    }

    /// Counts a call of `path` against the corp's per-API limits.
    pub fn check_frequency(&mut self, path: &'static str, now: Instant) -> Option<Refusal> {
        let (minute, hour) = (
            self.settings.per_api_per_minute,
            self.settings.per_api_per_hour,
        );
        let (m, h) = self.per_api.entry(path).or_default();
        let within_minute = minute == 0 || Window::take(m, MINUTE, minute, now);
        let within_hour = hour == 0 || Window::take(h, HOUR, hour, now);
        (!(within_minute && within_hour)).then(|| Refusal(45009, "api freq out of limit".into()))
    }

    /// Whether `userid` is in the app's visible range.
    pub fn in_range(&self, userid: &str) -> bool {
        !self.settings.outside_app_range.iter().any(|u| u == userid)
    }

    /// Counts one app message to `userid`; false when it is over the member's minute
    /// and WeCom drops it without a word.
    pub fn app_message_delivered(&mut self, userid: &str, now: Instant) -> bool {
        let limit = self.settings.app_messages_per_member_minute;
        if limit == 0 {
            return true;
        }
        if self.per_member.len() > 10_000 {
            self.per_member.clear();
        }
        let slot = self.per_member.entry(userid.to_string()).or_default();
        Window::take(slot, MINUTE, limit, now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_api_over_its_minute_is_refused_until_the_window_ends() {
        let mut r = Rules::new(CorpRules {
            per_api_per_minute: 3,
            ..CorpRules::default()
        });
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(r.check_frequency("user/get", t0).is_none());
        }
        assert_eq!(r.check_frequency("user/get", t0).map(|f| f.0), Some(45009));
        assert!(r.check_frequency("externalcontact/get", t0).is_none());
        assert!(r.check_frequency("user/get", t0 + MINUTE).is_none());
    }

    #[test]
    fn an_untrusted_address_is_named_and_an_app_without_customer_rights_is_refused() {
        let mut r = Rules::new(CorpRules {
            trusted_ips: Some(vec!["10.0.0.1".parse().expect("ip")]),
            customer_api_agents: Some(vec![1000002]),
            ..CorpRules::default()
        });
        let now = Instant::now();
        let refused = r
            .check_call("user/get", 1000002, "127.0.0.1".parse().ok(), now)
            .expect("refused");
        assert_eq!(refused.0, 60020);
        assert!(refused.1.contains("from ip: 127.0.0.1"), "{}", refused.1);
        let trusted = "10.0.0.1".parse().ok();
        assert!(r.check_call("user/get", 1000003, trusted, now).is_none());
        assert_eq!(
            r.check_call("externalcontact/list", 1000003, trusted, now)
                .map(|f| f.0),
            Some(48002)
        );
    }

    #[test]
    fn the_thirty_first_message_to_a_member_in_a_minute_is_dropped() {
        let mut r = Rules::default();
        let now = Instant::now();
        assert!((0..30).all(|_| r.app_message_delivered("zhangwei", now)));
        assert!(!r.app_message_delivered("zhangwei", now));
        assert!(r.app_message_delivered("lina", now));
    }
}
