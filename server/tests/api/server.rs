use desk_shared::Session;

use crate::helpers::*;

#[tokio::test]
async fn healthz_answers_when_the_database_does() {
    let app = spawn_app().await;
    let resp = app.get("/healthz").await;
    assert_eq!(resp.status(), 200);
    let v: serde_json::Value = resp.json().await.expect("json");
    assert_eq!(v["status"], "ok");
    assert_eq!(v["version"], env!("CARGO_PKG_VERSION"));
    let commit = v["commit"].as_str().expect("commit");
    assert_eq!(commit.trim_end_matches("-dirty"), built_from());
}

/// The commit this checkout is at, as `build.rs` reads it; `unknown` without git.
fn built_from() -> String {
    std::process::Command::new("git")
        .args(["rev-parse", "--short", "HEAD"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .ok()
        .filter(|out| out.status.success())
        .map(|out| String::from_utf8_lossy(&out.stdout).trim().to_string())
        .unwrap_or_else(|| "unknown".into())
}

/// Issue 26: `wecom-desk --version` (and `-V`) names the release and the commit it was
/// built from, and whether files had changed since.
#[tokio::test]
async fn the_binary_names_its_version_and_commit() {
    for flag in ["--version", "-V"] {
        let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_wecom-desk"))
            .arg(flag)
            .output()
            .await
            .expect("runs");
        assert!(out.status.success(), "{flag}");
        let line = String::from_utf8(out.stdout).expect("utf-8");
        let expected = format!("wecom-desk {} ({}", env!("CARGO_PKG_VERSION"), built_from());
        assert!(
            line == format!("{expected})\n") || line == format!("{expected}, dirty)\n"),
            "{flag}: {line:?}, expected {expected:?}…"
        );
    }
}

#[tokio::test]
async fn session_gives_the_corp_and_agent_for_ww_register() {
    let app = spawn_app().await;
    let s: Session = app.get("/api/session").await.json().await.expect("json");
    assert_eq!(s.corp_id, CORP_ID);
    assert_eq!(s.agent_id, AGENT_ID);
    assert!(s.user.is_none());
}

#[tokio::test]
async fn unknown_api_paths_are_json_404s() {
    let app = spawn_app().await;
    let resp = app.get("/api/nope").await;
    assert_eq!(resp.status(), 404);
    assert_eq!(error_body(resp).await.code, "not_found");
}

#[tokio::test]
async fn the_server_serves_even_when_wecom_rejects_the_secret() {
    let sim = spawn_simulator().await;
    let dir = tempfile::tempdir().expect("dir");
    let db = fresh_database_url(dir.path()).await;
    let settings = settings_toml(&sim.url, "wrong-secret", &db);
    let app = desk_server::startup::Application::build_with_retry(settings, fast_retry())
        .await
        .expect("starts anyway");
    let address = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    let http = reqwest::Client::new();
    let health = http
        .get(format!("{address}/healthz"))
        .send()
        .await
        .expect("answer");
    assert_eq!(health.status(), 200);
    let resp = http
        .post(format!("{address}/api/jssdk/signatures"))
        .json(&serde_json::json!({ "url": format!("{ORIGIN}/") }))
        .send()
        .await
        .expect("answer");
    assert_eq!(resp.status(), 502);
    let e = error_body(resp).await;
    assert_eq!(e.code, "wecom_failed");
    assert!(
        e.message.contains("管理员"),
        "says whom to ask: {}",
        e.message
    );
    assert!(
        !e.message.contains("40001"),
        "the errcode is for the log and doctor, not the member: {}",
        e.message
    );
    assert!(
        !e.message.contains("wrong-secret"),
        "never echoes the secret"
    );
}

#[tokio::test]
async fn the_server_serves_when_wecom_is_unreachable() {
    let dir = tempfile::tempdir().expect("dir");
    let db = fresh_database_url(dir.path()).await;
    // Port 9 on loopback: nothing listens there.
    let settings = settings_toml("http://127.0.0.1:9", SECRET, &db);
    let app = desk_server::startup::Application::build_with_retry(settings, fast_retry())
        .await
        .expect("starts anyway");
    let address = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    let http = reqwest::Client::new();
    assert_eq!(
        http.get(format!("{address}/healthz"))
            .send()
            .await
            .expect("answer")
            .status(),
        200
    );
    let resp = http
        .post(format!("{address}/api/jssdk/signatures"))
        .json(&serde_json::json!({ "url": format!("{ORIGIN}/") }))
        .send()
        .await
        .expect("answer");
    assert_eq!(resp.status(), 502);
    assert!(error_body(resp).await.message.contains("无法连接企业微信"));
}

#[tokio::test]
async fn serve_stops_cleanly_on_sigterm() {
    let sim = spawn_simulator().await;
    let mut served = ServeProcess::start(&sim, |c| c).await;
    for line in &served.startup_log {
        assert!(!line.contains(SECRET), "no secret in logs: {line}");
    }
    let health = reqwest::get(format!("{}/healthz", served.address))
        .await
        .expect("answer");
    assert_eq!(health.status(), 200);

    let kill = tokio::process::Command::new("kill")
        .args(["-TERM", &served.pid.to_string()])
        .status()
        .await
        .expect("kill");
    assert!(kill.success());
    let status = tokio::time::timeout(std::time::Duration::from_secs(15), served.child.wait())
        .await
        .expect("stops within the shutdown timeout")
        .expect("exit status");
    assert!(status.success(), "{status:?}");
}
