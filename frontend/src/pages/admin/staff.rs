//! 员工绑定: which WeCom member each business staff id is.

use leptos::prelude::*;

use super::refused;
use crate::api::{self, Failure};
use crate::components::Loading;

/// 员工绑定: business staff ids and the WeCom members they are.
#[component]
pub(super) fn StaffSection() -> impl IntoView {
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
