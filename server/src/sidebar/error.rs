//! Why a sidebar request was refused, and the answer each reason gets.

use actix_web::http::StatusCode;

use crate::error::{ApiError, ErrorCode};
use crate::orders;
use crate::wecom::WeComError;

/// Why a sidebar request was refused.
#[derive(Debug, thiserror::Error)]
pub enum SidebarError {
    #[error("the member does not follow this customer")]
    NotYourCustomer,
    #[error("the member is neither in this group nor on its order")]
    NotYourGroup,
    #[error("the order's group is gone from WeCom")]
    GroupGone,
    #[error("too many WeCom look-ups from this member this minute")]
    TooMany,
    #[error(transparent)]
    Orders(#[from] orders::OrdersError),
    #[error(transparent)]
    WeCom(#[from] WeComError),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

impl From<crate::lease::TurnError> for SidebarError {
    fn from(e: crate::lease::TurnError) -> Self {
        match e {
            crate::lease::TurnError::Database(e) => Self::Database(e),
            crate::lease::TurnError::Timeout => Self::WeCom(WeComError::Timeout),
        }
    }
}

impl From<SidebarError> for ApiError {
    fn from(e: SidebarError) -> Self {
        match e {
            SidebarError::NotYourCustomer => ApiError::new(
                StatusCode::FORBIDDEN,
                ErrorCode::NotYourCustomer,
                "这不是你的客户：只有添加了这位客户的成员才能查看。/ Only members who added this customer may see them.",
            ),
            SidebarError::NotYourGroup => ApiError::new(
                StatusCode::FORBIDDEN,
                ErrorCode::NotYourGroup,
                "你不在这个群里，也不是它所属订单的设计师或项目经理。/ You are neither in this group nor on its order.",
            ),
            SidebarError::GroupGone => ApiError::new(
                StatusCode::NOT_FOUND,
                ErrorCode::ChatNotFound,
                "订单的客户群在企业微信里已不存在（可能已解散），请联系管理员处理。/ The order's group is gone from WeCom.",
            ),
            SidebarError::TooMany => ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                ErrorCode::TooManyRequests,
                "一分钟内查看的客户和群太多了，请稍等一分钟再试。/ Too many look-ups this minute; wait a minute.",
            ),
            SidebarError::Orders(e) => e.into(),
            SidebarError::WeCom(e) => e.into(),
            SidebarError::Database(e) => e.into(),
        }
    }
}

impl SidebarError {
    /// Whether WeCom's rate limit (45009) is why: work meeting it waits a whole window.
    pub fn is_rate_limited(&self) -> bool {
        match self {
            Self::WeCom(e) => e.is_rate_limited(),
            Self::Orders(e) => e.is_rate_limited(),
            _ => false,
        }
    }
}
