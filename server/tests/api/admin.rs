//! `/api/admin/`: admins only; the deployment checks on demand.

use desk_shared::DeploymentChecks;

use crate::helpers::*;

#[tokio::test]
async fn only_admins_may_run_the_deployment_checks() {
    let app = spawn_app().await;
    let none = app.get("/api/admin/checks").await;
    assert_eq!(none.status(), 401);
    let member = app.login("zhangwei").await;
    let refused = app.get_as(&member, "/api/admin/checks").await;
    assert_eq!(refused.status(), 403);
    assert_eq!(error_body(refused).await.code, "admin_only");

    let admin = app.login("wangqiang").await;
    let r = app.get_as(&admin, "/api/admin/checks").await;
    assert_eq!(r.status(), 200);
    assert_eq!(header(&r, "cache-control"), "no-store");
    let report: DeploymentChecks = r.json().await.expect("checks");
    assert!(report.checks.len() >= 5, "{report:?}");
    let token = report
        .checks
        .iter()
        .find(|c| c.title.contains("access_token"))
        .expect("a token check");
    assert_eq!(token.status, "pass", "{token:?}");

    // Asked again at once: the same report, without spending WeCom's ticket quota.
    let tickets = app.sim.calls("ticket/get").await;
    let again = app.get_as(&admin, "/api/admin/checks").await;
    assert_eq!(again.status(), 200);
    assert_eq!(app.sim.calls("ticket/get").await, tickets);
}

#[tokio::test]
async fn a_failing_check_explains_the_errcode_and_the_console_step() {
    let sim = spawn_simulator().await;
    let app = spawn_app_with(sim, |c| {
        c.replace(
            &format!("agent_secret = \"{SECRET}\""),
            "agent_secret = \"wrong-secret\"",
        )
    })
    .await;
    // Login itself needs the token, so sign the admin in another way: the session row.
    let admin = admin_session(&app).await;
    let report: DeploymentChecks = app
        .get_as(&admin, "/api/admin/checks")
        .await
        .json()
        .await
        .expect("checks");
    assert!(!report.passed);
    let failed = report
        .checks
        .iter()
        .find(|c| c.status == "fail")
        .expect("a failed check");
    assert!(failed.detail.contains("40001"), "{failed:?}");
    assert!(
        failed.fix.as_deref().unwrap_or_default().contains("Secret"),
        "{failed:?}"
    );
    assert!(report.checks.iter().any(|c| c.status == "skipped"));
}

/// A session for the admin `wangqiang` written straight into the database.
async fn admin_session(app: &TestApp) -> String {
    use sha1::Digest;
    let token = "0123456789abcdef0123456789abcdef";
    let hash = hex::encode(sha1::Sha1::digest(token.as_bytes()));
    let now = desk_server::clock::now_secs();
    sqlx::query(
        "INSERT INTO sessions (token_hash, userid, name, avatar, created_at, expires_at, last_seen_at)
         VALUES ($1, 'wangqiang', '王强', '', $2, $3, $2)",
    )
    .bind(hash)
    .bind(now)
    .bind(now + 3600)
    .execute(&app.db().await)
    .await
    .expect("session row");
    format!("desk_session={token}")
}
