//! The store visit as WeCom keeps it: 「联系我」 contact ways made through the API
//! (D-92572), the welcome codes of the add events (valid 20 s, once), and the welcome
//! messages sent with them (D-92137), which `GET /sim/welcomes` lists and the
//! simulated customer's page shows.

use std::collections::{BTreeMap, HashMap, VecDeque};

use actix_web::{web, HttpResponse};
use desk_wecom::types::ContactWaySettings;
use serde::Serialize;

use crate::callbacks::Event;
use crate::state::{random_id, World};
use crate::Simulator;

/// API-made contact ways a corp may have (D-92572).
pub const MAX_CONTACT_WAYS: usize = 500_000;
/// Members and members of departments one contact way may name (41041).
pub const MAX_CONTACT_WAY_PEOPLE: usize = 100;
/// How long a welcome code may be used after its event (D-92137).
pub const WELCOME_CODE_MILLIS: i64 = 20_000;
/// A temporary contact way's default lifetime (D-92572: 7 days).
pub const TEMP_DEFAULT_SECS: i64 = 7 * 86_400;
/// Welcome codes are forgotten this long after they were issued (long dead by then).
const CODES_KEPT_MILLIS: i64 = 3_600_000;
/// Sent welcomes kept (`/sim/welcomes`).
pub const KEPT_WELCOMES: usize = 500;

/// One contact way.
#[derive(Debug, Clone)]
pub struct StoredContactWay {
    pub settings: ContactWaySettings,
    pub agent_id: i64,
    /// Unix seconds (the simulator's clock).
    pub created_at: i64,
    /// Customers who scanned it so far: type 2 hands them to its people in turn, a
    /// temporary one dies after the first.
    pub scans: u64,
}

impl StoredContactWay {
    pub fn is_temp(&self) -> bool {
        self.settings.is_temp == Some(true)
    }

    /// Whether its QR code no longer adds anyone: a temporary one used once or past
    /// `expires_in`.
    pub fn is_dead(&self, now: i64) -> bool {
        let lifetime = self.settings.expires_in.unwrap_or(TEMP_DEFAULT_SECS);
        self.is_temp() && (self.scans > 0 || now >= self.created_at + lifetime)
    }
}

/// Contact ways by config id.
#[derive(Debug, Default)]
pub struct ContactWays {
    ways: BTreeMap<String, StoredContactWay>,
}

impl ContactWays {
    /// Stores a new contact way; its `config_id`.
    pub fn add(&mut self, settings: ContactWaySettings, agent_id: i64, now: i64) -> String {
        let config_id = random_id("", 32);
        self.ways.insert(
            config_id.clone(),
            StoredContactWay {
                settings,
                agent_id,
                created_at: now,
                scans: 0,
            },
        );
        config_id
    }

    pub fn get(&self, config_id: &str) -> Option<&StoredContactWay> {
        self.ways.get(config_id)
    }

    pub fn get_mut(&mut self, config_id: &str) -> Option<&mut StoredContactWay> {
        self.ways.get_mut(config_id)
    }

    /// False when there was none.
    pub fn remove(&mut self, config_id: &str) -> bool {
        self.ways.remove(config_id).is_some()
    }

    pub fn len(&self) -> usize {
        self.ways.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ways.is_empty()
    }

    /// Every contact way with its config id, ordered by when it was made.
    pub fn by_creation(&self) -> Vec<(&String, &StoredContactWay)> {
        let mut all: Vec<_> = self.ways.iter().collect();
        all.sort_by_key(|(id, w)| (w.created_at, (*id).clone()));
        all
    }
}

/// A welcome code an add event carried.
#[derive(Debug, Clone)]
pub struct IssuedCode {
    pub userid: String,
    pub external_userid: String,
    /// Unix ms on the simulator's clock.
    pub issued_ms: i64,
    /// A welcome went out with it (or the customer started chatting): 41051 from now.
    pub used: bool,
}

/// The welcome codes issued in the last hour.
#[derive(Debug, Default)]
pub struct WelcomeCodes {
    codes: HashMap<String, IssuedCode>,
}

impl WelcomeCodes {
    pub fn issue(&mut self, code: &str, userid: &str, external_userid: &str, now_ms: i64) {
        self.codes
            .retain(|_, c| now_ms - c.issued_ms < CODES_KEPT_MILLIS);
        self.codes.insert(
            code.to_string(),
            IssuedCode {
                userid: userid.to_string(),
                external_userid: external_userid.to_string(),
                issued_ms: now_ms,
                used: false,
            },
        );
    }

    pub fn get(&self, code: &str) -> Option<&IssuedCode> {
        self.codes.get(code)
    }

    pub fn get_mut(&mut self, code: &str) -> Option<&mut IssuedCode> {
        self.codes.get_mut(code)
    }

    /// Whether a code for `external_userid` can still be used at `now_ms`.
    pub fn waiting_for(&self, external_userid: &str, now_ms: i64) -> bool {
        self.codes.values().any(|c| {
            c.external_userid == external_userid
                && !c.used
                && now_ms - c.issued_ms <= WELCOME_CODE_MILLIS
        })
    }
}

/// One attachment of a welcome as `/sim/welcomes` shows it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SentAttachment {
    pub msgtype: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub media_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pic_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

/// A welcome WeCom delivered.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SentWelcome {
    pub external_user_id: String,
    pub userid: String,
    pub welcome_code: String,
    pub text: Option<String>,
    pub attachments: Vec<SentAttachment>,
    /// Unix seconds (the simulator's clock).
    pub sent_at: i64,
}

/// Contact ways, welcome codes and the welcomes sent.
#[derive(Debug, Default)]
pub struct StoreVisit {
    pub contact_ways: ContactWays,
    pub codes: WelcomeCodes,
    welcomes: VecDeque<SentWelcome>,
}

impl StoreVisit {
    pub fn record_welcome(&mut self, welcome: SentWelcome) {
        if self.welcomes.len() == KEPT_WELCOMES {
            self.welcomes.pop_front();
        }
        self.welcomes.push_back(welcome);
    }

    /// The welcomes sent, oldest first.
    pub fn welcomes(&self) -> impl Iterator<Item = &SentWelcome> {
        self.welcomes.iter()
    }
}

/// Keeps the welcome codes `events` carry, so `send_welcome_msg` knows them.
pub fn register_codes(w: &mut World, events: &[Event]) {
    let now_ms = w.clock.now_millis();
    for e in events {
        if let Event::Contact(c) = e {
            if let Some(code) = &c.welcome_code {
                w.store_visit
                    .codes
                    .issue(code, &c.userid, &c.external_userid, now_ms);
            }
        }
    }
}

/// `GET /sim/welcomes` → `[{externalUserId, userid, welcomeCode, text, attachments:
/// [{msgtype, mediaId?, picUrl?, title?, url?}], sentAt}]`, oldest first.
pub async fn list(sim: web::Data<Simulator>) -> HttpResponse {
    let all: Vec<SentWelcome> = sim.with_world(|w| w.store_visit.welcomes().cloned().collect());
    HttpResponse::Ok().json(all)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_temporary_way_dies_once_scanned_or_past_its_lifetime() {
        let mut way = StoredContactWay {
            settings: ContactWaySettings {
                is_temp: Some(true),
                expires_in: Some(60),
                ..Default::default()
            },
            agent_id: 1,
            created_at: 1000,
            scans: 0,
        };
        assert!(!way.is_dead(1059));
        assert!(way.is_dead(1060));
        way.scans = 1;
        assert!(way.is_dead(1000));
        way.settings.is_temp = None;
        assert!(!way.is_dead(9_999_999));
    }

    #[test]
    fn a_code_waits_twenty_seconds_and_old_ones_are_forgotten() {
        let mut codes = WelcomeCodes::default();
        codes.issue("c1", "u", "wm1", 0);
        assert!(codes.waiting_for("wm1", WELCOME_CODE_MILLIS));
        assert!(!codes.waiting_for("wm1", WELCOME_CODE_MILLIS + 1));
        codes.issue("c2", "u", "wm2", CODES_KEPT_MILLIS);
        assert!(codes.get("c1").is_none());
        assert!(codes.get("c2").is_some());
    }
}
