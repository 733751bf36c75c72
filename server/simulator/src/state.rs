//! The simulator's mutable world, one sub-state per area: the corp, credentials,
//! the directory of members and customers, customer groups, app chats, messages,
//! the callbacks raised, the simulated client's session, call counts and injected
//! faults.

use std::collections::{BTreeMap, VecDeque};
use std::time::{Duration, Instant};

use rand::distributions::Alphanumeric;
use rand::Rng;

use super::callbacks::Callbacks;
pub use super::credentials::{CodeOwner, Credentials, Lifetimes, TokenCheck};
pub use super::faults::{FaultSettings, Faults, InjectedFault};
use super::fixture::{self, App, Callback, Customer, Fixture, Member};
pub use super::messages::{Messages, SentMessage};
use desk_wecom::types::{Follow, GroupChat, GroupMember, JoinWaySettings, UserRef};

/// Accepted messages the simulator keeps (`/sim/messages`, the pages).
pub const KEPT_MESSAGES: usize = 10_000;

/// How long an OAuth code lives.
pub const CODE_LIFETIME: Duration = Duration::from_secs(300);

pub fn random_id(prefix: &str, len: usize) -> String {
    let tail: String = rand::thread_rng()
        .sample_iter(&Alphanumeric)
        .take(len)
        .map(char::from)
        .collect();
    format!("{prefix}{tail}")
}

/// The world. One lock guards it; the simulator is for tests and demos, not load.
#[derive(Debug)]
pub struct World {
    pub corp: Corp,
    pub credentials: Credentials,
    pub directory: Directory,
    pub groups: Groups,
    pub app_chats: AppChats,
    pub messages: Messages,
    pub callbacks: Callbacks,
    pub client: ClientSession,
    pub calls: CallCounts,
    pub faults: Faults,
    /// What the corp refuses by itself (`[rules]`).
    pub rules: super::rules::Rules,
    /// The simulator's time: the wall clock, moved forward by `POST /sim/clock`.
    pub clock: desk_wecom::clock::Clock,
    /// Members who left, and the handovers of their customers and groups.
    pub handovers: super::handover::Handovers,
    /// Temporary media (`media/upload`), 3 days each.
    pub media: super::media::MediaStore,
    /// 「联系我」 contact ways, welcome codes and the welcomes sent.
    pub store_visit: super::contact_ways::StoreVisit,
    /// Messages per customer group per day (群聊数据统计).
    pub activity: super::activity::Activity,
}

impl World {
    pub fn new(fixture: Fixture) -> Self {
        let Fixture {
            corp_id,
            corp_name,
            apps,
            members,
            customers,
            groups,
            robots,
            callback,
            generate: _,
            rules,
            activity: made_up,
        } = fixture;
        // Members the fixture says left are out of the address book, waiting.
        let (left, members): (Vec<Member>, Vec<Member>) =
            members.into_iter().partition(|m| m.left_at.is_some());
        let mut handovers = super::handover::Handovers::default();
        for member in left {
            let left_at = match member.left_at.unwrap_or_default() {
                t if t <= 0 => desk_wecom::clock::now_secs() + t,
                t => t,
            };
            handovers.left.insert(
                member.userid.clone(),
                super::handover::Left { member, left_at },
            );
        }
        let clock = desk_wecom::clock::Clock::system();
        let groups = Groups::from_fixture(&groups);
        let mut activity = super::activity::Activity::default();
        activity.generate(
            groups.all(),
            super::activity::day_of(clock.now_secs()),
            i64::from(made_up.generate_days),
        );
        Self {
            corp: Corp {
                id: corp_id,
                name: corp_name,
                apps,
                callback,
            },
            credentials: Credentials::default(),
            directory: Directory { members, customers },
            groups,
            app_chats: AppChats::default(),
            messages: Messages::new(robots),
            callbacks: Callbacks::default(),
            client: ClientSession::default(),
            calls: CallCounts::default(),
            faults: Faults::default(),
            clock,
            handovers,
            rules: super::rules::Rules::new(rules),
            media: Default::default(),
            store_visit: Default::default(),
            activity,
        }
    }

    /// Whether `chat_id` is a customer group or an internal chat: what the client
    /// can open.
    pub fn chat_exists(&self, chat_id: &str) -> bool {
        self.groups.contains(chat_id) || self.app_chats.contains(chat_id)
    }
}

/// The corp and its self-built apps, as the fixture describes them.
#[derive(Debug)]
pub struct Corp {
    id: String,
    name: String,
    apps: Vec<App>,
    callback: Option<Callback>,
}

impl Corp {
    pub fn id(&self) -> &str {
        &self.id
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The app whose secret this is.
    pub fn agent_of_secret(&self, secret: &str) -> Option<i64> {
        self.apps
            .iter()
            .find(|a| a.secret == secret)
            .map(|a| a.agent_id)
    }

    pub fn has_app(&self, agent_id: i64) -> bool {
        self.apps.iter().any(|a| a.agent_id == agent_id)
    }

    /// The corp's self-built apps, in fixture order.
    pub fn apps(&self) -> &[App] {
        &self.apps
    }

    /// The first app: the one customer-contact events are reported to.
    pub fn first_agent(&self) -> Option<i64> {
        self.apps.first().map(|a| a.agent_id)
    }

    /// Where callbacks go, as the fixture or `PUT /sim/callback` said.
    pub fn callback(&self) -> Option<&Callback> {
        self.callback.as_ref()
    }

    /// Replaces where callbacks go (an empty URL: nowhere).
    pub fn set_callback(&mut self, callback: Callback) {
        self.callback = Some(callback);
    }
}

/// Records an event in a sliding window; false (and not recorded) when `max` events
/// happened within `window` already.
pub(crate) fn within_rate(
    times: &mut VecDeque<Instant>,
    now: Instant,
    window: Duration,
    max: usize,
) -> bool {
    while times
        .front()
        .is_some_and(|t| now.duration_since(*t) > window)
    {
        times.pop_front();
    }
    if times.len() >= max {
        return false;
    }
    times.push_back(now);
    true
}

/// The corp's members and its customers with their `follow` entries.
#[derive(Debug)]
pub struct Directory {
    members: Vec<Member>,
    customers: Vec<Customer>,
}

impl Directory {
    pub fn customers(&self) -> &[Customer] {
        &self.customers
    }

    pub fn members(&self) -> &[Member] {
        &self.members
    }

    pub fn member(&self, userid: &str) -> Option<&Member> {
        self.members.iter().find(|m| m.userid == userid)
    }

    pub fn is_member(&self, userid: &str) -> bool {
        self.member(userid).is_some()
    }

    pub fn member_name(&self, userid: &str) -> Option<&str> {
        self.member(userid).map(|m| m.name.as_str())
    }

    pub fn customer(&self, external_userid: &str) -> Option<&Customer> {
        self.customers
            .iter()
            .find(|c| c.external_userid == external_userid)
    }

    pub fn customer_mut(&mut self, external_userid: &str) -> Option<&mut Customer> {
        self.customers
            .iter_mut()
            .find(|c| c.external_userid == external_userid)
    }

    /// Takes `userid` out of the address book (they left); who they were.
    pub fn remove_member(&mut self, userid: &str) -> Option<Member> {
        let i = self.members.iter().position(|m| m.userid == userid)?;
        Some(self.members.remove(i))
    }

    /// A customer someone added in the client; false (and not added) when the id is
    /// taken.
    pub fn add_customer(&mut self, customer: Customer) -> bool {
        if self.customer(&customer.external_userid).is_some() {
            return false;
        }
        self.customers.push(customer);
        true
    }

    /// The customers `userid` follows, each with that member's `follow` entry, in
    /// fixture order.
    pub fn customers_of<'a>(
        &'a self,
        userid: &'a str,
    ) -> impl Iterator<Item = (&'a Customer, &'a Follow)> + 'a {
        self.customers
            .iter()
            .filter_map(move |c| c.follow.iter().find(|f| f.userid == userid).map(|f| (c, f)))
    }
}

#[derive(Debug, Clone)]
pub struct StoredJoinWay {
    pub settings: JoinWaySettings,
    pub agent_id: i64,
}

/// Customer groups and the join ways that lead into them.
#[derive(Debug)]
pub struct Groups {
    chats: BTreeMap<String, GroupChat>,
    join_ways: BTreeMap<String, StoredJoinWay>,
}

impl Groups {
    fn from_fixture(groups: &[fixture::Group]) -> Self {
        let chats = groups
            .iter()
            .map(|g| {
                let mut member_list = vec![GroupMember {
                    userid: g.owner.clone(),
                    kind: 1,
                    join_time: g.create_time,
                    join_scene: 1,
                    invitor: None,
                    group_nickname: String::new(),
                    name: String::new(),
                    unionid: None,
                    state: None,
                }];
                member_list.extend(g.members.iter().map(|m| GroupMember {
                    userid: m.userid.clone(),
                    kind: m.kind,
                    join_time: g.create_time,
                    join_scene: 1,
                    invitor: Some(UserRef {
                        userid: g.owner.clone(),
                    }),
                    group_nickname: String::new(),
                    name: String::new(),
                    unionid: None,
                    state: None,
                }));
                let chat = GroupChat {
                    chat_id: g.chat_id.clone(),
                    name: g.name.clone(),
                    owner: g.owner.clone(),
                    create_time: g.create_time,
                    notice: g.notice.clone(),
                    admin_list: Vec::new(),
                    member_version: random_id("", 32),
                    member_list,
                };
                (g.chat_id.clone(), chat)
            })
            .collect();
        Self {
            chats,
            join_ways: BTreeMap::new(),
        }
    }

    pub fn contains(&self, chat_id: &str) -> bool {
        self.chats.contains_key(chat_id)
    }

    pub fn get(&self, chat_id: &str) -> Option<&GroupChat> {
        self.chats.get(chat_id)
    }

    pub fn get_mut(&mut self, chat_id: &str) -> Option<&mut GroupChat> {
        self.chats.get_mut(chat_id)
    }

    /// A dismissed group; `None` when there was none.
    pub fn remove(&mut self, chat_id: &str) -> Option<GroupChat> {
        self.chats.remove(chat_id)
    }

    /// Every group, ordered by chat id.
    pub fn all(&self) -> impl Iterator<Item = &GroupChat> {
        self.chats.values()
    }

    /// A group the client created.
    pub fn insert(&mut self, chat: GroupChat) {
        self.chats.insert(chat.chat_id.clone(), chat);
    }

    /// Stores a join way and answers its new `config_id`.
    pub fn add_join_way(&mut self, settings: JoinWaySettings, agent_id: i64) -> String {
        let config_id = random_id("", 32);
        self.join_ways
            .insert(config_id.clone(), StoredJoinWay { settings, agent_id });
        config_id
    }

    pub fn join_way(&self, config_id: &str) -> Option<&StoredJoinWay> {
        self.join_ways.get(config_id)
    }

    /// Overwrites a join way's settings; false when there is no such join way.
    pub fn update_join_way(&mut self, config_id: &str, settings: JoinWaySettings) -> bool {
        match self.join_ways.get_mut(config_id) {
            Some(j) => {
                j.settings = settings;
                true
            }
            None => false,
        }
    }

    /// False when there was no such join way.
    pub fn remove_join_way(&mut self, config_id: &str) -> bool {
        self.join_ways.remove(config_id).is_some()
    }
}

/// An internal group chat: made by an app (`appchat/create`, with its agent id) or
/// by a member in the client (agent id 0).
#[derive(Debug, Clone)]
pub struct AppChat {
    pub name: String,
    pub owner: String,
    pub userlist: Vec<String>,
    pub agent_id: i64,
}

/// Internal group chats by chat id.
#[derive(Debug, Default)]
pub struct AppChats {
    chats: BTreeMap<String, AppChat>,
}

impl AppChats {
    pub fn contains(&self, chat_id: &str) -> bool {
        self.chats.contains_key(chat_id)
    }

    pub fn get(&self, chat_id: &str) -> Option<&AppChat> {
        self.chats.get(chat_id)
    }

    pub fn insert(&mut self, chat_id: String, chat: AppChat) {
        self.chats.insert(chat_id, chat);
    }
}

/// Who is using the simulated WeCom client.
#[derive(Debug, Default)]
pub struct ClientSession {
    /// The last member who logged in.
    member: Option<String>,
    /// The member the OAuth page approves without asking (`/sim/login?userid=`).
    auto_login: Option<String>,
}

impl ClientSession {
    pub fn member(&self) -> Option<&str> {
        self.member.as_deref()
    }

    pub fn log_in(&mut self, userid: &str) {
        self.member = Some(userid.to_string());
    }

    pub fn auto_login(&self) -> Option<&str> {
        self.auto_login.as_deref()
    }

    /// `None` turns auto-approval off.
    pub fn set_auto_login(&mut self, userid: Option<String>) {
        self.auto_login = userid;
    }
}

/// Calls per `/cgi-bin/` path since start or the last reset.
#[derive(Debug, Default)]
pub struct CallCounts {
    counts: BTreeMap<String, u64>,
    /// When the last calls to each path arrived (unix ms), oldest first.
    times: BTreeMap<String, VecDeque<i64>>,
}

/// Arrival times kept per path: enough to see how calls were spread.
const CALL_TIMES_KEPT: usize = 200;

impl CallCounts {
    pub fn record(&mut self, path: &str) {
        *self.counts.entry(path.to_string()).or_default() += 1;
        let times = self.times.entry(path.to_string()).or_default();
        if times.len() == CALL_TIMES_KEPT {
            times.pop_front();
        }
        times.push_back(desk_wecom::clock::now_millis());
    }

    pub fn counts(&self) -> &BTreeMap<String, u64> {
        &self.counts
    }

    /// When the last calls (at most 200) to each path arrived, unix ms, oldest first.
    pub fn times(&self) -> &BTreeMap<String, VecDeque<i64>> {
        &self.times
    }

    pub fn clear(&mut self) {
        self.counts.clear();
        self.times.clear();
    }
}
