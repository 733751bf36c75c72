//! Why an orders request was refused, and the answer each reason gets.

use actix_web::http::StatusCode;

use super::source;
use crate::contacts::MirrorError;
use crate::error::{ApiError, ErrorCode};
use crate::wecom::WeComError;

impl From<MirrorError> for ApiError {
    fn from(e: MirrorError) -> Self {
        match e {
            MirrorError::WeCom(e) => e.into(),
            MirrorError::Database(e) => e.into(),
            MirrorError::Interrupted(why) => ApiError::internal(why),
        }
    }
}

/// Why an orders request was refused.
#[derive(Debug, thiserror::Error)]
pub enum OrdersError {
    /// The field is named as the JSON names it; `why` is Chinese.
    #[error("{field} is invalid: {why}")]
    InvalidField { field: &'static str, why: String },
    #[error("no such order")]
    NotFound,
    #[error("too many orders asked of the business system by this member this minute")]
    TooMany,
    #[error("the member is neither the order's designer nor its project manager")]
    NotYourOrder,
    #[error("the chat is not a customer group")]
    NotCustomerGroup,
    #[error("WeCom has no such chat")]
    ChatNotFound,
    #[error("the group cannot be order {order}'s: {why}")]
    GroupNotForOrder { order: String, why: String },
    #[error("the order already has a group, or the group is another order's")]
    GroupExists,
    #[error("order source: {0}")]
    Source(#[from] source::PullError),
    #[error(transparent)]
    WeCom(#[from] WeComError),
    #[error(transparent)]
    Mirror(#[from] MirrorError),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl OrdersError {
    /// Whether WeCom's rate limit (45009) is why: work meeting it waits a whole window.
    pub fn is_rate_limited(&self) -> bool {
        match self {
            Self::WeCom(e) | Self::Mirror(MirrorError::WeCom(e)) => e.is_rate_limited(),
            _ => false,
        }
    }
}

impl From<sqlx::Error> for OrdersError {
    fn from(e: sqlx::Error) -> Self {
        Self::Unexpected(anyhow::Error::new(e).context("orders database"))
    }
}

impl From<OrdersError> for ApiError {
    fn from(e: OrdersError) -> Self {
        match e {
            OrdersError::InvalidField { field, why } => ApiError::invalid_field(field, &why),
            OrdersError::NotFound => ApiError::new(
                StatusCode::NOT_FOUND,
                ErrorCode::OrderNotFound,
                "订单不存在：请确认订单号，或在业务系统里查看这个订单。/ No such order.",
            ),
            OrdersError::TooMany => ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                ErrorCode::TooManyRequests,
                "一分钟内打开的订单太多了，请稍等一分钟再试。/ Too many orders opened this minute; wait a minute.",
            ),
            OrdersError::Source(e) => {
                tracing::warn!(error = %e, "order source failed");
                match e {
                    source::PullError::Timeout => ApiError::new(
                        StatusCode::GATEWAY_TIMEOUT,
                        ErrorCode::OrderSourceTimeout,
                        "业务系统响应太慢，没能取到这个订单，请稍后再打开。/ The business system did not answer in time.",
                    ),
                    source::PullError::Invalid { field, .. } => ApiError::new(
                        StatusCode::BAD_GATEWAY,
                        ErrorCode::OrderSourceInvalid,
                        match field {
                            Some(f) => format!("业务系统返回的订单有误（{f}），请联系管理员检查业务系统。/ The business system's order is invalid: {f}."),
                            None => "业务系统返回的不是有效的订单，请联系管理员检查业务系统。/ The business system's answer is not an order.".to_string(),
                        },
                    ),
                    source::PullError::Unreachable(_) | source::PullError::Status(_) => ApiError::new(
                        StatusCode::BAD_GATEWAY,
                        ErrorCode::OrderSourceFailed,
                        "暂时连不上业务系统，没能取到这个订单，请稍后再试；一直不行请联系管理员。/ The business system could not be asked for the order.",
                    ),
                }
            }
            OrdersError::NotYourOrder => ApiError::new(
                StatusCode::FORBIDDEN,
                ErrorCode::NotYourOrder,
                "这不是你的订单：只有订单的设计师和项目经理可以查看。/ Only the order's designer and project manager may see it.",
            ),
            OrdersError::NotCustomerGroup => ApiError::bad_request(
                ErrorCode::NotCustomerGroup,
                "这个群不是客户群，不能作为订单群。/ The chat is not a customer group.",
            ),
            OrdersError::ChatNotFound => ApiError::bad_request(
                ErrorCode::ChatNotFound,
                "企业微信里没有这个群。/ WeCom has no such group.",
            ),
            OrdersError::GroupNotForOrder { order, why } => ApiError::bad_request(
                ErrorCode::GroupNotForOrder,
                format!("这个群不能作为订单 {order} 的群：{why}"),
            ),
            OrdersError::GroupExists => ApiError::new(
                StatusCode::CONFLICT,
                ErrorCode::GroupExists,
                "这个订单已经有群了（或这个群已属于另一个订单），不会再建第二个。/ The order already has a group.",
            ),
            OrdersError::WeCom(e) => e.into(),
            OrdersError::Mirror(e) => e.into(),
            OrdersError::Unexpected(e) => ApiError::internal(format!("{e:#}")),
        }
    }
}

pub fn field_error(field: &'static str, why: impl Into<String>) -> OrdersError {
    OrdersError::InvalidField {
        field,
        why: why.into(),
    }
}
