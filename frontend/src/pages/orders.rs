use leptos::prelude::*;

use crate::api;
use crate::components::{Failed, Loading};

/// My orders, each with whether its customer group exists.
#[component]
pub fn Orders() -> impl IntoView {
    let orders = LocalResource::new(api::orders);
    let retry = Callback::new(move |_| orders.refetch());
    view! {
        <header class="topbar">
            <h1>"我的订单"</h1>
            <p class="muted">"你是设计师或项目经理的订单"</p>
        </header>
        <Transition fallback=|| view! { <Loading label="正在加载订单…" /> }>
            {move || {
                orders
                    .get()
                    .map(|result| match result {
                        Err(e) => view! { <Failed message=e.message on_retry=retry /> }.into_any(),
                        Ok(list) if list.is_empty() => {
                            view! {
                                <section class="card empty">
                                    <p>"还没有订单。"</p>
                                    <p class="muted">"订单由业务系统推送；你被指定为设计师或项目经理后会出现在这里。"</p>
                                </section>
                            }
                                .into_any()
                        }
                        Ok(list) => {
                            view! {
                                <ul class="list" data-testid="orders">
                                    {list
                                        .into_iter()
                                        .map(|o| {
                                            let href = format!("/orders/{}", o.id);
                                            view! {
                                                <li>
                                                    <a class="list-row" href=href data-order=o.id.clone()>
                                                        <div>
                                                            <div class="row-title">{o.title}</div>
                                                            <div class="muted">
                                                                {o.customer_name} " · 设计师 " {o.designer.name}
                                                            </div>
                                                        </div>
                                                        {if o.group.is_some() {
                                                            view! { <span class="badge badge-ok">"已建群"</span> }
                                                                .into_any()
                                                        } else {
                                                            view! { <span class="badge badge-muted">"未建群"</span> }
                                                                .into_any()
                                                        }}
                                                    </a>
                                                </li>
                                            }
                                        })
                                        .collect_view()}
                                </ul>
                            }
                                .into_any()
                        }
                    })
            }}
        </Transition>
        <a class="btn btn-secondary" href="/">"返回首页"</a>
    }
}
