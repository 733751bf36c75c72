//! Who left, and what they leave waiting in WeCom: the `delete_user` callback (or
//! `update_user` with status 5) says at once; a read of `get_unassigned_list` (every
//! page) at start and every `handover.leavers_read_secs` lists every leaver with
//! customers; `groupchat/list` `status_filter: 1` finds each one's waiting groups
//! (WeCom does not list a leaver who has groups but no customers: the callback, and
//! leavers known before, are read for groups too). A leaver's sessions end.

use std::collections::BTreeMap;

use super::{store, HandoverError, Handovers};

/// A member left (a callback said so at `at`): recorded, their sessions ended, and
/// what every leaver leaves read again (so the console shows their customers now).
pub async fn member_left(h: &Handovers, userid: &str, at: i64) -> Result<(), HandoverError> {
    // Sessions end first: once the member is listed as left, none is left.
    let session_name = crate::auth::end_sessions_of(&h.orders.db, userid).await?;
    let name = h
        .orders
        .directory
        .known_name(userid)
        .or(session_name)
        .unwrap_or_default();
    store::left(&h.orders.db, userid, &name, at, h.now()).await?;
    tracing::info!(userid, "member left");
    read_all(h).await.map(drop)
}

/// Reads the customer groups `userid` (who left) leaves waiting, and keeps them.
pub async fn read_groups(h: &Handovers, userid: &str) -> Result<(), HandoverError> {
    let groups = h.orders.wecom.groups_waiting(userid).await?;
    let customers = store::waiting_customers(&h.orders.db, userid).await?;
    store::set_waiting(&h.orders.db, userid, &customers, &groups).await?;
    Ok(())
}

/// Reads every leaver and what they leave from WeCom.
#[tracing::instrument(skip_all)]
pub async fn read_all(h: &Handovers) -> Result<usize, HandoverError> {
    let mut by_member: BTreeMap<String, (i64, Vec<String>)> = BTreeMap::new();
    for u in h.orders.wecom.unassigned().await? {
        let e = by_member
            .entry(u.handover_userid)
            .or_insert((u.dimission_time, Vec::new()));
        e.0 = e.0.min(u.dimission_time);
        e.1.push(u.external_userid);
    }
    let db = &h.orders.db;
    let now = h.now();
    for (userid, (left_at, customers)) in &by_member {
        let session_name = crate::auth::end_sessions_of(db, userid).await?;
        let name = h
            .orders
            .directory
            .known_name(userid)
            .or(session_name)
            .unwrap_or_default();
        store::left(db, userid, &name, *left_at, now).await?;
        let groups = h.orders.wecom.groups_waiting(userid).await?;
        store::set_waiting(db, userid, customers, &groups).await?;
    }
    // Leavers known before with no customers now: their groups may still wait. Every
    // leaver's name is kept for pages (WeCom no longer names them).
    for l in store::leavers(db).await? {
        h.orders.directory.remember(&l.user_id, &l.name);
        if !by_member.contains_key(&l.user_id) {
            let groups = h.orders.wecom.groups_waiting(&l.user_id).await?;
            store::set_waiting(db, &l.user_id, &[], &groups).await?;
        }
    }
    Ok(by_member.len())
}

/// The periodic read, logged.
pub async fn round(h: &Handovers) {
    match read_all(h).await {
        Ok(n) => tracing::info!(
            leavers_with_customers = n,
            "members who left read from WeCom"
        ),
        Err(e) => {
            tracing::warn!(error = %e, "could not read the members who left; trying again at the next round")
        }
    }
}
