//! The simulator's corp, described in TOML (see docs/simulator.md), and the
//! built-in demo corp.

use serde::{Deserialize, Serialize};

use desk_wecom::types::Follow;

/// The demo corp `wecom-desk demo` and `simulate` without `--fixture` use.
pub const DEMO_FIXTURE: &str = include_str!("../fixtures/demo.toml");

/// A simulated corp.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Fixture {
    pub corp_id: String,
    #[serde(default)]
    pub corp_name: String,
    pub apps: Vec<App>,
    #[serde(default)]
    pub members: Vec<Member>,
    #[serde(default)]
    pub customers: Vec<Customer>,
    /// Customer groups that exist already (e.g. the pool of pre-built empty groups).
    #[serde(default)]
    pub groups: Vec<Group>,
    #[serde(default)]
    pub robots: Vec<Robot>,
    /// Where and how the simulator raises callbacks.
    #[serde(default)]
    pub callback: Option<Callback>,
    /// Generated customers, for load: `count` customers followed by `userid`.
    #[serde(default)]
    pub generate: Vec<Generate>,
    /// What the corp refuses by itself: limits, trusted IPs, permissions (defaults:
    /// a real corp's).
    #[serde(default)]
    pub rules: crate::rules::CorpRules,
    /// Made-up activity in the customer groups (群聊数据统计): none unless asked.
    #[serde(default)]
    pub activity: ActivitySettings,
}

/// `[activity]`: history the simulator makes up at start, so 群聊数据统计 has
/// something to show (the demo corp asks for 30 days).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ActivitySettings {
    /// Messages (and who sent them) in each group with customers, for this many
    /// days before the start (at most 180), deterministic per chat id and date.
    pub generate_days: u32,
}

/// A self-built app.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct App {
    pub agent_id: i64,
    pub secret: String,
    #[serde(default)]
    pub name: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Member {
    pub userid: String,
    pub name: String,
    #[serde(default)]
    pub position: String,
    #[serde(default)]
    pub avatar: String,
    #[serde(default = "root_department")]
    pub department: Vec<i64>,
    /// When they left the company (unix seconds; 0 or less: that many seconds before
    /// the simulator started): not in the address book, their customers and groups
    /// waiting for a takeover (wecom-api.md 8a).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub left_at: Option<i64>,
}

fn root_department() -> Vec<i64> {
    vec![1]
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Customer {
    pub external_userid: String,
    pub name: String,
    #[serde(default)]
    pub avatar: String,
    /// 1 WeChat user, 2 WeCom user.
    #[serde(default = "wechat_user", rename = "type")]
    pub kind: i32,
    #[serde(default)]
    pub gender: i32,
    #[serde(default)]
    pub corp_name: Option<String>,
    /// The members who added this customer, with what each typed in the remark.
    #[serde(default)]
    pub follow: Vec<Follow>,
}

fn wechat_user() -> i32 {
    1
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Group {
    pub chat_id: String,
    #[serde(default)]
    pub name: String,
    pub owner: String,
    #[serde(default)]
    pub create_time: i64,
    #[serde(default)]
    pub notice: String,
    /// Members besides the owner (the owner is always in the group).
    #[serde(default)]
    pub members: Vec<GroupMember>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GroupMember {
    pub userid: String,
    /// 1 member, 2 customer.
    #[serde(default = "member_kind", rename = "type")]
    pub kind: i32,
}

fn member_kind() -> i32 {
    1
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Robot {
    pub key: String,
    #[serde(default)]
    pub name: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Callback {
    pub url: String,
    pub token: String,
    pub encoding_aes_key: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Generate {
    pub userid: String,
    pub count: usize,
}

impl Fixture {
    pub fn demo() -> Self {
        Self::from_toml(DEMO_FIXTURE).expect("the built-in demo fixture is valid TOML")
    }

    pub fn from_toml(text: &str) -> Result<Self, String> {
        let mut f: Fixture = toml::from_str(text).map_err(|e| e.to_string())?;
        f.expand_generated();
        f.validate()?;
        Ok(f)
    }

    /// Adds the `generate` customers: names, avatars and remark phones (one in ten
    /// without a phone, the rest in a few real-world formats).
    fn expand_generated(&mut self) {
        for g in std::mem::take(&mut self.generate) {
            for i in 0..g.count {
                let phone = format!("139{:08}", i);
                let remark_mobiles = match i % 10 {
                    0 => vec![],
                    1 => vec![format!("+86 {}", &phone)],
                    2 => vec![format!("{}-{}-{}", &phone[..3], &phone[3..7], &phone[7..])],
                    _ => vec![phone],
                };
                self.customers.push(Customer {
                    external_userid: format!("wmgen{}x{i:06}", g.userid),
                    name: format!("客户{i}"),
                    avatar: String::new(),
                    kind: 1,
                    gender: (i % 3) as i32,
                    corp_name: None,
                    follow: vec![Follow {
                        userid: g.userid.clone(),
                        remark: format!("客户{i}"),
                        createtime: 1_700_000_000 + i as i64,
                        remark_mobiles,
                        add_way: 1,
                        ..Follow::default()
                    }],
                });
            }
        }
    }

    fn validate(&self) -> Result<(), String> {
        if self.apps.is_empty() {
            return Err("fixture needs at least one [[apps]]".into());
        }
        if self.activity.generate_days > 180 {
            return Err("[activity] generate_days is at most 180 (WeCom keeps 180 days)".into());
        }
        let known = |u: &str| self.members.iter().any(|m| m.userid == u);
        for c in &self.customers {
            for f in &c.follow {
                if !known(&f.userid) {
                    return Err(format!(
                        "customer {} is followed by unknown member {}",
                        c.external_userid, f.userid
                    ));
                }
            }
        }
        for g in &self.groups {
            if !known(&g.owner) {
                return Err(format!("group {} has unknown owner {}", g.chat_id, g.owner));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_corp_has_what_the_demos_need() {
        let f = Fixture::demo();
        assert!(f.members.len() >= 3);
        assert!(f.customers.len() >= 40);
        let empty_groups = f.groups.iter().filter(|g| g.members.is_empty()).count();
        assert!(empty_groups >= 5, "{empty_groups} empty groups");
        assert!(!f.robots.is_empty());
        let without_phone = f
            .customers
            .iter()
            .filter(|c| c.follow.iter().all(|x| x.remark_mobiles.is_empty()))
            .count();
        assert!(without_phone > 0, "some customers have no remark phone");
        let formats = f
            .customers
            .iter()
            .flat_map(|c| &c.follow)
            .flat_map(|x| &x.remark_mobiles)
            .filter(|p| {
                p.contains(' ') || p.contains('-') || p.starts_with("+86") || p.contains('１')
            })
            .count();
        assert!(formats >= 4, "mixed phone formats");
    }

    #[test]
    fn generated_customers_are_added() {
        let f = Fixture::from_toml(
            r#"
            corp_id = "ww1"
            [[apps]]
            agent_id = 1
            secret = "s"
            [[members]]
            userid = "d"
            name = "D"
            [[generate]]
            userid = "d"
            count = 250
            "#,
        )
        .expect("fixture");
        assert_eq!(f.customers.len(), 250);
    }

    #[test]
    fn a_customer_of_an_unknown_member_is_refused() {
        let err = Fixture::from_toml(
            r#"
            corp_id = "ww1"
            [[apps]]
            agent_id = 1
            secret = "s"
            [[customers]]
            external_userid = "wm1"
            name = "C"
            [[customers.follow]]
            userid = "ghost"
            "#,
        )
        .expect_err("unknown member");
        assert!(err.contains("ghost"));
    }
}
