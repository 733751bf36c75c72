//! 话术: the team's quick replies, which members send from the sidebar. Admins add,
//! edit, remove and reorder them; every change is in the audit log.

use desk_shared::replies::{Reply, ReplyInput, GROUP_MAX, PLACEHOLDERS, TEXT_MAX, TITLE_MAX};
use leptos::prelude::*;

use super::refused;
use crate::api;
use crate::components::Loading;

/// One change an admin makes.
#[derive(Debug, Clone)]
enum Change {
    Save(Option<i64>, ReplyInput),
    Delete(i64),
    Order(Vec<i64>),
}

/// Characters, as the limits count them (not bytes).
pub(super) fn chars(s: &str) -> usize {
    s.chars().count()
}

/// `n/limit`, and by how much it is over.
pub(super) fn counter(n: usize, limit: usize) -> String {
    if n > limit {
        format!("{n}/{limit}，超出 {} 字", n - limit)
    } else {
        format!("{n}/{limit}")
    }
}

/// The ids with the one at `at` moved by `by` (-1 up, 1 down), if it can move.
fn moved(ids: &[i64], at: usize, by: isize) -> Option<Vec<i64>> {
    let to = at.checked_add_signed(by).filter(|t| *t < ids.len())?;
    let mut ids = ids.to_vec();
    ids.swap(at, to);
    Some(ids)
}

#[component]
pub(super) fn RepliesSection() -> impl IntoView {
    // The form: which reply is edited (None: a new one) and its fields.
    let editing = RwSignal::new(None::<i64>);
    let group = RwSignal::new(String::new());
    let title = RwSignal::new(String::new());
    let text = RwSignal::new(String::new());
    let clear = move || {
        editing.set(None);
        group.set(String::new());
        title.set(String::new());
        text.set(String::new());
    };
    // One change at a time; the list is read again after each.
    let change = Action::new_local(move |c: &Change| {
        let c = c.clone();
        async move {
            let done = match &c {
                Change::Save(id, input) => api::save_reply(*id, input).await.map(|r| {
                    clear();
                    format!("已保存「{}」。", r.title)
                }),
                Change::Delete(id) => api::delete_reply(*id).await.map(|_| "已删除。".into()),
                Change::Order(ids) => api::order_replies(ids.clone())
                    .await
                    .map(|_| "已调整顺序。".into()),
            };
            done.map_err(|e| e.message)
        }
    });
    let busy = change.pending();
    let changes = change.version();
    let replies = LocalResource::new(move || {
        changes.track();
        api::admin_replies()
    });
    let retry = Callback::new(move |_| replies.refetch());
    // A delete asks once more on the same button.
    let confirming = RwSignal::new(None::<i64>);
    let edit = move |r: Reply| {
        editing.set(Some(r.id));
        group.set(r.group);
        title.set(r.title);
        text.set(r.text);
    };
    let save = move |_| {
        if busy.get_untracked() {
            return;
        }
        let input = ReplyInput {
            title: title.get_untracked().trim().to_string(),
            text: text.get_untracked(),
            group: group.get_untracked().trim().to_string(),
        };
        change.dispatch(Change::Save(editing.get_untracked(), input));
    };
    let groups = move || -> Vec<String> {
        let mut names = Vec::<String>::new();
        if let Some(Ok(r)) = replies.get() {
            for r in r.replies {
                if !names.contains(&r.group) {
                    names.push(r.group);
                }
            }
        }
        names
    };
    let row = move |(at, r): (usize, Reply), ids: Vec<i64>| {
        let (up, down) = (moved(&ids, at, -1), moved(&ids, at, 1));
        let (top, bottom) = (up.is_none(), down.is_none());
        let id = r.id;
        let chosen = r.clone();
        view! {
            <li data-reply=id>
                <div class="row-title">{r.title.clone()} <span class="muted">" · " {r.group.clone()} " · 已发送 " {r.use_count} " 次"</span></div>
                <p class="muted reply-text">{r.text.clone()}</p>
                <div class="row-actions">
                    <button class="btn btn-secondary" disabled=move || busy.get() || top
                        on:click=move |_| if let Some(ids) = up.clone() { change.dispatch(Change::Order(ids)); }>"上移"</button>
                    <button class="btn btn-secondary" disabled=move || busy.get() || bottom
                        on:click=move |_| if let Some(ids) = down.clone() { change.dispatch(Change::Order(ids)); }>"下移"</button>
                    <button class="btn btn-secondary" data-testid="reply-edit" on:click=move |_| edit(chosen.clone())>"编辑"</button>
                    <button class="btn btn-secondary" data-testid="reply-delete" disabled=move || busy.get()
                        on:click=move |_| {
                            if confirming.get_untracked() == Some(id) {
                                confirming.set(None);
                                change.dispatch(Change::Delete(id));
                            } else {
                                confirming.set(Some(id));
                            }
                        }>
                        {move || if confirming.get() == Some(id) { "确定删除？" } else { "删除" }}
                    </button>
                </div>
            </li>
        }
    };
    view! {
        <section class="card" data-testid="admin-replies">
            <h2>"话术"</h2>
            <p class="muted">"成员在聊天侧边栏一键发送的常用话术。可用占位符：{客户} {订单号} {订单} {设计师} {项目经理} {我}，发送时按当前客户和订单填写，没有的值会被省略。"</p>
            <Transition fallback=|| view! { <Loading label="正在读取话术…" /> }>
                {move || replies.get().map(|r| match r {
                    Err(e) => refused(e, retry),
                    Ok(r) if r.replies.is_empty() => view! { <p class="muted" data-testid="replies-none">"还没有话术：在下面添加第一条。"</p> }.into_any(),
                    Ok(r) => {
                        let ids: Vec<i64> = r.replies.iter().map(|r| r.id).collect();
                        view! {
                            <ul class="list entries" data-testid="replies-list">
                                {r.replies.into_iter().enumerate().map(|x| row(x, ids.clone())).collect_view()}
                            </ul>
                        }.into_any()
                    }
                })}
            </Transition>
            <h3>{move || if editing.get().is_some() { "编辑话术" } else { "添加话术" }}</h3>
            <label class="field"><span>{move || format!("分组（{}，不填为「常用」）", counter(chars(&group.get()), GROUP_MAX))}</span>
                <input class="input" list="reply-groups" data-testid="reply-group" prop:value=move || group.get()
                    on:input=move |e| group.set(event_target_value(&e)) />
            </label>
            <datalist id="reply-groups">
                {move || groups().into_iter().map(|g| view! { <option value=g></option> }).collect_view()}
            </datalist>
            <label class="field"><span>{move || format!("标题（{}）", counter(chars(&title.get()), TITLE_MAX))}</span>
                <input class="input" data-testid="reply-title" prop:value=move || title.get()
                    on:input=move |e| title.set(event_target_value(&e)) />
            </label>
            <label class="field"><span data-testid="reply-count" class:text-error=move || { chars(&text.get()) > TEXT_MAX }>
                    {move || format!("内容（{}）", counter(chars(&text.get()), TEXT_MAX))}</span>
                <textarea class="input" rows="5" data-testid="reply-body" prop:value=move || text.get()
                    on:input=move |e| text.set(event_target_value(&e))></textarea>
            </label>
            <div class="row-actions chips">
                {PLACEHOLDERS.into_iter().map(|p| view! {
                    <button class="btn btn-secondary" on:click=move |_| text.update(|t| t.push_str(p))>{p}</button>
                }).collect_view()}
            </div>
            <div class="actions">
                <button class="btn btn-primary" data-testid="reply-save" disabled=move || busy.get() on:click=save>"保存"</button>
                {move || editing.get().is_some().then(|| view! {
                    <button class="btn btn-secondary" on:click=move |_| clear()>"取消编辑"</button>
                })}
            </div>
            {move || busy.get().then(|| view! { <Loading label="正在保存…" /> })}
            {move || change.value().get().map(|r| match r {
                Ok(m) => view! { <p class="notice notice-success" role="status" data-testid="replies-said">{m}</p> }.into_any(),
                Err(m) => view! { <p class="notice notice-error" role="alert" data-testid="replies-said">{m}</p> }.into_any(),
            })}
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reply_moves_within_the_list_only() {
        assert_eq!(moved(&[1, 2, 3], 1, -1), Some(vec![2, 1, 3]));
        assert_eq!(moved(&[1, 2, 3], 1, 1), Some(vec![1, 3, 2]));
        assert_eq!(moved(&[1, 2, 3], 0, -1), None);
        assert_eq!(moved(&[1, 2, 3], 2, 1), None);
    }

    #[test]
    fn the_counter_says_how_far_over_the_limit() {
        assert_eq!(counter(12, 30), "12/30");
        assert_eq!(counter(1003, 1000), "1003/1000，超出 3 字");
        assert_eq!(chars("您好"), 2);
    }
}
