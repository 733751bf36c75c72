//! 拉进群: the order's designer or project manager who is not in the order's customer
//! group (the order changed hands) is added from the page with
//! `ww.updateEnterpriseChat`, then the server records it once WeCom shows them there.

use desk_shared::{GroupView, Order, Person};
use leptos::prelude::*;

use crate::api;
use crate::wecom::{self, WwError};

/// Everyone in the group: its owner and its members.
pub fn in_group(g: &GroupView) -> Vec<String> {
    let members = g.members.iter().map(|m| m.id.clone());
    members.chain([g.owner.user_id.clone()]).collect()
}

/// The order's designer and project manager missing from its group (`in_group`: who
/// is in it), with a button that adds them; nothing when everyone is there.
#[component]
pub fn PullIn(order: Order, chat_id: String, in_group: Vec<String>) -> impl IntoView {
    let order_id = order.id;
    let mut missing: Vec<Person> = [order.designer, order.project_manager]
        .into_iter()
        .filter(|p| !p.user_id.is_empty() && !in_group.contains(&p.user_id))
        .collect();
    missing.dedup_by(|a, b| a.user_id == b.user_id);
    if missing.is_empty() {
        return ().into_any();
    }
    let names = missing
        .iter()
        .map(|p| p.name.as_str())
        .collect::<Vec<_>>()
        .join("、");
    let ids: Vec<String> = missing.into_iter().map(|p| p.user_id).collect();
    // (order, chat, ids) → what the member reads afterwards.
    let add = Action::new_local(|(order, chat, ids): &(String, String, Vec<String>)| {
        let (order, chat, ids) = (order.clone(), chat.clone(), ids.clone());
        async move {
            match wecom::update_enterprise_chat(&chat, &ids).await {
                Ok(()) => {}
                Err(WwError::Cancelled) => return Err("已取消。".to_string()),
                Err(WwError::PermissionDenied(_)) => {
                    return Err(
                        "你不在这个群里（只有群里的人能拉人进群）：请群里的同事拉他们进群。".into(),
                    )
                }
                Err(e) => return Err(e.message()),
            }
            let answer = api::staff_joined(&order, ids)
                .await
                .map_err(|e| e.message)?;
            Ok(match answer.missing.is_empty() {
                true => "已拉进群。".to_string(),
                false => "已请企业微信拉人进群；群里暂时还看不到他们，稍后刷新再看。".to_string(),
            })
        }
    });
    let busy = add.pending();
    let said = add.value();
    let go = move |_| {
        if !busy.get_untracked() {
            add.dispatch((order_id.clone(), chat_id.clone(), ids.clone()));
        }
    };
    view! {
        <div class="pull-in" data-testid="pull-in">
            <p class="muted">{format!("{names} 还不在群里。")}</p>
            <button class="btn btn-secondary" data-testid="pull-in-button" disabled=move || busy.get() on:click=go>
                {move || if busy.get() { "正在拉进群…".to_string() } else { format!("拉进群：{names}") }}
            </button>
            {move || said.get().map(|r| match r {
                Ok(m) => view! { <p class="notice notice-success" role="status" data-testid="pull-in-said">{m}</p> }.into_any(),
                Err(m) => view! { <p class="notice notice-error" role="alert" data-testid="pull-in-said">{m}</p> }.into_any(),
            })}
        </div>
    }
    .into_any()
}
