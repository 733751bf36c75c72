//! The stable machine codes of error answers (`{code, message}`), one enum for the
//! server that answers them and the H5 that acts on them.

use serde::{Deserialize, Serialize};

/// What went wrong, as the `code` of an error answer. On the wire each variant is its
/// snake_case name (`GroupExists` is `"group_exists"`); integrators match on these
/// strings, so a variant is never renamed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    // ---- the request itself -------------------------------------------------------
    /// A request refused for no more specific reason.
    BadRequest,
    /// The body is not valid JSON, or not the expected shape.
    BadJson,
    /// The body is not `Content-Type: application/json`.
    BadContentType,
    /// The query string could not be read.
    BadQuery,
    /// The path's percent-encoding is not UTF-8.
    BadPath,
    /// The body is over the size limit.
    BodyTooLarge,
    /// The request line is over the size limit.
    UriTooLong,
    /// The headers are over the size limit.
    HeadersTooLarge,
    /// The body was compressed (`Content-Encoding`).
    UnsupportedContentEncoding,
    /// The body's media type is not accepted.
    UnsupportedMediaType,
    /// The method is not one this path serves.
    MethodNotAllowed,
    /// The client took too long to send the request.
    RequestTimeout,
    /// Too many requests of this kind from this member just now: wait a minute.
    TooManyRequests,
    /// No such API, or no such record.
    NotFound,
    /// An error status no handler described more precisely.
    HttpError,

    // ---- who asks -----------------------------------------------------------------
    /// No session: the member must log in through WeCom.
    NotLoggedIn,
    /// The business system's `Authorization: Bearer` key is missing or wrong.
    BadApiKey,
    /// Not allowed, for no more specific reason.
    Forbidden,
    /// Only members in `server.admin_userids` may do this.
    AdminOnly,
    /// `/metrics` was asked from an address not in `metrics.allow`, without the
    /// `metrics.token`.
    MetricsForbidden,
    /// The member is not in the app's visible range (WeCom 60011): an admin adds them.
    NotInAppRange,
    /// The app may not call WeCom's customer APIs (48002): an admin adds it under
    /// 客户联系 → 可调用接口的应用, and gives the member 客户联系 permission.
    CustomerApiForbidden,

    // ---- JS-SDK signatures --------------------------------------------------------
    /// The page URL is not an http(s) URL that may be signed.
    BadUrl,
    /// The page URL's origin is not in `server.allowed_origins`.
    OriginNotAllowed,

    // ---- orders and their groups --------------------------------------------------
    /// A field of the request is missing, too long or not allowed; the message names it.
    InvalidField,
    /// The member is neither the order's designer nor its project manager.
    NotYourOrder,
    /// The chat exists but is not a customer group.
    NotCustomerGroup,
    /// WeCom has no such chat.
    ChatNotFound,
    /// The group is not one this order may take (wrong designer or customer).
    GroupNotForOrder,
    /// The order already has a group, or the group belongs to another order.
    GroupExists,
    /// Neither the server nor the business system has this order.
    OrderNotFound,
    /// The business system could not be asked for the order (down, or an error).
    OrderSourceFailed,
    /// The business system did not answer in time.
    OrderSourceTimeout,
    /// The business system's answer is not a valid order; the message names the field.
    OrderSourceInvalid,

    // ---- the sidebar --------------------------------------------------------------
    /// The member does not follow this customer (or WeCom has no such customer).
    NotYourCustomer,
    /// The member is neither in this group nor on the order it serves.
    NotYourGroup,

    // ---- join QR codes and staff groups -------------------------------------------
    /// No free group is left in the pool: an admin registers more.
    PoolEmpty,
    /// The order is closed: no join QR code for it.
    OrderClosed,

    // ---- the messages bridge ------------------------------------------------------
    /// No robot of that name in `robot.webhook_urls` (or none configured).
    UnknownRobot,
    /// No member is bound to that business staff id.
    UnknownStaff,
    /// WeCom has no member with that UserID.
    UnknownMember,
    /// The member is bound to another staff id already.
    MemberAlreadyBound,
    /// Only a failed notification can be tried again.
    NotFailed,
    /// The `Idempotency-Key` was used before for a different notification.
    IdempotencyKeyReused,

    // ---- handover -----------------------------------------------------------------
    /// A handover from this member is still under way (items pending or scheduled).
    HandoverRunning,
    /// The member left the company: their sessions ended and they cannot log in.
    MemberLeft,

    // ---- WeCom callbacks ----------------------------------------------------------
    /// `callback.token` / `callback.encoding_aes_key` are not configured.
    CallbackNotConfigured,
    /// The callback's `timestamp` is too far from now.
    StaleTimestamp,
    /// The callback's `msg_signature` does not match.
    BadSignature,
    /// The callback could not be read or decrypted.
    BadCallback,
    /// The callback inbox's queue is full: the delivery was not stored; WeCom sends it
    /// again (503).
    InboxFull,

    // ---- our side and WeCom's -----------------------------------------------------
    /// WeCom answered with an error, or could not be reached.
    WecomFailed,
    /// WeCom did not answer within the request's deadline.
    WecomTimeout,
    /// WeCom's rate limit for the call was reached (errcode 45009): try again in a
    /// minute; the server did not retry.
    WecomRateLimited,
    /// The database does not answer.
    DatabaseUnavailable,
    /// Something broke on the server; the details are in its log.
    Internal,

    /// A code this build does not know (from a newer server). Only ever read, never
    /// answered.
    #[serde(other)]
    Unknown,
}

impl ErrorCode {
    /// Every code, `Unknown` last.
    pub const ALL: [ErrorCode; 57] = [
        Self::BadRequest,
        Self::BadJson,
        Self::BadContentType,
        Self::BadQuery,
        Self::BadPath,
        Self::BodyTooLarge,
        Self::UriTooLong,
        Self::HeadersTooLarge,
        Self::UnsupportedContentEncoding,
        Self::UnsupportedMediaType,
        Self::MethodNotAllowed,
        Self::RequestTimeout,
        Self::TooManyRequests,
        Self::NotFound,
        Self::HttpError,
        Self::NotLoggedIn,
        Self::BadApiKey,
        Self::Forbidden,
        Self::AdminOnly,
        Self::MetricsForbidden,
        Self::NotInAppRange,
        Self::CustomerApiForbidden,
        Self::BadUrl,
        Self::OriginNotAllowed,
        Self::InvalidField,
        Self::NotYourOrder,
        Self::NotCustomerGroup,
        Self::ChatNotFound,
        Self::GroupNotForOrder,
        Self::GroupExists,
        Self::OrderNotFound,
        Self::OrderSourceFailed,
        Self::OrderSourceTimeout,
        Self::OrderSourceInvalid,
        Self::NotYourCustomer,
        Self::NotYourGroup,
        Self::PoolEmpty,
        Self::OrderClosed,
        Self::UnknownRobot,
        Self::UnknownStaff,
        Self::UnknownMember,
        Self::MemberAlreadyBound,
        Self::NotFailed,
        Self::IdempotencyKeyReused,
        Self::HandoverRunning,
        Self::MemberLeft,
        Self::CallbackNotConfigured,
        Self::StaleTimestamp,
        Self::BadSignature,
        Self::BadCallback,
        Self::InboxFull,
        Self::WecomFailed,
        Self::WecomTimeout,
        Self::WecomRateLimited,
        Self::DatabaseUnavailable,
        Self::Internal,
        Self::Unknown,
    ];

    /// The code as it is on the wire (what serde writes).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::BadRequest => "bad_request",
            Self::BadJson => "bad_json",
            Self::BadContentType => "bad_content_type",
            Self::BadQuery => "bad_query",
            Self::BadPath => "bad_path",
            Self::BodyTooLarge => "body_too_large",
            Self::UriTooLong => "uri_too_long",
            Self::HeadersTooLarge => "headers_too_large",
            Self::UnsupportedContentEncoding => "unsupported_content_encoding",
            Self::UnsupportedMediaType => "unsupported_media_type",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::RequestTimeout => "request_timeout",
            Self::TooManyRequests => "too_many_requests",
            Self::NotFound => "not_found",
            Self::HttpError => "http_error",
            Self::NotLoggedIn => "not_logged_in",
            Self::BadApiKey => "bad_api_key",
            Self::Forbidden => "forbidden",
            Self::AdminOnly => "admin_only",
            Self::MetricsForbidden => "metrics_forbidden",
            Self::NotInAppRange => "not_in_app_range",
            Self::CustomerApiForbidden => "customer_api_forbidden",
            Self::BadUrl => "bad_url",
            Self::OriginNotAllowed => "origin_not_allowed",
            Self::InvalidField => "invalid_field",
            Self::NotYourOrder => "not_your_order",
            Self::NotCustomerGroup => "not_customer_group",
            Self::ChatNotFound => "chat_not_found",
            Self::GroupNotForOrder => "group_not_for_order",
            Self::GroupExists => "group_exists",
            Self::OrderNotFound => "order_not_found",
            Self::OrderSourceFailed => "order_source_failed",
            Self::OrderSourceTimeout => "order_source_timeout",
            Self::OrderSourceInvalid => "order_source_invalid",
            Self::NotYourCustomer => "not_your_customer",
            Self::NotYourGroup => "not_your_group",
            Self::PoolEmpty => "pool_empty",
            Self::OrderClosed => "order_closed",
            Self::UnknownRobot => "unknown_robot",
            Self::UnknownStaff => "unknown_staff",
            Self::UnknownMember => "unknown_member",
            Self::MemberAlreadyBound => "member_already_bound",
            Self::NotFailed => "not_failed",
            Self::IdempotencyKeyReused => "idempotency_key_reused",
            Self::HandoverRunning => "handover_running",
            Self::MemberLeft => "member_left",
            Self::CallbackNotConfigured => "callback_not_configured",
            Self::StaleTimestamp => "stale_timestamp",
            Self::BadSignature => "bad_signature",
            Self::BadCallback => "bad_callback",
            Self::InboxFull => "inbox_full",
            Self::WecomFailed => "wecom_failed",
            Self::WecomTimeout => "wecom_timeout",
            Self::WecomRateLimited => "wecom_rate_limited",
            Self::DatabaseUnavailable => "database_unavailable",
            Self::Internal => "internal",
            Self::Unknown => "unknown",
        }
    }

    /// True only for `Unknown`: the answer named no code this build knows. (Keeps
    /// `!code.is_empty()`, written when the code was a `String`, meaning "the
    /// answer named a code".)
    pub const fn is_empty(self) -> bool {
        matches!(self, Self::Unknown)
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Compares with the wire string, so black-box tests can assert the contract
/// (`assert_eq!(body.code, "group_exists")`).
impl PartialEq<&str> for ErrorCode {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<str> for ErrorCode {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_is_its_snake_case_string_on_the_wire_and_reads_back() {
        for code in ErrorCode::ALL {
            let json = serde_json::to_string(&code).expect("serialise");
            assert_eq!(json, format!("\"{}\"", code.as_str()), "{code:?}");
            let back: ErrorCode = serde_json::from_str(&json).expect("deserialise");
            assert_eq!(back, code);
        }
    }

    #[test]
    fn the_codes_answered_before_the_enum_keep_their_strings() {
        let wire = |c: ErrorCode| serde_json::to_value(c).expect("serialise");
        assert_eq!(wire(ErrorCode::WecomFailed), "wecom_failed");
        assert_eq!(wire(ErrorCode::WecomTimeout), "wecom_timeout");
        assert_eq!(wire(ErrorCode::GroupExists), "group_exists");
        assert_eq!(wire(ErrorCode::BadApiKey), "bad_api_key");
        assert_eq!(
            wire(ErrorCode::UnsupportedContentEncoding),
            "unsupported_content_encoding"
        );
    }

    #[test]
    fn a_code_from_a_newer_server_reads_as_unknown() {
        let e: crate::ApiError =
            serde_json::from_str(r#"{"code":"pool_drained","message":"群池空了"}"#)
                .expect("an unknown code still reads");
        assert_eq!(e.code, ErrorCode::Unknown);
        assert_eq!(e.message, "群池空了");
    }

    #[test]
    fn an_error_body_is_byte_for_byte_what_it_was() {
        let e = crate::ApiError {
            code: ErrorCode::NotYourOrder,
            message: "这不是你的订单".into(),
        };
        assert_eq!(
            serde_json::to_string(&e).expect("serialise"),
            r#"{"code":"not_your_order","message":"这不是你的订单"}"#
        );
    }
}
