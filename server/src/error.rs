//! The one error type handlers return: a status, a stable code and a sentence for
//! people (Chinese, then English). Its JSON body is `desk_shared::ApiError`. Each
//! capability has its own error enum (`OrdersError`, `SignatureError`, …) that turns
//! into this one; the details an admin needs go to the log where that happens.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
pub use desk_shared::ErrorCode;

/// What a caller reads when something broke on our side.
pub const INTERNAL_MESSAGE: &str =
    "服务器内部错误，请稍后重试；若持续出现请联系管理员。/ Internal error, please retry later.";

/// What a member reads when WeCom (or the work waiting on it) was too slow.
pub use desk_wecom::WECOM_TIMEOUT_MESSAGE;

/// An error answer: `{code, message}` with a proper status.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{status} {code}: {message}")]
pub struct ApiError {
    pub status: StatusCode,
    pub code: ErrorCode,
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
        }
    }

    pub fn bad_request(code: ErrorCode, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    /// 400 `invalid_field`, naming the field and why (the one wording for every field).
    pub fn invalid_field(field: &str, why: &str) -> Self {
        Self::bad_request(
            ErrorCode::InvalidField,
            format!("{field}：{why} / {field} is invalid: {why}"),
        )
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, ErrorCode::NotFound, message)
    }

    /// The request's deadline passed while it waited on WeCom (or on another
    /// instance's work with WeCom): 504.
    pub fn wecom_timeout() -> Self {
        Self::new(
            StatusCode::GATEWAY_TIMEOUT,
            ErrorCode::WecomTimeout,
            WECOM_TIMEOUT_MESSAGE,
        )
    }

    /// Something on our side broke; the details go to the log, not to the caller.
    pub fn internal(err: impl std::fmt::Display) -> Self {
        tracing::error!(error = %err, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::Internal,
            INTERNAL_MESSAGE,
        )
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        HttpResponse::build(self.status).json(desk_shared::ApiError {
            code: self.code,
            message: self.message.clone(),
        })
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
            ErrorCode::BodyTooLarge,
            "请求体过大。/ Request body is too large.",
        ),
        E::ContentType => ApiError::bad_request(
            ErrorCode::BadContentType,
            "请求须为 JSON（Content-Type: application/json）。/ The body must be JSON (Content-Type: application/json).",
        ),
        other => ApiError::bad_request(
            ErrorCode::BadJson,
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
        ErrorCode::BadQuery,
        format!("查询参数有误：{err}。/ Bad query parameters: {err}."),
    )
    .into()
}
