//! Standard Webhooks (https://www.standardwebhooks.com): secrets (`whsec_` + base64), and the signature
//! `v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">` sent in `webhook-signature`. Pure: the caller brings the
//! random bytes, the timestamp and the body.

use crate::ValidationError;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

const SECRET_PREFIX: &str = "whsec_";

/// A webhook signing secret: the raw key bytes, written `whsec_<base64>`.
#[derive(Clone, PartialEq, Eq)]
pub struct WebhookSecret(Vec<u8>);

impl std::fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WebhookSecret(..)")
    }
}

impl WebhookSecret {
    /// A new secret from 24 random bytes (the size the specification suggests, 192 bits).
    pub fn generate(random: [u8; 24]) -> Self {
        Self(random.to_vec())
    }

    pub fn parse(s: &str) -> Result<Self, ValidationError> {
        let bad =
            |why: &str| ValidationError::new("secret", format!("invalid webhook secret: {why}"));
        let encoded = s
            .trim()
            .strip_prefix(SECRET_PREFIX)
            .ok_or_else(|| bad("it must start with whsec_"))?;
        let key = STANDARD
            .decode(encoded)
            .map_err(|_| bad("the part after whsec_ is not base64"))?;
        if !(24..=64).contains(&key.len()) {
            return Err(bad("the key must be 24 to 64 bytes"));
        }
        Ok(Self(key))
    }

    pub fn expose(&self) -> String {
        format!("{SECRET_PREFIX}{}", STANDARD.encode(&self.0))
    }

    /// The `webhook-signature` header value for one message.
    pub fn sign(&self, msg_id: &str, timestamp: i64, body: &[u8]) -> String {
        format!("v1,{}", STANDARD.encode(self.mac(msg_id, timestamp, body)))
    }

    /// Whether any `v1,` signature in a `webhook-signature` header value matches (constant-time comparison).
    pub fn verify(&self, msg_id: &str, timestamp: i64, body: &[u8], header: &str) -> bool {
        let expected = self.mac(msg_id, timestamp, body);
        header
            .split_whitespace()
            .filter_map(|s| s.strip_prefix("v1,"))
            .any(|sig| {
                STANDARD
                    .decode(sig)
                    .is_ok_and(|given| crate::token::hashes_match(&given, &expected))
            })
    }

    fn mac(&self, msg_id: &str, timestamp: i64, body: &[u8]) -> Vec<u8> {
        // HMAC accepts keys of any length; 24..64 bytes are enforced on parse.
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(&self.0) else {
            return Vec::new();
        };
        mac.update(msg_id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        mac.finalize().into_bytes().to_vec()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signs_like_the_specification_example() {
        // The example from the Standard Webhooks specification (secret, id, timestamp, body → signature).
        let secret = WebhookSecret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").expect("valid");
        let body = br#"{"test": 2432232314}"#;
        let sig = secret.sign("msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body);
        assert_eq!(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
        assert!(secret.verify(
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1614265330,
            body,
            &format!("v0,bogus {sig}")
        ));
        assert!(
            !secret.verify("msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265331, body, &sig),
            "timestamp is signed"
        );
        assert!(
            !secret.verify("msg_other", 1614265330, body, &sig),
            "id is signed"
        );
    }

    #[test]
    fn secrets_round_trip_and_bad_ones_are_refused() {
        let s = WebhookSecret::generate([7; 24]);
        assert_eq!(WebhookSecret::parse(&s.expose()).expect("round trip"), s);
        for bad in [
            "",
            "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "whsec_***",
            "whsec_YWJj",
        ] {
            let err = WebhookSecret::parse(bad).expect_err(bad);
            assert_eq!(err.field, "secret");
        }
        assert!(
            !format!("{s:?}").contains(&s.expose()[6..]),
            "Debug does not leak the key"
        );
    }
}
