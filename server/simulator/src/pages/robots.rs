//! `GET /sim/robots`: what each group robot posted (`webhook/send`), as the group
//! chat it posts into would show it, newest at the bottom.

use actix_web::{web, HttpResponse};
use serde_json::Value;

use super::{bubble, fragment, layout, message_text};
use crate::state::World;
use crate::Simulator;
use desk_shared::escape_html as escape;

pub(super) async fn page(sim: web::Data<Simulator>) -> HttpResponse {
    let feed = sim.with_world(|w| chats(w));
    layout(
        "群机器人收到的消息（模拟）",
        "",
        &feed,
        "",
        "function feedUrl(){return '/sim/robots/feed'}",
    )
}

pub(super) async fn feed(sim: web::Data<Simulator>) -> HttpResponse {
    fragment(sim.with_world(|w| chats(w)))
}

/// One chat per robot of the fixture.
fn chats(w: &World) -> String {
    let robots = w.messages.robots();
    if robots.is_empty() {
        return r#"<p class="empty">这个企业没有群机器人。</p>"#.into();
    }
    let mut html = String::new();
    for robot in robots {
        let name = if robot.name.is_empty() {
            "群机器人"
        } else {
            robot.name.as_str()
        };
        let mut messages = String::new();
        for m in w
            .messages
            .sent()
            .iter()
            .filter(|m| m.via == "webhook/send" && m.to == robot.key)
        {
            messages.push_str(&bubble(
                false,
                name,
                m.at,
                &message_text(&m.body),
                &mentions(w, &m.body),
            ));
        }
        if messages.is_empty() {
            messages = r#"<p class="empty">还没有消息</p>"#.into();
        }
        html.push_str(&format!(
            "<section><h2>{name} <small>机器人</small></h2>{messages}</section>",
            name = escape(name)
        ));
    }
    html
}

/// `@张伟 @所有人 @138…`: who a text message mentions, by name where known.
fn mentions(w: &World, body: &Value) -> String {
    let list = |name: &str| -> Vec<String> {
        body["text"][name]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default()
    };
    list("mentioned_list")
        .into_iter()
        .chain(list("mentioned_mobile_list"))
        .map(|who| match who.as_str() {
            "@all" => "@所有人".to_string(),
            id => format!("@{}", w.directory.member_name(id).unwrap_or(id)),
        })
        .collect::<Vec<_>>()
        .join(" ")
}
