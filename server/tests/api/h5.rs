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

#[tokio::test]
async fn the_order_list_and_each_order_page_get_their_own_builds() {
    let dist = fake_dist();
    for (dir, bin) in [("orders", "desk-orders"), ("order", "desk-order")] {
        let at = dist.path().join(dir);
        std::fs::create_dir(&at).expect("dir");
        std::fs::write(
            at.join("index.html"),
            format!("<!doctype html><html><head><script type=\"module\">import init from '/{dir}/{bin}.js'; await init();</script></head><body></body></html>"),
        )
        .expect("index");
        std::fs::write(at.join(format!("{bin}-38a20c1a94695f3c_bg.wasm")), b"\0asm").expect("wasm");
    }
    let app = app_serving(&dist, None).await;
    for (path, bin) in [
        ("/orders", "/orders/desk-orders.js"),
        ("/orders/", "/orders/desk-orders.js"),
        ("/orders/index.html", "/orders/desk-orders.js"),
        ("/orders/DD-1001", "/order/desk-order.js"),
        ("/orders/%E8%AE%A2%E5%8D%95%2F7", "/order/desk-order.js"),
    ] {
        let page = app.get(path).await;
        assert_eq!(page.status(), 200, "{path}");
        assert_eq!(cache_control(&page), "no-cache", "{path}");
        assert!(
            header(&page, "content-security-policy").contains("'sha256-"),
            "{path}"
        );
        let html = page.text().await.expect("html");
        assert!(html.contains(bin), "{path} loads {bin}: {html}");
    }
    // Each build's files are served as files, cached for good.
    for asset in [
        "/orders/desk-orders-38a20c1a94695f3c_bg.wasm",
        "/order/desk-order-38a20c1a94695f3c_bg.wasm",
    ] {
        let wasm = app.get(asset).await;
        assert_eq!(wasm.status(), 200, "{asset}");
        assert!(cache_control(&wasm).contains("immutable"), "{asset}");
    }
    // The order page's build is no page of its own; the rest of the app is unchanged.
    for path in ["/order/index.html", "/order/", "/", "/admin"] {
        let html = app.get(path).await.text().await.expect("html");
        assert!(html.contains("/app.js"), "{path}: {html}");
    }
}

/// A compressible asset, and its brotli and gzip copies as `scripts/build-h5.sh`
/// writes them beside it.
fn with_precompressed_copies(file: &std::path::Path, bytes: &[u8]) {
    use std::io::Write;
    std::fs::write(file, bytes).expect("asset");
    let mut br = Vec::new();
    {
        let mut w = brotli::CompressorWriter::new(&mut br, 4096, 11, 22);
        w.write_all(bytes).expect("brotli");
    }
    std::fs::write(format!("{}.br", file.display()), br).expect("br");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(bytes).expect("gzip");
    std::fs::write(format!("{}.gz", file.display()), gz.finish().expect("gz")).expect("gz");
}

async fn fetch(app: &TestApp, path: &str, headers: &[(&str, &str)]) -> reqwest::Response {
    let mut req = app.http.get(format!("{}{path}", app.address));
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    req.send().await.expect("server answers")
}

fn decoded(encoding: &str, body: &[u8]) -> Vec<u8> {
    use std::io::Read;
    let mut out = Vec::new();
    match encoding {
        "br" => brotli::Decompressor::new(body, 4096).read_to_end(&mut out),
        "gzip" => flate2::read::GzDecoder::new(body).read_to_end(&mut out),
        _ => return body.to_vec(),
    }
    .expect("decodes");
    out
}

/// Issue 23: the budget is "as sent". A client that accepts brotli gets the asset's
/// `.br` copy, one that accepts only gzip its `.gz` copy, any other the file itself:
/// each with the file's own type, a year's caching, `Vary: Accept-Encoding`, and
/// bytes that decode to the file.
#[tokio::test]
async fn assets_are_sent_precompressed_as_the_client_accepts() {
    let dist = fake_dist();
    let sidebar = dist.path().join("sidebar");
    std::fs::create_dir(&sidebar).expect("dir");
    std::fs::write(
        sidebar.join("index.html"),
        "<!doctype html><title>s</title>",
    )
    .expect("index");
    let mut wasm = b"\0asm\x01\0\0\0".to_vec();
    wasm.extend((0..4000u32).flat_map(|i| (i % 251).to_le_bytes()));
    let js = "export function init(){return 42}\n".repeat(200);
    let assets = [
        ("/sidebar/desk-sidebar-38a20c1a94695f3c_bg.wasm", wasm),
        ("/desk-frontend-38a20c1a94695f3b.js", js.into_bytes()),
    ];
    for (path, bytes) in &assets {
        with_precompressed_copies(&dist.path().join(&path[1..]), bytes);
    }
    let app = app_serving(&dist, None).await;
    for (path, bytes) in &assets {
        let plain_type = header(&fetch(&app, path, &[]).await, "content-type");
        let expected_type = if path.ends_with(".wasm") {
            "application/wasm"
        } else {
            "text/javascript"
        };
        assert!(
            plain_type.starts_with(expected_type),
            "{path}: {plain_type}"
        );
        for (accept, encoding) in [
            (Some("br, gzip"), "br"),
            (Some("gzip, deflate, br, zstd"), "br"),
            (Some("gzip"), "gzip"),
            (Some("br;q=0.5, gzip"), "gzip"),
            (None, ""),
            (Some("identity"), ""),
        ] {
            let headers: Vec<_> = accept.map(|a| ("accept-encoding", a)).into_iter().collect();
            let resp = fetch(&app, path, &headers).await;
            let what = format!("{path} for {accept:?}");
            assert_eq!(resp.status(), 200, "{what}");
            assert_eq!(header(&resp, "content-encoding"), encoding, "{what}");
            assert_eq!(header(&resp, "content-type"), plain_type, "{what}");
            assert_eq!(header(&resp, "vary"), "accept-encoding", "{what}");
            assert!(cache_control(&resp).contains("immutable"), "{what}");
            let body = resp.bytes().await.expect("body");
            if !encoding.is_empty() {
                assert!(body.len() < bytes.len() / 4, "{what}: {} B", body.len());
            }
            assert_eq!(&decoded(encoding, &body), bytes, "{what}");
        }
    }
    // A range is of the file itself, whatever the client accepts.
    let (path, bytes) = &assets[0];
    let part = fetch(
        &app,
        path,
        &[("accept-encoding", "br"), ("range", "bytes=0-3")],
    )
    .await;
    assert_eq!(part.status(), 206);
    assert_ne!(header(&part, "content-encoding"), "br");
    assert_eq!(part.bytes().await.expect("body")[..], bytes[..4]);
    // An asset without copies is as before (compressed on the fly when accepted).
    let other = fetch(&app, "/app-38a20c1a94695f3b_bg.wasm", &[]).await;
    assert_eq!(other.status(), 200);
    assert_eq!(other.bytes().await.expect("body")[..], b"\0asm"[..]);
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

/// Issue 26: the release binary carries the H5. Built `--features embed-h5` (which
/// needs the workspace's dist/ built) and with `static_dir` not set, the server sends
/// the pages and the assets from memory, byte for byte the build's, as it sends them
/// from a directory (with `static_dir` set, every other test here serves a directory
/// whatever the binary carries).
#[cfg(feature = "embed-h5")]
#[tokio::test]
async fn without_static_dir_the_h5_built_into_the_binary_is_served() {
    let app = spawn_app_with(spawn_simulator().await, |c| {
        c.replace("static_dir = \"/nonexistent-static-dir\"", "")
    })
    .await;
    let dist = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../dist");
    for (path, build) in [
        ("/sidebar", "sidebar"),
        ("/orders", "orders"),
        ("/orders/DD-1", "order"),
    ] {
        let page = app.get(path).await;
        assert_eq!(page.status(), 200, "{path}");
        assert_eq!(cache_control(&page), "no-cache", "{path}");
        assert!(header(&page, "content-security-policy").contains("'sha256-"));
        let html = page.text().await.expect("html");
        let built = std::fs::read_to_string(dist.join(build).join("index.html")).expect("built");
        assert_eq!(html, built, "{path} is the build's page");
        // Its wasm, as brotli: the build's own .br copy.
        let at = html.find("_bg.wasm").expect("names its wasm");
        let start = html[..at].rfind(['"', '\'']).expect("quoted") + 1;
        let wasm = &html[start..at + "_bg.wasm".len()];
        let resp = fetch(&app, wasm, &[("accept-encoding", "gzip, deflate, br")]).await;
        assert_eq!(resp.status(), 200, "{wasm}");
        assert_eq!(header(&resp, "content-encoding"), "br", "{wasm}");
        assert_eq!(header(&resp, "content-type"), "application/wasm", "{wasm}");
        assert_eq!(header(&resp, "vary"), "accept-encoding", "{wasm}");
        assert!(cache_control(&resp).contains("immutable"), "{wasm}");
        let copy = std::fs::read(dist.join(format!("{}.br", &wasm[1..]))).expect("br copy");
        assert_eq!(resp.bytes().await.expect("body")[..], copy[..], "{wasm}");
    }
}
