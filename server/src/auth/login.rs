//! WeCom's silent login (`snsapi_base`): `/auth/login` sends the browser to WeCom with
//! a state bound to this browser, `/auth/callback` checks it, asks WeCom who the code
//! belongs to and starts a session; a login that fails says why on a page.

use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use desk_shared::SessionUser;
use rand::distributions::Alphanumeric;
use rand::Rng;
use serde::Deserialize;
use subtle::ConstantTimeEq;

use super::{store, AuthState, SESSION_COOKIE, STATE_COOKIE, STATE_LEN, STATE_SECS};
use crate::error::INTERNAL_MESSAGE;
use crate::html::escape;
use crate::wecom::{WeComError, WeComErrorKind};

/// Why a WeCom login did not give a session; each is a page with a retry button.
#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    /// The state cookie is gone or not ours.
    #[error("the OAuth state cookie is missing or malformed")]
    Expired,
    #[error("the OAuth state does not match the cookie")]
    StateMismatch,
    #[error("WeCom sent no code")]
    NoCode,
    #[error("the OAuth code was used or expired")]
    CodeUsed,
    #[error("the code exchange failed: {0}")]
    CodeExchange(#[source] WeComError),
    #[error("not a member of this corp")]
    NotCorpMember,
    #[error("user/get failed for {userid}: {source}")]
    MemberLookup { userid: String, source: WeComError },
    #[error("{0} left the company")]
    Left(String),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl LoginError {
    /// The page's heading.
    fn title(&self) -> &'static str {
        match self {
            LoginError::CodeExchange(e) | LoginError::MemberLookup { source: e, .. }
                if e.kind() == WeComErrorKind::NotInAppRange =>
            {
                "你不在本应用的可见范围内"
            }
            LoginError::Expired => "登录已过期",
            LoginError::StateMismatch => "登录校验失败",
            LoginError::NoCode => "没有拿到登录凭证",
            LoginError::CodeUsed => "登录凭证已失效",
            LoginError::NotCorpMember => "不是本企业成员",
            LoginError::Left(_) => "你已离职",
            LoginError::MemberLookup { .. } => "读取成员信息失败",
            LoginError::CodeExchange(_) | LoginError::Unexpected(_) => "登录失败",
        }
    }

    /// What the member reads: what happened and what to do.
    fn detail(&self) -> String {
        match self {
            LoginError::Expired => "登录页停留太久或 Cookie 被清除，请重新登录。".into(),
            LoginError::StateMismatch => "这次登录不是从本页面发起的，请重新登录。".into(),
            LoginError::NoCode => "企业微信没有返回登录 code，请重新登录。".into(),
            LoginError::CodeUsed => "登录 code 已使用或已过期，请重新登录。".into(),
            LoginError::NotCorpMember => {
                "只有本企业的成员可以使用，请用企业微信中的成员账号打开。".into()
            }
            LoginError::CodeExchange(e) | LoginError::MemberLookup { source: e, .. } => {
                e.member_message()
            }
            LoginError::Left(_) => "企业已记录你离职，不能再登录 WeCom Desk；你的客户、群和订单已交给同事。如有误，请联系管理员。".into(),
            LoginError::Unexpected(_) => INTERNAL_MESSAGE.into(),
        }
    }

    /// The error as the member's page (400, no session); the log gets the details.
    fn page(self, next: &str) -> HttpResponse {
        match &self {
            LoginError::CodeExchange(e) | LoginError::MemberLookup { source: e, .. } => {
                let detail = e.admin_detail();
                tracing::warn!(
                    error = %self,
                    errcode = detail.errcode,
                    why = %detail.why,
                    fix = %detail.fix,
                    "login failed at WeCom"
                );
            }
            LoginError::Unexpected(e) => tracing::error!(error = %format!("{e:#}"), "login failed"),
            LoginError::StateMismatch => tracing::warn!("OAuth state mismatch"),
            _ => tracing::info!(error = %self, "login refused"),
        }
        login_failed(self.title(), &self.detail(), next)
    }
}

impl From<WeComError> for LoginError {
    fn from(e: WeComError) -> Self {
        match e.kind() {
            WeComErrorKind::InvalidCode => Self::CodeUsed,
            _ => Self::CodeExchange(e),
        }
    }
}

/// Only same-site paths: `/orders/7?x=1`, never `//evil.com`, `https://…`, or
/// anything a browser would turn into one (it drops tabs and newlines from
/// `Location`, reads `\` as `/`, and some decode `%2F`): visible ASCII only, and no
/// `//` or `\` at the start either as given or once percent-decoded.
pub fn safe_next(next: Option<&str>) -> String {
    next.filter(|n| is_same_site_path(n))
        .map_or_else(|| "/".to_string(), str::to_string)
}

fn is_same_site_path(next: &str) -> bool {
    let plain = |s: &str| {
        s.starts_with('/')
            && !s.starts_with("//")
            && !s.contains('\\')
            && !s.chars().any(desk_shared::is_control_or_bidi)
    };
    let decoded = percent_encoding::percent_decode_str(next).decode_utf8_lossy();
    next.len() <= 2048
        && next.bytes().all(|b| b.is_ascii_graphic())
        && plain(next)
        && plain(&decoded)
}

/// The state cookie's value: the OAuth `state` and `next`, base64url-encoded so that
/// no character of `next` can end the value or add cookie attributes, and what comes
/// back is byte for byte what was validated.
fn state_cookie_value(oauth_state: &str, next: &str) -> String {
    use base64::Engine;
    let next = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(next.as_bytes());
    format!("{oauth_state}.{next}")
}

/// The `(state, next)` a state cookie carries; `None` when it is not one of ours.
fn read_state_cookie(value: &str) -> Option<(String, String)> {
    use base64::Engine;
    let (oauth_state, next) = value.split_once('.')?;
    if oauth_state.len() != STATE_LEN || !oauth_state.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return None;
    }
    let next = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(next)
        .ok()?;
    let next = String::from_utf8(next).ok()?;
    Some((oauth_state.to_string(), safe_next(Some(&next))))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct LoginQuery {
    /// Where to go after login: a path on this site (anything else goes to `/`).
    next: Option<String>,
}

/// Sends the browser to WeCom OAuth with a fresh `state` bound to a cookie.
#[utoipa::path(
    get,
    path = "/auth/login",
    operation_id = "login",
    summary = "Start WeCom login",
    tag = "auth",
    params(LoginQuery),
    responses(
        (status = 302, description = "To WeCom OAuth (`snsapi_base`); `Set-Cookie` binds the OAuth `state` to this browser for 10 minutes.",
            headers(("Location" = String, description = "WeCom's authorize URL"))),
        (status = 400, description = "`bad_query`: the query string could not be read.", body = desk_shared::ApiError),
    )
)]
pub(super) async fn login(state: web::Data<AuthState>, q: web::Query<LoginQuery>) -> HttpResponse {
    let next = safe_next(q.next.as_deref());
    let oauth_state: String = rand::thread_rng()
        .sample_iter(&Alphanumeric)
        .take(STATE_LEN)
        .map(char::from)
        .collect();
    let mut url = state.authorize.clone();
    url.query_pairs_mut()
        .append_pair("appid", state.wecom.corp_id())
        .append_pair("redirect_uri", &state.redirect_uri)
        .append_pair("response_type", "code")
        .append_pair("scope", "snsapi_base")
        .append_pair("state", &oauth_state)
        .append_pair("agentid", &state.wecom.agent_id().to_string());
    url.set_fragment(Some("wechat_redirect"));
    let cookie = Cookie::build(STATE_COOKIE, state_cookie_value(&oauth_state, &next))
        .path("/auth")
        .http_only(true)
        .secure(state.secure_cookies)
        .same_site(SameSite::Lax)
        .max_age(actix_web::cookie::time::Duration::seconds(STATE_SECS))
        .finish();
    HttpResponse::Found()
        .insert_header((header::LOCATION, url.to_string()))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .cookie(cookie)
        .finish()
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct CallbackQuery {
    /// WeCom's single-use login code.
    code: Option<String>,
    /// The OAuth `state` `/auth/login` sent, checked against its cookie.
    state: Option<String>,
}

/// Exchanges the single-use code, makes the session, and goes back to `next`.
/// Anything wrong: a friendly page with a retry button and no session.
#[utoipa::path(
    get,
    path = "/auth/callback",
    operation_id = "loginCallback",
    summary = "Finish WeCom login (OAuth redirect)",
    tag = "auth",
    description = "Where WeCom OAuth sends the browser back: exchanges the code, makes the session \
        (cookie `desk_session`: HttpOnly, SameSite=Lax, Secure over https, no Max-Age) and goes to `next`.",
    params(CallbackQuery),
    responses(
        (status = 302, description = "Logged in: `Set-Cookie: desk_session=…`, then to `next`.",
            headers(("Location" = String, description = "The `next` path given to `/auth/login`"))),
        (status = 400, description = "No session: an HTML page saying why (state expired or not ours, \
            code used, not a member of the corp, WeCom refused) with a retry button; \
            or `bad_query` as JSON when the query string could not be read.",
            content((desk_shared::ApiError = "application/json"), (String = "text/html"))),
    )
)]
pub(super) async fn callback(
    req: HttpRequest,
    state: web::Data<AuthState>,
    q: web::Query<CallbackQuery>,
) -> HttpResponse {
    let bound = req.cookie(STATE_COOKIE);
    let (expected_state, next) = match bound.as_ref().and_then(|c| read_state_cookie(c.value())) {
        Some(pair) => pair,
        None => return LoginError::Expired.page("/"),
    };
    let given_state = q.state.as_deref().unwrap_or_default();
    if !bool::from(expected_state.as_bytes().ct_eq(given_state.as_bytes())) {
        return LoginError::StateMismatch.page(&next);
    }
    let Some(code) = q.code.as_deref().filter(|c| !c.is_empty()) else {
        return LoginError::NoCode.page(&next);
    };
    let who = match state.wecom.user_of_code(code).await {
        Ok(who) => who,
        Err(e) => return LoginError::from(e).page(&next),
    };
    let Some(userid) = who.userid else {
        return LoginError::NotCorpMember.page(&next);
    };
    match store::has_left(&state.db, &userid).await {
        Ok(false) => {}
        Ok(true) => return LoginError::Left(userid).page("/"),
        Err(e) => {
            return LoginError::from(anyhow::Error::new(e).context("reading who left")).page("/")
        }
    }
    let member = match state.wecom.member(&userid).await {
        Ok(m) if m.status == 5 => return LoginError::Left(userid).page("/"),
        Ok(m) => m,
        Err(source) => return LoginError::MemberLookup { userid, source }.page(&next),
    };
    let user = SessionUser {
        user_id: member.userid,
        name: member.name,
        avatar: member.avatar,
    };
    let token = match store::create(&state.db, &user, state.lifetime, state.clock.now_secs()).await
    {
        Ok(t) => t,
        Err(e) => {
            return LoginError::from(anyhow::Error::new(e).context("creating the session"))
                .page("/")
        }
    };
    tracing::info!(userid = %user.user_id, "member logged in");
    let session = Cookie::build(SESSION_COOKIE, token)
        .path("/")
        .http_only(true)
        .secure(state.secure_cookies)
        .same_site(SameSite::Lax)
        .finish();
    let mut clear = Cookie::build(STATE_COOKIE, "").path("/auth").finish();
    clear.make_removal();
    // `next` was checked when it went into the cookie and again when it came out;
    // a value that still cannot be a header goes home instead of failing.
    let location = header::HeaderValue::from_str(&safe_next(Some(&next)))
        .unwrap_or_else(|_| header::HeaderValue::from_static("/"));
    HttpResponse::Found()
        .insert_header((header::LOCATION, location))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_is_kept_only_when_it_is_a_path_on_this_site() {
        assert_eq!(safe_next(Some("/orders/7?x=1")), "/orders/7?x=1");
        assert_eq!(safe_next(Some("/orders/%E7%8E%8B")), "/orders/%E7%8E%8B");
        for bad in [
            "//evil.com/x",
            "https://evil.com/",
            "/\\evil.com",
            "/\t/evil.com",
            "/%09/evil.com",
            "/%2F/evil.com",
            "/%5Cevil.com",
            "/x\r\nSet-Cookie: a=b",
            "/x; Domain=evil.com",
            "/\u{202e}x",
            "",
        ] {
            assert_eq!(safe_next(Some(bad)), "/", "{bad:?}");
        }
        assert_eq!(safe_next(None), "/");
    }

    #[test]
    fn the_state_cookie_gives_back_exactly_what_went_in() {
        let state = "a".repeat(STATE_LEN);
        let value = state_cookie_value(&state, "/orders/7?x=1&y=%20");
        assert!(value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b)));
        assert_eq!(
            read_state_cookie(&value),
            Some((state.clone(), "/orders/7?x=1&y=%20".to_string()))
        );
        assert_eq!(
            read_state_cookie(&format!(".{}", &value[STATE_LEN + 1..])),
            None
        );
        assert_eq!(read_state_cookie("|/"), None);
    }
}
