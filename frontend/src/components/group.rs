//! An order's customer group wherever it is made or opened (the order page, the
//! sidebar): the confirm sheet, making it (`openEnterpriseChat`, then recording it on
//! the order), and "打开群聊".

use desk_shared::{Candidate, ErrorCode, Order, OrderGroup, RecordGroup, MAX_GROUP_NAME_CHARS};
use leptos::prelude::*;

use crate::api;
use crate::wecom::{self, EnterpriseChat, WwError};

/// The group name offered by default: `王女士-城南店服务群`.
pub fn default_group_name(order: &Order) -> String {
    let store = order
        .title
        .split(['·', '-', ' '])
        .map(str::trim)
        .find(|s| !s.is_empty())
        .unwrap_or("");
    let name = format!("{}-{store}服务群", order.customer_name);
    name.chars().take(MAX_GROUP_NAME_CHARS).collect()
}

/// What the member confirmed: this order's group, with this customer, named so.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupRequest {
    pub order: Order,
    pub customer: Candidate,
    pub name: String,
    /// The chat WeCom already made for it when recording failed: only recorded now,
    /// never made twice.
    pub made: Option<String>,
}

/// How making the group went.
#[derive(Debug, Clone, PartialEq)]
pub enum Made {
    Recorded(OrderGroup),
    /// The member cancelled in WeCom: nothing was made.
    Cancelled,
    /// The order got its group meanwhile (another member, another device): the
    /// server's sentence.
    AlreadyHas(String),
    /// What went wrong and what to do next.
    Failed(String),
    /// WeCom made the group but the order did not record it: a retry records this
    /// chat (`GroupRequest::made`) instead of making another.
    NotRecorded {
        chat_id: String,
        message: String,
    },
}

/// Asks WeCom to make the group (designer, project manager, customer), then records
/// it on the order.
pub async fn make_group(req: GroupRequest) -> Made {
    let staff = vec![
        req.order.designer.user_id.clone(),
        req.order.project_manager.user_id.clone(),
    ];
    let chat = EnterpriseChat::Create {
        group_name: req.name.clone(),
        user_ids: staff.clone(),
        external_user_ids: vec![req.customer.external_user_id.clone()],
    };
    let made = match req.made {
        Some(chat_id) => Ok(chat_id),
        None => wecom::open_enterprise_chat(&chat).await,
    };
    let chat_id = match made {
        Ok(chat_id) if !chat_id.is_empty() => chat_id,
        Ok(_) => {
            return Made::Failed(
                "企业微信没有返回群 ID，无法记录这个群。请升级企业微信后重试。".into(),
            )
        }
        Err(WwError::Cancelled) => return Made::Cancelled,
        Err(e) => return Made::Failed(e.message()),
    };
    let record = RecordGroup {
        chat_id: chat_id.clone(),
        group_name: req.name,
        external_user_ids: vec![req.customer.external_user_id],
        user_ids: staff,
    };
    match api::record_group(&req.order.id, &record).await {
        Ok(group) => Made::Recorded(group),
        Err(e) if e.is(ErrorCode::GroupExists) => Made::AlreadyHas(e.message),
        Err(e) => Made::NotRecorded {
            chat_id,
            message: format!(
                "群已在企业微信建好，但没能记录到订单：{} 请点「建群」重试：只记录这个群，不会再建一个。",
                e.message
            ),
        },
    }
}

/// Makes groups one at a time: a second tap while one is being made does nothing.
pub fn make_group_action() -> Action<GroupRequest, Made> {
    Action::new_local(|req: &GroupRequest| make_group(req.clone()))
}

/// Starts making the group unless one is already being made.
pub fn dispatch_once(action: Action<GroupRequest, Made>, req: GroupRequest) {
    if !action.pending().get_untracked() {
        action.dispatch(req);
    }
}

/// The in-page confirmation before WeCom is asked to make the group.
#[component]
pub fn ConfirmSheet(
    /// The order the group is for.
    order: Order,
    /// The customer who goes into the group.
    customer: Candidate,
    /// The editable group name.
    group_name: RwSignal<String>,
    /// "建群" tapped.
    on_confirm: Callback<()>,
    /// "返回" tapped.
    on_cancel: Callback<()>,
) -> impl IntoView {
    view! {
        <div class="sheet" role="dialog" aria-label="确认建群" data-testid="confirm">
            <h3>"确认建群"</h3>
            <dl class="facts">
                <dt>"订单客户"</dt>
                <dd data-testid="confirm-order-customer">{order.customer_name} " · " {order.customer_phone}</dd>
                <dt>"进群的客户"</dt>
                <dd data-testid="confirm-customer">{customer.name} <span class="muted">" " {customer.remark}</span></dd>
                <dt>"设计师"</dt>
                <dd>{order.designer.name}</dd>
                <dt>"项目经理"</dt>
                <dd>{order.project_manager.name}</dd>
            </dl>
            <label class="field">
                <span>"群名称"</span>
                <input type="text" maxlength=MAX_GROUP_NAME_CHARS data-testid="group-name" prop:value=move || group_name.get()
                    on:input=move |ev| group_name.set(event_target_value(&ev)) />
            </label>
            <div class="actions">
                <button class="btn btn-secondary" on:click=move |_| on_cancel.run(())>"返回"</button>
                <button class="btn btn-primary" data-testid="confirm-create"
                    disabled=move || group_name.get().trim().is_empty()
                    on:click=move |_| on_confirm.run(())>
                    "建群"
                </button>
            </div>
        </div>
    }
}

/// The order's group, with "打开群聊".
#[component]
pub fn GroupReady(
    /// The recorded group.
    group: OrderGroup,
    /// Just made (a success message) or made before.
    fresh: bool,
) -> impl IntoView {
    let error = RwSignal::new(None::<String>);
    let opening = RwSignal::new(false);
    let chat_id = group.chat_id.clone();
    let open = move |_| {
        if opening.get_untracked() {
            return;
        }
        let chat_id = chat_id.clone();
        error.set(None);
        opening.set(true);
        // Not a server mutation (WeCom opens the chat), and in the sidebar's bundle:
        // as an `Action` it cost the sidebar's first load 1.8 KB gzip over its 150 KB
        // budget, so a plain task.
        leptos::task::spawn_local(async move {
            match wecom::open_enterprise_chat(&EnterpriseChat::Open { chat_id }).await {
                Ok(_) | Err(WwError::Cancelled) => {}
                Err(e) => error.set(Some(e.message())),
            }
            opening.set(false);
        });
    };
    view! {
        <div data-testid="group-ready">
            {fresh.then(|| view! { <p class="notice notice-success" role="status">"群已建好，已记录到订单。"</p> })}
            <p>
                <span class="badge badge-ok">"已建群"</span>
                " "
                <span data-testid="group-name-shown">{group.group_name}</span>
            </p>
            {move || error.get().map(|m| view! { <p class="notice notice-error" role="alert">{m}</p> })}
            <button class="btn btn-primary btn-block" data-testid="open-chat" disabled=move || opening.get() on:click=open>
                {move || if opening.get() { "正在打开…" } else { "打开群聊" }}
            </button>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use desk_shared::Person;

    fn order(title: &str, customer: &str) -> Order {
        let p = |id: &str| Person {
            user_id: id.into(),
            name: id.into(),
        };
        Order {
            id: "1".into(),
            title: title.into(),
            designer: p("d"),
            project_manager: p("p"),
            customer_name: customer.into(),
            customer_phone: "1".into(),
            group: None,
            status: "open".into(),
            staff_chat: None,
            reassigned_from: None,
            group_move_note: None,
            contact_way: None,
            customer_added_at: None,
            welcome_note: None,
            join_way: None,
            notice: None,
        }
    }

    #[test]
    fn the_default_group_name_is_customer_and_store() {
        assert_eq!(
            default_group_name(&order("城南店 · 王女士新房装修", "王女士")),
            "王女士-城南店服务群"
        );
        assert_eq!(
            default_group_name(&order("全屋定制", "李先生")),
            "李先生-全屋定制服务群"
        );
    }

    #[test]
    fn the_default_group_name_fits_the_limit_both_sides_apply() {
        let long = "很".repeat(80);
        let name = default_group_name(&order(&long, "王女士"));
        assert_eq!(name.chars().count(), MAX_GROUP_NAME_CHARS);
    }
}
