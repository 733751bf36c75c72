//! An order changes hands while everyone stays (`PUT /api/v1/orders/{id}` with another
//! designer or project manager): who had each role is kept, `order.reassigned` is sent
//! per role, and the order's customer group follows the new designer
//! (`groupchat/onjob_transfer`, through the handover job) when the old one owned it.

use desk_shared::OrderInput;
use rand::Rng;
use serde_json::json;

use super::store::{self, HandoverRow, NewItem};
use super::{HandoverError, Handovers};
use crate::orders::store::OrderRow;
use crate::outbox::events::event_id;
use crate::wecom::HandoverKind;

impl Handovers {
    /// The business system gave order `before` new people (`after`).
    #[tracing::instrument(skip_all, fields(order = %before.id))]
    pub async fn order_changed_hands(
        &self,
        before: &OrderRow,
        after: &OrderInput,
    ) -> Result<(), HandoverError> {
        let changed: Vec<(&str, &str, &str)> = [
            (
                "designer",
                before.designer_userid.as_str(),
                after.designer_user_id.trim(),
            ),
            (
                "projectManager",
                before.pm_userid.as_str(),
                after.project_manager_user_id.trim(),
            ),
        ]
        .into_iter()
        .filter(|(_, from, to)| from != to)
        .collect();
        if changed.is_empty() {
            return Ok(());
        }
        let db = &self.orders.db;
        let now_ms = self.orders.clock.now_millis();
        let mut tx = db.begin().await?;
        for (role, from, to) in &changed {
            crate::orders::store::note_reassigned(&mut tx, &before.id, role, from).await?;
            let data = json!({
                "orderId": before.id, "role": role, "from": from, "to": to,
                "handoverId": null, "pulled": before.pulled_at.is_some(),
            });
            let id = event_id(&format!(
                "order.reassigned:{}:{role}:{from}:{to}:{now_ms}",
                before.id
            ));
            self.orders
                .events
                .emit(&mut tx, &id, "order.reassigned", data, now_ms)
                .await?;
        }
        let designer = changed.iter().find(|(role, ..)| *role == "designer");
        let group = before
            .chat_id
            .clone()
            .filter(|_| before.dismissed_at.is_none());
        let moved = match (designer, group) {
            (Some((_, from, to)), Some(chat)) if self.settings.move_groups_with_orders => {
                let row = HandoverRow {
                    id: format!("hdo_{:020x}", rand::thread_rng().gen::<u128>() >> 48),
                    from_user: from.to_string(),
                    to_user: to.to_string(),
                    kind: HandoverKind::Onjob.as_str().to_string(),
                    message: None,
                    created_by: "integration".into(),
                    created_at: now_ms / 1000,
                    finished_at: None,
                    polled_at: 0,
                };
                let item = NewItem {
                    kind: "group",
                    id: chat,
                    name: before.group_name.clone().unwrap_or_default(),
                    rank: 0,
                };
                store::create(&mut tx, &row, &[item], false).await?;
                Some(row.id)
            }
            _ => None,
        };
        crate::audit::record(
            &mut tx,
            "integration",
            "order.reassigned",
            &before.id,
            json!({ "roles": changed, "groupHandover": moved }),
        )
        .await?;
        tx.commit().await?;
        self.orders.outbox_wake.notify_one();
        if moved.is_some() {
            self.wake.notify_one();
        }
        Ok(())
    }
}
