//! `wecom-desk demo`: the simulator with the demo corp, the server pointed at it, and
//! the H5, all on this machine.

use std::net::SocketAddr;

use anyhow::Context;

use crate::config::Settings;
use crate::simulator::{Fixture, SimulatorServer};
use crate::startup::Application;

pub async fn run(listen: SocketAddr, static_dir: &str, database_url: &str) -> anyhow::Result<()> {
    let mut fixture = Fixture::demo();
    let public_url = format!("http://{listen}");
    let callback = fixture
        .callback
        .as_mut()
        .context("the demo fixture has a [callback]")?;
    callback.url = format!("{public_url}/wecom/callback");
    let (token, aes_key) = (callback.token.clone(), callback.encoding_aes_key.clone());
    let app = fixture
        .apps
        .first()
        .context("the demo fixture has an app")?
        .clone();
    let members = fixture.members.clone();
    let robot = fixture.robots.first().map(|r| r.key.clone());

    let sim = SimulatorServer::bind(fixture.clone(), "127.0.0.1:0")
        .context("cannot start the WeCom simulator")?;
    let sim_url = sim.base_url.clone();
    let (_, sim_handle) = sim.spawn();

    let robot_line = robot
        .map(|k| format!("webhook_urls = [\"{sim_url}/cgi-bin/webhook/send?key={k}\"]"))
        .unwrap_or_default();
    let admin = members
        .iter()
        .find(|m| m.position.contains("管理"))
        .map(|m| m.userid.clone())
        .unwrap_or_default();
    let settings = Settings::from_toml(&format!(
        r#"
        [server]
        listen = "{listen}"
        public_url = "{public_url}"
        static_dir = "{static_dir}"
        allowed_origins = ["{public_url}"]
        admin_userids = ["{admin}"]
        bridge_script = "{sim_url}/sim/bridge.js"
        [wecom]
        corp_id = "{corp}"
        agent_id = {agent}
        agent_secret = "{secret}"
        api_base = "{sim_url}"
        oauth_base = "{sim_url}"
        [callback]
        token = "{token}"
        encoding_aes_key = "{aes_key}"
        [robot]
        {robot_line}
        [database]
        url = "{database_url}"
        "#,
        corp = fixture.corp_id,
        agent = app.agent_id,
        secret = app.secret,
    ))
    .context("demo settings")?;

    let app = Application::build(settings).await?;
    println!("\nWeCom Desk 演示已启动 / demo running\n");
    println!("  打开 / open:        {public_url}/");
    println!("  模拟企业微信 / simulator: {sim_url}  (calls: {sim_url}/sim/stats)");
    println!(
        "  企业 / corp:        {} ({})",
        fixture.corp_name, fixture.corp_id
    );
    println!("  成员 / members to try:");
    for m in &members {
        println!("    {:<10} {}（{}）", m.userid, m.name, m.position);
    }
    println!("\n按 Ctrl+C 停止 / Ctrl+C stops it.\n");
    let result = app.run_until_stopped().await;
    sim_handle.stop(true).await;
    result.context("server stopped with an error")
}
