//! Test helpers: the shared protocol vectors (`$PAYDESK_VECTORS`, else `shared/vectors` beside the
//! repository) and the demo key material in `assets/demo/keys`.

use std::path::PathBuf;

use super::certs::PlatformCert;
use crate::sign::RsaSigner;

pub(crate) const DEMO_PLATFORM_SERIAL: &str = "5157F09EFDC096DE15EBE81A47057A7232F1B8E1";

fn vectors_dir() -> PathBuf {
    match std::env::var_os("PAYDESK_VECTORS") {
        Some(d) => PathBuf::from(d),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/vectors"),
    }
}

/// Reads a vector file; panics with a clear message when the vector folder is absent.
pub(crate) fn vector(rel: &str) -> Vec<u8> {
    let p = vectors_dir().join(rel);
    std::fs::read(&p).unwrap_or_else(|e| {
        panic!("test vector {} is missing ({e}): set PAYDESK_VECTORS to the shared/vectors folder (protocols.md §7)", p.display())
    })
}

pub(crate) fn vector_text(rel: &str) -> String {
    String::from_utf8(vector(rel)).expect("vector file is UTF-8")
}

pub(crate) fn demo_file(rel: &str) -> String {
    let p = crate::sim::demo_keys_dir().join(rel);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("demo key file {}: {e}", p.display()))
}

pub(crate) fn demo_platform_cert() -> PlatformCert {
    PlatformCert::from_pem(&demo_file("wechat/platform_cert.pem")).unwrap()
}

pub(crate) fn demo_platform_signer() -> RsaSigner {
    RsaSigner::from_pem(&demo_file("wechat/platform_private.pem")).unwrap()
}
