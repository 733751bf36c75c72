//! Callback crypto (wecom-api.md section 9): `msg_signature`, AES-256-CBC with the
//! key's first 16 bytes as IV, PKCS#7 to 32-byte blocks, and the
//! `random(16) ‖ len(4, BE) ‖ msg ‖ receive_id` plaintext layout.

use aes::cipher::block_padding::NoPadding;
use aes::cipher::{BlockDecryptMut, BlockEncryptMut, KeyIvInit};
use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::Engine;
use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};
use sha1::{Digest, Sha1};
use subtle::ConstantTimeEq;

type Decryptor = cbc::Decryptor<aes::Aes256>;
type Encryptor = cbc::Encryptor<aes::Aes256>;

/// WeCom pads to 32 bytes, not AES's 16.
const PAD_BLOCK: usize = 32;

/// Real EncodingAESKeys often have non-zero trailing bits, and WeCom's own ciphertexts
/// are read the same way: decode without insisting on canonical form.
const LENIENT: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_allow_trailing_bits(true)
        .with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Why a callback could not be verified or read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CryptoError {
    #[error("EncodingAESKey must be 43 base64 characters decoding to 32 bytes")]
    BadKey,
    #[error("msg_signature does not match")]
    BadSignature,
    #[error("ciphertext is not valid base64")]
    BadBase64,
    #[error("ciphertext length {0} is not a positive multiple of 16")]
    BadLength(usize),
    #[error("bad PKCS#7 padding")]
    BadPadding,
    #[error("plaintext is truncated: length field says more than there is")]
    Truncated,
    #[error("receive id {found:?} is not ours")]
    WrongReceiveId { found: String },
    #[error("message is not UTF-8")]
    NotUtf8,
}

/// `hex(sha1(concat(sort([token, timestamp, nonce, encrypt]))))`.
pub fn msg_signature(token: &str, timestamp: &str, nonce: &str, encrypt: &str) -> String {
    let mut parts = [token, timestamp, nonce, encrypt];
    parts.sort_unstable();
    let mut h = Sha1::new();
    for p in parts {
        h.update(p.as_bytes());
    }
    hex::encode(h.finalize())
}

/// Decodes an EncodingAESKey (43 characters, `=` appended implicitly) to its 32 bytes.
pub fn decode_aes_key(encoding_aes_key: &str) -> Result<[u8; 32], CryptoError> {
    let k = encoding_aes_key.trim();
    if k.len() != 43 {
        return Err(CryptoError::BadKey);
    }
    let bytes = LENIENT.decode(k).map_err(|_| CryptoError::BadKey)?;
    bytes.try_into().map_err(|_| CryptoError::BadKey)
}

/// The callback keys of one app: Token, EncodingAESKey and the receive id (corp id).
pub struct CallbackCrypto {
    token: SecretString,
    key: [u8; 32],
    receive_id: String,
}

impl std::fmt::Debug for CallbackCrypto {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallbackCrypto")
            .field("receive_id", &self.receive_id)
            .finish_non_exhaustive()
    }
}

impl CallbackCrypto {
    pub fn new(
        token: SecretString,
        encoding_aes_key: &str,
        receive_id: impl Into<String>,
    ) -> Result<Self, CryptoError> {
        Ok(Self {
            token,
            key: decode_aes_key(encoding_aes_key)?,
            receive_id: receive_id.into(),
        })
    }

    /// The signature WeCom would send for these values.
    pub fn sign(&self, timestamp: &str, nonce: &str, encrypt: &str) -> String {
        msg_signature(self.token.expose_secret(), timestamp, nonce, encrypt)
    }

    /// Checks `msg_signature` in constant time.
    pub fn verify(
        &self,
        msg_signature: &str,
        timestamp: &str,
        nonce: &str,
        encrypt: &str,
    ) -> Result<(), CryptoError> {
        let expected = self.sign(timestamp, nonce, encrypt);
        let given = msg_signature.to_ascii_lowercase();
        if expected.as_bytes().ct_eq(given.as_bytes()).into() {
            Ok(())
        } else {
            Err(CryptoError::BadSignature)
        }
    }

    /// Verifies and decrypts in one step: what the callback endpoint does.
    pub fn open(
        &self,
        msg_signature: &str,
        timestamp: &str,
        nonce: &str,
        encrypt: &str,
    ) -> Result<String, CryptoError> {
        self.verify(msg_signature, timestamp, nonce, encrypt)?;
        self.decrypt(encrypt)
    }

    /// Decrypts an `echostr` or `Encrypt` value and checks the receive id.
    pub fn decrypt(&self, encrypt: &str) -> Result<String, CryptoError> {
        let mut buf = LENIENT
            .decode(encrypt.trim())
            .map_err(|_| CryptoError::BadBase64)?;
        if buf.is_empty() || buf.len() % 16 != 0 {
            return Err(CryptoError::BadLength(buf.len()));
        }
        let plain = Decryptor::new((&self.key).into(), (&self.key[..16]).into())
            .decrypt_padded_mut::<NoPadding>(&mut buf)
            .map_err(|_| CryptoError::BadPadding)?;
        let plain = unpad(plain)?;
        // 16 random bytes, then a 4-byte big-endian length.
        let rest = plain.get(16..).ok_or(CryptoError::Truncated)?;
        let (len_bytes, rest) = rest
            .split_first_chunk::<4>()
            .ok_or(CryptoError::Truncated)?;
        let len = u32::from_be_bytes(*len_bytes) as usize;
        if len > rest.len() {
            return Err(CryptoError::Truncated);
        }
        let (msg, receive_id) = rest.split_at(len);
        if receive_id != self.receive_id.as_bytes() {
            return Err(CryptoError::WrongReceiveId {
                found: String::from_utf8_lossy(receive_id).into_owned(),
            });
        }
        String::from_utf8(msg.to_vec()).map_err(|_| CryptoError::NotUtf8)
    }

    /// Encrypts `msg` as WeCom does, with fresh random bytes.
    pub fn encrypt(&self, msg: &str) -> String {
        let mut random = [0u8; 16];
        rand::thread_rng().fill_bytes(&mut random);
        self.encrypt_with_random(msg, random)
    }

    /// Encrypts `msg` with the given 16 "random" bytes (tests use fixed ones).
    pub fn encrypt_with_random(&self, msg: &str, random: [u8; 16]) -> String {
        let mut plain = Vec::with_capacity(16 + 4 + msg.len() + self.receive_id.len() + PAD_BLOCK);
        plain.extend_from_slice(&random);
        plain.extend_from_slice(&(msg.len() as u32).to_be_bytes());
        plain.extend_from_slice(msg.as_bytes());
        plain.extend_from_slice(self.receive_id.as_bytes());
        let pad = PAD_BLOCK - plain.len() % PAD_BLOCK;
        plain.resize(plain.len() + pad, pad as u8);
        let len = plain.len();
        let cipher = Encryptor::new((&self.key).into(), (&self.key[..16]).into())
            .encrypt_padded_mut::<NoPadding>(&mut plain, len)
            .map(<[u8]>::to_vec)
            .unwrap_or_default();
        base64::engine::general_purpose::STANDARD.encode(cipher)
    }

    /// A passive reply: `<xml><Encrypt/><MsgSignature/><TimeStamp/><Nonce/></xml>`.
    pub fn reply(&self, msg: &str, timestamp: &str, nonce: &str) -> String {
        let encrypt = self.encrypt(msg);
        let signature = self.sign(timestamp, nonce, &encrypt);
        format!(
            "<xml><Encrypt><![CDATA[{encrypt}]]></Encrypt><MsgSignature><![CDATA[{signature}]]></MsgSignature><TimeStamp>{timestamp}</TimeStamp><Nonce><![CDATA[{nonce}]]></Nonce></xml>"
        )
    }
}

/// Strips PKCS#7 padding of 1..=32 bytes, checking every pad byte.
fn unpad(plain: &[u8]) -> Result<&[u8], CryptoError> {
    let pad = *plain.last().ok_or(CryptoError::BadPadding)? as usize;
    if pad == 0 || pad > PAD_BLOCK || pad > plain.len() {
        return Err(CryptoError::BadPadding);
    }
    let (body, padding) = plain.split_at(plain.len() - pad);
    if padding.iter().any(|&b| b as usize != pad) {
        return Err(CryptoError::BadPadding);
    }
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    // WeCom's official sample vector (wecom-api.md section 9).
    const TOKEN: &str = "QDG6eK";
    const KEY: &str = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C";
    const CORP: &str = "wx5823bf96d3bd56c7";
    const ECHO: &str =
        "P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ==";
    const MSG: &str = "RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3QczcdCUpj911L3vg3W/sYYvuJTs3TUUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLjvd4Xgpue06DOdnLxAUHzM6+kDZ+HMZfJYuR+LtwGc2hgf5gsijff0ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMnvw2r+KqCKIw+3IQH03v+BCA9nMELNqbSf6tiWSrXJB3LAVGUcallcrw8V2t9EL4EhzJWrQUax5wLVMNS0+rUPA3k22Ncx4XXZS9o0MBH27Bo6BpNelZpS+/uh9KsNlY6bHCmJU9p8g7m3fVKn28H3KDYA5Pl/T8Z1ptDAVe0lXdQ2YoyyH2uyPIGHBZZIs2pDBS8R07+qN+E7Q==";

    fn official() -> CallbackCrypto {
        CallbackCrypto::new(TOKEN.to_string().into(), KEY, CORP).expect("official key")
    }

    #[test]
    fn official_url_check_vector_verifies_and_decrypts() {
        let c = official();
        let plain = c
            .open(
                "5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3",
                "1409659589",
                "263014780",
                ECHO,
            )
            .expect("official echostr");
        assert_eq!(plain, "1616140317555161061");
    }

    #[test]
    fn official_message_vector_verifies_and_decrypts() {
        let c = official();
        let xml = c
            .open(
                "477715d11cdb4164915debcba66cb864d751f3e6",
                "1409659813",
                "1372623149",
                MSG,
            )
            .expect("official message");
        assert!(xml.contains("<FromUserName><![CDATA[mycreate]]></FromUserName>"));
        assert!(xml.contains("<Content><![CDATA[hello]]></Content>"));
        assert!(xml.contains("4561255354251345929"));
        assert!(xml.contains("218"));
    }

    #[test]
    fn a_changed_signature_timestamp_or_body_is_rejected() {
        let c = official();
        let sig = "5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3";
        assert_eq!(
            c.verify(
                "5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd4",
                "1409659589",
                "263014780",
                ECHO
            ),
            Err(CryptoError::BadSignature)
        );
        assert_eq!(
            c.verify(sig, "1409659590", "263014780", ECHO),
            Err(CryptoError::BadSignature)
        );
        assert_eq!(
            c.verify(sig, "1409659589", "263014780", MSG),
            Err(CryptoError::BadSignature)
        );
        assert_eq!(
            c.verify("", "1409659589", "263014780", ECHO),
            Err(CryptoError::BadSignature)
        );
    }

    #[test]
    fn the_official_key_is_not_canonical_base64_and_still_decodes() {
        // Its last character carries non-zero trailing bits: a strict decoder refuses it.
        assert!(base64::engine::general_purpose::STANDARD
            .decode(format!("{KEY}="))
            .is_err());
        assert_eq!(decode_aes_key(KEY).expect("lenient").len(), 32);
    }

    #[test]
    fn malformed_keys_are_errors() {
        assert_eq!(decode_aes_key("short").err(), Some(CryptoError::BadKey));
        assert_eq!(
            decode_aes_key(&"!".repeat(43)).err(),
            Some(CryptoError::BadKey)
        );
        assert_eq!(
            decode_aes_key(&format!("{KEY}A")).err(),
            Some(CryptoError::BadKey)
        );
    }

    #[test]
    fn round_trip_covers_every_pad_length_from_1_to_32() {
        let c = official();
        let mut seen = std::collections::BTreeSet::new();
        for n in 0..64 {
            let msg = "消".repeat(n / 3) + &"x".repeat(n % 3);
            let plain_len = 16 + 4 + msg.len() + CORP.len();
            seen.insert(PAD_BLOCK - plain_len % PAD_BLOCK);
            let enc = c.encrypt(&msg);
            assert_eq!(c.decrypt(&enc).expect("round trip"), msg);
        }
        assert_eq!(seen, (1..=32).collect(), "pads 1..=32 all exercised");
    }

    #[test]
    fn pads_of_17_to_32_bytes_are_accepted_which_a_16_byte_pkcs7_would_refuse() {
        let c = official();
        // 16 + 4 + 0 + 18 = 38 bytes → 26 bytes of pad.
        let enc = c.encrypt_with_random("", [7; 16]);
        assert_eq!(c.decrypt(&enc).expect("26-byte pad"), "");
        // 16 + 4 + 12 + 18 = 50 → pad 14; 16 + 4 + 46 + 18 = 84 → pad 12; 16+4+26+18=64 → pad 32.
        let enc = c.encrypt_with_random(&"a".repeat(26), [0; 16]);
        assert_eq!(c.decrypt(&enc).expect("32-byte pad"), "a".repeat(26));
    }

    #[test]
    fn a_non_utf8_random_prefix_is_just_bytes() {
        let c = official();
        let enc = c.encrypt_with_random(
            "<xml>你好</xml>",
            [
                0xff, 0xfe, 0x80, 0x00, 0xc3, 0x28, 0, 1, 2, 3, 4, 5, 6, 7, 0xa0, 0xa1,
            ],
        );
        assert_eq!(c.decrypt(&enc).expect("binary prefix"), "<xml>你好</xml>");
    }

    #[test]
    fn a_message_for_another_corp_is_rejected() {
        let ours = official();
        let theirs = CallbackCrypto::new(TOKEN.to_string().into(), KEY, "wwOTHER").expect("key");
        let enc = theirs.encrypt("hi");
        assert_eq!(
            ours.decrypt(&enc),
            Err(CryptoError::WrongReceiveId {
                found: "wwOTHER".into()
            })
        );
    }

    /// Encrypts raw plaintext bytes (already padded) to build broken inputs.
    fn raw_encrypt(c: &CallbackCrypto, mut plain: Vec<u8>) -> String {
        let len = plain.len();
        let out = Encryptor::new((&c.key).into(), (&c.key[..16]).into())
            .encrypt_padded_mut::<NoPadding>(&mut plain, len)
            .expect("block multiple")
            .to_vec();
        base64::engine::general_purpose::STANDARD.encode(out)
    }

    #[test]
    fn malformed_ciphertexts_are_clear_errors_not_panics() {
        let c = official();
        assert_eq!(c.decrypt("***"), Err(CryptoError::BadBase64));
        assert_eq!(c.decrypt(""), Err(CryptoError::BadLength(0)));
        assert_eq!(c.decrypt("AAAA"), Err(CryptoError::BadLength(3)));

        // Pad byte 0, pad byte 33, inconsistent pad bytes.
        let mut p = vec![1u8; 32];
        p[31] = 0;
        assert_eq!(c.decrypt(&raw_encrypt(&c, p)), Err(CryptoError::BadPadding));
        let mut p = vec![1u8; 64];
        p[63] = 33;
        assert_eq!(c.decrypt(&raw_encrypt(&c, p)), Err(CryptoError::BadPadding));
        let mut p = vec![3u8; 32];
        p[30] = 9;
        assert_eq!(c.decrypt(&raw_encrypt(&c, p)), Err(CryptoError::BadPadding));

        // Length field longer than what follows.
        let mut p = vec![0u8; 16];
        p.extend_from_slice(&1000u32.to_be_bytes());
        p.extend_from_slice(b"abc");
        let pad = 32 - p.len() % 32;
        p.resize(p.len() + pad, pad as u8);
        assert_eq!(c.decrypt(&raw_encrypt(&c, p)), Err(CryptoError::Truncated));

        // Too short to hold the random prefix and length.
        let mut p = vec![0u8; 8];
        p.resize(32, 24);
        assert_eq!(c.decrypt(&raw_encrypt(&c, p)), Err(CryptoError::Truncated));
    }

    #[test]
    fn passive_reply_is_signed_and_decryptable() {
        let c = official();
        let xml = c.reply("<xml>ok</xml>", "1700000000", "nonce1");
        let encrypt = xml
            .split("<Encrypt><![CDATA[")
            .nth(1)
            .and_then(|s| s.split("]]>").next())
            .expect("Encrypt");
        let sig = xml
            .split("<MsgSignature><![CDATA[")
            .nth(1)
            .and_then(|s| s.split("]]>").next())
            .expect("MsgSignature");
        assert_eq!(
            c.open(sig, "1700000000", "nonce1", encrypt).expect("open"),
            "<xml>ok</xml>"
        );
    }
}
