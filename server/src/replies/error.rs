//! Why a quick-reply request was refused, and the answer each reason gets.

use actix_web::http::StatusCode;

use super::MAX_REPLIES;
use crate::error::{ApiError, ErrorCode};

#[derive(Debug, thiserror::Error)]
pub enum RepliesError {
    /// A field of the request is wrong; nothing was stored.
    #[error("{field}: {why}")]
    InvalidField { field: &'static str, why: String },
    /// No reply has this id (never had, or an admin deleted it).
    #[error("no such reply")]
    NotFound,
    /// There are `MAX_REPLIES` replies already.
    #[error("at most {MAX_REPLIES} replies")]
    Full,
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

pub fn invalid(field: &'static str, why: impl Into<String>) -> RepliesError {
    RepliesError::InvalidField {
        field,
        why: why.into(),
    }
}

impl From<RepliesError> for ApiError {
    fn from(e: RepliesError) -> Self {
        match e {
            RepliesError::InvalidField { field, why } => ApiError::invalid_field(field, &why),
            RepliesError::NotFound => ApiError::not_found(
                "没有这条话术（可能已被管理员删除），请刷新后再试。/ No such quick reply: it may have been deleted; reload.",
            ),
            RepliesError::Full => ApiError::new(
                StatusCode::CONFLICT,
                ErrorCode::BadRequest,
                format!(
                    "话术最多 {MAX_REPLIES} 条，已经满了：请先删掉不再用的话术。/ There are {MAX_REPLIES} quick replies already, the most kept: delete one first."
                ),
            ),
            RepliesError::Database(e) => e.into(),
        }
    }
}
