//! 「联系我」 contact ways (D-92572): `add_contact_way`, `get_contact_way`,
//! `update_contact_way`, `del_contact_way`, `list_contact_way`. A scene-2 way's
//! `qr_code` is `/sim/contact-qr/{configId}`, a PNG whose scan opens the simulated
//! customer's page (`/sim/contact/{configId}`).
//!
//! Errcodes from WeCom's global list: 41037/41038 missing `type`/`scene`, 41039/41040
//! invalid ones, 41041 more than 100 people, 41043/41044 missing/invalid `config_id`,
//! 41045 the corp's 500,000, 84074 a member without 客户联系, 60011/60111 as the other
//! member APIs. What the page names no errcode for (lengths, the number of users of a
//! type-1 way) is 40058, the simulator's choice.

use serde::Deserialize;
use serde_json::{json, Value};

use super::{fail, in_range, next_cursor, offset_of, to_value, Answer, Call, Fail};
use crate::contact_ways::{StoredContactWay, MAX_CONTACT_WAYS, MAX_CONTACT_WAY_PEOPLE};
use crate::state::World;
use desk_wecom::types::{
    ContactWay, ContactWayCreated, ContactWayDetail, ContactWaySettings, Empty,
};

/// Fields `update_contact_way` may change; the others (`type`, `scene`, `is_temp`)
/// stay as made.
const UPDATABLE: [&str; 9] = [
    "style",
    "remark",
    "skip_verify",
    "state",
    "user",
    "party",
    "expires_in",
    "chat_expires_in",
    "unionid",
];

/// Where a contact way's QR code is served.
fn qr_url(base: &str, config_id: &str) -> String {
    format!("{base}/sim/contact-qr/{config_id}")
}

/// The members who take the customers of a contact way: its `user`s, then the members
/// of its `party` departments, each once, in that order; only members still in the
/// address book.
pub(crate) fn people_of(w: &World, s: &ContactWaySettings) -> Vec<String> {
    let mut people: Vec<String> = Vec::new();
    let by_party = w
        .directory
        .members()
        .iter()
        .filter(|m| m.department.iter().any(|d| s.party.contains(d)))
        .map(|m| &m.userid);
    for u in s.user.iter().chain(by_party) {
        if w.directory.is_member(u) && !people.contains(u) {
            people.push(u.clone());
        }
    }
    people
}

/// The limits WeCom puts on a contact way's settings.
fn check(w: &World, s: &ContactWaySettings) -> Result<(), Fail> {
    let Some(kind) = s.kind else {
        return fail(41037, "missing contact way type");
    };
    if !matches!(kind, 1 | 2) {
        return fail(
            41039,
            "invalid contact way type: 1 (single) or 2 (multiple)",
        );
    }
    if s.scene == 0 {
        return fail(41038, "missing contact way scene");
    }
    if !matches!(s.scene, 1 | 2) {
        return fail(
            41040,
            "invalid contact way scene: 1 (mini program) or 2 (QR code)",
        );
    }
    let too_long = |v: &Option<String>| v.as_ref().is_some_and(|s| s.chars().count() > 30);
    if too_long(&s.remark) {
        return fail(40058, "remark exceed max length 30");
    }
    if too_long(&s.state) {
        return fail(40058, "state exceed max length 30");
    }
    if kind == 1 && (s.user.len() != 1 || !s.party.is_empty()) {
        return fail(40058, "type 1 (single) takes exactly one user and no party");
    }
    if kind == 2 && s.user.is_empty() && s.party.is_empty() {
        return fail(40058, "type 2 (multiple) needs user or party");
    }
    if s.is_temp == Some(true) && kind != 1 {
        return fail(
            40058,
            "a temporary contact way (is_temp) is for one user (type 1)",
        );
    }
    if [s.expires_in, s.chat_expires_in]
        .iter()
        .any(|e| e.is_some_and(|e| e <= 0))
    {
        return fail(40058, "expires_in and chat_expires_in must be positive");
    }
    for u in &s.user {
        in_range(w, u)?;
        if !w.directory.is_member(u) {
            return fail(60111, format!("userid not found: {u}"));
        }
        if w.rules.settings.without_customer_contact.contains(u) {
            return fail(84074, format!("no external contact permission: {u}"));
        }
    }
    for p in &s.party {
        let known = w
            .directory
            .members()
            .iter()
            .any(|m| m.department.contains(p));
        if !known {
            return fail(60003, format!("department not found: {p}"));
        }
    }
    if people_of(w, s).len() > MAX_CONTACT_WAY_PEOPLE {
        return fail(41041, "contact way user count exceed limit 100");
    }
    Ok(())
}

/// `externalcontact/add_contact_way` → `{config_id, qr_code}` (`qr_code` for scene 2).
pub(super) fn add(w: &mut World, agent: i64, call: &Call) -> Answer {
    let settings: ContactWaySettings = call.json()?;
    check(w, &settings)?;
    if w.store_visit.contact_ways.len() >= MAX_CONTACT_WAYS {
        return fail(41045, "contact way count exceed limit 500000");
    }
    let scene = settings.scene;
    let now = w.clock.now_secs();
    let config_id = w.store_visit.contact_ways.add(settings, agent, now);
    let mut answer = to_value(ContactWayCreated {
        qr_code: qr_url(call.base, &config_id),
        config_id,
    })?;
    if scene != 2 {
        if let Some(map) = answer.as_object_mut() {
            map.remove("qr_code");
        }
    }
    Ok(answer)
}

/// The `config_id` of a body: missing 41043, unknown 41044.
fn config_id_of<'a>(w: &World, body: &'a Value) -> Result<&'a str, Fail> {
    let Some(id) = body
        .get("config_id")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
    else {
        return fail(41043, "missing contact way config_id");
    };
    match w.store_visit.contact_ways.get(id) {
        Some(_) => Ok(id),
        None => fail(41044, format!("invalid contact way config_id: {id}")),
    }
}

/// `externalcontact/get_contact_way` `{config_id}` → `{contact_way: {...}}`, every
/// setting with WeCom's defaults (`skip_verify` true, `is_temp` false).
pub(super) fn get(w: &mut World, _agent: i64, call: &Call) -> Answer {
    let body: Value = call.json()?;
    let config_id = config_id_of(w, &body)?.to_string();
    let way = w
        .store_visit
        .contact_ways
        .get(&config_id)
        .ok_or_else(|| Fail(41044, "invalid contact way config_id".into()))?;
    to_value(ContactWayDetail {
        contact_way: view(call.base, &config_id, way),
    })
}

fn view(base: &str, config_id: &str, way: &StoredContactWay) -> ContactWay {
    let mut settings = way.settings.clone();
    settings.skip_verify = Some(settings.skip_verify.unwrap_or(true));
    settings.is_temp = Some(settings.is_temp.unwrap_or(false));
    ContactWay {
        config_id: config_id.to_string(),
        qr_code: (settings.scene == 2).then(|| qr_url(base, config_id)),
        settings,
    }
}

/// `externalcontact/update_contact_way` `{config_id, ...}`: the fields given replace
/// the stored ones, the rest stay; the result is checked as `add_contact_way` checks.
/// An expired or used temporary way cannot be edited (40058).
pub(super) fn update(w: &mut World, _agent: i64, call: &Call) -> Answer {
    let body: Value = call.json()?;
    let config_id = config_id_of(w, &body)?.to_string();
    let now = w.clock.now_secs();
    let Some(way) = w.store_visit.contact_ways.get(&config_id) else {
        return fail(41044, "invalid contact way config_id");
    };
    if way.is_dead(now) {
        return fail(40058, "an expired temporary contact way cannot be edited");
    }
    let mut merged = serde_json::to_value(&way.settings).map_err(|e| Fail(-1, e.to_string()))?;
    for key in UPDATABLE {
        if let (Some(v), Some(map)) = (body.get(key), merged.as_object_mut()) {
            map.insert(key.to_string(), v.clone());
        }
    }
    let settings: ContactWaySettings = serde_json::from_value(merged)
        .map_err(|e| Fail(47001, format!("data format error: {e}")))?;
    check(w, &settings)?;
    if let Some(way) = w.store_visit.contact_ways.get_mut(&config_id) {
        way.settings = settings;
    }
    to_value(Empty {})
}

/// `externalcontact/del_contact_way` `{config_id}`: its QR code stops working.
pub(super) fn delete(w: &mut World, _agent: i64, call: &Call) -> Answer {
    let body: Value = call.json()?;
    let config_id = config_id_of(w, &body)?.to_string();
    w.store_visit.contact_ways.remove(&config_id);
    to_value(Empty {})
}

#[derive(Deserialize)]
struct ListQuery {
    start_time: Option<i64>,
    end_time: Option<i64>,
    #[serde(default)]
    cursor: String,
    limit: Option<u32>,
}

/// `externalcontact/list_contact_way` `{start_time?, end_time?, cursor?, limit?}` →
/// `{contact_way: [{config_id}], next_cursor}`: the ways made between the times
/// (default the last 90 days), oldest first, temporary ones left out; `limit`
/// default 100, at most 1000.
pub(super) fn list(w: &mut World, _agent: i64, call: &Call) -> Answer {
    let q: ListQuery = call.json()?;
    let limit = q.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return fail(40058, "limit must be 1..1000");
    }
    let now = w.clock.now_secs();
    let start = q.start_time.unwrap_or(now - 90 * 86_400);
    let end = q.end_time.unwrap_or(now);
    let all: Vec<Value> = w
        .store_visit
        .contact_ways
        .by_creation()
        .into_iter()
        .filter(|(_, way)| !way.is_temp() && (start..=end).contains(&way.created_at))
        .map(|(id, _)| json!({ "config_id": id }))
        .collect();
    let offset = offset_of(&q.cursor)?;
    let end = (offset + limit as usize).min(all.len());
    Ok(json!({
        "contact_way": all.get(offset..end).unwrap_or_default(),
        "next_cursor": next_cursor(end, all.len()),
    }))
}
