//! The client half of the simulator: the OAuth authorize page, the JS-SDK bridge
//! script, and what the WeCom client does when the bridge asks (verify signatures,
//! create or open chats; a new customer group is reported to the app by callback).

use actix_cors::Cors;
use actix_web::http::header;
use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::json;

use super::callbacks::{self, ChatChange, ChatEvent, Event};
use super::state::{random_id, AppChat, CodeOwner, World};
use super::Simulator;
use desk_shared::escape_html as escape;
use desk_wecom::clock::now_secs;
use desk_wecom::jssdk::sign;
use desk_wecom::types::{GroupChat, GroupMember, UserRef};

const BRIDGE_JS: &str = include_str!("bridge.js");

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/connect/oauth2/authorize", web::get().to(authorize))
        .route("/connect/oauth2/approve", web::get().to(approve))
        .route("/sim/bridge.js", web::get().to(bridge))
        .service(
            web::scope("/sim/client")
                // The bridge runs on the app's origin.
                .wrap(Cors::permissive())
                .route("/verify", web::post().to(verify))
                .route("/context", web::get().to(context))
                .route("/enterprise-chat", web::post().to(enterprise_chat))
                .route("/open-chat", web::post().to(open_chat))
                .route(
                    "/update-chat",
                    web::post().to(crate::client_update::update_chat),
                )
                .route("/send-chat", web::post().to(crate::client_send::send_chat))
                .route("/sent", web::get().to(crate::client_send::sent)),
        )
        .route("/sim/login", web::get().to(auto_login));
}

async fn bridge() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/javascript; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .body(BRIDGE_JS)
}

#[derive(Deserialize)]
struct AutoLogin {
    #[serde(default)]
    userid: String,
}

/// `/sim/login?userid=zhangwei`: the OAuth page approves this member at once
/// (`userid=` turns it off).
async fn auto_login(sim: web::Data<Simulator>, q: web::Query<AutoLogin>) -> HttpResponse {
    let userid = q.into_inner().userid;
    let known = userid.is_empty() || sim.with_world(|w| w.directory.is_member(&userid));
    if !known {
        return HttpResponse::NotFound().json(json!({"error": format!("no member {userid}")}));
    }
    sim.with_world(|w| {
        w.client
            .set_auto_login((!userid.is_empty()).then(|| userid.clone()));
        if !userid.is_empty() {
            w.client.log_in(&userid);
        }
    });
    HttpResponse::Ok().json(json!({ "autoLogin": userid }))
}

#[derive(Deserialize)]
struct Authorize {
    appid: Option<String>,
    redirect_uri: Option<String>,
    response_type: Option<String>,
    scope: Option<String>,
    #[serde(default)]
    state: String,
    agentid: Option<String>,
}

fn page(title: &str, body: &str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(format!(
            r#"<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>{title}</title>
<style>body{{font-family:-apple-system,"PingFang SC","Microsoft YaHei",sans-serif;background:#f5f6f8;margin:0;padding:16px;color:#1f2329}}.card{{background:#fff;border-radius:10px;padding:16px;max-width:480px;margin:24px auto;border-top:3px solid #07c160}}h1{{font-size:17px}}a.m{{display:block;padding:12px;margin:8px 0;border:1px solid #e4e6eb;border-radius:8px;color:#1f2329;text-decoration:none}}small{{color:#646a73}}</style></head><body><div class="card">{body}</div></body></html>"#,
            title = escape(title)
        ))
}

/// The checks WeCom's authorize page makes; `Err` is the sentence it shows.
fn check_authorize(w: &World, q: &Authorize) -> Result<url::Url, String> {
    if q.appid.as_deref() != Some(w.corp.id()) {
        return Err("appid 参数错误（须为企业 CorpID）".into());
    }
    let redirect = q
        .redirect_uri
        .as_deref()
        .and_then(|u| url::Url::parse(u).ok())
        .filter(|u| matches!(u.scheme(), "http" | "https"))
        .ok_or("redirect_uri 参数错误")?;
    if q.response_type.as_deref() != Some("code") {
        return Err("response_type 须为 code".into());
    }
    if !matches!(
        q.scope.as_deref(),
        Some("snsapi_base" | "snsapi_privateinfo")
    ) {
        return Err("scope 须为 snsapi_base 或 snsapi_privateinfo".into());
    }
    if q.state.len() > 128 || !q.state.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err("state 只能是 a-zA-Z0-9，最长 128 字节".into());
    }
    if let Some(agent) = &q.agentid {
        let known = agent.parse::<i64>().ok().is_some_and(|a| w.corp.has_app(a));
        if !known {
            return Err("agentid 参数错误".into());
        }
    }
    Ok(redirect)
}

fn redirect_with_code(mut target: url::Url, code: &str, state: &str) -> HttpResponse {
    target
        .query_pairs_mut()
        .append_pair("code", code)
        .append_pair("state", state);
    HttpResponse::Found()
        .insert_header((header::LOCATION, target.to_string()))
        .finish()
}

/// `GET /connect/oauth2/authorize`: pick a member (or go straight back for the
/// auto-login member) and return to `redirect_uri` with a single-use code.
async fn authorize(sim: web::Data<Simulator>, q: web::Query<Authorize>) -> HttpResponse {
    let q = q.into_inner();
    sim.with_world(|w| {
        let target = match check_authorize(w, &q) {
            Ok(t) => t,
            Err(why) => return page("参数错误", &format!("<h1>无法登录</h1><p>{}</p>", escape(&why))),
        };
        if let Some(userid) = w.client.auto_login().map(str::to_string) {
            w.client.log_in(&userid);
            let code = w
                .credentials
                .issue_code(CodeOwner::Member(userid), w.clock.instant());
            return redirect_with_code(target, &code, &q.state);
        }
        let approve = |who: (&str, &str)| {
            url::form_urlencoded::Serializer::new(String::new())
                .append_pair(who.0, who.1)
                .append_pair("redirect_uri", target.as_str())
                .append_pair("state", &q.state)
                .finish()
        };
        let mut body = format!(
            "<h1>企业微信（模拟）登录</h1><p><small>{} 请求获取你的身份</small></p>",
            escape(w.corp.name())
        );
        for m in w.directory.members() {
            body.push_str(&format!(
                r#"<a class="m" data-userid="{id}" href="/connect/oauth2/approve?{q}">{name}<br><small>{id} · {pos}</small></a>"#,
                id = escape(&m.userid),
                q = escape(&approve(("userid", &m.userid))),
                name = escape(&m.name),
                pos = escape(&m.position),
            ));
        }
        body.push_str(&format!(
            r#"<a class="m" data-userid="" href="/connect/oauth2/approve?{}">非本企业成员（微信用户）<br><small>只能拿到 openid</small></a>"#,
            escape(&approve(("openid", "o_sim_visitor")))
        ));
        page("企业微信登录", &body)
    })
}

#[derive(Deserialize)]
struct Approve {
    userid: Option<String>,
    openid: Option<String>,
    redirect_uri: String,
    #[serde(default)]
    state: String,
}

async fn approve(sim: web::Data<Simulator>, q: web::Query<Approve>) -> HttpResponse {
    let q = q.into_inner();
    let Ok(target) = url::Url::parse(&q.redirect_uri) else {
        return page("参数错误", "<h1>redirect_uri 参数错误</h1>");
    };
    sim.with_world(|w| {
        let owner = match (q.userid, q.openid) {
            (Some(u), _) if w.directory.is_member(&u) => {
                w.client.log_in(&u);
                CodeOwner::Member(u)
            }
            (None, Some(o)) => CodeOwner::Outsider(o),
            _ => return page("参数错误", "<h1>没有这个成员</h1>"),
        };
        let code = w.credentials.issue_code(owner, w.clock.instant());
        redirect_with_code(target, &code, &q.state)
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Verify {
    kind: String,
    url: String,
    corp_id: String,
    agent_id: Option<i64>,
    timestamp: String,
    nonce_str: String,
    signature: String,
}

/// Checks a `config` (kind `corp`) or `agentConfig` (kind `agent`) signature as
/// WeCom does: against the tickets it issued and the page URL.
async fn verify(sim: web::Data<Simulator>, v: web::Json<Verify>) -> HttpResponse {
    let v = v.into_inner();
    let outcome = sim.with_world(|w| check_signature(w, &v));
    HttpResponse::Ok().json(match outcome {
        Ok(()) => json!({ "ok": true, "errcode": 0, "errmsg": "ok" }),
        Err((errcode, errmsg)) => json!({ "ok": false, "errcode": errcode, "errmsg": errmsg }),
    })
}

fn check_signature(w: &World, v: &Verify) -> Result<(), (i64, &'static str)> {
    if v.corp_id != w.corp.id() {
        return Err((40013, "invalid corpid"));
    }
    let Ok(timestamp) = v.timestamp.parse::<i64>() else {
        return Err((40093, "invalid signature"));
    };
    let (corp, agents) = w.credentials.valid_tickets(w.clock.instant());
    let matches = |tickets: &[String]| {
        tickets
            .iter()
            .any(|t| sign(t, &v.nonce_str, timestamp, &v.url) == v.signature.to_ascii_lowercase())
    };
    let agent_tickets: Vec<String> = agents.values().flatten().cloned().collect();
    match v.kind.as_str() {
        "corp" if matches(&corp) => Ok(()),
        "corp" if matches(&agent_tickets) => Err((42012, "invalid ticket type")),
        "agent" => {
            let Some(agent) = v.agent_id.filter(|a| w.corp.has_app(*a)) else {
                return Err((40056, "invalid agentid"));
            };
            let own = agents.get(&agent).cloned().unwrap_or_default();
            if matches(&own) {
                Ok(())
            } else if matches(&corp) {
                Err((42012, "invalid ticket type"))
            } else {
                Err((40093, "invalid signature"))
            }
        }
        _ => Err((40093, "invalid signature")),
    }
}

/// The current member and their customers, for the bridge's pickers.
async fn context(sim: web::Data<Simulator>) -> HttpResponse {
    let body = sim.with_world(|w| {
        let member = w.client.member();
        let customers: Vec<_> = member
            .map(|m| {
                w.directory
                    .customers_of(m)
                    .map(|(c, f)| {
                        json!({ "externalUserId": c.external_userid, "name": c.name, "remark": f.remark })
                    })
                    .collect()
            })
            .unwrap_or_default();
        json!({ "member": member, "customers": customers })
    });
    HttpResponse::Ok().json(body)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct EnterpriseChat {
    #[serde(default)]
    chat_id: String,
    #[serde(default)]
    group_name: String,
    #[serde(default)]
    user_ids: Vec<String>,
    #[serde(default)]
    external_user_ids: Vec<String>,
}

/// What the WeCom client does for `openEnterpriseChat`: open an existing chat, or
/// create the chat (a customer group when customers are in it) owned by the member.
async fn enterprise_chat(
    sim: web::Data<Simulator>,
    req: web::Json<EnterpriseChat>,
) -> HttpResponse {
    let req = req.into_inner();
    let outcome = sim.with_world(|w| create_chat(w, req));
    HttpResponse::Ok().json(match outcome {
        Ok(Chat::Existing(chat_id) | Chat::Internal(chat_id)) => json!({ "chatId": chat_id }),
        Ok(Chat::CustomerGroup(chat_id)) => {
            let created = Event::Chat(ChatEvent {
                chat_id: chat_id.clone(),
                change: ChatChange::Create,
            });
            callbacks::raise_in_background(sim, vec![created]);
            json!({ "chatId": chat_id })
        }
        Err((errcode, errmsg)) => json!({ "errcode": errcode, "errmsg": errmsg }),
    })
}

/// The chat `openEnterpriseChat` opened.
enum Chat {
    Existing(String),
    /// Members only: an internal group chat, of which the app hears nothing.
    Internal(String),
    /// A new customer group: WeCom reports it to the app (`create`).
    CustomerGroup(String),
}

fn create_chat(w: &mut World, req: EnterpriseChat) -> Result<Chat, (i64, String)> {
    let Some(owner) = w.client.member().map(str::to_string) else {
        return Err((
            60011,
            "no privilege: nobody is logged in to the client".into(),
        ));
    };
    if !req.chat_id.is_empty() {
        // With a chat id it opens customer groups only (wecom-api.md section 8): an
        // internal chat is refused as not a customer group (the client's exact code
        // is not documented; 90501 is the server API's for it).
        return if w.groups.contains(&req.chat_id) {
            Ok(Chat::Existing(req.chat_id))
        } else if w.chat_exists(&req.chat_id) {
            Err((
                90501,
                "not a customer group: open it with openExistedChatWithMsg".into(),
            ))
        } else {
            Err((40050, "chatid not exist".into()))
        };
    }
    if let Some(u) = req.user_ids.iter().find(|u| !w.directory.is_member(u)) {
        return Err((40003, format!("invalid userid {u}")));
    }
    let mut wechat_users = 0;
    for e in &req.external_user_ids {
        match w.directory.customer(e) {
            Some(c) => wechat_users += usize::from(c.kind == 1),
            None => return Err((40096, format!("invalid external userid {e}"))),
        }
    }
    let mut users: Vec<String> = vec![owner.clone()];
    for u in &req.user_ids {
        if !users.contains(u) {
            users.push(u.clone());
        }
    }
    let total = users.len() + req.external_user_ids.len();
    if total < 3 {
        return Err((40058, "a group needs at least 3 people".into()));
    }
    if total > 500 || (wechat_users > 0 && total > 40) {
        return Err((40058, "too many people for a customer group".into()));
    }
    let now = now_secs();
    if req.external_user_ids.is_empty() {
        let chat_id = random_id("wrsimint", 16);
        w.app_chats.insert(
            chat_id.clone(),
            AppChat {
                name: req.group_name,
                owner,
                userlist: users,
                agent_id: 0,
            },
        );
        return Ok(Chat::Internal(chat_id));
    }
    let member = |userid: &str, kind: i32| GroupMember {
        userid: userid.to_string(),
        kind,
        join_time: now,
        join_scene: 1,
        invitor: (userid != owner).then(|| UserRef {
            userid: owner.clone(),
        }),
        group_nickname: String::new(),
        name: String::new(),
        unionid: None,
        state: None,
    };
    let mut member_list: Vec<GroupMember> = users.iter().map(|u| member(u, 1)).collect();
    member_list.extend(req.external_user_ids.iter().map(|e| member(e, 2)));
    let chat_id = random_id("wrsim", 27);
    w.groups.insert(GroupChat {
        chat_id: chat_id.clone(),
        name: req.group_name,
        owner: owner.clone(),
        create_time: now,
        notice: String::new(),
        admin_list: Vec::new(),
        member_version: random_id("", 32),
        member_list,
    });
    Ok(Chat::CustomerGroup(chat_id))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct OpenChat {
    chat_id: String,
}

async fn open_chat(sim: web::Data<Simulator>, req: web::Json<OpenChat>) -> HttpResponse {
    let exists = sim.with_world(|w| w.chat_exists(&req.chat_id));
    HttpResponse::Ok().json(if exists {
        json!({ "ok": true })
    } else {
        json!({ "ok": false, "errcode": 40050, "errmsg": "chatid not exist" })
    })
}
