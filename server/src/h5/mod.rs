//! Serves the built H5, from the binary (`--features embed-h5`) or from a directory
//! (`server.static_dir`), alike (`source`): hashed assets with long cache headers,
//! `index.html` (never cached) for `/` and every client route, and the smaller builds
//! of the pages a member opens on a phone: the chat sidebar (`sidebar/index.html`) for
//! `/sidebar`, 我的订单 (`orders/index.html`) for `/orders`, one order's page
//! (`order/index.html`) for `/orders/{id}` (`shell`). In the demo, the simulator's
//! WeCom bridge script is put in before everything else in `<head>`. An asset with
//! precompressed copies is sent as the one the client accepts (`precompressed`).

mod memory;
mod precompressed;
mod shell;
mod source;

use std::sync::Arc;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::{from_fn, Compress, Next};
use actix_web::{web, HttpResponse};

pub use memory::MemoryFiles;
pub use source::H5Source;

use shell::{serve_app, serve_order, serve_orders, serve_sidebar, Shells};

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
pub fn configure(cfg: &mut web::ServiceConfig, source: &H5Source, bridge_script: Option<&str>) {
    let Some(shells) = Shells::read(source, bridge_script) else {
        let shown = source.root();
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
    cfg.app_data(web::Data::new(shells));
    let scope = web::scope("")
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
        .route("/order/index.html", web::get().to(serve_app));
    // What no route takes: a file, else the app's page.
    match source {
        H5Source::Dir(dir) => {
            cfg.app_data(web::Data::new(precompressed::StaticDir(dir.clone())))
                .service(
                    scope.service(
                        actix_files::Files::new("/", dir)
                            .use_etag(true)
                            .default_handler(web::to(serve_app)),
                    ),
                );
        }
        H5Source::Memory(files) => {
            cfg.app_data(web::Data::from(files.clone()))
                .service(scope.default_service(web::to(memory::serve)));
        }
    }
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
mod tests;
