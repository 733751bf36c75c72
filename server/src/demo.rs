//! `wecom-desk demo`: the simulator with the demo corp, the server pointed at it, and
//! the H5, all on this machine.

use std::net::SocketAddr;

use anyhow::Context;

use desk_shared::OrderInput;

use crate::config::Settings;
use crate::startup::Application;
use desk_simulator::{Fixture, SimulatorServer};

/// Orders of the demo's business system, one for each case of the group flow:
/// (id, title, designer, project manager, customer, phone as the business system has it).
const DEMO_ORDERS: [(&str, &str, &str, &str, &str, &str); 11] = [
    (
        "DD-1001",
        "城南店 · 王女士新房装修",
        "zhangwei",
        "lina",
        "王女士",
        "13900000000",
    ),
    (
        "DD-1002",
        "城南店 · 李先生旧房翻新",
        "zhangwei",
        "lina",
        "李先生",
        "138-0000-7919",
    ),
    (
        "DD-1003",
        "城南店 · 陈女士厨卫改造",
        "zhangwei",
        "lina",
        "陈女士",
        "+86 139 0003 1676",
    ),
    (
        "DD-1004",
        "城南店 · 杨先生全屋定制",
        "zhangwei",
        "lina",
        "杨先生",
        "13912345000",
    ),
    (
        "DD-1005",
        "城南店 · 周先生婚房",
        "zhangwei",
        "lina",
        "周先生",
        "13812345678",
    ),
    (
        "DD-1006",
        "城南店 · 孙女士咨询",
        "zhangwei",
        "lina",
        "孙女士",
        "13700000000",
    ),
    (
        "DD-1007",
        "城南店 · 唐女士（陈静的客户）",
        "zhangwei",
        "lina",
        "唐女士",
        "13900190056",
    ),
    (
        "DD-1008",
        "城东店 · 许先生二手房",
        "chenjing",
        "lina",
        "许先生",
        "13800197975",
    ),
    // 王女士's second order: its phone is only in lina's remark, and its group is made.
    (
        "DD-1009",
        "城南店 · 王女士父母家翻新",
        "zhangwei",
        "lina",
        "王女士",
        "13900000001",
    ),
    // 赵磊 left (the fixture says so): his orders wait for the admin's 交接.
    (
        "DD-1010",
        "城西店 · 周女士新房装修",
        "zhaolei",
        "lina",
        "周女士",
        "13600000001",
    ),
    (
        "DD-1011",
        "城南店 · 吴先生厨房翻新",
        "zhangwei",
        "zhaolei",
        "吴先生",
        "13600000002",
    ),
];

/// Customer groups of the demo fixture recorded for orders at start: DD-1009's, so the
/// sidebar shows an order with a group next to one without; DD-1010's, 赵磊's (who
/// left), so 交接 moves an order group. (order, chat, name, customer, made by)
const DEMO_GROUPS: [(&str, &str, &str, &str, &str); 2] = [
    (
        "DD-1009",
        "wrDemoWang0001",
        "王女士父母家-城南店服务群",
        "wmDemo0000",
        "zhangwei",
    ),
    (
        "DD-1010",
        "wrDemoZhao0001",
        "周女士-城西店服务群",
        "wmDemoZl001",
        "zhaolei",
    ),
];

/// The demo fixture's pre-built empty customer groups.
const DEMO_POOL: [(&str, &str); 6] = [
    ("wrPool0000", "城南店服务群1"),
    ("wrPool0001", "城南店服务群2"),
    ("wrPool0002", "城南店服务群3"),
    ("wrPool0003", "城南店服务群4"),
    ("wrPool0004", "城南店服务群5"),
    ("wrPool0005", "城南店服务群6"),
];

/// The team's quick replies (话术) the demo starts with: (group, title, text).
const DEMO_REPLIES: [(&str, &str, &str); 6] = [
    (
        "问候",
        "进群欢迎",
        "{客户}您好，我是{订单}的设计师{设计师}，这是我们的订单群，有问题随时在群里找我和项目经理{项目经理}。",
    ),
    (
        "问候",
        "加好友问候",
        "{客户}您好，我是城南店的{我}，很高兴为您服务！方便的话发一下房屋户型图，我们约个时间上门量房。",
    ),
    (
        "报价",
        "报价单已发",
        "{客户}您好，订单 {订单号} 的报价单已发到群里，含设计、主材、辅材和人工，每一项都可以核对。有疑问的地方我来逐条解释。",
    ),
    (
        "报价",
        "预算调整",
        "{客户}，预算需要控制的话，可以从主材品牌和定制柜体两块调整，水电等隐蔽工程的用料不动。您看什么时候方便，我们电话沟通一下？",
    ),
    (
        "进度",
        "开工通知",
        "{客户}您好，{订单}定于本周六上午开工，项目经理{项目经理}会在现场做开工交底，请提前把钥匙交给他。",
    ),
    (
        "进度",
        "水电验收",
        "{客户}您好，水电改造已经完工，{项目经理}约您明天下午到现场验收，验收合格后才会封槽，麻烦回复一下方便的时间。",
    ),
];

/// The demo website's staff ids and the members they are.
const DEMO_STAFF: [(&str, &str); 2] = [("s-zhangwei", "zhangwei"), ("s-lina", "lina")];
/// What the demo's WeCom Desk and website share to sign and check events.
const DEMO_EVENTS_SECRET: &str = "demo-events-secret";

async fn seed_orders(database_url: &str, fixture: &Fixture) -> anyhow::Result<()> {
    let db = crate::db::connect(database_url).await?;
    // The company knew the names of the members who left (WeCom no longer says them).
    for m in fixture.members.iter().filter(|m| m.left_at.is_some()) {
        let now = crate::clock::now_secs();
        let left_at = match m.left_at.unwrap_or_default() {
            t if t <= 0 => now + t,
            t => t,
        };
        crate::handover::store::left(&db, &m.userid, &m.name, left_at, now).await?;
    }
    for (id, title, designer, pm, customer, phone) in DEMO_ORDERS {
        let order = OrderInput {
            title: title.into(),
            designer_user_id: designer.into(),
            project_manager_user_id: pm.into(),
            customer_name: customer.into(),
            customer_phone: phone.into(),
            status: None,
        };
        // Keeps an order's recorded group across demo restarts.
        crate::orders::store::upsert(&db, id, &order, None).await?;
    }
    let events = crate::outbox::events::Events::off();
    for (order, chat_id, name, customer, by) in DEMO_GROUPS {
        crate::groups::store::record_group(&db, &events, order, chat_id, name, &[customer], by)
            .await?;
    }
    // The fixture's empty customer groups (owned by the admin) fill the pool behind
    // the orders' join QR codes.
    for (chat_id, name) in DEMO_POOL {
        crate::joinway::store::add(
            &db,
            chat_id,
            name,
            "wangqiang",
            "demo",
            crate::clock::now_secs(),
        )
        .await?;
    }
    // The demo website's staff ids, bound to the members who answer its customers.
    for (staff, member) in DEMO_STAFF {
        crate::bridge::store::bind(&db, staff, member, "demo", crate::clock::now_secs()).await?;
    }
    // The team's quick replies, on the first start only: an admin's edits stay.
    if crate::replies::store::count(&db).await? == 0 {
        let mut tx = db.begin().await?;
        for (group, title, text) in DEMO_REPLIES {
            let reply = crate::replies::store::NewReply { title, text, group };
            let now = crate::clock::now_secs();
            crate::replies::store::append(
                &mut tx,
                &reply,
                "demo",
                now,
                crate::replies::MAX_REPLIES,
            )
            .await?;
        }
        tx.commit().await?;
    }
    db.close().await;
    Ok(())
}

/// One notification through the demo's own integration API once the server answers,
/// so the admin console's 消息 has a message from the start.
async fn first_notification(public_url: String) {
    let http = reqwest::Client::new();
    let body = serde_json::json!({
        "conversationId": "demo-welcome",
        "text": "演示：客户王女士在官网留言，想约明天上门量房。",
        "staffId": "s-zhangwei",
    });
    for _ in 0..50 {
        let sent = http
            .post(format!("{public_url}/api/v1/notifications"))
            .bearer_auth("demo-api-key")
            .header("Idempotency-Key", "demo-welcome")
            .json(&body)
            .send()
            .await;
        if sent.is_ok_and(|r| r.status().is_success()) {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    tracing::warn!("the demo's first notification could not be queued");
}

/// `static_dir`: serve the H5 from there; without it, the binary's own (`embed-h5`),
/// else `dist`.
pub async fn run(
    listen: SocketAddr,
    static_dir: Option<&str>,
    database_url: &str,
) -> anyhow::Result<()> {
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
    let clock = sim.clock.clone();
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
        {static_dir}
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
        [pool]
        owner_userids = ["wangqiang"]
        [database]
        url = "{database_url}"
        [handover]
        # The demo looks at waiting customers often: move the simulator's clock 24 h
        # (POST /sim/clock) and the handover finishes within seconds.
        result_poll_secs = 10
        [integration]
        api_keys = ["demo-api-key"]
        order_source = "{sim_url}/sim/erp/orders/{{id}}"
        events_url = "{sim_url}/sim/website/events"
        events_secret = "{DEMO_EVENTS_SECRET}"
        "#,
        static_dir = static_dir
            .map(|dir| format!("static_dir = {}", toml::Value::from(dir)))
            .unwrap_or_default(),
        corp = fixture.corp_id,
        agent = app.agent_id,
        secret = app.secret,
    ))
    .context("demo settings")?;

    seed_orders(database_url, &fixture).await?;
    // The server keeps the simulated WeCom's time: when the demo moves it (a day on,
    // to see customers taken over), tokens, tickets and sessions age alike.
    let app =
        Application::build_with(settings, crate::wecom::RetryPolicy::default(), clock).await?;
    reqwest::Client::new()
        .put(format!("{sim_url}/sim/website"))
        .json(&serde_json::json!({
            "deskUrl": public_url,
            "apiKey": "demo-api-key",
            "eventsSecret": DEMO_EVENTS_SECRET,
        }))
        .send()
        .await
        .and_then(reqwest::Response::error_for_status)
        .context("cannot set up the demo website")?;
    tokio::spawn(first_notification(public_url.clone()));
    println!("\nWeCom Desk 演示已启动 / demo running\n");
    println!("  打开 / open:        {public_url}/");
    println!("  模拟企业微信 / simulator: {sim_url}  (calls: {sim_url}/sim/stats)");
    println!(
        "  企业 / corp:        {} ({})",
        fixture.corp_name, fixture.corp_id
    );
    println!("  订单接口 / order API: PUT {public_url}/api/v1/orders/ID  (Authorization: Bearer demo-api-key)");
    println!(
        "  从业务系统拉取的订单 / an order pulled on demand: {public_url}/orders/{}  (ERP: {sim_url}/sim/erp/orders/{{id}})",
        desk_simulator::erp::ERP_ORDERS[0].0
    );
    println!(
        "  聊天工具栏 / sidebar:  {public_url}/sidebar?ww_entry=single_chat_tools&ww_contact=wmDemo0000  (王女士, as zhangwei)"
    );
    println!(
        "  群聊工具栏 / group toolbar: {public_url}/sidebar?ww_entry=group_chat_tools&ww_chat={}",
        DEMO_GROUPS[0].1
    );
    println!("  管理后台 / admin console: {public_url}/admin  (as {admin}; 数据: {public_url}/admin?tab=stats)");
    println!("  到店扫码 / store visit: open an order, 到店扫码加我 → 生成; then scan it as a customer at {sim_url}/sim/contact-ways");
    println!("  交接 / handover: {public_url}/admin?tab=handover  (赵磊 left: hand his customers, groups and orders over)");
    println!("    24 小时后 / 24 h later: {sim_url}/sim/time  (moves the simulated clock; customers are taken over)");
    println!("  消息桥 / messages bridge:");
    println!("    1. 业务网站 / website:      {sim_url}/sim/website  (a customer writes; staff are notified)");
    println!("    2. 群机器人 / robot chat:   {sim_url}/sim/robots");
    println!("    3. 成员回复 / reply as staff: {sim_url}/sim/member?userid=zhangwei  (then the website shows it)");
    println!("  成员 / members to try:");
    for m in &members {
        println!("    {:<10} {}（{}）", m.userid, m.name, m.position);
    }
    println!("\n按 Ctrl+C 停止 / Ctrl+C stops it.\n");
    let result = app.run_until_stopped().await;
    sim_handle.stop(true).await;
    result.context("server stopped with an error")
}
