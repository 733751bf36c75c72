use tokio::process::Command;

use crate::helpers::*;

async fn doctor(config: &str) -> (bool, String) {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("desk.toml");
    std::fs::write(&path, config).expect("write config");
    let out = Command::new(env!("CARGO_BIN_EXE_wecom-desk"))
        .arg("doctor")
        .arg("--config")
        .arg(&path)
        .env("RUST_LOG", "error")
        .output()
        .await
        .expect("run doctor");
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), text)
}

#[tokio::test]
async fn doctor_passes_a_good_configuration() {
    let sim = spawn_simulator().await;
    let (ok, out) = doctor(&config_text(&sim.url, SECRET, "sqlite::memory:")).await;
    assert!(ok, "{out}");
    assert!(out.contains("全部通过"), "{out}");
    assert!(out.contains("王强"), "names the admin member: {out}");
    assert_eq!(sim.calls("gettoken").await, 1);
    assert_eq!(sim.calls("get_jsapi_ticket").await, 1);
    assert_eq!(sim.calls("ticket/get").await, 1);
}

#[tokio::test]
async fn doctor_explains_a_wrong_secret_and_exits_non_zero() {
    let sim = spawn_simulator().await;
    let (ok, out) = doctor(&config_text(&sim.url, "not-the-secret", "sqlite::memory:")).await;
    assert!(!ok, "{out}");
    assert!(out.contains("40001"), "{out}");
    assert!(
        out.contains("应用管理"),
        "the console step that fixes it: {out}"
    );
    assert!(out.contains("跳过"), "dependent checks are skipped: {out}");
    assert!(
        !out.contains("not-the-secret"),
        "the secret is never printed: {out}"
    );
    assert_eq!(
        sim.calls("gettoken").await,
        1,
        "a wrong secret is tried once"
    );
}

#[tokio::test]
async fn doctor_flags_a_public_url_outside_allowed_origins_and_a_bad_callback_key() {
    let sim = spawn_simulator().await;
    let config = config_text(&sim.url, SECRET, "sqlite::memory:")
        .replace(
            &format!("public_url = \"{ORIGIN}\""),
            "public_url = \"https://other.example.com\"",
        )
        .replace(CALLBACK_KEY, "too-short");
    let (ok, out) = doctor(&config).await;
    assert!(!ok);
    assert!(
        out.contains("https://other.example.com 不在 allowed_origins"),
        "{out}"
    );
    assert!(out.contains("EncodingAESKey 无效"), "{out}");
}
