//! The callbacks the simulator raises to the app, as WeCom does (wecom-api.md
//! section 9): what happened ([`Event`]), how it is sent ([`delivery`]), and the
//! bounded log `GET /sim/callbacks` shows.
//!
//! Where callbacks go (URL, Token, EncodingAESKey) is the corp's `[callback]`
//! (`World.corp`); how they are sent (duplicates, pauses, timeout) and what was sent
//! is [`Callbacks`] (`World.callbacks`).

pub mod delivery;
pub mod event;

use std::collections::VecDeque;

use actix_web::web;
use rand::Rng;
use serde::Serialize;

pub use delivery::{DeliverySettings, Outcome};
pub use event::{ChatChange, ChatEvent, ContactChange, ContactEvent, Event, Kind};

use super::state::{random_id, World};
use super::Simulator;
use desk_wecom::clock::now_secs;

/// Deliveries the log keeps (the oldest go first).
pub const LOG_SIZE: usize = 500;

/// A callback raised, and how its delivery went.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Record {
    pub id: u64,
    pub kind: Kind,
    pub change_type: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub update_detail: Option<&'static str>,
    /// The XML before encryption.
    pub plaintext: String,
    #[serde(flatten)]
    pub outcome: Outcome,
    /// Unix seconds it was raised (its `CreateTime`).
    pub at: i64,
    #[serde(skip)]
    pub event: Event,
}

/// How callbacks are sent, and the last [`LOG_SIZE`] raised.
#[derive(Debug, Default)]
pub struct Callbacks {
    settings: DeliverySettings,
    log: VecDeque<Record>,
    next_id: u64,
}

impl Callbacks {
    pub fn settings(&self) -> DeliverySettings {
        self.settings
    }

    pub fn set_settings(&mut self, settings: DeliverySettings) {
        self.settings = settings;
    }

    /// Raised callbacks, oldest first.
    pub fn log(&self) -> impl Iterator<Item = &Record> {
        self.log.iter()
    }

    fn record(&mut self, event: Event, plaintext: String, outcome: Outcome, at: i64) -> Record {
        self.next_id += 1;
        let record = Record {
            id: self.next_id,
            kind: event.kind(),
            change_type: event.change_type(),
            update_detail: event.update_detail(),
            plaintext,
            outcome,
            at,
            event,
        };
        if self.log.len() == LOG_SIZE {
            self.log.pop_front();
        }
        self.log.push_back(record.clone());
        record
    }
}

/// A new `MsgId`: WeCom's are 19-digit numbers that fit an i64.
pub fn new_msg_id() -> u64 {
    rand::thread_rng().gen_range(1_000_000_000_000_000_000..=i64::MAX as u64)
}

/// A `WelcomeCode`, as an add carries.
pub fn new_welcome_code() -> String {
    random_id("", 43)
}

/// Raises `events` in order and answers once each delivery has finished (its tries,
/// pauses and duplicates). The sending runs as its own task, so a caller that goes
/// away does not cut a delivery short.
pub async fn raise(sim: web::Data<Simulator>, events: Vec<Event>) -> Vec<Record> {
    let task = tokio::spawn(async move {
        let mut records = Vec::with_capacity(events.len());
        for event in events {
            records.push(raise_one(&sim, event).await);
        }
        records
    });
    task.await.unwrap_or_default()
}

/// Raises `events` without waiting: what the client does, whose user gets the answer
/// at once while WeCom reports the change to the app.
pub fn raise_in_background(sim: web::Data<Simulator>, events: Vec<Event>) {
    if !events.is_empty() {
        tokio::spawn(raise(sim, events));
    }
}

/// Delivers one event and logs it. The world is locked to read the target and to
/// log, never while sending.
async fn raise_one(sim: &Simulator, event: Event) -> Record {
    let at = now_secs();
    let (plaintext, job) = sim.with_world(|w| (event.to_xml(w.corp.id(), at), job_of(w, &event)));
    let outcome = match job {
        Some(job) => delivery::deliver(sim.http(), &job, &plaintext).await,
        None => Outcome::not_configured(),
    };
    sim.with_world(|w| w.callbacks.record(event, plaintext, outcome, at))
}

/// Where and how `event` goes; `None` without a callback URL.
fn job_of(w: &World, event: &Event) -> Option<delivery::Job> {
    let target = w.corp.callback().filter(|c| !c.url.is_empty())?;
    let agent_id = match event {
        Event::Text { agent_id, .. } => *agent_id,
        // Customer and address-book events go to the app set up for customer
        // contact: the corp's (first) app here.
        Event::Contact(_)
        | Event::Chat(_)
        | Event::TransferFail { .. }
        | Event::MemberLeft { .. } => w.corp.first_agent().unwrap_or_default(),
    };
    Some(delivery::Job {
        url: target.url.clone(),
        token: target.token.clone(),
        encoding_aes_key: target.encoding_aes_key.clone(),
        corp_id: w.corp.id().to_string(),
        agent_id,
        settings: w.callbacks.settings(),
    })
}
