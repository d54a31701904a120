//! API keys are long random tokens: `ob_` + a 12-character public prefix (the lookup) + a
//! 40-character secret. Only a SHA-256 of the whole key is stored, compared in constant time.
//! A password hash would cost ~0.3 s of CPU on every request for no gain: these keys are not
//! guessable, so a fast hash is the right tool.

use rand::distr::{Alphanumeric, SampleString};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

const SCHEME: &str = "ob_";
const PREFIX_LEN: usize = 12;
const SECRET_LEN: usize = 40;

/// A random alphanumeric token (also the form of chat account tokens and secrets).
pub fn random_token(len: usize) -> String {
    Alphanumeric.sample_string(&mut rand::rng(), len)
}

pub struct NewKey {
    pub key: String,
    pub prefix: String,
    pub hash: String,
}

pub fn generate() -> NewKey {
    let prefix = random_token(PREFIX_LEN);
    let key = format!("{SCHEME}{prefix}{}", random_token(SECRET_LEN));
    let hash = hash(&key);
    NewKey { key, prefix, hash }
}

pub fn hash(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

/// (prefix, secret) of a well-formed key.
pub fn split(key: &str) -> Option<(&str, &str)> {
    let rest = key.strip_prefix(SCHEME)?;
    if rest.len() != PREFIX_LEN + SECRET_LEN || !rest.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return None;
    }
    Some(rest.split_at(PREFIX_LEN))
}

pub fn verify(key: &str, stored_hash: &str) -> bool {
    hash(key).as_bytes().ct_eq(stored_hash.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_key_verifies_and_a_changed_one_does_not() {
        let k = generate();
        assert_eq!(split(&k.key).unwrap().0, k.prefix);
        assert!(verify(&k.key, &k.hash));
        let mut other = k.key.clone();
        other.pop();
        other.push(if k.key.ends_with('a') { 'b' } else { 'a' });
        assert!(!verify(&other, &k.hash));
        assert!(split("ob_short").is_none());
    }
}
