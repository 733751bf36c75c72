//! Pages a person watches the demo through: what the group robots received
//! (`/sim/robots`), a member typing to the app with the app's answers
//! (`/sim/member`), a customer scanning a 「联系我」 code and reading the welcome
//! (`/sim/contact/{configId}`), and a business website's conversation (`/sim/website`). Each page keeps itself fresh by fetching its feed, an HTML
//! fragment rendered (and escaped) here, every 2 s; nothing from input reaches the
//! page unescaped.

mod join;
mod member;
mod robots;
mod time;
mod visit;
pub mod website;

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use serde_json::Value;

use desk_shared::escape_html as escape;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/sim/robots", web::get().to(robots::page))
        .route("/sim/robots/feed", web::get().to(robots::feed))
        .route("/sim/member", web::get().to(member::page))
        .route("/sim/member/feed", web::get().to(member::feed))
        .route("/sim/qr/{config_id}", web::get().to(join::qr))
        .route("/sim/join/{config_id}", web::get().to(join::page))
        .route("/sim/contact-ways", web::get().to(visit::index))
        .route("/sim/contact-ways/feed", web::get().to(visit::index_feed))
        .route("/sim/contact-qr/{config_id}", web::get().to(visit::qr))
        .route("/sim/contact/{config_id}", web::get().to(visit::page))
        .route("/sim/contact/{config_id}/feed", web::get().to(visit::feed))
        .route("/sim/website", web::get().to(website::page))
        .route("/sim/website", web::put().to(website::configure))
        .route("/sim/website/feed", web::get().to(website::feed))
        .route("/sim/website/notify", web::post().to(website::notify))
        .route("/sim/website/events", web::post().to(website::event))
        .route("/sim/time", web::get().to(time::page))
        .route("/sim/time/feed", web::get().to(time::feed));
}

const STYLE: &str = r#"body{font-family:-apple-system,"PingFang SC","Microsoft YaHei",sans-serif;background:#f5f6f8;margin:0;color:#1f2329}
header{background:#fff;padding:12px 16px;border-bottom:1px solid #e4e6eb;position:sticky;top:0}
h1{font-size:17px;margin:0}h2{font-size:15px;margin:4px 0 8px}
main{max-width:640px;margin:0 auto;padding:12px}
section{background:#ededed;border-radius:10px;margin:12px 0;padding:8px 12px}
.msg{margin:10px 0;display:flex;flex-direction:column;align-items:flex-start}
.msg.me{align-items:flex-end}
.who{font-size:12px;color:#646a73;margin-bottom:2px}
.bubble{background:#fff;border-radius:8px;padding:8px 10px;max-width:85%;white-space:pre-wrap;word-break:break-word}
.me .bubble{background:#95ec69}
.at{color:#1d6fe8;font-size:13px}.bad{color:#d83931}
small,.empty{color:#646a73}
form{background:#fff;border-radius:10px;padding:12px;display:grid;gap:8px}
select,textarea,button{font:inherit;padding:8px;border:1px solid #e4e6eb;border-radius:6px}
button{background:#07c160;color:#fff;border:0}"#;

/// Refreshes `#feed` from `feed_url()` every 2 s, keeping the view at the newest
/// message when it was there.
const REFRESH: &str = r#"const feed=document.getElementById('feed');
async function refresh(){try{const r=await fetch(feedUrl(),{cache:'no-store'});if(!r.ok)return;const html=await r.text();if(html===feed.innerHTML)return;const atEnd=innerHeight+scrollY>=document.body.scrollHeight-40;feed.innerHTML=html;if(atEnd)scrollTo(0,document.body.scrollHeight)}catch(e){}}
setInterval(refresh,2000);scrollTo(0,document.body.scrollHeight);"#;

/// A whole page: `feed` goes in `#feed` (between `before` and `after`, trusted
/// markup), which `script` (defining `feedUrl()`) keeps fresh.
fn layout(title: &str, before: &str, feed: &str, after: &str, script: &str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(format!(
            r#"<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>{title}</title><style>{STYLE}</style></head><body><header><h1>{title}</h1></header><main>{before}<div id="feed">{feed}</div>{after}</main><script>{script}
{REFRESH}</script></body></html>"#,
            title = escape(title),
        ))
}

/// A feed fragment.
fn fragment(html: String) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(html)
}

/// One chat bubble; `who`, `text` and `extra` are plain text.
fn bubble(mine: bool, who: &str, at: i64, text: &str, extra: &str) -> String {
    let extra = if extra.is_empty() {
        String::new()
    } else {
        format!(r#"<div class="at">{}</div>"#, escape(extra))
    };
    format!(
        r#"<div class="msg{mine}"><div class="who">{who} · {time}</div><div class="bubble">{text}</div>{extra}</div>"#,
        mine = if mine { " me" } else { "" },
        who = escape(who),
        time = clock_time(at),
        text = escape(text),
    )
}

/// `HH:MM:SS` in China time (UTC+8), where the demo's people are.
fn clock_time(at: i64) -> String {
    let s = (at + 8 * 3600).rem_euclid(86_400);
    format!("{:02}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
}

/// What a text, markdown or textcard message body says, as plain text.
fn message_text(body: &Value) -> String {
    let field = |v: &Value, name: &str| v[name].as_str().unwrap_or_default().to_string();
    match body["msgtype"].as_str().unwrap_or_default() {
        "text" => field(&body["text"], "content"),
        "markdown" => field(&body["markdown"], "content"),
        "textcard" => {
            let card = &body["textcard"];
            let mut text = field(card, "title");
            for part in [field(card, "description"), field(card, "url")] {
                if !part.is_empty() {
                    text.push('\n');
                    text.push_str(&part);
                }
            }
            text
        }
        other => format!("[{other}] {body}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_shown_in_china_time() {
        assert_eq!(clock_time(1_700_000_000), "06:13:20");
        assert_eq!(clock_time(0), "08:00:00");
    }

    #[test]
    fn a_bubble_escapes_what_it_shows() {
        let b = bubble(false, "<b>", 0, "<script>alert(1)</script>", "@<i>");
        assert!(!b.contains("<script>") && !b.contains("<b>") && !b.contains("<i>"));
        assert!(b.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    }
}
