//! The sandbox gateway's statement CSV.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    paydesk_fuzz::drain(paydesk_channels::sandbox::bill::open(data));
});
