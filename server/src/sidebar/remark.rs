//! Adding a phone to a member's remark for a customer, from the sidebar.

use std::time::Duration;

use desk_shared::normalize_phone;

use super::{
    fetch_card, mirror_own_row, phone_number, plausible_id, CustomerCards, SidebarError,
    MAX_REMARK_PHONES,
};
use crate::contacts;
use crate::orders::{field_error, OrdersState};
use crate::wecom::types::{ExternalContactDetail, Remark};

/// How long one remark write may hold its turn (a few WeCom calls).
const REMARK_TURN: Duration = Duration::from_secs(15);

/// Adds `typed` (a phone number) to `me`'s remark phones for customer `id` in WeCom,
/// and to the member's mirror; a phone already there changes nothing. The customer
/// as WeCom has them after.
#[tracing::instrument(skip(state, cards, typed), fields(by = %me, customer = %id))]
pub async fn add_phone(
    state: &OrdersState,
    cards: &CustomerCards,
    me: &str,
    id: &str,
    typed: &str,
) -> Result<ExternalContactDetail, SidebarError> {
    if !plausible_id(id) {
        return Err(SidebarError::NotYourCustomer);
    }
    let Some(phone) = phone_number(typed) else {
        return Err(field_error("phone", "须为手机号或电话号码（5~20 位数字）").into());
    };
    cards.may_ask(me)?;
    write_phone(state, cards, me, id, &phone).await
}

/// Adds `phone` to `me`'s remark phones for customer `id` in WeCom and the mirror, as
/// the server does it (not counted against the member's look-ups): the customer as
/// WeCom has them after.
pub async fn write_phone(
    state: &OrdersState,
    cards: &CustomerCards,
    me: &str,
    id: &str,
    phone: &str,
) -> Result<ExternalContactDetail, SidebarError> {
    let phone = phone.to_string();
    let key = normalize_phone(&phone);
    // `externalcontact/remark` rewrites the whole list: two writes for one member and
    // customer at once (two devices, two instances) would each drop the other's
    // phone, so they take turns, across instances, reading the list fresh each time.
    let _turn =
        crate::lease::take_turn(&state.db, &format!("remark:{me}:{id}"), REMARK_TURN).await?;
    let mut card = fetch_card(state, id).await?;
    let Some(mine) = card.follow_user.iter_mut().find(|f| f.follow.userid == me) else {
        cards.put(id, Some(card));
        return Err(SidebarError::NotYourCustomer);
    };
    let known = contacts::phone_keys(&mine.follow.remark_mobiles);
    if !known.contains(&key) {
        if mine.follow.remark_mobiles.len() >= MAX_REMARK_PHONES {
            return Err(field_error(
                "phone",
                format!("备注里已有 {MAX_REMARK_PHONES} 个手机号，请先在企业微信里删掉不用的"),
            )
            .into());
        }
        let mut phones = mine.follow.remark_mobiles.clone();
        phones.push(phone.clone());
        state
            .wecom
            .set_remark(&Remark {
                userid: me.to_string(),
                external_userid: id.to_string(),
                remark_mobiles: Some(phones.clone()),
                ..Remark::default()
            })
            .await
            .map_err(SidebarError::from)?;
        mine.follow.remark_mobiles = phones;
        tracing::info!("remark phone added");
        mirror_own_row(
            state,
            &card,
            me,
            Some((
                "contact.remark_phone_added",
                serde_json::json!({ "phone": phone }),
            )),
        )
        .await?;
    }
    cards.put(id, Some(card.clone()));
    Ok(card)
}
