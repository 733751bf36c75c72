//! The group sidebar's view of a customer group: its people, and the order it
//! serves when the member is on that order.

use desk_shared::{GroupMemberView, GroupView, Person};

use super::{plausible_id, CustomerCards, SidebarError};
use crate::orders::{self, OrdersState};
use crate::wecom::WeComErrorKind;

/// Customer group `chat_id` as `me` may see it: `NotYourGroup` unless they are in it
/// or on its order; `GroupGone` when the order's group is gone from WeCom.
#[tracing::instrument(skip(state, cards), fields(by = %me))]
pub async fn view(
    state: &OrdersState,
    cards: &CustomerCards,
    me: &str,
    chat_id: &str,
) -> Result<GroupView, SidebarError> {
    if !plausible_id(chat_id) {
        return Err(SidebarError::NotYourGroup);
    }
    cards.may_ask(me)?;
    let order = orders::store::of_chat(&state.db, chat_id).await?;
    let on_order = order.as_ref().is_some_and(|o| o.is_on(me));
    let chat = match state.wecom.group_chat(chat_id).await {
        Ok(chat) => chat,
        Err(e)
            if matches!(
                e.kind(),
                WeComErrorKind::NotCustomerGroup
                    | WeComErrorKind::NoSuchChat
                    | WeComErrorKind::InvalidParameter
            ) =>
        {
            return Err(if on_order {
                SidebarError::GroupGone
            } else {
                SidebarError::NotYourGroup
            });
        }
        Err(e) => return Err(e.into()),
    };
    if !chat.has_staff(me) && !on_order {
        return Err(SidebarError::NotYourGroup);
    }
    let people = chat.member_list.iter().map(|m| async {
        let name = if !m.name.is_empty() {
            m.name.clone()
        } else if m.kind == 1 {
            state.directory.person(&state.wecom, &m.userid).await.name
        } else {
            m.userid.clone()
        };
        GroupMemberView {
            id: m.userid.clone(),
            name,
            kind: m.kind,
            join_time: m.join_time,
        }
    });
    let shown_order = async {
        match order.filter(|_| on_order) {
            Some(row) => Some(orders::to_dto(state, row).await),
            None => None,
        }
    };
    let (owner, members, order): (Person, _, _) = futures::join!(
        state.directory.person(&state.wecom, &chat.owner),
        futures::future::join_all(people),
        shown_order,
    );
    Ok(GroupView {
        chat_id: chat.chat_id,
        name: chat.name,
        owner,
        members,
        order,
    })
}
