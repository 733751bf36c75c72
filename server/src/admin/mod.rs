//! What only admins (`server.admin_userids`) may do: `/api/admin/…`, the API of the
//! console at `/admin`: the deployment checks on demand, every order and its group,
//! the staff bindings, the outbox (and trying a failed message again), the audit log.
//! The pool's endpoints are the join ways' (`joinway/`). Every change an admin makes
//! goes into the audit log under their userid.

mod console;

use std::time::{Duration, Instant};

use actix_web::{web, HttpResponse};
use desk_shared::{DeploymentCheck, DeploymentChecks};

use crate::auth::{Admin, Member};
use crate::config::Settings;
use crate::doctor::{self, Outcome};
use crate::error::ApiError;

/// Checks run at most this often; in between, the last report is answered. Each run
/// fetches a token and both tickets from WeCom, which limits tickets per hour.
const CHECKS_EVERY: Duration = Duration::from_secs(30);

/// What the admin endpoints need: who the admins are and, for the checks, the
/// settings `doctor` reads.
pub struct AdminState {
    settings: Settings,
    last_checks: tokio::sync::Mutex<Option<(Instant, DeploymentChecks)>>,
}

impl AdminState {
    pub fn new(settings: Settings) -> Self {
        Self {
            settings,
            last_checks: tokio::sync::Mutex::new(None),
        }
    }
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/api/admin/checks").get(checks))
        .service(web::resource("/api/admin/orders").get(console::orders))
        .service(web::resource("/api/admin/staff").get(console::staff))
        .service(
            web::resource("/api/admin/staff/{staffId}")
                .put(console::bind)
                .delete(console::unbind),
        )
        .service(web::resource("/api/admin/messages").get(console::messages))
        .service(web::resource("/api/admin/outbox/{id}/retry").post(retry))
        .service(web::resource("/api/admin/audit").get(console::audit));
}

/// This capability's operations in `/api/openapi.json`.
#[derive(utoipa::OpenApi)]
#[openapi(paths(
    checks,
    retry,
    console::orders,
    console::staff,
    console::bind,
    console::unbind,
    console::messages,
    console::audit
))]
pub struct Api;

/// `POST /api/admin/outbox/{id}/retry`: a failed notification (or event, or app
/// message) is queued again from its first try; 204, 409 `not_failed` otherwise.
#[utoipa::path(
    post,
    path = "/api/admin/outbox/{id}/retry",
    operation_id = "retryOutboxMessage",
    summary = "Send a failed message again",
    tag = "admin",
    security(("session_cookie" = [])),
    description = "Admins only (`server.admin_userids`). Queues a failed message of the \
        outbox (a notification, an event, an app message) again from its first try; audited.",
    params(("id" = String, Path, description = "The outbox message's id (a notification's `id`)")),
    responses(
        (status = 204, description = "Queued again."),
        (status = 401, description = "`not_logged_in`: no session.", body = desk_shared::ApiError),
        (status = 403, description = "`admin_only`: the member is not an admin.", body = desk_shared::ApiError),
        (status = 404, description = "`not_found`: no such message.", body = desk_shared::ApiError),
        (status = 409, description = "`not_failed`: the message has not failed.", body = desk_shared::ApiError),
    )
)]
async fn retry(
    Admin(member): Admin,
    bridge: web::Data<crate::bridge::BridgeState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    use crate::outbox::RetryError;
    bridge
        .outbox
        .retry_failed(&id, &member.0.user_id)
        .await
        .map_err(|e| match e {
            RetryError::NotFound => ApiError::not_found("没有这条消息。/ No such message."),
            RetryError::NotFailed => ApiError::new(
                actix_web::http::StatusCode::CONFLICT,
                desk_shared::ErrorCode::NotFailed,
                "只有发送失败的消息可以重试。/ Only a failed message can be retried.",
            ),
            RetryError::Database(e) => e.into(),
        })?;
    tracing::info!(id = %id, by = %member.0.user_id, "failed message queued again");
    Ok(HttpResponse::NoContent().finish())
}

/// `GET /api/admin/checks`: `wecom-desk doctor`'s checklist, run now by the server
/// (each run is in the audit log: it asks WeCom for a token and both tickets).
#[utoipa::path(
    get,
    path = "/api/admin/checks",
    operation_id = "runChecks",
    summary = "Run the deployment checks",
    tag = "admin",
    security(("session_cookie" = [])),
    description = "Admins only (`server.admin_userids`). Runs the deployment checks \
        (credentials, both tickets, app permissions, callback settings) at most every 30 s; \
        in between the last report is answered. Each run is in the audit log.",
    responses(
        (status = 200, description = "Every check, how it went and what fixes a failure.", body = DeploymentChecks),
        (status = 401, description = "`not_logged_in`: no session.", body = desk_shared::ApiError),
        (status = 403, description = "`admin_only`: the member is not an admin.", body = desk_shared::ApiError),
    )
)]
async fn checks(
    Admin(member): Admin,
    state: web::Data<AdminState>,
    db: web::Data<crate::db::Db>,
) -> Result<HttpResponse, ApiError> {
    // One run at a time; a report younger than CHECKS_EVERY is answered again.
    let mut last = state.last_checks.lock().await;
    if let Some((at, report)) = last.as_ref() {
        if at.elapsed() < CHECKS_EVERY {
            return Ok(HttpResponse::Ok().json(report));
        }
    }
    let report = run_checks(&state.settings, &member).await;
    let mut tx = db.begin().await?;
    crate::audit::record(
        &mut tx,
        &member.0.user_id,
        "checks.run",
        "deployment",
        serde_json::json!({ "passed": report.passed }),
    )
    .await?;
    tx.commit().await?;
    *last = Some((Instant::now(), report.clone()));
    Ok(HttpResponse::Ok().json(report))
}

async fn run_checks(settings: &Settings, member: &Member) -> DeploymentChecks {
    let report = doctor::run(settings).await;
    tracing::info!(by = %member.0.user_id, passed = report.passed(), "deployment checks run");
    let checks = report
        .checks
        .iter()
        .map(|c| {
            let (status, detail, fix) = match &c.outcome {
                Outcome::Pass(detail) => ("pass", detail.clone(), None),
                Outcome::Fail { why, fix } => ("fail", why.clone(), Some(fix.clone())),
                Outcome::Skipped(because) => ("skipped", because.to_string(), None),
            };
            DeploymentCheck {
                title: c.title.to_string(),
                status: status.into(),
                detail,
                fix,
            }
        })
        .collect();
    DeploymentChecks {
        passed: report.passed(),
        checks,
    }
}
