//! Everything that talks to WeCom or speaks its protocols: the API client with its
//! token/ticket caches, the shapes of its answers, its errcodes, callback crypto and
//! JS-SDK signing.

pub mod cache;
pub mod client;
pub mod handover;
mod media;
pub mod store;
mod storevisit;
mod transport;

// WeCom's protocol is its own crate (server/wecom), shared with the simulator.
pub use desk_wecom::handover::{HandoverKind, Outcome, Takeover};
pub use desk_wecom::{crypto, errors, explain, jssdk, types};

use actix_web::http::StatusCode;
pub use client::{RetryPolicy, WeComClient};

use crate::error::{ApiError, ErrorCode};

pub use desk_wecom::{AdminDetail, Explanation, WeComError, WeComErrorKind, RATE_LIMIT_WAIT};

/// A WeCom failure no capability had a better answer for: 504 when the deadline
/// passed, else 502; the member reads what to do, the log gets the errcode and fix.
impl From<WeComError> for ApiError {
    fn from(err: WeComError) -> Self {
        let kind = err.kind();
        let detail = err.admin_detail();
        tracing::warn!(
            ?kind,
            errcode = detail.errcode,
            why = %detail.why,
            fix = %detail.fix,
            error = %err,
            "WeCom call failed"
        );
        let (status, code) = match kind {
            WeComErrorKind::Timeout => (StatusCode::GATEWAY_TIMEOUT, ErrorCode::WecomTimeout),
            WeComErrorKind::RateLimited => {
                (StatusCode::SERVICE_UNAVAILABLE, ErrorCode::WecomRateLimited)
            }
            WeComErrorKind::NotInAppRange => (StatusCode::FORBIDDEN, ErrorCode::NotInAppRange),
            WeComErrorKind::CustomerApiForbidden => {
                (StatusCode::FORBIDDEN, ErrorCode::CustomerApiForbidden)
            }
            _ => (StatusCode::BAD_GATEWAY, ErrorCode::WecomFailed),
        };
        Self::new(status, code, err.member_message())
    }
}
