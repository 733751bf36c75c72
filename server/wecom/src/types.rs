//! Request and answer shapes of the WeCom server API (wecom-api.md sections 1-7).
//! The client reads them and the simulator writes them, so both speak one shape.

use serde::{Deserialize, Serialize};

mod groups;
mod handover;
mod media;
mod messages;
mod storevisit;

pub use groups::*;
pub use handover::*;
pub use media::*;
pub use messages::*;
pub use storevisit::*;

/// `errcode` / `errmsg`, present on every answer.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Status {
    #[serde(default)]
    pub errcode: i64,
    #[serde(default)]
    pub errmsg: String,
}

/// `gettoken`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AccessToken {
    pub access_token: String,
    pub expires_in: u64,
}

/// `get_jsapi_ticket` and `ticket/get?type=agent_config`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Ticket {
    pub ticket: String,
    pub expires_in: u64,
}

/// `auth/getuserinfo`: a member (`userid`) or a non-member (`openid`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct AuthUserInfo {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub userid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_ticket: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub openid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_userid: Option<String>,
}

/// `user/get` (the fields this project reads).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Member {
    pub userid: String,
    pub name: String,
    #[serde(default)]
    pub avatar: String,
    #[serde(default)]
    pub position: String,
    #[serde(default)]
    pub department: Vec<i64>,
    /// 1 active, 2 disabled, 4 not yet activated, 5 left the company (退出企业).
    #[serde(default)]
    pub status: i32,
}

/// `externalcontact/list`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ExternalUserIds {
    #[serde(default)]
    pub external_userid: Vec<String>,
}

/// A customer (`external_contact`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ExternalContact {
    pub external_userid: String,
    pub name: String,
    #[serde(default)]
    pub avatar: String,
    /// 1 WeChat user, 2 WeCom user.
    #[serde(rename = "type")]
    pub kind: i32,
    #[serde(default)]
    pub gender: i32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unionid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub corp_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub corp_full_name: Option<String>,
}

/// What one member keeps about a customer; common to `follow_user[]` and `follow_info`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Follow {
    pub userid: String,
    #[serde(default)]
    pub remark: String,
    #[serde(default)]
    pub description: String,
    /// Unix seconds the member added the customer.
    #[serde(default)]
    pub createtime: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remark_corp_name: Option<String>,
    /// The phone numbers the member typed into the remark: the only phones WeCom gives.
    #[serde(default)]
    pub remark_mobiles: Vec<String>,
    #[serde(default)]
    pub add_way: i32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oper_userid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
}

/// A tag on `follow_user[]` (from `externalcontact/get`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FollowTag {
    #[serde(default)]
    pub group_name: String,
    #[serde(default)]
    pub tag_name: String,
    #[serde(default, rename = "type")]
    pub kind: i32,
    #[serde(default)]
    pub tag_id: String,
}

/// `follow_user[]` of `externalcontact/get`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FollowUser {
    #[serde(flatten)]
    pub follow: Follow,
    #[serde(default)]
    pub tags: Vec<FollowTag>,
}

/// `follow_info` of `batch/get_by_user`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FollowInfo {
    #[serde(flatten)]
    pub follow: Follow,
    #[serde(default)]
    pub tag_id: Vec<String>,
}

/// `externalcontact/get`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ExternalContactDetail {
    pub external_contact: ExternalContact,
    #[serde(default)]
    pub follow_user: Vec<FollowUser>,
    #[serde(default)]
    pub next_cursor: String,
}

/// `externalcontact/batch/get_by_user` body.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BatchGetByUser {
    pub userid_list: Vec<String>,
    #[serde(default)]
    pub cursor: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
}

/// One entry of `external_contact_list`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CustomerOfMember {
    pub external_contact: ExternalContact,
    pub follow_info: FollowInfo,
}

/// `externalcontact/batch/get_by_user` answer; `next_cursor` is `""` when done.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CustomersPage {
    #[serde(default)]
    pub external_contact_list: Vec<CustomerOfMember>,
    #[serde(default)]
    pub next_cursor: String,
}

/// `externalcontact/remark` body. `remark_mobiles` overwrites the whole list.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Remark {
    pub userid: String,
    pub external_userid: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remark: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remark_company: Option<String>,
    /// Overwrites the whole list; `[""]` clears it, `[]` changes nothing (D-92115).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remark_mobiles: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remark_pic_mediaid: Option<String>,
}

/// An answer with nothing but `errcode`/`errmsg`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Empty {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn app_message_has_msgtype_beside_its_object() {
        let m = AppMessage {
            touser: "u1|u2".into(),
            agentid: 1000002,
            content: MessageContent::Text {
                text: Text {
                    content: "hi".into(),
                },
            },
            safe: 0,
        };
        let v = serde_json::to_value(&m).expect("serialise");
        assert_eq!(v["msgtype"], "text");
        assert_eq!(v["text"]["content"], "hi");
        let back: AppMessage = serde_json::from_value(v).expect("read back");
        assert!(matches!(back.content, MessageContent::Text { .. }));
    }

    #[test]
    fn a_join_way_reads_mark_source_as_wecom_writes_it_and_ignores_new_fields() {
        for mark in ["true", "false", "1", "0"] {
            let json = format!(
                r#"{{"errcode":0,"errmsg":"ok","join_way":{{"config_id":"c1","scene":2,
                "auto_create_room":1,"chat_id_list":["wr1"],"qr_code":"https://q/1",
                "state":"o-1","mark_source":{mark},"a_field_from_next_year":{{"x":[1]}}}}}}"#
            );
            let d: JoinWayDetail = serde_json::from_str(&json).expect(mark);
            assert_eq!(
                d.join_way.settings.mark_source,
                Some(mark == "true" || mark == "1")
            );
            assert_eq!(d.join_way.qr_code.as_deref(), Some("https://q/1"));
        }
        let sent = serde_json::to_value(JoinWaySettings {
            scene: 2,
            chat_id_list: vec!["wr1".into()],
            mark_source: Some(true),
            ..Default::default()
        })
        .expect("json");
        assert_eq!(sent["mark_source"], serde_json::json!(true));
    }

    #[test]
    fn batch_answer_reads_the_documented_shape() {
        let json = r#"{"errcode":0,"errmsg":"ok","external_contact_list":[{"external_contact":
            {"external_userid":"wmA","name":"王女士","type":1,"gender":2},
            "follow_info":{"userid":"zhangsan","remark":"王女士","createtime":1700000000,
            "tag_id":["et1"],"remark_mobiles":["13800000000"],"add_way":1,"oper_userid":"zhangsan"}}],
            "next_cursor":""}"#;
        let page: CustomersPage = serde_json::from_str(json).expect("parse");
        let c = &page.external_contact_list[0];
        assert_eq!(c.external_contact.kind, 1);
        assert_eq!(c.follow_info.follow.remark_mobiles, vec!["13800000000"]);
        assert_eq!(c.follow_info.tag_id, vec!["et1"]);
        assert!(page.next_cursor.is_empty());
    }
}
