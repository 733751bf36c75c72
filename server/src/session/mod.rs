//! `GET /api/session`: what the H5 needs before `ww.register` (corp and agent id) and
//! who is logged in. WeCom login itself comes with the H5 issue.

use actix_web::{web, HttpResponse};
use desk_shared::Session;

use crate::startup::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/api/session", web::get().to(session));
}

async fn session(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(("cache-control", "no-store"))
        .json(Session {
            corp_id: state.wecom.corp_id().to_string(),
            agent_id: state.wecom.agent_id(),
            user: None,
        })
}
