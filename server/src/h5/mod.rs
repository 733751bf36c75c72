//! Serves the built H5 (`server.static_dir`): hashed assets with long cache headers,
//! `index.html` (never cached) for `/` and every client route, and the smaller builds
//! of the pages a member opens on a phone: the chat sidebar (`sidebar/index.html`) for
//! `/sidebar`, 我的订单 (`orders/index.html`) for `/orders`, one order's page
//! (`order/index.html`) for `/orders/{id}`. In the demo, the
//! simulator's WeCom bridge script is put in before everything else in `<head>`.
//! An asset with precompressed copies is sent as the one the client accepts
//! (`precompressed`).

mod precompressed;

use std::path::Path;
use std::sync::Arc;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::{from_fn, Compress, Next};
use actix_web::{web, HttpResponse};

/// `index.html` as served, and the Content-Security-Policy that lets it run.
#[derive(Clone)]
struct Shell {
    html: Arc<str>,
    csp: HeaderValue,
    /// The same with `frame-ancestors 'none'`: the admin console is never shown in
    /// the chat toolbar, so no page may frame it (clickjacking).
    csp_unframed: HeaderValue,
}

/// The app's shell, and each page's built on its own (else the app serves it).
#[derive(Clone)]
struct Shells {
    app: Shell,
    sidebar: Option<Shell>,
    orders: Option<Shell>,
    order: Option<Shell>,
}

impl Shell {
    fn read(file: &Path, bridge_script: Option<&str>) -> std::io::Result<Self> {
        let html = inject(&std::fs::read_to_string(file)?, bridge_script);
        let policy = content_security_policy(&html, bridge_script);
        let header = |p: String| {
            HeaderValue::from_str(&p).unwrap_or(HeaderValue::from_static("default-src 'self'"))
        };
        Ok(Self {
            html: html.into(),
            csp: header(policy.clone()),
            csp_unframed: header(format!("{policy}; frame-ancestors 'none'")),
        })
    }
}

/// WeCom's domain verification files (`server.domain_verify_files`): a name WeCom
/// gives (`WW_verify_<letters and digits>.txt`) and its content, checked at start.
pub fn check_verify_files(
    files: &std::collections::BTreeMap<String, String>,
) -> anyhow::Result<()> {
    for (name, content) in files {
        let token = name
            .strip_prefix("WW_verify_")
            .and_then(|n| n.strip_suffix(".txt"))
            .unwrap_or_default();
        anyhow::ensure!(
            !token.is_empty() && token.len() <= 64 && token.bytes().all(|b| b.is_ascii_alphanumeric()),
            "server.domain_verify_files: {name:?} is not a WeCom verification file name (WW_verify_<letters and digits>.txt)"
        );
        anyhow::ensure!(
            !content.is_empty()
                && content.len() <= 1024
                && !content.chars().any(|c| c.is_control() && c != '\n'),
            "server.domain_verify_files.{name}: the content must be the file's text (1 to 1024 characters, as WeCom gave it)"
        );
    }
    Ok(())
}

/// Serves each verification file at the domain's root, as WeCom's 可信域名 check asks.
pub fn verify_files(
    cfg: &mut web::ServiceConfig,
    files: &std::collections::BTreeMap<String, String>,
) {
    for (name, content) in files {
        let body: Arc<str> = content.as_str().into();
        cfg.route(
            &format!("/{name}"),
            web::get().to(move || {
                let body = body.clone();
                async move {
                    HttpResponse::Ok()
                        .content_type("text/plain; charset=utf-8")
                        .body(body.to_string())
                }
            }),
        );
    }
}

/// Registers the H5 routes. Without a built `index.html`, every page says how to build it.
pub fn configure(cfg: &mut web::ServiceConfig, dir: &Path, bridge_script: Option<&str>) {
    let Ok(app) = Shell::read(&dir.join("index.html"), bridge_script) else {
        let shown = dir.display().to_string();
        cfg.default_service(web::to(move || {
            let shown = shown.clone();
            async move {
                HttpResponse::NotFound()
                    .content_type("text/plain; charset=utf-8")
                    .body(format!(
                        "H5 未构建：{shown}/index.html 不存在，请运行 make build。\nThe H5 is not built: run `make build`.\n"
                    ))
            }
        }));
        return;
    };
    // Without its own build a page is a page of the app like any other.
    let own = |name: &str| Shell::read(&dir.join(name).join("index.html"), bridge_script).ok();
    let shells = Shells {
        app,
        sidebar: own("sidebar"),
        orders: own("orders"),
        order: own("order"),
    };
    cfg.app_data(web::Data::new(shells))
        .app_data(web::Data::new(precompressed::StaticDir(dir.to_path_buf())))
        .service(
            web::scope("")
                // Innermost: what it sends already has its Content-Encoding, which
                // `Compress` then leaves as it is.
                .wrap(from_fn(precompressed::serve))
                .wrap(Compress::default())
                .wrap(from_fn(cache_headers))
                .route("/", web::get().to(serve_app))
                .route("/index.html", web::get().to(serve_app))
                .route("/sidebar", web::get().to(serve_sidebar))
                .route("/sidebar/", web::get().to(serve_sidebar))
                .route("/sidebar/index.html", web::get().to(serve_sidebar))
                .route("/orders", web::get().to(serve_orders))
                .route("/orders/", web::get().to(serve_orders))
                .route("/orders/index.html", web::get().to(serve_orders))
                // An order's page; its id may hold an encoded `/`, which the file
                // service refuses. The list's own files (all hashed) go on to it.
                .route(
                    "/orders/{id}",
                    web::get()
                        .guard(actix_web::guard::fn_guard(|ctx| {
                            !is_hashed(ctx.head().uri.path())
                        }))
                        .to(serve_order),
                )
                // The order page's build has no page of its own at its asset path.
                .route("/order/", web::get().to(serve_app))
                .route("/order/index.html", web::get().to(serve_app))
                .service(
                    actix_files::Files::new("/", dir)
                        .use_etag(true)
                        .default_handler(web::to(serve_app)),
                ),
        );
}

/// Puts `<script src=bridge>` before everything the page loads (first in `<head>`, or,
/// in minified HTML without the optional `<head>` tag, before the first `<link>` or
/// `<script>`), so it runs before the JS-SDK.
fn inject(html: &str, bridge_script: Option<&str>) -> String {
    let Some(src) = bridge_script else {
        return html.to_string();
    };
    let at = html
        .find("<head>")
        .map(|at| at + "<head>".len())
        .or_else(|| {
            ["<link", "<script"]
                .iter()
                .filter_map(|tag| html.find(tag))
                .min()
        });
    match at {
        Some(at) => format!(
            "{}<script src=\"{}\"></script>{}",
            &html[..at],
            src.replace('"', "%22"),
            &html[at..]
        ),
        None => html.to_string(),
    }
}

fn serve(shell: &Shell, csp: &HeaderValue) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CONTENT_SECURITY_POLICY, csp.clone()))
        .body(shell.html.to_string())
}

/// Every path no file answers: `/orders/{id}` is an order's page, the rest the app's.
async fn serve_app(shells: web::Data<Shells>, req: actix_web::HttpRequest) -> HttpResponse {
    let path = req.path();
    let app = &shells.app;
    if path.starts_with("/orders/") {
        return serve_order(shells).await;
    }
    match path == "/admin" || path.starts_with("/admin/") {
        true => serve(app, &app.csp_unframed),
        false => serve(app, &app.csp),
    }
}

async fn serve_sidebar(shells: web::Data<Shells>) -> HttpResponse {
    let shell = shells.sidebar.as_ref().unwrap_or(&shells.app);
    serve(shell, &shell.csp)
}

async fn serve_order(shells: web::Data<Shells>) -> HttpResponse {
    let shell = shells.order.as_ref().unwrap_or(&shells.app);
    serve(shell, &shell.csp)
}

async fn serve_orders(shells: web::Data<Shells>) -> HttpResponse {
    let shell = shells.orders.as_ref().unwrap_or(&shells.app);
    serve(shell, &shell.csp)
}

/// Only what the H5 loads: its own files, the inline start-up script Trunk writes
/// (allowed by its hash, so no other inline script runs), WebAssembly, avatars from
/// WeCom's image hosts, and in the demo the simulator's bridge and its API. No
/// `frame-ancestors`: the WeCom client shows the page in its own webview.
fn content_security_policy(html: &str, bridge_script: Option<&str>) -> String {
    use base64::Engine;
    use sha2::{Digest, Sha256};
    let hashes: String = inline_scripts(html)
        .map(|s| {
            let digest = Sha256::digest(s.as_bytes());
            format!(
                " 'sha256-{}'",
                base64::engine::general_purpose::STANDARD.encode(digest)
            )
        })
        .collect();
    let bridge = bridge_script
        .and_then(|src| url::Url::parse(src).ok())
        .map(|u| format!(" {}", u.origin().ascii_serialization()))
        .unwrap_or_default();
    format!(
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'{hashes}{bridge}; \
         style-src 'self' 'unsafe-inline'; img-src 'self' data: https:{bridge}; \
         connect-src 'self'{bridge}; object-src 'none'; base-uri 'self'; form-action 'self'"
    )
}

/// The bodies of `<script>` elements without `src`.
fn inline_scripts(html: &str) -> impl Iterator<Item = &str> {
    html.split("<script").skip(1).filter_map(|rest| {
        let (attrs, body) = rest.split_once('>')?;
        if attrs.contains("src=") {
            return None;
        }
        body.split_once("</script>").map(|(inner, _)| inner)
    })
}

/// Whether a file name carries Trunk's content hash (`app-38a20c1a94695f3b_bg.wasm`).
pub fn is_hashed(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or_default();
    let Some((_, tail)) = name.rsplit_once('-') else {
        return false;
    };
    let hex = tail.bytes().take_while(u8::is_ascii_hexdigit).count();
    (12..=16).contains(&hex)
}

async fn cache_headers(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let hashed = is_hashed(req.path());
    let mut res = next.call(req).await?;
    let is_html = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    let value = if hashed && res.status().is_success() && !is_html {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static(value));
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn the_policy_allows_the_inline_start_script_by_hash_and_the_bridge_only_when_set() {
        let html =
            "<head><script type=\"module\">init()</script><script src=\"/a.js\"></script></head>";
        let csp = content_security_policy(html, None);
        assert!(csp.contains("'sha256-"), "{csp}");
        assert_eq!(inline_scripts(html).collect::<Vec<_>>(), vec!["init()"]);
        assert!(csp.contains("'wasm-unsafe-eval'"));
        let script_src = csp.split(';').find(|d| d.trim().starts_with("script-src"));
        assert!(!script_src.expect("script-src").contains("unsafe-inline"));
        assert!(!csp.contains("127.0.0.1:9"));
        let demo = content_security_policy(html, Some("http://127.0.0.1:9/sim/bridge.js"));
        assert!(demo.contains("script-src 'self' 'wasm-unsafe-eval' 'sha256-"));
        assert!(
            demo.contains("connect-src 'self' http://127.0.0.1:9"),
            "{demo}"
        );
        assert!(!demo.contains("frame-ancestors"));
    }

    #[test]
    fn the_bridge_goes_first_in_minified_html_without_a_head_tag() {
        let html = "<!doctype html><html lang=zh-CN><meta charset=utf-8><title>x</title><link href=/a.css rel=stylesheet><script src=/sdk.js></script>";
        let out = inject(html, Some("http://127.0.0.1:9/sim/bridge.js"));
        let bridge = out.find("bridge.js").expect("injected");
        assert!(bridge < out.find("/a.css").expect("css"));
        assert!(bridge > out.find("<title>").expect("title"));
    }

    #[test]
    fn the_bridge_goes_first_in_head() {
        let html = "<html><head><script src=\"/sdk.js\"></script></head></html>";
        let out = inject(html, Some("http://127.0.0.1:9/sim/bridge.js"));
        let bridge = out.find("bridge.js").expect("injected");
        assert!(bridge < out.find("/sdk.js").expect("sdk"));
        assert_eq!(inject(html, None), html);
    }
}
