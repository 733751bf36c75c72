//! 操作日志: who did what, filtered by member, subject and time.

use crate::api::AuditFilter;
use desk_shared::admin::AuditEntry;
use leptos::prelude::*;

use super::{refused, url};
use crate::api::{self, Failure};
use crate::components::{moment, Loading};

/// A date typed in `<input type="date">` (`2026-12-02`) as unix seconds at the start
/// of that day in the browser's time zone; `end` for its last second.
fn day_secs(date: &str, end: bool) -> String {
    if date.is_empty() {
        return String::new();
    }
    // `YYYY-MM-DDT00:00` without a zone is local time.
    let ms = js_sys::Date::parse(&format!("{date}T00:00"));
    if ms.is_nan() {
        return String::new();
    }
    let secs = (ms / 1000.0) as i64;
    (if end { secs + 86_399 } else { secs }).to_string()
}

/// 操作日志: who changed what, newest first, filtered, older pages on demand.
#[component]
pub(super) fn AuditSection() -> impl IntoView {
    // The filter applied is in the URL; the fields hold what is being typed.
    let applied = (
        url::text("member"),
        url::text("subject"),
        url::text("from"),
        url::text("to"),
    );
    let member = RwSignal::new(applied.0.get_untracked());
    let order = RwSignal::new(applied.1.get_untracked());
    let from = RwSignal::new(applied.2.get_untracked());
    let to = RwSignal::new(applied.3.get_untracked());
    let filter = RwSignal::new(AuditFilter {
        member: member.get_untracked(),
        order: order.get_untracked(),
        from: day_secs(&from.get_untracked(), false),
        to: day_secs(&to.get_untracked(), true),
    });
    let entries = RwSignal::new(Vec::<AuditEntry>::new());
    let next = RwSignal::new(None::<i64>);
    let loading = RwSignal::new(false);
    let error = RwSignal::new(None::<Failure>);
    // Each load's number: an answer to an older one (another filter) is dropped.
    let generation = StoredValue::new(0u32);
    let load = move |before: Option<i64>| {
        generation.update_value(|g| *g += 1);
        let mine = generation.get_value();
        loading.set(true);
        error.set(None);
        // A read (a page of the log), not a mutation: a plain task.
        leptos::task::spawn_local(async move {
            let page = api::audit(filter.get_untracked(), before).await;
            if generation.try_get_value() != Some(mine) {
                return;
            }
            match page {
                Ok(page) => {
                    if before.is_none() {
                        entries.set(page.entries);
                    } else {
                        entries.update(|e| e.extend(page.entries));
                    }
                    next.set(page.next_before);
                }
                Err(e) => error.set(Some(e)),
            }
            loading.set(false);
        });
    };
    let apply = move || {
        applied.0.set(member.get_untracked().trim().to_string());
        applied.1.set(order.get_untracked().trim().to_string());
        applied.2.set(from.get_untracked());
        applied.3.set(to.get_untracked());
        filter.set(AuditFilter {
            member: member.get_untracked().trim().to_string(),
            order: order.get_untracked().trim().to_string(),
            from: day_secs(&from.get_untracked(), false),
            to: day_secs(&to.get_untracked(), true),
        });
        load(None);
    };
    load(None);
    let retry = Callback::new(move |_| load(None));
    view! {
        <section class="card" data-testid="admin-audit">
            <h2>"操作日志"</h2>
            <div class="filters">
                <input class="input" placeholder="成员账号" data-testid="audit-member"
                    prop:value=move || member.get() on:input=move |e| member.set(event_target_value(&e)) />
                <input class="input" placeholder="订单号（或员工号、群 ID）" data-testid="audit-order"
                    prop:value=move || order.get() on:input=move |e| order.set(event_target_value(&e)) />
                <label class="field"><span>"从"</span>
                    <input class="input" type="date" prop:value=move || from.get() on:input=move |e| from.set(event_target_value(&e)) />
                </label>
                <label class="field"><span>"到"</span>
                    <input class="input" type="date" prop:value=move || to.get() on:input=move |e| to.set(event_target_value(&e)) />
                </label>
                <button class="btn btn-secondary" data-testid="audit-apply" on:click=move |_| apply()>"筛选"</button>
            </div>
            {move || error.get().map(|e| refused(e, retry))}
            <ul class="list entries" data-testid="audit-list">
                {move || entries.get().into_iter().map(|e| view! {
                    <li data-audit=e.id>
                        <div>
                            <span class="badge">{action_label(&e.action)}</span>
                            " " <span class="muted">{moment(e.at)}</span>
                        </div>
                        <div class="row-title">{e.actor} " → " {e.subject}</div>
                        {(e.detail != "{}").then(|| view! { <div class="muted mono">{e.detail}</div> })}
                    </li>
                }).collect_view()}
            </ul>
            {move || (entries.with(Vec::is_empty) && !loading.get() && error.get().is_none())
                .then(|| view! { <p class="muted">"没有符合条件的记录。"</p> })}
            {move || loading.get().then(|| view! { <Loading label="正在读取操作日志…" /> })}
            {move || (next.get().is_some() && !loading.get()).then(|| view! {
                <button class="btn btn-secondary btn-block" data-testid="audit-more"
                    on:click=move |_| load(next.get_untracked())>"加载更早的记录"</button>
            })}
        </section>
    }
}

/// The Chinese name of an audit action; the action itself when it has none.
fn action_label(action: &str) -> String {
    let known = match action {
        "order_group.created" => "建群",
        "order_group.assigned" => "分配群池的群",
        "join_way.created" => "生成进群二维码",
        "pool.group_added" => "登记空群",
        "staff_chat.created" => "建内部群",
        "staff.bound" => "绑定员工",
        "staff.unbound" => "解除绑定",
        "outbox.retried" => "重发消息",
        "checks.run" => "部署检查",
        "contact.remark_phone_added" => "添加备注手机号",
        _ => return action.to_string(),
    };
    known.to_string()
}
