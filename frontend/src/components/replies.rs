//! 话术 beside a chat: the team's quick replies by group, with a search; one tapped is
//! shown filled from this customer and order, 发送 puts it into the chat
//! (`sendChatMessage`, the member confirms in the client) and counts it, 复制 copies
//! it for a client where sending is not allowed. 发送进群二维码 puts the order's join
//! QR code into the chat as an image.

use desk_shared::replies::{fill, Fill, Reply, ReplyGroup, ReplySent};
use desk_shared::{Order, SessionUser};
use leptos::prelude::*;

use crate::api;
use crate::components::{Failed, Load, Loading};
use crate::wecom::{self, ChatMessage, WwError};

/// What a refused send says: why, and what to do instead.
pub fn send_refused(e: &WwError) -> String {
    match e {
        WwError::Cancelled => "已取消发送。".into(),
        WwError::PermissionDenied(m) => format!(
            "企业微信不允许本应用往聊天里发送（{m}）：请管理员把本应用加入「客户联系 → 可调用接口的应用」，并给你开通客户联系权限。现在可以先复制，再到聊天里粘贴发送。"
        ),
        e => e.message(),
    }
}

/// Where a reply is sent, and what fills it.
#[derive(Debug, Clone, PartialEq)]
pub struct Chat {
    /// Where `sent` says it went.
    pub to: ReplySent,
    /// The customer's name as WeCom has it (used when no order is in view).
    pub customer: Option<String>,
    /// The orders in view (the first fills the placeholders; the member may pick another).
    pub orders: Vec<Order>,
    /// Whether the page is beside the chat (a chat toolbar): only then can it send.
    pub can_send: bool,
}

fn values(chat: &Chat, order: Option<&Order>, me: Option<&SessionUser>) -> Fill {
    Fill {
        customer: order
            .map(|o| o.customer_name.clone())
            .filter(|n| !n.trim().is_empty())
            .or_else(|| chat.customer.clone()),
        order_id: order.map(|o| o.id.clone()),
        order_title: order.map(|o| o.title.clone()),
        designer: order.map(|o| o.designer.name.clone()),
        project_manager: order.map(|o| o.project_manager.name.clone()),
        me: me.map(|u| u.name.clone()),
    }
}

/// The 话术 card: closed until tapped (nothing is fetched before).
#[component]
pub fn QuickReplies(chat: Chat) -> impl IntoView {
    let open = RwSignal::new(false);
    let chat = StoredValue::new(chat);
    view! {
        <section class="card" data-testid="replies">
            {move || if open.get() {
                view! { <ReplyList chat=chat.get_value() /> }.into_any()
            } else {
                view! {
                    <button class="btn btn-secondary btn-block" data-testid="replies-open" on:click=move |_| open.set(true)>
                        "话术"
                    </button>
                }
                .into_any()
            }}
        </section>
    }
}

/// Whether a reply matches what was typed in the search (title or text).
fn matches(r: &Reply, q: &str) -> bool {
    q.is_empty() || r.title.contains(q) || r.text.contains(q)
}

#[component]
fn ReplyList(chat: Chat) -> impl IntoView {
    let groups = Load::new(api::replies);
    let retry = Callback::new(move |_| groups.reload());
    let query = RwSignal::new(String::new());
    let chosen = RwSignal::new(None::<Reply>);
    let chat = StoredValue::new(chat);
    let list = move |all: Vec<ReplyGroup>| {
        if all.iter().all(|g| g.replies.is_empty()) {
            return view! {
                <p class="muted" data-testid="replies-empty">"团队还没有话术：请管理员在管理后台的「话术」里添加，添加后这里就能一键发送。"</p>
            }
            .into_any();
        }
        let q = query.get();
        let q = q.trim();
        let shown: Vec<ReplyGroup> = all
            .into_iter()
            .map(|g| ReplyGroup {
                replies: g.replies.into_iter().filter(|r| matches(r, q)).collect(),
                name: g.name,
            })
            .filter(|g| !g.replies.is_empty())
            .collect();
        if shown.is_empty() {
            return view! { <p class="muted" data-testid="replies-none">"没有找到含「" {q.to_string()} "」的话术，换个词试试。"</p> }.into_any();
        }
        shown
            .into_iter()
            .map(|g| {
                view! {
                    <h3 class="reply-group">{g.name}</h3>
                    <ul class="list">
                        {g.replies.into_iter().map(|r| {
                            let title = r.title.clone();
                            let id = r.id;
                            view! {
                                <li>
                                    <button class="list-row" data-reply=id on:click=move |_| chosen.set(Some(r.clone()))>
                                        <span class="row-title">{title}</span>
                                        <span class="muted">"›"</span>
                                    </button>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }
            })
            .collect_view()
            .into_any()
    };
    view! {
        <h2>"话术"</h2>
        {move || match chosen.get() {
            Some(r) => view! {
                <Preview reply=r chat=chat.get_value() on_back=Callback::new(move |_| chosen.set(None)) />
            }
            .into_any(),
            None => view! {
                <input class="input" type="search" placeholder="搜索话术" data-testid="replies-search"
                    prop:value=move || query.get() on:input=move |e| query.set(event_target_value(&e)) />
                {move || match groups.get() {
                    None => view! { <Loading label="正在读取话术…" /> }.into_any(),
                    Some(Ok(g)) => list(g.groups),
                    Some(Err(f)) => view! { <Failed message=f.message on_retry=retry /> }.into_any(),
                }}
            }
            .into_any(),
        }}
    }
}

/// One reply filled for this chat, with 发送 and 复制.
#[component]
fn Preview(reply: Reply, chat: Chat, on_back: Callback<()>) -> impl IntoView {
    let me = use_context::<desk_shared::Session>().and_then(|s| s.user);
    let picked = RwSignal::new(0usize);
    let chat = StoredValue::new(chat);
    let template = reply.text.clone();
    let text = Memo::new(move |_| {
        let i = picked.get();
        chat.with_value(|c| fill(&template, &values(c, c.orders.get(i), me.as_ref())))
    });
    let said = RwSignal::new(None::<Result<String, String>>);
    let id = reply.id;
    let send = Action::new_local(move |content: &String| {
        let content = content.clone();
        let to = chat.with_value(|c| c.to.clone());
        async move {
            wecom::send_chat_message(&ChatMessage::Text(content))
                .await
                .map_err(|e| send_refused(&e))?;
            // Sent: a count that fails to be written is not the member's problem.
            let _ = api::reply_sent(id, &to).await;
            Ok("已发送到聊天。".to_string())
        }
    });
    Effect::new(move |_| {
        if let Some(r) = send.value().get() {
            said.set(Some(r));
        }
    });
    let copy = move |_| {
        let t = text.get_untracked();
        // The clipboard, not the server: a plain task.
        leptos::task::spawn_local(async move {
            said.set(Some(match copy_text(&t).await {
                true => Ok("已复制，可以到聊天里粘贴发送。".into()),
                false => Err("无法自动复制：请长按上面的文字，选择「复制」。".into()),
            }));
        });
    };
    let pick = chat.with_value(|c| c.orders.len() > 1).then(|| {
        let orders = chat.with_value(|c| c.orders.clone());
        view! {
            <label class="field">"按订单填写"
                <select class="input" on:change=move |e| picked.set(event_target_value(&e).parse().unwrap_or(0))>
                    {orders.into_iter().enumerate().map(|(i, o)| view! { <option value=i>{o.title}</option> }).collect_view()}
                </select>
            </label>
        }
    });
    let can_send = chat.with_value(|c| c.can_send);
    view! {
        <div data-testid="reply-preview">
            <div class="row-title">{reply.title.clone()}</div>
            {pick}
            <p class="reply-text" data-testid="reply-text">{move || text.get()}</p>
            {move || send.pending().get().then(|| view! { <Loading label="正在交给企业微信，请在弹出的窗口里确认发送…" /> })}
            {move || said.get().map(|r| match r {
                Ok(m) => view! { <p class="notice notice-success" role="status" data-testid="reply-said">{m}</p> }.into_any(),
                Err(m) => view! { <p class="notice notice-error" role="alert" data-testid="reply-said">{m}</p> }.into_any(),
            })}
            {(!can_send).then(|| view! { <p class="muted">"从聊天工具栏打开本页时可以直接发送；这里可以复制后粘贴。"</p> })}
            <div class="actions">
                {can_send.then(|| view! {
                    <button class="btn btn-primary" data-testid="reply-send" disabled=move || send.pending().get()
                        on:click=move |_| {
                            said.set(None);
                            send.dispatch(text.get_untracked());
                        }>"发送"</button>
                })}
                <button class="btn btn-secondary" data-testid="reply-copy" on:click=copy>"复制"</button>
                <button class="btn btn-secondary" on:click=move |_| on_back.run(())>"返回"</button>
            </div>
        </div>
    }
}

/// Copies `text` (`navigator.clipboard`, where the webview has it); whether that
/// worked. Read through `Reflect`: a web-sys binding would weigh more.
async fn copy_text(text: &str) -> bool {
    use js_sys::{Function, Promise, Reflect};
    use wasm_bindgen::{JsCast, JsValue};
    let clipboard = Reflect::get(&window().navigator(), &"clipboard".into()).ok();
    let write = clipboard.as_ref().and_then(|c| {
        Reflect::get(c, &"writeText".into())
            .ok()?
            .dyn_into::<Function>()
            .ok()
    });
    let Some(promise) = clipboard
        .zip(write)
        .and_then(|(c, f)| f.call1(&c, &JsValue::from_str(text)).ok())
    else {
        return false;
    };
    wasm_bindgen_futures::JsFuture::from(Promise::from(promise))
        .await
        .is_ok()
}

/// 发送进群二维码: the order's join QR code (made if it has none) put into the chat
/// as an image; the server uploads it to WeCom once per 2.5 days.
#[component]
pub fn SendJoinQr(order_id: String) -> impl IntoView {
    let send = Action::new_local(move |id: &String| {
        let id = id.clone();
        async move {
            let media = api::join_way_media(&id).await.map_err(|f| f.message)?;
            wecom::send_chat_message(&ChatMessage::Image(media.media_id))
                .await
                .map_err(|e| send_refused(&e))?;
            Ok::<_, String>("已把进群二维码发到聊天，客户扫码就能进订单的群。".to_string())
        }
    });
    let busy = send.pending();
    let id = StoredValue::new(order_id);
    view! {
        <div data-testid="send-qr">
            {move || busy.get().then(|| view! { <Loading label="正在准备进群二维码…" /> })}
            {move || (!busy.get()).then(|| send.value().get()).flatten().map(|r| match r {
                Ok(m) => view! { <p class="notice notice-success" role="status" data-testid="send-qr-said">{m}</p> }.into_any(),
                Err(m) => view! { <p class="notice notice-error" role="alert" data-testid="send-qr-said">{m}</p> }.into_any(),
            })}
            <button class="btn btn-secondary btn-block" data-testid="send-qr-button" disabled=move || busy.get()
                on:click=move |_| {
                    if !busy.get_untracked() {
                        send.dispatch(id.get_value());
                    }
                }>"发送进群二维码"</button>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(title: &str, text: &str) -> Reply {
        Reply {
            id: 1,
            title: title.into(),
            text: text.into(),
            group: "问候".into(),
            use_count: 0,
        }
    }

    #[test]
    fn the_search_looks_in_titles_and_texts() {
        let r = reply("开工问候", "{客户}您好，明天开工。");
        assert!(matches(&r, ""));
        assert!(matches(&r, "开工"));
        assert!(matches(&r, "明天"));
        assert!(!matches(&r, "报价"));
    }

    #[test]
    fn a_refusal_says_what_to_do_instead() {
        let m = send_refused(&WwError::PermissionDenied(
            "sendChatMessage:fail no permission".into(),
        ));
        assert!(m.contains("复制"), "{m}");
        assert!(m.contains("管理员"), "{m}");
        assert_eq!(send_refused(&WwError::Cancelled), "已取消发送。");
        assert!(send_refused(&WwError::NoChat).contains("聊天工具栏"));
    }
}
