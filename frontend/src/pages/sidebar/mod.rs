//! `/sidebar`, the chat toolbar page: beside a customer chat (or on the customer's
//! profile) who the customer is and their orders, with the actions that fit; beside a
//! customer group the order it serves and who is in it; anywhere else, how to open it.

mod customer;
mod group;

use desk_shared::ErrorCode;
use leptos::prelude::*;

use crate::api::Failure;
use crate::components::{Blocked, Blocker, Failed, Load, Loading, Problem};
use crate::pages::entry_label;
use crate::wecom::{self, Environment, WwError};
use customer::CustomerSide;
use group::GroupSide;

/// Where a sidebar's data could not come from.
#[derive(Debug, Clone, PartialEq)]
enum Trouble {
    /// The client did not say which customer or group (or refused the app).
    Sdk(WwError),
    Server(Failure),
}

/// The page: which toolbar it was opened from decides what it shows.
#[component]
pub fn Sidebar() -> impl IntoView {
    // Outside WeCom there is no client to ask: say so before any SDK call.
    if wecom::environment() != Environment::WeCom {
        return view! { <HowToOpen entry=None /> }.into_any();
    }
    let entry = Load::new(wecom::get_context);
    let retry = Callback::new(move |_| entry.reload());
    view! {
        {move || match entry.get() {
                None => view! { <Loading label="正在读取打开方式…" /> }.into_any(),
                Some(answer) => match answer {
                        Ok(e) if e == "single_chat_tools" || e == "contact_profile" => {
                            // Only beside the chat can a message be put into it.
                            let in_chat = e == "single_chat_tools";
                            view! { <CustomerSide in_chat=in_chat /> }.into_any()
                        }
                        Ok(e) if e == "group_chat_tools" => view! { <GroupSide /> }.into_any(),
                        Ok(e) => view! { <HowToOpen entry=Some(e) /> }.into_any(),
                        Err(e) => view! { <SdkProblem error=e on_retry=retry /> }.into_any(),
                },
            }}
    }
    .into_any()
}

/// How to open the sidebar, for a page opened anywhere else.
#[component]
fn HowToOpen(entry: Option<String>) -> impl IntoView {
    view! {
        <section class="card" data-testid="how-to-open">
            <h2>"请从聊天工具栏打开"</h2>
            <p>
                "请在企业微信客户端里打开与客户的单聊或客户群，点输入框上方的「聊天工具栏」，选择本应用，这里就会显示这位客户和 TA 的订单。"
            </p>
            {entry.map(|e| view! { <p class="muted">"这次是从「" {entry_label(&e)} "」打开的。"</p> })}
            <a class="btn btn-secondary" href="/orders">"查看我的订单"</a>
        </section>
    }
}

/// A JS-SDK failure: the app kept out gets its own page; others a retry.
#[component]
fn SdkProblem(error: WwError, on_retry: Callback<()>) -> impl IntoView {
    match error {
        WwError::PermissionDenied(_) => {
            view! { <Blocked blocker=Blocker::AppUnavailable on_retry=on_retry /> }.into_any()
        }
        e => view! { <Failed message=e.message() on_retry=on_retry /> }.into_any(),
    }
}

/// Whether a refusal means "not yours" (then one silent re-login is tried first).
fn not_yours(t: &Trouble, code: ErrorCode) -> bool {
    matches!(t, Trouble::Server(f) if f.is(code))
}

/// What a sidebar shows while its data is refused as "not yours": the member may
/// have switched WeCom accounts, so the login is run once again before saying so.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Refusal {
    Deciding,
    LoggingInAgain,
    Final,
}

/// Watches `data`: a "not yours" (`code`) logs in again once for this page; data
/// that loads clears that.
fn watch_refusal<T: Clone + Send + Sync + 'static>(
    data: Load<Result<T, Trouble>>,
    code: ErrorCode,
) -> RwSignal<Refusal> {
    let refusal = RwSignal::new(Refusal::Deciding);
    Effect::new(move |_| match data.get() {
        Some(Ok(_)) => crate::login::logged_in_as_the_right_member(),
        Some(Err(t)) if not_yours(&t, code) => {
            // A fixed key, not `code.as_str()`: that would bring every code's string in.
            let key = if code == ErrorCode::NotYourGroup {
                "group"
            } else {
                "customer"
            };
            refusal.set(if crate::login::log_in_again_once_for_this_page(key) {
                Refusal::LoggingInAgain
            } else {
                Refusal::Final
            });
        }
        _ => {}
    });
    refusal
}

/// The trouble as the page says it.
fn trouble_view(
    t: Trouble,
    refusal: Refusal,
    not_yours_text: &'static str,
    retry: Callback<()>,
) -> AnyView {
    match t {
        Trouble::Server(f) if f.is(ErrorCode::NotYourCustomer) || f.is(ErrorCode::NotYourGroup) => {
            match refusal {
                Refusal::Final => view! {
                    <section class="card" role="alert" data-testid="not-yours">
                        <h2>{not_yours_text}</h2>
                        <p class="muted">{f.message}</p>
                    </section>
                }
                .into_any(),
                _ => view! { <Loading label="正在确认你的企业微信账号…" /> }.into_any(),
            }
        }
        Trouble::Server(f) => view! { <Problem failure=f on_retry=retry /> }.into_any(),
        Trouble::Sdk(e) => view! { <SdkProblem error=e on_retry=retry /> }.into_any(),
    }
}
