//! Beside a customer group: the order it serves, who is in it, and 话术.

use desk_shared::{ErrorCode, GroupView};
use leptos::prelude::*;

use super::{trouble_view, watch_refusal, Trouble};
use crate::api;
use crate::components::pull_in::{in_group, PullIn};
use crate::components::replies::{Chat, QuickReplies};
use crate::components::{Load, Loading};
use crate::wecom;

/// Beside a customer group: the order it serves and who is in it.
#[component]
pub(super) fn GroupSide() -> impl IntoView {
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
    let chat = Chat {
        to: desk_shared::replies::ReplySent {
            external_user_id: None,
            chat_id: Some(group.chat_id.clone()),
        },
        customer: None,
        orders: group.order.clone().into_iter().collect(),
        can_send: true,
    };
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
        <QuickReplies chat=chat />
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
