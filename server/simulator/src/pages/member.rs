//! `GET /sim/member`: a person types as a member to the app (how a demo user writes a
//! staff reply), and sees what the app sent that member (`message/send`) and what the
//! member sent into chats from a page (`sendChatMessage`).

use actix_web::{web, HttpResponse};
use serde::Deserialize;

use super::{bubble, fragment, layout, message_text};
use crate::callbacks::Event;
use crate::state::World;
use crate::Simulator;
use desk_shared::escape_html as escape;

#[derive(Deserialize)]
pub(super) struct Who {
    #[serde(default)]
    userid: String,
}

/// Sends through `POST /sim/apps/{agentId}/messages` and says how the delivery went.
const SEND: &str = r#"const form=document.getElementById('send'),out=document.getElementById('result');
function feedUrl(){return '/sim/member/feed?userid='+encodeURIComponent(form.userid.value)}
form.userid.onchange=()=>{history.replaceState(null,'','?userid='+encodeURIComponent(form.userid.value));refresh()};
form.onsubmit=async e=>{e.preventDefault();const content=form.content.value;if(!content.trim())return;out.textContent='发送中…';
try{const r=await fetch('/sim/apps/'+encodeURIComponent(form.agent.value)+'/messages',{method:'POST',headers:{'content-type':'application/json'},body:JSON.stringify({userid:form.userid.value,content})});const v=await r.json();
out.textContent=!r.ok?'发送失败：'+v.error:v.delivered?'应用已收到（HTTP '+v.status+'，第 '+v.tries+' 次送达）':'应用没有收到：'+v.status+'（试了 '+v.tries+' 次）';if(r.ok)form.content.value=''}catch(err){out.textContent='发送失败：'+err}
refresh()};"#;

pub(super) async fn page(sim: web::Data<Simulator>, q: web::Query<Who>) -> HttpResponse {
    let (feed, form) = sim.with_world(|w| {
        let userid = chosen(w, &q.userid);
        (conversation(w, &userid), send_form(w, &userid))
    });
    layout("以成员身份给应用发消息（模拟）", "", &feed, &form, SEND)
}

pub(super) async fn feed(sim: web::Data<Simulator>, q: web::Query<Who>) -> HttpResponse {
    fragment(sim.with_world(|w| conversation(w, &chosen(w, &q.userid))))
}

/// The member asked for, or the first one.
fn chosen(w: &World, userid: &str) -> String {
    let members = w.directory.members();
    members
        .iter()
        .find(|m| m.userid == userid)
        .or(members.first())
        .map(|m| m.userid.clone())
        .unwrap_or_default()
}

fn send_form(w: &World, userid: &str) -> String {
    let members: String = w
        .directory
        .members()
        .iter()
        .map(|m| {
            format!(
                r#"<option value="{id}"{sel}>{name}（{id}）</option>"#,
                id = escape(&m.userid),
                sel = if m.userid == userid { " selected" } else { "" },
                name = escape(&m.name),
            )
        })
        .collect();
    let apps: String = w
        .corp
        .apps()
        .iter()
        .map(|a| {
            let name = if a.name.is_empty() { "应用" } else { &a.name };
            format!(
                r#"<option value="{id}">{name}（{id}）</option>"#,
                id = a.agent_id,
                name = escape(name),
            )
        })
        .collect();
    format!(
        r#"<form id="send"><label>成员 <select name="userid">{members}</select></label><label>发给 <select name="agent">{apps}</select></label><textarea name="content" rows="3" placeholder="以这个成员的身份输入文字"></textarea><button type="submit">发送</button><small id="result" role="status"></small></form>"#
    )
}

/// What `userid` sent the app and what the apps sent `userid`, oldest first.
fn conversation(w: &World, userid: &str) -> String {
    struct Line {
        at: i64,
        html: String,
    }
    let member = w.directory.member_name(userid).unwrap_or(userid);
    let mut lines: Vec<Line> = w
        .callbacks
        .log()
        .filter_map(|r| match &r.event {
            Event::Text {
                userid: from,
                content,
                ..
            } if from.as_str() == userid => {
                let note = if r.outcome.delivered {
                    String::new()
                } else {
                    format!("应用没有收到：{}", r.outcome.status)
                };
                Some(Line {
                    at: r.at,
                    html: bubble(true, member, r.at, content, &note),
                })
            }
            _ => None,
        })
        .collect();
    lines.extend(
        w.messages
            .sent()
            .iter()
            .filter(|m| m.via == "message/send")
            .filter(|m| m.to.split('|').any(|t| t == userid || t == "@all"))
            .map(|m| {
                let app = m.body["agentid"]
                    .as_i64()
                    .and_then(|a| w.corp.apps().iter().find(|x| x.agent_id == a))
                    .map(|a| a.name.as_str())
                    .filter(|n| !n.is_empty())
                    .unwrap_or("应用");
                Line {
                    at: m.at,
                    html: bubble(false, app, m.at, &message_text(&m.body), ""),
                }
            }),
    );
    lines.extend(
        w.messages
            .chat_sent()
            .filter(|m| m.member == userid)
            .map(|m| {
                let content = match (&m.text, &m.media_id) {
                    (Some(text), _) => text.clone(),
                    (None, Some(id)) => format!("[{}] {id}", m.msgtype),
                    (None, None) => format!("[{}]", m.msgtype),
                };
                let to = match (&m.chat_id, &m.external_user_id) {
                    (Some(chat), _) => format!("发到群 {chat}（sendChatMessage）"),
                    (None, Some(customer)) => format!("发给客户 {customer}（sendChatMessage）"),
                    (None, None) => "sendChatMessage".to_string(),
                };
                Line {
                    at: m.at,
                    html: bubble(true, member, m.at, &content, &to),
                }
            }),
    );
    if lines.is_empty() {
        return r#"<p class="empty">还没有消息。在下面输入文字，就像这个成员在企业微信里发给应用。</p>"#
            .into();
    }
    lines.sort_by_key(|l| l.at);
    lines.into_iter().map(|l| l.html).collect()
}
