//! A customer scanned an order's 「联系我」 code: `add_external_contact` with the code's
//! `State`. The order's customer is known for certain: recorded on the order, the
//! order's phone written into the designer's remark (so matching and the sidebar
//! agree), `customer.added` sent, and, when the event carries a `WelcomeCode`, the
//! welcome sent within WeCom's 20 s with the order group's join QR code attached.

use std::time::Duration;

use desk_shared::replies::{fill, Fill};

use super::{store, StoreVisit};
use crate::joinway::JoinWayError;
use crate::orders::store::OrderRow;
use crate::sidebar::{CustomerCards, SidebarError};
use crate::wecom::types::{Text, WelcomeAttachment, WelcomeImage, WelcomeMessage};
use crate::wecom::{WeComError, WeComErrorKind};

/// WeCom takes a welcome only this long after the add event (D-92137).
pub const WELCOME_WINDOW_SECS: i64 = 20;
/// The join QR code must be had by this long after the event, or the welcome goes
/// without it (the text for an order without a group) while WeCom still takes it.
const QR_BY_SECS: i64 = 14;

/// The add event, as the callback told it.
#[derive(Debug)]
pub struct Scan<'a> {
    /// The member who was added (`UserID`).
    pub member: &'a str,
    /// `ExternalUserID`.
    pub customer: &'a str,
    /// `State`: which order's code.
    pub state: &'a str,
    /// `WelcomeCode`; empty when the admin console has a welcome for the member.
    pub welcome_code: &'a str,
    /// When WeCom raised the event (`CreateTime`, unix seconds).
    pub at: i64,
}

/// Why a scan could not be recorded (the callback is tried again).
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    #[error(transparent)]
    Remark(#[from] SidebarError),
}

impl ScanError {
    pub fn is_rate_limited(&self) -> bool {
        matches!(self, ScanError::Remark(e) if e.is_rate_limited())
    }
}

/// Whether a remark write failed for a reason another try may not have (WeCom busy,
/// unreachable, its rate): the add event is then tried again.
fn worth_retrying(e: &SidebarError) -> bool {
    match e {
        SidebarError::WeCom(w) => {
            w.is_transient() || w.is_rate_limited() || w.kind() == WeComErrorKind::Timeout
        }
        SidebarError::Database(_) | SidebarError::TooMany => true,
        _ => false,
    }
}

/// How the welcome went, for the order page and the event.
struct Welcomed {
    note: String,
    sent: bool,
}

impl StoreVisit {
    /// Acts on an add event whose `State` may be an order's code; whether it was.
    /// A code that was deleted, belongs to a closed order, or adds another member than
    /// the one added (or than the order's designer now) is not the order's: the add
    /// event is then only a new contact.
    #[tracing::instrument(skip(self, cards, scan), fields(customer = %scan.customer, member = %scan.member))]
    pub async fn customer_scanned(
        &self,
        cards: &CustomerCards,
        scan: &Scan<'_>,
    ) -> Result<bool, ScanError> {
        if !super::is_code_state(scan.state) {
            return Ok(false);
        }
        let Some(way) = store::by_state(&self.db, scan.state).await? else {
            return Ok(false);
        };
        let Some(order) = crate::orders::store::get(&self.db, &way.order_id).await? else {
            return Ok(false);
        };
        if way.deleted_at.is_some()
            || order.status == "closed"
            || way.userid != scan.member
            || way.userid != order.designer_userid
        {
            tracing::info!(order = %order.id, "an add event through a code no longer in use: only a new contact");
            return Ok(false);
        }
        // The same event delivered again after the welcome went out: never twice.
        let again = way.customer_id.as_deref() == Some(scan.customer)
            && way.customer_added_at == Some(scan.at);
        let welcomed = match (again, &way.welcome_note) {
            (true, Some(note)) => Welcomed {
                note: note.clone(),
                sent: false,
            },
            _ => self.welcome(&order, scan).await?,
        };
        if !again {
            // The first customer is the order's; another one scanning (a spouse) is
            // welcomed and told to the business system, and the order keeps the first.
            let first =
                way.customer_id.is_none() || way.customer_id.as_deref() == Some(scan.customer);
            self.record(&order, scan, &welcomed, first).await?;
        }
        if let Some(phone) = crate::sidebar::phone_number(&order.customer_phone) {
            let written = crate::sidebar::remark::write_phone(
                &self.orders,
                cards,
                scan.member,
                scan.customer,
                &phone,
            )
            .await;
            match written {
                Ok(_) => {}
                Err(e) if worth_retrying(&e) => return Err(e.into()),
                // The customer removed the member again, five phones already: the
                // scan stands without it.
                Err(e) => {
                    tracing::warn!(order = %order.id, error = %e, "the order's phone could not be put in the remark")
                }
            }
        }
        tracing::info!(order = %order.id, welcomed = welcomed.sent, note = %welcomed.note, "customer added through the order's code");
        Ok(true)
    }

    /// The customer on the order (the first one), the event to the business system,
    /// the audit entry.
    async fn record(
        &self,
        order: &OrderRow,
        scan: &Scan<'_>,
        welcomed: &Welcomed,
        first: bool,
    ) -> Result<(), sqlx::Error> {
        let now_ms = self.clock.now_millis();
        let mut tx = self.db.begin().await?;
        if first {
            store::customer_added(&mut tx, &order.id, scan.customer, scan.at, &welcomed.note)
                .await?;
        }
        let id = crate::outbox::events::event_id(&format!(
            "customer.added:{}:{}",
            order.id, scan.customer
        ));
        self.orders
            .events
            .emit(
                &mut tx,
                &id,
                "customer.added",
                serde_json::json!({
                    "orderId": order.id,
                    "externalUserId": scan.customer,
                    "designer": scan.member,
                    "addedAt": scan.at,
                    "welcomed": welcomed.sent,
                }),
                now_ms,
            )
            .await?;
        crate::audit::record(
            &mut tx,
            scan.member,
            "customer.added",
            &order.id,
            serde_json::json!({ "externalUserId": scan.customer, "welcome": welcomed.note }),
        )
        .await?;
        tx.commit().await?;
        self.orders.outbox_wake.notify_one();
        Ok(())
    }

    /// Sends the welcome if WeCom still takes it: the template filled from the order,
    /// with the order group's join QR code (made, or a pool group taken, now).
    async fn welcome(&self, order: &OrderRow, scan: &Scan<'_>) -> Result<Welcomed, sqlx::Error> {
        let not_sent = |note: String| Welcomed { note, sent: false };
        if scan.welcome_code.is_empty() {
            return Ok(not_sent(
                "企业微信没有给出欢迎语凭证（管理后台可能已为该成员配置欢迎语），未发送欢迎语"
                    .into(),
            ));
        }
        let late = |at: i64| self.clock.now_secs() - at > WELCOME_WINDOW_SECS;
        if late(scan.at) {
            return Ok(not_sent(format!(
                "客户扫码 {} 秒后才轮到发送，已过企业微信允许的 {WELCOME_WINDOW_SECS} 秒，未发送欢迎语",
                self.clock.now_secs() - scan.at
            )));
        }
        let template = self.template().await?;
        // The join QR code (a join way made, a pool group taken, an upload): bounded, so
        // a slow WeCom or a member making the same code now never costs the welcome.
        let left = QR_BY_SECS - (self.clock.now_secs() - scan.at);
        let qr = self.join_ways.media(order, &order.designer_userid);
        let media = match tokio::time::timeout(Duration::from_secs(left.max(1) as u64), qr).await {
            Ok(Ok(m)) => Some(m.media_id),
            Ok(Err(JoinWayError::PoolEmpty)) => None,
            Ok(Err(e)) => {
                tracing::warn!(order = %order.id, error = %e, "no join QR code for the welcome; sending the text alone");
                None
            }
            Err(_) => {
                tracing::warn!(order = %order.id, "the join QR code took too long; sending the welcome without it");
                None
            }
        };
        let values = self.fill_values(order).await;
        let text = match media {
            Some(_) => &template.text,
            None => &template.without_group,
        };
        let message = WelcomeMessage {
            welcome_code: scan.welcome_code.to_string(),
            text: Some(Text {
                content: at_most_bytes(fill(text, &values), super::MAX_WELCOME_BYTES),
            }),
            attachments: media
                .iter()
                .map(|id| WelcomeAttachment::Image {
                    image: WelcomeImage {
                        media_id: Some(id.clone()),
                        pic_url: None,
                    },
                })
                .collect(),
        };
        if late(scan.at) {
            return Ok(not_sent(format!(
                "准备欢迎语用了太久，已过企业微信允许的 {WELCOME_WINDOW_SECS} 秒，未发送欢迎语"
            )));
        }
        let mut outcome = self.wecom.send_welcome(&message).await;
        if is_busy(&outcome) {
            // Another app is sending one: WeCom may take ours once it is done.
            tokio::time::sleep(Duration::from_secs(1)).await;
            if !late(scan.at) {
                outcome = self.wecom.send_welcome(&message).await;
            }
        }
        crate::metrics::welcome_sent(outcome.is_ok());
        Ok(match outcome {
            Ok(()) if media.is_some() => Welcomed {
                note: "欢迎语已发送，含进群二维码".into(),
                sent: true,
            },
            Ok(()) => Welcomed {
                note: "欢迎语已发送（订单还没有群，未附进群二维码）".into(),
                sent: true,
            },
            Err(e) if e.kind() == WeComErrorKind::WelcomeTaken => {
                not_sent("客户已开始聊天或已收到其他欢迎语，未发送欢迎语".into())
            }
            Err(e) => {
                tracing::warn!(order = %order.id, error = %e, detail = %e.admin_detail(), "the welcome was not sent");
                not_sent(format!("欢迎语未发送：{}", e.member_message()))
            }
        })
    }

    /// The placeholders' values for `order`, the designer speaking.
    async fn fill_values(&self, order: &OrderRow) -> Fill {
        let directory = &self.orders.directory;
        let designer = directory.person(&self.wecom, &order.designer_userid).await;
        let pm = directory.person(&self.wecom, &order.pm_userid).await;
        Fill {
            customer: Some(order.customer_name.clone()),
            order_id: Some(order.id.clone()),
            order_title: Some(order.title.clone()),
            designer: Some(designer.name.clone()),
            project_manager: Some(pm.name),
            me: Some(designer.name),
        }
    }
}

/// `text` cut to at most `max` bytes, at a character's end.
fn at_most_bytes(mut text: String, max: usize) -> String {
    if text.len() > max {
        let mut end = max;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
    }
    text
}

fn is_busy(outcome: &Result<(), WeComError>) -> bool {
    matches!(outcome, Err(e) if e.kind() == WeComErrorKind::WelcomeBusy)
}
