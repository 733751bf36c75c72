//! The pages' `index.html` (each build's shell) as served: read once, the demo's bridge
//! script put first, sent with the Content-Security-Policy that lets exactly it run.

use std::sync::Arc;

use actix_web::http::header::{self, HeaderValue};
use actix_web::{web, HttpResponse};

use super::H5Source;

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
pub(super) struct Shells {
    app: Shell,
    sidebar: Option<Shell>,
    orders: Option<Shell>,
    order: Option<Shell>,
}

impl Shell {
    fn new(html: &str, bridge_script: Option<&str>) -> Self {
        let html = inject(html, bridge_script);
        let policy = content_security_policy(&html, bridge_script);
        let header = |p: String| {
            HeaderValue::from_str(&p).unwrap_or(HeaderValue::from_static("default-src 'self'"))
        };
        Self {
            html: html.into(),
            csp: header(policy.clone()),
            csp_unframed: header(format!("{policy}; frame-ancestors 'none'")),
        }
    }
}

impl Shells {
    /// The shells `source` has; `None` without the app's (an H5 not built).
    pub(super) fn read(source: &H5Source, bridge_script: Option<&str>) -> Option<Self> {
        let shell = |name: &str| {
            source
                .text(name)
                .map(|html| Shell::new(&html, bridge_script))
        };
        Some(Self {
            app: shell("index.html")?,
            // Without its own build a page is a page of the app like any other.
            sidebar: shell("sidebar/index.html"),
            orders: shell("orders/index.html"),
            order: shell("order/index.html"),
        })
    }
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
pub(super) async fn serve_app(
    shells: web::Data<Shells>,
    req: actix_web::HttpRequest,
) -> HttpResponse {
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

pub(super) async fn serve_sidebar(shells: web::Data<Shells>) -> HttpResponse {
    let shell = shells.sidebar.as_ref().unwrap_or(&shells.app);
    serve(shell, &shell.csp)
}

pub(super) async fn serve_order(shells: web::Data<Shells>) -> HttpResponse {
    let shell = shells.order.as_ref().unwrap_or(&shells.app);
    serve(shell, &shell.csp)
}

pub(super) async fn serve_orders(shells: web::Data<Shells>) -> HttpResponse {
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

#[cfg(test)]
mod tests {
    use super::*;

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
