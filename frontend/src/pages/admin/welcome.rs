//! 欢迎语: what a customer gets on scanning an order's 扫码加我 code (sent by WeCom's
//! `send_welcome_msg` within 20 s), with the quick replies' placeholders filled from
//! the order; the order group's join QR code goes with it as an image.

use desk_shared::replies::PLACEHOLDERS;
use desk_shared::storevisit::WelcomeTemplate;
use leptos::prelude::*;

use super::refused;
use super::replies::{chars, counter};
use crate::api;
use crate::components::Loading;

/// The most characters either welcome may have (WeCom's limit on the text).
const WELCOME_MAX: usize = 1000;

/// Which of the two welcomes a placeholder button writes into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Text,
    WithoutGroup,
}

#[component]
pub(super) fn WelcomeSection() -> impl IntoView {
    let template = LocalResource::new(api::welcome);
    let retry = Callback::new(move |_| template.refetch());
    view! {
        <section class="card" data-testid="admin-welcome">
            <h2>"欢迎语"</h2>
            <p class="muted">
                "客户在门店扫订单的「扫码加我」二维码、添加设计师后，企业微信自动发给客户的第一条消息。"
                "可用占位符：{客户} {订单号} {订单} {设计师} {项目经理} {我}（{我} 是设计师），按扫码的订单填写。"
            </p>
            <Transition fallback=|| view! { <Loading label="正在读取欢迎语…" /> }>
                {move || template.get().map(|r| match r {
                    Err(e) => refused(e, retry),
                    Ok(t) => view! { <WelcomeForm template=t /> }.into_any(),
                })}
            </Transition>
        </section>
    }
}

/// The two welcomes, editable, with 保存.
#[component]
fn WelcomeForm(
    /// The welcomes as the server has them.
    template: WelcomeTemplate,
) -> impl IntoView {
    let text = RwSignal::new(template.text);
    let without_group = RwSignal::new(template.without_group);
    // The placeholder buttons write into the welcome last typed in.
    let target = RwSignal::new(Field::Text);
    let save = Action::new_local(move |t: &WelcomeTemplate| {
        let t = t.clone();
        async move { api::save_welcome(&t).await.map_err(|e| e.message) }
    });
    let busy = save.pending();
    Effect::new(move |_| {
        if let Some(Ok(t)) = save.value().get() {
            text.set(t.text);
            without_group.set(t.without_group);
        }
    });
    let too_long =
        move || chars(&text.get()) > WELCOME_MAX || chars(&without_group.get()) > WELCOME_MAX;
    let go = move |_| {
        if busy.get_untracked() || untrack(too_long) {
            return;
        }
        save.dispatch(WelcomeTemplate {
            text: text.get_untracked(),
            without_group: without_group.get_untracked(),
        });
    };
    let insert = move |p: &str| match target.get_untracked() {
        Field::Text => text.update(|t| t.push_str(p)),
        Field::WithoutGroup => without_group.update(|t| t.push_str(p)),
    };
    view! {
        <label class="field">
            <span data-testid="welcome-count" class:text-error=move || { chars(&text.get()) > WELCOME_MAX }>
                {move || format!("扫码后发送的欢迎语（{}）", counter(chars(&text.get()), WELCOME_MAX))}
            </span>
            <textarea class="input" rows="5" data-testid="welcome-text" prop:value=move || text.get()
                on:focus=move |_| target.set(Field::Text)
                on:input=move |e| text.set(event_target_value(&e))></textarea>
        </label>
        <p class="muted">"发送时附上订单客户群的进群二维码图片，客户扫码就进了订单的群。"</p>
        <label class="field">
            <span data-testid="welcome-without-count" class:text-error=move || { chars(&without_group.get()) > WELCOME_MAX }>
                {move || format!("没有群时的欢迎语（{}）", counter(chars(&without_group.get()), WELCOME_MAX))}
            </span>
            <textarea class="input" rows="4" data-testid="welcome-without-group" prop:value=move || without_group.get()
                on:focus=move |_| target.set(Field::WithoutGroup)
                on:input=move |e| without_group.set(event_target_value(&e))></textarea>
        </label>
        <p class="muted">"订单还没有客户群、也拿不到进群二维码时发这一条，不带图片。"</p>
        <p class="muted">
            {move || match target.get() {
                Field::Text => "点占位符插入到「扫码后发送的欢迎语」末尾：",
                Field::WithoutGroup => "点占位符插入到「没有群时的欢迎语」末尾：",
            }}
        </p>
        <div class="row-actions chips">
            {PLACEHOLDERS.into_iter().map(|p| view! {
                <button class="btn btn-secondary" on:click=move |_| insert(p)>{p}</button>
            }).collect_view()}
        </div>
        <div class="actions">
            <button class="btn btn-primary" data-testid="welcome-save" disabled=move || busy.get() || too_long() on:click=go>
                {move || if busy.get() { "正在保存…" } else { "保存" }}
            </button>
        </div>
        {move || too_long().then(|| view! {
            <p class="notice notice-error" role="alert">{format!("欢迎语最多 {WELCOME_MAX} 字：请删减后再保存。")}</p>
        })}
        {move || busy.get().then(|| view! { <Loading label="正在保存欢迎语…" /> })}
        {move || (!busy.get()).then(|| save.value().get()).flatten().map(|r| match r {
            Ok(_) => view! { <p class="notice notice-success" role="status" data-testid="welcome-said">"已保存欢迎语，之后扫码的客户收到的就是这一版。"</p> }.into_any(),
            Err(m) => view! { <p class="notice notice-error" role="alert" data-testid="welcome-said">{m}</p> }.into_any(),
        })}
    }
}
