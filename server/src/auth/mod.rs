//! WeCom login (OAuth, `snsapi_base`) and sessions: `/auth/login`, `/auth/callback`,
//! `GET /api/session`, and the `Member` extractor handlers use to know who asks.

pub mod store;

use std::future::Future;
use std::pin::Pin;

use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::{header, StatusCode};
use actix_web::{web, FromRequest, HttpRequest, HttpResponse};
use desk_shared::{Session, SessionUser};
use rand::distributions::Alphanumeric;
use rand::Rng;
use serde::Deserialize;
use subtle::ConstantTimeEq;

use crate::error::ApiError;
use crate::html::escape;
use crate::startup::AppState;

/// The session cookie: HttpOnly, SameSite=Lax, no Max-Age (dies with the webview).
pub const SESSION_COOKIE: &str = "desk_session";
/// The short-lived cookie that binds an OAuth `state` to this browser.
const STATE_COOKIE: &str = "desk_oauth";
const STATE_SECS: i64 = 600;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/auth/login", web::get().to(login))
        .route("/auth/callback", web::get().to(callback))
        .route("/api/session", web::get().to(session));
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
                None => Err(ApiError::new(
                    StatusCode::UNAUTHORIZED,
                    "not_logged_in",
                    "请先通过企业微信登录。/ Please log in through WeCom.",
                )),
            }
        })
    }
}

async fn current_user(req: &HttpRequest) -> Result<Option<SessionUser>, ApiError> {
    let Some(cookie) = req.cookie(SESSION_COOKIE) else {
        return Ok(None);
    };
    let Some(state) = req.app_data::<web::Data<AppState>>() else {
        return Err(ApiError::internal("AppState missing"));
    };
    Ok(store::find(&state.db, cookie.value()).await?)
}

async fn session(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let user = current_user(&req).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(Session {
            corp_id: state.wecom.corp_id().to_string(),
            agent_id: state.wecom.agent_id(),
            user,
        }))
}

/// Only same-site paths: `/orders/7?x=1`, never `//evil.com` or `https://…`.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n.to_string(),
        _ => "/".to_string(),
    }
}

fn is_https(state: &AppState) -> bool {
    state.settings.server.public_url.starts_with("https://")
}

#[derive(Deserialize)]
struct LoginQuery {
    next: Option<String>,
}

/// Sends the browser to WeCom OAuth with a fresh `state` bound to a cookie.
async fn login(state: web::Data<AppState>, q: web::Query<LoginQuery>) -> HttpResponse {
    let next = safe_next(q.next.as_deref());
    let oauth_state: String = rand::thread_rng()
        .sample_iter(&Alphanumeric)
        .take(32)
        .map(char::from)
        .collect();
    let redirect_uri = format!(
        "{}/auth/callback",
        state.settings.server.public_url.trim_end_matches('/')
    );
    let mut url = match url::Url::parse(&format!(
        "{}/connect/oauth2/authorize",
        state.settings.wecom.oauth_base.trim_end_matches('/')
    )) {
        Ok(u) => u,
        Err(e) => return ApiError::internal(format!("wecom.oauth_base: {e}")).into_page(),
    };
    url.query_pairs_mut()
        .append_pair("appid", state.wecom.corp_id())
        .append_pair("redirect_uri", &redirect_uri)
        .append_pair("response_type", "code")
        .append_pair("scope", "snsapi_base")
        .append_pair("state", &oauth_state)
        .append_pair("agentid", &state.wecom.agent_id().to_string());
    url.set_fragment(Some("wechat_redirect"));
    let cookie = Cookie::build(STATE_COOKIE, format!("{oauth_state}|{next}"))
        .path("/auth")
        .http_only(true)
        .secure(is_https(&state))
        .same_site(SameSite::Lax)
        .max_age(actix_web::cookie::time::Duration::seconds(STATE_SECS))
        .finish();
    HttpResponse::Found()
        .insert_header((header::LOCATION, url.to_string()))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .cookie(cookie)
        .finish()
}

#[derive(Deserialize)]
struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
}

/// Exchanges the single-use code, makes the session, and goes back to `next`.
/// Anything wrong: a friendly page with a retry button and no session.
async fn callback(
    req: HttpRequest,
    state: web::Data<AppState>,
    q: web::Query<CallbackQuery>,
) -> HttpResponse {
    let bound = req.cookie(STATE_COOKIE).map(|c| c.value().to_string());
    let (expected_state, next) = match bound.as_deref().and_then(|v| v.split_once('|')) {
        Some((s, n)) => (s.to_string(), safe_next(Some(n))),
        None => {
            return login_failed(
                "登录已过期",
                "登录页停留太久或 Cookie 被清除，请重新登录。",
                "/",
            )
        }
    };
    let given_state = q.state.as_deref().unwrap_or_default();
    if !bool::from(expected_state.as_bytes().ct_eq(given_state.as_bytes())) {
        tracing::warn!("OAuth state mismatch");
        return login_failed(
            "登录校验失败",
            "这次登录不是从本页面发起的，请重新登录。",
            &next,
        );
    }
    let Some(code) = q.code.as_deref().filter(|c| !c.is_empty()) else {
        return login_failed(
            "没有拿到登录凭证",
            "企业微信没有返回登录 code，请重新登录。",
            &next,
        );
    };
    let who = match state.wecom.user_of_code(code).await {
        Ok(who) => who,
        Err(e) if e.errcode() == Some(40029) => {
            return login_failed(
                "登录凭证已失效",
                "登录 code 已使用或已过期，请重新登录。",
                &next,
            )
        }
        Err(e) => {
            tracing::warn!(error = %e, "OAuth code exchange failed");
            return login_failed("登录失败", &e.human_message(), &next);
        }
    };
    let Some(userid) = who.userid else {
        return login_failed(
            "不是本企业成员",
            "只有本企业的成员可以使用，请用企业微信中的成员账号打开。",
            &next,
        );
    };
    let member = match state.wecom.member(&userid).await {
        Ok(m) => m,
        Err(e) => {
            tracing::warn!(error = %e, %userid, "user/get failed at login");
            return login_failed("读取成员信息失败", &e.human_message(), &next);
        }
    };
    let user = SessionUser {
        user_id: member.userid,
        name: member.name,
        avatar: member.avatar,
    };
    let token = match store::create(&state.db, &user).await {
        Ok(t) => t,
        Err(e) => return ApiError::from(e).into_page(),
    };
    tracing::info!(userid = %user.user_id, "member logged in");
    let session = Cookie::build(SESSION_COOKIE, token)
        .path("/")
        .http_only(true)
        .secure(is_https(&state))
        .same_site(SameSite::Lax)
        .finish();
    let mut clear = Cookie::build(STATE_COOKIE, "").path("/auth").finish();
    clear.make_removal();
    HttpResponse::Found()
        .insert_header((header::LOCATION, next))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .cookie(session)
        .cookie(clear)
        .finish()
}

/// The page a member sees when login did not work: what happened and a retry button.
fn login_failed(title: &str, detail: &str, next: &str) -> HttpResponse {
    let retry: String = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("next", next)
        .finish();
    HttpResponse::build(StatusCode::BAD_REQUEST)
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(format!(
            r#"<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>{title}</title>
<style>body{{font-family:-apple-system,"PingFang SC","Microsoft YaHei",sans-serif;background:#f5f6f8;color:#1f2329;margin:0;padding:24px}}.card{{background:#fff;border:1px solid #e4e6eb;border-radius:10px;padding:20px;max-width:480px;margin:40px auto}}h1{{font-size:18px;margin:0 0 8px}}p{{color:#646a73}}a{{display:inline-block;margin-top:12px;background:#0a7aff;color:#fff;text-decoration:none;padding:10px 18px;border-radius:10px}}</style></head>
<body><div class="card" role="alert"><h1>{title}</h1><p>{detail}</p><a id="retry" href="/auth/login?{retry}">重新登录</a></div></body></html>"#,
            title = escape(title),
            detail = escape(detail),
        ))
}

impl ApiError {
    /// This error as the friendly HTML page (for browser navigations, not the API).
    fn into_page(self) -> HttpResponse {
        login_failed("登录失败", &self.message, "/")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_is_kept_only_when_it_is_a_path_on_this_site() {
        assert_eq!(safe_next(Some("/orders/7?x=1")), "/orders/7?x=1");
        assert_eq!(safe_next(Some("//evil.com/x")), "/");
        assert_eq!(safe_next(Some("https://evil.com/")), "/");
        assert_eq!(safe_next(Some("/\\evil.com")), "/");
        assert_eq!(safe_next(None), "/");
    }
}
