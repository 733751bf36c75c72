//! WeCom Desk H5: the page staff open inside the WeCom client.

pub mod api;
pub mod components;
pub mod login;
pub mod pages;
pub mod wecom;

use desk_shared::Session;
use leptos::prelude::*;
use leptos_router::components::{Route, Router, Routes};
use leptos_router::path;

use crate::components::{Failed, Load, Loading, Problem};
use crate::wecom::SdkState;

/// The app: logs the member in (WeCom OAuth), registers the JS-SDK, then routes.
#[component]
pub fn App() -> impl IntoView {
    view! {
        <Router>
            <main class="app">
                <LoggedIn then=|| view! { <AppRoutes /> }.into_any() />
            </main>
        </Router>
    }
}

/// The chat sidebar alone (bin `desk-sidebar`): the same login, one page, no router.
#[component]
pub fn SidebarApp() -> impl IntoView {
    view! {
        <main class="app">
            <LoggedIn then=|| view! { <pages::Sidebar /> }.into_any() />
        </main>
    }
}

/// Shows `then` once a member is logged in: the session is asked for, the browser
/// sent through WeCom's silent login when there is none, and the JS-SDK registered.
#[component]
fn LoggedIn(then: fn() -> AnyView) -> impl IntoView {
    let session = Load::new(api::session);
    let sdk = SdkState::new();
    provide_context(sdk);
    // Registered once, when the session is known, outside any render.
    let registered = StoredValue::new(false);
    Effect::new(move |_| {
        if let Some(Ok(Session {
            corp_id,
            agent_id,
            user: Some(_),
        })) = session.get()
        {
            if !registered.get_value() {
                registered.set_value(true);
                // Failures show on the pages that need the SDK.
                let _ = wecom::register(&corp_id, agent_id, sdk);
            }
        }
    });
    let retry = Callback::new(move |_| session.reload());
    move || match session.get() {
        None => view! { <Loading label="正在连接服务器…" /> }.into_any(),
        Some(Ok(s)) if s.user.is_some() => {
            login::logged_in();
            provide_context(s);
            then()
        }
        Some(Ok(_)) if login::may_log_in_again() => {
            login::log_in_again();
            view! { <Loading label="正在跳转到企业微信登录…" /> }.into_any()
        }
        Some(Ok(_)) => view! {
            <Failed
                message="登录没有成功。请关闭本页面后重新打开；一直如此请联系管理员。"
                on_retry=Callback::new(move |_| login::log_in_again())
            />
        }
        .into_any(),
        Some(Err(e)) => view! { <Problem failure=e on_retry=retry /> }.into_any(),
    }
}

#[component]
fn AppRoutes() -> impl IntoView {
    view! {
        <Routes fallback=|| view! { <pages::NotFound /> }>
            <Route path=path!("/") view=pages::Home />
            // Served by its own build (dist/sidebar/); here for a build without it.
            <Route path=path!("/sidebar") view=pages::Sidebar />
            <Route path=path!("/debug") view=pages::Debug />
            <Route path=path!("/admin") view=pages::AdminPage />
            <Route path=path!("/admin/pool") view=pages::PoolPage />
            <Route path=path!("/orders") view=pages::Orders />
            <Route path=path!("/orders/:id") view=pages::OrderPage />
        </Routes>
    }
}

/// The session of the logged-in member (provided once login is done).
pub fn use_session() -> Session {
    expect_context::<Session>()
}
