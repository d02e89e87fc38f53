//! API tokens: format, hashing and verification, and scopes. A token is `bcn_<id>_<secret>`: the id (a UUID in
//! simple form) finds the stored row, the secret (32 random bytes, base64url) is checked against its SHA-256 in
//! constant time. Only the hash is stored; the token is shown once. Randomness comes from the caller.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::str::FromStr;
use uuid::Uuid;

const PREFIX: &str = "bcn_";

/// What a token may do. Each scope includes the ones below it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// A worker's: take leases and store results of one region, nothing else (lowest, so it caps nothing).
    Worker,
    /// Read everything except tokens.
    Read,
    /// Read, and create, change, delete and resolve monitoring objects.
    Write,
    /// Everything, including managing tokens.
    Admin,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Worker => "worker",
            Scope::Read => "read",
            Scope::Write => "write",
            Scope::Admin => "admin",
        }
    }

    /// Whether this scope may do what `required` is needed for. A worker token reaches only the worker routes;
    /// an admin token reaches them too (for any region), read and write tokens do not.
    pub fn allows(self, required: Scope) -> bool {
        match (self, required) {
            (Scope::Worker, r) => r == Scope::Worker,
            (s, Scope::Worker) => s == Scope::Admin,
            (s, r) => s >= r,
        }
    }
}

impl FromStr for Scope {
    type Err = crate::ValidationError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "read" => Ok(Scope::Read),
            "write" => Ok(Scope::Write),
            "admin" => Ok(Scope::Admin),
            "worker" => Ok(Scope::Worker),
            _ => Err(crate::ValidationError::new(
                "scope",
                format!("unknown scope {s:?}: use read, write, admin or worker"),
            )),
        }
    }
}

/// A freshly generated token: the text to show once, and what to store.
#[derive(Debug, Clone)]
pub struct NewToken {
    pub id: Uuid,
    pub text: String,
    pub secret_hash: [u8; 32],
}

/// Build a token from an id and 32 random bytes.
pub fn generate(id: Uuid, secret: [u8; 32]) -> NewToken {
    let encoded = URL_SAFE_NO_PAD.encode(secret);
    NewToken {
        id,
        text: format!("{PREFIX}{}_{encoded}", id.simple()),
        secret_hash: hash(encoded.as_bytes()),
    }
}

/// Split a presented token into its id and the SHA-256 of its secret; `None` if it is not shaped like a token.
pub fn parse(text: &str) -> Option<(Uuid, [u8; 32])> {
    let rest = text.trim().strip_prefix(PREFIX)?;
    let (id, secret) = rest.split_once('_')?;
    if secret.is_empty() {
        return None;
    }
    Some((Uuid::try_parse(id).ok()?, hash(secret.as_bytes())))
}

/// A heartbeat ping key: `hbk_` + base64url of 24 random bytes. Returns the text (shown once) and its SHA-256
/// (stored).
pub fn generate_ping_key(random: [u8; 24]) -> (String, [u8; 32]) {
    let text = format!("hbk_{}", URL_SAFE_NO_PAD.encode(random));
    let hashed = hash_ping_key(&text);
    (text, hashed)
}

/// The SHA-256 of a presented ping key, for a constant-time comparison with the stored one.
pub fn hash_ping_key(text: &str) -> [u8; 32] {
    hash(text.trim().as_bytes())
}

/// SHA-256 of a secret (session tokens are stored so).
pub fn sha256(secret: &[u8]) -> [u8; 32] {
    hash(secret)
}

fn hash(secret: &[u8]) -> [u8; 32] {
    Sha256::digest(secret).into()
}

/// Compare two hashes without an early exit, so timing reveals nothing about where they differ.
pub fn hashes_match(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_tokens_parse_back_and_verify() {
        let id = Uuid::from_u128(7);
        let t = generate(id, [42; 32]);
        assert!(
            t.text.starts_with("bcn_00000000000000000000000000000007_"),
            "{}",
            t.text
        );
        let (got_id, got_hash) = parse(&t.text).expect("parses");
        assert_eq!(got_id, id);
        assert!(hashes_match(&got_hash, &t.secret_hash));
        let other = generate(id, [43; 32]);
        let (_, wrong) = parse(&other.text).expect("parses");
        assert!(!hashes_match(&wrong, &t.secret_hash));
        for bad in [
            "",
            "bcn_",
            "bcn_xyz_abc",
            "tok_00000000000000000000000000000007_abc",
            "bcn_00000000000000000000000000000007_",
        ] {
            assert!(parse(bad).is_none(), "{bad:?}");
        }
    }

    #[test]
    fn scopes_include_lower_ones() {
        assert!(Scope::Admin.allows(Scope::Write) && Scope::Write.allows(Scope::Read));
        assert!(!Scope::Read.allows(Scope::Write) && !Scope::Write.allows(Scope::Admin));
        assert_eq!("write".parse::<Scope>().ok(), Some(Scope::Write));
        assert!("root".parse::<Scope>().is_err());
        // A worker token reaches the worker routes only; of the others, only admin reaches them.
        assert!(Scope::Worker.allows(Scope::Worker) && Scope::Admin.allows(Scope::Worker));
        assert!(!Scope::Worker.allows(Scope::Read) && !Scope::Write.allows(Scope::Worker));
        assert!(!Scope::Read.allows(Scope::Worker));
    }
}
