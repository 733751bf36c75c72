//! A member types text to the app: WeCom posts it to the app's callback URL.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::json;

use super::Refusal;
use crate::callbacks::{self, Event};
use crate::Simulator;

#[derive(Deserialize)]
pub(super) struct MemberText {
    #[serde(default)]
    userid: String,
    #[serde(default)]
    content: String,
}

/// `POST /sim/apps/{agentId}/messages` `{userid, content}` → `{msgId, tries,
/// delivered, status}` once delivered; `msgId` is a string, as JavaScript cannot hold
/// a 19-digit number.
pub(super) async fn member_text(
    sim: web::Data<Simulator>,
    agent: web::Path<String>,
    body: web::Json<MemberText>,
) -> Result<HttpResponse, Refusal> {
    let agent = agent.into_inner();
    let MemberText { userid, content } = body.into_inner();
    let agent_id = agent
        .parse::<i64>()
        .ok()
        .filter(|a| sim.with_world(|w| w.corp.has_app(*a)))
        .ok_or_else(|| Refusal::bad(format!("no app {agent}")))?;
    if !sim.with_world(|w| w.directory.is_member(&userid)) {
        return Err(Refusal::bad(format!("no member {userid:?}")));
    }
    if content.trim().is_empty() {
        return Err(Refusal::bad("content is empty"));
    }
    let msg_id = callbacks::new_msg_id();
    let event = Event::Text {
        userid,
        agent_id,
        content,
        msg_id,
    };
    let records = callbacks::raise(sim, vec![event]).await;
    let Some(r) = records.first() else {
        return Err(Refusal(
            actix_web::http::StatusCode::INTERNAL_SERVER_ERROR,
            "the delivery did not finish".into(),
        ));
    };
    Ok(HttpResponse::Ok().json(json!({
        "msgId": msg_id.to_string(),
        "tries": r.outcome.tries,
        "delivered": r.outcome.delivered,
        "status": r.outcome.status,
        "resent": r.outcome.resent,
    })))
}
