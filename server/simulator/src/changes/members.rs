//! Members leaving and the handover settings of the corp: `POST
//! /sim/members/{id}/leave` (status 5, the `delete_user` callback, their customers
//! and groups waiting for a takeover), `GET`/`PUT /sim/handover`.

use std::collections::BTreeSet;

use actix_web::{web, HttpResponse};
use serde::Deserialize;

use super::{delivered, Refusal};
use crate::callbacks::{self, Event};
use crate::handover::{self, Left};
use crate::Simulator;

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(super) struct Leave {
    /// When they left, unix seconds (now on the simulator's clock when absent).
    left_at: Option<i64>,
}

/// The member leaves the corp: gone from the address book (`user/get` answers 60111,
/// they cannot log in), their customers on `get_unassigned_list`, their groups on
/// `groupchat/list` `status_filter: 1`; `change_contact` `delete_user` is raised.
pub(super) async fn leave(
    sim: web::Data<Simulator>,
    id: web::Path<String>,
    body: Option<web::Json<Leave>>,
) -> Result<HttpResponse, Refusal> {
    let userid = id.into_inner();
    let left_at = body.and_then(|b| b.left_at);
    sim.with_world(|w| {
        let member = w
            .directory
            .remove_member(&userid)
            .ok_or_else(|| Refusal::not_found(format!("no member {userid}")))?;
        let left_at = left_at.unwrap_or_else(|| w.clock.now_secs());
        w.handovers
            .left
            .insert(userid.clone(), Left { member, left_at });
        Ok::<_, Refusal>(())
    })?;
    let records = callbacks::raise(sim, vec![Event::MemberLeft { userid }]).await;
    Ok(delivered(&records))
}

/// Who left and every customer handover, with the settings below.
pub(super) async fn state(sim: web::Data<Simulator>) -> HttpResponse {
    HttpResponse::Ok().json(sim.with_world(|w| handover::snapshot(w)))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Settings {
    /// Customers who refuse any handover (it fails when its 24 h are up).
    #[serde(default)]
    refusing: BTreeSet<String>,
    /// Members at their customer limit (new handovers to them fail with 40099; one
    /// under way fails when its 24 h are up).
    #[serde(default)]
    at_limit: BTreeSet<String>,
}

/// Replaces who refuses and who is at their limit.
pub(super) async fn set(sim: web::Data<Simulator>, s: web::Json<Settings>) -> HttpResponse {
    let s = s.into_inner();
    sim.with_world(|w| {
        w.handovers.refusing = s.refusing;
        w.handovers.at_limit = s.at_limit;
    });
    HttpResponse::NoContent().finish()
}
