//! XML as WeChat Pay v2 speaks it (micropay, order query and reverse replies; refund
//! notifications with their AES-256-ECB `req_info`), read, verified and classified; and
//! UnionPay's `k=v&…` replies.
#![no_main]
use std::sync::OnceLock;

use paydesk_channels::wechat::v2::{self, SignType, V2Key};

fn key() -> &'static V2Key {
    static KEY: OnceLock<V2Key> = OnceLock::new();
    KEY.get_or_init(|| V2Key::new(&paydesk_fuzz::demo().sim.cfg.keys.read("wechat/api_v2_key.txt").expect("demo v2 key")).expect("a v2 key"))
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(fields) = v2::parse_xml(data) {
        let _ = v2::to_xml(&fields);
        let _ = v2::verify(&fields, key(), SignType::Md5);
        let _ = v2::classify_micropay(&fields);
        let _ = v2::classify_reverse(&fields);
        if let Some(info) = fields.get("req_info") {
            if let Ok(inner) = v2::decrypt_req_info(info, key()) {
                let _ = v2::parse_xml(inner.as_bytes());
            }
        }
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = paydesk_channels::unionpay::wire::parse_reply(text);
    }
});
