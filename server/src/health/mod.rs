//! `GET /healthz`: 200 when the database answers, with the release and commit.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use desk_shared::Health;

use crate::error::{ApiError, ErrorCode};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/healthz").get(healthz));
}

/// This capability's operations in `/api/openapi.json`.
#[derive(utoipa::OpenApi)]
#[openapi(paths(healthz))]
pub struct Api;

/// Whether the server and its database answer (for load balancers and probes).
#[utoipa::path(
    get,
    path = "/healthz",
    operation_id = "health",
    summary = "Is the server up (and its database)",
    tag = "health",
    responses(
        (status = 200, description = "The server and its database answer; which release and commit it runs.", body = Health),
        (status = 503, description = "`database_unavailable`: the database does not answer.", body = desk_shared::ApiError),
    )
)]
async fn healthz(db: web::Data<crate::db::Db>) -> Result<HttpResponse, ApiError> {
    crate::db::ping(&db).await.map_err(|e| {
        tracing::error!(error = %e, "health check: database unavailable");
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::DatabaseUnavailable,
            "数据库不可用。/ The database is unavailable.",
        )
    })?;
    Ok(HttpResponse::Ok().json(Health {
        status: "ok".into(),
        version: crate::version::VERSION.into(),
        commit: crate::version::COMMIT_STATE.into(),
    }))
}
