//! 交接: members who left, what they leave (customers, groups, open orders), and the
//! handover of all of it to a colleague, watched item by item until WeCom is done.

use std::time::Duration;

use desk_shared::handover::{Counts, Handover, HandoverInput, HandoverItem, Leaver};
use leptos::prelude::*;

use super::{refused, url};
use crate::api;
use crate::components::{moment, Loading};

/// How often a handover under way is read again.
const WATCH_EVERY: Duration = Duration::from_secs(5);
/// Items shown at once (failures first); the rest are counted.
const ITEMS_SHOWN: usize = 100;

#[component]
pub(super) fn HandoverSection() -> impl IntoView {
    // The handover being watched, kept in the URL (a reload keeps watching it).
    let watching = url::text("handover");
    let start = Action::new_local(|input: &HandoverInput| {
        let input = input.clone();
        async move { api::start_handover(&input).await }
    });
    let starting = start.pending();
    let started = start.value();
    Effect::new(move |_| {
        if let Some(Ok(h)) = started.get() {
            watching.set(h.id);
        }
    });
    let leavers = LocalResource::new(move || {
        started.track();
        api::leavers()
    });
    let retry = Callback::new(move |_| leavers.refetch());
    let begin = Callback::new(move |input: HandoverInput| {
        if !starting.get_untracked() {
            start.dispatch(input);
        }
    });
    view! {
        <section class="card" data-testid="admin-handover">
            <h2>"交接"</h2>
            <p class="muted">
                "离职成员的客户、客户群和进行中的订单交给同事。客户由企业微信在 24 小时后完成接替（客户可拒绝）；群立即转给新群主，每天最多 300 个；订单立即转交并通知业务系统。"
            </p>
            {move || starting.get().then(|| view! { <Loading label="正在向企业微信核对接替成员并开始交接…" /> })}
            {move || match started.get() {
                Some(Err(e)) => Some(view! {
                    <p class="notice notice-error" role="alert" data-testid="handover-error">{e.message}</p>
                }),
                _ => None,
            }}
            <Transition fallback=|| view! { <Loading label="正在读取离职成员…" /> }>
                {move || leavers.get().map(|r| match r {
                    Err(e) => refused(e, retry),
                    Ok(l) if l.leavers.is_empty() => view! {
                        <p class="muted">"没有离职成员。成员离职后（企业微信通知本应用，或每天的核对），会出现在这里。"</p>
                    }.into_any(),
                    Ok(l) => view! {
                        <ul class="list entries" data-testid="leavers">
                            {l.leavers.into_iter().map(|x| leaver_row(x, begin, watching)).collect_view()}
                        </ul>
                    }.into_any(),
                })}
            </Transition>
            {move || {
                let id = watching.get();
                (!id.is_empty()).then(|| view! { <Progress id=id /> })
            }}
        </section>
    }
}

fn leaver_row(
    l: Leaver,
    begin: Callback<HandoverInput>,
    watching: RwSignal<String>,
) -> impl IntoView {
    let to = RwSignal::new(String::new());
    let from = l.user_id.clone();
    let running = l.handover.as_ref().is_some_and(|h| h.finished_at.is_none());
    let latest = l.handover.clone().map(|h| {
        let id = h.id.clone();
        view! {
            <div class="muted">
                "最近一次交接：给 " {h.to.name.clone()} " · " {status_label(&h.status)}
                " · " {moment(h.created_at)} " "
                <button class="btn btn-secondary" data-testid="watch-handover"
                    on:click=move |_| watching.set(id.clone())>"查看进度"</button>
            </div>
        }
    });
    let go = move |_| {
        let to = to.get_untracked().trim().to_string();
        begin.run(HandoverInput {
            from: from.clone(),
            to,
            ..HandoverInput::default()
        });
    };
    view! {
        <li data-leaver=l.user_id.clone()>
            <div class="row-title">{l.name.clone()} " (" {l.user_id.clone()} ")"</div>
            <div class="muted">"离职于 " {moment(l.left_at)}</div>
            <div data-testid="leaver-counts">
                {format!("客户 {} · 客户群 {} · 进行中的订单 {}", l.customers, l.groups, l.orders)}
            </div>
            {latest}
            {(!running).then(|| view! {
                <div class="filters">
                    <input class="input" placeholder="接替成员的企业微信账号，如 chenjing" data-testid="successor"
                        prop:value=move || to.get() on:input=move |e| to.set(event_target_value(&e)) />
                    <button class="btn btn-primary" data-testid="start-handover"
                        disabled=move || to.get().trim().is_empty() on:click=go>"开始交接"</button>
                </div>
            })}
        </li>
    }
}

fn status_label(status: &str) -> &'static str {
    match status {
        "running" => "进行中",
        "waiting" => "等待企业微信完成",
        "done" => "已完成",
        "done_with_failures" => "已完成（部分未成功）",
        _ => "未知",
    }
}

fn state_label(state: &str) -> (&'static str, &'static str) {
    match state {
        "done" => ("badge badge-ok", "完成"),
        "waiting" => ("badge badge-muted", "等待接替"),
        "scheduled" => ("badge badge-muted", "明天继续"),
        "refused" => ("badge badge-error", "客户拒绝"),
        "failed" => ("badge badge-error", "未成功"),
        _ => ("badge badge-muted", "排队中"),
    }
}

fn kind_label(kind: &str) -> &'static str {
    match kind {
        "customer" => "客户",
        "group" => "客户群",
        _ => "订单",
    }
}

fn counts_line(what: &str, c: &Counts) -> String {
    format!(
        "{what}：完成 {} / {}，等待 {}，未成功 {}",
        c.done, c.total, c.waiting, c.failed
    )
}

/// One handover, read again every few seconds until it is finished.
#[component]
fn Progress(id: String) -> impl IntoView {
    let ticks = RwSignal::new(0u32);
    let key = id.clone();
    let handover = LocalResource::new(move || {
        ticks.track();
        let key = key.clone();
        async move { api::handover(&key).await }
    });
    let finished = move || {
        handover
            .get()
            .and_then(|r| r.ok())
            .is_some_and(|h| h.finished_at.is_some())
    };
    if let Ok(timer) = set_interval_with_handle(
        move || {
            if !finished() {
                ticks.update(|t| *t += 1);
            }
        },
        WATCH_EVERY,
    ) {
        on_cleanup(move || timer.clear());
    }
    let retry = Callback::new(move |_| handover.refetch());
    view! {
        <div class="card" data-testid="handover-progress" data-handover=id>
            <Transition fallback=|| view! { <Loading label="正在读取交接进度…" /> }>
                {move || handover.get().map(|r| match r {
                    Err(e) => refused(e, retry),
                    Ok(h) => progress_view(h),
                })}
            </Transition>
        </div>
    }
}

fn progress_view(h: Handover) -> AnyView {
    let mut items = h.items.clone();
    // Failures first, then what is still open, then what is done.
    items.sort_by_key(|i| match i.state.as_str() {
        "failed" | "refused" => 0,
        "pending" | "waiting" | "scheduled" => 1,
        _ => 2,
    });
    let more = items.len().saturating_sub(ITEMS_SHOWN);
    items.truncate(ITEMS_SHOWN);
    view! {
        <h3>{format!("{} → {}", h.from.name, h.to.name)}</h3>
        <p data-testid="handover-status" data-status=h.status.clone()>{status_label(&h.status)}</p>
        <ul class="list">
            <li data-testid="count-customers">{counts_line("客户", &h.counts.customers)}</li>
            <li data-testid="count-groups">{counts_line("客户群", &h.counts.groups)}</li>
            <li data-testid="count-orders">{counts_line("订单", &h.counts.orders)}</li>
        </ul>
        {(h.status == "waiting").then(|| view! {
            <p class="notice notice-info">"客户由企业微信在交接开始 24 小时后完成接替；这里会自动更新。"</p>
        })}
        <ul class="list entries" data-testid="handover-items">
            {items.into_iter().map(item_row).collect_view()}
        </ul>
        {(more > 0).then(|| view! { <p class="muted">{format!("还有 {more} 项未列出。")}</p> })}
    }
    .into_any()
}

fn item_row(i: HandoverItem) -> impl IntoView {
    let (badge, state) = state_label(&i.state);
    let name = if i.name.is_empty() {
        i.id.clone()
    } else {
        format!("{}（{}）", i.name, i.id)
    };
    view! {
        <li data-item=i.id.clone() data-state=i.state.clone()>
            <span class=badge>{state}</span> " " <span class="badge">{kind_label(&i.kind)}</span> " " {name}
            {i.reason.map(|r| view! { <div class="muted" data-testid="item-reason">{r}</div> })}
        </li>
    }
}
