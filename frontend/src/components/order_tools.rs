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
    let busy = RwSignal::new(false);
    let said = RwSignal::new(None::<(bool, String)>);
    let id = StoredValue::new(order.id.clone());
    let go = move |_| {
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        said.set(None);
        leptos::task::spawn_local(async move {
            let known = chat.get_untracked();
            let made = match known {
                Some(c) => Ok(c),
                None => api::staff_chat(&id.get_value()).await,
            };
            match made {
                Ok(c) => {
                    let chat_id = c.chat_id.clone();
                    chat.set(Some(c));
                    if let Err(m) = open_in_wecom(&chat_id).await {
                        said.set(Some((false, m)));
                    }
                }
                Err(e) => said.set(Some((true, e.message))),
            }
            busy.set(false);
        });
    };
    view! {
        <div data-testid="staff-chat">
            {move || chat.get().map(|c| view! { <p><span class="badge badge-ok">"内部群"</span> " " {c.name}</p> })}
            {move || said.get().map(|(bad, m)| {
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
    let qr = RwSignal::new(order.join_way.as_ref().map(|w| w.qr_code.clone()));
    let shown = RwSignal::new(false);
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let joined = order.group.as_ref().and_then(|g| g.customer_joined_at);
    let id = StoredValue::new(order.id.clone());
    let go = move |_| {
        if qr.get_untracked().is_some() {
            shown.set(true);
            return;
        }
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        error.set(None);
        leptos::task::spawn_local(async move {
            match api::join_way(&id.get_value()).await {
                Ok(w) => {
                    qr.set(Some(w.qr_code));
                    shown.set(true);
                }
                Err(e) => error.set(Some(e.message)),
            }
            busy.set(false);
        });
    };
    view! {
        <div data-testid="join-qr">
            {match joined {
                Some(at) => view! { <p data-testid="joined"><span class="badge badge-ok">"客户已进群"</span> " " {moment(at)}</p> }.into_any(),
                None if order.join_way.is_some() => view! { <p class="muted" data-testid="joined">"客户还没有扫码进群。"</p> }.into_any(),
                None => ().into_any(),
            }}
            {move || error.get().map(|m| view! { <p class="notice notice-error" role="alert">{m}</p> })}
            {move || busy.get().then(|| view! { <Loading label="正在生成进群二维码…" /> })}
            {move || match (shown.get(), qr.get()) {
                (true, Some(src)) => view! {
                    <div class="qr">
                        <img src=src alt="进群二维码" data-testid="qr-image" />
                        <p class="muted">"请把二维码给客户扫码进群，或长按保存图片发给客户。"</p>
                    </div>
                }
                    .into_any(),
                _ => view! {
                    <button class="btn btn-secondary btn-block" data-testid="join-qr-button" disabled=move || busy.get() on:click=go>
                        {move || if qr.get().is_some() { "显示进群二维码" } else { "生成进群二维码" }}
                    </button>
                }
                    .into_any(),
            }}
        </div>
    }
}
