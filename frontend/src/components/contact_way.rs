//! 到店扫码加我: the order's "add me" code for its designer (「联系我」). The customer
//! scans it at the store, becomes the designer's contact and gets the welcome with the
//! order group's join QR code. The code can be printed as a card on its own.

use desk_shared::Order;
use leptos::prelude::*;

use crate::api;
use crate::components::{moment, Loading};

/// The store-visit section of an order page: the code (made on demand), 打印, and
/// whether the customer has scanned it. Nothing for a closed order.
#[component]
pub fn ContactWayTool(
    /// The order as loaded.
    order: Order,
) -> impl IntoView {
    if order.status == "closed" {
        return ().into_any();
    }
    let known = StoredValue::new(order.contact_way.clone().map(|w| w.qr_code));
    let id = StoredValue::new(order.id.clone());
    let make = Action::new_local(move |_: &()| async move {
        api::contact_way(&id.get_value())
            .await
            .map(|w| w.qr_code)
            .map_err(|e| e.message)
    });
    let busy = make.pending();
    // The order's code, or the one just made.
    let way = move || {
        make.value()
            .get()
            .and_then(Result::ok)
            .or_else(|| known.get_value())
    };
    // Why the last try failed; nothing while one is under way.
    let error = move || {
        (!busy.get())
            .then(|| make.value().get().and_then(Result::err))
            .flatten()
    };
    let designer = order.designer.name.clone();
    let title = order.title.clone();
    let added = order.customer_added_at.map(|at| {
        view! {
            <p data-testid="customer-added"><span class="badge badge-ok">"客户已扫码添加"</span> "（" {moment(at)} "）"</p>
            {order.welcome_note.clone().map(|n| view! { <p class="muted" data-testid="welcome-note">{n}</p> })}
        }
    });
    let print = |_| {
        let _ = window().print();
    };
    let code = move |src: String| {
        let (designer, title) = (designer.clone(), title.clone());
        view! {
            <div class="qr">
                <img src=src.clone() alt=format!("扫码添加设计师{designer}的二维码") data-testid="contact-way-qr" />
                <p class="muted">"客户用微信扫码即可添加设计师" {designer.clone()} "，并收到订单群的进群二维码"</p>
            </div>
            <button class="btn btn-secondary btn-block" data-testid="contact-way-print" on:click=print>"打印"</button>
            // Only this prints (pages.css, @media print).
            <div class="print-card" data-testid="print-card">
                <h1>{title}</h1>
                <p>"设计师 " {designer}</p>
                <img src=src alt="添加设计师的二维码" />
                <p>"微信扫码，添加您的专属设计师"</p>
            </div>
        }
    };
    view! {
        <section class="card storevisit" id="contact-way" data-testid="contact-way">
            <h2>"到店扫码加我"</h2>
            {added}
            {move || error().map(|m| view! {
                <p class="notice notice-error" role="alert">{m} " 可以再点一次重试；一直不成功请联系管理员。"</p>
            })}
            {move || match way() {
                Some(src) => code(src).into_any(),
                None => view! {
                    <p class="muted">"客户到店时扫这个码，就成了设计师的客户，并自动收到欢迎语和订单群的进群二维码。"</p>
                    {move || busy.get().then(|| view! { <Loading label="正在生成扫码加我二维码…" /> })}
                    <button class="btn btn-primary btn-block" data-testid="contact-way-button" disabled=move || busy.get()
                        on:click=move |_| { if !busy.get_untracked() { make.dispatch(()); } }>
                        "生成扫码加我二维码"
                    </button>
                }
                .into_any(),
            }}
        </section>
    }
    .into_any()
}
