//! WeCom login (OAuth, `snsapi_base`) and sessions: `/auth/login`, `/auth/callback`,
//! `GET /api/session`, and the `Member` extractor handlers use to know who asks.

pub mod admin;
pub mod allowance;
mod login;
pub mod store;

pub use login::safe_next;
use login::{__path_callback, __path_login, callback, login};

pub use admin::Admin;
pub use allowance::Allowance;

use std::future::Future;
use std::pin::Pin;

use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::{header, StatusCode};
use actix_web::{web, FromRequest, HttpRequest, HttpResponse};
use desk_shared::{Session, SessionUser};

use crate::error::{ApiError, ErrorCode};

/// The session cookie: HttpOnly, SameSite=Lax, no Max-Age (dies with the webview).
pub const SESSION_COOKIE: &str = "desk_session";
/// The short-lived cookie that binds an OAuth `state` to this browser.
const STATE_COOKIE: &str = "desk_oauth";
const STATE_SECS: i64 = 600;
/// Characters of the random OAuth `state`.
const STATE_LEN: usize = 32;

/// Ends every session of `userid` (a member who left): the name a session knew them
/// by, if they had one.
pub async fn end_sessions_of(
    db: &crate::db::Db,
    userid: &str,
) -> Result<Option<String>, sqlx::Error> {
    store::delete_of(db, userid).await
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/auth/login").get(login))
        .service(web::resource("/auth/callback").get(callback))
        .service(web::resource("/auth/logout").post(logout))
        .service(web::resource("/api/session").get(session));
}

/// This capability's operations in `/api/openapi.json`.
#[derive(utoipa::OpenApi)]
#[openapi(paths(login, callback, logout, session))]
pub struct Api;

/// Why a request could not be tied to a member.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("no session")]
    NotLoggedIn,
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<sqlx::Error> for AuthError {
    fn from(e: sqlx::Error) -> Self {
        Self::Unexpected(anyhow::Error::new(e).context("sessions database"))
    }
}

impl From<AuthError> for ApiError {
    fn from(e: AuthError) -> Self {
        match e {
            AuthError::NotLoggedIn => ApiError::new(
                StatusCode::UNAUTHORIZED,
                ErrorCode::NotLoggedIn,
                "请先通过企业微信登录。/ Please log in through WeCom.",
            ),
            AuthError::Unexpected(e) => ApiError::internal(format!("{e:#}")),
        }
    }
}

/// What login and sessions need, worked out once at start.
pub struct AuthState {
    pub db: crate::db::Db,
    pub wecom: crate::wecom::WeComClient,
    /// `{wecom.oauth_base}/connect/oauth2/authorize`.
    authorize: url::Url,
    /// `{server.public_url}/auth/callback`.
    redirect_uri: String,
    /// Whether cookies are `Secure` (the H5 is served over https).
    secure_cookies: bool,
    lifetime: store::SessionLifetime,
    /// `server.admin_userids`: who the `Admin` extractor lets in.
    admins: std::sync::Arc<Vec<String>>,
    /// What sessions are timed by.
    clock: crate::clock::Clock,
}

impl AuthState {
    /// Deletes ended sessions (the sessions worker's round).
    pub async fn sweep_sessions(&self) {
        match store::sweep(&self.db, self.lifetime, self.clock.now_secs()).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(sessions = n, "ended sessions swept"),
            Err(e) => tracing::warn!(error = %e, "could not sweep ended sessions"),
        }
    }

    pub fn new(
        settings: &crate::config::Settings,
        db: crate::db::Db,
        wecom: crate::wecom::WeComClient,
        clock: crate::clock::Clock,
    ) -> anyhow::Result<Self> {
        use anyhow::Context;
        let base = settings.wecom.oauth_base.trim_end_matches('/');
        let authorize = url::Url::parse(&format!("{base}/connect/oauth2/authorize"))
            .with_context(|| format!("wecom.oauth_base {base:?} is not a URL"))?;
        let public = settings.server.public_url.trim_end_matches('/');
        Ok(Self {
            db,
            wecom,
            authorize,
            redirect_uri: format!("{public}/auth/callback"),
            secure_cookies: public.starts_with("https://"),
            lifetime: store::SessionLifetime {
                idle: settings.server.session_idle_secs,
                max: settings.server.session_max_secs,
            },
            admins: std::sync::Arc::new(settings.server.admin_userids.clone()),
            clock,
        })
    }
}

/// The logged-in member; handlers that take it answer 401 to anyone else.
#[derive(Debug, Clone)]
pub struct Member(pub SessionUser);

impl FromRequest for Member {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            match current_user(&req).await? {
                Some(user) => Ok(Member(user)),
                None => Err(AuthError::NotLoggedIn.into()),
            }
        })
    }
}

async fn current_user(req: &HttpRequest) -> Result<Option<SessionUser>, AuthError> {
    let Some(cookie) = req.cookie(SESSION_COOKIE) else {
        return Ok(None);
    };
    let Some(state) = req.app_data::<web::Data<AuthState>>() else {
        return Err(anyhow::anyhow!("AuthState missing").into());
    };
    Ok(store::find(
        &state.db,
        cookie.value(),
        state.lifetime,
        state.clock.now_secs(),
    )
    .await?)
}

/// `POST /auth/logout`: the session row is deleted and the cookie cleared.
#[utoipa::path(
    post,
    path = "/auth/logout",
    operation_id = "logout",
    summary = "Log out",
    tag = "auth",
    description = "Ends the member's session (if any): its row is deleted and the session cookie cleared.",
    responses(
        (status = 204, description = "Logged out; `Set-Cookie` clears `desk_session`."),
        (status = 500, description = "`internal`: the sessions database failed.", body = desk_shared::ApiError),
    )
)]
async fn logout(req: HttpRequest, state: web::Data<AuthState>) -> Result<HttpResponse, ApiError> {
    if let Some(cookie) = req.cookie(SESSION_COOKIE) {
        store::delete(&state.db, cookie.value()).await?;
    }
    let mut clear = Cookie::build(SESSION_COOKIE, "")
        .path("/")
        .http_only(true)
        .secure(state.secure_cookies)
        .same_site(SameSite::Lax)
        .finish();
    clear.make_removal();
    Ok(HttpResponse::NoContent().cookie(clear).finish())
}

/// `GET /api/session`: the corp and app the H5 configures the JS-SDK with, and the
/// logged-in member (`null` before login).
#[utoipa::path(
    get,
    path = "/api/session",
    operation_id = "getSession",
    summary = "The corp, the app and the logged-in member",
    tag = "auth",
    responses(
        (status = 200, description = "The corp, the app and the member (`user` is `null` without a session).", body = Session),
        (status = 500, description = "`internal`: the sessions database failed.", body = desk_shared::ApiError),
    )
)]
async fn session(req: HttpRequest, state: web::Data<AuthState>) -> Result<HttpResponse, ApiError> {
    let user = current_user(&req).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(Session {
            corp_id: state.wecom.corp_id().to_string(),
            agent_id: state.wecom.agent_id(),
            user,
        }))
}
