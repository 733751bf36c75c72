//! The chat sidebar (聊天工具栏): who a customer is to the member who opened it, with
//! the orders whose customer they are; and which order a customer group serves.
//!
//! A customer's details come from `externalcontact/get` (every follower, each one's
//! remark phones), kept for `contacts.profile_ttl_secs`; a member the kept copy does
//! not list as a follower is asked about again once it is `RECHECK` old, so a
//! customer added a moment ago shows within seconds. What WeCom answers is also put
//! into that member's mirror, so matching sees it without a whole refresh.

use futures::StreamExt;

use actix_web::{web, HttpResponse};
use desk_shared::{is_control_or_bidi, normalize_phone, ContactProfile, GroupView, RemarkPhone};

mod cards;
mod error;
mod group_view;
pub mod remark;

pub use cards::{CustomerCards, LOOKUPS_PER_MINUTE, RECHECK};
pub use error::SidebarError;

use crate::auth::Member;
use crate::contacts;
use crate::error::ApiError;
use crate::orders::{self, OrdersState};
use crate::wecom::types::ExternalContactDetail;
use crate::wecom::WeComErrorKind;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/api/contacts/{externalUserId}/profile").get(profile))
        .service(
            web::resource("/api/contacts/{externalUserId}/remark-phones").put(add_remark_phone),
        )
        .service(web::resource("/api/groups/{chatId}").get(group));
}

/// This capability's operations in `/api/openapi.json`.
#[derive(utoipa::OpenApi)]
#[openapi(paths(profile, add_remark_phone, group))]
pub struct Api;

/// `externalcontact/get` pages of followers read at most (500 followers a page).
const MAX_FOLLOWER_PAGES: usize = 4;
/// Remark phones a member may keep for one customer (our bound, not WeCom's).
const MAX_REMARK_PHONES: usize = 10;
/// Followers named on a profile, and phone keys its orders are looked up by.
const MAX_FOLLOWERS_SHOWN: usize = 50;
const MAX_PHONE_KEYS: usize = 200;

/// An external userid or chat id as WeCom writes them; anything else is nobody's.
fn plausible_id(id: &str) -> bool {
    crate::ids::WeComId::parse(id).is_ok()
}

/// The customer as WeCom has them now, with every follower; `NotYourCustomer` when
/// WeCom has no such customer.
async fn fetch_card(state: &OrdersState, id: &str) -> Result<ExternalContactDetail, SidebarError> {
    let mut card = match state.wecom.customer(id, "").await {
        Ok(card) => card,
        Err(e)
            if matches!(
                e.kind(),
                WeComErrorKind::NoSuchCustomer
                    | WeComErrorKind::NoCustomers
                    | WeComErrorKind::InvalidParameter
            ) =>
        {
            return Err(SidebarError::NotYourCustomer)
        }
        Err(e) => return Err(e.into()),
    };
    for _ in 1..MAX_FOLLOWER_PAGES {
        if card.next_cursor.is_empty() {
            break;
        }
        let more = state.wecom.customer(id, &card.next_cursor).await?;
        card.follow_user.extend(more.follow_user);
        card.next_cursor = more.next_cursor;
    }
    Ok(card)
}

fn follows(card: &ExternalContactDetail, userid: &str) -> bool {
    card.follow_user.iter().any(|f| f.follow.userid == userid)
}

/// A phone as WeCom should keep it: a mobile as its 11 digits; any other number as
/// typed (trimmed), since that is how it is matched against an order's phone. `None`
/// unless it has 5 to 20 digits written with digits, spaces, dashes, dots, brackets
/// or a leading `+` only.
pub(crate) fn phone_number(typed: &str) -> Option<String> {
    let typed = typed.trim();
    if typed.chars().count() > 32 || typed.chars().any(is_control_or_bidi) {
        return None;
    }
    let key = normalize_phone(typed);
    if key.len() == 11 && key.bytes().all(|b| b.is_ascii_digit()) {
        return Some(key);
    }
    let mut digits = 0;
    for (i, c) in typed.chars().enumerate() {
        match c {
            '0'..='9' | '０'..='９' => digits += 1,
            '+' | '＋' if i == 0 => {}
            ' ' | '-' | '.' | '(' | ')' | '（' | '）' | '－' => {}
            _ => return None,
        }
    }
    (5..=20).contains(&digits).then(|| typed.to_string())
}

/// The card for a member who follows the customer: the kept copy when it lists them,
/// else WeCom asked again unless it was asked moments ago (then the member's mirror
/// row is brought up to date).
async fn card_for(
    state: &OrdersState,
    cards: &CustomerCards,
    id: &str,
    me: &str,
) -> Result<ExternalContactDetail, SidebarError> {
    match cards.get(id) {
        Some((Some(card), age)) if follows(&card, me) && age < cards.ttl.max(RECHECK) => {
            return Ok(card)
        }
        Some((_, age)) if age < RECHECK => return Err(SidebarError::NotYourCustomer),
        _ => {}
    }
    cards.may_ask(me)?;
    let card = match fetch_card(state, id).await {
        Ok(card) => card,
        Err(SidebarError::NotYourCustomer) => {
            cards.put(id, None);
            return Err(SidebarError::NotYourCustomer);
        }
        Err(e) => return Err(e),
    };
    cards.put(id, Some(card.clone()));
    if !follows(&card, me) {
        return Err(SidebarError::NotYourCustomer);
    }
    mirror_own_row(state, &card, me, None).await?;
    Ok(card)
}

/// A `change_external_contact` callback: `member` added, edited or deleted the
/// customer `id` (or the customer deleted them). That one customer is read again
/// (`externalcontact/get`) and mirrored as WeCom has them now, in the member's mirror
/// and in the kept cards: no refetch of the member's whole list, and callbacks seen
/// out of order (an add after its delete) still leave the mirror right.
pub async fn customer_changed(
    state: &OrdersState,
    cards: &CustomerCards,
    id: &str,
    member: &str,
) -> Result<(), SidebarError> {
    let card = match fetch_card(state, id).await {
        Ok(card) => card,
        Err(SidebarError::NotYourCustomer) => {
            cards.put(id, None);
            contacts::store::remove_one(&state.db, member, id).await?;
            return Ok(());
        }
        Err(e) => return Err(e),
    };
    cards.put(id, Some(card.clone()));
    if follows(&card, member) {
        mirror_own_row(state, &card, member, None).await?;
    } else {
        contacts::store::remove_one(&state.db, member, id).await?;
    }
    Ok(())
}

/// Puts the member's view of the customer into their mirror (and, for a change they
/// made, the audit entry in the same transaction).
async fn mirror_own_row(
    state: &OrdersState,
    card: &ExternalContactDetail,
    me: &str,
    audit: Option<(&str, serde_json::Value)>,
) -> Result<(), sqlx::Error> {
    let Some(f) = card.follow_user.iter().find(|f| f.follow.userid == me) else {
        return Ok(());
    };
    let row = contacts::mirrored(card.external_contact.clone(), &f.follow);
    let mut tx = state.db.begin().await?;
    contacts::store::upsert_one(&mut tx, me, &row).await?;
    if let Some((action, detail)) = audit {
        crate::audit::record(&mut tx, me, action, &row.external_userid, detail).await?;
    }
    tx.commit().await
}

/// The profile of `card` for `me`: their remark, every follower, and the orders they
/// are on whose phone is in any follower's remark or whose group holds the customer.
async fn profile_of(
    state: &OrdersState,
    card: ExternalContactDetail,
    me: &str,
) -> Result<ContactProfile, SidebarError> {
    let mine = card
        .follow_user
        .iter()
        .find(|f| f.follow.userid == me)
        .map(|f| f.follow.clone())
        .ok_or(SidebarError::NotYourCustomer)?;
    let all_phones: Vec<&String> = card
        .follow_user
        .iter()
        .flat_map(|f| f.follow.remark_mobiles.iter())
        .collect();
    let mut keys = contacts::phone_keys(&all_phones);
    keys.truncate(MAX_PHONE_KEYS);
    let contact = card.external_contact;
    let rows =
        orders::store::of_member_for_customer(&state.db, me, &keys, &contact.external_userid)
            .await?;
    // Names come from `user/get` (cached): a few at a time, and not for every one
    // of a customer with hundreds of followers.
    let (followers, orders) = futures::join!(
        futures::stream::iter(card.follow_user.iter().take(MAX_FOLLOWERS_SHOWN))
            .map(|f| state.directory.person(&state.wecom, &f.follow.userid))
            .buffered(8)
            .collect::<Vec<_>>(),
        futures::stream::iter(rows)
            .map(|r| orders::to_dto(state, r))
            .buffered(8)
            .collect::<Vec<_>>(),
    );
    Ok(ContactProfile {
        external_user_id: contact.external_userid,
        name: contact.name,
        avatar: contact.avatar,
        kind: contact.kind,
        corp_name: contact.corp_name.unwrap_or_default(),
        remark: mine.remark,
        remark_phones: mine.remark_mobiles,
        followers,
        orders,
    })
}

/// `GET /api/contacts/{externalUserId}/profile`: a customer as the member sees them.
#[utoipa::path(
    get,
    path = "/api/contacts/{externalUserId}/profile",
    operation_id = "getContactProfile",
    summary = "A customer, for the chat sidebar",
    tag = "sidebar",
    security(("session_cookie" = [])),
    description = "The customer beside the chat the sidebar is open in: who they are, this \
        member's remark phones for them, their followers and the orders whose customer they are.",
    params(("externalUserId" = String, Path, description = "The customer's external userid")),
    responses(
        (status = 200, description = "The customer.", body = ContactProfile),
        (status = 401, description = "`not_logged_in`: no session.", body = desk_shared::ApiError),
        (status = 403, description = "`not_your_customer`: the member does not follow this customer; \
            `customer_api_forbidden`, `not_in_app_range`.", body = desk_shared::ApiError),
        (status = 429, description = "`too_many_requests`: too many WeCom look-ups this minute.", body = desk_shared::ApiError),
        (status = 502, description = "`wecom_failed`.", body = desk_shared::ApiError),
        (status = 504, description = "`wecom_timeout`.", body = desk_shared::ApiError),
    )
)]
async fn profile(
    member: Member,
    state: web::Data<OrdersState>,
    cards: web::Data<CustomerCards>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let me = &member.0.user_id;
    if !plausible_id(&id) {
        return Err(SidebarError::NotYourCustomer.into());
    }
    let card = card_for(&state, &cards, &id, me).await?;
    Ok(HttpResponse::Ok().json(profile_of(&state, card, me).await?))
}

/// `PUT /api/contacts/{externalUserId}/remark-phones` `{phone}`: adds the phone to
/// the member's remark phones for the customer (`externalcontact/remark` overwrites
/// the list, so it is read fresh first); a phone already there changes nothing.
#[utoipa::path(
    put,
    path = "/api/contacts/{externalUserId}/remark-phones",
    operation_id = "addRemarkPhone",
    summary = "Add a phone to the member's remark for a customer",
    tag = "sidebar",
    security(("session_cookie" = [])),
    params(("externalUserId" = String, Path, description = "The customer's external userid")),
    request_body = RemarkPhone,
    responses(
        (status = 200, description = "The customer with the phone in this member's remark phones.", body = ContactProfile),
        (status = 400, description = "`invalid_field`: not a phone number, or 10 phones already; `bad_json`.", body = desk_shared::ApiError),
        (status = 401, description = "`not_logged_in`: no session.", body = desk_shared::ApiError),
        (status = 403, description = "`not_your_customer`; `customer_api_forbidden`, `not_in_app_range`.", body = desk_shared::ApiError),
        (status = 429, description = "`too_many_requests`.", body = desk_shared::ApiError),
        (status = 502, description = "`wecom_failed`.", body = desk_shared::ApiError),
        (status = 504, description = "`wecom_timeout`.", body = desk_shared::ApiError),
    )
)]
async fn add_remark_phone(
    member: Member,
    state: web::Data<OrdersState>,
    cards: web::Data<CustomerCards>,
    id: web::Path<String>,
    body: web::Json<RemarkPhone>,
) -> Result<HttpResponse, ApiError> {
    let me = &member.0.user_id;
    let card = remark::add_phone(&state, &cards, me, &id, &body.into_inner().phone).await?;
    Ok(HttpResponse::Ok().json(profile_of(&state, card, me).await?))
}

/// `GET /api/groups/{chatId}`: the group, its people, and the order it serves when
/// the member is on that order.
#[utoipa::path(
    get,
    path = "/api/groups/{chatId}",
    operation_id = "getGroup",
    summary = "A customer group, for the group sidebar",
    tag = "sidebar",
    security(("session_cookie" = [])),
    params(("chatId" = String, Path, description = "The customer group's chat id")),
    responses(
        (status = 200, description = "The group, its people, and its order when the member is on it.", body = GroupView),
        (status = 401, description = "`not_logged_in`: no session.", body = desk_shared::ApiError),
        (status = 403, description = "`not_your_group`: the member is neither in the group nor on its order; \
            `customer_api_forbidden`, `not_in_app_range`.", body = desk_shared::ApiError),
        (status = 404, description = "`chat_not_found`: the order's group is gone from WeCom.", body = desk_shared::ApiError),
        (status = 429, description = "`too_many_requests`.", body = desk_shared::ApiError),
        (status = 502, description = "`wecom_failed`.", body = desk_shared::ApiError),
        (status = 504, description = "`wecom_timeout`.", body = desk_shared::ApiError),
    )
)]
async fn group(
    member: Member,
    state: web::Data<OrdersState>,
    cards: web::Data<CustomerCards>,
    chat_id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let view = group_view::view(&state, &cards, &member.0.user_id, &chat_id).await?;
    Ok(HttpResponse::Ok().json(view))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mobiles_are_kept_as_digits_other_phones_as_typed_and_anything_else_is_refused() {
        assert_eq!(
            phone_number("139 0000 0002").as_deref(),
            Some("13900000002")
        );
        assert_eq!(
            phone_number("+86 139-0000-0002").as_deref(),
            Some("13900000002")
        );
        assert_eq!(
            phone_number("１３９０００００００２").as_deref(),
            Some("13900000002")
        );
        // Other numbers stay as typed: an order's landline is matched as written.
        for typed in ["010-62345678", "(0755) 8888 1234", "+1 415 555 0100"] {
            assert_eq!(phone_number(&format!(" {typed} ")).as_deref(), Some(typed));
        }
        for bad in [
            "",
            "abc",
            "12",
            "139\u{202e}0000",
            "1390000000012345678901",
            "13+900000000",
        ] {
            assert_eq!(phone_number(bad), None, "{bad:?}");
        }
    }
}
