//! Customers (external contacts): listing, details, paging by member, remarks.

use super::{fail, next_cursor, offset_of, to_value, Answer, Call, Fail};
use crate::fixture::Customer;
use crate::state::World;
use desk_wecom::types::{
    BatchGetByUser, CustomerOfMember, CustomersPage, Empty, ExternalContact, ExternalContactDetail,
    ExternalUserIds, Follow, FollowInfo, FollowUser, Remark,
};

/// `externalcontact/list?userid`: the ids of a member's customers.
pub(super) fn list(w: &mut World, _agent: i64, call: &Call) -> Answer {
    let userid = call.param("userid").unwrap_or_default();
    super::in_range(w, userid)?;
    if !w.directory.is_member(userid) {
        return fail(60111, "userid not found");
    }
    let ids: Vec<String> = w
        .directory
        .customers_of(userid)
        .map(|(c, _)| c.external_userid.clone())
        .collect();
    if ids.is_empty() {
        return fail(84061, "not external contact");
    }
    to_value(ExternalUserIds {
        external_userid: ids,
    })
}

/// A follow entry as WeCom answers it: `oper_userid` (who added whom) is always there.
fn follow_of(f: &Follow) -> Follow {
    let mut f = f.clone();
    f.oper_userid.get_or_insert_with(|| f.userid.clone());
    f
}

fn contact_of(c: &Customer) -> ExternalContact {
    ExternalContact {
        external_userid: c.external_userid.clone(),
        name: c.name.clone(),
        avatar: c.avatar.clone(),
        kind: c.kind,
        gender: c.gender,
        unionid: None,
        position: None,
        corp_name: c.corp_name.clone(),
        corp_full_name: c.corp_name.clone(),
    }
}

/// `externalcontact/get?external_userid`: a customer with every member who follows it.
pub(super) fn detail(w: &mut World, _agent: i64, call: &Call) -> Answer {
    let id = call.param("external_userid").unwrap_or_default();
    let Some(c) = w.directory.customer(id) else {
        return fail(40096, "invalid external userid");
    };
    to_value(ExternalContactDetail {
        external_contact: contact_of(c),
        follow_user: c
            .follow
            .iter()
            .map(|f| FollowUser {
                follow: follow_of(f),
                tags: Vec::new(),
            })
            .collect(),
        next_cursor: String::new(),
    })
}

/// `externalcontact/batch/get_by_user`: the customers of up to 100 members, paged.
pub(super) fn batch_by_member(w: &mut World, _agent: i64, call: &Call) -> Answer {
    let req: BatchGetByUser = call.json()?;
    if req.userid_list.is_empty() || req.userid_list.len() > 100 {
        return fail(40058, "userid_list size must be 1..100");
    }
    for u in &req.userid_list {
        super::in_range(w, u)?;
    }
    if let Some(unknown) = req.userid_list.iter().find(|u| !w.directory.is_member(u)) {
        return fail(60111, format!("userid not found: {unknown}"));
    }
    // WeCom clamps the limit: default 50, at most 100.
    let limit = req.limit.unwrap_or(50).clamp(1, 100) as usize;
    let offset = offset_of(&req.cursor)?;
    let all: Vec<(&Customer, &Follow)> = req
        .userid_list
        .iter()
        .flat_map(|u| w.directory.customers_of(u))
        .collect();
    if all.is_empty() {
        return fail(84061, "not external contact");
    }
    let end = (offset + limit).min(all.len());
    let page = all.get(offset..end).unwrap_or_default();
    to_value(CustomersPage {
        external_contact_list: page
            .iter()
            .map(|(c, f)| CustomerOfMember {
                external_contact: contact_of(c),
                follow_info: FollowInfo {
                    follow: follow_of(f),
                    tag_id: Vec::new(),
                },
            })
            .collect(),
        next_cursor: next_cursor(end, all.len()),
    })
}

/// `externalcontact/remark`: edits what a member noted about a customer;
/// `remark_mobiles` replaces the whole list.
pub(super) fn remark(w: &mut World, _agent: i64, call: &Call) -> Answer {
    let req: Remark = call.json()?;
    super::in_range(w, &req.userid)?;
    if !w.directory.is_member(&req.userid) {
        return fail(60111, "userid not found");
    }
    check_remark(&req)?;
    let Some(c) = w.directory.customer_mut(&req.external_userid) else {
        return fail(40096, "invalid external userid");
    };
    if req.remark_company.is_some() && c.kind != 1 {
        return fail(40058, "remark_company is for WeChat customers only");
    }
    let Some(f) = c.follow.iter_mut().find(|f| f.userid == req.userid) else {
        return fail(84061, "not external contact");
    };
    if let Some(r) = req.remark {
        f.remark = r;
    }
    if let Some(d) = req.description {
        f.description = d;
    }
    if let Some(rc) = req.remark_company {
        f.remark_corp_name = Some(rc);
    }
    match req.remark_mobiles {
        // `[""]` clears every phone; an empty list leaves them (D-92115).
        Some(m) if m.iter().all(String::is_empty) && !m.is_empty() => f.remark_mobiles.clear(),
        Some(m) if m.is_empty() => {}
        Some(m) => f.remark_mobiles = m.into_iter().filter(|p| !p.is_empty()).collect(),
        None => {}
    }
    to_value(Empty {})
}

/// What WeCom refuses of a remark before looking anything up: a body that changes
/// nothing, and the documented lengths (remark ≤20, description ≤150,
/// remark_company ≤20 characters). The errcode is not documented: 40058 (参数不合法).
fn check_remark(r: &Remark) -> Result<(), Fail> {
    let chars = |s: &Option<String>| s.as_deref().map_or(0, |s| s.chars().count());
    let nothing = r.remark.is_none()
        && r.description.is_none()
        && r.remark_company.is_none()
        && r.remark_mobiles.is_none()
        && r.remark_pic_mediaid.is_none();
    if nothing {
        return fail(
            40058,
            "at least one of remark, description, remark_company, remark_mobiles is required",
        );
    }
    if chars(&r.remark) > 20 {
        return fail(40058, "remark exceed max length 20");
    }
    if chars(&r.description) > 150 {
        return fail(40058, "description exceed max length 150");
    }
    if chars(&r.remark_company) > 20 {
        return fail(40058, "remark_company exceed max length 20");
    }
    Ok(())
}
