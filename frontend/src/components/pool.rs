//! The pool panel: how many pre-built empty customer groups are free or assigned, and
//! the form that adds more (admins), on 群池 and in the admin console.

use desk_shared::{ErrorCode, Pool};
use leptos::prelude::*;

use crate::api;
use crate::components::{Failed, Loading};

/// What an admin asks of the pool.
#[derive(Debug, Clone)]
enum Change {
    /// These chats, each checked with WeCom and added if empty.
    Register(Vec<String>),
    /// The pool owners' empty groups not yet known.
    Discover,
}

/// How many pool groups are free or assigned, and the form that adds more (admins).
#[component]
pub fn PoolPanel() -> impl IntoView {
    let text = RwSignal::new(String::new());
    // Registering and discovering share one action: one at a time.
    let change = Action::new_local(|change: &Change| {
        let change = change.clone();
        async move {
            match change {
                Change::Register(ids) => api::register_pool(ids).await,
                Change::Discover => api::discover_pool().await,
            }
            .map_err(|e| e.message)
        }
    });
    let busy = change.pending();
    let outcome = change.value();
    let changes = change.version();
    // Read again after every answer, added or not.
    let pool = LocalResource::new(move || {
        changes.track();
        api::pool()
    });
    let retry = Callback::new(move |_| pool.refetch());
    let register = move |_| {
        let ids: Vec<String> = text
            .get_untracked()
            .split(|c: char| c.is_whitespace() || c == ',' || c == '，')
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect();
        if ids.is_empty() || busy.get_untracked() {
            return;
        }
        change.dispatch(Change::Register(ids));
    };
    let discover = move |_| {
        if !busy.get_untracked() {
            change.dispatch(Change::Discover);
        }
    };
    view! {
        <Transition fallback=|| view! { <Loading label="正在读取群池…" /> }>
            {move || {
                pool.get().map(|result| match result {
                    Ok(p) => pool_view(p),
                    Err(e) if e.is(ErrorCode::AdminOnly) => {
                        view! { <p class="notice notice-info">"只有管理员能管理群池。"</p> }.into_any()
                    }
                    Err(e) => view! { <Failed message=e.message on_retry=retry /> }.into_any(),
                })
            }}
        </Transition>
        {move || matches!(pool.get(), Some(Ok(_))).then(|| view! {
        <section class="card">
            <h2>"登记空群"</h2>
            <p class="muted">"每行一个群 ID（在企业微信里建好、还没有客户的客户群）。"</p>
            <textarea class="input" rows="4" data-testid="pool-ids" prop:value=move || text.get()
                on:input=move |e| text.set(event_target_value(&e))></textarea>
            <div class="actions">
                <button class="btn btn-primary" data-testid="pool-register" disabled=move || busy.get() on:click=register>"登记"</button>
                <button class="btn btn-secondary" data-testid="pool-discover" disabled=move || busy.get() on:click=discover>"发现群主的空群"</button>
            </div>
            {move || busy.get().then(|| view! { <Loading label="正在向企业微信核对…" /> })}
            {move || outcome.get().map(|o| match o {
                Err(m) => view! { <p class="notice notice-error" role="alert">{m}</p> }.into_any(),
                Ok(c) => {
                    let added = c.results.iter().filter(|r| r.added).count();
                    view! {
                        <p class="notice notice-success" role="status" data-testid="pool-outcome">
                            {format!("新加入 {added} 个；现在空闲 {} 个。", c.free)}
                        </p>
                        <ul class="list">
                            {c.results.into_iter().filter(|r| !r.added).map(|r| view! {
                                <li class="muted">{r.chat_id} "：" {r.reason.unwrap_or_default()}</li>
                            }).collect_view()}
                        </ul>
                    }
                        .into_any()
                }
            })}
        </section>
        })}
    }
}

fn pool_view(p: Pool) -> AnyView {
    let low = p.free < p.low_threshold;
    view! {
        <section class="card" data-testid="pool-summary">
            <p>
                <span class=if low { "badge badge-error" } else { "badge badge-ok" }>{format!("空闲 {}", p.free)}</span>
                " "
                <span class="badge badge-muted">{format!("已分配 {}", p.assigned)}</span>
            </p>
            {low.then(|| view! {
                <p class="notice notice-error">{format!("空闲的群少于 {} 个：请尽快补充。", p.low_threshold)}</p>
            })}
            <ul class="list" data-testid="pool-groups">
                {p.groups.into_iter().map(|g| view! {
                    <li>
                        <div class="row-title">{if g.name.is_empty() { g.chat_id.clone() } else { g.name }}</div>
                        <div class="muted">
                            {match g.order_id {
                                Some(o) => format!("已给订单 {o}"),
                                None => "空闲".to_string(),
                            }}
                        </div>
                    </li>
                }).collect_view()}
            </ul>
        </section>
    }
    .into_any()
}
