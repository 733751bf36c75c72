use desk_shared::{Candidate, ErrorCode, Order, OrderGroup, RecordGroup};
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use crate::api;
use crate::components::{Failed, Loading};
use crate::wecom::{self, EnterpriseChat, WwError};

/// The group name offered by default: `王女士-城南店服务群`.
pub fn default_group_name(order: &Order) -> String {
    let store = order
        .title
        .split(['·', '-', ' '])
        .map(str::trim)
        .find(|s| !s.is_empty())
        .unwrap_or("");
    format!("{}-{store}服务群", order.customer_name)
}

/// Where the group flow is.
#[derive(Debug, Clone, PartialEq)]
enum Step {
    /// Nothing asked yet.
    Start,
    Matching,
    /// Candidates shown (maybe none, with the hint).
    Pick {
        candidates: Vec<Candidate>,
        hint: Option<String>,
    },
    /// The in-page confirm sheet for this customer.
    Confirm {
        customer: Candidate,
    },
    /// Waiting for WeCom, then for the server.
    Creating,
    Done {
        group: OrderGroup,
    },
}

/// One order: its group, or the flow that makes it.
#[component]
pub fn OrderPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").unwrap_or_default();
    let order = LocalResource::new(move || {
        let id = id();
        async move { api::order(&id).await }
    });
    let retry = Callback::new(move |_| order.refetch());
    view! {
        <Transition fallback=|| view! { <Loading label="正在加载订单…" /> }>
            {move || {
                order
                    .get()
                    .map(|result| match result {
                        Ok(o) => view! { <OrderView order=o on_changed=retry /> }.into_any(),
                        Err(e) => view! { <Failed message=e.message on_retry=retry /> }.into_any(),
                    })
            }}
        </Transition>
        <a class="btn btn-secondary" href="/orders">"返回订单列表"</a>
    }
}

#[component]
fn OrderView(
    /// The order as loaded.
    order: Order,
    /// Reloads the order (after a conflict).
    on_changed: Callback<()>,
) -> impl IntoView {
    let step = RwSignal::new(Step::Start);
    let error = RwSignal::new(None::<String>);
    let notice = RwSignal::new(None::<String>);
    let group_name = RwSignal::new(default_group_name(&order));
    let order = StoredValue::new(order);
    let existing = order.with_value(|o| o.group.clone());

    let find = move |refresh: bool| {
        error.set(None);
        notice.set(None);
        step.set(Step::Matching);
        let id = order.with_value(|o| o.id.clone());
        leptos::task::spawn_local(async move {
            match api::candidates(&id, refresh).await {
                Ok(c) if c.candidates.len() == 1 && c.hint.is_none() => step.set(Step::Confirm {
                    customer: c.candidates[0].clone(),
                }),
                Ok(c) => step.set(Step::Pick {
                    candidates: c.candidates,
                    hint: c.hint,
                }),
                Err(e) => {
                    error.set(Some(e.message));
                    step.set(Step::Start);
                }
            }
        });
    };

    let pick_manually = move |_| {
        error.set(None);
        leptos::task::spawn_local(async move {
            match wecom::select_external_contact().await {
                Ok(ids) => match ids.into_iter().next() {
                    Some(id) => step.set(Step::Confirm {
                        customer: Candidate {
                            external_user_id: id.clone(),
                            name: id,
                            avatar: String::new(),
                            remark: "手动选择".into(),
                        },
                    }),
                    None => notice.set(Some("没有选择客户。".into())),
                },
                Err(WwError::Cancelled) => notice.set(Some("已取消选择。".into())),
                Err(e) => error.set(Some(e.message())),
            }
        });
    };

    let create = move |customer: Candidate| {
        error.set(None);
        notice.set(None);
        step.set(Step::Creating);
        let (id, designer, pm) = order.with_value(|o| {
            (
                o.id.clone(),
                o.designer.user_id.clone(),
                o.project_manager.user_id.clone(),
            )
        });
        let name = group_name.get_untracked().trim().to_string();
        leptos::task::spawn_local(async move {
            let chat = EnterpriseChat::Create {
                group_name: name.clone(),
                user_ids: vec![designer.clone(), pm.clone()],
                external_user_ids: vec![customer.external_user_id.clone()],
            };
            let chat_id = match wecom::open_enterprise_chat(&chat).await {
                Ok(chat_id) if !chat_id.is_empty() => chat_id,
                Ok(_) => {
                    error.set(Some(
                        "企业微信没有返回群 ID，无法记录这个群。请升级企业微信后重试。".into(),
                    ));
                    step.set(Step::Confirm { customer });
                    return;
                }
                Err(WwError::Cancelled) => {
                    notice.set(Some("已取消，没有建群。".into()));
                    step.set(Step::Confirm { customer });
                    return;
                }
                Err(e) => {
                    error.set(Some(e.message()));
                    step.set(Step::Confirm { customer });
                    return;
                }
            };
            let record = RecordGroup {
                chat_id,
                group_name: name,
                external_user_ids: vec![customer.external_user_id.clone()],
                user_ids: vec![designer, pm],
            };
            match api::record_group(&id, &record).await {
                Ok(group) => step.set(Step::Done { group }),
                Err(e) if e.is(ErrorCode::GroupExists) => {
                    notice.set(Some(e.message));
                    on_changed.run(());
                }
                Err(e) => {
                    error.set(Some(format!(
                        "群已在企业微信建好，但没能记录到订单：{} 请重试（不会再建群）。",
                        e.message
                    )));
                    step.set(Step::Confirm { customer });
                }
            }
        });
    };

    let o = order.get_value();
    view! {
        <header class="topbar">
            <h1 data-testid="order-title">{o.title.clone()}</h1>
            <p class="muted">"订单号 " {o.id.clone()}</p>
        </header>
        {o
            .notice
            .clone()
            .map(|n| view! { <p class="notice" role="status" data-testid="order-notice">{n}</p> })}
        <section class="card">
            <dl class="facts">
                <dt>"客户"</dt>
                <dd>{o.customer_name.clone()} " · " {o.customer_phone.clone()}</dd>
                <dt>"设计师"</dt>
                <dd>{o.designer.name.clone()}</dd>
                <dt>"项目经理"</dt>
                <dd>{o.project_manager.name.clone()}</dd>
            </dl>
        </section>
        <section class="card" data-testid="group-section">
            <h2>"客户群"</h2>
            {move || error.get().map(|m| view! { <p class="notice notice-error" role="alert">{m}</p> })}
            {move || notice.get().map(|m| view! { <p class="notice notice-info" role="status">{m}</p> })}
            {match existing.clone() {
                Some(group) => view! { <GroupReady group=group fresh=false /> }.into_any(),
                None => {
                    view! {
                        {move || match step.get() {
                            Step::Start => {
                                view! {
                                    <p class="muted">"还没有客户群。建群会把设计师、项目经理和客户拉进同一个企业客户群。"</p>
                                    <button class="btn btn-primary btn-block" data-testid="start" on:click=move |_| find(false)>
                                        "建群"
                                    </button>
                                }
                                    .into_any()
                            }
                            Step::Matching => view! { <Loading label="正在按手机号匹配设计师的客户…" /> }.into_any(),
                            Step::Pick { candidates, hint } => {
                                let none = candidates.is_empty();
                                view! {
                                    {hint.map(|h| view! { <p class="notice notice-info" data-testid="hint">{h}</p> })}
                                    <ul class="list" data-testid="candidates" class:hidden=none>
                                        {candidates
                                            .into_iter()
                                            .map(|c| {
                                                let chosen = c.clone();
                                                view! {
                                                    <li>
                                                        <button class="list-row" data-candidate=c.external_user_id.clone()
                                                            on:click=move |_| step.set(Step::Confirm { customer: chosen.clone() })>
                                                            <div>
                                                                <div class="row-title">{c.name}</div>
                                                                <div class="muted">{c.remark}</div>
                                                            </div>
                                                            <span class="muted">"选择"</span>
                                                        </button>
                                                    </li>
                                                }
                                            })
                                            .collect_view()}
                                    </ul>
                                    <div class="actions">
                                        <button class="btn btn-secondary" on:click=move |_| find(true)>"刷新客户"</button>
                                        <button class="btn btn-secondary" on:click=pick_manually>"手动选择客户"</button>
                                    </div>
                                }
                                    .into_any()
                            }
                            Step::Confirm { customer } => {
                                let go = customer.clone();
                                view! {
                                    <ConfirmSheet order=order.get_value() customer=customer group_name=group_name
                                        on_confirm=Callback::new(move |_| create(go.clone()))
                                        on_cancel=Callback::new(move |_| step.set(Step::Start)) />
                                }
                                    .into_any()
                            }
                            Step::Creating => view! { <Loading label="正在企业微信里建群…" /> }.into_any(),
                            Step::Done { group } => view! { <GroupReady group=group fresh=true /> }.into_any(),
                        }}
                    }
                        .into_any()
                }
            }}
        </section>
    }
}

/// The in-page confirmation before WeCom is asked to make the group.
#[component]
fn ConfirmSheet(
    /// The order the group is for.
    order: Order,
    /// The matched customer.
    customer: Candidate,
    /// The editable group name.
    group_name: RwSignal<String>,
    /// "建群" tapped.
    on_confirm: Callback<()>,
    /// "返回" tapped.
    on_cancel: Callback<()>,
) -> impl IntoView {
    view! {
        <div class="sheet" role="dialog" aria-label="确认建群" data-testid="confirm">
            <h3>"确认建群"</h3>
            <dl class="facts">
                <dt>"客户"</dt>
                <dd data-testid="confirm-customer">{customer.name} <span class="muted">" " {customer.remark}</span></dd>
                <dt>"设计师"</dt>
                <dd>{order.designer.name}</dd>
                <dt>"项目经理"</dt>
                <dd>{order.project_manager.name}</dd>
            </dl>
            <label class="field">
                <span>"群名称"</span>
                <input type="text" maxlength="50" data-testid="group-name" prop:value=move || group_name.get()
                    on:input=move |ev| group_name.set(event_target_value(&ev)) />
            </label>
            <div class="actions">
                <button class="btn btn-secondary" on:click=move |_| on_cancel.run(())>"返回"</button>
                <button class="btn btn-primary" data-testid="confirm-create"
                    disabled=move || group_name.get().trim().is_empty()
                    on:click=move |_| on_confirm.run(())>
                    "建群"
                </button>
            </div>
        </div>
    }
}

/// The order's group, with "打开群聊".
#[component]
fn GroupReady(
    /// The recorded group.
    group: OrderGroup,
    /// Just made (a success message) or made before.
    fresh: bool,
) -> impl IntoView {
    let error = RwSignal::new(None::<String>);
    let opening = RwSignal::new(false);
    let chat_id = group.chat_id.clone();
    let open = move |_| {
        let chat_id = chat_id.clone();
        error.set(None);
        opening.set(true);
        leptos::task::spawn_local(async move {
            match wecom::open_enterprise_chat(&EnterpriseChat::Open { chat_id }).await {
                Ok(_) | Err(WwError::Cancelled) => {}
                Err(e) => error.set(Some(e.message())),
            }
            opening.set(false);
        });
    };
    view! {
        <div data-testid="group-ready">
            {fresh.then(|| view! { <p class="notice notice-success" role="status">"群已建好，已记录到订单。"</p> })}
            <p>
                <span class="badge badge-ok">"已建群"</span>
                " "
                <span data-testid="group-name-shown">{group.group_name}</span>
            </p>
            {move || error.get().map(|m| view! { <p class="notice notice-error" role="alert">{m}</p> })}
            <button class="btn btn-primary btn-block" data-testid="open-chat" disabled=move || opening.get() on:click=open>
                {move || if opening.get() { "正在打开…" } else { "打开群聊" }}
            </button>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use desk_shared::Person;

    fn order(title: &str, customer: &str) -> Order {
        let p = |id: &str| Person {
            user_id: id.into(),
            name: id.into(),
        };
        Order {
            id: "1".into(),
            title: title.into(),
            designer: p("d"),
            project_manager: p("p"),
            customer_name: customer.into(),
            customer_phone: "1".into(),
            group: None,
            notice: None,
        }
    }

    #[test]
    fn the_default_group_name_is_customer_and_store() {
        assert_eq!(
            default_group_name(&order("城南店 · 王女士新房装修", "王女士")),
            "王女士-城南店服务群"
        );
        assert_eq!(
            default_group_name(&order("全屋定制", "李先生")),
            "李先生-全屋定制服务群"
        );
    }
}
