//! Alipay's form callback: the raw body as it arrives, and the fuzzed fields signed by the
//! simulator's gateway key (RSA2), which reach the parsing and checks behind the signature.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let d = paydesk_fuzz::demo();
    let ch = d.channel("alipay-demo");
    let form = vec![("content-type".to_string(), "application/x-www-form-urlencoded; charset=utf-8".to_string())];
    let _ = ch.parse_callback(&paydesk_fuzz::request(form.clone(), data.to_vec()));
    let mut f = paydesk_fuzz::pairs(data);
    f.retain(|(k, _)| k != "sign" && k != "sign_type");
    let content = paydesk_channels::alipay::sign::notify_content(f.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    f.push(("sign_type".into(), "RSA2".into()));
    f.push(("sign".into(), d.sim.cfg.keys.gateway.sign_b64(content.as_bytes())));
    if let Ok(body) = serde_urlencoded::to_string(&f) {
        let _ = ch.parse_callback(&paydesk_fuzz::request(form, body.into_bytes()));
    }
});
