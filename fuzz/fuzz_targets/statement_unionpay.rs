//! UnionPay's statement: the ZIP of INN…ZM_… files or a bare ZM file, and the Base64/zlib
//! `fileContent` it arrives in.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    paydesk_fuzz::drain(paydesk_channels::unionpay::bill::open(data));
    let _ = paydesk_channels::unionpay::bill::parse_statement(data);
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = paydesk_channels::unionpay::bill::decode_file_content(text);
    }
});
