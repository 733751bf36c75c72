//! Customer groups (`externalcontact/groupchat/*`) and their join ways (D-92120,
//! D-92122, D-92229).

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct OwnerFilter {
    #[serde(default)]
    pub userid_list: Vec<String>,
}

/// `externalcontact/groupchat/list` body.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct GroupChatListQuery {
    /// 0 all, 1 owner left and the group waits for a takeover (离职待继承), 2 takeover
    /// in progress (离职继承中), 3 taken over (离职继承完成). A group's `status` in the
    /// answer uses the same numbers, 0 meaning its owner is here.
    #[serde(default)]
    pub status_filter: i32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner_filter: Option<OwnerFilter>,
    #[serde(default)]
    pub cursor: String,
    /// 1..=1000.
    pub limit: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GroupChatRef {
    pub chat_id: String,
    #[serde(default)]
    pub status: i32,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GroupChatPage {
    #[serde(default)]
    pub group_chat_list: Vec<GroupChatRef>,
    #[serde(default)]
    pub next_cursor: String,
}

/// `externalcontact/groupchat/get` body.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GroupChatQuery {
    pub chat_id: String,
    #[serde(default)]
    pub need_name: i32,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UserRef {
    pub userid: String,
}

/// A member of a customer group.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GroupMember {
    pub userid: String,
    /// 1 member, 2 external contact.
    #[serde(rename = "type")]
    pub kind: i32,
    #[serde(default)]
    pub join_time: i64,
    /// 1 invited, 2 link, 3 QR code.
    #[serde(default)]
    pub join_scene: i32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invitor: Option<UserRef>,
    #[serde(default)]
    pub group_nickname: String,
    #[serde(default)]
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unionid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
}

/// A customer group (`group_chat`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GroupChat {
    pub chat_id: String,
    #[serde(default)]
    pub name: String,
    pub owner: String,
    #[serde(default)]
    pub create_time: i64,
    #[serde(default)]
    pub notice: String,
    #[serde(default)]
    pub admin_list: Vec<UserRef>,
    #[serde(default)]
    pub member_version: String,
    #[serde(default)]
    pub member_list: Vec<GroupMember>,
}

impl GroupChat {
    /// Whether the member `userid` owns the group or is in it.
    pub fn has_staff(&self, userid: &str) -> bool {
        self.owner == userid
            || self
                .member_list
                .iter()
                .any(|m| m.kind == 1 && m.userid == userid)
    }

    /// The external userids of the customers in the group.
    pub fn customers(&self) -> Vec<&str> {
        self.member_list
            .iter()
            .filter(|m| m.kind == 2)
            .map(|m| m.userid.as_str())
            .collect()
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GroupChatDetail {
    pub group_chat: GroupChat,
}

/// The settings of a join way (`add_join_way` body, `update_join_way` with `config_id`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct JoinWaySettings {
    /// 1 mini-program plugin, 2 QR code.
    pub scene: i32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remark: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_create_room: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub room_base_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub room_base_id: Option<i64>,
    pub chat_id_list: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// Marks where a customer who joins came from (only for 营销获客 apps; WeCom's
    /// default is true). A JSON bool (D-92229's sample sends `true`); read leniently
    /// as 0/1 too.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient_bool"
    )]
    pub mark_source: Option<bool>,
}

/// A bool WeCom documents as `true`/`false`, also taken as 0/1.
fn lenient_bool<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum BoolOrInt {
        Bool(bool),
        Int(i64),
    }
    Ok(match Option::<BoolOrInt>::deserialize(d)? {
        None => None,
        Some(BoolOrInt::Bool(b)) => Some(b),
        Some(BoolOrInt::Int(i)) => Some(i != 0),
    })
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ConfigId {
    pub config_id: String,
}

/// `update_join_way` body: a full overwrite.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct JoinWayUpdate {
    pub config_id: String,
    #[serde(flatten)]
    pub settings: JoinWaySettings,
}

/// `get_join_way` → `join_way`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct JoinWay {
    pub config_id: String,
    #[serde(flatten)]
    pub settings: JoinWaySettings,
    /// Only for scene 2.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qr_code: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct JoinWayDetail {
    pub join_way: JoinWay,
}
