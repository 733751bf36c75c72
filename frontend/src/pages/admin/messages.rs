//! 消息: what the server sends (robots, events, app messages) and why one failed.

use desk_shared::admin::{OutboxMessage, OutboxMessages};
use leptos::prelude::*;

use super::{refused, url, Pager, PAGE};
use crate::api;
use crate::components::{moment, Loading};

/// 消息: what the server sends (notifications, events, app messages), by state;
/// a failed one can be tried again.
#[component]
pub(super) fn MessagesSection() -> impl IntoView {
    let status = url::text("status");
    let offset = url::offset("m_offset");
    let resend = Action::new_local(|id: &String| {
        let id = id.clone();
        async move {
            api::retry_message(&id)
                .await
                .map(|_| "已重新排队，稍后发送。".to_string())
                .map_err(|e| e.message)
        }
    });
    let retrying = resend.pending();
    let resent = resend.value();
    let tries = resend.version();
    // Read again after every try, queued or not.
    let messages = LocalResource::new(move || {
        tries.track();
        api::admin_messages(status.get(), offset.get())
    });
    let retry = Callback::new(move |_| messages.refetch());
    // What the last try said; nothing while one is under way.
    let said = move || (!retrying.get()).then(|| resent.get()).flatten();
    let again = Callback::new(move |id: String| {
        if !retrying.get_untracked() {
            resend.dispatch(id);
        }
    });
    let choices = [
        ("", "全部"),
        ("queued", "排队中"),
        ("sent", "已发送"),
        ("failed", "失败"),
    ];
    view! {
        <section class="card" data-testid="admin-messages">
            <h2>"消息"</h2>
            <div class="filters" role="group" aria-label="状态">
                {choices.into_iter().map(|(key, label)| view! {
                    <button class="tab" data-status=key aria-selected=move || (status.get() == key).to_string()
                        on:click=move |_| { offset.set(0); status.set(key.to_string()); }>{label}</button>
                }).collect_view()}
            </div>
            {move || retrying.get().then(|| view! { <Loading label="正在重新排队…" /> })}
            {move || said().map(|r| match r {
                Ok(m) => view! { <p class="notice notice-success" role="status">{m}</p> }.into_any(),
                Err(m) => view! { <p class="notice notice-error" role="alert">{m}</p> }.into_any(),
            })}
            <Transition fallback=|| view! { <Loading label="正在读取消息…" /> }>
                {move || messages.get().map(|r| match r {
                    Err(e) => refused(e, retry),
                    Ok(m) => messages_view(m, offset, again),
                })}
            </Transition>
        </section>
    }
}

fn messages_view(m: OutboxMessages, offset: RwSignal<i64>, again: Callback<String>) -> AnyView {
    let c = &m.counts;
    let counts = format!(
        "排队中 {} · 已发送 {} · 失败 {}",
        c.queued, c.sent, c.failed
    );
    let total = m.total;
    view! {
        <p class="muted" data-testid="message-counts">{counts}</p>
        {m.messages.is_empty().then(|| view! { <p class="muted">"没有这样的消息。"</p> })}
        <ul class="list entries" data-testid="message-list">
            {m.messages.into_iter().map(|msg| message_row(msg, again)).collect_view()}
        </ul>
        <Pager offset=offset total=total size=PAGE />
    }
    .into_any()
}

fn message_row(msg: OutboxMessage, again: Callback<String>) -> impl IntoView {
    let kind = match msg.kind.as_str() {
        "robot" => "员工通知",
        "event" => "业务事件",
        _ => "应用消息",
    };
    let (badge, state) = match msg.status.as_str() {
        "sent" => ("badge badge-ok", "已发送"),
        "failed" => ("badge badge-error", "失败"),
        _ => ("badge badge-muted", "排队中"),
    };
    let failed = msg.status == "failed";
    let id = msg.id.clone();
    view! {
        <li data-message=msg.id.clone()>
            <div>
                <span class=badge>{state}</span> " " <span class="badge">{kind}</span>
                " " <span class="muted">{moment(msg.created_at / 1000)}</span>
            </div>
            <div>{msg.summary}</div>
            <div class="muted">
                "发往 " {msg.target} " · 尝试 " {msg.attempts} " 次"
                {msg.conversation_id.map(|c| format!(" · 会话 {c}"))}
            </div>
            {msg.last_error.map(|e| view! { <p class="text-error" data-testid="last-error">"原因：" {e}</p> })}
            {failed.then(|| view! {
                <button class="btn btn-secondary" data-testid="retry-message"
                    on:click=move |_| again.run(id.clone())>"重新发送"</button>
            })}
        </li>
    }
}
