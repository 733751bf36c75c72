//! WeCom Desk H5: the page staff open inside the WeCom client.

pub mod api;
pub mod components;
pub mod pages;
pub mod wecom;

use desk_shared::Session;
use leptos::prelude::*;
use leptos_router::components::{Route, Router, Routes};
use leptos_router::path;

use crate::components::{Failed, Loading};
use crate::wecom::SdkState;

/// The app: logs the member in (WeCom OAuth), registers the JS-SDK, then routes.
#[component]
pub fn App() -> impl IntoView {
    let session = LocalResource::new(api::session);
    let sdk = SdkState::new();
    provide_context(sdk);
    let registered = StoredValue::new(false);
    let retry = Callback::new(move |_| session.refetch());

    view! {
        <Router>
            <main class="app">
                <Transition fallback=|| {
                    view! { <Loading label="正在连接服务器…" /> }
                }>
                    {move || {
                        session
                            .get()
                            .map(|result| match result {
                                Ok(s) if s.user.is_some() => {
                                    if !registered.get_value() {
                                        registered.set_value(true);
                                        // Failures show on the pages that need the SDK.
                                        let _ = wecom::register(&s.corp_id, s.agent_id, sdk);
                                    }
                                    provide_context(s);
                                    view! { <AppRoutes /> }.into_any()
                                }
                                Ok(_) => {
                                    go_to_login();
                                    view! { <Loading label="正在跳转到企业微信登录…" /> }.into_any()
                                }
                                Err(e) => view! { <Failed message=e.message on_retry=retry /> }.into_any(),
                            })
                    }}
                </Transition>
            </main>
        </Router>
    }
}

#[component]
fn AppRoutes() -> impl IntoView {
    view! {
        <Routes fallback=|| view! { <pages::NotFound /> }>
            <Route path=path!("/") view=pages::Home />
            <Route path=path!("/debug") view=pages::Debug />
            <Route path=path!("/orders") view=pages::Orders />
            <Route path=path!("/orders/:id") view=pages::OrderPage />
        </Routes>
    }
}

/// Sends the browser through WeCom login and back to this page.
fn go_to_login() {
    let location = window().location();
    let here = format!(
        "{}{}",
        location.pathname().unwrap_or_default(),
        location.search().unwrap_or_default()
    );
    let next = js_sys::encode_uri_component(&here);
    let _ = location.set_href(&format!("/auth/login?next={next}"));
}

/// The session of the logged-in member (provided once login is done).
pub fn use_session() -> Session {
    expect_context::<Session>()
}
