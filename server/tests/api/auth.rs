//! WeCom login end to end: our server, the simulator's OAuth page, back again.

use desk_shared::Session;
use reqwest::header::COOKIE;

use crate::helpers::*;

struct Started {
    /// The simulator's authorize URL our server sent the browser to.
    authorize: url::Url,
    /// The `desk_oauth=…` cookie our server set.
    state_cookie: String,
}

async fn start_login(app: &TestApp, next: &str) -> Started {
    let resp = app
        .get(&format!("/auth/login?next={}", urlencode(next)))
        .await;
    assert_eq!(resp.status(), 302);
    let cookie = set_cookie(&resp, "desk_oauth").expect("state cookie");
    assert!(cookie.contains("HttpOnly"));
    Started {
        authorize: url::Url::parse(&header(&resp, "location")).expect("authorize URL"),
        state_cookie: cookie_pair(&resp, "desk_oauth").expect("state cookie"),
    }
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// The simulator approves `userid` and answers with the redirect back to us.
async fn approve(app: &TestApp, started: &Started, who: &str) -> url::Url {
    let q: std::collections::HashMap<_, _> = started.authorize.query_pairs().into_owned().collect();
    let resp = app
        .sim
        .http
        .get(format!(
            "{}/connect/oauth2/approve?{who}&redirect_uri={}&state={}",
            app.sim.url,
            urlencode(&q["redirect_uri"]),
            q["state"]
        ))
        .send()
        .await
        .expect("approve");
    assert_eq!(resp.status(), 302);
    url::Url::parse(&header(&resp, "location")).expect("back URL")
}

async fn callback(app: &TestApp, back: &url::Url, cookie: &str) -> reqwest::Response {
    app.http
        .get(format!(
            "{}/auth/callback?{}",
            app.address,
            back.query().unwrap_or_default()
        ))
        .header(COOKIE, cookie)
        .send()
        .await
        .expect("callback")
}

#[tokio::test]
async fn login_goes_to_wecom_with_the_documented_parameters() {
    let app = spawn_app().await;
    let started = start_login(&app, "/orders/7?from=menu").await;
    let a = &started.authorize;
    assert!(a
        .as_str()
        .starts_with(&format!("{}/connect/oauth2/authorize?", app.sim.url)));
    assert_eq!(a.fragment(), Some("wechat_redirect"));
    let q: std::collections::HashMap<_, _> = a.query_pairs().into_owned().collect();
    assert_eq!(q["appid"], CORP_ID);
    assert_eq!(q["redirect_uri"], format!("{ORIGIN}/auth/callback"));
    assert_eq!(q["response_type"], "code");
    assert_eq!(q["scope"], "snsapi_base");
    assert_eq!(q["agentid"], AGENT_ID.to_string());
    assert!(q["state"].len() >= 16 && q["state"].chars().all(|c| c.is_ascii_alphanumeric()));
    // The simulator's page accepts exactly these parameters.
    let page = app.sim.http.get(a.as_str()).send().await.expect("page");
    assert_eq!(page.status(), 200);
    assert!(page.text().await.expect("html").contains("张伟"));
}

#[tokio::test]
async fn a_member_logs_in_and_lands_on_the_page_they_opened() {
    let app = spawn_app().await;
    let started = start_login(&app, "/orders/7?from=menu").await;
    let back = approve(&app, &started, "userid=zhangwei").await;
    assert!(back
        .as_str()
        .starts_with(&format!("{ORIGIN}/auth/callback?")));

    let resp = callback(&app, &back, &started.state_cookie).await;
    assert_eq!(resp.status(), 302);
    assert_eq!(header(&resp, "location"), "/orders/7?from=menu");
    let session = set_cookie(&resp, "desk_session").expect("session cookie");
    let session_pair = cookie_pair(&resp, "desk_session").expect("session cookie");
    assert!(session.contains("HttpOnly"), "{session}");
    assert!(session.contains("SameSite=Lax"), "{session}");
    assert!(
        session.contains("Secure"),
        "https public_url → Secure: {session}"
    );
    assert!(
        !session.contains("Max-Age"),
        "dies with the webview: {session}"
    );

    let s: Session = app
        .http
        .get(format!("{}/api/session", app.address))
        .header(COOKIE, session_pair)
        .send()
        .await
        .expect("session")
        .json()
        .await
        .expect("json");
    let user = s.user.expect("logged in");
    assert_eq!(user.user_id, "zhangwei");
    assert_eq!(user.name, "张伟");
}

#[tokio::test]
async fn a_used_code_is_a_friendly_page_and_no_session() {
    let app = spawn_app().await;
    let started = start_login(&app, "/").await;
    let back = approve(&app, &started, "userid=lina").await;
    assert_eq!(
        callback(&app, &back, &started.state_cookie).await.status(),
        302
    );

    let again = callback(&app, &back, &started.state_cookie).await;
    assert_eq!(again.status(), 400);
    assert!(set_cookie(&again, "desk_session").is_none());
    let html = again.text().await.expect("html");
    assert!(html.contains("登录凭证已失效"), "{html}");
    assert!(html.contains("/auth/login?next="), "a retry button: {html}");
}

#[tokio::test]
async fn a_mismatched_state_is_refused() {
    let app = spawn_app().await;
    let started = start_login(&app, "/").await;
    let back = approve(&app, &started, "userid=lina").await;
    let other = start_login(&app, "/").await;
    let resp = callback(&app, &back, &other.state_cookie).await;
    assert_eq!(resp.status(), 400);
    assert!(set_cookie(&resp, "desk_session").is_none());
    assert!(resp.text().await.expect("html").contains("登录校验失败"));
    // Without the cookie at all.
    let resp = callback(&app, &back, "x=y").await;
    assert_eq!(resp.status(), 400);
}

#[tokio::test]
async fn a_non_member_gets_a_friendly_page() {
    let app = spawn_app().await;
    let started = start_login(&app, "/").await;
    let back = approve(&app, &started, "openid=o_visitor").await;
    let resp = callback(&app, &back, &started.state_cookie).await;
    assert_eq!(resp.status(), 400);
    assert!(set_cookie(&resp, "desk_session").is_none());
    assert!(resp.text().await.expect("html").contains("不是本企业成员"));
}

#[tokio::test]
async fn next_never_leaves_the_site() {
    let app = spawn_app().await;
    let started = start_login(&app, "//evil.example.com/").await;
    let back = approve(&app, &started, "userid=lina").await;
    let resp = callback(&app, &back, &started.state_cookie).await;
    assert_eq!(header(&resp, "location"), "/");
}

#[tokio::test]
async fn a_forged_session_cookie_is_nobody() {
    let app = spawn_app().await;
    let s: Session = app
        .http
        .get(format!("{}/api/session", app.address))
        .header(COOKIE, "desk_session=0123456789abcdef")
        .send()
        .await
        .expect("session")
        .json()
        .await
        .expect("json");
    assert!(s.user.is_none());
}

#[tokio::test]
async fn the_oauth_page_refuses_wrong_parameters_as_wecom_does() {
    let app = spawn_app().await;
    let started = start_login(&app, "/").await;
    let bad = started.authorize.as_str().replace(CORP_ID, "wwwrong");
    let html = app.sim.page(&bad).await;
    assert!(html.contains("appid 参数错误"), "{html}");
    let bad = started
        .authorize
        .as_str()
        .replace("snsapi_base", "snsapi_userinfo");
    let html = app.sim.page(&bad).await;
    assert!(html.contains("scope"), "{html}");
}
