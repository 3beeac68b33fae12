//! WeChat Pay's trade bill (CSV with its summary), and its GZIP download with the SHA1 check.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    paydesk_fuzz::drain(paydesk_channels::wechat::bill::open(data));
    let _ = paydesk_channels::wechat::bill::parse_bill(data);
    let _ = paydesk_channels::wechat::bill::gunzip_verified(data, "0000000000000000000000000000000000000000");
});
