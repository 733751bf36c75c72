//! Customers added, edited and deleted in the client: `change_external_contact`.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::json;

use super::{delivered, Refusal};
use crate::callbacks::{self, ContactChange, ContactEvent, Event};
use crate::contact_ways::register_codes;
use crate::fixture::Customer;
use crate::state::{random_id, World};
use crate::Simulator;
use desk_wecom::clock::now_secs;
use desk_wecom::types::Follow;

/// The add event of `follow`: with the contact way's `state` and, unless the customer
/// is a WeCom user (who gets a business card instead), a welcome code.
fn added(customer: &Customer, follow: &Follow) -> Event {
    Event::Contact(ContactEvent {
        change: ContactChange::Add,
        userid: follow.userid.clone(),
        external_userid: customer.external_userid.clone(),
        state: follow.state.clone().filter(|s| !s.is_empty()),
        welcome_code: (customer.kind != 2).then(callbacks::new_welcome_code),
    })
}

/// `POST /sim/customers/{id}/follow` `{userid, remark?, remark_mobiles?, state?, ...}`:
/// the member adds the customer (`add_external_contact`), or edits what they noted if
/// they had added them (`edit_external_contact`). → `{callbacks}`.
pub(super) async fn follow(
    sim: web::Data<Simulator>,
    id: web::Path<String>,
    f: web::Json<Follow>,
) -> Result<HttpResponse, Refusal> {
    let event = sim.with_world(|w| {
        let event = follow_change(w, &id, f.into_inner())?;
        register_codes(w, event.as_slice());
        Ok::<_, Refusal>(event)
    })?;
    Ok(delivered(
        &callbacks::raise(sim, event.into_iter().collect()).await,
    ))
}

/// Whether `new` differs from `old` in the remark phones alone: WeCom raises no
/// callback for such an edit (D-92277: 编辑…备注信息(不包括备注手机号码)…推送).
fn phones_only(old: &Follow, new: &Follow) -> bool {
    let without_phones = |f: &Follow| {
        let mut f = f.clone();
        f.remark_mobiles.clear();
        // WeCom answers who added whom even where the fixture left it out.
        f.oper_userid.get_or_insert_with(|| f.userid.clone());
        serde_json::to_value(f).unwrap_or_default()
    };
    old.remark_mobiles != new.remark_mobiles && without_phones(old) == without_phones(new)
}

fn follow_change(w: &mut World, id: &str, mut f: Follow) -> Result<Option<Event>, Refusal> {
    let silent_phone_edits = w.rules.settings.silent_phone_edits;
    if !w.directory.is_member(&f.userid) {
        return Err(Refusal::not_found(format!("no member {}", f.userid)));
    }
    let c = w
        .directory
        .customer_mut(id)
        .ok_or_else(|| Refusal::not_found(format!("no customer {id}")))?;
    let old = c.follow.iter().position(|old| old.userid == f.userid);
    if f.createtime == 0 {
        f.createtime = old.map_or_else(now_secs, |i| c.follow[i].createtime);
    }
    let event = match old {
        None => Some(added(c, &f)),
        Some(i) if silent_phone_edits && phones_only(&c.follow[i], &f) => None,
        Some(_) => Some(Event::Contact(ContactEvent {
            change: ContactChange::Edit,
            userid: f.userid.clone(),
            external_userid: c.external_userid.clone(),
            state: None,
            welcome_code: None,
        })),
    };
    c.follow.retain(|old| old.userid != f.userid);
    c.follow.push(f);
    Ok(event)
}

#[derive(Deserialize)]
pub(super) struct Unfollow {
    /// Who deleted whom: `member` (default) or `customer`.
    by: Option<String>,
}

/// `DELETE /sim/customers/{id}/follow/{userid}?by=member|customer`: the member deletes
/// the customer (`del_external_contact`) or the customer deletes the member
/// (`del_follow_user`); the follow entry goes either way. → `{callbacks}`.
pub(super) async fn unfollow(
    sim: web::Data<Simulator>,
    path: web::Path<(String, String)>,
    q: web::Query<Unfollow>,
) -> Result<HttpResponse, Refusal> {
    let (id, userid) = path.into_inner();
    let change = match q.by.as_deref() {
        None | Some("member") => ContactChange::Delete,
        Some("customer") => ContactChange::DeleteFollowUser,
        Some(other) => return Err(Refusal::bad(format!("by={other}: member or customer"))),
    };
    let event = sim.with_world(|w| {
        let c = w
            .directory
            .customer_mut(&id)
            .ok_or_else(|| Refusal::not_found(format!("no customer {id}")))?;
        let before = c.follow.len();
        c.follow.retain(|f| f.userid != userid);
        if c.follow.len() == before {
            return Err(Refusal::not_found(format!("{userid} does not follow {id}")));
        }
        Ok(Event::Contact(ContactEvent {
            change,
            userid: userid.clone(),
            external_userid: id.clone(),
            state: None,
            welcome_code: None,
        }))
    })?;
    Ok(delivered(&callbacks::raise(sim, vec![event]).await))
}

#[derive(Deserialize)]
pub(super) struct NewCustomer {
    external_userid: Option<String>,
    #[serde(default)]
    name: String,
    /// 1 WeChat user, 2 WeCom user.
    #[serde(default = "wechat_user", rename = "type")]
    kind: i32,
    #[serde(default)]
    gender: i32,
    #[serde(default)]
    avatar: String,
    corp_name: Option<String>,
    /// The members who added the customer (at least one).
    #[serde(default)]
    follow: Vec<Follow>,
}

fn wechat_user() -> i32 {
    1
}

/// `POST /sim/customers` `{external_userid?, name, type?, gender?, follow: [{userid,
/// remark?, state?, ...}]}`: someone new added by members, one
/// `add_external_contact` per member. → `{externalUserId, callbacks}`.
pub(super) async fn add_customer(
    sim: web::Data<Simulator>,
    body: web::Json<NewCustomer>,
) -> Result<HttpResponse, Refusal> {
    let (id, events) = sim.with_world(|w| {
        let (id, events) = new_customer(w, body.into_inner())?;
        register_codes(w, &events);
        Ok::<_, Refusal>((id, events))
    })?;
    let records = callbacks::raise(sim, events).await;
    Ok(HttpResponse::Ok().json(json!({ "externalUserId": id, "callbacks": records })))
}

fn new_customer(w: &mut World, req: NewCustomer) -> Result<(String, Vec<Event>), Refusal> {
    if req.name.trim().is_empty() {
        return Err(Refusal::bad("name is empty"));
    }
    if !matches!(req.kind, 1 | 2) {
        return Err(Refusal::bad("type is 1 (WeChat user) or 2 (WeCom user)"));
    }
    if req.follow.is_empty() {
        return Err(Refusal::bad("a customer is added by a member: give follow"));
    }
    for (i, f) in req.follow.iter().enumerate() {
        if !w.directory.is_member(&f.userid) {
            return Err(Refusal::bad(format!("no member {:?}", f.userid)));
        }
        if req.follow[..i].iter().any(|g| g.userid == f.userid) {
            return Err(Refusal::bad(format!("{} follows twice", f.userid)));
        }
    }
    let id = match req.external_userid {
        Some(id) => {
            let fits = !id.is_empty()
                && id.len() <= 64
                && id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
            if !fits {
                return Err(Refusal::bad("external_userid: 1..64 of [A-Za-z0-9_-]"));
            }
            id
        }
        None => random_id("wm", 30),
    };
    let now = now_secs();
    let customer = Customer {
        external_userid: id.clone(),
        name: req.name,
        avatar: req.avatar,
        kind: req.kind,
        gender: req.gender,
        corp_name: req.corp_name,
        follow: req
            .follow
            .into_iter()
            .map(|mut f| {
                if f.createtime == 0 {
                    f.createtime = now;
                }
                f
            })
            .collect(),
    };
    let events = customer
        .follow
        .iter()
        .map(|f| added(&customer, f))
        .collect();
    if !w.directory.add_customer(customer) {
        return Err(Refusal::conflict(format!("customer {id} exists")));
    }
    Ok((id, events))
}
