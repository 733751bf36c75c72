//! `GET /sim/time`: the simulated WeCom's clock, with buttons that move it forward
//! (what a demo does to see a customer handover complete after WeCom's 24 h), and the
//! customer handovers under way.

use actix_web::web;
use actix_web::HttpResponse;

use super::{clock_time, fragment, layout};
use crate::state::World;
use crate::Simulator;
use desk_shared::escape_html as escape;

/// Moves the clock with `POST /sim/clock` and says what completed.
const MOVE: &str = r#"function feedUrl(){return '/sim/time/feed'}
for(const b of document.querySelectorAll('button[data-secs]'))b.onclick=async()=>{const out=document.getElementById('result');out.textContent='正在快进…';
try{const r=await fetch('/sim/clock',{method:'POST',headers:{'content-type':'application/json'},body:JSON.stringify({secs:Number(b.dataset.secs)})});const v=await r.json();
out.textContent=r.ok?'已快进。完成的转接发出了 '+(v.callbacks||[]).length+' 个回调。':'失败：'+v.errmsg}catch(e){out.textContent='失败：'+e}refresh()};"#;

pub(super) async fn page(sim: web::Data<Simulator>) -> HttpResponse {
    let feed = sim.with_world(state);
    let buttons = r#"<form onsubmit="return false"><button type="button" data-secs="3600" data-testid="forward-hour">快进 1 小时</button><button type="button" data-secs="86460" data-testid="forward-day">快进 24 小时（客户转接完成）</button><small id="result" role="status"></small></form>"#;
    layout("模拟企业微信的时间", "", &feed, buttons, MOVE)
}

pub(super) async fn feed(sim: web::Data<Simulator>) -> HttpResponse {
    fragment(sim.with_world(state))
}

/// The clock, who left, and each customer handover with its state.
fn state(w: &mut World) -> String {
    let now = w.clock.now_secs();
    let ahead = now - desk_wecom::clock::now_secs();
    let mut html = format!(
        "<section><h2>现在（模拟）：{} · 比真实时间快 {} 小时</h2></section>",
        clock_time(now),
        ahead / 3600
    );
    let left: Vec<String> = w
        .handovers
        .left
        .values()
        .map(|l| format!("{}（{}）", escape(&l.member.name), escape(&l.member.userid)))
        .collect();
    if !left.is_empty() {
        html.push_str(&format!(
            "<section><h2>已离职</h2><p>{}</p></section>",
            left.join("、")
        ));
    }
    let rows: String = w
        .handovers
        .transfers
        .iter()
        .map(|t| {
            let state = match t.status {
                1 => "已接替",
                2 => "等待接替（24 小时）",
                3 => "客户拒绝",
                _ => "接替成员客户已满",
            };
            format!(
                "<div>{} → {} · {} · {}</div>",
                escape(&t.handover),
                escape(&t.takeover),
                escape(&t.external_userid),
                state
            )
        })
        .collect();
    if rows.is_empty() {
        html.push_str(r#"<p class="empty">还没有客户转接。</p>"#);
    } else {
        html.push_str(&format!("<section><h2>客户转接</h2>{rows}</section>"));
    }
    html
}
