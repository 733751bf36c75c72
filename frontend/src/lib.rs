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

/// 我的订单 alone (bin `desk-orders`, served for `/orders`): the list and its batch
/// work, without the admin console or a router, so a phone opens it fast. Each order
/// links to its page with a full page load (bin `desk-order`).
#[component]
pub fn OrderListApp() -> impl IntoView {
    view! {
        <main class="app">
            <LoggedIn then=|| view! { <pages::Orders /> }.into_any() />
        </main>
    }
}

/// One order's page alone (bin `desk-order`, served for `/orders/{id}`): its group
/// and the button that makes it, light enough for a phone.
#[component]
pub fn OrderPageApp() -> impl IntoView {
    view! {
        <main class="app">
            <LoggedIn then=order_page />
        </main>
    }
}

/// The order page for the id in the address (`/orders/{id}`, percent-decoded).
fn order_page() -> AnyView {
    let path = window().location().pathname().unwrap_or_default();
    let id = path.strip_prefix("/orders/").unwrap_or_default();
    let id = js_sys::decode_uri_component(id)
        .map(String::from)
        .unwrap_or_else(|_| id.to_string());
    view! { <pages::OrderPage id=id /> }.into_any()
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
            // The sidebar and the order pages are served by their own builds
            // (dist/sidebar/, dist/orders/, dist/order/): here for a build without
            // them (`trunk serve`). Links between builds are `rel="external"`, so the server
            // always decides which build a page loads.
            <Route path=path!("/sidebar") view=pages::Sidebar />
            <Route path=path!("/debug") view=pages::Debug />
            <Route path=path!("/admin") view=pages::AdminPage />
            <Route path=path!("/admin/pool") view=pages::PoolPage />
            <Route path=path!("/orders") view=pages::Orders />
            <Route path=path!("/orders/:id") view=RoutedOrder />
        </Routes>
    }
}

/// The order page under the app's router: the id from the route.
#[component]
fn RoutedOrder() -> impl IntoView {
    let params = leptos_router::hooks::use_params_map();
    move || {
        let id = params.read().get("id").unwrap_or_default();
        view! { <pages::OrderPage id=id /> }
    }
}

/// The session of the logged-in member (provided once login is done).
pub fn use_session() -> Session {
    expect_context::<Session>()
}
