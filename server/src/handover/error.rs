//! Why a handover request was refused, and the answer each reason gets.

use actix_web::http::StatusCode;

use crate::error::{ApiError, ErrorCode};
use crate::wecom::WeComError;

#[derive(Debug, thiserror::Error)]
pub enum HandoverError {
    /// A field of the request is wrong; nothing was sent to WeCom.
    #[error("{field}: {why}")]
    InvalidField { field: &'static str, why: String },
    /// A handover from this member is still under way.
    #[error("a handover from this member is still under way")]
    Running,
    #[error("no such handover")]
    NotFound,
    #[error(transparent)]
    WeCom(#[from] WeComError),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

pub fn invalid(field: &'static str, why: impl Into<String>) -> HandoverError {
    HandoverError::InvalidField {
        field,
        why: why.into(),
    }
}

impl From<HandoverError> for ApiError {
    fn from(e: HandoverError) -> Self {
        match e {
            HandoverError::InvalidField { field, why } => ApiError::invalid_field(field, &why),
            HandoverError::Running => ApiError::new(
                StatusCode::CONFLICT,
                ErrorCode::HandoverRunning,
                "这位成员的上一次交接还没有结束：等它完成（或在交接页查看还差什么）再开始新的。/ A handover from this member is still under way.",
            ),
            HandoverError::NotFound => ApiError::not_found("没有这次交接。/ No such handover."),
            HandoverError::WeCom(e) => e.into(),
            HandoverError::Database(e) => e.into(),
        }
    }
}
