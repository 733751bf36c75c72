//! 管理后台 (`/admin`, `server.admin_userids` only): the deployment checks, every
//! order and its group, the pool, the staff bindings, the quick replies (话术), the
//! welcome a customer gets on scanning an order's code (欢迎语), the order groups'
//! activity (数据), the messages the server sends, the handover of members who left,
//! and the audit log. Each section loads when it is opened.

use desk_shared::ErrorCode;
use leptos::prelude::*;

mod audit;
mod handover;
mod messages;
mod orders;
mod replies;
mod staff;
mod stats;
mod url;
mod welcome;

use audit::AuditSection;
use handover::HandoverSection;
use messages::MessagesSection;
use orders::OrdersSection;
use replies::RepliesSection;
use staff::StaffSection;
use stats::StatsSection;
use welcome::WelcomeSection;

use crate::api::Failure;
use crate::components::checks::DeploymentChecksCard;
use crate::components::pool::PoolPanel;
use crate::components::Failed;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tab {
    Checks,
    Orders,
    Pool,
    Staff,
    Replies,
    Welcome,
    Stats,
    Messages,
    Handover,
    Audit,
}

impl Tab {
    const ALL: [Tab; 10] = [
        Tab::Checks,
        Tab::Orders,
        Tab::Pool,
        Tab::Staff,
        Tab::Replies,
        Tab::Welcome,
        Tab::Stats,
        Tab::Messages,
        Tab::Handover,
        Tab::Audit,
    ];

    fn label(self) -> &'static str {
        match self {
            Tab::Checks => "部署检查",
            Tab::Orders => "订单与群",
            Tab::Pool => "群池",
            Tab::Staff => "员工绑定",
            Tab::Replies => "话术",
            Tab::Welcome => "欢迎语",
            Tab::Stats => "数据",
            Tab::Messages => "消息",
            Tab::Handover => "交接",
            Tab::Audit => "操作日志",
        }
    }

    fn key(self) -> &'static str {
        match self {
            Tab::Checks => "checks",
            Tab::Orders => "orders",
            Tab::Pool => "pool",
            Tab::Staff => "staff",
            Tab::Replies => "replies",
            Tab::Welcome => "welcome",
            Tab::Stats => "stats",
            Tab::Messages => "messages",
            Tab::Handover => "handover",
            Tab::Audit => "audit",
        }
    }
}

/// Whether the page is in another page's frame. `/admin` itself forbids framing
/// (`frame-ancestors 'none'`), but the console can also be reached by a link followed
/// inside a framed page of the app, which loads nothing again: it refuses then.
fn framed() -> bool {
    web_sys::window()
        .and_then(|w| {
            let top = w.top().ok().flatten()?;
            Some(!js_sys::Object::is(top.as_ref(), w.as_ref()))
        })
        .unwrap_or(false)
}

#[component]
pub fn AdminPage() -> impl IntoView {
    if framed() {
        return view! {
            <p class="notice notice-error" data-testid="admin-framed">
                "管理后台不能在其他网页的框架里打开：请直接在浏览器或企业微信里打开本应用的 /admin。"
            </p>
        }
        .into_any();
    }
    let tab = RwSignal::new(
        url::read("tab")
            .and_then(|k| Tab::ALL.into_iter().find(|t| t.key() == k))
            .unwrap_or(Tab::Checks),
    );
    // The first tab is the default: left out of the URL (and the URL is not touched
    // while the page starts, when the JS-SDK signs it).
    Effect::new(move |_| {
        let t = tab.get();
        url::write("tab", if t == Tab::Checks { "" } else { t.key() });
    });
    view! {
        <header class="topbar">
            <h1>"管理后台"</h1>
            <p class="muted">"部署、订单与群、群池、员工绑定、话术、欢迎语、群数据、消息、交接和操作日志。每次改动都记入操作日志。"</p>
        </header>
        <nav class="tabs" role="tablist" data-testid="admin-tabs">
            {Tab::ALL
                .into_iter()
                .map(|t| {
                    view! {
                        <button role="tab" class="tab" data-tab=t.key()
                            aria-selected=move || (tab.get() == t).to_string()
                            on:click=move |_| tab.set(t)>
                            {t.label()}
                        </button>
                    }
                })
                .collect_view()}
        </nav>
        {move || match tab.get() {
            Tab::Checks => view! { <DeploymentChecksCard /> }.into_any(),
            Tab::Orders => view! { <OrdersSection /> }.into_any(),
            Tab::Pool => view! { <PoolPanel /> }.into_any(),
            Tab::Staff => view! { <StaffSection /> }.into_any(),
            Tab::Replies => view! { <RepliesSection /> }.into_any(),
            Tab::Welcome => view! { <WelcomeSection /> }.into_any(),
            Tab::Stats => view! { <StatsSection /> }.into_any(),
            Tab::Messages => view! { <MessagesSection /> }.into_any(),
            Tab::Handover => view! { <HandoverSection /> }.into_any(),
            Tab::Audit => view! { <AuditSection /> }.into_any(),
        }}
        <a class="btn btn-secondary" href="/" rel="external">"返回首页"</a>
    }
    .into_any()
}

/// A failed load: for a member who is not an admin, who to ask; otherwise the
/// failure with a retry.
fn refused(e: Failure, retry: Callback<()>) -> AnyView {
    if e.is(ErrorCode::AdminOnly) {
        view! {
            <p class="notice notice-info" data-testid="admin-only">
                "只有管理员可以使用管理后台：请让管理员把你的账号加入 server.admin_userids。"
            </p>
        }
        .into_any()
    } else {
        view! { <Failed message=e.message on_retry=retry /> }.into_any()
    }
}

/// Previous / next page buttons over `total` rows, `size` a page.
#[component]
fn Pager(
    /// The first row shown.
    offset: RwSignal<i64>,
    /// Rows over all pages.
    total: i64,
    /// Rows a page.
    size: i64,
) -> impl IntoView {
    let at = offset.get_untracked();
    let last = (at + size).min(total);
    (total > size).then(|| {
        view! {
            <div class="actions pager">
                <button class="btn btn-secondary" disabled=at == 0
                    on:click=move |_| offset.set((at - size).max(0))>"上一页"</button>
                <span class="muted">{format!("{}–{last} / {total}", at + 1)}</span>
                <button class="btn btn-secondary" data-testid="next-page" disabled=last >= total
                    on:click=move |_| offset.set(at + size)>"下一页"</button>
            </div>
        }
    })
}

/// Rows a page in the orders and messages lists (the server's default).
const PAGE: i64 = 20;
