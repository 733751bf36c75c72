//! The H5 from memory against the same H5 from a directory: a client sees no
//! difference (the API tests in `tests/api/h5.rs` cover the directory end to end).

use actix_web::http::{header, Method, StatusCode};
use actix_web::test::{call_service, init_service, read_body, TestRequest};
use actix_web::{web, App};

use super::*;

const WASM: &str = "app-38a20c1a94695f3b_bg.wasm";
const SIDEBAR_WASM: &str = "sidebar/desk-sidebar-38a20c1a94695f3c_bg.wasm";

/// A small built H5: the app and the three pages' builds, a hashed asset with its
/// `.br` and `.gz` copies (stand-in bytes: they are sent as they are), one without,
/// and a file that is not hashed.
fn built_h5() -> Vec<(String, Vec<u8>)> {
    let page = |js: &str| {
        format!("<!doctype html><html><head><script type=\"module\">import init from '{js}'; await init();</script></head><body></body></html>").into_bytes()
    };
    let wasm: Vec<u8> = b"\0asm\x01\0\0\0"
        .iter()
        .copied()
        .cycle()
        .take(4096)
        .collect();
    [
        ("index.html", page("/app.js")),
        ("sidebar/index.html", page("/sidebar/desk-sidebar.js")),
        ("orders/index.html", page("/orders/desk-orders.js")),
        ("order/index.html", page("/order/desk-order.js")),
        (WASM, wasm.clone()),
        ("app-38a20c1a94695f3b_bg.wasm.br", b"brotli copy".to_vec()),
        ("app-38a20c1a94695f3b_bg.wasm.gz", b"gzip copy".to_vec()),
        (SIDEBAR_WASM, wasm),
        ("tokens-412f31f3793dcce.css", b"body{margin:0}".repeat(50)),
        ("robots.txt", b"User-agent: *\n".repeat(50)),
    ]
    .into_iter()
    .map(|(name, bytes)| (name.to_string(), bytes))
    .collect()
}

/// A method, a path and the request's headers.
type Request<'a> = (Method, &'a str, Vec<(&'a str, &'a str)>);

async fn call(
    source: &H5Source,
    method: Method,
    path: &str,
    headers: &[(&str, &str)],
) -> (StatusCode, header::HeaderMap, web::Bytes) {
    let app = init_service(App::new().configure(|cfg| configure(cfg, source, None))).await;
    let mut req = TestRequest::default().method(method).uri(path);
    for &(name, value) in headers {
        req = req.insert_header((name, value));
    }
    let res = call_service(&app, req.to_request()).await;
    let (status, headers) = (res.status(), res.headers().clone());
    (status, headers, read_body(res).await)
}

fn text<'a>(headers: &'a header::HeaderMap, name: &str) -> &'a str {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}

#[test]
fn trunk_hashed_names_are_recognised() {
    assert!(is_hashed("/desk-frontend-38a20c1a94695f3b_bg.wasm"));
    assert!(is_hashed("/wecom.global.prod-a262f492ff858150.js"));
    assert!(is_hashed("/tokens-412f31f3793dcce.css"));
    assert!(!is_hashed("/index.html"));
    assert!(!is_hashed("/orders/42"));
    assert!(!is_hashed("/desk-frontend.js"));
}

#[test]
fn static_dir_when_set_else_the_built_in_h5_else_dist() {
    let dir = |source: H5Source| match source {
        H5Source::Dir(dir) => Some(dir.display().to_string()),
        H5Source::Memory(_) => None,
    };
    assert_eq!(
        dir(H5Source::for_static_dir(Some("/srv/h5"))),
        Some("/srv/h5".into())
    );
    let default = match H5Source::built_in() {
        Some(_) => None,
        None => Some("dist".to_string()),
    };
    assert_eq!(dir(H5Source::for_static_dir(None)), default);
    // An empty value (DESK__SERVER__STATIC_DIR=) is not set.
    assert_eq!(dir(H5Source::for_static_dir(Some(""))), default);
    assert_eq!(H5Source::built_in().is_some(), cfg!(feature = "embed-h5"));
}

#[actix_web::test]
async fn from_memory_each_page_gets_its_own_build_with_its_policy_and_never_cached() {
    let source = H5Source::memory(built_h5());
    for (path, loads) in [
        ("/", "/app.js"),
        (
            "/sidebar?ww_entry=single_chat_tools",
            "/sidebar/desk-sidebar.js",
        ),
        ("/sidebar/", "/sidebar/desk-sidebar.js"),
        ("/orders", "/orders/desk-orders.js"),
        ("/orders/DD-1", "/order/desk-order.js"),
        ("/orders/%E8%AE%A2%E5%8D%95%2F7", "/order/desk-order.js"),
        ("/order/index.html", "/app.js"),
        ("/admin/pool", "/app.js"),
        ("/no-such-page", "/app.js"),
        // A hashed name that is not there is a page of the app, as from a directory.
        ("/app-0123456789abcdef.js", "/app.js"),
    ] {
        let (status, headers, body) = call(&source, Method::GET, path, &[]).await;
        assert_eq!(status, 200, "{path}");
        assert_eq!(text(&headers, "cache-control"), "no-cache", "{path}");
        assert!(
            text(&headers, "content-type").starts_with("text/html"),
            "{path}"
        );
        let csp = text(&headers, "content-security-policy");
        assert!(csp.contains("'sha256-"), "{path}: {csp}");
        assert_eq!(
            csp.contains("frame-ancestors 'none'"),
            path.starts_with("/admin"),
            "{path}"
        );
        let html = String::from_utf8_lossy(&body);
        assert!(html.contains(loads), "{path} loads {loads}: {html}");
    }
}

#[actix_web::test]
async fn from_memory_an_asset_is_sent_as_the_copy_the_client_accepts_and_cached_for_good() {
    let files = built_h5();
    let plain = &files.iter().find(|(n, _)| n == WASM).expect("wasm").1;
    let source = H5Source::memory(files.clone());
    let path = format!("/{WASM}");
    for (accept, encoding, body) in [
        (Some("br, gzip"), "br", &b"brotli copy"[..]),
        (Some("gzip, deflate, br, zstd"), "br", b"brotli copy"),
        (Some("gzip"), "gzip", b"gzip copy"),
        (Some("br;q=0.5, gzip"), "gzip", b"gzip copy"),
        (Some("identity"), "", plain),
        (None, "", plain),
    ] {
        let headers: Vec<_> = accept.map(|a| ("accept-encoding", a)).into_iter().collect();
        let (status, got, sent) = call(&source, Method::GET, &path, &headers).await;
        assert_eq!(status, 200, "{accept:?}");
        assert_eq!(text(&got, "content-encoding"), encoding, "{accept:?}");
        assert_eq!(text(&got, "content-type"), "application/wasm", "{accept:?}");
        assert_eq!(text(&got, "vary"), "accept-encoding", "{accept:?}");
        assert_eq!(
            text(&got, "cache-control"),
            "public, max-age=31536000, immutable",
            "{accept:?}"
        );
        assert_eq!(&sent[..], body, "{accept:?}");
    }
    // Each copy has its own ETag, and a cache that holds one is told it is current.
    let (_, br, _) = call(&source, Method::GET, &path, &[("accept-encoding", "br")]).await;
    let (_, gz, _) = call(&source, Method::GET, &path, &[("accept-encoding", "gzip")]).await;
    let etag = text(&br, "etag");
    assert!(etag.starts_with('"') && etag.len() > 10, "{etag}");
    assert_ne!(etag, text(&gz, "etag"));
    let again = [("accept-encoding", "br"), ("if-none-match", etag)];
    let (status, headers, body) = call(&source, Method::GET, &path, &again).await;
    assert_eq!(status, 304);
    assert_eq!(text(&headers, "vary"), "accept-encoding");
    assert!(body.is_empty());
    // A range is of the file itself, whatever the client accepts.
    let part = [("accept-encoding", "br"), ("range", "bytes=0-3")];
    let (status, headers, body) = call(&source, Method::GET, &path, &part).await;
    assert_eq!(status, 206);
    assert_eq!(
        text(&headers, "content-range"),
        format!("bytes 0-3/{}", plain.len())
    );
    assert_ne!(text(&headers, "content-encoding"), "br");
    assert_eq!(&body[..], &plain[..4]);
}

/// Every answer that differs from one source to the other would be a page that breaks
/// only in production (or only in development).
#[actix_web::test]
async fn memory_and_a_directory_answer_alike() {
    let files = built_h5();
    let dir = tempfile::tempdir().expect("dir");
    for (name, bytes) in &files {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, bytes).expect("write");
    }
    let (disk, memory) = (
        H5Source::Dir(dir.path().to_path_buf()),
        H5Source::memory(files),
    );
    let wasm = format!("/{WASM}");
    let sidebar_wasm = format!("/{SIDEBAR_WASM}");
    let requests: Vec<Request> = vec![
        (Method::GET, &wasm, vec![]),
        (Method::GET, &wasm, vec![("accept-encoding", "br")]),
        (
            Method::GET,
            &wasm,
            vec![("accept-encoding", "gzip;q=1, br;q=0.1")],
        ),
        (Method::HEAD, &wasm, vec![("accept-encoding", "br")]),
        (Method::GET, &wasm, vec![("range", "bytes=4-")]),
        (Method::GET, &wasm, vec![("range", "bytes=9000-9001")]),
        (Method::GET, &wasm, vec![("if-match", "\"nope\"")]),
        (Method::POST, &wasm, vec![]),
        (Method::GET, "/app-38a20c1a94695f3b_bg.wasm.br", vec![]),
        (Method::GET, &sidebar_wasm, vec![("accept-encoding", "br")]),
        (
            Method::GET,
            "/tokens-412f31f3793dcce.css",
            vec![("accept-encoding", "gzip")],
        ),
        (Method::GET, "/robots.txt", vec![]),
        (
            Method::GET,
            "/robots.txt",
            vec![("accept-encoding", "gzip")],
        ),
        (Method::GET, "/order", vec![]),
        (Method::HEAD, "/sidebar", vec![]),
        (Method::GET, "/.env", vec![]),
        (Method::GET, "/sidebar/../robots.txt", vec![]),
        (Method::GET, "/missing-0123456789abcdef.js", vec![]),
        (Method::GET, "/orders/DD-1", vec![]),
        (Method::GET, "/sidebar", vec![("accept-encoding", "gzip")]),
    ];
    for (method, path, headers) in requests {
        let what = format!("{method} {path} {headers:?}");
        let a = call(&disk, method.clone(), path, &headers).await;
        let b = call(&memory, method, path, &headers).await;
        assert_eq!(a.0, b.0, "{what}");
        for name in [
            "content-type",
            "content-encoding",
            "content-disposition",
            "content-range",
            "accept-ranges",
            "vary",
            "cache-control",
            "content-security-policy",
        ] {
            assert_eq!(text(&a.1, name), text(&b.1, name), "{what}: {name}");
        }
        assert_eq!(a.1.contains_key("etag"), b.1.contains_key("etag"), "{what}");
        assert_eq!(a.2, b.2, "{what}");
    }
}

#[actix_web::test]
async fn without_the_apps_page_every_path_says_how_to_build_it() {
    let source = H5Source::memory([("sidebar/index.html", "<html></html>")]);
    assert!(!source.is_built());
    let (status, _, body) = call(&source, Method::GET, "/sidebar", &[]).await;
    assert_eq!(status, 404);
    assert!(String::from_utf8_lossy(&body).contains("make build"));
    assert!(H5Source::memory(built_h5()).is_built());
}
