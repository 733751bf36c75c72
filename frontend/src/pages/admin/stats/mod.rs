//! 数据: the order groups' daily activity per designer, as WeCom's 群聊数据统计 gives it
//! (read by the server each day and kept): a chart, a table to sort, totals per
//! designer, and the table as CSV. Filtered by dates and designer, kept in the URL.

use std::collections::HashMap;

use desk_shared::storevisit::{GroupStats, GroupStatsReport};
use desk_shared::Person;
use leptos::prelude::*;
use wasm_bindgen::prelude::*;

use super::{refused, url};
use crate::api::{self, Failure};
use crate::components::Loading;

mod chart;
mod table;

use chart::{Chart, Series};
use table::{csv, sorted, Column, Row, Sort, StatsTable};

#[component]
pub(super) fn StatsSection() -> impl IntoView {
    // Empty dates: the server's default (the last 30 days up to yesterday).
    let from = url::text("s_from");
    let to = url::text("s_to");
    let designer = url::text("s_designer");
    let report = LocalResource::new(move || {
        let (from, to, designer) = (from.get(), to.get(), designer.get());
        async move {
            if !from.is_empty() && !to.is_empty() && from > to {
                return Err(Failure {
                    message: "开始日期晚于结束日期：请把「从」改到「到」之前。".into(),
                    code: None,
                });
            }
            api::group_stats(from, to, designer).await
        }
    });
    let retry = Callback::new(move |_| report.refetch());
    // 立即读取: the server reads the days not read yet from WeCom now.
    let reading = RwSignal::new(false);
    let read_note = RwSignal::new(String::new());
    // A later read (other dates, another designer) keeps the last report on screen.
    let loading = RwSignal::new(false);
    let loaded = RwSignal::new(false);
    // Every designer seen, so the filter keeps them while one is chosen.
    let designers = RwSignal::new(Vec::<Person>::new());
    Effect::new(move |_| {
        if let Some(Ok(r)) = report.get() {
            loaded.set(true);
            designers.update(|all| {
                for d in r.designers {
                    if !all.iter().any(|p| p.user_id == d.designer.user_id) {
                        all.push(d.designer);
                    }
                }
            });
        }
    });
    let date = move |label: &'static str, key: &'static str, value: RwSignal<String>| {
        view! {
            <label class="field">
                <span>{label}</span>
                <input class="input" type="date" data-testid=key prop:value=move || value.get()
                    on:change=move |e| value.set(event_target_value(&e)) />
            </label>
        }
    };
    view! {
        <section class="card" data-testid="admin-stats">
            <h2>"数据"</h2>
            <p class="muted">"订单客户群每天的活跃情况，按群主（设计师）统计，来自企业微信的群聊数据统计。"</p>
            <div class="filters">
                {date("从", "stats-from", from)}
                {date("到", "stats-to", to)}
                <label class="field">
                    <span>"设计师"</span>
                    <select class="input" data-testid="stats-designer"
                        on:change=move |e| designer.set(event_target_value(&e))>
                        <option value="">"全部设计师"</option>
                        {move || designers.get().into_iter().map(|p| {
                            let selected = designer.get_untracked() == p.user_id;
                            view! { <option value=p.user_id.clone() selected=selected>{p.name}</option> }
                        }).collect_view()}
                    </select>
                </label>
                <button class="btn btn-secondary" data-testid="stats-default"
                    on:click=move |_| { from.set(String::new()); to.set(String::new()); }>
                    "最近 30 天"
                </button>
                <button class="btn btn-secondary" data-testid="stats-read"
                    disabled=move || reading.get()
                    on:click=move |_| {
                        reading.set(true);
                        read_note.set(String::new());
                        leptos::task::spawn_local(async move {
                            let note = match api::read_group_stats().await {
                                Ok(v) => match v["days"].as_i64().unwrap_or(0) {
                                    0 => "没有新的天数要读取（昨天及以前都已读取，或还没有订单群）。".to_string(),
                                    n => format!("已从企业微信读取 {n} 天。"),
                                },
                                Err(e) => format!("{} 稍后可再点一次。", e.message),
                            };
                            read_note.set(note);
                            reading.set(false);
                            report.refetch();
                        });
                    }>
                    {move || if reading.get() { "读取中…" } else { "立即读取" }}
                </button>
            </div>
            {move || (!read_note.get().is_empty()).then(|| view! {
                <p class="muted" role="status" data-testid="stats-read-note">{read_note.get()}</p>
            })}
            {move || (loading.get() && loaded.get()).then(|| view! { <Loading label="正在读取群数据…" /> })}
            <Transition fallback=|| view! { <Loading label="正在读取群数据…" /> } set_pending=loading>
                {move || report.get().map(|r| match r {
                    Err(e) => refused(e, retry),
                    Ok(r) => view! { <Report report=r /> }.into_any(),
                })}
            </Transition>
        </section>
    }
}

/// The report: its dates, the chart, the table and the totals.
#[component]
fn Report(report: GroupStatsReport) -> impl IntoView {
    let names: HashMap<String, String> = report
        .designers
        .iter()
        .map(|d| (d.designer.user_id.clone(), d.designer.name.clone()))
        .collect();
    let span = format!("{} 至 {}", report.from, report.to);
    let through = match &report.read_through {
        Some(day) => format!("数据截至 {day}"),
        None => "还没有读取到企业微信的数据".to_string(),
    };
    let head = view! {
        <p class="muted" data-testid="stats-span">{span} " · " <span data-testid="stats-through">{through}</span></p>
    };
    if report.days.is_empty() {
        return view! {
            {head}
            <p class="notice notice-info" data-testid="stats-empty">
                "还没有数据：企业微信每天凌晨后才提供前一天的统计，服务器会自动读取"
            </p>
        }
        .into_any();
    }
    let rows: Vec<Row> = report
        .days
        .iter()
        .map(|d| Row {
            day: d.day.clone(),
            designer: names
                .get(&d.designer)
                .cloned()
                .unwrap_or_else(|| d.designer.clone()),
            stats: d.stats,
        })
        .collect();
    let sort = RwSignal::new(Sort {
        by: Column::Day,
        descending: true,
    });
    let rows = StoredValue::new(rows);
    let shown = move || rows.with_value(|r| sorted(r.clone(), sort.get()));
    let file = format!("群数据-{}-{}.csv", report.from, report.to);
    let export = move |_| {
        download(
            &csv(&rows.with_value(|r| sorted(r.clone(), sort.get_untracked()))),
            &file,
        )
    };
    view! {
        {head}
        <Chart series=Series::of(&report.days) />
        <div class="actions">
            <button class="btn btn-secondary" data-testid="stats-csv" on:click=export>"导出 CSV"</button>
        </div>
        {move || view! { <StatsTable rows=shown() sort=sort /> }}
        <h3>"设计师合计"</h3>
        <p class="muted">"群数为各自最近一天的数，其余为所选日期内的合计。"</p>
        <div class="table-scroll">
            <table class="stats-table" data-testid="stats-totals">
                <thead><tr>
                    <th scope="col">"设计师"</th>
                    <th scope="col" class="num">"群数"</th>
                    <th scope="col" class="num">"新建群"</th>
                    <th scope="col" class="num">"新入群"</th>
                    <th scope="col" class="num">"消息数"</th>
                </tr></thead>
                <tbody>
                    {report.designers.into_iter().map(|d| totals_row(d.designer.name, d.totals)).collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}

/// A designer's totals (the server gives `chats` as on the last day).
fn totals_row(name: String, t: GroupStats) -> impl IntoView {
    view! {
        <tr>
            <td>{name}</td>
            <td class="num">{t.chats}</td>
            <td class="num">{t.new_chats}</td>
            <td class="num">{t.new_members}</td>
            <td class="num">{t.messages}</td>
        </tr>
    }
}

#[wasm_bindgen]
extern "C" {
    type Blob;
    #[wasm_bindgen(constructor)]
    fn new(parts: &js_sys::Array, options: &js_sys::Object) -> Blob;
    #[wasm_bindgen(js_namespace = URL, js_name = createObjectURL)]
    fn create_object_url(blob: &Blob) -> String;
    #[wasm_bindgen(js_namespace = URL, js_name = revokeObjectURL)]
    fn revoke_object_url(url: &str);
}

/// Saves `text` as the file `name` (a Blob behind an object URL, clicked as a link).
fn download(text: &str, name: &str) {
    let options = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&options, &"type".into(), &"text/csv;charset=utf-8".into());
    let blob = Blob::new(&js_sys::Array::of1(&text.into()), &options);
    let href = create_object_url(&blob);
    let Ok(link) = document().create_element("a") else {
        return;
    };
    let _ = link.set_attribute("href", &href);
    let _ = link.set_attribute("download", name);
    link.unchecked_ref::<web_sys::HtmlElement>().click();
    // Freed once the browser has surely read it.
    gloo_timers::callback::Timeout::new(60_000, move || revoke_object_url(&href)).forget();
}
