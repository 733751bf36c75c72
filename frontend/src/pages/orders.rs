use desk_shared::Order;
use leptos::prelude::*;

use crate::api;
use crate::components::batch::{BatchGroups, BatchQr, BatchSummary, Outcome};
use crate::components::{Failed, Load, Loading};

/// What the page shows below the header.
#[derive(Debug, Clone, PartialEq)]
enum Mode {
    List,
    Groups(Vec<Order>),
    Qr(Vec<Order>),
    Summary { outcomes: Vec<Outcome>, qr: bool },
}

/// My orders, each with whether its customer group exists; orders without one can be
/// selected to make their groups, or their join QR codes, in one go.
#[component]
pub fn Orders() -> impl IntoView {
    let orders = Load::new(api::orders);
    let retry = Callback::new(move |_| orders.reload());
    let selected = RwSignal::new(Vec::<String>::new());
    let mode = RwSignal::new(Mode::List);
    let chosen = move || -> Vec<Order> {
        let ids = selected.get_untracked();
        match orders.get_untracked() {
            Some(Ok(list)) => list.into_iter().filter(|o| ids.contains(&o.id)).collect(),
            _ => Vec::new(),
        }
    };
    let finish = move |qr: bool| {
        Callback::new(move |outcomes: Vec<Outcome>| mode.set(Mode::Summary { outcomes, qr }))
    };
    let close = Callback::new(move |_| {
        selected.set(Vec::new());
        mode.set(Mode::List);
        orders.reload();
    });
    view! {
        <header class="topbar">
            <h1>"我的订单"</h1>
            <p class="muted">"你是设计师或项目经理的订单"</p>
        </header>
        {move || match mode.get() {
            Mode::Groups(list) => view! { <BatchGroups orders=list on_done=finish(false) /> }.into_any(),
            Mode::Qr(list) => view! { <BatchQr orders=list on_done=finish(true) /> }.into_any(),
            Mode::Summary { outcomes, qr } => view! { <BatchSummary outcomes=outcomes qr=qr on_close=close /> }.into_any(),
            Mode::List => view! {
                {move || match orders.get() {
                        None => view! { <Loading label="正在加载订单…" /> }.into_any(),
                        Some(Err(e)) => view! { <Failed message=e.message on_retry=retry /> }.into_any(),
                        Some(Ok(list)) if list.is_empty() => view! {
                            <section class="card empty">
                                <p>"还没有订单。"</p>
                                <p class="muted">"订单由业务系统推送；你被指定为设计师或项目经理后会出现在这里。"</p>
                            </section>
                        }.into_any(),
                        Some(Ok(list)) => orders_list(list, selected),
                }}
                {move || {
                    let n = selected.with(Vec::len);
                    (n > 0).then(|| view! {
                        <div class="actions batch-bar" data-testid="batch-bar">
                            <button class="btn btn-primary" data-testid="batch-create"
                                on:click=move |_| mode.set(Mode::Groups(chosen()))>{format!("批量建群（{n}）")}</button>
                            <button class="btn btn-secondary" data-testid="batch-qr"
                                on:click=move |_| mode.set(Mode::Qr(chosen()))>{format!("批量生成二维码（{n}）")}</button>
                        </div>
                    })
                }}
            }.into_any(),
        }}
        <a class="btn btn-secondary" href="/" rel="external">"返回首页"</a>
    }
}

fn orders_list(list: Vec<Order>, selected: RwSignal<Vec<String>>) -> AnyView {
    let without: Vec<String> = list
        .iter()
        .filter(|o| o.group.is_none())
        .map(|o| o.id.clone())
        .collect();
    let all_without = without.clone();
    view! {
        {(!without.is_empty()).then(|| view! {
            <p class="muted">
                "勾选未建群的订单，可以一次建好它们的群或进群二维码。 "
                <button class="link" data-testid="select-all" on:click=move |_| selected.set(all_without.clone())>
                    {format!("全选未建群（{}）", without.len())}
                </button>
            </p>
        })}
        <ul class="list" data-testid="orders">
            {list.into_iter().map(|o| {
                let href = format!("/orders/{}", o.id);
                let id = o.id.clone();
                let checked_id = id.clone();
                let pick = (o.group.is_none()).then(|| view! {
                    <input type="checkbox" class="pick" data-select=id.clone() aria-label="选择这个订单"
                        prop:checked=move || selected.with(|s| s.contains(&checked_id))
                        on:change=move |e| {
                            let on = event_target_checked(&e);
                            selected.update(|s| {
                                s.retain(|x| x != &id);
                                if on { s.push(id.clone()); }
                            });
                        } />
                });
                let handed = crate::components::handed_over(&o);
                view! {
                    <li class="pick-row">
                        {pick}
                        <a class="list-row" href=href data-order=o.id.clone()>
                            <div>
                                <div class="row-title">{o.title}</div>
                                <div class="muted">{o.customer_name} " · 设计师 " {o.designer.name}</div>
                                {handed.map(|h| view! { <div class="muted" data-testid="handed-over">{h}</div> })}
                            </div>
                            {if o.group.is_some() {
                                view! { <span class="badge badge-ok">"已建群"</span> }.into_any()
                            } else {
                                view! { <span class="badge badge-muted">"未建群"</span> }.into_any()
                            }}
                        </a>
                    </li>
                }
            }).collect_view()}
        </ul>
    }
    .into_any()
}
