//! WeChat Pay v3's JSON callback: the raw body with signature headers as it arrives, and the
//! fuzzed resource (a transaction or refund notice) encrypted with the APIv3 key and signed by
//! the simulator's platform key, which reach the decryption and the checks behind it.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let d = paydesk_fuzz::demo();
    let ch = d.channel("wechat-demo");
    let Ok(k) = paydesk_channels::sim::wechat::keys(&d.sim) else { return };
    let headers = paydesk_channels::sim::wechat::sign_headers(&k, false, data);
    let _ = ch.parse_callback(&paydesk_fuzz::request(headers, data.to_vec()));
    if let Ok(resource) = serde_json::from_slice::<serde_json::Value>(data) {
        for (event, original) in [("TRANSACTION.SUCCESS", "transaction"), ("REFUND.SUCCESS", "refund")] {
            let cb = paydesk_channels::sim::wechat::notification(&k, false, "http://127.0.0.1:9/cb".into(), event, original, &resource);
            let _ = ch.parse_callback(&paydesk_fuzz::request(cb.headers, cb.body));
        }
    }
});
