//! Why a callback is refused, and how WeCom is answered then.

use actix_web::http::StatusCode;

use super::inbox;
use crate::error::{ApiError, ErrorCode};
use crate::wecom::crypto::CryptoError;

/// Why a callback was refused.
#[derive(Debug, thiserror::Error)]
pub enum CallbackError {
    #[error("callback.token / callback.encoding_aes_key are not configured")]
    NotConfigured,
    #[error("the callback timestamp {given:?} is more than {skew} s from now")]
    StaleTimestamp { given: String, skew: i64 },
    #[error("msg_signature does not match")]
    BadSignature,
    #[error("the callback could not be decrypted: {0}")]
    Undecryptable(CryptoError),
    #[error("the callback body is not UTF-8")]
    NotUtf8,
    #[error("the callback XML could not be parsed: {0}")]
    BadEnvelope(quick_xml::DeError),
    #[error("the decrypted callback is not the expected XML: {0}")]
    BadPlaintext(quick_xml::DeError),
    #[error("the callback body is over {BODY_LIMIT} bytes")]
    TooLarge,
    #[error("the callback body could not be read: {0}")]
    Unreadable(actix_web::Error),
    #[error("the callback body did not arrive within {} s", BODY_WAIT.as_secs())]
    SlowBody,
}

/// How long a callback's body may take to arrive once it has a place in the inbox
/// (WeCom's come at once; a client that holds its place by sending nothing does not).
pub(super) const BODY_WAIT: std::time::Duration = std::time::Duration::from_secs(10);
/// The largest callback body read (WeCom's are a few kB).
pub(super) const BODY_LIMIT: usize = 1 << 20;

impl From<CryptoError> for CallbackError {
    fn from(err: CryptoError) -> Self {
        match err {
            CryptoError::BadSignature => Self::BadSignature,
            other => Self::Undecryptable(other),
        }
    }
}

impl CallbackError {
    /// The `reason` label of `callbacks_rejected_total`.
    fn reason(&self) -> &'static str {
        match self {
            Self::NotConfigured => "not_configured",
            Self::StaleTimestamp { .. } => "stale_timestamp",
            Self::BadSignature => "bad_signature",
            Self::Undecryptable(_) => "undecryptable",
            Self::NotUtf8 | Self::BadEnvelope(_) | Self::Unreadable(_) => "bad_body",
            Self::TooLarge => "too_large",
            Self::SlowBody => "slow_body",
            Self::BadPlaintext(_) => "bad_plaintext",
        }
    }
}

impl From<CallbackError> for ApiError {
    fn from(err: CallbackError) -> Self {
        tracing::warn!(error = %err, "callback rejected");
        crate::metrics::callback_rejected(err.reason());
        match err {
            CallbackError::NotConfigured => ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                ErrorCode::CallbackNotConfigured,
                "未配置回调（callback.token / callback.encoding_aes_key）。/ Callback is not configured.",
            ),
            CallbackError::StaleTimestamp { skew, .. } => ApiError::new(
                StatusCode::FORBIDDEN,
                ErrorCode::StaleTimestamp,
                format!("回调的 timestamp 与当前时间相差超过 {skew} 秒。/ The callback timestamp is too far from now."),
            ),
            CallbackError::BadSignature => ApiError::new(
                StatusCode::FORBIDDEN,
                ErrorCode::BadSignature,
                "回调签名不正确。/ msg_signature does not match.",
            ),
            CallbackError::Undecryptable(other) => ApiError::bad_request(
                ErrorCode::BadCallback,
                format!("回调内容无法解密：{other}。/ The callback could not be decrypted: {other}."),
            ),
            CallbackError::TooLarge => ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                ErrorCode::BodyTooLarge,
                format!("回调内容过大（最多 {BODY_LIMIT} 字节）。/ The callback body is too large."),
            ),
            CallbackError::SlowBody => ApiError::new(
                StatusCode::REQUEST_TIMEOUT,
                ErrorCode::RequestTimeout,
                "回调内容未及时送达。/ The callback body did not arrive in time.",
            ),
            CallbackError::Unreadable(e) => ApiError::bad_request(
                ErrorCode::BadCallback,
                format!("回调内容读取失败：{e}。/ The callback body could not be read: {e}."),
            ),
            CallbackError::NotUtf8 => ApiError::bad_request(
                ErrorCode::BadCallback,
                "回调内容不是 UTF-8。/ Body is not UTF-8.",
            ),
            CallbackError::BadEnvelope(e) => ApiError::bad_request(
                ErrorCode::BadCallback,
                format!("回调 XML 无法解析：{e}。/ Callback XML could not be parsed: {e}."),
            ),
            CallbackError::BadPlaintext(_) => ApiError::bad_request(
                ErrorCode::BadCallback,
                "回调明文不是预期的 XML。/ The decrypted callback is not the expected XML.",
            ),
        }
    }
}

/// Why a delivery was not stored, as WeCom is answered (it sends it again).
pub(super) fn not_stored(e: inbox::NotStored) -> ApiError {
    match e {
        inbox::NotStored::Full => {
            crate::metrics::callback_rejected("inbox_full");
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                ErrorCode::InboxFull,
                "回调队列已满，请稍后重发。/ The callback inbox is full; send it again shortly.",
            )
        }
        e => {
            crate::metrics::callback_rejected("not_stored");
            ApiError::internal(e)
        }
    }
}
