//! The store visit as a customer sees it: a 「联系我」 contact way's QR code
//! (`qr_code` of `add_contact_way`, scene 2: `/sim/contact-qr/{configId}`, a PNG),
//! and what scanning it opens (`/sim/contact/{configId}`): the member's card and a
//! button 「扫码添加」 that adds them as the customer (`POST
//! /sim/contact-ways/{configId}/scan`), then the chat with that member, where the
//! welcome message (`send_welcome_msg`) shows up, its images too.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::join::{base, qr_png, urlencode};
use super::{bubble, fragment, layout};
use crate::api::people_of;
use crate::contact_ways::SentWelcome;
use crate::state::World;
use crate::Simulator;
use desk_shared::escape_html as escape;

/// `GET /sim/contact-qr/{configId}`: the QR image; 404 for a contact way that does not
/// exist (or was deleted) or has no QR code (scene 1).
pub(super) async fn qr(
    sim: web::Data<Simulator>,
    req: HttpRequest,
    config_id: web::Path<String>,
) -> HttpResponse {
    let scene = sim.with_world(|w| {
        w.store_visit
            .contact_ways
            .get(&config_id)
            .map(|c| c.settings.scene)
    });
    if scene != Some(2) {
        return HttpResponse::NotFound().body("no such contact way QR code");
    }
    let target = format!("{}/sim/contact/{}", base(&req), urlencode(&config_id));
    match qr_png(&target) {
        Ok(png) => HttpResponse::Ok()
            .content_type("image/png")
            .insert_header(("Cache-Control", "no-store"))
            .body(png),
        Err(e) => HttpResponse::InternalServerError().body(e),
    }
}

#[derive(Deserialize)]
pub(super) struct Visitor {
    /// The customer who scanned (after 「扫码添加」).
    #[serde(default)]
    customer: String,
}

/// Adds the customer, then follows their chat.
const SCRIPT: &str = r#"const form=document.getElementById('scan'),out=document.getElementById('result');
let customer=new URLSearchParams(location.search).get('customer')||'';
function feedUrl(){return '/sim/contact/CONFIG/feed?customer='+encodeURIComponent(customer)}
if(form)form.onsubmit=async e=>{e.preventDefault();out.textContent='添加中…';
try{const r=await fetch('/sim/contact-ways/CONFIG/scan',{method:'POST',headers:{'content-type':'application/json'},body:JSON.stringify({name:form.customerName.value})});const v=await r.json();
if(r.ok){customer=v.externalUserId;history.replaceState(null,'','?customer='+encodeURIComponent(customer));out.textContent='已添加为联系人（'+customer+'），企业微信已回调通知应用';refresh()}else{out.textContent='没有添加：'+v.error}}catch(err){out.textContent='没有添加：'+err}};"#;

/// `GET /sim/contact/{configId}?customer=`: 「扫码添加」, then the chat.
pub(super) async fn page(
    sim: web::Data<Simulator>,
    config_id: web::Path<String>,
    q: web::Query<Visitor>,
) -> HttpResponse {
    let (card, feed) = sim.with_world(|w| (card(w, &config_id), chat(w, &q.customer)));
    let script = SCRIPT.replace("CONFIG", &urlencode(&config_id).replace('\'', "%27"));
    layout("扫码添加（模拟）", &card, &feed, "", &script)
}

/// `GET /sim/contact/{configId}/feed?customer=`: the chat, as a fragment.
pub(super) async fn feed(sim: web::Data<Simulator>, q: web::Query<Visitor>) -> HttpResponse {
    fragment(sim.with_world(|w| chat(w, &q.customer)))
}

/// The members a live contact way adds, with the 「扫码添加」 form; else why not.
fn card(w: &World, config_id: &str) -> String {
    let now = w.clock.now_secs();
    let Some(way) = w
        .store_visit
        .contact_ways
        .get(config_id)
        .filter(|c| !c.is_dead(now))
    else {
        return r#"<p class="bad">二维码已失效（这个「联系我」不存在、已删除，或是用过、过期的临时二维码）。</p>"#.into();
    };
    let people: String = people_of(w, &way.settings)
        .iter()
        .filter_map(|u| w.directory.member(u))
        .map(|m| {
            format!(
                "<li>{name}{position}</li>",
                name = escape(&m.name),
                position = if m.position.is_empty() {
                    String::new()
                } else {
                    format!("（{}）", escape(&m.position))
                }
            )
        })
        .collect();
    format!(
        r#"<form id="scan"><p>微信扫码后添加企业微信联系人：</p><ul>{people}</ul><label>客户的微信名 <input name="customerName" value="到店客户" maxlength="30"></label><button type="submit">扫码添加</button><small id="result" role="status"></small></form>"#
    )
}

/// The customer's chat with the members who added them: the welcomes, oldest first.
fn chat(w: &World, customer: &str) -> String {
    if customer.is_empty() {
        return r#"<p class="empty">按「扫码添加」，以客户身份扫这个二维码。</p>"#.into();
    }
    let welcomes: Vec<&SentWelcome> = w
        .store_visit
        .welcomes()
        .filter(|s| s.external_user_id == customer)
        .collect();
    if welcomes.is_empty() {
        let waiting = w
            .store_visit
            .codes
            .waiting_for(customer, w.clock.now_millis());
        return match waiting {
            true => r#"<p class="empty">已添加，等待欢迎语…</p>"#.into(),
            false => r#"<p class="empty">已添加，没有收到欢迎语。</p>"#.into(),
        };
    }
    welcomes.into_iter().map(|s| welcome(w, s)).collect()
}

/// One welcome: its text, then each attachment, from the member.
fn welcome(w: &World, s: &SentWelcome) -> String {
    let who = w.directory.member_name(&s.userid).unwrap_or(&s.userid);
    let mut html = String::new();
    if let Some(text) = &s.text {
        html.push_str(&bubble(false, who, s.sent_at, text, ""));
    }
    for a in &s.attachments {
        let picture = match (a.msgtype.as_str(), &a.media_id, &a.pic_url) {
            ("image", Some(id), _) => Some(format!("/sim/media/{}", urlencode(id))),
            ("image", None, Some(url)) if url.starts_with("http") => Some(url.clone()),
            _ => None,
        };
        match picture {
            Some(src) => html.push_str(&format!(
                r#"<div class="msg"><div class="who">{who}</div><img class="bubble" src="{src}" alt="图片" style="max-width:60%"></div>"#,
                who = escape(who),
                src = escape(&src),
            )),
            None => {
                let label = match a.msgtype.as_str() {
                    "link" => "链接",
                    "miniprogram" => "小程序",
                    "video" => "视频",
                    "file" => "文件",
                    _ => "附件",
                };
                let detail = [&a.title, &a.url, &a.media_id]
                    .into_iter()
                    .flatten()
                    .cloned()
                    .collect::<Vec<_>>()
                    .join("\n");
                let text = format!("[{label}] {detail}");
                html.push_str(&bubble(false, who, s.sent_at, &text, ""));
            }
        }
    }
    html
}

/// `GET /sim/contact-ways`: every live contact way, each linking to what scanning its
/// QR code opens (the demo's way in: the order page shows the code, this page scans it).
pub(super) async fn index(sim: web::Data<Simulator>) -> HttpResponse {
    layout(
        "到店扫码（模拟）",
        "<p>门店里的「联系我」二维码：点一个，以客户身份扫码。</p>",
        &sim.with_world(|w| list(w)),
        "",
        "function feedUrl(){return '/sim/contact-ways/feed'}",
    )
}

/// `GET /sim/contact-ways/feed`: the list, as a fragment.
pub(super) async fn index_feed(sim: web::Data<Simulator>) -> HttpResponse {
    fragment(sim.with_world(|w| list(w)))
}

fn list(w: &World) -> String {
    let now = w.clock.now_secs();
    let items: String = w
        .store_visit
        .contact_ways
        .by_creation()
        .into_iter()
        .filter(|(_, c)| !c.is_dead(now) && c.settings.scene == 2)
        .map(|(id, c)| {
            let people: Vec<&str> = people_of(w, &c.settings)
                .iter()
                .filter_map(|u| w.directory.member_name(u))
                .collect();
            format!(
                r#"<li><a href="/sim/contact/{href}">{remark}</a> · {people}</li>"#,
                href = urlencode(id),
                remark = escape(c.settings.remark.as_deref().unwrap_or(id)),
                people = escape(&people.join("、")),
            )
        })
        .collect();
    match items.is_empty() {
        true => {
            r#"<p class="empty">还没有「联系我」二维码：在订单页点「生成扫码加我二维码」。</p>"#
                .into()
        }
        false => format!("<ul>{items}</ul>"),
    }
}
