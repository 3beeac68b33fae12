//! A template (易支付 recipe) callback, form and JSON: raw, and with the fuzzed fields signed
//! with the demo key (MD5), which reach the checks and field reads behind the signature.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let d = paydesk_fuzz::demo();
    let form = d.channel("epay-demo");
    let json = d.channel("template-json");
    let _ = form.parse_callback(&paydesk_fuzz::request(vec![], data.to_vec()));
    let _ = json.parse_callback(&paydesk_fuzz::request(vec![], data.to_vec()));
    let key = d.sim.cfg.keys.read("epay/key.txt").unwrap_or_default();
    let mut f = paydesk_fuzz::pairs(data);
    f.retain(|(k, _)| k != "sign" && k != "sign_type");
    let sig = paydesk_channels::sim::epay::sign(&f, key.trim());
    f.push(("sign".into(), sig));
    f.push(("sign_type".into(), "MD5".into()));
    if let Ok(body) = serde_urlencoded::to_string(&f) {
        let _ = form.parse_callback(&paydesk_fuzz::request(vec![], body.into_bytes()));
    }
    let obj: serde_json::Map<String, serde_json::Value> = f.into_iter().map(|(k, v)| (k, serde_json::Value::String(v))).collect();
    let _ = json.parse_callback(&paydesk_fuzz::request(vec![], serde_json::to_vec(&obj).unwrap_or_default()));
});
