//! The store visit in one scan (an order's 「联系我」 code and the welcome it sends)
//! and the customer groups' activity in numbers (群聊数据统计).

use serde::{Deserialize, Serialize};

use crate::Person;

/// `Order.contactWay` and `POST /api/orders/{id}/contact-way`: the order's "add me"
/// code for its designer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ContactWayInfo {
    pub config_id: String,
    /// The QR code's image address (WeCom's).
    pub qr_code: String,
}

/// `GET, PUT /api/admin/welcome`: the welcome a customer gets on scanning an order's
/// code; the quick replies' placeholders are filled from the order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct WelcomeTemplate {
    /// ≤ 1,000 characters; the order group's join QR code goes with it as an image.
    pub text: String,
    /// Sent when the order has no group yet and none can be had (no join QR code).
    pub without_group: String,
}

/// WeCom's counts of one designer's customer groups on one day (or summed).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct GroupStats {
    /// Groups made that day.
    pub new_chats: i64,
    /// Groups the designer owns.
    pub chats: i64,
    /// Groups where someone spoke.
    pub chats_with_messages: i64,
    /// People who joined that day.
    pub new_members: i64,
    /// People in the groups.
    pub members: i64,
    /// People who spoke.
    pub members_with_messages: i64,
    /// Messages sent.
    pub messages: i64,
}

impl GroupStats {
    /// The sum of two days or designers: every count adds up.
    pub fn add(&mut self, other: &GroupStats) {
        self.new_chats += other.new_chats;
        self.chats += other.chats;
        self.chats_with_messages += other.chats_with_messages;
        self.new_members += other.new_members;
        self.members += other.members;
        self.members_with_messages += other.members_with_messages;
        self.messages += other.messages;
    }
}

/// One designer's groups on one day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct GroupDay {
    /// `YYYY-MM-DD`, Beijing.
    pub day: String,
    /// The designer's member id.
    pub designer: String,
    pub stats: GroupStats,
}

/// A designer's totals over the chosen days: the flows summed, `chats` and `members`
/// as on the last day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct DesignerTotals {
    pub designer: Person,
    pub totals: GroupStats,
}

/// `GET /api/admin/stats/groups[?from=&to=&designer=]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct GroupStatsReport {
    /// Day by day, each designer's row (days in order, then designers).
    pub days: Vec<GroupDay>,
    pub designers: Vec<DesignerTotals>,
    /// The dates answered (`YYYY-MM-DD`), after defaults and clamping.
    pub from: String,
    pub to: String,
    /// The last day read from WeCom, if any: days after it are not in yet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_through: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stats_add_every_count() {
        let mut a = GroupStats {
            new_chats: 1,
            chats: 2,
            chats_with_messages: 3,
            new_members: 4,
            members: 5,
            members_with_messages: 6,
            messages: 7,
        };
        a.add(&a.clone());
        assert_eq!(
            (
                a.new_chats,
                a.chats,
                a.chats_with_messages,
                a.new_members,
                a.members
            ),
            (2, 4, 6, 8, 10)
        );
        assert_eq!((a.members_with_messages, a.messages), (12, 14));
    }
}
