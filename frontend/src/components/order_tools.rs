//! The two ways into a group without the client's 建群: an internal group for the
//! order's staff (made by the server, opened in WeCom), and the order's join QR code
//! for the customer to scan.

use desk_shared::Order;
use leptos::prelude::*;

use crate::api;
use crate::components::{moment, Loading};
use crate::wecom::{self, Environment, OpenChatError, WwError};

/// Opens the chat in WeCom, or says where it is outside WeCom.
async fn open_in_wecom(chat_id: &str) -> Result<(), String> {
    if wecom::environment() != Environment::WeCom {
        return Err("群聊已生成，请在企业微信中打开。".into());
    }
    // The staff group is an app chat (`appchat/create`), not a customer group: a
    // client too old for openExistedChatWithMsg cannot open it another way.
    match wecom::open_existed_chat_with_msg(chat_id, false).await {
        Ok(()) | Err(OpenChatError::Sdk(WwError::Cancelled)) => Ok(()),
        Err(e) => Err(e.message()),
    }
}

/// 建内部群 / 打开内部群: the designer, the project manager (and whoever the server
/// adds) in one internal chat.
#[component]
pub fn StaffChatTool(order: Order) -> impl IntoView {
    let chat = RwSignal::new(order.staff_chat.clone());
    let id = StoredValue::new(order.id.clone());
    // Makes the group (once; the chat is kept as soon as it is made, so the button
    // says 正在打开… meanwhile), then opens it: what to say when that fails, if anything.
    let open = Action::new_local(move |_: &()| async move {
        let known = chat.get_untracked();
        let made = match known {
            Some(c) => Ok(c),
            None => api::staff_chat(&id.get_value()).await,
        };
        match made {
            Ok(c) => {
                let chat_id = c.chat_id.clone();
                chat.set(Some(c));
                open_in_wecom(&chat_id).await.err().map(|m| (false, m))
            }
            Err(e) => Some((true, e.message)),
        }
    });
    let busy = open.pending();
    let outcome = open.value();
    // What the last try said; nothing while one is under way.
    let said = move || (!busy.get()).then(|| outcome.get().flatten()).flatten();
    let go = move |_| {
        if !busy.get_untracked() {
            open.dispatch(());
        }
    };
    view! {
        <div data-testid="staff-chat">
            {move || chat.get().map(|c| view! { <p><span class="badge badge-ok">"内部群"</span> " " {c.name}</p> })}
            {move || said().map(|(bad, m)| {
                view! { <p class="notice" class:notice-error=bad class:notice-info=!bad role="status" data-testid="staff-chat-said">{m}</p> }
            })}
            <button class="btn btn-secondary btn-block" data-testid="staff-chat-button" disabled=move || busy.get() on:click=go>
                {move || match (busy.get(), chat.get().is_some()) {
                    (true, false) => "正在建内部群…",
                    (true, true) => "正在打开…",
                    (false, false) => "建内部群",
                    (false, true) => "打开内部群",
                }}
            </button>
        </div>
    }
}

/// 生成进群二维码: the order's join QR code, large enough to scan, and whether the
/// customer has joined.
#[component]
pub fn JoinQrTool(order: Order) -> impl IntoView {
    let known = StoredValue::new(order.join_way.as_ref().map(|w| w.qr_code.clone()));
    // Tapped to show the QR code the order already has.
    let asked = RwSignal::new(false);
    let joined = order.group.as_ref().and_then(|g| g.customer_joined_at);
    let id = StoredValue::new(order.id.clone());
    let make = Action::new_local(move |_: &()| async move {
        api::join_way(&id.get_value())
            .await
            .map(|w| w.qr_code)
            .map_err(|e| e.message)
    });
    let busy = make.pending();
    let made = make.value();
    // The order's QR code, or the one just made (then it is shown at once).
    let qr = move || {
        made.get()
            .and_then(Result::ok)
            .or_else(|| known.get_value())
    };
    let shown = move || asked.get() || made.with(|m| matches!(m, Some(Ok(_))));
    // Why the last try failed; nothing while one is under way.
    let error = move || {
        (!busy.get())
            .then(|| made.get().and_then(Result::err))
            .flatten()
    };
    let go = move |_| {
        if untrack(qr).is_some() {
            asked.set(true);
            return;
        }
        if !busy.get_untracked() {
            make.dispatch(());
        }
    };
    view! {
        <div data-testid="join-qr">
            {match joined {
                Some(at) => view! { <p data-testid="joined"><span class="badge badge-ok">"客户已进群"</span> " " {moment(at)}</p> }.into_any(),
                None if order.join_way.is_some() => view! { <p class="muted" data-testid="joined">"客户还没有扫码进群。"</p> }.into_any(),
                None => ().into_any(),
            }}
            {move || error().map(|m| view! { <p class="notice notice-error" role="alert">{m}</p> })}
            {move || busy.get().then(|| view! { <Loading label="正在生成进群二维码…" /> })}
            {move || match (shown(), qr()) {
                (true, Some(src)) => view! {
                    <div class="qr">
                        <img src=src alt="进群二维码" data-testid="qr-image" />
                        <p class="muted">"请把二维码给客户扫码进群，或长按保存图片发给客户。"</p>
                    </div>
                }
                    .into_any(),
                _ => view! {
                    <button class="btn btn-secondary btn-block" data-testid="join-qr-button" disabled=move || busy.get() on:click=go>
                        {move || if qr().is_some() { "显示进群二维码" } else { "生成进群二维码" }}
                    </button>
                }
                    .into_any(),
            }}
        </div>
    }
}
