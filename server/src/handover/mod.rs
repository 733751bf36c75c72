//! Handover (交接): when a member leaves, or hands their work to another, their
//! customers, customer groups and open orders follow (wecom-api.md 8a). Members who
//! left are known from the `delete_user` callback and a daily read of WeCom's waiting
//! list (`leavers`); an admin starts a handover, a durable job (`job`) run by one
//! instance at a time sends it to WeCom in batches, and the admin console watches
//! each item (`routes`).

mod error;
pub mod job;
pub mod leavers;
mod onjob;
pub mod results;
mod routes;
pub mod store;
mod view;

use std::sync::Arc;

use desk_shared::handover::{Handover, HandoverInput, Leaver, Selection};
use desk_shared::Person;
use desk_wecom::types::TRANSFER_MESSAGE_CHARS;
use rand::Rng;
use tokio::sync::Notify;

use error::invalid;
pub use error::HandoverError;
pub use routes::{configure, Api};
use store::{HandoverRow, NewItem};

use crate::config::HandoverSettings;
use crate::ids::MemberId;
use crate::orders::OrdersState;
use crate::wecom::{HandoverKind, WeComErrorKind};

/// What handovers need: the orders' state (database, WeCom, names, events, clock),
/// the settings, and the job's wake-up.
pub struct Handovers {
    pub orders: actix_web::web::Data<OrdersState>,
    pub settings: HandoverSettings,
    /// Rung when a handover was started or an item changed, so the job looks now.
    pub wake: Arc<Notify>,
}

impl Handovers {
    pub fn new(orders: actix_web::web::Data<OrdersState>, settings: HandoverSettings) -> Self {
        Self {
            orders,
            settings,
            wake: Arc::new(Notify::new()),
        }
    }

    fn now(&self) -> i64 {
        self.orders.clock.now_secs()
    }

    /// A member's name: what WeCom says, else (a member who left) what we kept.
    async fn person(&self, userid: &str) -> Person {
        let p = self
            .orders
            .directory
            .person(&self.orders.wecom, userid)
            .await;
        if p.name != userid {
            return p;
        }
        match store::leaver(&self.orders.db, userid).await {
            Ok(Some(l)) if !l.name.is_empty() => Person {
                user_id: userid.to_string(),
                name: l.name,
            },
            _ => p,
        }
    }

    /// Every member who left, with what they leave and their latest handover.
    pub async fn leavers(&self) -> Result<Vec<Leaver>, HandoverError> {
        let rows = store::leavers(&self.orders.db).await?;
        let mut out = Vec::with_capacity(rows.len());
        for l in rows {
            let latest = store::list(&self.orders.db, Some(&l.user_id))
                .await?
                .into_iter()
                .next();
            let handover = match latest {
                Some(h) => Some(self.view(&h, false).await?),
                None => None,
            };
            out.push(Leaver {
                name: if l.name.is_empty() {
                    l.user_id.clone()
                } else {
                    l.name
                },
                user_id: l.user_id,
                left_at: l.left_at,
                customers: l.customers,
                groups: l.groups,
                orders: l.orders,
                handover,
            });
        }
        Ok(out)
    }

    async fn view(&self, h: &HandoverRow, with_items: bool) -> Result<Handover, HandoverError> {
        let items = store::items(&self.orders.db, &h.id).await?;
        let (from, to) = futures::join!(self.person(&h.from_user), self.person(&h.to_user));
        Ok(view::handover(h, from, to, &items, with_items))
    }

    /// Handovers, newest first (of `from` when given), without their items.
    pub async fn list(&self, from: Option<&str>) -> Result<Vec<Handover>, HandoverError> {
        let mut out = Vec::new();
        for h in store::list(&self.orders.db, from).await? {
            out.push(self.view(&h, false).await?);
        }
        Ok(out)
    }

    /// One handover with every item; customers still waiting are asked about first
    /// (WeCom's `transfer_result`) when the last look is over a minute old.
    pub async fn get(&self, id: &str) -> Result<Handover, HandoverError> {
        let h = store::get(&self.orders.db, id)
            .await?
            .ok_or(HandoverError::NotFound)?;
        if h.finished_at.is_none() && self.now() - h.polled_at >= 60 {
            if let Err(e) = results::poll(self, &h).await {
                tracing::warn!(error = %e, handover = %h.id, "could not ask WeCom where the customers are");
            }
            self.wake.notify_one();
        }
        let h = store::get(&self.orders.db, id)
            .await?
            .ok_or(HandoverError::NotFound)?;
        self.view(&h, true).await
    }

    /// Starts handing `input.from`'s customers, groups and open orders to `input.to`:
    /// everything is checked (with WeCom) before anything is stored or sent.
    #[tracing::instrument(skip(self, input), fields(from = %input.from, to = %input.to))]
    pub async fn start(
        &self,
        admin: &str,
        input: HandoverInput,
    ) -> Result<Handover, HandoverError> {
        let from = MemberId::parse(input.from.trim()).map_err(|e| invalid("from", e.0))?;
        let to = MemberId::parse(input.to.trim()).map_err(|e| invalid("to", e.0))?;
        let (from, to) = (from.as_str(), to.as_str());
        if from == to {
            return Err(invalid("to", "接替成员不能是原成员本人"));
        }
        let message = input
            .message
            .as_deref()
            .map(str::trim)
            .filter(|m| !m.is_empty());
        if message.is_some_and(|m| m.chars().count() > TRANSFER_MESSAGE_CHARS) {
            return Err(invalid(
                "message",
                format!("最长 {TRANSFER_MESSAGE_CHARS} 个字"),
            ));
        }
        let db = &self.orders.db;
        let left = store::is_leaver(db, from).await?;
        let kind = match input.kind.as_deref() {
            None if left => HandoverKind::Resigned,
            None => HandoverKind::Onjob,
            Some(k) => HandoverKind::parse(k)
                .ok_or_else(|| invalid("kind", "须为 resigned（离职继承）或 onjob（在职继承）"))?,
        };
        if kind == HandoverKind::Resigned && message.is_some() {
            return Err(invalid(
                "message",
                "离职继承不会通知客户：只有在职继承可以带这句话",
            ));
        }
        self.check_successor(to).await?;
        let customers = self.pick_customers(kind, from, input.customers).await?;
        let groups = self.pick_groups(kind, from, input.groups).await?;
        let orders = match input.orders.unwrap_or(true) {
            true => store::open_orders(db, from).await?,
            false => Vec::new(),
        };
        let mut items: Vec<NewItem> = customers
            .into_iter()
            .enumerate()
            .map(|(i, id)| NewItem {
                kind: "customer",
                name: String::new(),
                id,
                rank: i as i64,
            })
            .collect();
        items.extend(groups);
        items.extend(orders.into_iter().enumerate().map(|(i, o)| NewItem {
            kind: "order",
            id: o.id,
            name: o.title,
            rank: i as i64,
        }));
        let row = HandoverRow {
            id: format!("hdo_{:020x}", rand::thread_rng().gen::<u128>() >> 48),
            from_user: from.to_string(),
            to_user: to.to_string(),
            kind: kind.as_str().to_string(),
            message: message.map(str::to_string),
            created_by: admin.to_string(),
            created_at: self.now(),
            finished_at: None,
            polled_at: 0,
        };
        let mut tx = db.begin().await?;
        if !store::create(&mut tx, &row, &items, true).await? {
            return Err(HandoverError::Running);
        }
        crate::audit::record(
            &mut tx,
            admin,
            "handover.started",
            &row.id,
            serde_json::json!({ "from": from, "to": to, "kind": row.kind, "items": items.len() }),
        )
        .await?;
        tx.commit().await?;
        tracing::info!(handover = %row.id, items = items.len(), "handover started");
        self.wake.notify_one();
        self.view(&row, true).await
    }

    /// The successor must be a member WeCom knows, in the app's range, configured for
    /// customer contact (客户联系), and not one who left.
    async fn check_successor(&self, to: &str) -> Result<(), HandoverError> {
        if store::is_leaver(&self.orders.db, to).await? {
            return Err(invalid("to", "接替成员已离职"));
        }
        match self.orders.wecom.member(to).await {
            Ok(m) if m.status == 0 || m.status == 1 => {
                if self
                    .orders
                    .wecom
                    .follow_users()
                    .await?
                    .iter()
                    .any(|u| u == to)
                {
                    Ok(())
                } else {
                    Err(invalid(
                        "to",
                        "接替成员没有客户联系权限：请管理员在企业微信管理后台「客户联系 → 权限配置」里为他开启",
                    ))
                }
            }
            Ok(_) => Err(invalid("to", "接替成员未激活或已被禁用")),
            Err(e) => match e.kind() {
                WeComErrorKind::NoSuchMember => Err(invalid("to", "企业微信里没有这个成员")),
                WeComErrorKind::NotInAppRange => Err(invalid(
                    "to",
                    "接替成员不在应用的可见范围内：请在企业微信管理后台加上",
                )),
                _ => Err(e.into()),
            },
        }
    }

    /// The customers to hand over: all the member leaves (WeCom's waiting list for a
    /// member who left, their customers for one still here), or those picked, each of
    /// whom must be theirs.
    async fn pick_customers(
        &self,
        kind: HandoverKind,
        from: &str,
        picked: Option<Selection>,
    ) -> Result<Vec<String>, HandoverError> {
        let theirs = match kind {
            HandoverKind::Resigned => store::waiting_customers(&self.orders.db, from).await?,
            HandoverKind::Onjob => match self.orders.wecom.customer_ids(from).await {
                Ok(ids) => ids,
                Err(e) if e.kind() == WeComErrorKind::NoSuchMember => {
                    return Err(invalid(
                        "from",
                        "企业微信里没有这个成员（已离职的成员请用离职继承）",
                    ))
                }
                Err(e) => return Err(e.into()),
            },
        };
        picked_of("customers", theirs, picked, "不是原成员的客户")
    }

    /// The groups to hand over, ranked: groups of open orders first, then of closed
    /// orders, then pool groups, then the rest.
    async fn pick_groups(
        &self,
        kind: HandoverKind,
        from: &str,
        picked: Option<Selection>,
    ) -> Result<Vec<NewItem>, HandoverError> {
        if kind == HandoverKind::Resigned {
            leavers::read_groups(self, from).await?;
        }
        let owned = store::owned_groups(&self.orders.db, from).await?;
        let ids = owned.iter().map(|g| g.chat_id.clone()).collect();
        let keep = picked_of("groups", ids, picked, "不是原成员的群")?;
        let mut groups: Vec<NewItem> = owned
            .into_iter()
            .filter(|g| keep.contains(&g.chat_id))
            .map(|g| {
                let tier = match (g.order_status.as_deref(), g.in_pool == 1) {
                    (Some("open"), _) => 0,
                    (Some(_), false) => 1,
                    (_, true) => 2,
                    (None, false) => 3,
                };
                NewItem {
                    kind: "group",
                    name: g.name,
                    id: g.chat_id,
                    rank: tier,
                }
            })
            .collect();
        groups.sort_by(|a, b| (a.rank, &a.id).cmp(&(b.rank, &b.id)));
        for (i, g) in groups.iter_mut().enumerate() {
            g.rank = i as i64;
        }
        Ok(groups)
    }
}

/// `picked` ("all" or ids, all by default) out of `theirs`; an id not theirs is a 400
/// naming `field`.
fn picked_of(
    field: &'static str,
    theirs: Vec<String>,
    picked: Option<Selection>,
    not_theirs: &str,
) -> Result<Vec<String>, HandoverError> {
    match picked {
        None => Ok(theirs),
        Some(Selection::All(all)) if all == "all" => Ok(theirs),
        Some(Selection::All(_)) => Err(invalid(field, "须为 \"all\" 或 ID 列表")),
        Some(Selection::Ids(ids)) => {
            let theirs: std::collections::HashSet<&String> = theirs.iter().collect();
            let mut seen = std::collections::HashSet::new();
            let mut out = Vec::with_capacity(ids.len());
            for id in ids {
                if !theirs.contains(&id) {
                    let shown: String = id.chars().take(64).collect();
                    return Err(invalid(field, format!("{shown} {not_theirs}")));
                }
                if seen.insert(id.clone()) {
                    out.push(id);
                }
            }
            Ok(out)
        }
    }
}
