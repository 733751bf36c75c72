//! `/sim/` endpoints that change the corp the way people do in the WeCom client (a
//! member texts the app, customers are added and deleted or scan a 「联系我」 code,
//! people join and leave customer groups and talk in them), each raising the callback WeCom would raise. Every one answers
//! once the callbacks were delivered (or given up on), so a test knows the app has
//! answered them.

mod customers;
mod groups;
mod members;
mod messages;
mod visits;

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse, ResponseError};
use serde_json::json;

use super::callbacks::Record;

pub fn configure(cfg: &mut web::ServiceConfig) {
    let json = json_config;
    cfg.service(
        web::resource("/sim/apps/{agent_id}/messages")
            .app_data(json())
            .post(messages::member_text),
    )
    .service(
        web::resource("/sim/customers")
            .app_data(json())
            .post(customers::add_customer),
    )
    .service(
        web::resource("/sim/customers/{id}/follow")
            .app_data(json())
            .post(customers::follow),
    )
    .service(web::resource("/sim/customers/{id}/follow/{userid}").delete(customers::unfollow))
    .service(
        web::resource("/sim/groups/{chat_id}/members")
            .app_data(json())
            .post(groups::add_member),
    )
    .service(web::resource("/sim/groups/{chat_id}/members/{userid}").delete(groups::remove_member))
    .service(web::resource("/sim/groups/{chat_id}/dismiss").post(groups::dismiss))
    .service(
        web::resource("/sim/members/{id}/leave")
            .app_data(json())
            .post(members::leave),
    )
    .service(
        web::resource("/sim/handover")
            .app_data(json())
            .get(members::state)
            .put(members::set),
    )
    .service(
        web::resource("/sim/join-ways/{config_id}/scan")
            .app_data(json())
            .post(groups::scan),
    )
    .service(
        web::resource("/sim/contact-ways/{config_id}/scan")
            .app_data(json())
            .post(visits::scan),
    )
    .service(
        web::resource("/sim/groups/{chat_id}/activity")
            .app_data(json())
            .get(visits::activity)
            .post(visits::record_activity),
    );
}

/// JSON bodies up to 64 KiB; an unreadable one is a 400 `{error}` like every other
/// refusal here.
fn json_config() -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(64 << 10)
        .error_handler(|err, _| Refusal::bad(err.to_string()).into())
}

/// Why a change was refused: answered as `{error}` with its status.
#[derive(Debug, thiserror::Error)]
#[error("{1}")]
pub struct Refusal(StatusCode, String);

impl Refusal {
    fn bad(why: impl Into<String>) -> Self {
        Self(StatusCode::BAD_REQUEST, why.into())
    }

    fn not_found(why: impl Into<String>) -> Self {
        Self(StatusCode::NOT_FOUND, why.into())
    }

    fn conflict(why: impl Into<String>) -> Self {
        Self(StatusCode::CONFLICT, why.into())
    }

    fn gone(why: impl Into<String>) -> Self {
        Self(StatusCode::GONE, why.into())
    }
}

impl ResponseError for Refusal {
    fn status_code(&self) -> StatusCode {
        self.0
    }

    fn error_response(&self) -> HttpResponse {
        HttpResponse::build(self.0).json(json!({ "error": self.1 }))
    }
}

/// `{callbacks: [...]}`: how each raised callback's delivery went.
fn delivered(records: &[Record]) -> HttpResponse {
    HttpResponse::Ok().json(json!({ "callbacks": records }))
}
