//! The console's place in the URL (`/admin?tab=orders&designer=zhangwei&offset=20`): a
//! reload, or a link an admin sends, opens the same section with the same filters.
//! Written with `history.replaceState` (no new history entry, no re-render).

use leptos::prelude::*;
use web_sys::UrlSearchParams;

/// A text kept in the query parameter `key` (left out when empty).
pub(super) fn text(key: &'static str) -> RwSignal<String> {
    let value = RwSignal::new(read(key).unwrap_or_default());
    Effect::new(move |_| write(key, &value.get()));
    value
}

/// A row offset kept in the query parameter `key` (left out when 0).
pub(super) fn offset(key: &'static str) -> RwSignal<i64> {
    let start = read(key).and_then(|v| v.parse().ok()).filter(|n| *n >= 0);
    let value = RwSignal::new(start.unwrap_or(0));
    Effect::new(move |_| {
        let n = value.get();
        write(key, &if n == 0 { String::new() } else { n.to_string() });
    });
    value
}

fn params() -> Option<UrlSearchParams> {
    let search = web_sys::window()?.location().search().ok()?;
    UrlSearchParams::new_with_str(&search).ok()
}

/// The query parameter `key` of the page's URL now.
pub(super) fn read(key: &str) -> Option<String> {
    params()?.get(key).filter(|v| !v.is_empty())
}

/// Sets (or, empty, removes) the query parameter `key` in the page's URL.
pub(super) fn write(key: &str, value: &str) {
    let (Some(window), Some(params)) = (web_sys::window(), params()) else {
        return;
    };
    if params.get(key).as_deref().unwrap_or_default() == value {
        return;
    }
    if value.is_empty() {
        params.delete(key);
    } else {
        params.set(key, value);
    }
    let query = String::from(params.to_string());
    let path = window.location().pathname().unwrap_or_default();
    let url = match query.is_empty() {
        true => path,
        false => format!("{path}?{query}"),
    };
    if let Ok(history) = window.history() {
        let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&url));
    }
}
