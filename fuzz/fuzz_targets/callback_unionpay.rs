//! UnionPay's form callback: the raw body, and the fuzzed fields signed by the simulator's
//! gateway (with its certificate), which reach the certificate-chain and field checks.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let d = paydesk_fuzz::demo();
    let ch = d.channel("unionpay-demo");
    let form = vec![("content-type".to_string(), "application/x-www-form-urlencoded; charset=UTF-8".to_string())];
    let _ = ch.parse_callback(&paydesk_fuzz::request(form.clone(), data.to_vec()));
    let signed = paydesk_channels::sim::unionpay::signed_fields(&d.sim, paydesk_fuzz::pairs(data));
    if let Ok(body) = serde_urlencoded::to_string(&signed) {
        let _ = ch.parse_callback(&paydesk_fuzz::request(form, body.into_bytes()));
    }
});
