//! One-click acknowledgement links: a token that names one incident and when it stops working, signed with
//! HMAC-SHA256 under a key the servers share. Anyone holding the link may acknowledge that incident (it is in the
//! messages sent about it), nothing else, and only until it expires.

use crate::Millis;
use base64::Engine;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use uuid::Uuid;

/// How long a link in a message works.
pub const LINK_VALIDITY: Millis = 7 * 86_400_000;

/// Bytes of the MAC kept in a token (128 bits).
const MAC_LEN: usize = 16;

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    #[error("this acknowledgement link is not valid")]
    Invalid,
    #[error("this acknowledgement link has expired")]
    Expired,
}

fn hmac(key: &[u8], payload: &[u8]) -> Hmac<Sha256> {
    let mut m = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes keys of any length");
    m.update(b"beacon-ack-v1.");
    m.update(payload);
    m
}

fn mac(key: &[u8], payload: &[u8]) -> Vec<u8> {
    hmac(key, payload).finalize().into_bytes()[..MAC_LEN].to_vec()
}

/// The token for a link acknowledging `incident`, working until `expires_at`.
pub fn sign(key: &[u8], incident: Uuid, expires_at: Millis) -> String {
    let mut payload = incident.as_bytes().to_vec();
    payload.extend_from_slice(&expires_at.to_be_bytes());
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    format!(
        "{}.{}",
        b64.encode(&payload),
        b64.encode(mac(key, &payload))
    )
}

/// The incident a token names, if it is genuine and not expired at `now`.
pub fn verify(key: &[u8], token: &str, now: Millis) -> Result<Uuid, LinkError> {
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let (payload, tag) = token.split_once('.').ok_or(LinkError::Invalid)?;
    let payload = b64.decode(payload).map_err(|_| LinkError::Invalid)?;
    let tag = b64.decode(tag).map_err(|_| LinkError::Invalid)?;
    // Compared in constant time.
    if payload.len() != 24
        || tag.len() != MAC_LEN
        || hmac(key, &payload).verify_truncated_left(&tag).is_err()
    {
        return Err(LinkError::Invalid);
    }
    let incident = Uuid::from_slice(&payload[..16]).map_err(|_| LinkError::Invalid)?;
    let expires_at =
        Millis::from_be_bytes(payload[16..].try_into().map_err(|_| LinkError::Invalid)?);
    if now >= expires_at {
        return Err(LinkError::Expired);
    }
    Ok(incident)
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &[u8] = b"0123456789abcdef0123456789abcdef";

    #[test]
    fn a_link_names_its_incident_until_it_expires() {
        let id = Uuid::from_u128(42);
        let t = sign(KEY, id, 1_000);
        assert_eq!(verify(KEY, &t, 999), Ok(id));
        assert_eq!(verify(KEY, &t, 1_000), Err(LinkError::Expired));
    }

    #[test]
    fn a_changed_or_foreign_token_is_refused() {
        let t = sign(KEY, Uuid::from_u128(42), 1_000);
        let other = sign(KEY, Uuid::from_u128(43), 1_000);
        let (p, _) = t.split_once('.').expect("dot");
        let (_, tag) = other.split_once('.').expect("dot");
        assert_eq!(
            verify(KEY, &format!("{p}.{tag}"), 0),
            Err(LinkError::Invalid)
        );
        assert_eq!(verify(b"another key", &t, 0), Err(LinkError::Invalid));
        assert_eq!(verify(KEY, "garbage", 0), Err(LinkError::Invalid));
        // A later expiry with the old MAC does not pass.
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let mut payload = b64.decode(p).expect("b64");
        payload[23] ^= 1;
        let (_, mac) = t.split_once('.').expect("dot");
        assert_eq!(
            verify(KEY, &format!("{}.{mac}", b64.encode(payload)), 0),
            Err(LinkError::Invalid)
        );
    }
}
