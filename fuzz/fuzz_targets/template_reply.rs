//! A template provider's reply (JSON, form or text) read by the recipe's paths, and the signed
//! string of its top-level fields.
#![no_main]
use paydesk_channels::template::recipe::ReplyFormat;
use paydesk_channels::template::render::Doc;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    for format in [ReplyFormat::Json, ReplyFormat::Form, ReplyFormat::Text] {
        if let Ok(doc) = Doc::parse(data, format) {
            for path in ["code", "data.qrcode", "qrcode|payurl", "data.list.0.n", "body", "a.b.c.d", "0", ""] {
                let _ = doc.get(path);
            }
            let _ = doc.flat();
        }
    }
});
