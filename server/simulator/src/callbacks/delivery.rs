//! Sending one callback as WeCom does: encrypted and signed, POSTed to the callback
//! URL; whatever is not a 2xx within the timeout (5 s) is sent again, the very same
//! request, three tries in all.

use std::time::Duration;

use rand::Rng;
use serde::Serialize;

use desk_wecom::crypto::CallbackCrypto;

/// Tries per delivery, as WeCom makes them.
pub const TRIES: u32 = 3;

/// How callbacks are sent; `PUT /sim/callback` changes it.
#[derive(Debug, Clone, Copy, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeliverySettings {
    /// Extra deliveries of every callback, even when it was answered: WeCom sometimes
    /// sends a message again, and the app must de-duplicate.
    pub duplicates: u32,
    /// The pause between two tries.
    pub retry_pause_ms: u64,
    /// How long one try waits for an answer.
    pub timeout_ms: u64,
}

impl Default for DeliverySettings {
    fn default() -> Self {
        Self {
            duplicates: 0,
            retry_pause_ms: 1000,
            timeout_ms: 5000,
        }
    }
}

/// Everything one delivery needs, copied out of the world so nothing is locked while
/// it is sent.
#[derive(Debug, Clone)]
pub struct Job {
    pub url: String,
    pub token: String,
    pub encoding_aes_key: String,
    pub corp_id: String,
    pub agent_id: i64,
    pub settings: DeliverySettings,
}

/// How a delivery went.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Outcome {
    /// Requests made for the delivery (1..=3; 0 when nothing was sent).
    pub tries: u32,
    /// Whether a try was answered with a 2xx.
    pub delivered: bool,
    /// The last try's HTTP status (`"200"`), or `timeout`, `unreachable`,
    /// `not_configured` (no callback URL), `invalid_key` (the EncodingAESKey is unusable).
    pub status: String,
    /// Extra deliveries made because of `duplicates`.
    pub resent: u32,
}

impl Outcome {
    fn unsent(status: &str) -> Self {
        Self {
            tries: 0,
            delivered: false,
            status: status.into(),
            resent: 0,
        }
    }

    /// No callback URL is set: the event is only logged.
    pub fn not_configured() -> Self {
        Self::unsent("not_configured")
    }
}

/// Delivers `plaintext` (with its retries), then its `duplicates`.
pub async fn deliver(http: &reqwest::Client, job: &Job, plaintext: &str) -> Outcome {
    let Ok(crypto) = CallbackCrypto::new(
        job.token.clone().into(),
        &job.encoding_aes_key,
        job.corp_id.clone(),
    ) else {
        return Outcome::unsent("invalid_key");
    };
    let mut outcome = deliver_once(http, job, &crypto, plaintext).await;
    for _ in 0..job.settings.duplicates {
        // A fresh request each time (new nonce, new ciphertext): only the message is
        // the same, so only the message's own ids can tell it was seen.
        deliver_once(http, job, &crypto, plaintext).await;
        outcome.resent += 1;
    }
    outcome
}

/// One delivery: up to three tries of the same request.
async fn deliver_once(
    http: &reqwest::Client,
    job: &Job,
    crypto: &CallbackCrypto,
    plaintext: &str,
) -> Outcome {
    let request = Signed::new(job, crypto, plaintext);
    let mut status = String::new();
    for tried in 1..=TRIES {
        match request.post(http, job).await {
            Answer::Status(code) if (200..300).contains(&code) => {
                return Outcome {
                    tries: tried,
                    delivered: true,
                    status: code.to_string(),
                    resent: 0,
                }
            }
            Answer::Status(code) => status = code.to_string(),
            Answer::Timeout => status = "timeout".into(),
            Answer::Unreachable => status = "unreachable".into(),
        }
        if tried < TRIES {
            tokio::time::sleep(Duration::from_millis(job.settings.retry_pause_ms)).await;
        }
    }
    Outcome {
        tries: TRIES,
        delivered: false,
        status,
        resent: 0,
    }
}

/// What one try came back with.
enum Answer {
    Status(u16),
    Timeout,
    Unreachable,
}

/// One encrypted, signed request, ready to be sent (and sent again).
struct Signed {
    timestamp: String,
    nonce: String,
    signature: String,
    body: String,
}

impl Signed {
    fn new(job: &Job, crypto: &CallbackCrypto, plaintext: &str) -> Self {
        let encrypt = crypto.encrypt(plaintext);
        let timestamp = desk_wecom::clock::now_secs().to_string();
        // WeCom's nonces are digits.
        let nonce = rand::thread_rng()
            .gen_range(1_000_000_000u64..10_000_000_000)
            .to_string();
        let signature = crypto.sign(&timestamp, &nonce, &encrypt);
        let body = format!(
            "<xml><ToUserName><![CDATA[{corp}]]></ToUserName><Encrypt><![CDATA[{encrypt}]]></Encrypt><AgentID><![CDATA[{agent}]]></AgentID></xml>",
            corp = job.corp_id,
            agent = job.agent_id,
        );
        Self {
            timestamp,
            nonce,
            signature,
            body,
        }
    }

    async fn post(&self, http: &reqwest::Client, job: &Job) -> Answer {
        let sent = http
            .post(&job.url)
            .query(&[
                ("msg_signature", self.signature.as_str()),
                ("timestamp", self.timestamp.as_str()),
                ("nonce", self.nonce.as_str()),
            ])
            .header(reqwest::header::CONTENT_TYPE, "text/xml")
            .body(self.body.clone())
            .timeout(Duration::from_millis(job.settings.timeout_ms))
            .send()
            .await;
        match sent {
            Ok(resp) => Answer::Status(resp.status().as_u16()),
            Err(e) if e.is_timeout() => Answer::Timeout,
            Err(e) => {
                tracing::debug!(error = %e, url = %job.url, "simulated callback not delivered");
                Answer::Unreachable
            }
        }
    }
}
