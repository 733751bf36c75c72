//! `GET /metrics`: who may scrape (`[metrics] allow`, a bearer token), and the
//! recorder's text with what is read from the database at scrape time (the outbox).

use std::fmt::Write as _;
use std::net::IpAddr;

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use ipnet::IpNet;
use metrics_exporter_prometheus::PrometheusHandle;
use secrecy::{ExposeSecret, SecretString};
use subtle::ConstantTimeEq;

use crate::config::MetricsSettings;
use crate::db::Db;
use crate::error::{ApiError, ErrorCode};
use crate::metrics::*;

// ---- GET /metrics -----------------------------------------------------------------

/// Who may scrape, and what is rendered.
pub struct Scrape {
    handle: PrometheusHandle,
    allow: Vec<IpNet>,
    token: Option<SecretString>,
    db: Db,
}

impl Scrape {
    /// Installs the recorder (once per process) and reads `[metrics]`; a bad `allow`
    /// entry or an empty token is an error naming it.
    pub fn from_settings(settings: &MetricsSettings, db: Db) -> anyhow::Result<Self> {
        let allow = parse_allow(&settings.allow)?;
        if let Some(token) = &settings.token {
            anyhow::ensure!(
                !token.expose_secret().trim().is_empty(),
                "metrics.token is empty: set a secret or leave it out"
            );
        }
        Ok(Self {
            handle: install()?,
            allow,
            token: settings.token.clone(),
            db,
        })
    }

    /// The request carries the token, or its TCP peer is in `allow` and it was not
    /// passed on by a proxy.
    fn may_scrape(&self, req: &HttpRequest) -> bool {
        if let Some(expected) = &self.token {
            let given = req
                .headers()
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.strip_prefix("Bearer "))
                .unwrap_or_default();
            if bool::from(expected.expose_secret().as_bytes().ct_eq(given.as_bytes())) {
                return true;
            }
        }
        // A request a proxy passed on comes from the proxy's address: on the same host
        // that is loopback, whoever sent it. Only the token lets such a request in.
        let forwarded = [
            header::FORWARDED,
            header::HeaderName::from_static("x-forwarded-for"),
            header::HeaderName::from_static("x-real-ip"),
        ]
        .iter()
        .any(|name| req.headers().contains_key(name));
        !forwarded
            && req
                .peer_addr()
                .map(|peer| peer.ip().to_canonical())
                .is_some_and(|ip| self.allow.iter().any(|net| net.contains(&ip)))
    }
}

/// `metrics.allow`: addresses (`127.0.0.1`, `::1`) and CIDR blocks (`10.0.0.0/8`).
pub fn parse_allow(entries: &[String]) -> anyhow::Result<Vec<IpNet>> {
    entries
        .iter()
        .map(|entry| {
            let entry = entry.trim();
            entry
                .parse::<IpNet>()
                .or_else(|_| entry.parse::<IpAddr>().map(IpNet::from))
                .map(|net| net.trunc())
                .map_err(|_| {
                    anyhow::anyhow!(
                        "metrics.allow: {entry:?} is neither an IP address nor a CIDR block (e.g. \"10.0.0.0/8\")"
                    )
                })
        })
        .collect()
}

/// `GET /metrics` when `scrape` is set; else a 404, whatever else serves unknown paths.
pub fn configure(cfg: &mut web::ServiceConfig, scrape: Option<web::Data<Scrape>>) {
    match scrape {
        Some(scrape) => cfg.service(
            web::resource("/metrics")
                .app_data(scrape)
                .route(web::get().to(render)),
        ),
        None => cfg.service(web::resource("/metrics").to(|| async {
            Err::<HttpResponse, _>(ApiError::not_found(
                "指标未开启（metrics.enabled = false）。/ Metrics are off.",
            ))
        })),
    };
}

async fn render(req: HttpRequest, scrape: web::Data<Scrape>) -> Result<HttpResponse, ApiError> {
    if !scrape.may_scrape(&req) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            ErrorCode::MetricsForbidden,
            "不允许从此地址读取指标，请管理员把抓取方加入 metrics.allow 或配置 metrics.token。/ Metrics may not be read from here: see metrics.allow and metrics.token.",
        ));
    }
    let mut text = scrape.handle.render();
    match crate::outbox::store::backlog(&scrape.db).await {
        Ok(backlog) => write_outbox(&mut text, &backlog, crate::clock::now_millis()),
        // The rest is still worth a scrape; the outbox series go missing meanwhile.
        Err(e) => tracing::warn!(error = %e, "outbox unreadable; metrics answered without it"),
    }
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE)))
        .insert_header((header::CACHE_CONTROL, HeaderValue::from_static("no-store")))
        .body(text))
}

/// The outbox gauges, every kind present (0 when it has no rows).
fn write_outbox(text: &mut String, backlog: &[crate::outbox::store::Backlog], now_ms: i64) {
    use crate::outbox::store::Kind;
    // (kind, depth, oldest age in seconds, failed)
    let rows = [Kind::Robot, Kind::Event, Kind::AppMessage].map(|kind| {
        let b = backlog.iter().find(|b| b.kind == kind);
        let age = b
            .and_then(|b| b.oldest_queued_ms)
            .map_or(0.0, |at| (now_ms - at).max(0) as f64 / 1000.0);
        (
            kind.as_str(),
            b.map_or(0, |b| b.queued),
            age,
            b.map_or(0, |b| b.failed),
        )
    });
    let mut gauge = |name: &str, help: &str, value: &dyn Fn(usize) -> String| {
        let _ = writeln!(text, "# HELP {name} {help}\n# TYPE {name} gauge");
        for (i, row) in rows.iter().enumerate() {
            let _ = writeln!(text, "{name}{{kind=\"{}\"}} {}", row.0, value(i));
        }
        text.push('\n');
    };
    gauge(OUTBOX_DEPTH, "Outbox rows not yet sent", &|i| {
        rows[i].1.to_string()
    });
    gauge(
        OUTBOX_OLDEST_AGE,
        "Age of the oldest outbox row not yet sent",
        &|i| format!("{:.3}", rows[i].2),
    );
    gauge(
        OUTBOX_FAILED,
        "Outbox rows given up on (an admin may retry them)",
        &|i| rows[i].3.to_string(),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allow_takes_addresses_and_blocks_and_names_a_bad_entry() {
        let nets =
            parse_allow(&["127.0.0.1".into(), "::1".into(), "10.1.2.3/8".into()]).expect("valid");
        let has = |ip: &str| {
            let ip: IpAddr = ip.parse().expect("ip");
            nets.iter().any(|n| n.contains(&ip))
        };
        assert!(has("127.0.0.1") && has("::1") && has("10.200.0.1"));
        assert!(!has("127.0.0.2") && !has("11.0.0.1"));
        let err = parse_allow(&["10.0.0.0/33".into()]).expect_err("a bad prefix");
        assert!(err.to_string().contains("10.0.0.0/33"), "{err}");
        let err = parse_allow(&["localhost".into()]).expect_err("a name");
        assert!(err.to_string().contains("localhost"), "{err}");
    }
}
