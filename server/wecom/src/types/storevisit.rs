//! The store visit and the numbers: 「联系我」 contact ways (D-92572), the new
//! customer's welcome message (D-92137) and 群聊数据统计 (D-92133/D-96359).

use serde::{Deserialize, Serialize};

use super::OwnerFilter;

/// `externalcontact/add_contact_way` body (D-92572). `update_contact_way` takes the same
/// fields plus `config_id` (and no `type`/`scene`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ContactWaySettings {
    /// 1 one member, 2 several. Required: WeCom answers 41037 without it.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<i32>,
    /// 1 in a mini program, 2 a QR code.
    #[serde(default)]
    pub scene: i32,
    /// The mini-program button's style (scene 1 only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub style: Option<i32>,
    /// ≤ 30 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remark: Option<String>,
    /// Whether a customer is added without the member's confirmation (WeCom: default true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skip_verify: Option<bool>,
    /// ≤ 30 characters; echoed as `State` in the add event and `follow_user.state`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// The members who use it (type 1: exactly one).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub user: Vec<String>,
    /// Departments (type 2 only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub party: Vec<i64>,
    /// A temporary session (single member; the code dies once used).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_temp: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_in: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chat_expires_in: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unionid: Option<String>,
}

/// `add_contact_way` → `{config_id, qr_code}` (`qr_code` for scene 2 only).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ContactWayCreated {
    pub config_id: String,
    #[serde(default)]
    pub qr_code: String,
}

/// `get_contact_way` → `contact_way`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ContactWay {
    pub config_id: String,
    #[serde(flatten)]
    pub settings: ContactWaySettings,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qr_code: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ContactWayDetail {
    pub contact_way: ContactWay,
}

/// `externalcontact/send_welcome_msg` body (D-92137): only within 20 s of the add
/// event, once per code.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WelcomeMessage {
    pub welcome_code: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<super::Text>,
    /// At most 9.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<WelcomeAttachment>,
}

/// One attachment of a welcome message; the product sends images (by media id).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "msgtype", rename_all = "lowercase")]
pub enum WelcomeAttachment {
    Image { image: WelcomeImage },
    Link { link: WelcomeLink },
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct WelcomeImage {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pic_url: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct WelcomeLink {
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub picurl: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub desc: Option<String>,
    pub url: String,
}

/// `externalcontact/groupchat/statistic` body (按群主聚合, D-96359): days are unix
/// seconds at 00:00 Beijing (rounded down), from yesterday back 180 days, ≤ 30 days
/// a call; ≤ 100 owners.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct GroupStatisticQuery {
    pub day_begin_time: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub day_end_time: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner_filter: Option<OwnerFilter>,
    /// 1 new groups (default), 2 groups, 3 new members, 4 members.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_by: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_asc: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offset: Option<u32>,
    /// 1..=1000, WeCom's default 500.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
}

/// What WeCom counts for an owner (or a day).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct GroupStatisticData {
    pub new_chat_cnt: i64,
    pub chat_total: i64,
    pub chat_has_msg: i64,
    pub new_member_cnt: i64,
    pub member_total: i64,
    pub member_has_msg: i64,
    pub msg_total: i64,
    pub migrate_trainee_chat_cnt: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OwnerStatistic {
    pub owner: String,
    pub data: GroupStatisticData,
}

/// `groupchat/statistic` → one page of owners.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct GroupStatisticPage {
    #[serde(default)]
    pub total: u32,
    #[serde(default)]
    pub next_offset: u32,
    #[serde(default)]
    pub items: Vec<OwnerStatistic>,
}

/// `groupchat/statistic_group_by_day` body (按自然日聚合): the same filter, no paging.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct GroupStatisticByDayQuery {
    pub day_begin_time: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub day_end_time: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner_filter: Option<OwnerFilter>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DayStatistic {
    pub stat_time: i64,
    pub data: GroupStatisticData,
}

/// `groupchat/statistic_group_by_day` → the owners' sums per day.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct GroupStatisticByDay {
    #[serde(default)]
    pub items: Vec<DayStatistic>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_welcome_reads_as_wecom_documents_it() {
        let m = WelcomeMessage {
            welcome_code: "CODE".into(),
            text: Some(super::super::Text {
                content: "你好".into(),
            }),
            attachments: vec![WelcomeAttachment::Image {
                image: WelcomeImage {
                    media_id: Some("MEDIA".into()),
                    pic_url: None,
                },
            }],
        };
        let json = serde_json::to_value(&m).expect("json");
        assert_eq!(
            json,
            serde_json::json!({"welcome_code": "CODE", "text": {"content": "你好"},
                "attachments": [{"msgtype": "image", "image": {"media_id": "MEDIA"}}]})
        );
    }

    #[test]
    fn a_contact_way_without_type_is_sent_without_it() {
        let s = ContactWaySettings {
            scene: 2,
            user: vec!["zhangsan".into()],
            ..Default::default()
        };
        let json = serde_json::to_value(&s).expect("json");
        assert_eq!(json, serde_json::json!({"scene": 2, "user": ["zhangsan"]}));
    }
}
