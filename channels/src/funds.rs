//! Fund-flow statements → rows, whatever the channel: one table of formats, each with a sniffer
//! and a parser, like [`crate::statement::FORMATS`] for the trade statements. Downloaded files
//! (`Channel::fund_flow`) and files an accountant downloaded by hand go through the same path;
//! GZIP is undone first. A new channel adds its fund flow with **one line** in [`FUND_FORMATS`].

use paydesk_core::settle::{FundParser, ParsedFunds};
use paydesk_core::statement::StatementError;

/// Parses a whole (decompressed) file.
pub type ParseFunds = fn(&[u8]) -> Result<ParsedFunds, StatementError>;

/// One fund-flow format: the channel kind, its name, sniffer and parser.
#[derive(Debug, Clone, Copy)]
pub struct FundFormat {
    pub channel: &'static str,
    pub name: &'static str,
    pub sniff: crate::statement::Sniff,
    pub parse: ParseFunds,
}

/// Every fund-flow format Paydesk reads, tried in order on the file's first bytes.
pub const FUND_FORMATS: &[FundFormat] = &[
    FundFormat { channel: "alipay", name: "alipay-signcustomer-zip", sniff: crate::alipay::funds::sniff_zip, parse: crate::alipay::funds::parse },
    FundFormat { channel: "alipay", name: "alipay-signcustomer-csv", sniff: crate::alipay::funds::sniff, parse: crate::alipay::funds::parse },
    FundFormat { channel: "wechat", name: "wechat-fundflowbill", sniff: crate::wechat::funds::sniff, parse: crate::wechat::funds::parse },
    FundFormat { channel: "unionpay", name: "unionpay-settlement-zip", sniff: crate::unionpay::bill::sniff_zip, parse: crate::unionpay::funds::parse },
];

/// The format of a (decompressed) file, by content.
pub fn detect(bytes: &[u8]) -> Option<&'static FundFormat> {
    let head = &bytes[..bytes.len().min(4096)];
    FUND_FORMATS.iter().find(|f| (f.sniff)(head))
}

/// GZIP (sniffed by its magic bytes) decompressed within [`crate::archive::LIMITS`]; other bytes
/// as they are.
fn gunzipped(bytes: Vec<u8>) -> Result<Vec<u8>, StatementError> {
    if bytes.starts_with(&[0x1f, 0x8b]) {
        return crate::archive::gunzip(&bytes[..], crate::archive::LIMITS, "the GZIP fund flow").read_all();
    }
    Ok(bytes)
}

/// Parses a fund-flow file of a `channel` account: decompress, detect, check the channel, parse.
pub fn parse(channel: &str, bytes: Vec<u8>) -> Result<(&'static FundFormat, ParsedFunds), StatementError> {
    let bytes = gunzipped(bytes)?;
    let Some(f) = detect(&bytes) else {
        let hint = match crate::statement::detect(&bytes) {
            Some(s) => format!(" — this is a trade statement ({}), not a fund flow", s.name),
            None => String::new(),
        };
        let known: Vec<&str> = FUND_FORMATS.iter().map(|f| f.name).collect();
        return Err(StatementError { line: 1, message: format!("not a fund-flow statement Paydesk knows (known: {}){hint}", known.join(", ")) });
    };
    if f.channel != channel {
        return Err(StatementError { line: 1, message: format!("this is a {} fund flow ({}), not one of a {channel} account", f.channel, f.name) });
    }
    Ok((f, (f.parse)(&bytes)?))
}

/// The fund-flow parser core's settlement uses.
#[derive(Debug, Default, Clone, Copy)]
pub struct FundParsers;

impl FundParser for FundParsers {
    fn parse(&self, channel: &str, bytes: Vec<u8>) -> Result<(String, ParsedFunds), StatementError> {
        parse(channel, bytes).map(|(f, p)| (f.name.to_string(), p))
    }

    fn supports(&self, channel: &str) -> bool {
        FUND_FORMATS.iter().any(|f| f.channel == channel)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_are_detected_and_must_belong_to_the_account() {
        let wechat = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/funds/wechat-fundflow-BASIC-20261125.csv")).unwrap();
        let alipay = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/funds/alipay-signcustomer-20261125.csv")).unwrap();
        assert_eq!(detect(&wechat).unwrap().name, "wechat-fundflowbill");
        assert_eq!(detect(&alipay).unwrap().name, "alipay-signcustomer-csv");
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut gz, &wechat).unwrap();
        let (f, p) = parse("wechat", gz.finish().unwrap()).unwrap();
        assert_eq!((f.name, p.rows.len()), ("wechat-fundflowbill", 4));
        let e = parse("alipay", wechat).unwrap_err();
        assert!(e.message.contains("wechat") && e.message.contains("alipay"), "{e}");
        let trade = crate::wechat::testdata::vector("wechat/bill.ALL.csv");
        let e = parse("wechat", trade).unwrap_err();
        assert!(e.message.contains("trade statement (wechat-tradebill)"), "{e}");
        assert!(FundParsers.supports("unionpay") && !FundParsers.supports("sandbox"));
    }
}
