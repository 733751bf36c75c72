//! `/sidebar`, the chat toolbar page: beside a customer chat (or on the customer's
//! profile) who the customer is and their orders, with the actions that fit; beside a
//! customer group the order it serves and who is in it; anywhere else, how to open it.

use desk_shared::{normalize_phone, Candidate, ContactProfile, ErrorCode, GroupView, Order};
use leptos::prelude::*;

use crate::api::{self, Failure};
use crate::components::group::{
    default_group_name, dispatch_once, make_group_action, ConfirmSheet, GroupReady, GroupRequest,
    Made,
};
use crate::components::pull_in::{in_group, PullIn};
use crate::components::{Blocked, Blocker, Failed, Load, Loading, Problem};
use crate::pages::entry_label;
use crate::wecom::{self, Environment, WwError};

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
                            view! { <CustomerSide /> }.into_any()
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

/// Beside a customer chat: the customer and their orders.
#[component]
fn CustomerSide() -> impl IntoView {
    let profile = Load::new(|| async {
        let id = wecom::get_cur_external_contact()
            .await
            .map_err(Trouble::Sdk)?;
        api::profile(&id).await.map_err(Trouble::Server)
    });
    let refusal = watch_refusal(profile, ErrorCode::NotYourCustomer);
    let retry = Callback::new(move |_| profile.reload());
    view! {
        {move || match profile.get() {
                None => view! { <Loading label="正在读取客户资料…" /> }.into_any(),
                Some(answer) => match answer {
                        Ok(p) => view! { <ProfileView profile=p /> }.into_any(),
                        Err(t) => trouble_view(t, refusal.get(), "这位客户不是你添加的", retry),
                },
            }}
    }
}

/// The customer, what I noted, who else follows them, and their orders.
#[component]
fn ProfileView(profile: ContactProfile) -> impl IntoView {
    let profile = RwSignal::new(profile);
    let head = profile.get_untracked();
    let kind = if head.kind == 2 {
        format!("企业微信用户 · {}", head.corp_name)
    } else {
        "微信用户".to_string()
    };
    let initial = head.name.chars().next().unwrap_or('客').to_string();
    let list = |v: Vec<String>| {
        if v.is_empty() {
            "（未填写）".to_string()
        } else {
            v.join("、")
        }
    };
    view! {
        <header class="topbar">
            <div class="me">
                <span class="avatar" aria-hidden="true">{initial}</span>
                <div>
                    <h1 data-testid="customer-name">{head.name.clone()}</h1>
                    <p class="muted">{kind}</p>
                </div>
            </div>
        </header>
        <section class="card">
            <dl class="facts">
                <dt>"我的备注"</dt>
                <dd>{if head.remark.is_empty() { "（未填写）".to_string() } else { head.remark.clone() }}</dd>
                <dt>"备注手机号"</dt>
                <dd data-testid="remark-phones">{move || list(profile.read().remark_phones.clone())}</dd>
                <dt>"添加了 TA 的同事"</dt>
                <dd data-testid="followers">{list(head.followers.iter().map(|f| f.name.clone()).collect())}</dd>
            </dl>
        </section>
        <section class="card">
            <h2>"订单"</h2>
            {
                // Rendered once: writing a remark phone changes the profile, not the
                // orders, and must not reset what each order is in the middle of.
                let orders = head.orders.clone();
                if orders.is_empty() {
                    view! {
                        <p class="muted" data-testid="no-orders">
                            "没有找到这位客户的订单：订单上的手机号不在任何同事给 TA 的备注里，TA 也不在订单的客户群里。请在客户资料的备注里填上订单的手机号。"
                        </p>
                    }
                    .into_any()
                } else {
                    view! {
                        <ul class="list orders" data-testid="orders">
                            {orders
                                .into_iter()
                                .map(|o| view! { <li><OrderItem order=o profile=profile /></li> })
                                .collect_view()}
                        </ul>
                    }
                    .into_any()
                }
            }
        </section>
    }
}

/// Whether `phone` is among `phones`, both normalised.
fn has_phone(phones: &[String], phone: &str) -> bool {
    let key = normalize_phone(phone);
    phones.iter().any(|p| normalize_phone(p) == key)
}

/// A line under an order: what happened, as a notice or an error.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Said {
    Info(String),
    Error(String),
}

/// One of the customer's orders, with its group and the actions that fit.
#[component]
fn OrderItem(order: Order, profile: RwSignal<ContactProfile>) -> impl IntoView {
    let said = RwSignal::new(None::<Said>);
    let sheet = RwSignal::new(false);
    let group_name = RwSignal::new(default_group_name(&order));
    let made = RwSignal::new(None::<desk_shared::OrderGroup>);
    let order = StoredValue::new(order);

    let customer = move || {
        let p = profile.read();
        Candidate {
            external_user_id: p.external_user_id.clone(),
            name: p.name.clone(),
            avatar: p.avatar.clone(),
            remark: p.remark.clone(),
        }
    };
    let make = make_group_action();
    let unrecorded = StoredValue::new(None::<String>);
    Effect::new(move |_| {
        let Some(outcome) = make.value().get() else {
            return;
        };
        said.set(match outcome {
            Made::NotRecorded { chat_id, message } => {
                unrecorded.set_value(Some(chat_id));
                Some(Said::Error(message))
            }
            Made::Recorded(g) => {
                sheet.set(false);
                made.set(Some(g));
                None
            }
            Made::Cancelled => Some(Said::Info("已取消，没有建群。".into())),
            Made::AlreadyHas(m) => {
                sheet.set(false);
                Some(Said::Info(m))
            }
            Made::Failed(m) => Some(Said::Error(m)),
        });
    });
    let confirm = Callback::new(move |_| {
        said.set(None);
        dispatch_once(
            make,
            GroupRequest {
                order: order.get_value(),
                customer: customer(),
                name: group_name.get_untracked().trim().to_string(),
                made: unrecorded.get_value(),
            },
        );
    });

    let write_phone = Action::new_local(|(id, phone): &(String, String)| {
        let (id, phone) = (id.clone(), phone.clone());
        async move { api::add_remark_phone(&id, &phone).await }
    });
    Effect::new(move |_| match write_phone.value().get() {
        Some(Ok(p)) => {
            said.set(Some(Said::Info(
                "已写入你的备注，以后按手机号就能匹配到这位客户。".into(),
            )));
            profile.update(|old| old.remark_phones = p.remark_phones);
        }
        Some(Err(f)) => said.set(Some(Said::Error(f.message))),
        None => {}
    });
    let add_phone = move |_| {
        if write_phone.pending().get_untracked() {
            return;
        }
        // The wait shows in the order's message line (the button is disabled meanwhile).
        said.set(Some(Said::Info("正在写入你的备注…".into())));
        let id = profile.read_untracked().external_user_id.clone();
        write_phone.dispatch((id, order.with_value(|o| o.customer_phone.clone())));
    };

    let o = order.get_value();
    let designer = o.designer.clone();
    let phone = o.customer_phone.clone();
    let recorded = o.group.clone();
    // What this member can do for the order's group, as it stands.
    let group = move || {
        if let Some(g) = made.get() {
            return view! { <GroupReady group=g fresh=true /> }.into_any();
        }
        if let Some(g) = recorded.clone() {
            return view! { <GroupReady group=g fresh=false /> }.into_any();
        }
        if make.pending().get() {
            return view! { <Loading label="正在企业微信里建群…" /> }.into_any();
        }
        if sheet.get() {
            return view! {
                <ConfirmSheet order=order.get_value() customer=customer() group_name=group_name
                    on_confirm=confirm on_cancel=Callback::new(move |_| sheet.set(false)) />
            }
            .into_any();
        }
        if profile
            .read()
            .followers
            .iter()
            .any(|f| f.user_id == designer.user_id)
        {
            return view! {
                <button class="btn btn-primary btn-block" data-testid="start" on:click=move |_| sheet.set(true)>
                    "建群"
                </button>
            }
            .into_any();
        }
        view! {
            <p class="muted">"设计师" {designer.name.clone()} "还没有添加这位客户，添加后才能建群。"</p>
        }
        .into_any()
    };
    let remark = move || {
        (!has_phone(&profile.read().remark_phones, &phone)).then(|| {
            view! {
                <div class="remark-phone">
                    <p class="muted">"你的备注里没有订单手机号 " {phone.clone()} "。"</p>
                    <button class="btn btn-secondary btn-block" data-testid="write-phone"
                        disabled=move || write_phone.pending().get() on:click=add_phone>
                        "写入备注手机号"
                    </button>
                </div>
            }
        })
    };
    view! {
        <article class="order-item" data-order=o.id.clone()>
            <div class="row-title">{o.title.clone()}</div>
            <p class="muted">
                {o.id.clone()} " · 设计师 " {o.designer.name.clone()} " · 项目经理 " {o.project_manager.name.clone()}
            </p>
            {move || said.get().map(|s| {
                let (class, text) = match s {
                    Said::Info(m) => ("notice notice-info", m),
                    Said::Error(m) => ("notice notice-error", m),
                };
                view! { <p class=class role="status">{text}</p> }
            })}
            {group}
            {remark}
            // The order page has 建内部群 and 进群二维码: in this card they would cost
            // the sidebar's first load 4–9 KB gzip over its 150 KB budget.
            <a class="link-row" data-testid="more-ways" href="/orders/".to_string() + &String::from(js_sys::encode_uri_component(&o.id))>
                "内部群、进群二维码 ›"
            </a>
        </article>
    }
}

/// Beside a customer group: the order it serves and who is in it.
#[component]
fn GroupSide() -> impl IntoView {
    let group = Load::new(|| async {
        let chat_id = wecom::get_cur_external_chat().await.map_err(Trouble::Sdk)?;
        api::group(&chat_id).await.map_err(Trouble::Server)
    });
    let refusal = watch_refusal(group, ErrorCode::NotYourGroup);
    let retry = Callback::new(move |_| group.reload());
    view! {
        {move || match group.get() {
                None => view! { <Loading label="正在读取群资料…" /> }.into_any(),
                Some(answer) => match answer {
                        Ok(g) => view! { <GroupPanel group=g /> }.into_any(),
                        Err(t) => trouble_view(t, refusal.get(), "你不在这个群里，也不负责它的订单", retry),
                },
            }}
    }
}

/// The day of a unix time as the page's locale writes it (zh-CN: `2023/11/16`).
fn day(unix_secs: i64) -> String {
    let d = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(unix_secs as f64 * 1000.0));
    d.to_locale_date_string("zh-CN", &wasm_bindgen::JsValue::UNDEFINED)
        .into()
}

#[component]
fn GroupPanel(group: GroupView) -> impl IntoView {
    let customers = group.members.iter().filter(|m| m.kind == 2).count();
    let joined = customers > 0;
    view! {
        <header class="topbar">
            <h1 data-testid="group-title">{group.name.clone()}</h1>
            <p class="muted">"群主 " {group.owner.name.clone()} " · " {group.members.len()} " 人"</p>
        </header>
        <section class="card" data-testid="group-order">
            <h2>"关联订单"</h2>
            {match group.order.clone() {
                Some(o) => view! {
                    <a class="link-row" href=format!("/orders/{}", js_sys::encode_uri_component(&o.id))>
                        <span data-testid="group-order-title">{o.title.clone()}</span>
                        <span class="muted">{o.id.clone()}</span>
                    </a>
                    <dl class="facts">
                        <dt>"客户"</dt>
                        <dd>{o.customer_name.clone()} " · " {o.customer_phone.clone()}</dd>
                        <dt>"设计师"</dt>
                        <dd>{o.designer.name.clone()}</dd>
                        <dt>"项目经理"</dt>
                        <dd>{o.project_manager.name.clone()}</dd>
                        <dt>"客户进群"</dt>
                        <dd>{if joined { "已进群" } else { "还没有客户进群" }}</dd>
                    </dl>
                    <PullIn order=o.clone() chat_id=group.chat_id.clone() in_group=in_group(&group) />
                }
                .into_any(),
                None => view! {
                    <p class="muted" data-testid="no-order">"这个群还没有关联订单（或关联的不是你负责的订单）。"</p>
                }
                .into_any(),
            }}
        </section>
        <section class="card">
            <h2>"群成员"</h2>
            <ul class="list" data-testid="members">
                {group
                    .members
                    .into_iter()
                    .map(|m| {
                        let who = if m.kind == 2 { "客户" } else { "同事" };
                        view! {
                            <li class="list-row" data-member=m.id.clone()>
                                <div>
                                    <div class="row-title">{m.name}</div>
                                    <div class="muted">{who} " · " {day(m.join_time)} " 进群"</div>
                                </div>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_remark_phone_counts_however_it_was_typed() {
        let phones = vec!["139 0000 0000".to_string(), "+86 138-0000-7919".to_string()];
        assert!(has_phone(&phones, "13900000000"));
        assert!(has_phone(&phones, "13800007919"));
        assert!(!has_phone(&phones, "13900000001"));
        assert!(!has_phone(&[], "13900000000"));
    }
}
