//! The built H5 as the server serves it.

use crate::helpers::*;

fn fake_dist() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("dir");
    std::fs::write(
        dir.path().join("index.html"),
        "<!doctype html><html><head><script src=\"/wecom.global.prod-a262f492ff858150.js\"></script><script type=\"module\">import init from '/app.js'; await init();</script></head><body></body></html>",
    )
    .expect("index");
    std::fs::write(dir.path().join("app-38a20c1a94695f3b_bg.wasm"), b"\0asm").expect("wasm");
    dir
}

async fn app_serving(dist: &tempfile::TempDir, bridge: Option<&str>) -> TestApp {
    let dir = dist.path().display().to_string();
    let bridge = bridge
        .map(|b| format!("bridge_script = \"{b}\"\n"))
        .unwrap_or_default();
    spawn_app_with(spawn_simulator().await, move |c| {
        c.replace(
            "static_dir = \"/nonexistent-static-dir\"",
            &format!("static_dir = \"{dir}\"\n{bridge}"),
        )
    })
    .await
}

fn cache_control(resp: &reqwest::Response) -> String {
    resp.headers()
        .get("cache-control")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

#[tokio::test]
async fn hashed_assets_are_cached_for_a_year_and_index_never() {
    let dist = fake_dist();
    let app = app_serving(&dist, None).await;
    let wasm = app.get("/app-38a20c1a94695f3b_bg.wasm").await;
    assert_eq!(wasm.status(), 200);
    assert!(cache_control(&wasm).contains("immutable"));
    let index = app.get("/").await;
    assert_eq!(index.status(), 200);
    assert_eq!(cache_control(&index), "no-cache");
}

#[tokio::test]
async fn client_routes_get_the_app_and_api_paths_get_json() {
    let dist = fake_dist();
    let app = app_serving(&dist, None).await;
    let page = app.get("/orders/42").await;
    assert_eq!(page.status(), 200);
    assert_eq!(cache_control(&page), "no-cache");
    assert!(page
        .text()
        .await
        .expect("html")
        .contains("wecom.global.prod"));
    for path in ["/api/orders-nope", "/wecom/nope", "/wecom"] {
        let api = app.get(path).await;
        assert_eq!(api.status(), 404, "{path}");
        assert_eq!(error_body(api).await.code, "not_found", "{path}");
    }
}

#[tokio::test]
async fn the_demo_bridge_is_loaded_before_the_sdk() {
    let dist = fake_dist();
    let app = app_serving(&dist, Some("http://127.0.0.1:9/sim/bridge.js")).await;
    let html = app.get("/anything").await.text().await.expect("html");
    let bridge = html.find("/sim/bridge.js").expect("bridge injected");
    assert!(bridge < html.find("wecom.global.prod").expect("sdk"));
}

#[tokio::test]
async fn without_a_build_every_page_says_how_to_build() {
    let app = spawn_app().await;
    let resp = app.get("/").await;
    assert_eq!(resp.status(), 404);
    assert!(resp.text().await.expect("text").contains("make build"));
}

#[tokio::test]
async fn pages_carry_a_content_security_policy_that_allows_only_what_the_h5_loads() {
    let dist = fake_dist();
    let app = app_serving(&dist, None).await;
    let page = app.get("/orders/42").await;
    let csp = header(&page, "content-security-policy");
    let script_src = csp
        .split(';')
        .find(|d| d.trim().starts_with("script-src"))
        .expect("script-src")
        .to_string();
    assert!(script_src.contains("'self'"), "{csp}");
    assert!(script_src.contains("'wasm-unsafe-eval'"), "{csp}");
    // The inline start-up script is allowed by its hash, and nothing else inline.
    assert!(script_src.contains("'sha256-"), "{csp}");
    assert!(!script_src.contains("unsafe-inline"), "{csp}");
    assert!(
        !csp.contains("127.0.0.1:9"),
        "no bridge without bridge_script: {csp}"
    );
    assert!(
        !csp.contains("frame-ancestors"),
        "the WeCom webview must show it"
    );
    assert_eq!(header(&page, "x-content-type-options"), "nosniff");
    assert_eq!(header(&page, "referrer-policy"), "same-origin");
    // The admin console is never in the chat toolbar: no page may frame it.
    for admin in ["/admin", "/admin/pool"] {
        let page = app.get(admin).await;
        assert_eq!(page.status(), 200);
        let csp = header(&page, "content-security-policy");
        assert!(csp.contains("frame-ancestors 'none'"), "{admin}: {csp}");
        assert!(csp.contains("'wasm-unsafe-eval'"), "{admin}: {csp}");
    }

    let demo = app_serving(&dist, Some("http://127.0.0.1:9/sim/bridge.js")).await;
    let csp = header(&demo.get("/").await, "content-security-policy");
    assert!(
        csp.contains("http://127.0.0.1:9"),
        "the bridge is allowed: {csp}"
    );
}

#[tokio::test]
async fn the_login_pages_referrer_never_carries_the_oauth_code() {
    let app = spawn_app().await;
    let r = app.get("/auth/callback?code=secret-code&state=x").await;
    assert_eq!(header(&r, "referrer-policy"), "same-origin");
    assert!(header(&r, "content-security-policy").contains("default-src 'none'"));
}

#[tokio::test]
async fn the_sidebar_gets_its_own_smaller_build_when_there_is_one() {
    let dist = fake_dist();
    // Without its own build, /sidebar is a page of the app.
    let app = app_serving(&dist, Some("http://127.0.0.1:9/sim/bridge.js")).await;
    let page = app.get("/sidebar?ww_entry=single_chat_tools").await;
    assert_eq!(page.status(), 200);
    assert!(page.text().await.expect("html").contains("/app.js"));
    drop(app);

    let sidebar = dist.path().join("sidebar");
    std::fs::create_dir(&sidebar).expect("dir");
    std::fs::write(
        sidebar.join("index.html"),
        "<!doctype html><html><head><script src=\"/sidebar/wecom.global.prod-a262f492ff858150.js\"></script><script type=\"module\">import init from '/sidebar/desk-sidebar.js'; await init();</script></head><body></body></html>",
    )
    .expect("index");
    std::fs::write(
        sidebar.join("desk-sidebar-38a20c1a94695f3c_bg.wasm"),
        b"\0asm",
    )
    .expect("wasm");
    let app = app_serving(&dist, Some("http://127.0.0.1:9/sim/bridge.js")).await;
    for path in [
        "/sidebar",
        "/sidebar?ww_entry=group_chat_tools&ww_chat=wr1",
        "/sidebar/",
        "/sidebar/index.html",
    ] {
        let page = app.get(path).await;
        assert_eq!(page.status(), 200, "{path}");
        assert_eq!(cache_control(&page), "no-cache", "{path}");
        let csp = header(&page, "content-security-policy");
        assert!(csp.contains("'sha256-"), "{path}: {csp}");
        let html = page.text().await.expect("html");
        assert!(html.contains("/sidebar/desk-sidebar.js"), "{path}");
        // The demo bridge goes first there too.
        assert!(
            html.find("/sim/bridge.js").expect("bridge")
                < html.find("wecom.global.prod").expect("sdk")
        );
    }
    let wasm = app
        .get("/sidebar/desk-sidebar-38a20c1a94695f3c_bg.wasm")
        .await;
    assert_eq!(wasm.status(), 200);
    assert!(cache_control(&wasm).contains("immutable"));
    // The rest of the app is unchanged.
    assert!(app
        .get("/orders/1")
        .await
        .text()
        .await
        .expect("html")
        .contains("/app.js"));
}

/// WeCom's 可信域名 check fetches `WW_verify_….txt` at the domain's root: the server
/// serves the configured ones itself; a bad name stops the start naming the key.
#[tokio::test]
async fn wecoms_domain_verification_files_are_served_at_the_root() {
    let dist = fake_dist();
    let dir = dist.path().display().to_string();
    let app = spawn_app_with(spawn_simulator().await, move |c| {
        c.replace(
            "static_dir = \"/nonexistent-static-dir\"",
            &format!("static_dir = \"{dir}\""),
        ) + "\n[server.domain_verify_files]\n\"WW_verify_Ab12Cd34.txt\" = \"Ab12Cd34xyz\"\n"
    })
    .await;
    let r = app.get("/WW_verify_Ab12Cd34.txt").await;
    assert_eq!(r.status(), 200);
    assert!(header(&r, "content-type").starts_with("text/plain"));
    assert_eq!(r.text().await.expect("text"), "Ab12Cd34xyz");
    // Another name is not a verification file: the H5 answers as for any path.
    let other = app.get("/WW_verify_Other99.txt").await;
    assert!(!other
        .text()
        .await
        .unwrap_or_default()
        .contains("Ab12Cd34xyz"));

    for bad in [
        "../etc/passwd",
        "WW_verify_.txt",
        "verify.txt",
        "WW_verify_a b.txt",
    ] {
        let text = config_text("http://127.0.0.1:9", SECRET, "sqlite::memory:")
            + &format!("\n[server.domain_verify_files]\n\"{bad}\" = \"x\"\n");
        let settings = desk_server::config::Settings::from_toml_only(&text).expect("settings");
        let err = desk_server::startup::Application::build(settings)
            .await
            .err()
            .unwrap_or_else(|| panic!("{bad:?} accepted"));
        assert!(err.to_string().contains("domain_verify_files"), "{err}");
    }
}
