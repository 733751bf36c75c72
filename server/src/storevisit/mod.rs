//! The store visit in one scan: each order has an "add me" code for its designer
//! (「联系我」, `add_contact_way` type 1 scene 2, `state` = a short key of the order).
//! A customer who scans it at the store is that order's customer for certain
//! (`scan.rs`): recorded on the order, the phone written into the designer's remark,
//! and, within WeCom's 20 s, welcomed with the order group's join QR code. New orders
//! are announced to their designer and project manager (`announce.rs`).

mod announce;
mod routes;
pub mod scan;
pub mod store;

pub use routes::{configure, Api};

use std::sync::Arc;
use std::time::Duration;

use actix_web::http::StatusCode;
use actix_web::web;
use desk_shared::storevisit::{ContactWayInfo, WelcomeTemplate};

use crate::config::AutomationSettings;
use crate::db::Db;
use crate::error::{ApiError, ErrorCode};
use crate::joinway::JoinWays;
use crate::orders::store::OrderRow;
use crate::orders::OrdersState;
use crate::outbox::Outbox;
use crate::wecom::types::ContactWaySettings;
use crate::wecom::{WeComClient, WeComError, WeComErrorKind};

/// How long one order's contact-way request may hold its turn.
const TURN: Duration = Duration::from_secs(30);
/// Longest welcome text, in characters (WeCom takes 4,000 bytes: 1,000 CJK characters
/// are at most 3,000).
pub const MAX_WELCOME_CHARS: usize = 1000;
/// What WeCom takes of a welcome's text, in bytes (D-92137).
pub const MAX_WELCOME_BYTES: usize = 4000;

/// The welcome before an admin writes one.
pub const DEFAULT_WELCOME: &str = "{客户}您好，我是您的设计师{设计师}，很高兴为您服务！\n长按识别下方二维码，加入「{订单}」的服务群，装修进度和问题都在群里同步。";
pub const DEFAULT_WELCOME_WITHOUT_GROUP: &str =
    "{客户}您好，我是您的设计师{设计师}，很高兴为您服务！稍后我会把您拉进「{订单}」的服务群。";

/// What the store visit needs.
pub struct StoreVisit {
    pub db: Db,
    pub wecom: WeComClient,
    pub orders: web::Data<OrdersState>,
    pub join_ways: web::Data<JoinWays>,
    pub outbox: Arc<Outbox>,
    pub settings: AutomationSettings,
    /// `server.public_url`: the order page's link in the announcement.
    pub public_url: String,
    pub clock: crate::clock::Clock,
}

/// A fresh key for a code (`state`, ≤ 30 chars): random, 96 bits, so nobody can make
/// an add event claim an order by guessing its code's state from the order id (WeCom
/// also puts a 获客链接's `customer_channel`, which anyone can write, into `State`).
fn new_state() -> String {
    format!("c{}", hex::encode(rand::random::<[u8; 12]>()))
}

/// Whether `state` can be a code's (so its add event is worked ahead of the queue).
pub fn is_code_state(state: &str) -> bool {
    state.len() == 25 && state.starts_with('c') && state[1..].bytes().all(|b| b.is_ascii_hexdigit())
}

/// Why an order's contact way was not handed out, or the template not saved.
#[derive(Debug, thiserror::Error)]
pub enum StoreVisitError {
    #[error("the order is closed")]
    OrderClosed,
    #[error("{field}: {why}")]
    InvalidField { field: &'static str, why: String },
    #[error(transparent)]
    WeCom(#[from] WeComError),
    #[error(transparent)]
    Turn(#[from] crate::lease::TurnError),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

impl From<StoreVisitError> for ApiError {
    fn from(e: StoreVisitError) -> Self {
        match e {
            StoreVisitError::OrderClosed => ApiError::new(
                StatusCode::CONFLICT,
                ErrorCode::OrderClosed,
                "订单已关闭，不能再生成扫码加我二维码。/ The order is closed.",
            ),
            StoreVisitError::InvalidField { field, why } => ApiError::invalid_field(field, &why),
            StoreVisitError::WeCom(e) => e.into(),
            StoreVisitError::Turn(e) => e.into(),
            StoreVisitError::Database(e) => e.into(),
        }
    }
}

impl StoreVisit {
    /// The order's "add me" code for its designer, made once whatever the concurrency
    /// (one request per order at a time, across instances); whether it was made now.
    /// A code made for an earlier designer is replaced.
    #[tracing::instrument(skip(self, order), fields(order = %order.id))]
    pub async fn hand_out(
        &self,
        order: &OrderRow,
        by: &str,
    ) -> Result<(ContactWayInfo, bool), StoreVisitError> {
        if order.status == "closed" {
            return Err(StoreVisitError::OrderClosed);
        }
        let _turn =
            crate::lease::take_turn(&self.db, &format!("contactway:{}", order.id), TURN).await?;
        // As it is now that this request has the order's turn (closed or given to
        // another designer meanwhile).
        let order = &crate::orders::store::get(&self.db, &order.id)
            .await?
            .unwrap_or_else(|| order.clone());
        if order.status == "closed" {
            return Err(StoreVisitError::OrderClosed);
        }
        if let Some(row) = store::find(&self.db, &order.id).await? {
            if row.deleted_at.is_none() && row.userid == order.designer_userid {
                let info = ContactWayInfo {
                    config_id: row.config_id,
                    qr_code: row.qr_code,
                };
                return Ok((info, false));
            }
            if row.deleted_at.is_none() {
                self.delete_at_wecom(&row.config_id).await?;
            }
        }
        let state = new_state();
        let settings = ContactWaySettings {
            kind: Some(1),
            scene: 2,
            remark: Some(format!("订单 {}", order.id).chars().take(30).collect()),
            skip_verify: Some(true),
            state: Some(state.clone()),
            user: vec![order.designer_userid.clone()],
            ..Default::default()
        };
        let made = self.wecom.add_contact_way(&settings).await?;
        let now = self.clock.now_secs();
        let mut tx = self.db.begin().await?;
        store::save(
            &mut tx,
            &order.id,
            &state,
            &order.designer_userid,
            &made.config_id,
            &made.qr_code,
            now,
        )
        .await?;
        crate::audit::record(
            &mut tx,
            by,
            "contact_way.created",
            &order.id,
            serde_json::json!({ "configId": made.config_id, "userid": order.designer_userid }),
        )
        .await?;
        tx.commit().await?;
        tracing::info!(order = %order.id, by, "contact way made");
        Ok((
            ContactWayInfo {
                config_id: made.config_id,
                qr_code: made.qr_code,
            },
            true,
        ))
    }

    /// A closed order's code is deleted at WeCom: a customer who scans it later is no
    /// longer tied to the order.
    pub async fn close(&self, order_id: &str) -> Result<(), StoreVisitError> {
        let _turn =
            crate::lease::take_turn(&self.db, &format!("contactway:{order_id}"), TURN).await?;
        let Some(row) = store::find(&self.db, order_id).await? else {
            return Ok(());
        };
        if row.deleted_at.is_some() {
            return Ok(());
        }
        self.delete_at_wecom(&row.config_id).await?;
        store::mark_deleted(&self.db, order_id, self.clock.now_secs()).await?;
        tracing::info!(order = order_id, "contact way deleted");
        Ok(())
    }

    async fn delete_at_wecom(&self, config_id: &str) -> Result<(), WeComError> {
        match self.wecom.delete_contact_way(config_id).await {
            Ok(()) => Ok(()),
            // Gone already.
            Err(e) if e.kind() == WeComErrorKind::NoSuchContactWay => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// The welcome template (the default until an admin saves one).
    pub async fn template(&self) -> Result<WelcomeTemplate, sqlx::Error> {
        Ok(match store::template(&self.db).await? {
            Some((text, without_group)) => WelcomeTemplate {
                text,
                without_group,
            },
            None => WelcomeTemplate {
                text: DEFAULT_WELCOME.into(),
                without_group: DEFAULT_WELCOME_WITHOUT_GROUP.into(),
            },
        })
    }

    /// Saves the welcome template; audited.
    pub async fn save_template(
        &self,
        by: &str,
        t: &WelcomeTemplate,
    ) -> Result<WelcomeTemplate, StoreVisitError> {
        let text = check_welcome("text", &t.text)?;
        let without_group = check_welcome("withoutGroup", &t.without_group)?;
        let mut tx = self.db.begin().await?;
        store::save_template(&mut tx, &text, &without_group, by, self.clock.now_secs()).await?;
        crate::audit::record(
            &mut tx,
            by,
            "welcome.updated",
            "welcome",
            serde_json::json!({ "chars": text.chars().count() }),
        )
        .await?;
        tx.commit().await?;
        Ok(WelcomeTemplate {
            text,
            without_group,
        })
    }
}

/// A welcome text trimmed, 1 to 1,000 characters, line breaks but no other control
/// characters.
fn check_welcome(field: &'static str, text: &str) -> Result<String, StoreVisitError> {
    let invalid = |why: String| StoreVisitError::InvalidField { field, why };
    let text = text.trim();
    let chars = text.chars().count();
    if chars == 0 {
        return Err(invalid("不能为空".into()));
    }
    if chars > MAX_WELCOME_CHARS {
        return Err(invalid(format!(
            "有 {chars} 个字，最多 {MAX_WELCOME_CHARS} 个字"
        )));
    }
    // WeCom counts bytes (4,000); room is left for the order's words filled in.
    if text.len() > MAX_WELCOME_BYTES - 1000 {
        return Err(invalid(format!(
            "太长（{} 字节，最多 {} 字节；表情和生僻字占得多）",
            text.len(),
            MAX_WELCOME_BYTES - 1000
        )));
    }
    if text
        .chars()
        .any(|c| c != '\n' && desk_shared::is_control_or_bidi(c))
    {
        return Err(invalid("不能含控制字符或文字方向控制符".into()));
    }
    Ok(text.to_string())
}
