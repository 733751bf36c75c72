use desk_shared::{Candidate, Order, OrderGroup};
use leptos::prelude::*;

use crate::api;
use crate::components::contact_way::ContactWayTool;
use crate::components::group::{
    default_group_name, dispatch_once, make_group_action, ConfirmSheet, GroupReady, GroupRequest,
    Made,
};
use crate::components::order_tools::{JoinQrTool, StaffChatTool};
use crate::components::replies::SendJoinQr;
use crate::components::{moment, Load, Loading, Problem};
use crate::wecom::{self, WwError};

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
pub fn OrderPage(
    /// The order's id.
    id: String,
) -> impl IntoView {
    let order = Load::new(move || {
        let id = id.clone();
        async move { api::order(&id).await }
    });
    let retry = Callback::new(move |_| order.reload());
    view! {
        {move || match order.get() {
            None => view! { <Loading label="正在加载订单…" /> }.into_any(),
            Some(Ok(o)) => view! { <OrderView order=o on_changed=retry /> }.into_any(),
            Some(Err(e)) => view! { <Problem failure=e on_retry=retry /> }.into_any(),
        }}
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
        // A read (the order's candidates), not a mutation: a plain task.
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
        // Not a server mutation (WeCom's contact picker) and nothing to show while it
        // is open: a plain task, not an `Action`.
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

    let make = make_group_action();
    // The customer of the group being made, to go back to when it fails.
    let confirming = StoredValue::new(None::<Candidate>);
    // A group WeCom made that the order did not record yet.
    let unrecorded = StoredValue::new(None::<String>);
    let create = move |customer: Candidate| {
        confirming.set_value(Some(customer.clone()));
        error.set(None);
        notice.set(None);
        step.set(Step::Creating);
        dispatch_once(
            make,
            GroupRequest {
                order: order.get_value(),
                customer,
                name: group_name.get_untracked().trim().to_string(),
                made: unrecorded.get_value(),
            },
        );
    };
    Effect::new(move |_| {
        let Some(made) = make.value().get() else {
            return;
        };
        let back = move || match confirming.get_value() {
            Some(customer) => step.set(Step::Confirm { customer }),
            None => step.set(Step::Start),
        };
        match made {
            Made::Recorded(group) => step.set(Step::Done { group }),
            Made::Cancelled => {
                notice.set(Some("已取消，没有建群。".into()));
                back();
            }
            Made::AlreadyHas(message) => {
                notice.set(Some(message));
                on_changed.run(());
            }
            Made::Failed(message) => {
                error.set(Some(message));
                back();
            }
            Made::NotRecorded { chat_id, message } => {
                unrecorded.set_value(Some(chat_id));
                error.set(Some(message));
                back();
            }
        }
    });

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
            {crate::components::handed_over(&o).map(|h| view! { <p class="muted" data-testid="handed-over">{h}</p> })}
        </section>
        <section class="card" data-testid="group-section">
            <h2>"客户群"</h2>
            {move || error.get().map(|m| view! { <p class="notice notice-error" role="alert">{m}</p> })}
            {move || notice.get().map(|m| view! { <p class="notice notice-info" role="status">{m}</p> })}
            {match existing.clone() {
                Some(group) if group.dismissed_at.is_some() => {
                    let at = group.dismissed_at.map(moment).unwrap_or_default();
                    view! {
                        <div data-testid="group-dismissed">
                            <p>
                                <span class="badge badge-error">"群已解散"</span>
                                " " {group.group_name} <span class="muted">" " {at}</span>
                            </p>
                            <p class="muted">"这个客户群已在企业微信里解散，客户不在群里了。需要继续服务时，请联系管理员处理。"</p>
                        </div>
                    }
                        .into_any()
                }
                Some(group) => {
                    let chat_id = group.chat_id.clone();
                    view! {
                        <GroupReady group=group fresh=false />
                        <GroupPeople order=o.clone() chat_id=chat_id />
                    }
                        .into_any()
                }
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
        <ContactWayTool order=o.clone() />
        <section class="card" data-testid="more-ways">
            <h2>"其他进群方式"</h2>
            <p class="muted">"不方便在企业微信里建群时：内部群只拉设计师和项目经理；进群二维码让客户自己扫码进订单的客户群。"</p>
            <StaffChatTool order=o.clone() />
            <JoinQrTool order=o.clone() />
            <FromChat order_id=o.id.clone() />
        </section>
    }
}

/// 发送进群二维码 when the page was opened beside the chat of this order's customer
/// (from the sidebar): the QR code goes into that chat. Beside another customer's
/// chat (the member walked to another order) or anywhere else, nothing: an order's
/// group is never offered to someone else's customer.
#[component]
fn FromChat(order_id: String) -> impl IntoView {
    if wecom::environment() != wecom::Environment::WeCom {
        return ().into_any();
    }
    let id = order_id.clone();
    // Whose chat this is, and whether this order is one of theirs (as the sidebar
    // lists it); any failure on the way: not shown.
    let theirs = Load::new(move || {
        let id = id.clone();
        async move {
            if wecom::get_context().await.ok().as_deref() != Some("single_chat_tools") {
                return false;
            }
            let Ok(customer) = wecom::get_cur_external_contact().await else {
                return false;
            };
            api::profile(&customer)
                .await
                .is_ok_and(|p| p.orders.iter().any(|o| o.id == id))
        }
    });
    let order_id = StoredValue::new(order_id);
    (move || {
        (theirs.get() == Some(true)).then(|| view! { <SendJoinQr order_id=order_id.get_value() /> })
    })
    .into_any()
}

/// Who is in the order's group, read from WeCom: offers 拉进群 for the order's people
/// who are not (the order changed hands). Says nothing while it reads or if it cannot.
#[component]
fn GroupPeople(order: desk_shared::Order, chat_id: String) -> impl IntoView {
    let key = chat_id.clone();
    let group = Load::new(move || {
        let key = key.clone();
        async move { crate::api::group(&key).await }
    });
    move || {
        group.get().and_then(|r| r.ok()).map(|g| {
            let in_group = crate::components::pull_in::in_group(&g);
            view! { <crate::components::pull_in::PullIn order=order.clone() chat_id=chat_id.clone() in_group=in_group /> }
        })
    }
}
