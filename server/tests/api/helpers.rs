//! `spawn_simulator()` and `spawn_app()`: the real things on port 0.

use std::time::Duration;

use desk_server::config::Settings;
use desk_server::startup::Application;
use desk_server::wecom::{RetryPolicy, WeComClient};
pub use desk_simulator::Fixture;
use desk_simulator::SimulatorServer;
use serde_json::Value;

/// The demo corp's app credentials.
pub const CORP_ID: &str = "wwdemo0000000001";
pub const AGENT_ID: i64 = 1000002;
pub const SECRET: &str = "demo-agent-secret-0001";
pub const CALLBACK_TOKEN: &str = "demoCallbackToken";
pub const CALLBACK_KEY: &str = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C";
pub const ORIGIN: &str = "https://desk.example.com";
pub const API_KEY: &str = "test-api-key-0001";

/// Short pauses so retry tests run fast; same shape as production.
pub fn fast_retry() -> RetryPolicy {
    RetryPolicy {
        retries: 3,
        base_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(50),
    }
}

#[derive(Clone)]
pub struct Sim {
    pub url: String,
    /// Does not follow redirects, so tests can read each hop.
    pub http: reqwest::Client,
}

/// The simulator with the demo corp.
pub async fn spawn_simulator() -> Sim {
    spawn_simulator_with(Fixture::demo()).await
}

/// The demo corp plus `extra` fixture TOML (e.g. `[[generate]]` customers).
pub fn demo_fixture_with(extra: &str) -> Fixture {
    Fixture::from_toml(&format!(
        "{}\n{extra}",
        desk_simulator::fixture::DEMO_FIXTURE
    ))
    .expect("fixture")
}

/// The simulator with a given corp.
pub async fn spawn_simulator_with(fixture: Fixture) -> Sim {
    let server = SimulatorServer::bind(fixture, "127.0.0.1:0").expect("bind simulator");
    let (url, _handle) = server.spawn();
    let sim = Sim {
        url,
        http: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client"),
    };
    // Callbacks go nowhere until a server is up (then `spawn_app…` points them at it),
    // never to the fixture's address, where a developer's demo may be listening.
    sim.set_callback_url("").await;
    sim
}

impl Sim {
    /// The body of a GET to a full URL (e.g. the OAuth page).
    pub async fn page(&self, url: &str) -> String {
        self.http
            .get(url)
            .send()
            .await
            .expect("simulator answers")
            .text()
            .await
            .expect("text")
    }

    /// An access token for the demo app (`gettoken`).
    pub async fn token(&self) -> String {
        let v = self
            .get_json(&format!(
                "/cgi-bin/gettoken?corpid={CORP_ID}&corpsecret={SECRET}"
            ))
            .await;
        v["access_token"].as_str().expect("token").to_string()
    }

    /// The simulated client is logged in as `userid`.
    pub async fn client_login(&self, userid: &str) {
        let r = self
            .http
            .get(format!("{}/sim/login?userid={userid}", self.url))
            .send()
            .await
            .expect("login");
        assert!(r.status().is_success(), "{}", r.status());
    }

    /// Calls to one `/cgi-bin/` path so far.
    pub async fn calls(&self, path: &str) -> u64 {
        let v: Value = self.get_json("/sim/stats").await;
        v["calls"][path].as_u64().unwrap_or(0)
    }

    pub async fn get_json(&self, path: &str) -> Value {
        self.http
            .get(format!("{}{path}", self.url))
            .send()
            .await
            .expect("simulator answers")
            .json()
            .await
            .expect("simulator JSON")
    }

    pub async fn set_faults(&self, faults: Value) {
        let r = self
            .http
            .put(format!("{}/sim/faults", self.url))
            .json(&faults)
            .send()
            .await
            .expect("set faults");
        assert!(r.status().is_success());
    }

    /// Where the simulator raises callbacks (`""`: nowhere).
    pub async fn set_callback_url(&self, url: &str) {
        let r = self
            .http
            .put(format!("{}/sim/callback", self.url))
            .json(&serde_json::json!({ "url": url }))
            .send()
            .await
            .expect("set callback");
        assert!(r.status().is_success(), "{}", r.status());
    }

    /// Moves the simulator's clock forward by `secs`.
    pub async fn advance(&self, secs: u64) {
        let r = self
            .http
            .post(format!("{}/sim/clock", self.url))
            .json(&serde_json::json!({ "secs": secs }))
            .send()
            .await
            .expect("advance the clock");
        assert!(r.status().is_success(), "{}", r.status());
    }

    pub async fn revoke_tokens(&self) {
        let r = self
            .http
            .post(format!("{}/sim/tokens/revoke", self.url))
            .send()
            .await
            .expect("revoke");
        assert!(r.status().is_success());
    }

    /// Tickets the simulator has issued and still honours: (corp, app).
    pub async fn tickets(&self) -> (Vec<String>, Vec<String>) {
        let v = self.get_json("/sim/tickets").await;
        let list = |v: &Value| {
            v.as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|s| s.as_str().map(String::from))
                        .collect()
                })
                .unwrap_or_default()
        };
        (list(&v["corp"]), list(&v["agent"][AGENT_ID.to_string()]))
    }

    /// A `WeComClient` for the demo app pointed at this simulator.
    pub fn client(&self) -> WeComClient {
        self.client_with_secret(SECRET)
    }

    pub fn client_with_secret(&self, secret: &str) -> WeComClient {
        self.client_on(secret, desk_server::clock::Clock::system())
    }

    /// A client for the demo app whose credentials' lifetimes run on `clock`.
    pub fn client_on(&self, secret: &str, clock: desk_server::clock::Clock) -> WeComClient {
        WeComClient::build(
            &settings_toml(&self.url, secret, "sqlite::memory:").wecom,
            fast_retry(),
            clock,
        )
        .expect("client")
    }
}

pub fn settings_toml(sim_url: &str, secret: &str, db: &str) -> Settings {
    Settings::from_toml_only(&config_text(sim_url, secret, db)).expect("test settings")
}

/// A complete config file for the demo corp against `sim_url`.
pub fn config_text(sim_url: &str, secret: &str, db: &str) -> String {
    format!(
        r#"
        [server]
        listen = "127.0.0.1:0"
        public_url = "{ORIGIN}"
        static_dir = "/nonexistent-static-dir"
        allowed_origins = ["{ORIGIN}"]
        admin_userids = ["wangqiang"]
        [wecom]
        corp_id = "{CORP_ID}"
        agent_id = {AGENT_ID}
        agent_secret = "{secret}"
        api_base = "{sim_url}"
        oauth_base = "{sim_url}"
        [callback]
        token = "{CALLBACK_TOKEN}"
        encoding_aes_key = "{CALLBACK_KEY}"
        [database]
        url = "{db}"
        [integration]
        api_keys = ["{API_KEY}"]
        [automation]
        # A new order's app message would race a test's "the next call fails" faults:
        # on where a test is about it (storevisit).
        announce_new_orders = false
        "#
    )
}

pub struct TestApp {
    pub address: String,
    pub http: reqwest::Client,
    pub sim: Sim,
    pub db_url: String,
    _dir: TestDir,
    /// The one pool the test reads the app's database through (opened on first use).
    pool: tokio::sync::OnceCell<desk_server::db::Db>,
    /// The app's clock: a test moves it forward instead of sleeping.
    pub clock: desk_server::clock::Clock,
    /// Rounds its background workers finished: a test waits on them, not on time.
    pub rounds: desk_server::workers::Rounds,
}

/// The temp dir a test's database (and files) live in, removed with the last user.
#[allow(dead_code)] // held only to be dropped
enum TestDir {
    Own(tempfile::TempDir),
    Shared(std::sync::Arc<tempfile::TempDir>),
}

/// The server against a fresh simulator and a fresh database file.
pub async fn spawn_app() -> TestApp {
    spawn_app_on(spawn_simulator().await).await
}

/// The server against a given simulator (set faults first to shape its start).
pub async fn spawn_app_on(sim: Sim) -> TestApp {
    spawn_app_with(sim, |config| config).await
}

/// A fresh database for one test: a SQLite file in `dir`, or, when the suite runs
/// with `DESK_TEST_DATABASE=postgres` (make test does, under
/// scripts/with-postgres.sh), a new database in the throw-away cluster.
pub async fn fresh_database_url(dir: &std::path::Path) -> String {
    if std::env::var("DESK_TEST_DATABASE").as_deref() != Ok("postgres") {
        return format!("sqlite://{}/desk.db", dir.display());
    }
    let admin = std::env::var("DESK_TEST_POSTGRES_URL").expect(
        "DESK_TEST_DATABASE=postgres needs DESK_TEST_POSTGRES_URL (scripts/with-postgres.sh)",
    );
    let name = format!("desk_test_{:016x}", rand::random::<u64>());
    sqlx::any::install_default_drivers();
    let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&admin)
        .await
        .expect("connect to the test cluster");
    sqlx::Executor::execute(&mut conn, format!("CREATE DATABASE {name}").as_str())
        .await
        .expect("create a test database");
    let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
    format!("{base}/{name}")
}

/// Whether this run is against PostgreSQL.
pub fn on_postgres() -> bool {
    std::env::var("DESK_TEST_DATABASE").as_deref() == Ok("postgres")
}

/// `n` servers on one database (several instances behind a load balancer), all
/// against `sim`.
pub async fn spawn_instances(sim: &Sim, n: usize) -> Vec<TestApp> {
    spawn_instances_with(sim, n, |c| c).await
}

/// As `spawn_instances`, each with its config changed by `edit`.
pub async fn spawn_instances_with(
    sim: &Sim,
    n: usize,
    edit: impl Fn(String) -> String,
) -> Vec<TestApp> {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = fresh_database_url(dir.path()).await;
    let dir = std::sync::Arc::new(dir);
    let mut apps = Vec::new();
    for i in 0..n {
        let settings =
            Settings::from_toml_only(&edit(config_text(&sim.url, SECRET, &db))).expect("settings");
        // Callbacks go to the first instance.
        apps.push(start(sim.clone(), settings, TestDir::Shared(dir.clone()), i == 0).await);
    }
    apps
}

/// The server with its config text changed by `edit` (e.g. another `static_dir`).
pub async fn spawn_app_with(sim: Sim, edit: impl FnOnce(String) -> String) -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = fresh_database_url(dir.path()).await;
    let settings =
        Settings::from_toml_only(&edit(config_text(&sim.url, SECRET, &db))).expect("settings");
    start(sim, settings, TestDir::Own(dir), true).await
}

/// The server on a database the test prepared (`db`, which may live in `dir`), with
/// its config text changed by `edit`.
pub async fn spawn_app_at(
    sim: Sim,
    dir: tempfile::TempDir,
    db: &str,
    edit: impl FnOnce(String) -> String,
) -> TestApp {
    let settings =
        Settings::from_toml_only(&edit(config_text(&sim.url, SECRET, db))).expect("settings");
    start(sim, settings, TestDir::Own(dir), true).await
}

/// The one way a test starts a server: built on its own clock, served in the
/// background, the simulator's callbacks pointed at it when `callbacks`.
async fn start(sim: Sim, settings: Settings, dir: TestDir, callbacks: bool) -> TestApp {
    let db_url = secrecy::ExposeSecret::expose_secret(&settings.database.url).to_string();
    let clock = desk_server::clock::Clock::system();
    let app = Application::build_with(settings, fast_retry(), clock.clone())
        .await
        .expect("build app");
    let address = format!("http://127.0.0.1:{}", app.port());
    let rounds = app.rounds();
    tokio::spawn(app.run_until_stopped());
    // The first read of who left (at start) is done: a test that injects "the next N
    // calls fail" gets them for its own calls, not for this one's.
    tokio::time::timeout(
        Duration::from_secs(30),
        rounds.reached("handover.leavers", 1),
    )
    .await
    .expect("the first read of who left within 30 s");
    // And the first read of the group statistics (WeCom is asked only when orders
    // have groups, as on a prepared database).
    tokio::time::timeout(Duration::from_secs(30), rounds.reached("stats.groups", 1))
        .await
        .expect("the first read of the group statistics within 30 s");
    if callbacks {
        sim.set_callback_url(&format!("{address}/wecom/callback"))
            .await;
    }
    TestApp {
        address,
        http: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client"),
        sim,
        db_url,
        _dir: dir,
        pool: Default::default(),
        clock,
        rounds,
    }
}

impl TestApp {
    /// Waits until background `worker` has finished two more rounds, so one round
    /// started after this call (30 s at most).
    pub async fn worker_looked(&self, worker: &'static str) {
        tokio::time::timeout(Duration::from_secs(30), self.rounds.wait(worker, 2))
            .await
            .unwrap_or_else(|_| panic!("worker {worker} finished no two rounds in 30 s"));
    }

    /// Moves the app's and the simulator's clocks forward by `secs`.
    pub async fn advance(&self, secs: u64) {
        self.clock.advance(Duration::from_secs(secs));
        self.sim.advance(secs).await;
    }
    /// The app's database, for checks no API shows.
    /// The app's database, through one pool for the whole test (migrations are the
    /// server's: already run).
    pub async fn db(&self) -> desk_server::db::Db {
        self.pool
            .get_or_init(|| async {
                desk_server::db::connect(&self.db_url)
                    .await
                    .expect("test database")
            })
            .await
            .clone()
    }

    /// The number a `SELECT COUNT(*) …` query answers on the app's database.
    pub async fn count(&self, sql: &str) -> i64 {
        let (n,): (i64,) = sqlx::query_as(sql)
            .fetch_one(&self.db().await)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
        n
    }

    pub async fn post_signatures(&self, url: &str) -> reqwest::Response {
        self.http
            .post(format!("{}/api/jssdk/signatures", self.address))
            .json(&serde_json::json!({ "url": url }))
            .send()
            .await
            .expect("server answers")
    }

    /// Logs `userid` in through `/auth/login`, the simulator's OAuth page and
    /// `/auth/callback`; returns the `desk_session=…` cookie.
    pub async fn login(&self, userid: &str) -> String {
        let done = self.login_from("next=/", userid).await;
        assert_eq!(done.status(), 302, "login as {userid}");
        cookie_pair(&done, "desk_session").expect("session cookie")
    }

    /// Runs the whole login for `userid` from `/auth/login?{login_query}`; answers
    /// what `/auth/callback` answered.
    pub async fn login_from(&self, login_query: &str, userid: &str) -> reqwest::Response {
        login_at(&self.http, &self.address, &self.sim, login_query, userid).await
    }

    /// A customer group made in the simulated client by `creator` with `staff` and
    /// `customers`, as `openEnterpriseChat` does; its chat id.
    pub async fn make_customer_group(
        &self,
        creator: &str,
        staff: &[&str],
        customers: &[&str],
    ) -> String {
        self.sim.client_login(creator).await;
        let v: Value = self
            .sim
            .http
            .post(format!("{}/sim/client/enterprise-chat", self.sim.url))
            .json(&serde_json::json!({"groupName": "王女士-城南店装修服务群", "userIds": staff, "externalUserIds": customers}))
            .send()
            .await
            .expect("create")
            .json()
            .await
            .expect("json");
        v["chatId"].as_str().expect("chat id").to_string()
    }

    /// `GET path` as the member behind `session`.
    pub async fn get_as(&self, session: &str, path: &str) -> reqwest::Response {
        self.http
            .get(format!("{}{path}", self.address))
            .header("cookie", session)
            .send()
            .await
            .expect("server answers")
    }

    /// The JSON of `GET path` as the member behind `session`, which must answer 200.
    pub async fn json_as(&self, session: &str, path: &str) -> Value {
        let r = self.get_as(session, path).await;
        assert_eq!(r.status(), 200, "{path}");
        r.json().await.expect("json")
    }

    /// `POST path` with a JSON body as the member behind `session`.
    pub async fn post_as(&self, session: &str, path: &str, body: &Value) -> reqwest::Response {
        self.http
            .post(format!("{}{path}", self.address))
            .header("cookie", session)
            .json(body)
            .send()
            .await
            .expect("server answers")
    }

    /// `method path` (with a JSON body when given) as the member behind `session`, or
    /// with no session.
    pub async fn send_as(
        &self,
        session: Option<&str>,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
    ) -> reqwest::Response {
        let mut req = self.http.request(method, format!("{}{path}", self.address));
        if let Some(session) = session {
            req = req.header("cookie", session);
        }
        match body {
            Some(body) => req = req.json(body),
            // What the H5 sends with a request that has no body.
            None => req = req.header("x-desk-request", "1"),
        }
        req.send().await.expect("server answers")
    }

    /// `PUT /api/v1/orders/{id}` with the integration API key.
    pub async fn put_order(&self, id: &str, body: &Value) -> reqwest::Response {
        self.http
            .put(format!("{}/api/v1/orders/{id}", self.address))
            .bearer_auth(API_KEY)
            .json(body)
            .send()
            .await
            .expect("server answers")
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.http
            .get(format!("{}{path}", self.address))
            .send()
            .await
            .expect("server answers")
    }
}

/// The `{code, message}` body of an error answer, checked for shape.
pub async fn error_body(resp: reqwest::Response) -> desk_shared::ApiError {
    let e: desk_shared::ApiError = resp.json().await.expect("{code, message} body");
    assert!(!e.code.is_empty() && !e.message.is_empty());
    e
}

pub fn header(resp: &reqwest::Response, name: &str) -> String {
    resp.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

/// The whole Set-Cookie line for `name` (with its attributes).
pub fn set_cookie(resp: &reqwest::Response, name: &str) -> Option<String> {
    resp.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with(&format!("{name}=")))
        .map(String::from)
}

/// `name=value` of the Set-Cookie for `name`: what the browser sends back.
pub fn cookie_pair(resp: &reqwest::Response, name: &str) -> Option<String> {
    set_cookie(resp, name).map(|c| c.split(';').next().unwrap_or_default().to_string())
}

/// `wecom-desk serve` as its own process (the real binary) against `sim`, with its
/// config changed by `edit`; killed when dropped.
pub struct ServeProcess {
    pub child: tokio::process::Child,
    pub pid: u32,
    pub address: String,
    pub http: reqwest::Client,
    /// Every log line the server printed before it said it was listening.
    pub startup_log: Vec<String>,
    /// The lines it prints after that, as they come.
    pub log: tokio::sync::mpsc::UnboundedReceiver<String>,
    _dir: tempfile::TempDir,
}

impl ServeProcess {
    pub async fn start(sim: &Sim, edit: impl FnOnce(String) -> String) -> Self {
        let dir = tempfile::tempdir().expect("dir");
        let db = fresh_database_url(dir.path()).await;
        Self::start_on(sim, dir, &db, edit).await
    }

    /// As `start`, on the database `db` (which may live in `dir`): a server started
    /// again after another one stopped.
    pub async fn start_on(
        sim: &Sim,
        dir: tempfile::TempDir,
        db: &str,
        edit: impl FnOnce(String) -> String,
    ) -> Self {
        use tokio::io::{AsyncBufReadExt, BufReader};

        let config = dir
            .path()
            .join(format!("desk-{:x}.toml", rand::random::<u32>()));
        std::fs::write(&config, edit(config_text(&sim.url, SECRET, db))).expect("config");
        let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_wecom-desk"))
            .args(["serve", "--config"])
            .arg(&config)
            .env("RUST_LOG", "info")
            .env("NO_COLOR", "1")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("serve");
        let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let mut startup_log = Vec::new();
        let port = loop {
            let line = lines
                .next_line()
                .await
                .expect("read")
                .expect("a 'listening' line");
            startup_log.push(line.clone());
            if let Some(p) = line.split("port=").nth(1) {
                break p
                    .trim()
                    .trim_matches(|c: char| !c.is_ascii_digit())
                    .to_string();
            }
        };
        // Keep reading, so the server never blocks on a full pipe.
        let (tx, log) = tokio::sync::mpsc::unbounded_channel();
        tokio::spawn(async move {
            while let Ok(Some(line)) = lines.next_line().await {
                let _ = tx.send(line);
            }
        });
        let pid = child.id().expect("pid");
        Self {
            child,
            pid,
            address: format!("http://127.0.0.1:{port}"),
            http: reqwest::Client::new(),
            startup_log,
            log,
            _dir: dir,
        }
    }
}

/// WeCom's side of the callback crypto for the demo app.
pub fn wecom_crypto() -> desk_server::wecom::crypto::CallbackCrypto {
    desk_server::wecom::crypto::CallbackCrypto::new(
        CALLBACK_TOKEN.to_string().into(),
        CALLBACK_KEY,
        CORP_ID,
    )
    .expect("keys")
}

/// The plaintext of a member's text message to the app, as WeCom sends it.
pub fn text_message(from: &str, content: &str, msg_id: u64) -> String {
    format!(
        "<xml><ToUserName><![CDATA[{CORP_ID}]]></ToUserName><FromUserName><![CDATA[{from}]]></FromUserName><CreateTime>{}</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[{content}]]></Content><MsgId>{msg_id}</MsgId><AgentID>{AGENT_ID}</AgentID></xml>",
        desk_server::clock::now_secs()
    )
}

/// `plain` encrypted and signed as WeCom posts it to `{address}/wecom/callback`.
pub async fn post_callback(
    http: &reqwest::Client,
    address: &str,
    plain: &str,
) -> reqwest::Response {
    let c = wecom_crypto();
    let encrypt = c.encrypt(plain);
    let ts = desk_server::clock::now_secs().to_string();
    let nonce = format!("{:x}", rand::random::<u32>());
    let sig = c.sign(&ts, &nonce, &encrypt);
    http.post(format!(
        "{address}/wecom/callback?msg_signature={sig}&timestamp={ts}&nonce={nonce}"
    ))
    .body(format!(
        "<xml><ToUserName><![CDATA[{CORP_ID}]]></ToUserName><Encrypt><![CDATA[{encrypt}]]></Encrypt><AgentID><![CDATA[{AGENT_ID}]]></AgentID></xml>"
    ))
    .send()
    .await
    .expect("callback answered")
}

/// Polls `check` every 50 ms until it answers `Some`, or panics after `secs` saying
/// what was awaited.
pub async fn eventually<T, F, Fut>(what: &str, secs: u64, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out after {secs} s waiting for: {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// `POST /api/v1/notifications` with `body`, checked to be accepted (202, queued);
/// its id.
pub async fn app_notify_ok(app: &TestApp, body: Value) -> String {
    let r = app.notify(body).await;
    assert_eq!(r.status(), 202);
    let v: Value = r.json().await.expect("json");
    assert_eq!(v["status"], "queued");
    v["id"].as_str().expect("id").to_string()
}

impl Sim {
    /// What the simulator accepted through `via` (`webhook/send`, `message/send`, …),
    /// as (to, body), oldest first.
    pub async fn sent(&self, via: &str) -> Vec<(String, Value)> {
        let v = self.get_json("/sim/messages").await;
        v["messages"]
            .as_array()
            .expect("messages")
            .iter()
            .filter(|m| m["via"] == via)
            .map(|m| {
                (
                    m["to"].as_str().unwrap_or_default().to_string(),
                    m["body"].clone(),
                )
            })
            .collect()
    }

    /// The texts the robots posted.
    pub async fn robot_texts(&self) -> Vec<String> {
        self.sent("webhook/send")
            .await
            .into_iter()
            .map(|(_, b)| {
                b["text"]["content"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string()
            })
            .collect()
    }
}

impl TestApp {
    /// `POST /api/v1/notifications` with `body`.
    pub async fn notify(&self, body: Value) -> reqwest::Response {
        self.v1(reqwest::Method::POST, "/notifications")
            .json(&body)
            .send()
            .await
            .expect("answer")
    }

    /// `GET /api/v1/notifications/{id}`.
    pub async fn notification(&self, id: &str) -> Value {
        self.v1(reqwest::Method::GET, &format!("/notifications/{id}"))
            .send()
            .await
            .expect("answer")
            .json()
            .await
            .expect("json")
    }

    /// `plain` delivered to this server's callback endpoint.
    pub async fn deliver(&self, plain: &str) -> reqwest::Response {
        post_callback(&self.http, &self.address, plain).await
    }

    /// A request to `/api/v1/…` with the integration API key.
    pub fn v1(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, format!("{}/api/v1{path}", self.address))
            .bearer_auth(API_KEY)
    }

    /// The JSON of `GET /api/v1{path}` with the integration API key.
    pub async fn v1_json(&self, path: &str) -> Value {
        self.v1(reqwest::Method::GET, path)
            .send()
            .await
            .expect("answer")
            .json()
            .await
            .expect("json")
    }
}

impl TestApp {
    /// Sends `method target` exactly as written (no URL parser normalises `..` or
    /// `%2E%2E` away, as an attacker's raw client would not) with the given headers
    /// and body; the answer's status and body.
    pub async fn raw(
        &self,
        method: &str,
        target: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> (u16, String) {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let host = self.address.trim_start_matches("http://");
        let mut stream = tokio::net::TcpStream::connect(host).await.expect("connect");
        let mut request = format!(
            "{method} {target} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nContent-Length: {}\r\n",
            body.len()
        );
        for (name, value) in headers {
            request.push_str(&format!("{name}: {value}\r\n"));
        }
        request.push_str("\r\n");
        request.push_str(body);
        stream.write_all(request.as_bytes()).await.expect("write");
        let mut answer = Vec::new();
        stream.read_to_end(&mut answer).await.expect("read");
        let answer = String::from_utf8_lossy(&answer).into_owned();
        let status = answer
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .expect("a status line");
        let body = answer
            .split_once("\r\n\r\n")
            .map(|(_, b)| b.to_string())
            .unwrap_or_default();
        (status, body)
    }
}

/// For a test of several instances: fails (never passes silently) off PostgreSQL.
pub fn require_postgres() {
    assert!(
        on_postgres(),
        "this test needs PostgreSQL (DESK_TEST_DATABASE=postgres): run it with `make unit`"
    );
}

/// For a test of SQLite's one instance: fails (never passes silently) on PostgreSQL.
pub fn require_sqlite() {
    assert!(
        !on_postgres(),
        "this test is about SQLite's one instance: run it without DESK_TEST_DATABASE"
    );
}
pub use crate::fixtures::OrderFields;

impl TestApp {
    /// Pushes order `id` (「{id} 新房装修」, the default people) and expects it stored.
    pub async fn put_order_for(&self, id: &str) {
        let title = format!("{id} 新房装修");
        let order = OrderFields {
            title: &title,
            ..Default::default()
        }
        .json();
        assert!(
            self.put_order(id, &order).await.status().is_success(),
            "{id}"
        );
    }

    /// Order `id` as the member behind `session` sees it.
    pub async fn order_as(&self, session: &str, id: &str) -> Value {
        self.get_as(session, &format!("/api/orders/{id}"))
            .await
            .json()
            .await
            .expect("json")
    }
}

/// WeCom's silent login as `userid` on the server at `address` (through `sim`'s OAuth
/// page): the callback's answer.
pub async fn login_at(
    http: &reqwest::Client,
    address: &str,
    sim: &Sim,
    login_query: &str,
    userid: &str,
) -> reqwest::Response {
    let start = http
        .get(format!("{address}/auth/login?{login_query}"))
        .send()
        .await
        .expect("login");
    assert_eq!(start.status(), 302, "{login_query}");
    let state_cookie = cookie_pair(&start, "desk_oauth").expect("state cookie");
    let authorize = url::Url::parse(&header(&start, "location")).expect("authorize");
    let q: std::collections::HashMap<_, _> = authorize.query_pairs().into_owned().collect();
    let approve = sim
        .http
        .get(format!("{}/connect/oauth2/approve", sim.url))
        .query(&[
            ("userid", userid),
            ("redirect_uri", &q["redirect_uri"]),
            ("state", &q["state"]),
        ])
        .send()
        .await
        .expect("approve");
    let back = url::Url::parse(&header(&approve, "location")).expect("back");
    http.get(format!(
        "{}/auth/callback?{}",
        address,
        back.query().unwrap_or_default()
    ))
    .header("cookie", state_cookie)
    .send()
    .await
    .expect("callback")
}

impl ServeProcess {
    /// A session for `userid` on this server.
    pub async fn login(&self, sim: &Sim, userid: &str) -> String {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        let done = login_at(&http, &self.address, sim, "next=/", userid).await;
        assert_eq!(done.status(), 302, "login as {userid}");
        cookie_pair(&done, "desk_session").expect("session cookie")
    }
}

/// The resident memory of process `pid` (kB), from `/proc`.
pub fn resident_kb(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("proc status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS")
}

/// The secret test servers sign events with.
pub const EVENTS_SECRET: &str = "test-events-secret";

/// What an events receiver was sent: (X-Desk-Signature, body), in order.
pub type Received = std::sync::Arc<parking_lot::Mutex<Vec<(String, String)>>>;

/// The business system's events endpoint on port 0: answers 500 to the first
/// `fail_first` posts, then 204.
pub async fn events_receiver(fail_first: usize) -> (String, Received) {
    let got: Received = Default::default();
    let seen = got.clone();
    let server = actix_web::HttpServer::new(move || {
        let seen = seen.clone();
        actix_web::App::new().default_service(actix_web::web::to(
            move |req: actix_web::HttpRequest, body: actix_web::web::Bytes| {
                let seen = seen.clone();
                async move {
                    let sig = req
                        .headers()
                        .get("x-desk-signature")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default()
                        .to_string();
                    let mut seen = seen.lock();
                    seen.push((sig, String::from_utf8_lossy(&body).into_owned()));
                    if seen.len() <= fail_first {
                        actix_web::HttpResponse::InternalServerError().finish()
                    } else {
                        actix_web::HttpResponse::NoContent().finish()
                    }
                }
            },
        ))
    })
    .workers(1)
    .bind("127.0.0.1:0")
    .expect("bind receiver");
    let url = format!("http://{}/events", server.addrs()[0]);
    tokio::spawn(server.run());
    (url, got)
}

/// The events a receiver got of `kind`: their `data`.
pub fn events_of(got: &Received, kind: &str) -> Vec<Value> {
    got.lock()
        .iter()
        .filter_map(|(_, body)| serde_json::from_str::<Value>(body).ok())
        .filter(|e| e["type"] == kind)
        .map(|e| e["data"].clone())
        .collect()
}
