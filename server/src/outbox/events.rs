//! Events to the business system: `POST integration.events_url` with
//! `{id, type, createdAt, data}`, signed `X-Desk-Signature: t=<unix secs>,v1=<hex
//! HMAC-SHA256(events_secret, "<t>.<body>")>`. Each event is queued in the outbox in
//! the transaction of the change it tells about, and retried until a 2xx; its `id`
//! (and body) is the same on every try, so receivers de-duplicate on it.

use anyhow::Context;
use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

use crate::config::IntegrationSettings;
use crate::db::Tx;
use crate::outbox::store::{insert, Kind, NewRow};

/// The header carrying the signature.
pub const SIGNATURE_HEADER: &str = "X-Desk-Signature";

/// Where events go, if anywhere.
#[derive(Clone)]
pub struct Events {
    target: Option<Target>,
}

#[derive(Clone)]
pub struct Target {
    pub url: String,
    pub secret: SecretString,
}

impl std::fmt::Debug for Events {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Events")
            .field("url", &self.target.as_ref().map(|t| &t.url))
            .finish_non_exhaustive()
    }
}

impl Events {
    /// From `integration.events_url` / `events_secret`: both or neither.
    pub fn from_settings(s: &IntegrationSettings) -> anyhow::Result<Self> {
        let target = match (&s.events_url, &s.events_secret) {
            (None, None) => None,
            (Some(url), Some(secret)) => {
                let parsed = url::Url::parse(url).context("integration.events_url")?;
                anyhow::ensure!(
                    matches!(parsed.scheme(), "http" | "https"),
                    "integration.events_url must be an http(s) URL"
                );
                anyhow::ensure!(
                    !secret.expose_secret().is_empty(),
                    "integration.events_secret must not be empty"
                );
                Some(Target {
                    url: url.clone(),
                    secret: secret.clone(),
                })
            }
            _ => anyhow::bail!(
                "set both integration.events_url and integration.events_secret, or neither"
            ),
        };
        Ok(Self { target })
    }

    /// No events (nothing configured, or a tool that must not send any).
    pub fn off() -> Self {
        Self { target: None }
    }

    pub fn target(&self) -> Option<&Target> {
        self.target.as_ref()
    }

    /// Queues the event `kind` with `data` in `tx`, unless events are off or an event
    /// with this `id` was queued before (the same change seen again).
    pub async fn emit(
        &self,
        tx: &mut Tx<'_>,
        id: &str,
        kind: &str,
        data: serde_json::Value,
        now_ms: i64,
    ) -> Result<(), sqlx::Error> {
        if self.target.is_none() {
            return Ok(());
        }
        let body = serde_json::json!({
            "id": id,
            "type": kind,
            "createdAt": now_ms / 1000,
            "data": data,
        })
        .to_string();
        let row = NewRow {
            id,
            kind: Kind::Event,
            target: "events",
            payload: &body,
            conversation_id: None,
            staff_id: None,
        };
        insert(tx, &row, now_ms).await.map(drop)
    }
}

/// A stable event id for what `seed` names (e.g. the callback that caused it), so
/// seeing the same thing twice queues one event.
pub fn event_id(seed: &str) -> String {
    let digest = Sha256::digest(seed.as_bytes());
    format!("evt_{}", hex::encode(&digest[..12]))
}

/// The `X-Desk-Signature` value for `body` sent at `t` (unix seconds).
pub fn signature(secret: &SecretString, t: i64, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.expose_secret().as_bytes())
        .expect("HMAC takes a key of any length");
    mac.update(t.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("t={t},v1={}", hex::encode(mac.finalize().into_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_is_hmac_sha256_of_time_dot_body() {
        // Worked out independently: Python's hmac.new(b"desk-secret",
        // b'1700000000.{"id":"evt_1"}', hashlib.sha256).hexdigest().
        let secret: SecretString = "desk-secret".into();
        assert_eq!(
            signature(&secret, 1_700_000_000, br#"{"id":"evt_1"}"#),
            "t=1700000000,v1=2659b1bcd5ec06c261dc6a665da5a914040405ebb87432bc9ac0d55ae5413878"
        );
        assert_ne!(
            signature(&secret, 1_700_000_001, br#"{"id":"evt_1"}"#),
            signature(&secret, 1_700_000_000, br#"{"id":"evt_1"}"#)
        );
    }

    #[test]
    fn event_ids_are_stable_and_differ_by_seed() {
        assert_eq!(event_id("a"), event_id("a"));
        assert_ne!(event_id("a"), event_id("b"));
        assert!(event_id("a").starts_with("evt_"));
    }
}
