//! A new order: its designer and project manager hear of it by app message, with a link
//! to the order's page (建群 is one tap there); its "add me" code is made at once when
//! `automation.contact_way_on_new_order`.

use std::sync::Arc;

use super::StoreVisit;
use crate::orders::store::OrderRow;
use crate::outbox::store::{Kind, NewRow};
use crate::outbox::AppMessagePayload;
use crate::wecom::types::{MessageContent, TextCard};

/// A text card's title and description, kept short (WeCom counts their bytes).
const TITLE_CHARS: usize = 40;
const DESCRIPTION_CHARS: usize = 150;

impl StoreVisit {
    /// What happens by itself when the business system pushes a new order.
    pub async fn order_arrived(self: &Arc<Self>, order: &OrderRow) -> Result<(), sqlx::Error> {
        if self.settings.announce_new_orders && order.status != "closed" {
            self.announce(order).await?;
        }
        if self.settings.contact_way_on_new_order && order.status != "closed" {
            // WeCom's answer must not hold up the business system's push.
            let (visit, order) = (self.clone(), order.clone());
            tokio::spawn(async move {
                if let Err(e) = visit.hand_out(&order, "system").await {
                    tracing::warn!(order = %order.id, error = %e, "the new order's add-me code was not made; a member can make it from the order page");
                }
            });
        }
        Ok(())
    }

    /// Queues the app message to the designer and the project manager (once per order).
    async fn announce(&self, order: &OrderRow) -> Result<(), sqlx::Error> {
        let mut touser = vec![order.designer_userid.clone()];
        if order.pm_userid != order.designer_userid {
            touser.push(order.pm_userid.clone());
        }
        let url = crate::orders::page_url(&self.public_url, &order.id);
        let card = TextCard {
            title: format!("新订单：{}", order.title)
                .chars()
                .take(TITLE_CHARS)
                .collect(),
            description: format!(
                "客户：{}\n订单号：{}\n点开订单，一键建客户群；到店时让客户扫码加你。",
                order.customer_name, order.id
            )
            .chars()
            .take(DESCRIPTION_CHARS)
            .collect(),
            url,
            btntxt: Some("打开订单".into()),
        };
        let payload = serde_json::to_string(&AppMessagePayload {
            touser: touser.clone(),
            content: MessageContent::Textcard { textcard: card },
        })
        .unwrap_or_default();
        let id = crate::outbox::events::event_id(&format!("order.announced:{}", order.id));
        let target = touser.join("|");
        let row = NewRow {
            id: &id,
            kind: Kind::AppMessage,
            target: &target,
            payload: &payload,
            conversation_id: None,
            staff_id: None,
        };
        let mut tx = self.db.begin().await?;
        crate::outbox::store::insert(&mut tx, &row, self.clock.now_millis()).await?;
        tx.commit().await?;
        self.outbox.wake();
        Ok(())
    }
}
