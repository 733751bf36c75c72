//! Beside a customer chat (or on the customer's profile): who the customer is, what I
//! noted, who else follows them, their orders with the actions that fit, and 话术.

use desk_shared::{normalize_phone, Candidate, ContactProfile, ErrorCode, Order};
use leptos::prelude::*;

use super::{trouble_view, watch_refusal, Trouble};
use crate::api;
use crate::components::group::{
    default_group_name, dispatch_once, make_group_action, ConfirmSheet, GroupReady, GroupRequest,
    Made,
};
use crate::components::replies::{Chat, QuickReplies, SendJoinQr};
use crate::components::{Load, Loading};
use crate::wecom;

/// Beside a customer chat: the customer and their orders.
#[component]
pub(super) fn CustomerSide(
    /// Opened beside the chat (not on the profile): messages can be put into it.
    in_chat: bool,
) -> impl IntoView {
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
                        Ok(p) => view! { <ProfileView profile=p in_chat=in_chat /> }.into_any(),
                        Err(t) => trouble_view(t, refusal.get(), "这位客户不是你添加的", retry),
                },
            }}
    }
}

/// The customer, what I noted, who else follows them, and their orders.
#[component]
fn ProfileView(profile: ContactProfile, in_chat: bool) -> impl IntoView {
    let chat = Chat {
        to: desk_shared::replies::ReplySent {
            external_user_id: Some(profile.external_user_id.clone()),
            chat_id: None,
        },
        customer: Some(profile.name.clone()),
        orders: profile.orders.clone(),
        can_send: in_chat,
    };
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
                                .map(|o| view! { <li><OrderItem order=o profile=profile in_chat=in_chat /></li> })
                                .collect_view()}
                        </ul>
                    }
                    .into_any()
                }
            }
        </section>
        <QuickReplies chat=chat />
    }
}

/// Whether `phone` is among `phones`, both normalised.
fn has_phone(phones: &[String], phone: &str) -> bool {
    let key = normalize_phone(phone);
    phones.iter().any(|p| normalize_phone(p) == key)
}

/// Whether sending the join QR code into the chat can help: the order is open and
/// its customer is not in a group of it yet (none made, or made without them).
fn wants_join_qr(o: &Order) -> bool {
    o.status != "closed"
        && o.group
            .as_ref()
            .is_none_or(|g| g.dismissed_at.is_none() && g.customer_joined_at.is_none())
}

/// A line under an order: what happened, as a notice or an error.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Said {
    Info(String),
    Error(String),
}

/// One of the customer's orders, with its group and the actions that fit.
#[component]
fn OrderItem(order: Order, profile: RwSignal<ContactProfile>, in_chat: bool) -> impl IntoView {
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
    let page = "/orders/".to_string() + &String::from(js_sys::encode_uri_component(&o.id));
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
            {(in_chat && wants_join_qr(&o)).then(|| view! { <SendJoinQr order_id=o.id.clone() /> })}
            // The order page has 建内部群 and the QR codes themselves to show or print.
            <a class="link-row" data-testid="more-ways" href=page.clone()>
                "内部群、进群二维码 ›"
            </a>
            {(o.contact_way.is_some() && o.status != "closed").then(|| view! {
                <a class="link-row" data-testid="contact-way-link" rel="external" href=page>
                    "扫码加我 ›"
                </a>
            })}
        </article>
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
