//! Logging in again without a loop: WeCom's silent login (`snsapi_base`) when a session
//! ends, at most once in `LOGIN_LOOP_MS` from a tab, and once per page and kind of
//! refusal when the member behind the cookie is not the one who opened the page. What a
//! tab has tried is kept in its `sessionStorage`.

fn session_storage() -> Option<web_sys::Storage> {
    web_sys::window()?.session_storage().ok()?
}

/// Milliseconds since the epoch, whole (no float formatting code in the wasm).
fn now_ms() -> i64 {
    js_sys::Date::now() as i64
}

/// Where the login comes back to: this page, as it is.
fn here() -> String {
    let Some(location) = web_sys::window().map(|w| w.location()) else {
        return "/".into();
    };
    format!(
        "{}{}",
        location.pathname().unwrap_or_default(),
        location.search().unwrap_or_default()
    )
}

/// Logins started in the last this many milliseconds mean the last one did not
/// take (a cookie refused, say): the page stops instead of looping.
const LOGIN_LOOP_MS: i64 = 30_000;
const LOGIN_AT: &str = "desk.login_at";
const RELOGIN_FOR: &str = "desk.relogin_for";

/// Whether a login may start now: not if one started moments ago from this tab. (A
/// tab with no session storage may always start one: the first login must happen.)
pub fn may_log_in_again() -> bool {
    let Some(store) = session_storage() else {
        return true;
    };
    let last = store
        .get_item(LOGIN_AT)
        .ok()
        .flatten()
        .and_then(|v| v.parse::<i64>().ok());
    if last.is_some_and(|at| now_ms() - at < LOGIN_LOOP_MS) {
        return false;
    }
    store.set_item(LOGIN_AT, &now_ms().to_string()).is_ok()
}

/// Sends the browser through WeCom's silent login (`snsapi_base`) and back here.
pub fn log_in_again() {
    if let Some(window) = web_sys::window() {
        let next = js_sys::encode_uri_component(&here());
        let _ = window
            .location()
            .set_href(&format!("/auth/login?next={next}"));
    }
}

/// The member who opened the page may not be the one logged in (they switched WeCom
/// accounts, and the webview kept the cookie): logs in again once for this page and
/// this kind of refusal. False when that was already tried (or the tab cannot
/// remember trying), so the page can say the data is not theirs.
pub fn log_in_again_once_for_this_page(refusal: &str) -> bool {
    let Some(store) = session_storage() else {
        return false;
    };
    let key = format!("{}#{refusal}", here());
    let tried = store.get_item(RELOGIN_FOR).ok().flatten();
    if tried.as_deref() == Some(key.as_str()) {
        let _ = store.remove_item(RELOGIN_FOR);
        return false;
    }
    if store.set_item(RELOGIN_FOR, &key).is_err() {
        return false;
    }
    log_in_again();
    true
}

/// A session is there: a later 401 may start a login again at once.
pub fn logged_in() {
    if let Some(s) = session_storage() {
        let _ = s.remove_item(LOGIN_AT);
    }
}

/// The page loaded as the right member: a later refusal may log in again.
pub fn logged_in_as_the_right_member() {
    if let Some(s) = session_storage() {
        let _ = s.remove_item(RELOGIN_FOR);
    }
}
