//! What every request passes through before and after its handler: refusals that no
//! handler should have to think of (compressed bodies, paths that are not UTF-8,
//! oversized request lines and headers), the security headers of every answer, and
//! `{code, message}` JSON for every error under `/api/` and `/wecom/`, whoever made it.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::{HttpResponse, ResponseError};

use crate::error::{ApiError, ErrorCode};

/// Longest request target (path and query) served; actix's own limit is higher and
/// answers without a JSON body.
pub const MAX_URI_BYTES: usize = 8 * 1024;
/// Largest sum of header names and values served (actix itself stops at 32 KiB).
pub const MAX_HEADER_BYTES: usize = 16 * 1024;

/// The header that carries a request's id, in and out.
pub const REQUEST_ID: &str = "x-request-id";
/// Longest client-given request id taken as it is.
pub const MAX_REQUEST_ID_LEN: usize = 64;

/// The id of this request: the client's `X-Request-Id` when it is 1–64 characters of
/// `[A-Za-z0-9._-]` (so a proxy's id ties its log to ours), else 16 fresh hex
/// characters. Anything else is replaced, never cleaned: it goes into log lines.
pub fn request_id(req: &ServiceRequest) -> String {
    req.headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|id| is_well_formed_request_id(id))
        .map_or_else(|| format!("{:016x}", rand::random::<u64>()), String::from)
}

fn is_well_formed_request_id(id: &str) -> bool {
    (1..=MAX_REQUEST_ID_LEN).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// The app's own origin (`scheme://host[:port]` of `server.public_url`): the one
/// origin whose pages may change state through the session-cookie API.
#[derive(Debug, Clone)]
pub struct OwnOrigin(pub Option<String>);

impl OwnOrigin {
    pub fn of(public_url: &str) -> Self {
        Self(
            url::Url::parse(public_url)
                .ok()
                .map(|u| u.origin().ascii_serialization())
                .filter(|o| o != "null"),
        )
    }
}

/// How long one request may wait on WeCom in all (`wecom.request_deadline_secs`).
#[derive(Debug, Clone, Copy)]
pub struct RequestDeadline(pub std::time::Duration);

/// Refuses what must never reach a handler, bounds its waiting on WeCom, then dresses
/// the answer.
pub async fn guard(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    if let Some(refusal) = refusal(&req) {
        let (http_req, _) = req.into_parts();
        let res = ServiceResponse::new(http_req, refusal.error_response());
        return Ok(dress(res));
    }
    let deadline = req.app_data::<RequestDeadline>().copied();
    let res = match deadline {
        Some(RequestDeadline(budget)) => {
            crate::deadline::with_deadline(budget, next.call(req)).await?
        }
        None => next.call(req).await?,
    };
    Ok(dress(res.map_into_boxed_body()))
}

fn refusal(req: &ServiceRequest) -> Option<ApiError> {
    // Bodies are never compressed by WeCom or by the H5. Inflating them (actix would,
    // inside the extractors) lets a 1 MB upload cost a gigabyte before any limit.
    if let Some(enc) = req.headers().get(header::CONTENT_ENCODING) {
        let identity = enc
            .to_str()
            .is_ok_and(|v| v.trim().eq_ignore_ascii_case("identity"));
        if !identity {
            return Some(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                ErrorCode::UnsupportedContentEncoding,
                "请求体不能压缩（去掉 Content-Encoding）。/ Compressed request bodies are not accepted.",
            ));
        }
    }
    let target = req.uri().path_and_query().map_or(0, |pq| pq.as_str().len());
    if target > MAX_URI_BYTES {
        return Some(ApiError::new(
            StatusCode::URI_TOO_LONG,
            ErrorCode::UriTooLong,
            format!("请求地址过长（最多 {MAX_URI_BYTES} 字节）。/ The request URI is too long."),
        ));
    }
    let header_bytes: usize = req
        .headers()
        .iter()
        .map(|(k, v)| k.as_str().len() + v.len())
        .sum();
    if header_bytes > MAX_HEADER_BYTES {
        return Some(ApiError::new(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            ErrorCode::HeadersTooLarge,
            format!(
                "请求头过大（最多 {MAX_HEADER_BYTES} 字节）。/ The request headers are too large."
            ),
        ));
    }
    if let Some(refusal) = cross_site_refusal(req) {
        return Some(refusal);
    }
    // actix would percent-decode a non-UTF-8 path lossily, and a handler would then
    // act on an id nobody sent.
    let path = req.uri().path();
    if percent_encoding::percent_decode_str(path)
        .decode_utf8()
        .is_err()
    {
        return Some(ApiError::bad_request(
            ErrorCode::BadPath,
            "请求路径的百分号编码不是有效的 UTF-8。/ The path's percent-encoding is not valid UTF-8.",
        ));
    }
    None
}

/// Cross-site request forgery, refused whatever SameSite a webview honours: a
/// state-changing request with the session cookie must come from the app's own
/// origin when the browser says where it comes from (`Sec-Fetch-Site`, `Origin`),
/// and must carry JSON or `X-Desk-Request` (neither can be sent from another site
/// without a preflight).
fn cross_site_refusal(req: &ServiceRequest) -> Option<ApiError> {
    use actix_web::http::Method;
    // Every state-changing request that carries the session cookie, whatever its path:
    // the router decodes `%61pi` to `api`, so no path test may decide this. Without the
    // cookie there is nothing to forge (the API key's callers, WeCom's callbacks and a
    // cross-origin signature request send none).
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS)
        || req.cookie(crate::auth::SESSION_COOKIE).is_none()
    {
        return None;
    }
    let headers = req.headers();
    let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let foreign = || {
        ApiError::new(
            StatusCode::FORBIDDEN,
            ErrorCode::OriginNotAllowed,
            "这个请求来自别的网站，已拒绝：请在企业微信里打开本应用的页面操作。/ Cross-site requests are refused.",
        )
    };
    if let Some(site) = text("sec-fetch-site") {
        if !site.eq_ignore_ascii_case("same-origin") {
            return Some(foreign());
        }
    }
    if let Some(origin) = headers.get(header::ORIGIN) {
        let own = req.app_data::<OwnOrigin>().and_then(|o| o.0.as_deref());
        let host = req.connection_info().host().to_ascii_lowercase();
        let same = origin.to_str().ok().is_some_and(|o| {
            Some(o) == own
                || url::Url::parse(o).is_ok_and(|u| {
                    let authority = match u.port() {
                        Some(p) => format!("{}:{p}", u.host_str().unwrap_or_default()),
                        None => u.host_str().unwrap_or_default().to_string(),
                    };
                    authority.eq_ignore_ascii_case(&host)
                })
        });
        if !same {
            return Some(foreign());
        }
    }
    let json = text("content-type").is_some_and(|ct| {
        ct.split(';')
            .next()
            .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"))
    });
    if !json && !headers.contains_key(desk_shared::CSRF_HEADER) {
        return Some(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ErrorCode::BadContentType,
            "请求体须为 JSON（Content-Type: application/json）；没有请求体时须带 X-Desk-Request 头。/ Send JSON, or X-Desk-Request with no body.",
        ));
    }
    None
}

/// Whether answers under this path are the JSON API (errors must be `{code, message}`,
/// nothing is cached).
fn is_api(path: &str) -> bool {
    path.starts_with("/api/") || path == "/api" || path.starts_with("/wecom/")
}

/// Headers every answer carries, and JSON for API errors made outside our handlers
/// (actix's 404/405, payload limits, extractor failures).
fn dress(res: ServiceResponse<BoxBody>) -> ServiceResponse<BoxBody> {
    let path = res.request().path().to_owned();
    let status = res.status();
    let is_json = content_type(res.response()).starts_with("application/json");
    let mut res = if is_api(&path) && status.as_u16() >= 400 && !is_json {
        let (req, old) = res.into_parts();
        let mut fresh = status_error(status).error_response();
        // Keep what actix said should follow (e.g. `Allow` on a 405).
        if let Some(allow) = old.headers().get(header::ALLOW) {
            fresh.headers_mut().insert(header::ALLOW, allow.clone());
        }
        ServiceResponse::new(req, fresh)
    } else {
        res
    };
    let headers = res.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    // OAuth codes ride in the callback URL: never hand them on in a Referer.
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    if is_api(&path) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    let html = content_type(res.response()).starts_with("text/html");
    if html && !res.headers().contains_key(header::CONTENT_SECURITY_POLICY) {
        // Server-rendered pages (login failures, the simulator's pages) need no script.
        res.headers_mut().insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; base-uri 'none'",
            ),
        );
    }
    res
}

fn content_type(res: &HttpResponse) -> &str {
    res.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}

/// The `{code, message}` for an error status that no handler of ours described.
fn status_error(status: StatusCode) -> ApiError {
    let (code, message) = match status.as_u16() {
        400 => (ErrorCode::BadRequest, "请求有误。/ Bad request."),
        401 => (ErrorCode::NotLoggedIn, "请先登录。/ Please log in."),
        403 => (ErrorCode::Forbidden, "没有权限。/ Forbidden."),
        404 => (ErrorCode::NotFound, "接口不存在。/ No such API."),
        405 => (
            ErrorCode::MethodNotAllowed,
            "这个接口不支持该请求方法。/ Method not allowed.",
        ),
        408 => (ErrorCode::RequestTimeout, "请求超时。/ Request timed out."),
        413 => (
            ErrorCode::BodyTooLarge,
            "请求体过大。/ Request body is too large.",
        ),
        414 => (
            ErrorCode::UriTooLong,
            "请求地址过长。/ The request URI is too long.",
        ),
        415 => (
            ErrorCode::UnsupportedMediaType,
            "不支持的请求体类型。/ Unsupported media type.",
        ),
        431 => (
            ErrorCode::HeadersTooLarge,
            "请求头过大。/ The request headers are too large.",
        ),
        s if s >= 500 => (
            ErrorCode::Internal,
            "服务器内部错误，请稍后重试。/ Internal error, please retry later.",
        ),
        _ => (ErrorCode::HttpError, "请求未能完成。/ The request failed."),
    };
    ApiError::new(status, code, message)
}

/// The connections open now, counted as they open and close: past three quarters of
/// `server.max_connections`, answers that may close their connection do (callbacks),
/// so that connections waiting in the system's queue get their turn instead of
/// waiting on clients that keep theirs open.
#[derive(Debug, Clone)]
pub struct Connections {
    open: Arc<AtomicUsize>,
    crowded_at: usize,
}

/// Held by a connection while it is open.
struct Open(Arc<AtomicUsize>);

impl Drop for Open {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Connections {
    pub fn new(max: usize) -> Self {
        Self {
            open: Default::default(),
            crowded_at: (max - max / 4).max(1),
        }
    }

    /// Counts a new connection until its `extensions` are dropped with it.
    pub fn opened(&self, extensions: &mut actix_web::dev::Extensions) {
        self.open.fetch_add(1, Ordering::Relaxed);
        extensions.insert(Open(self.open.clone()));
    }

    /// Whether so many connections are open that one should be let go.
    pub fn crowded(&self) -> bool {
        self.open.load(Ordering::Relaxed) >= self.crowded_at
    }
}

/// Listens on `address`. Connections past `server.max_connections` wait in the
/// system's queue, which std makes 128 long (past that they are dropped and the
/// client tries again a second later): it is made as long as the system allows.
pub fn listen(address: &str) -> std::io::Result<std::net::TcpListener> {
    let listener = std::net::TcpListener::bind(address)?;
    socket2::SockRef::from(&listener).listen(4096)?;
    Ok(listener)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_paths_are_recognised() {
        assert!(is_api("/api/orders"));
        assert!(is_api("/wecom/callback"));
        assert!(!is_api("/apiary"));
        assert!(!is_api("/orders/1"));
    }

    #[test]
    fn only_short_plain_request_ids_are_taken_as_given() {
        for ok in ["a", "req-1.2_3", &"x".repeat(MAX_REQUEST_ID_LEN)] {
            assert!(is_well_formed_request_id(ok), "{ok}");
        }
        for bad in [
            "",
            "a b",
            "a\nb",
            "a\rb",
            "id=1",
            "请求",
            &"x".repeat(MAX_REQUEST_ID_LEN + 1),
        ] {
            assert!(!is_well_formed_request_id(bad), "{bad:?}");
        }
    }

    #[test]
    fn every_error_status_gets_a_code_and_a_sentence() {
        for s in [
            400u16, 401, 403, 404, 405, 408, 413, 414, 415, 431, 500, 502, 418,
        ] {
            let e = status_error(StatusCode::from_u16(s).expect("status"));
            assert_eq!(e.status.as_u16(), s);
            assert!(e.code != ErrorCode::Unknown && !e.message.is_empty());
        }
    }
}
