//! The one error type handlers return: a status, a stable code and a sentence for
//! people (Chinese, then English). Its JSON body is `desk_shared::ApiError`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};

use crate::wecom::WeComError;

/// An error answer: `{code, message}` with a proper status.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{status} {code}: {message}")]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
        }
    }

    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    /// Something on our side broke; the details go to the log, not to the caller.
    pub fn internal(err: impl std::fmt::Display) -> Self {
        tracing::error!(error = %err, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "服务器内部错误，请稍后重试；若持续出现请联系管理员。/ Internal error, please retry later.",
        )
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        HttpResponse::build(self.status).json(desk_shared::ApiError {
            code: self.code.to_string(),
            message: self.message.clone(),
        })
    }
}

impl From<WeComError> for ApiError {
    fn from(err: WeComError) -> Self {
        tracing::warn!(error = %err, "WeCom call failed");
        match err {
            WeComError::Timeout => Self::new(
                StatusCode::GATEWAY_TIMEOUT,
                "wecom_timeout",
                err.human_message(),
            ),
            _ => Self::new(StatusCode::BAD_GATEWAY, "wecom_failed", err.human_message()),
        }
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(err: sqlx::Error) -> Self {
        Self::internal(err)
    }
}

/// Turns actix's JSON extractor failures into our `{code, message}` answers:
/// 413 for a body over the limit, 400 for anything malformed.
pub fn json_error(err: actix_web::error::JsonPayloadError) -> actix_web::Error {
    use actix_web::error::JsonPayloadError as E;
    let api = match &err {
        E::OverflowKnownLength { .. } | E::Overflow { .. } => ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
            "请求体过大。/ Request body is too large.",
        ),
        E::ContentType => ApiError::bad_request(
            "bad_content_type",
            "请求须为 JSON（Content-Type: application/json）。/ The body must be JSON (Content-Type: application/json).",
        ),
        other => ApiError::bad_request(
            "bad_json",
            format!("请求体不是有效的 JSON：{other}。/ The body is not valid JSON: {other}."),
        ),
    };
    api.into()
}

/// Query-string extractor failures as `{code, message}`.
pub fn query_error(
    err: actix_web::error::QueryPayloadError,
    _req: &actix_web::HttpRequest,
) -> actix_web::Error {
    ApiError::bad_request(
        "bad_query",
        format!("查询参数有误：{err}。/ Bad query parameters: {err}."),
    )
    .into()
}
