//! Statement files → normalised rows, whatever the channel: one table of formats, each with a
//! sniffer (does this file look like mine?) and an opener (a streaming parser). Downloaded files
//! (`Channel::statement`) and files an accountant downloaded by hand go through the same path.
//!
//! Containers are undone first: GZIP is decompressed (WeChat's `tar_type=GZIP` bills); a ZIP is
//! handed to the formats whose sniffer accepts ZIP (Alipay's bill archive). A new channel adds
//! its parser with **one line** in [`FORMATS`].

use paydesk_core::statement::{ParsedStatement, StatementError, StatementSource};

/// Sniffs the first bytes of a (decompressed) file.
pub type Sniff = fn(&[u8]) -> bool;
/// Opens the whole (decompressed) file as a row stream.
pub type Open = for<'a> fn(&'a [u8]) -> Result<Box<dyn StatementSource + 'a>, StatementError>;

/// One statement format: the channel kind it belongs to, its name, sniffer and parser.
#[derive(Debug, Clone, Copy)]
pub struct StatementFormat {
    pub channel: &'static str,
    pub name: &'static str,
    pub sniff: Sniff,
    pub open: Open,
}

fn alipay_zip(head: &[u8]) -> bool {
    head.starts_with(b"PK\x03\x04")
}

/// Every statement format Paydesk reads. Sniffers are tried in order on the file's first bytes.
pub const FORMATS: &[StatementFormat] = &[
    // Before Alipay's ZIP: UnionPay's is a ZIP too, told apart by its first entry (INN…).
    StatementFormat { channel: "unionpay", name: "unionpay-zm-zip", sniff: crate::unionpay::bill::sniff_zip, open: crate::unionpay::bill::open },
    StatementFormat { channel: "alipay", name: "alipay-trade-zip", sniff: alipay_zip, open: crate::alipay::bill::open },
    StatementFormat { channel: "alipay", name: "alipay-trade-csv", sniff: crate::alipay::bill::sniff, open: crate::alipay::bill::open },
    StatementFormat { channel: "wechat", name: "wechat-tradebill", sniff: crate::wechat::bill::sniff, open: crate::wechat::bill::open },
    StatementFormat { channel: "sandbox", name: "sandbox-csv", sniff: crate::sandbox::bill::sniff, open: crate::sandbox::bill::open },
    StatementFormat { channel: "unionpay", name: "unionpay-zm", sniff: crate::unionpay::bill::sniff, open: crate::unionpay::bill::open },
];

/// The format of a file, by content.
pub fn detect(bytes: &[u8]) -> Option<&'static StatementFormat> {
    let head = &bytes[..bytes.len().min(4096)];
    FORMATS.iter().find(|f| (f.sniff)(head))
}

/// Decompresses GZIP (sniffed by its magic bytes) within [`crate::archive::LIMITS`]; other bytes
/// are returned as they are.
pub fn unwrap_container(bytes: Vec<u8>) -> Result<Vec<u8>, StatementError> {
    if bytes.starts_with(&[0x1f, 0x8b]) {
        return crate::archive::gunzip(&bytes[..], crate::archive::LIMITS, "the GZIP statement").read_all();
    }
    Ok(bytes)
}

/// Opens a statement (already decompressed with [`unwrap_container`]). When `channel` is given,
/// the detected format must belong to it — a WeChat bill imported for an Alipay account is
/// refused with a message naming both.
pub fn open<'a>(bytes: &'a [u8], channel: Option<&str>) -> Result<(&'static StatementFormat, Box<dyn StatementSource + 'a>), StatementError> {
    let Some(f) = detect(bytes) else {
        let known: Vec<&str> = FORMATS.iter().map(|f| f.name).collect();
        return Err(StatementError { line: 1, message: format!("not a statement format Paydesk knows (known: {})", known.join(", ")) });
    };
    if let Some(ch) = channel {
        if f.channel != ch {
            return Err(StatementError { line: 1, message: format!("this is a {} statement ({}), not one of a {ch} account", f.channel, f.name) });
        }
    }
    Ok((f, (f.open)(bytes)?))
}

/// The statement parser core's reconciler uses: decompress, detect, parse, collect.
#[derive(Debug, Default, Clone, Copy)]
pub struct Parsers;

impl paydesk_core::reconcile::StatementParser for Parsers {
    fn parse(&self, channel: &str, bytes: Vec<u8>, progress: &dyn Fn(u64)) -> Result<(String, ParsedStatement), StatementError> {
        let bytes = unwrap_container(bytes)?;
        let (f, rows) = open(&bytes, Some(channel))?;
        // A statement line is at least ~150 bytes in every format: a generous first guess.
        let expected = (bytes.len() / 160).min(4_000_000);
        Ok((f.name.to_string(), ParsedStatement::read_sized(rows, expected, progress)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};

    fn wechat_bill() -> Vec<u8> {
        crate::wechat::testdata::vector("wechat/bill.ALL.csv")
    }

    #[test]
    fn formats_are_detected_by_content() {
        assert_eq!(detect(&wechat_bill()).unwrap().name, "wechat-tradebill");
        assert_eq!(detect(b"trade_no,order_no,type,amount,refund_no,time,status\n").unwrap().name, "sandbox-csv");
        let gbk = encoding_rs::GBK.encode("#支付宝业务明细查询\r\n").0.into_owned();
        assert_eq!(detect(&gbk).unwrap().name, "alipay-trade-csv");
        assert_eq!(detect(b"PK\x03\x04....").unwrap().name, "alipay-trade-zip");
        assert!(detect(b"<xml>").is_none());
    }

    #[test]
    fn gzip_is_undone_and_the_channel_is_checked() {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(&wechat_bill()).unwrap();
        let bytes = unwrap_container(enc.finish().unwrap()).unwrap();
        let (f, rows) = open(&bytes, Some("wechat")).unwrap();
        assert_eq!(f.channel, "wechat");
        assert_eq!(rows.filter(|r| r.is_ok()).count(), 45);
        let e = open(&bytes, Some("alipay")).err().unwrap();
        assert!(e.message.contains("wechat") && e.message.contains("alipay"), "{e}");
        let e = open(b"hello", None).err().unwrap();
        assert!(e.message.contains("sandbox-csv"), "{e}");
        assert!(unwrap_container(vec![0x1f, 0x8b, 0, 1]).is_err());
    }

    /// A real ZIP bomb: one entry of `size` zero bytes, deflated as it is made.
    fn zip_bomb(entry: &str, size: usize) -> Vec<u8> {
        let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        w.start_file(entry, zip::write::SimpleFileOptions::default().compression_level(Some(9))).unwrap();
        let chunk = vec![0u8; 1 << 20];
        for _ in 0..size >> 20 {
            w.write_all(&chunk).unwrap();
        }
        w.finish().unwrap().into_inner()
    }

    #[test]
    fn archive_bombs_are_refused_with_bounded_memory() {
        use paydesk_core::reconcile::StatementParser;
        let none = |_: u64| {};
        // WeChat's GZIP bill, Alipay's bill ZIP, UnionPay's ZM ZIP: each a real bomb of 200 MiB.
        let gz = crate::archive::tests::gzip_bomb(200 << 20);
        let e = Parsers.parse("wechat", gz, &none).unwrap_err();
        assert!(e.message.contains("the GZIP statement expands more than 100×") && e.message.contains("bomb"), "{e}");
        let alipay = zip_bomb("20881234_20260101_业务明细.csv", 200 << 20);
        assert!(alipay.len() < 1 << 20, "{} bytes", alipay.len());
        let e = Parsers.parse("alipay", alipay.clone(), &none).err().unwrap();
        assert!(e.message.contains("the detail entry expands more than 100×"), "{e}");
        let e = crate::alipay::bill::parse_statement(&alipay).unwrap_err();
        assert!(e.message.contains("expands more than 100×"), "{e}");
        let unionpay = zip_bomb("INN26010188ZM_777290058165621", 200 << 20);
        let e = Parsers.parse("unionpay", unionpay.clone(), &none).err().unwrap();
        assert!(e.message.contains("the ZM entry expands more than 100×"), "{e}");
        assert!(crate::unionpay::bill::parse_statement(&unionpay).unwrap_err().message.contains("bomb"));
        // Memory stayed bounded: the entry's own reader stopped at 100× the archive (a ZIP entry is
        // judged against its whole compressed size), not at the 200 MiB it would expand to.
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(&alipay[..])).unwrap();
        let mut r = crate::archive::zip_entry(&mut zip, 0, alipay.len() as u64, crate::archive::LIMITS, "the detail entry").unwrap();
        let mut sink = vec![0u8; 64 * 1024];
        while r.read(&mut sink).is_ok_and(|n| n > 0) {}
        let bound = crate::archive::LIMITS.max_ratio * alipay.len() as u64 + sink.len() as u64;
        assert!(r.refused() && r.produced() <= bound && r.produced() < 200 << 20, "{} bytes", r.produced());
        // UnionPay's fileContent (zlib in Base64) goes through the same limits.
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
        for _ in 0..50 {
            z.write_all(&[0u8; 1 << 20]).unwrap();
        }
        use base64::Engine;
        let b64 = base64::engine::general_purpose::STANDARD.encode(z.finish().unwrap());
        assert!(crate::unionpay::bill::decode_file_content(&b64).unwrap_err().contains("fileContent expands more than 100×"));
    }
}
