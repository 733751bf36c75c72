//! JS-SDK signing as WeCom defines it (D-90506): the string a page's `wx.config` and
//! `wx.agentConfig` are signed over, and fresh nonces. Pure: no I/O, no tickets fetched.

use desk_shared::{JsSignature, Signatures};
use rand::Rng;
use sha1::{Digest, Sha1};

/// `lowercase hex(sha1("jsapi_ticket=T&noncestr=N&timestamp=S&url=U"))` (D-90506).
pub fn sign(ticket: &str, nonce: &str, timestamp: i64, url: &str) -> String {
    let mut h = Sha1::new();
    h.update(b"jsapi_ticket=");
    h.update(ticket.as_bytes());
    h.update(b"&noncestr=");
    h.update(nonce.as_bytes());
    h.update(b"&timestamp=");
    h.update(itoa::Buffer::new().format(timestamp).as_bytes());
    h.update(b"&url=");
    h.update(url.as_bytes());
    hex::encode(h.finalize())
}

/// Both signatures for `url`, each with a fresh nonce, at `now` (unix seconds).
pub fn signatures_for(
    corp_id: &str,
    agent_id: i64,
    corp_ticket: &str,
    agent_ticket: &str,
    url: &str,
    now: i64,
) -> Signatures {
    Signatures {
        corp_id: corp_id.to_string(),
        agent_id,
        corp: signature(corp_ticket, url, now),
        agent: signature(agent_ticket, url, now),
    }
}

/// 16 random hex characters (64 bits): WeCom takes any nonce string.
fn nonce() -> String {
    format!("{:016x}", rand::thread_rng().gen::<u64>())
}

fn signature(ticket: &str, url: &str, timestamp: i64) -> JsSignature {
    let nonce_str = nonce();
    JsSignature {
        signature: sign(ticket, &nonce_str, timestamp, url),
        timestamp,
        nonce_str,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn official_signature_example() {
        let s = sign(
            "sM4AOVdWfPE4DxkXGEs8VMCPGGVi4C3VM0P37wVUCFvkVAy_90u5h9nbSlYy3-Sl-HhTdfl2fzFy1AOcHKP7qg",
            "Wm3WZYTPz0wzccnW",
            1414587457,
            "http://mp.weixin.qq.com?params=value",
        );
        assert_eq!(s, "0f9de62fce790f9a083d5c99e95740ceb90c27ed");
    }

    #[test]
    fn nonces_differ_each_time() {
        assert_ne!(nonce(), nonce());
        assert_eq!(nonce().len(), 16);
    }

    #[test]
    fn each_signature_is_over_its_own_ticket_nonce_and_time() {
        let s = signatures_for(
            "ww1",
            1000002,
            "corp-ticket",
            "app-ticket",
            "https://a/",
            1_700_000_000,
        );
        assert_ne!(s.corp.nonce_str, s.agent.nonce_str);
        assert_eq!(
            s.corp.signature,
            sign(
                "corp-ticket",
                &s.corp.nonce_str,
                s.corp.timestamp,
                "https://a/"
            )
        );
        assert_eq!(
            s.agent.signature,
            sign(
                "app-ticket",
                &s.agent.nonce_str,
                s.agent.timestamp,
                "https://a/"
            )
        );
    }
}
