//! 管理后台 (`/admin`, `server.admin_userids` only): the deployment checks, every
//! order and its group, the pool, the staff bindings, the messages the server sends,
//! and the audit log. Each section loads when it is opened.

use desk_shared::admin::{AdminOrders, AuditEntry, OutboxMessage, OutboxMessages};
use desk_shared::ErrorCode;
use leptos::prelude::*;

use crate::api::{self, AuditFilter, Failure};
use crate::components::{moment, Failed, Loading};
use crate::pages::debug::DeploymentChecksCard;
use crate::pages::pool::PoolPanel;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tab {
    Checks,
    Orders,
    Pool,
    Staff,
    Messages,
    Audit,
}

impl Tab {
    const ALL: [Tab; 6] = [
        Tab::Checks,
        Tab::Orders,
        Tab::Pool,
        Tab::Staff,
        Tab::Messages,
        Tab::Audit,
    ];

    fn label(self) -> &'static str {
        match self {
            Tab::Checks => "部署检查",
            Tab::Orders => "订单与群",
            Tab::Pool => "群池",
            Tab::Staff => "员工绑定",
            Tab::Messages => "消息",
            Tab::Audit => "操作日志",
        }
    }

    fn key(self) -> &'static str {
        match self {
            Tab::Checks => "checks",
            Tab::Orders => "orders",
            Tab::Pool => "pool",
            Tab::Staff => "staff",
            Tab::Messages => "messages",
            Tab::Audit => "audit",
        }
    }
}

#[component]
pub fn AdminPage() -> impl IntoView {
    let tab = RwSignal::new(Tab::Checks);
    view! {
        <header class="topbar">
            <h1>"管理后台"</h1>
            <p class="muted">"部署、订单与群、群池、员工绑定、消息和操作日志。每次改动都记入操作日志。"</p>
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
            Tab::Messages => view! { <MessagesSection /> }.into_any(),
            Tab::Audit => view! { <AuditSection /> }.into_any(),
        }}
        <a class="btn btn-secondary" href="/">"返回首页"</a>
    }
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

/// 订单与群: every order, by designer and by whether it has a group.
#[component]
fn OrdersSection() -> impl IntoView {
    let designer = RwSignal::new(String::new());
    let group = RwSignal::new(String::new());
    let text = RwSignal::new(String::new());
    let typed = RwSignal::new(String::new());
    let offset = RwSignal::new(0i64);
    let orders = LocalResource::new(move || {
        api::admin_orders(designer.get(), group.get(), text.get(), offset.get())
    });
    let retry = Callback::new(move |_| orders.refetch());
    // The designers stay in the filter while a page loads.
    let designers = RwSignal::new(Vec::<desk_shared::Person>::new());
    Effect::new(move |_| {
        if let Some(Ok(o)) = orders.get() {
            designers.set(o.designers);
        }
    });
    let search = move || {
        offset.set(0);
        text.set(typed.get_untracked().trim().to_string());
    };
    view! {
        <section class="card" data-testid="admin-orders">
            <h2>"订单与群"</h2>
            <div class="filters">
                <select class="input" aria-label="设计师" data-testid="filter-designer"
                    on:change=move |e| { offset.set(0); designer.set(event_target_value(&e)); }>
                    <option value="">"全部设计师"</option>
                    {move || designers.get().into_iter().map(|p| {
                        let selected = designer.get_untracked() == p.user_id;
                        view! { <option value=p.user_id.clone() selected=selected>{p.name}</option> }
                    }).collect_view()}
                </select>
                <select class="input" aria-label="建群情况" data-testid="filter-group"
                    on:change=move |e| { offset.set(0); group.set(event_target_value(&e)); }>
                    <option value="">"全部订单"</option>
                    <option value="without">"未建群"</option>
                    <option value="with">"已建群"</option>
                </select>
                <input class="input" type="search" placeholder="订单号、标题或客户" data-testid="filter-text"
                    prop:value=move || typed.get() on:input=move |e| typed.set(event_target_value(&e))
                    on:keydown=move |e| if e.key() == "Enter" { search() } />
                <button class="btn btn-secondary" on:click=move |_| search()>"查询"</button>
            </div>
            <Transition fallback=|| view! { <Loading label="正在读取订单…" /> }>
                {move || orders.get().map(|r| match r {
                    Err(e) => refused(e, retry),
                    Ok(o) => orders_view(o, offset),
                })}
            </Transition>
        </section>
    }
}

fn orders_view(o: AdminOrders, offset: RwSignal<i64>) -> AnyView {
    if o.orders.is_empty() && o.total > 0 {
        // Past the last page (orders went away while paging): back to the first.
        return view! {
            <p class="muted">"这一页已没有订单。"</p>
            <button class="btn btn-secondary" on:click=move |_| offset.set(0)>"回到第一页"</button>
        }
        .into_any();
    }
    if o.orders.is_empty() {
        return view! { <p class="muted">"没有符合条件的订单。"</p> }.into_any();
    }
    let total = o.total;
    view! {
        <p class="muted" data-testid="orders-summary">
            {format!("共 {} 单，已建群 {} 单，未建群 {} 单。", o.total, o.with_group, o.total - o.with_group)}
        </p>
        <ul class="list entries" data-testid="admin-order-list">
            {o.orders.into_iter().map(|order| {
                let badges = match &order.group {
                    None => view! { <span class="badge badge-muted">"未建群"</span> }.into_any(),
                    Some(g) if g.dismissed_at.is_some() => {
                        view! { <span class="badge badge-error">"群已解散"</span> }.into_any()
                    }
                    Some(g) => {
                        let via = if g.via == "join_way" { "进群二维码" } else { "客户端建群" };
                        let joined = match g.customer_joined_at {
                            Some(_) => view! { <span class="badge badge-ok">"客户已进群"</span> }.into_any(),
                            None => view! { <span class="badge badge-muted">"客户未进群"</span> }.into_any(),
                        };
                        view! {
                            <span class="badge badge-ok">"已建群"</span>
                            " "
                            <span class="badge">{via}</span>
                            " "
                            {joined}
                        }
                            .into_any()
                    }
                };
                let id = order.id.clone();
                view! {
                    <li data-order=id>
                        <div class="row-title">{order.title}</div>
                        <div class="muted">
                            {order.id} " · " {order.customer_name} " · 设计师 " {order.designer.name}
                            " · 项目经理 " {order.project_manager.name}
                        </div>
                        <div>{badges}</div>
                        {order.group.map(|g| view! { <div class="muted mono">{g.group_name} " · " {g.chat_id}</div> })}
                    </li>
                }
            }).collect_view()}
        </ul>
        <Pager offset=offset total=total size=PAGE />
    }
    .into_any()
}

/// 员工绑定: business staff ids and the WeCom members they are.
#[component]
fn StaffSection() -> impl IntoView {
    let staff = LocalResource::new(api::admin_staff);
    let retry = Callback::new(move |_| staff.refetch());
    let staff_id = RwSignal::new(String::new());
    let userid = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let said = RwSignal::new(None::<Result<String, String>>);
    let done = move |result: Result<(), Failure>, ok: String| {
        if busy.is_disposed() {
            // Another section was opened meanwhile.
            return;
        }
        said.set(Some(result.map(|_| ok).map_err(|e| e.message)));
        busy.set(false);
        staff.refetch();
    };
    let add = move |_| {
        let (s, u) = (
            staff_id.get_untracked().trim().to_string(),
            userid.get_untracked().trim().to_string(),
        );
        if s.is_empty() || u.is_empty() || busy.get_untracked() {
            said.set(Some(Err("请填写员工号和企业微信成员账号。".into())));
            return;
        }
        busy.set(true);
        leptos::task::spawn_local(async move {
            let r = api::bind_staff(&s, &u).await;
            if r.is_ok() {
                staff_id.set(String::new());
                userid.set(String::new());
            }
            done(r, format!("已绑定：员工 {s} → 成员 {u}。"));
        });
    };
    let remove = move |s: String| {
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        leptos::task::spawn_local(async move {
            let r = api::unbind_staff(&s).await;
            done(r, format!("已解除员工 {s} 的绑定。"));
        });
    };
    view! {
        <section class="card" data-testid="admin-staff">
            <h2>"员工绑定"</h2>
            <p class="muted">"业务系统的员工号对应哪位企业微信成员：通知发给员工号，成员的回复回到业务系统的会话。"</p>
            <Transition fallback=|| view! { <Loading label="正在读取绑定并向企业微信核对成员…" /> }>
                {move || staff.get().map(|r| match r {
                    Err(e) => refused(e, retry),
                    Ok(s) if s.staff.is_empty() => view! { <p class="muted">"还没有绑定。"</p> }.into_any(),
                    Ok(s) => view! {
                        <ul class="list entries" data-testid="staff-list">
                            {s.staff.into_iter().map(|b| {
                                let id = b.binding.staff_id.clone();
                                view! {
                                    <li data-staff=b.binding.staff_id.clone()>
                                        <div class="row-title">{b.binding.staff_id.clone()} " → " {b.binding.wecom_user_id.clone()}</div>
                                        {match (b.member_name, b.check_error) {
                                            (Some(name), _) => view! { <div class="muted">{name}</div> }.into_any(),
                                            (None, Some(why)) => view! {
                                                <div class="text-error">"暂时无法向企业微信核对这个成员：" {why}</div>
                                            }.into_any(),
                                            (None, None) => view! {
                                                <div class="text-error">"企业微信里已没有这个成员：请改绑到在职成员。"</div>
                                            }.into_any(),
                                        }}
                                        <button class="btn btn-secondary" disabled=move || busy.get()
                                            on:click=move |_| remove(id.clone())>"解除"</button>
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                    }.into_any(),
                })}
            </Transition>
            <h3>"添加或改绑"</h3>
            <div class="filters">
                <input class="input" placeholder="员工号，如 s-zhangwei" data-testid="staff-id"
                    prop:value=move || staff_id.get() on:input=move |e| staff_id.set(event_target_value(&e)) />
                <input class="input" placeholder="企业微信成员账号" data-testid="staff-userid"
                    prop:value=move || userid.get() on:input=move |e| userid.set(event_target_value(&e)) />
                <button class="btn btn-primary" data-testid="staff-bind" disabled=move || busy.get() on:click=add>"绑定"</button>
            </div>
            {move || busy.get().then(|| view! { <Loading label="正在保存（绑定时先向企业微信核对成员）…" /> })}
            {move || said.get().map(|r| match r {
                Ok(m) => view! { <p class="notice notice-success" role="status" data-testid="staff-said">{m}</p> }.into_any(),
                Err(m) => view! { <p class="notice notice-error" role="alert" data-testid="staff-said">{m}</p> }.into_any(),
            })}
        </section>
    }
}

/// 消息: what the server sends (notifications, events, app messages), by state;
/// a failed one can be tried again.
#[component]
fn MessagesSection() -> impl IntoView {
    let status = RwSignal::new(String::new());
    let offset = RwSignal::new(0i64);
    let messages = LocalResource::new(move || api::admin_messages(status.get(), offset.get()));
    let retry = Callback::new(move |_| messages.refetch());
    let said = RwSignal::new(None::<Result<String, String>>);
    let retrying = RwSignal::new(false);
    let again = Callback::new(move |id: String| {
        if retrying.get_untracked() {
            return;
        }
        retrying.set(true);
        said.set(None);
        leptos::task::spawn_local(async move {
            let r = api::retry_message(&id).await;
            if said.is_disposed() {
                return;
            }
            retrying.set(false);
            said.set(Some(
                r.map(|_| "已重新排队，稍后发送。".to_string())
                    .map_err(|e| e.message),
            ));
            messages.refetch();
        });
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
            {move || said.get().map(|r| match r {
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
fn AuditSection() -> impl IntoView {
    let member = RwSignal::new(String::new());
    let order = RwSignal::new(String::new());
    let from = RwSignal::new(String::new());
    let to = RwSignal::new(String::new());
    let filter = RwSignal::new(AuditFilter::default());
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
