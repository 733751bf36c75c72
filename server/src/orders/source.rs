//! Where orders come from: pushed by the business system (`embedded`), or pulled from
//! it on demand (`integration.order_source` = an http(s) URL template with `{id}`).

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::time::{Duration, Instant};

use anyhow::Context;
use desk_shared::OrderInput;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use secrecy::ExposeSecret;

use crate::config::IntegrationSettings;

/// The largest order answer read from the business system.
const MAX_ANSWER_BYTES: usize = 64 * 1024;

/// How orders reach the server.
pub enum OrderSource {
    /// Only pushed (`PUT /api/v1/orders/{id}`).
    Embedded,
    /// Also pulled when a member opens one.
    Http(Box<HttpOrderSource>),
}

/// The business system's order endpoint.
pub struct HttpOrderSource {
    /// `https://erp.example.com/api/orders/{id}`.
    template: String,
    headers: HeaderMap,
    /// A pulled order is used this long before it is fetched again (seconds).
    pub ttl_secs: i64,
    http: reqwest::Client,
    /// One fetch per order at a time; concurrent opens wait for it. A fixed set of
    /// locks chosen by the id's hash: nothing is kept per id, so ids nobody has
    /// cost no memory (two ids sharing a lock only wait for each other).
    fetching: [tokio::sync::Mutex<()>; FETCH_LOCKS],
    hasher: RandomState,
    /// Ids the business system answered 404 for, and when: not asked again for
    /// `NOT_FOUND_FOR`. Bounded by `MAX_NOT_FOUND`.
    not_found: parking_lot::Mutex<HashMap<String, Instant>>,
}

/// Locks that serialise fetches of one order.
const FETCH_LOCKS: usize = 64;
/// How long an order the business system does not have is answered 404 without
/// asking it again: an order created meanwhile shows after this long.
pub const NOT_FOUND_FOR: Duration = Duration::from_secs(60);
/// Unknown ids remembered at most (some 100 bytes each).
const MAX_NOT_FOUND: usize = 10_000;

/// What the business system said about an order.
#[derive(Debug)]
pub enum Pulled {
    Found(OrderInput),
    /// It answered 404: there is no such order.
    NotFound,
}

/// Why an order could not be pulled.
#[derive(Debug, thiserror::Error)]
pub enum PullError {
    #[error("the business system did not answer in time")]
    Timeout,
    #[error("the business system could not be reached: {0}")]
    Unreachable(String),
    #[error("the business system answered HTTP {0}")]
    Status(u16),
    /// The answer is not an order: `field` names what is wrong when one is.
    #[error("the business system's answer is not an order: {why}")]
    Invalid { field: Option<String>, why: String },
}

impl OrderSource {
    /// Reads `integration.order_source*`; anything but `embedded` or an http(s) URL
    /// template holding `{id}` is a start-up error naming the key.
    pub fn from_settings(s: &IntegrationSettings) -> anyhow::Result<Self> {
        let source = s.order_source.trim();
        let source_text = source;
        if source == "embedded" {
            return Ok(Self::Embedded);
        }
        let probe = source.replace("{id}", "x");
        let valid = source.contains("{id}")
            && url::Url::parse(&probe)
                .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.has_host());
        anyhow::ensure!(
            valid,
            "integration.order_source must be \"embedded\" or an http(s) URL template with {{id}}, e.g. https://erp.example.com/api/orders/{{id}} (got {source:?})"
        );
        let mut headers = HeaderMap::new();
        for (name, value) in &s.order_source_headers {
            let name = HeaderName::from_bytes(name.as_bytes()).with_context(|| {
                format!("integration.order_source_headers: {name:?} is not a header name")
            })?;
            let mut value = HeaderValue::from_str(value.expose_secret()).with_context(|| {
                format!("integration.order_source_headers.{name}: not a valid header value")
            })?;
            value.set_sensitive(true);
            headers.insert(name, value);
        }
        let timeout = s.order_source_timeout_secs;
        anyhow::ensure!(
            timeout.is_finite() && timeout > 0.0,
            "integration.order_source_timeout_secs must be a positive number of seconds"
        );
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs_f64(timeout.min(60.0)))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .context("cannot build the order source's HTTP client")?;
        let source = Self::Http(Box::new(HttpOrderSource {
            template: source.to_string(),
            headers,
            ttl_secs: s.order_source_ttl_secs as i64,
            http,
            fetching: std::array::from_fn(|_| tokio::sync::Mutex::new(())),
            hasher: RandomState::new(),
            not_found: Default::default(),
        }));
        if let Self::Http(http) = &source {
            anyhow::ensure!(
                http.url_for("DD-1").is_some(),
                "integration.order_source {source_text:?}: an order id would not stay where {{id}} is"
            );
        }
        Ok(source)
    }
}

impl HttpOrderSource {
    /// The URL for order `id`: `{id}` percent-encoded, so no id can change the path;
    /// `None` when the URL would not stay under the template's path all the same (an
    /// id of dots only is a `..` segment to URL parsers even percent-encoded).
    pub fn url_for(&self, id: &str) -> Option<String> {
        let encoded = percent_encoding::utf8_percent_encode(id, percent_encoding::NON_ALPHANUMERIC)
            .to_string();
        let url = self.template.replace("{id}", &encoded);
        let before_id = &self.template[..self.template.find("{id}")?];
        let parsed = url::Url::parse(&url).ok()?;
        if before_id.contains('?') {
            // In the query the encoded id is a value: it cannot make a path segment.
            return Some(url);
        }
        let base = url::Url::parse(&format!("{before_id}x")).ok()?;
        let base_dir = base.path().strip_suffix('x')?;
        (parsed.path().starts_with(base_dir)
            && parsed.path().len() > base_dir.len()
            && parsed.host() == base.host()
            && parsed.port() == base.port())
        .then_some(url)
    }

    /// The lock that makes concurrent opens of one order share one fetch.
    pub fn slot(&self, id: &str) -> &tokio::sync::Mutex<()> {
        let i = self.hasher.hash_one(id) as usize % FETCH_LOCKS;
        &self.fetching[i]
    }

    /// Whether the business system said it has no order `id` less than
    /// `NOT_FOUND_FOR` ago.
    pub fn recently_not_found(&self, id: &str) -> bool {
        self.not_found
            .lock()
            .get(id)
            .is_some_and(|at| at.elapsed() < NOT_FOUND_FOR)
    }

    fn remember_not_found(&self, id: &str) {
        let mut seen = self.not_found.lock();
        if seen.len() >= MAX_NOT_FOUND {
            seen.retain(|_, at| at.elapsed() < NOT_FOUND_FOR);
            if seen.len() >= MAX_NOT_FOUND {
                seen.clear();
            }
        }
        seen.insert(id.to_string(), Instant::now());
    }

    /// GETs order `id` from the business system. A 404 is remembered for
    /// `NOT_FOUND_FOR`.
    pub async fn fetch(&self, id: &str) -> Result<Pulled, PullError> {
        let pulled = self.fetch_once(id).await;
        match &pulled {
            Ok(Pulled::NotFound) => self.remember_not_found(id),
            Ok(Pulled::Found(_)) => {
                self.not_found.lock().remove(id);
            }
            Err(_) => {}
        }
        pulled
    }

    async fn fetch_once(&self, id: &str) -> Result<Pulled, PullError> {
        let Some(url) = self.url_for(id) else {
            return Ok(Pulled::NotFound);
        };
        let mut resp = self
            .http
            .get(url)
            .headers(self.headers.clone())
            .header("accept", "application/json")
            .send()
            .await
            .map_err(transport)?;
        match resp.status().as_u16() {
            404 => return Ok(Pulled::NotFound),
            200..=299 => {}
            s => return Err(PullError::Status(s)),
        }
        let mut body = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(transport)? {
            if body.len() + chunk.len() > MAX_ANSWER_BYTES {
                return Err(PullError::Invalid {
                    field: None,
                    why: format!("the answer is over {MAX_ANSWER_BYTES} bytes"),
                });
            }
            body.extend_from_slice(&chunk);
        }
        serde_json::from_slice::<OrderInput>(&body)
            .map(Pulled::Found)
            .map_err(|e| PullError::Invalid {
                field: missing_field(&e.to_string()),
                why: e.to_string(),
            })
    }
}

fn transport(e: reqwest::Error) -> PullError {
    if e.is_timeout() {
        PullError::Timeout
    } else {
        // Without the URL: the template may carry a key in its query.
        PullError::Unreachable(e.without_url().to_string())
    }
}

/// The field serde says is missing or wrong, as the JSON names it.
fn missing_field(message: &str) -> Option<String> {
    message
        .split('`')
        .nth(1)
        .filter(|f| f.chars().all(|c| c.is_ascii_alphanumeric()))
        .map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(source: &str) -> IntegrationSettings {
        IntegrationSettings {
            order_source: source.into(),
            ..IntegrationSettings::default()
        }
    }

    #[test]
    fn only_embedded_or_a_url_template_with_id_is_accepted() {
        assert!(matches!(
            OrderSource::from_settings(&settings("embedded")),
            Ok(OrderSource::Embedded)
        ));
        assert!(matches!(
            OrderSource::from_settings(&settings("https://erp.example.com/api/orders/{id}")),
            Ok(OrderSource::Http(_))
        ));
        for bad in [
            "http",
            "https://erp.example.com/api/orders",
            "ftp://erp.example.com/{id}",
            "erp.example.com/{id}",
            "",
        ] {
            let err = OrderSource::from_settings(&settings(bad))
                .err()
                .unwrap_or_else(|| panic!("{bad:?} accepted"));
            assert!(
                err.to_string().contains("integration.order_source"),
                "{err}"
            );
        }
    }

    #[test]
    fn the_id_cannot_change_the_path() {
        let Ok(OrderSource::Http(src)) =
            OrderSource::from_settings(&settings("https://erp.example.com/o/{id}?x=1"))
        else {
            panic!("http source");
        };
        assert_eq!(
            src.url_for("DD-1").as_deref(),
            Some("https://erp.example.com/o/DD%2D1?x=1")
        );
        assert_eq!(
            src.url_for("../admin?a=b#c").as_deref(),
            Some("https://erp.example.com/o/%2E%2E%2Fadmin%3Fa%3Db%23c?x=1")
        );
    }

    #[test]
    fn dot_segments_never_leave_the_templates_path() {
        for template in [
            "https://erp.example.com/api/orders/{id}",
            "https://erp.example.com/api/orders/{id}/detail?k=1",
            "https://erp.example.com/api/orders/{id}.json",
        ] {
            let Ok(OrderSource::Http(src)) = OrderSource::from_settings(&settings(template)) else {
                panic!("http source");
            };
            for id in [
                ".", "..", "...", "%2e", "%2e%2e", "/", "../..", "./x", "a/../..",
            ] {
                if let Some(url) = src.url_for(id) {
                    let parsed = url::Url::parse(&url).expect("a URL");
                    assert!(
                        parsed.path().starts_with("/api/orders/")
                            && parsed.path().len() > "/api/orders/".len(),
                        "{template} with {id:?} went to {}",
                        parsed.path()
                    );
                }
            }
            assert!(src.url_for("..").is_none() || template.ends_with(".json"));
        }
        // `{id}` in the query: a value there, never a path segment.
        let Ok(OrderSource::Http(src)) =
            OrderSource::from_settings(&settings("https://erp.example.com/orders?id={id}"))
        else {
            panic!("http source with the id in the query");
        };
        assert_eq!(
            src.url_for("DD-1").as_deref(),
            Some("https://erp.example.com/orders?id=DD%2D1")
        );
        let url = src.url_for("../x").expect("a URL");
        assert_eq!(url::Url::parse(&url).expect("url").path(), "/orders");
    }

    #[test]
    fn serde_errors_name_the_field() {
        assert_eq!(
            missing_field("missing field `customerPhone` at line 1 column 40"),
            Some("customerPhone".into())
        );
        assert_eq!(missing_field("expected value at line 1 column 1"), None);
    }
}
