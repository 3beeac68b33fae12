//! ACP 5.1.0 signatures, `signMethod=01` (protocols.md §4.2–4.3, vectors T14–T16):
//! the fields except `signature`, blank values dropped, sorted byte-wise, joined `k=v&k=v` with raw
//! values; `h` = lowercase hex SHA-256 of that string; `signature` = Base64 of RSA-SHA256 (PKCS#1
//! v1.5) over the 64 ASCII bytes of `h`. Verification rebuilds the same string from the fields as
//! received — byte-exact, `signPubKeyCert`'s CRLF line ends included.

use crate::sign::{canonical_query, sha256_hex, RsaSigner, RsaVerifier};

/// The field that carries the signature.
pub const SIGNATURE: &str = "signature";

/// The string that is hashed: every non-blank field except `signature`, sorted.
pub fn sign_content<'a>(fields: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    canonical_query(fields.into_iter().filter(|(k, _)| *k != SIGNATURE))
}

/// `h`: the lowercase hex SHA-256 of the sorted fields.
pub fn digest_hex<'a>(fields: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    sha256_hex(sign_content(fields).as_bytes())
}

/// The Base64 `signature` of a request (fields must already hold `certId`).
pub fn sign<'a>(signer: &RsaSigner, fields: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    signer.sign_b64(digest_hex(fields).as_bytes())
}

/// Whether `signature` (among `fields`) verifies with `key`.
pub fn verify<'a>(key: &RsaVerifier, fields: impl IntoIterator<Item = (&'a str, &'a str)> + Clone) -> bool {
    let Some(sig) = fields.clone().into_iter().find(|(k, _)| *k == SIGNATURE).map(|(_, v)| v) else { return false };
    key.verify_b64(digest_hex(fields).as_bytes(), sig)
}
