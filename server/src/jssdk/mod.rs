//! `POST /api/jssdk/signatures`: both JS-SDK signatures for one page URL, and which
//! page URLs may be signed. The signing itself is WeCom's protocol: `wecom::jssdk`.

use actix_web::{web, HttpResponse};
use desk_shared::SignatureRequest;

use crate::error::{ApiError, ErrorCode};
use crate::wecom::jssdk::signatures_for;

/// What signing needs: WeCom's tickets and the origins that may be signed.
pub struct SignatureState {
    pub wecom: crate::wecom::WeComClient,
    pub allowed_origins: AllowedOrigins,
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/api/jssdk/signatures").post(signatures));
}

/// This capability's operations in `/api/openapi.json`.
#[derive(utoipa::OpenApi)]
#[openapi(paths(signatures))]
pub struct Api;

/// The origins whose pages may be signed (`server.allowed_origins`), parsed once and
/// kept as the exact text a page URL must begin with (`https://host[:port]`).
#[derive(Debug, Clone, Default)]
pub struct AllowedOrigins(Vec<String>);

impl AllowedOrigins {
    /// Parses `https://host[:port]` entries; anything else is a configuration error.
    pub fn parse(origins: &[String]) -> Result<Self, String> {
        origins
            .iter()
            .map(|o| match url::Url::parse(o) {
                Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => {
                    Ok(u.origin().ascii_serialization())
                }
                _ => Err(format!(
                    "server.allowed_origins: {o:?} is not an origin like https://desk.example.com"
                )),
            })
            .collect::<Result<_, _>>()
            .map(Self)
    }

    /// Whether the page URL, as the page wrote it, begins with one of them exactly
    /// and then `/`, `?` or nothing. Comparing the text (not a parsed URL) matters:
    /// WeCom signs the string, and a parser forgives `https:host`, userinfo,
    /// percent-encoded or numeric hosts that another reader would take elsewhere.
    pub fn allows(&self, page_url: &str) -> bool {
        self.0.iter().any(|origin| {
            page_url.strip_prefix(origin.as_str()).is_some_and(|rest| {
                rest.is_empty() || rest.starts_with('/') || rest.starts_with('?')
            })
        })
    }
}

/// Why a page URL may not be signed.
#[derive(Debug, thiserror::Error)]
pub enum SignatureError {
    /// Whitespace, control characters or `\`: another reader could see a different URL.
    #[error("the page URL contains whitespace, control characters or backslashes")]
    UnsafeCharacters,
    #[error("the page URL is not a URL: {0}")]
    NotAUrl(#[from] url::ParseError),
    #[error("the page URL is not an http(s) URL")]
    NotHttp,
    #[error("origin {origin} is not in server.allowed_origins")]
    OriginNotAllowed { origin: String },
}

impl From<SignatureError> for ApiError {
    fn from(err: SignatureError) -> Self {
        let (code, message) = match &err {
            SignatureError::UnsafeCharacters => (
                ErrorCode::BadUrl,
                "页面地址不能含空白、控制字符或反斜杠。/ The page URL must not contain whitespace, control characters or backslashes.".to_string(),
            ),
            SignatureError::NotAUrl(e) => (
                ErrorCode::BadUrl,
                format!("页面地址无效：{e}。/ The page URL is not a valid URL: {e}."),
            ),
            SignatureError::NotHttp => (
                ErrorCode::BadUrl,
                "页面地址须为 http(s) 网址。/ The page URL must be an http(s) URL.".to_string(),
            ),
            SignatureError::OriginNotAllowed { origin } => (
                ErrorCode::OriginNotAllowed,
                format!(
                    "页面来源 {origin} 不在 server.allowed_origins 中，不能签名。/ Origin {origin} is not in server.allowed_origins."
                ),
            ),
        };
        ApiError::bad_request(code, message)
    }
}

/// The URL WeCom compares against: the page URL without `#` and what follows.
/// Rejects what is not an http(s) URL and origins not allowed.
pub fn page_url_to_sign<'a>(
    raw: &'a str,
    allowed: &AllowedOrigins,
) -> Result<&'a str, SignatureError> {
    let without_fragment = raw.split('#').next().unwrap_or_default();
    if without_fragment
        .chars()
        .any(|c| c.is_whitespace() || c.is_control() || c == '\\')
    {
        return Err(SignatureError::UnsafeCharacters);
    }
    let parsed = url::Url::parse(without_fragment)?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host().is_none() {
        return Err(SignatureError::NotHttp);
    }
    if !allowed.allows(without_fragment) {
        return Err(SignatureError::OriginNotAllowed {
            origin: parsed.origin().ascii_serialization(),
        });
    }
    Ok(without_fragment)
}

/// Both JS-SDK signatures for one page URL.
#[utoipa::path(
    post,
    path = "/api/jssdk/signatures",
    operation_id = "signPage",
    summary = "Sign a page for the JS-SDK",
    tag = "jssdk",
    description = "Signs the page URL (without `#…`) with the corp ticket (for `wx.config`) and \
        the app ticket (for `wx.agentConfig`). Only pages whose origin is in \
        `server.allowed_origins` are signed.",
    request_body = SignatureRequest,
    responses(
        (status = 200, description = "Both signatures, with the corp and app ids.", body = desk_shared::Signatures),
        (status = 400, description = "`bad_url`: not an http(s) URL, or unsafe characters; `origin_not_allowed`: \
            the origin is not in `server.allowed_origins`; `bad_json`, `bad_content_type`.", body = desk_shared::ApiError),
        (status = 502, description = "`wecom_failed`: WeCom refused the tickets or could not be reached.", body = desk_shared::ApiError),
        (status = 504, description = "`wecom_timeout`: WeCom did not answer in time.", body = desk_shared::ApiError),
    )
)]
async fn signatures(
    state: web::Data<SignatureState>,
    body: web::Json<SignatureRequest>,
) -> Result<HttpResponse, ApiError> {
    let url = page_url_to_sign(&body.url, &state.allowed_origins)?;
    let (corp_ticket, agent_ticket) = state.wecom.jsapi_tickets().await?;
    Ok(HttpResponse::Ok().json(signatures_for(
        state.wecom.corp_id(),
        state.wecom.agent_id(),
        &corp_ticket,
        &agent_ticket,
        url,
        crate::clock::now_secs(),
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allowed() -> AllowedOrigins {
        AllowedOrigins::parse(&[
            "https://desk.example.com".into(),
            "http://127.0.0.1:8080/".into(),
        ])
        .expect("origins")
    }

    #[test]
    fn a_configured_origin_that_is_not_an_origin_is_a_configuration_error() {
        assert!(AllowedOrigins::parse(&["desk.example.com".into()]).is_err());
        assert!(AllowedOrigins::parse(&["ftp://desk.example.com".into()]).is_err());
    }

    #[test]
    fn the_fragment_is_dropped_and_the_query_kept_exactly() {
        assert_eq!(
            page_url_to_sign("https://desk.example.com/orders/7?a=1&b=%E4#/x", &allowed())
                .expect("allowed"),
            "https://desk.example.com/orders/7?a=1&b=%E4"
        );
        assert_eq!(
            page_url_to_sign("http://127.0.0.1:8080/", &allowed()).expect("allowed"),
            "http://127.0.0.1:8080/"
        );
        for ok in ["https://desk.example.com", "https://desk.example.com?x=1"] {
            assert_eq!(page_url_to_sign(ok, &allowed()).expect(ok), ok);
        }
    }

    #[test]
    fn foreign_and_malformed_urls_are_refused() {
        for bad in [
            "https://evil.example.com/",
            "https://desk.example.com.evil.com/",
            "http://desk.example.com/",
            "https://desk.example.com:8443/",
            "https://desk.example.com:443/",
            "https://desk.example.com@evil.com/",
            "https://user@desk.example.com/",
            "https://desk.example.com.evil.com/",
            "https:desk.example.com/",
            "https:/desk.example.com/",
            "https://DESK.example.com/",
            "https://desk%2Eexample.com/",
            "http://2130706433:8080/",
            "http://0x7f.0.0.1:8080/",
            "https://desk.example.com\\@evil.com/",
            "https://desk.example.com/ x",
            "https://desk.example.com/\t",
            " https://desk.example.com/",
            "https://desk.example.com\n/",
            "not a url",
            "javascript:alert(1)",
            "",
        ] {
            let err = ApiError::from(page_url_to_sign(bad, &allowed()).expect_err(bad));
            assert_eq!(
                err.status,
                actix_web::http::StatusCode::BAD_REQUEST,
                "{bad}"
            );
        }
    }
}
