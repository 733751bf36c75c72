//! Several orders in one go, from 我的订单: their customer groups one after another
//! (the client needs one `openEnterpriseChat` and one confirm per group), and their
//! join QR codes. An order that cannot be matched is skipped with the reason; a
//! summary says what was made and what was not.

use desk_shared::{Candidate, Order};
use leptos::prelude::*;

use crate::api;
use crate::components::group::{
    default_group_name, dispatch_once, make_group_action, ConfirmSheet, GroupRequest, Made,
};
use crate::components::Loading;

/// How one order of the batch ended.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub order: Order,
    /// The group's name (or the QR code's address) when made; otherwise why not.
    pub result: Result<String, String>,
}

/// Where the walk is for the current order.
#[derive(Debug, Clone, PartialEq)]
enum Step {
    Matching,
    Confirm(Candidate),
    /// The group is being made, and stays so until its outcome is recorded: the walk's
    /// own step rather than the action's `pending()`, which ends a moment before (the
    /// confirm sheet would flash back between the answer and the next order).
    Creating,
}

/// Why an order's matching gives no single customer to confirm.
fn no_single_match(candidates: &[Candidate], hint: Option<String>) -> String {
    match candidates.len() {
        0 => hint.unwrap_or_else(|| "没有按手机号匹配到设计师的客户。".into()),
        n => format!("匹配到 {n} 位客户：请打开订单，选出是哪一位。"),
    }
}

/// Walks `orders` one at a time: match, confirm, make; then `on_done` with each
/// order's outcome.
#[component]
pub fn BatchGroups(
    /// The orders without a group, in the order they are walked.
    orders: Vec<Order>,
    /// Called with every order's outcome once the last is done (or the walk stopped).
    on_done: Callback<Vec<Outcome>>,
) -> impl IntoView {
    let total = orders.len();
    let orders = StoredValue::new(orders);
    let at = RwSignal::new(0usize);
    let step = RwSignal::new(Step::Matching);
    let outcomes = StoredValue::new(Vec::<Outcome>::new());
    let group_name = RwSignal::new(String::new());

    // `None` too once the walk is gone (stopped, or the member left the page) while
    // an answer was on its way.
    let current = move || {
        let i = at.try_get_untracked()?;
        orders.try_with_value(|o| o.get(i).cloned()).flatten()
    };
    // Records the outcome and goes on to the next order, or ends.
    let settle = move |result: Result<String, String>| {
        let Some(order) = current() else {
            return;
        };
        outcomes.update_value(|o| o.push(Outcome { order, result }));
        let next = at.get_untracked() + 1;
        if next >= total {
            on_done.try_run(outcomes.get_value());
        } else {
            at.set(next);
        }
    };
    // Matching starts whenever the walk reaches an order.
    Effect::new(move |_| {
        let _ = at.get();
        let Some(order) = current() else {
            return;
        };
        group_name.set(default_group_name(&order));
        step.set(Step::Matching);
        // A read (the order's candidates), not a mutation: a plain task.
        leptos::task::spawn_local(async move {
            match api::candidates(&order.id, false).await {
                Ok(c) if c.candidates.len() == 1 && c.hint.is_none() => {
                    step.set(Step::Confirm(c.candidates[0].clone()))
                }
                Ok(c) => settle(Err(no_single_match(&c.candidates, c.hint))),
                Err(e) => settle(Err(e.message)),
            }
        });
    });
    let make = make_group_action();
    let made = make.value();
    Effect::new(move |_| {
        let Some(made) = made.get() else {
            return;
        };
        settle(match made {
            Made::Recorded(g) => Ok(g.group_name),
            Made::Cancelled => Err("在企业微信里取消了，没有建群。".into()),
            Made::AlreadyHas(m) | Made::Failed(m) => Err(m),
            Made::NotRecorded { chat_id, message } => {
                Err(format!("群已建好（{chat_id}）但没能记录到订单：{message}"))
            }
        });
    });
    let create = move |customer: Candidate| {
        let Some(order) = current() else {
            return;
        };
        step.set(Step::Creating);
        let name = group_name.get_untracked().trim().to_string();
        dispatch_once(
            make,
            GroupRequest {
                order,
                customer,
                name,
                made: None,
            },
        );
    };
    let stop = move |_| {
        // What is left is not made: said so in the summary.
        let rest: Vec<Outcome> = orders.with_value(|o| {
            o.iter()
                .skip(at.get_untracked())
                .map(|order| Outcome {
                    order: order.clone(),
                    result: Err("已停止，没有处理。".into()),
                })
                .collect()
        });
        outcomes.update_value(|o| o.extend(rest));
        on_done.run(outcomes.get_value());
    };
    view! {
        <section class="card batch" data-testid="batch-walk">
            <h2>"批量建群"</h2>
            <p data-testid="batch-progress">
                {move || format!("第 {} / {total} 个", at.get() + 1)}
            </p>
            <progress max=total value=move || at.get()></progress>
            {move || current().map(|o| view! { <p class="row-title">{o.title} <span class="muted">" " {o.id}</span></p> })}
            {move || match step.get() {
                Step::Matching => view! { <Loading label="正在按手机号匹配客户…" /> }.into_any(),
                Step::Creating => view! { <Loading label="正在企业微信里建群…" /> }.into_any(),
                Step::Confirm(customer) => {
                    let go = customer.clone();
                    let order = current().expect("an order is being walked");
                    view! {
                        <ConfirmSheet order=order customer=customer group_name=group_name
                            on_confirm=Callback::new(move |_| create(go.clone()))
                            on_cancel=Callback::new(move |_| settle(Err("你跳过了这个订单。".into()))) />
                    }
                        .into_any()
                }
            }}
            <button class="btn btn-secondary btn-block" data-testid="batch-stop"
                disabled=move || step.get() == Step::Creating on:click=stop>"停止，余下的不建"</button>
        </section>
    }
}

/// Makes (or shows) the join QR code of each order, one after another.
#[component]
pub fn BatchQr(
    /// The orders without a group.
    orders: Vec<Order>,
    /// Called with every order's outcome (the QR code's address when made).
    on_done: Callback<Vec<Outcome>>,
) -> impl IntoView {
    let total = orders.len();
    let orders = StoredValue::new(orders);
    let at = RwSignal::new(0usize);
    let outcomes = StoredValue::new(Vec::<Outcome>::with_capacity(total));
    // One order's QR code: the one it has, or made now.
    let make = Action::new_local(|order: &Order| {
        let order = order.clone();
        async move {
            let result = match order.join_way.as_ref() {
                Some(w) => Ok(w.qr_code.clone()),
                None => api::join_way(&order.id)
                    .await
                    .map(|w| w.qr_code)
                    .map_err(|e| e.message),
            };
            Outcome { order, result }
        }
    });
    let made = make.value();
    // Each order in turn (none at all: done at once). Once the member leaves the
    // page these effects are gone: the rest are not made.
    Effect::new(
        move |_| match orders.with_value(|o| o.get(at.get()).cloned()) {
            Some(order) => {
                make.dispatch(order);
            }
            None => {
                on_done.try_run(Vec::new());
            }
        },
    );
    Effect::new(move |_| {
        let Some(outcome) = made.get() else {
            return;
        };
        outcomes.update_value(|o| o.push(outcome));
        let next = at.get_untracked() + 1;
        if next >= total {
            on_done.try_run(outcomes.get_value());
        } else {
            at.set(next);
        }
    });
    view! {
        <section class="card batch" data-testid="batch-walk">
            <h2>"批量生成进群二维码"</h2>
            <p data-testid="batch-progress">{move || format!("第 {} / {total} 个", at.get() + 1)}</p>
            <progress max=total value=move || at.get()></progress>
            <Loading label="正在生成进群二维码…" />
        </section>
    }
}

/// What a batch made and what it skipped, with the reasons.
#[component]
pub fn BatchSummary(
    /// Each order's outcome.
    outcomes: Vec<Outcome>,
    /// QR codes (their images are shown) or groups.
    qr: bool,
    /// "完成" tapped.
    on_close: Callback<()>,
) -> impl IntoView {
    let made = outcomes.iter().filter(|o| o.result.is_ok()).count();
    let skipped = outcomes.len() - made;
    let what = if qr { "生成二维码" } else { "建群" };
    view! {
        <section class="card batch" data-testid="batch-summary">
            <h2>{format!("完成：{what} {made} 个，跳过 {skipped} 个")}</h2>
            <ul class="list entries">
                {outcomes.into_iter().map(|o| {
                    let title = format!("{} · {}", o.order.id, o.order.title);
                    match o.result {
                        Ok(made) if qr => view! {
                            <li data-made=o.order.id.clone()>
                                <div class="row-title">{title}</div>
                                <div class="qr"><img src=made alt="进群二维码" /></div>
                            </li>
                        }.into_any(),
                        Ok(made) => view! {
                            <li data-made=o.order.id.clone()>
                                <span class="badge badge-ok">"已建群"</span> " " {title}
                                <div class="muted">{made}</div>
                            </li>
                        }.into_any(),
                        Err(why) => view! {
                            <li data-skipped=o.order.id.clone()>
                                <span class="badge badge-muted">"跳过"</span> " " {title}
                                <div class="text-error">{why}</div>
                            </li>
                        }.into_any(),
                    }
                }).collect_view()}
            </ul>
            <button class="btn btn-primary btn-block" data-testid="batch-close" on:click=move |_| on_close.run(())>"完成"</button>
        </section>
    }
}
