//! Any statement file as an accountant imports it: GZIP undone, the format detected by content,
//! checked against the account's channel, parsed and collected (the reconciler's path).
#![no_main]
use paydesk_core::reconcile::StatementParser;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    for channel in ["alipay", "wechat", "unionpay", "sandbox"] {
        let _ = paydesk_channels::statement::Parsers.parse(channel, data.to_vec(), &|_| {});
    }
});
