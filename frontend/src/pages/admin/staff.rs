//! 员工绑定: which WeCom member each business staff id is.

use leptos::prelude::*;

use super::refused;
use crate::api;
use crate::components::Loading;

/// What an admin changes: a staff id bound to a member, or its binding removed.
#[derive(Debug, Clone)]
enum Change {
    Bind(String, String),
    Unbind(String),
}

impl Change {
    /// What the page says once it is done.
    fn done(&self) -> String {
        match self {
            Self::Bind(s, u) => format!("已绑定：员工 {s} → 成员 {u}。"),
            Self::Unbind(s) => format!("已解除员工 {s} 的绑定。"),
        }
    }
}

/// 员工绑定: business staff ids and the WeCom members they are.
#[component]
pub(super) fn StaffSection() -> impl IntoView {
    let staff_id = RwSignal::new(String::new());
    let userid = RwSignal::new(String::new());
    // Binding and unbinding share one action: one change at a time. A member just
    // bound leaves the form empty for the next.
    let change = Action::new_local(move |change: &Change| {
        let change = change.clone();
        async move {
            let r = match &change {
                Change::Bind(s, u) => api::bind_staff(s, u).await,
                Change::Unbind(s) => api::unbind_staff(s).await,
            };
            if r.is_ok() && matches!(change, Change::Bind(..)) {
                staff_id.set(String::new());
                userid.set(String::new());
            }
            r.map(|_| change.done()).map_err(|e| e.message)
        }
    });
    let busy = change.pending();
    let done = change.value();
    let changes = change.version();
    // Read again after every change, made or refused.
    let staff = LocalResource::new(move || {
        changes.track();
        api::admin_staff()
    });
    let retry = Callback::new(move |_| staff.refetch());
    // The form sent incomplete, after so many changes: said until the next change ends.
    let incomplete = RwSignal::new(None::<usize>);
    let said = move || match incomplete.get() {
        Some(at) if at == changes.get() => {
            Some(Err("请填写员工号和企业微信成员账号。".to_string()))
        }
        _ => done.get(),
    };
    let add = move |_| {
        let (s, u) = (
            staff_id.get_untracked().trim().to_string(),
            userid.get_untracked().trim().to_string(),
        );
        if s.is_empty() || u.is_empty() || busy.get_untracked() {
            incomplete.set(Some(changes.get_untracked()));
            return;
        }
        change.dispatch(Change::Bind(s, u));
    };
    let remove = move |s: String| {
        if !busy.get_untracked() {
            change.dispatch(Change::Unbind(s));
        }
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
            {move || said().map(|r| match r {
                Ok(m) => view! { <p class="notice notice-success" role="status" data-testid="staff-said">{m}</p> }.into_any(),
                Err(m) => view! { <p class="notice notice-error" role="alert" data-testid="staff-said">{m}</p> }.into_any(),
            })}
        </section>
    }
}
