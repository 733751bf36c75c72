//! `/sim/`: what tests, demos and integrators use to watch and steer the simulator.

use std::time::Duration;

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::json;

use super::fixture::Callback;
use super::state::{CodeOwner, FaultSettings, Lifetimes, World, CODE_LIFETIME};
use super::Simulator;
use desk_wecom::crypto::decode_aes_key;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/sim")
            .route("/stats", web::get().to(stats))
            .route("/stats", web::delete().to(reset_stats))
            .route("/faults", web::get().to(get_faults))
            .route("/faults", web::put().to(set_faults))
            .route("/tokens/revoke", web::post().to(revoke_tokens))
            .route("/lifetimes", web::put().to(set_lifetimes))
            .route("/clock", web::get().to(get_clock))
            .route("/clock", web::post().to(advance_clock))
            .route("/tickets", web::get().to(tickets))
            .route("/oauth/code", web::post().to(issue_code))
            .route("/messages", web::get().to(messages))
            .route("/groups", web::get().to(groups))
            .route("/callback", web::get().to(get_callback))
            .route("/callback", web::put().to(set_callback))
            .route("/callbacks", web::get().to(callback_log))
            .route("/welcomes", web::get().to(crate::contact_ways::list)),
    );
}

/// Calls per `/cgi-bin/` path since start or the last reset, and when the last ones
/// (up to 200 per path) arrived, in unix ms.
async fn stats(sim: web::Data<Simulator>) -> HttpResponse {
    let (calls, times) = sim.with_world(|w| (w.calls.counts().clone(), w.calls.times().clone()));
    HttpResponse::Ok().json(json!({ "calls": calls, "times": times }))
}

async fn reset_stats(sim: web::Data<Simulator>) -> HttpResponse {
    sim.with_world(|w| w.calls.clear());
    HttpResponse::NoContent().finish()
}

async fn get_faults(sim: web::Data<Simulator>) -> HttpResponse {
    HttpResponse::Ok().json(sim.with_world(|w| w.faults.settings().clone()))
}

/// Replaces the injected faults (`{}` clears them all).
async fn set_faults(sim: web::Data<Simulator>, faults: web::Json<FaultSettings>) -> HttpResponse {
    sim.with_world(|w| w.faults.set(faults.into_inner()));
    HttpResponse::NoContent().finish()
}

/// Revokes every token now, as WeCom may do before `expires_in`.
async fn revoke_tokens(sim: web::Data<Simulator>) -> HttpResponse {
    sim.with_world(|w| w.credentials.revoke_all_tokens());
    HttpResponse::NoContent().finish()
}

/// The simulator's time: unix seconds now, and how far it has been moved forward.
async fn get_clock(sim: web::Data<Simulator>) -> HttpResponse {
    let (now, wall) = sim.with_world(|w| (w.clock.now_secs(), desk_wecom::clock::now_secs()));
    HttpResponse::Ok().json(json!({ "now": now, "aheadSecs": now - wall }))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Advance {
    secs: u64,
}

/// Moves the simulator's time forward by `secs` (at most a year at once): tokens and
/// tickets expire, limits per day and per 90 days open again, pending handovers end.
async fn advance_clock(sim: web::Data<Simulator>, a: web::Json<Advance>) -> HttpResponse {
    if a.secs > 366 * 24 * 3600 {
        return HttpResponse::BadRequest()
            .json(json!({"errcode": 40058, "errmsg": "secs: at most a year at once"}));
    }
    let (now, events) = sim.with_world(|w| {
        w.clock.advance(Duration::from_secs(a.secs));
        (w.clock.now_secs(), crate::handover::settle(w))
    });
    // Handovers whose 24 h are now up complete, with their callbacks.
    let callbacks = crate::callbacks::raise(sim, events).await;
    HttpResponse::Ok().json(json!({ "now": now, "callbacks": callbacks }))
}

/// Sets the lifetimes of credentials issued from now on.
async fn set_lifetimes(sim: web::Data<Simulator>, l: web::Json<Lifetimes>) -> HttpResponse {
    sim.with_world(|w| w.credentials.set_lifetimes(l.into_inner()));
    HttpResponse::NoContent().finish()
}

/// The tickets valid now: what the bridge (and tests) check signatures against.
async fn tickets(sim: web::Data<Simulator>) -> HttpResponse {
    let (corp, agents) = sim.with_world(|w| w.credentials.valid_tickets(w.clock.instant()));
    HttpResponse::Ok().json(json!({ "corp": corp, "agent": agents }))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CodeRequest {
    userid: Option<String>,
    openid: Option<String>,
}

/// Issues a single-use OAuth code (5 minutes) for a member, or for a non-member openid.
async fn issue_code(sim: web::Data<Simulator>, req: web::Json<CodeRequest>) -> HttpResponse {
    let owner = match (&req.userid, &req.openid) {
        (Some(u), None) => {
            if sim.with_world(|w| !w.directory.is_member(u)) {
                return HttpResponse::NotFound().json(json!({"error": format!("no member {u}")}));
            }
            CodeOwner::Member(u.clone())
        }
        (None, Some(o)) => CodeOwner::Outsider(o.clone()),
        _ => {
            return HttpResponse::BadRequest()
                .json(json!({"error": "give exactly one of userid or openid"}))
        }
    };
    let code = sim.with_world(|w| w.credentials.issue_code(owner, w.clock.instant()));
    HttpResponse::Ok().json(json!({ "code": code, "expiresIn": CODE_LIFETIME.as_secs() }))
}

/// Messages accepted through `message/send`, `appchat/send` and `webhook/send`.
async fn messages(sim: web::Data<Simulator>) -> HttpResponse {
    HttpResponse::Ok().json(json!({ "messages": sim.with_world(|w| w.messages.sent().to_vec()) }))
}

/// Customer groups as the simulator holds them.
async fn groups(sim: web::Data<Simulator>) -> HttpResponse {
    HttpResponse::Ok().json(json!({
        "groups": sim.with_world(|w| w.groups.all().cloned().collect::<Vec<_>>())
    }))
}

/// Where callbacks go and how they are sent; the token and key are not shown.
fn callback_view(w: &World) -> serde_json::Value {
    let settings = w.callbacks.settings();
    json!({
        "url": w.corp.callback().map(|c| c.url.as_str()).unwrap_or_default(),
        "duplicates": settings.duplicates,
        "retryPauseMs": settings.retry_pause_ms,
        "timeoutMs": settings.timeout_ms,
    })
}

async fn get_callback(sim: web::Data<Simulator>) -> HttpResponse {
    HttpResponse::Ok().json(sim.with_world(|w| callback_view(w)))
}

/// `PUT /sim/callback`: every field is optional and a missing one keeps its value.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CallbackUpdate {
    /// `""` stops sending (callbacks are still logged).
    url: Option<String>,
    token: Option<String>,
    encoding_aes_key: Option<String>,
    duplicates: Option<u32>,
    retry_pause_ms: Option<u64>,
    timeout_ms: Option<u64>,
}

/// Sets where callbacks go (the app's URL, Token, EncodingAESKey, as in the admin
/// console) and how they are sent; answers what `GET /sim/callback` answers.
async fn set_callback(sim: web::Data<Simulator>, u: web::Json<CallbackUpdate>) -> HttpResponse {
    match sim.with_world(|w| update_callback(w, u.into_inner()).map(|()| callback_view(w))) {
        Ok(view) => HttpResponse::Ok().json(view),
        Err(why) => HttpResponse::BadRequest().json(json!({ "error": why })),
    }
}

/// Checks the whole update before changing anything.
fn update_callback(w: &mut World, u: CallbackUpdate) -> Result<(), String> {
    let current = w.corp.callback().cloned();
    let token = u
        .token
        .or_else(|| current.as_ref().map(|c| c.token.clone()))
        .ok_or("token is needed: the fixture has no [callback]")?;
    let encoding_aes_key = u
        .encoding_aes_key
        .or_else(|| current.as_ref().map(|c| c.encoding_aes_key.clone()))
        .ok_or("encodingAesKey is needed: the fixture has no [callback]")?;
    let url = u
        .url
        .or_else(|| current.as_ref().map(|c| c.url.clone()))
        .unwrap_or_default();
    if !url.is_empty() {
        let parsed = url::Url::parse(&url).map_err(|e| format!("url: {e}"))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err("url must be http or https".into());
        }
    }
    if token.is_empty() {
        return Err("token is empty".into());
    }
    decode_aes_key(&encoding_aes_key).map_err(|e| format!("encodingAesKey: {e}"))?;
    let mut settings = w.callbacks.settings();
    settings.duplicates = u.duplicates.unwrap_or(settings.duplicates);
    settings.retry_pause_ms = u.retry_pause_ms.unwrap_or(settings.retry_pause_ms);
    settings.timeout_ms = u.timeout_ms.unwrap_or(settings.timeout_ms);
    // Bounds, so a typo cannot keep a test waiting for minutes.
    if settings.duplicates > 10 {
        return Err("duplicates is at most 10".into());
    }
    if settings.retry_pause_ms > 60_000 || !(1..=60_000).contains(&settings.timeout_ms) {
        return Err("retryPauseMs is 0..=60000, timeoutMs 1..=60000".into());
    }
    w.corp.set_callback(Callback {
        url,
        token,
        encoding_aes_key,
    });
    w.callbacks.set_settings(settings);
    Ok(())
}

/// The last callbacks raised, oldest first, with how each delivery went.
async fn callback_log(sim: web::Data<Simulator>) -> HttpResponse {
    HttpResponse::Ok().json(json!({
        "callbacks": sim.with_world(|w| w.callbacks.log().cloned().collect::<Vec<_>>())
    }))
}
