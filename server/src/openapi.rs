//! `GET /api/openapi.json`: the HTTP API described as OpenAPI 3.1, built (once) from
//! the `#[utoipa::path]` attribute above each handler and the DTOs' schemas
//! (`desk_shared`'s `openapi` feature).
//!
//! Each capability lists its own operations in a `pub struct Api` next to its
//! `configure` (`#[derive(utoipa::OpenApi)] #[openapi(paths(handler, …))]`), and
//! `document` merges them all. A new handler gets `#[utoipa::path(…)]` (method, the
//! path exactly as mounted, `operation_id`, `tag`, `security`, every answer with error
//! answers as `body = desk_shared::ApiError`) and its name in that `paths(…)`; the
//! tests (`tests/api/openapi.rs`) fail for a mounted route the document lacks.

use std::sync::LazyLock;

use actix_web::{web, HttpResponse};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

// The security schemes' names, as each operation's `security((…))` spells them.

/// The member's session cookie (`/api/…`, after WeCom login).
pub const SESSION_SCHEME: &str = "session_cookie";
/// The business system's `Authorization: Bearer` key (`/api/v1/…`).
pub const API_KEY_SCHEME: &str = "api_key";
/// The Prometheus scraper's `Authorization: Bearer` token (`GET /metrics`).
pub const METRICS_SCHEME: &str = "metrics_token";

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/api/openapi.json").get(openapi_json));
}

/// The document as served: worked out once, on its first request.
static DOCUMENT_JSON: LazyLock<String> = LazyLock::new(|| {
    serde_json::to_string(&document()).unwrap_or_else(|e| {
        tracing::error!(error = %e, "the OpenAPI document does not serialise");
        String::from("{}")
    })
});

/// The document: the top-level part below and every capability's operations.
pub fn document() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    for part in [
        crate::health::Api::openapi(),
        crate::auth::Api::openapi(),
        crate::jssdk::Api::openapi(),
        crate::orders::Api::openapi(),
        crate::integration::orders::Api::openapi(),
        crate::groups::Api::openapi(),
        crate::sidebar::Api::openapi(),
        crate::admin::Api::openapi(),
        crate::bridge::Api::openapi(),
        crate::joinway::Api::openapi(),
        crate::staffchat::Api::openapi(),
        crate::handover::Api::openapi(),
        crate::replies::Api::openapi(),
        crate::storevisit::Api::openapi(),
        crate::stats::Api::openapi(),
        crate::callback::Api::openapi(),
    ] {
        doc.merge(part);
    }
    doc
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "WeCom Desk",
        description = "The WeCom Desk server's HTTP API: the H5 app's member API (`/api/…`, \
            session cookie from WeCom login), the admin console (`/api/admin/…`, members in \
            `server.admin_userids`), the business system's API (`/api/v1/…`, Bearer API key \
            from `integration.api_keys`), WeCom's callback and operations endpoints.\n\n\
            JSON is camelCase. Every error under `/api/` and `/wecom/` is \
            `{\"code\": \"…\", \"message\": \"…\"}` (`ApiError`): `code` is stable, \
            `message` is for people (Chinese, then English). Besides the answers listed per \
            operation, any request may get 404 `not_found`, 405 `method_not_allowed`, \
            408 `request_timeout`, 413 `body_too_large`, 414 `uri_too_long`, \
            415 `unsupported_content_encoding`, 431 `headers_too_large` or 500 `internal`. \
            A state-changing request that carries the session cookie must come from the \
            app's own origin (else 403 `origin_not_allowed`) and carry JSON, or no body \
            and the header `X-Desk-Request` (else 415 `bad_content_type`).",
        license(name = "MIT", identifier = "MIT"),
    ),
    modifiers(&SecuritySchemes),
    tags(
        (name = "health", description = "Is the server up"),
        (name = "auth", description = "WeCom login and the member's session"),
        (name = "jssdk", description = "JS-SDK signatures for H5 pages"),
        (name = "orders", description = "Orders, their customers and their groups (members)"),
        (name = "sidebar", description = "The chat sidebar: a customer, a customer group"),
        (name = "admin", description = "The admin console: admins only (`server.admin_userids`)"),
        (name = "handover", description = "交接: members who left, and handing their customers, groups and orders to a colleague (admins only)"),
        (name = "replies", description = "话术: the team's quick replies, listed and counted by members, kept by admins"),
        (name = "integration", description = "The business system's API: Bearer API key"),
        (name = "wecom", description = "WeCom's callback (signed by WeCom)"),
        (name = "operations", description = "This document, metrics"),
    ),
    // `/metrics` is served by the metrics capability; documented here.
    paths(openapi_json, metrics),
)]
struct ApiDoc;

/// The three ways a caller proves who it is.
struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            SESSION_SCHEME,
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                crate::auth::SESSION_COOKIE,
                "The member's session, set by `GET /auth/callback` after WeCom login \
                 (start at `GET /auth/login?next=PATH`). Without it: 401 `not_logged_in`.",
            ))),
        );
        components.add_security_scheme(
            API_KEY_SCHEME,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "`Authorization: Bearer KEY` with one of `integration.api_keys`. \
                         Without it, or with another: 401 `bad_api_key`.",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            METRICS_SCHEME,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "`Authorization: Bearer TOKEN` with `metrics.token`, from any address; \
                         without it the scraper's address must be in `metrics.allow`.",
                    ))
                    .build(),
            ),
        );
    }
}

/// This document.
#[utoipa::path(
    get,
    path = "/api/openapi.json",
    operation_id = "getOpenApi",
    summary = "This document",
    tag = "operations",
    responses(
        (status = 200, description = "The API as an OpenAPI 3.1 document.", body = Object),
    )
)]
async fn openapi_json() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(DOCUMENT_JSON.as_str())
}

/// Counters and gauges in the Prometheus text format, for a scraper.
#[utoipa::path(
    get,
    path = "/metrics",
    operation_id = "getMetrics",
    summary = "Metrics for Prometheus",
    tag = "operations",
    security(("metrics_token" = []), ()),
    description = "Prometheus text format. Allowed to a TCP peer whose address is in \
        `metrics.allow` (no credentials: the empty requirement), or from anywhere with \
        `Authorization: Bearer` and `metrics.token`.",
    responses(
        (status = 200, description = "The metrics.", body = String, content_type = "text/plain; version=0.0.4"),
        (status = 403, description = "`metrics_forbidden`: neither an allowed address nor the token.", body = desk_shared::ApiError),
        (status = 404, description = "`not_found`: metrics are off (`metrics.enabled = false`).", body = desk_shared::ApiError),
    )
)]
#[allow(dead_code)] // the handler is mounted by the metrics capability
fn metrics() {}
