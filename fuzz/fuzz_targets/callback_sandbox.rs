//! The sandbox gateway's signed JSON callback: raw, and signed by the simulator's gateway key.
#![no_main]
use paydesk_channels::sandbox::wire;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let d = paydesk_fuzz::demo();
    let ch = d.channel("sandbox-main");
    let _ = ch.parse_callback(&paydesk_fuzz::request(vec![], data.to_vec()));
    let (ts, nonce) = (chrono::Utc::now().timestamp().to_string(), "fuzzfuzzfuzzfuzz".to_string());
    let sig = d.sim.cfg.keys.gateway.sign_b64(&wire::message(&ts, &nonce, data));
    let headers = vec![(wire::H_TIMESTAMP.to_string(), ts), (wire::H_NONCE.to_string(), nonce), (wire::H_SIGNATURE.to_string(), sig)];
    let _ = ch.parse_callback(&paydesk_fuzz::request(headers, data.to_vec()));
});
