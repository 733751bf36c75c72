//! Access tokens and the two JS-SDK tickets.

use super::{fail, to_value, Answer, Call};
use crate::state::World;
use desk_wecom::types::{AccessToken, Ticket};

/// `gettoken?corpid&corpsecret`: one token per app secret while it is valid.
pub(super) fn access_token(w: &mut World, call: &Call) -> Answer {
    let Some(corpid) = call.param("corpid") else {
        return fail(41002, "corpid missing");
    };
    let Some(secret) = call.param("corpsecret") else {
        return fail(41004, "corpsecret missing");
    };
    if corpid != w.corp.id() {
        return fail(40013, "invalid corpid");
    }
    let Some(agent) = w.corp.agent_of_secret(secret) else {
        return fail(40001, "invalid credential");
    };
    let (access_token, expires_in) = w.credentials.token_for(agent, call.now);
    to_value(AccessToken {
        access_token,
        expires_in,
    })
}

/// `get_jsapi_ticket`: the corp ticket, for `wx.config`.
pub(super) fn corp_ticket(w: &mut World, agent: i64, call: &Call) -> Answer {
    if !w.credentials.ticket_fetch_allowed(agent, call.now) {
        return fail(45009, "api freq out of limit");
    }
    let (ticket, expires_in) = w.credentials.corp_ticket(call.now);
    to_value(Ticket { ticket, expires_in })
}

/// `ticket/get?type=agent_config`: the app ticket, for `agentConfig`.
pub(super) fn agent_ticket(w: &mut World, agent: i64, call: &Call) -> Answer {
    if call.param("type") != Some("agent_config") {
        return fail(40058, "invalid type, expect agent_config");
    }
    if !w.credentials.ticket_fetch_allowed(agent, call.now) {
        return fail(45009, "api freq out of limit");
    }
    let (ticket, expires_in) = w.credentials.agent_ticket(agent, call.now);
    to_value(Ticket { ticket, expires_in })
}
