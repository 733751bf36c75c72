//! 订单与群: every order and its group, by designer and by whether it has one.

use desk_shared::admin::AdminOrders;
use leptos::prelude::*;

use super::{refused, url, Pager, PAGE};
use crate::api;
use crate::components::Loading;

/// 订单与群: every order, by designer and by whether it has a group.
#[component]
pub(super) fn OrdersSection() -> impl IntoView {
    let designer = url::text("designer");
    let group = url::text("group");
    let text = url::text("q");
    let typed = RwSignal::new(text.get_untracked());
    let offset = url::offset("offset");
    let orders = LocalResource::new(move || {
        api::admin_orders(designer.get(), group.get(), text.get(), offset.get())
    });
    let retry = Callback::new(move |_| orders.refetch());
    // The designers stay in the filter while a page loads.
    let designers = RwSignal::new(Vec::<desk_shared::Person>::new());
    Effect::new(move |_| {
        if let Some(Ok(o)) = orders.get() {
            designers.set(o.designers);
        }
    });
    let search = move || {
        offset.set(0);
        text.set(typed.get_untracked().trim().to_string());
    };
    view! {
        <section class="card" data-testid="admin-orders">
            <h2>"订单与群"</h2>
            <div class="filters">
                <select class="input" aria-label="设计师" data-testid="filter-designer"
                    on:change=move |e| { offset.set(0); designer.set(event_target_value(&e)); }>
                    <option value="">"全部设计师"</option>
                    {move || designers.get().into_iter().map(|p| {
                        let selected = designer.get_untracked() == p.user_id;
                        view! { <option value=p.user_id.clone() selected=selected>{p.name}</option> }
                    }).collect_view()}
                </select>
                <select class="input" aria-label="建群情况" data-testid="filter-group"
                    prop:value=move || group.get()
                    on:change=move |e| { offset.set(0); group.set(event_target_value(&e)); }>
                    <option value="">"全部订单"</option>
                    <option value="without">"未建群"</option>
                    <option value="with">"已建群"</option>
                </select>
                <input class="input" type="search" placeholder="订单号、标题或客户" data-testid="filter-text"
                    prop:value=move || typed.get() on:input=move |e| typed.set(event_target_value(&e))
                    on:keydown=move |e| if e.key() == "Enter" { search() } />
                <button class="btn btn-secondary" on:click=move |_| search()>"查询"</button>
            </div>
            <Transition fallback=|| view! { <Loading label="正在读取订单…" /> }>
                {move || orders.get().map(|r| match r {
                    Err(e) => refused(e, retry),
                    Ok(o) => orders_view(o, offset),
                })}
            </Transition>
        </section>
    }
}

fn orders_view(o: AdminOrders, offset: RwSignal<i64>) -> AnyView {
    if o.orders.is_empty() && o.total > 0 {
        // Past the last page (orders went away while paging): back to the first.
        return view! {
            <p class="muted">"这一页已没有订单。"</p>
            <button class="btn btn-secondary" on:click=move |_| offset.set(0)>"回到第一页"</button>
        }
        .into_any();
    }
    if o.orders.is_empty() {
        return view! { <p class="muted">"没有符合条件的订单。"</p> }.into_any();
    }
    let total = o.total;
    view! {
        <p class="muted" data-testid="orders-summary">
            {format!("共 {} 单，已建群 {} 单，未建群 {} 单。", o.total, o.with_group, o.total - o.with_group)}
        </p>
        <ul class="list entries" data-testid="admin-order-list">
            {o.orders.into_iter().map(|order| {
                let badges = match &order.group {
                    None => view! { <span class="badge badge-muted">"未建群"</span> }.into_any(),
                    Some(g) if g.dismissed_at.is_some() => {
                        view! { <span class="badge badge-error">"群已解散"</span> }.into_any()
                    }
                    Some(g) => {
                        let via = if g.via == "join_way" { "进群二维码" } else { "客户端建群" };
                        let joined = match g.customer_joined_at {
                            Some(_) => view! { <span class="badge badge-ok">"客户已进群"</span> }.into_any(),
                            None => view! { <span class="badge badge-muted">"客户未进群"</span> }.into_any(),
                        };
                        view! {
                            <span class="badge badge-ok">"已建群"</span>
                            " "
                            <span class="badge">{via}</span>
                            " "
                            {joined}
                        }
                            .into_any()
                    }
                };
                let id = order.id.clone();
                view! {
                    <li data-order=id>
                        <div class="row-title">{order.title}</div>
                        <div class="muted">
                            {order.id} " · " {order.customer_name} " · 设计师 " {order.designer.name}
                            " · 项目经理 " {order.project_manager.name}
                        </div>
                        <div>{badges}</div>
                        {order.group.map(|g| view! { <div class="muted mono">{g.group_name} " · " {g.chat_id}</div> })}
                    </li>
                }
            }).collect_view()}
        </ul>
        <Pager offset=offset total=total size=PAGE />
    }
    .into_any()
}
