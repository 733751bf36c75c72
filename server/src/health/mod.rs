//! `GET /healthz`: 200 when the database answers.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use desk_shared::Health;

use crate::error::{ApiError, ErrorCode};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/healthz").get(healthz));
}

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
    }))
}
