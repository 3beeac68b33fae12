//! Alipay's trade bill: the ZIP or its detail CSV (GBK or UTF-8), streamed and collected.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    paydesk_fuzz::drain(paydesk_channels::alipay::bill::open(data));
    let _ = paydesk_channels::alipay::bill::parse_statement(data);
});
