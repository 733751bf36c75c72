//! Settings: one TOML file, every key overridable by `DESK__SECTION__KEY`
//! environment variables. Secrets are `SecretString`: masked in `Debug` and logs.

use std::path::Path;

use figment::providers::{Env, Format, Toml};
use figment::Figment;
use secrecy::SecretString;
use serde::Deserialize;

mod automation;
mod lists;
pub use automation::{AutomationSettings, HandoverSettings};
use lists::{list, named_secrets, secret_list};

/// Everything `wecom-desk serve` needs.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    #[serde(default)]
    pub server: ServerSettings,
    pub wecom: WeComSettings,
    #[serde(default)]
    pub callback: CallbackSettings,
    #[serde(default)]
    pub robot: RobotSettings,
    #[serde(default)]
    pub database: DatabaseSettings,
    #[serde(default)]
    pub integration: IntegrationSettings,
    #[serde(default)]
    pub contacts: ContactsSettings,
    #[serde(default)]
    pub outbox: OutboxSettings,
    #[serde(default)]
    pub pool: PoolSettings,
    #[serde(default)]
    pub groups: GroupsSettings,
    #[serde(default)]
    pub metrics: MetricsSettings,
    #[serde(default)]
    pub handover: HandoverSettings,
    #[serde(default)]
    pub automation: AutomationSettings,
}

/// The periodic re-read of the orders' groups (`groupchat/get`), which repairs what
/// missed `change_external_chat` callbacks would have told.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
#[serde(deny_unknown_fields)]
pub struct GroupsSettings {
    /// A round every this many seconds re-reads the groups not read for half of it,
    /// least recently read first; 0 turns the re-sync off.
    pub resync_every_secs: u64,
    /// At most one `groupchat/get` per this many milliseconds (WeCom allows a corp
    /// 10,000 calls a minute and 150,000 an hour per API).
    pub pace_ms: u64,
}

impl Default for GroupsSettings {
    fn default() -> Self {
        Self {
            resync_every_secs: 3600,
            pace_ms: 200,
        }
    }
}

/// `GET /metrics` (Prometheus text format) and who may read it.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
#[serde(deny_unknown_fields)]
pub struct MetricsSettings {
    /// Off: nothing is measured and `/metrics` is 404.
    pub enabled: bool,
    /// Addresses and CIDR blocks (`10.0.0.0/8`) of the TCP peer that may scrape.
    #[serde(deserialize_with = "list")]
    pub allow: Vec<String>,
    /// `Authorization: Bearer <token>` is accepted from any address.
    pub token: Option<SecretString>,
}

impl Default for MetricsSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            allow: vec!["127.0.0.1".into(), "::1".into()],
            token: None,
        }
    }
}

/// The pool of pre-built empty customer groups behind the orders' join QR codes.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
#[serde(deny_unknown_fields)]
pub struct PoolSettings {
    /// Members whose customer groups `discover` looks through (`groupchat/list`).
    #[serde(deserialize_with = "list")]
    pub owner_userids: Vec<String>,
    /// Fewer free groups than this and the admins (and the robot) hear it, once.
    pub low_threshold: i64,
}

impl Default for PoolSettings {
    fn default() -> Self {
        Self {
            owner_userids: Vec::new(),
            low_threshold: 3,
        }
    }
}

/// How patiently what goes out (robot messages, events, app messages) is retried.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
#[serde(deny_unknown_fields)]
pub struct OutboxSettings {
    /// Tries of a robot or app message before it is `failed` (the reason kept).
    pub max_attempts: i64,
    /// Tries of an event to `integration.events_url` before it is `failed`; 0 (the
    /// default): until the receiver answers 2xx.
    pub event_max_attempts: i64,
    /// The first pause after a failure; doubled each time up to `retry_max_ms`.
    pub retry_base_ms: u64,
    pub retry_max_ms: u64,
    /// How long one event POST may take (seconds).
    pub event_timeout_secs: f64,
}

impl Default for OutboxSettings {
    fn default() -> Self {
        Self {
            max_attempts: 8,
            event_max_attempts: 0,
            retry_base_ms: 1000,
            retry_max_ms: 300_000,
            event_timeout_secs: 10.0,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
#[serde(deny_unknown_fields)]
pub struct ContactsSettings {
    /// A member's customer mirror older than this is refreshed before matching.
    pub max_age_secs: u64,
    /// A forced refresh (`?refresh=true`) is honoured at most once in this many
    /// seconds per member; others are answered from the mirror with a hint.
    pub forced_refresh_secs: u64,
    /// The sidebar keeps a customer's details (`externalcontact/get`) this long; a
    /// "not your customer" is asked again (at most once per 2 s per customer).
    pub profile_ttl_secs: u64,
}

impl Default for ContactsSettings {
    fn default() -> Self {
        Self {
            max_age_secs: 600,
            forced_refresh_secs: 60,
            profile_ttl_secs: 30,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
#[serde(deny_unknown_fields)]
pub struct ServerSettings {
    /// Address to bind, e.g. `0.0.0.0:8080`; port 0 picks a free port.
    pub listen: String,
    /// The H5 origin WeCom opens (the app's trusted domain), e.g. `https://desk.example.com`.
    pub public_url: String,
    /// Serve the H5 from this directory (a `dist/` built by `scripts/build-h5.sh`)
    /// instead of the one built into the binary: for development. When not set (or
    /// empty), the binary's own H5 (`--features embed-h5`, as `make release` builds
    /// it), else `dist` in the working directory.
    pub static_dir: Option<String>,
    /// Origins whose pages may be signed, e.g. `["https://desk.example.com"]`.
    #[serde(deserialize_with = "list")]
    pub allowed_origins: Vec<String>,
    /// Members with admin rights.
    #[serde(deserialize_with = "list")]
    pub admin_userids: Vec<String>,
    /// HTTP worker threads; one per core when not set.
    pub workers: Option<usize>,
    /// Connections served at once (more wait in the system's queue until one closes):
    /// what bounds the memory a flood of connections costs, some 60 kB each busy.
    pub max_connections: usize,
    /// Simulator only: the WeCom bridge script put first in the H5's `<head>`.
    pub bridge_script: Option<String>,
    /// A session unused for this long ends (seconds).
    pub session_idle_secs: i64,
    /// A session ends this long after login however much it is used (seconds).
    pub session_max_secs: i64,
    /// How often ended sessions are deleted (seconds).
    pub session_sweep_secs: u64,
    /// WeCom's domain verification files (可信域名: `WW_verify_….txt` at the domain's
    /// root), file name → content, served at `/{name}`: no proxy rule needed.
    pub domain_verify_files: std::collections::BTreeMap<String, String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WeComSettings {
    pub corp_id: String,
    pub agent_id: i64,
    pub agent_secret: SecretString,
    #[serde(default = "default_api_base")]
    pub api_base: String,
    #[serde(default = "default_oauth_base")]
    pub oauth_base: String,
    /// Timeout of one WeCom call, in seconds.
    #[serde(default = "default_timeout_secs")]
    pub timeout_secs: u64,
    /// How long a member's request may wait on WeCom in all (retries included)
    /// before it is answered 504; background work has its own budget.
    #[serde(default = "default_request_deadline_secs")]
    pub request_deadline_secs: f64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
#[serde(deny_unknown_fields)]
pub struct CallbackSettings {
    /// The Token set under 接收消息 in the admin console.
    pub token: Option<SecretString>,
    /// The 43-character EncodingAESKey set under 接收消息.
    pub encoding_aes_key: Option<SecretString>,
    /// Callbacks whose `timestamp` is further than this from now are refused (seconds).
    pub max_clock_skew_secs: i64,
    /// Deliveries taken in at once (read, decrypted, waiting for the database writer);
    /// past it a callback waits at most 2 s for room, its body unread, then is answered
    /// 503 (WeCom sends it again) instead of held in memory.
    pub inbox_queue: usize,
}

impl Default for CallbackSettings {
    fn default() -> Self {
        Self {
            token: None,
            encoding_aes_key: None,
            max_clock_skew_secs: 3600,
            inbox_queue: 4096,
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RobotSettings {
    /// Group robot webhook URLs (each carries its key: a secret), by name: a table
    /// `{name = url}`, or a list (named `1`, `2`, … in order).
    #[serde(default, deserialize_with = "named_secrets")]
    pub webhook_urls: Vec<(String, SecretString)>,
    /// The robot a notification naming none goes to; the first one when not set.
    #[serde(default)]
    pub default: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSettings {
    /// `sqlite://…` (one instance) or `postgres://…` (several); a secret, since a
    /// PostgreSQL URL carries its password.
    pub url: SecretString,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
#[serde(deny_unknown_fields)]
pub struct IntegrationSettings {
    /// Bearer keys the business system uses on `/api/v1/`.
    #[serde(deserialize_with = "secret_list")]
    pub api_keys: Vec<SecretString>,
    pub events_url: Option<String>,
    pub events_secret: Option<SecretString>,
    /// `embedded` (orders are pushed with `PUT /api/v1/orders/{id}`) or an http(s)
    /// URL template of the business system with `{id}` in it, asked for an order a
    /// member opens that the server does not hold (or holds older than the TTL).
    pub order_source: String,
    /// Headers sent with every order fetch, e.g. `Authorization`; the values are secrets.
    pub order_source_headers: std::collections::BTreeMap<String, SecretString>,
    /// How long a pulled order is used before it is fetched again (seconds).
    pub order_source_ttl_secs: u64,
    /// How long one order fetch may take (seconds).
    pub order_source_timeout_secs: f64,
}

impl Default for ServerSettings {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8080".into(),
            public_url: "http://127.0.0.1:8080".into(),
            static_dir: None,
            allowed_origins: Vec::new(),
            admin_userids: Vec::new(),
            workers: None,
            max_connections: 2048,
            bridge_script: None,
            session_idle_secs: 2 * 3600,
            session_max_secs: 12 * 3600,
            session_sweep_secs: 600,
            domain_verify_files: Default::default(),
        }
    }
}

impl Default for DatabaseSettings {
    fn default() -> Self {
        Self {
            url: "sqlite://data/desk.db".into(),
        }
    }
}

impl Default for IntegrationSettings {
    fn default() -> Self {
        Self {
            api_keys: Vec::new(),
            events_url: None,
            events_secret: None,
            order_source: "embedded".into(),
            order_source_headers: Default::default(),
            order_source_ttl_secs: 60,
            order_source_timeout_secs: 3.0,
        }
    }
}

fn default_api_base() -> String {
    "https://qyapi.weixin.qq.com".into()
}
fn default_oauth_base() -> String {
    "https://open.weixin.qq.com".into()
}
fn default_timeout_secs() -> u64 {
    10
}
fn default_request_deadline_secs() -> f64 {
    8.0
}

impl Settings {
    /// Loads `path` (if given) and then the `DESK__` environment on top.
    pub fn load(path: Option<&Path>) -> Result<Self, Box<figment::Error>> {
        let mut figment = Figment::new();
        if let Some(path) = path {
            figment = figment.merge(Toml::file_exact(path));
        }
        Self::from_figment(figment.merge(Env::prefixed("DESK__").split("__")))
    }

    /// Parses settings from TOML text (`demo`), with the `DESK__` environment on top.
    pub fn from_toml(text: &str) -> Result<Self, Box<figment::Error>> {
        Self::from_figment(
            Figment::new()
                .merge(Toml::string(text))
                .merge(Env::prefixed("DESK__").split("__")),
        )
    }

    /// Parses settings from TOML text alone, whatever `DESK__` variables are set:
    /// tests and benchmarks, which a developer's environment must not redirect.
    pub fn from_toml_only(text: &str) -> Result<Self, Box<figment::Error>> {
        Self::from_figment(Figment::new().merge(Toml::string(text)))
    }

    fn from_figment(figment: Figment) -> Result<Self, Box<figment::Error>> {
        figment.extract().map_err(Box::new)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    const MINIMAL: &str = r#"
        [wecom]
        corp_id = "ww1"
        agent_id = 1000002
        agent_secret = "s3cret-value"
        [callback]
        token = "tok-value"
        [robot]
        webhook_urls = ["https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=robot-key-value"]
        [database]
        url = "postgres://desk:db-password-value@db.internal/desk"
    "#;

    #[test]
    fn defaults_fill_what_the_file_leaves_out() {
        let s = Settings::from_toml_only(MINIMAL.split("[database]").next().unwrap_or_default())
            .expect("parse");
        assert_eq!(s.database.url.expose_secret(), "sqlite://data/desk.db");
        assert_eq!(s.wecom.api_base, "https://qyapi.weixin.qq.com");
        assert_eq!(s.integration.order_source, "embedded");
        assert_eq!(s.wecom.agent_secret.expose_secret(), "s3cret-value");
        assert_eq!((s.groups.resync_every_secs, s.groups.pace_ms), (3600, 200));
    }

    #[test]
    fn the_documented_example_configuration_is_valid() {
        let s = Settings::from_toml_only(include_str!("../../../docs/config.example.toml"))
            .expect("example");
        assert_eq!(s.server.allowed_origins, vec!["https://desk.example.com"]);
        assert_eq!(s.wecom.agent_id, 1000002);
        // Installed as it is, the release serves the H5 built into it.
        assert_eq!(s.server.static_dir, None);
    }

    #[test]
    fn debug_output_never_shows_secrets() {
        let s = Settings::from_toml_only(MINIMAL).expect("parse");
        let debug = format!("{s:?}");
        for secret in [
            "s3cret-value",
            "tok-value",
            "robot-key-value",
            "db-password-value",
        ] {
            assert!(!debug.contains(secret), "{secret} leaked into Debug");
        }
        assert!(debug.contains("ww1"));
    }

    #[test]
    #[allow(clippy::result_large_err)] // figment's Jail API
    fn environment_overrides_file_keys_and_splits_lists() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("DESK__WECOM__AGENT_SECRET", "from-env");
            jail.set_env(
                "DESK__SERVER__ALLOWED_ORIGINS",
                "https://a.example.com, https://b.example.com",
            );
            jail.set_env("DESK__DATABASE__URL", "sqlite::memory:");
            let s = Settings::from_toml(MINIMAL).expect("parse");
            assert_eq!(s.wecom.agent_secret.expose_secret(), "from-env");
            assert_eq!(
                s.server.allowed_origins,
                vec!["https://a.example.com", "https://b.example.com"]
            );
            assert_eq!(s.database.url.expose_secret(), "sqlite::memory:");
            Ok(())
        });
    }

    #[test]
    #[allow(clippy::result_large_err)] // figment's Jail API
    fn toml_only_settings_ignore_the_environment() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("DESK__DATABASE__URL", "sqlite://from-env.db");
            jail.set_env("DESK__WECOM__AGENT_SECRET", "from-env");
            let s = Settings::from_toml_only(MINIMAL).expect("parse");
            assert_eq!(
                s.database.url.expose_secret(),
                "postgres://desk:db-password-value@db.internal/desk"
            );
            assert_eq!(s.wecom.agent_secret.expose_secret(), "s3cret-value");
            Ok(())
        });
    }

    #[test]
    fn an_unknown_key_is_an_error_naming_it() {
        let err =
            Settings::from_toml_only(&format!("{MINIMAL}\n[integration]\norder_sourse = \"x\"\n"))
                .expect_err("a typo must not be ignored");
        assert!(err.to_string().contains("order_sourse"), "{err}");
        let err = Settings::from_toml_only(&format!("{MINIMAL}\n[nonsense]\nx = 1\n"))
            .expect_err("an unknown section too");
        assert!(err.to_string().contains("nonsense"), "{err}");
    }

    #[test]
    fn a_missing_required_key_is_named_in_the_error() {
        let err = Settings::from_toml_only("[wecom]\ncorp_id = \"ww1\"\n").expect_err("must fail");
        assert!(err.to_string().contains("agent_id"), "{err}");
    }
}
