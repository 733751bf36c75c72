//! Who a login code belongs to, and members' profiles.

use super::{fail, to_value, Answer, Call};
use crate::state::{CodeOwner, World};
use desk_wecom::types::{AuthUserInfo, Member};

/// `auth/getuserinfo?code`: `{userid}` for a member, `{openid}` for an outsider.
pub(super) fn user_info(w: &mut World, _agent: i64, call: &Call) -> Answer {
    let Some(code) = call.param("code") else {
        return fail(41008, "code missing");
    };
    match w.credentials.take_code(code, call.now) {
        Some(CodeOwner::Member(userid)) => to_value(AuthUserInfo {
            userid: Some(userid),
            user_ticket: None,
            ..AuthUserInfo::default()
        }),
        Some(CodeOwner::Outsider(openid)) => to_value(AuthUserInfo {
            openid: Some(openid),
            ..AuthUserInfo::default()
        }),
        None => fail(40029, "invalid code"),
    }
}

/// `user/get?userid`.
pub(super) fn member(w: &mut World, _agent: i64, call: &Call) -> Answer {
    let userid = call.param("userid").unwrap_or_default();
    super::in_range(w, userid)?;
    match w.directory.member(userid) {
        Some(m) => to_value(Member {
            userid: m.userid.clone(),
            name: m.name.clone(),
            avatar: m.avatar.clone(),
            position: m.position.clone(),
            department: m.department.clone(),
            status: 1,
        }),
        None => fail(60111, "userid not found"),
    }
}
