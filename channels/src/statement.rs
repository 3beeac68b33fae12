//! Statement files → normalised lines, whatever the channel: one table of formats, each with a
//! way to recognise it and a streaming parser. Downloaded files (`Channel::statement`) and files
//! an accountant downloaded by hand go through the same path, read as a stream: a million lines
//! never need the whole (decompressed) text in memory.
//!
//! Containers are undone first: GZIP is decompressed on the fly (WeChat's `tar_type=GZIP`
//! bills); a ZIP is opened in memory (it is the compressed size) and its statement entry is
//! decompressed on the fly — found by its name for the channels that deliver ZIPs (UnionPay's
//! `INN…ZM_…`, Alipay's `…业务明细.csv`), else the first entry whose content a plain format
//! recognises (a CSV zipped by hand). A new channel adds its parser with **one line** in
//! [`FORMATS`].

use std::io::{BufRead, BufReader, Read};
use std::sync::Arc;

use paydesk_core::statement::{ParsedStatement, StatementError, StatementSource};

/// A (decompressed) statement being read.
pub type Input<'a> = Box<dyn BufRead + Send + 'a>;
/// Sniffs the first bytes of a (decompressed) file.
pub type Sniff = fn(&[u8]) -> bool;
/// Opens a (decompressed) file as a line stream.
pub type Open = for<'a> fn(Input<'a>) -> Result<Box<dyn StatementSource + 'a>, StatementError>;
/// Picks, by their names, the entry of a ZIP that holds the statement.
pub type PickEntry = fn(&[String]) -> Option<usize>;
/// Opens that entry (its name, its decompressed content) as a line stream.
pub type OpenEntry = for<'a> fn(&str, Input<'a>) -> Result<Box<dyn StatementSource + 'a>, StatementError>;

/// How a format is recognised and opened.
#[derive(Debug, Clone, Copy)]
pub enum Layout {
    /// A plain (or GZIP-compressed) file, recognised by its first bytes.
    Plain { sniff: Sniff, open: Open },
    /// A ZIP archive, recognised by the name of the entry holding the statement (`what` names
    /// that entry in errors).
    Zip { pick: PickEntry, open: OpenEntry, what: &'static str },
}

/// One statement format: the channel kind it belongs to, its name and layout.
#[derive(Debug, Clone, Copy)]
pub struct StatementFormat {
    pub channel: &'static str,
    pub name: &'static str,
    pub layout: Layout,
}

/// Every statement format Paydesk reads. ZIPs are matched by entry name first; plain files by
/// their first bytes, in this order.
pub const FORMATS: &[StatementFormat] = &[
    StatementFormat { channel: "unionpay", name: "unionpay-zm-zip", layout: Layout::Zip { pick: crate::unionpay::bill::pick_entry, open: crate::unionpay::bill::open_entry, what: "the ZM entry" } },
    StatementFormat { channel: "alipay", name: "alipay-trade-zip", layout: Layout::Zip { pick: crate::alipay::bill::pick_entry, open: crate::alipay::bill::open_entry, what: "the detail entry" } },
    StatementFormat { channel: "alipay", name: "alipay-trade-csv", layout: Layout::Plain { sniff: crate::alipay::bill::sniff, open: crate::alipay::bill::open } },
    StatementFormat { channel: "wechat", name: "wechat-tradebill", layout: Layout::Plain { sniff: crate::wechat::bill::sniff, open: crate::wechat::bill::open } },
    StatementFormat { channel: "sandbox", name: "sandbox-csv", layout: Layout::Plain { sniff: crate::sandbox::bill::sniff, open: crate::sandbox::bill::open } },
    StatementFormat { channel: "unionpay", name: "unionpay-zm", layout: Layout::Plain { sniff: crate::unionpay::bill::sniff, open: crate::unionpay::bill::open } },
];

/// How far a compressed statement may expand when it is read as a stream ([`crate::archive`]):
/// the ratio of [`crate::archive::LIMITS`] (a bomb is refused after reading little of it), and
/// more bytes than a statement held in memory may have — streamed, they cost no memory, and a
/// million-line UnionPay day is ~700 MB of fixed-width text.
pub const STREAM_LIMITS: crate::archive::Limits = crate::archive::Limits { max_bytes: 2 * 1024 * 1024 * 1024, ..crate::archive::LIMITS };
/// Largest ZIP read into memory (a ZIP is opened in memory: its directory is at its end).
pub const MAX_ZIP_BYTES: u64 = crate::archive::LIMITS.max_bytes;

fn err(line: u64, message: impl Into<String>) -> StatementError {
    StatementError { line, message: message.into() }
}

fn is_gzip(head: &[u8]) -> bool {
    head.starts_with(&[0x1f, 0x8b])
}

fn is_zip(head: &[u8]) -> bool {
    head.starts_with(b"PK\x03\x04")
}

/// The plain format of a file, by its first bytes.
fn sniff_plain(head: &[u8]) -> Option<&'static StatementFormat> {
    FORMATS.iter().find(|f| matches!(f.layout, Layout::Plain { sniff, .. } if sniff(head)))
}

fn known() -> String {
    FORMATS.iter().map(|f| f.name).collect::<Vec<_>>().join(", ")
}

/// The format of a file in memory, by content (a ZIP by its entries).
pub fn detect(bytes: &[u8]) -> Option<&'static StatementFormat> {
    match open(bytes, None) {
        Ok((f, _)) => Some(f),
        Err(_) => None,
    }
}

/// Refuses a format of another channel than the account's, naming both.
fn check(f: &'static StatementFormat, channel: Option<&str>) -> Result<&'static StatementFormat, StatementError> {
    match channel {
        Some(ch) if f.channel != ch => Err(err(1, format!("this is a {} statement ({}), not one of a {ch} account", f.channel, f.name))),
        _ => Ok(f),
    }
}

/// A reader that refuses to go past `left` bytes (the ZIP read into memory), instead of
/// silently stopping there.
struct Capped<R> {
    inner: R,
    left: u64,
}

impl<R: Read> Read for Capped<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.left = self.left.checked_sub(n as u64).ok_or_else(|| std::io::Error::other(format!("the ZIP is larger than {} MiB", MAX_ZIP_BYTES >> 20)))?;
        Ok(n)
    }
}

/// An archive held in memory, shared by the readers of its entries.
#[derive(Clone)]
struct Shared(Arc<Vec<u8>>);

impl AsRef<[u8]> for Shared {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

/// The bytes of one ZIP entry, read from the archive held in memory (shared, not copied),
/// inflated on the fly and checked against the entry's CRC-32 at its end.
struct EntryReader {
    data: Arc<Vec<u8>>,
    pos: usize,
    end: usize,
}

impl Read for EntryReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = buf.len().min(self.end - self.pos);
        buf[..n].copy_from_slice(&self.data[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

struct CrcChecked<R> {
    inner: R,
    crc: flate2::Crc,
    expected: u32,
}

impl<R: Read> Read for CrcChecked<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n == 0 && !buf.is_empty() {
            if self.crc.sum() != self.expected {
                return Err(std::io::Error::new(std::io::ErrorKind::InvalidData, "the ZIP entry is damaged (CRC-32 mismatch)"));
            }
        } else {
            self.crc.update(&buf[..n]);
        }
        Ok(n)
    }
}

/// Opens entry `i` of the archive `data` as a stream, bounded by [`STREAM_LIMITS`] (the ratio
/// judged against the entry's compressed size, capped by the archive's length).
fn entry_input(zip: &mut zip::ZipArchive<std::io::Cursor<Shared>>, data: &Arc<Vec<u8>>, i: usize, what: &'static str) -> Result<Input<'static>, StatementError> {
    let f = zip.by_index_raw(i).map_err(|e| err(0, format!("bad ZIP entry {i}: {e}")))?;
    let start = usize::try_from(f.data_start()).map_err(|_| err(0, "ZIP entry out of range"))?;
    let end = start.checked_add(usize::try_from(f.compressed_size()).unwrap_or(usize::MAX)).filter(|e| *e <= data.len()).ok_or_else(|| err(0, "the ZIP archive is truncated"))?;
    let raw = EntryReader { data: data.clone(), pos: start, end };
    let inflated: Box<dyn Read + Send> = match f.compression() {
        zip::CompressionMethod::Stored => Box::new(raw),
        zip::CompressionMethod::Deflated => Box::new(flate2::read::DeflateDecoder::new(raw)),
        other => return Err(err(0, format!("ZIP entry compressed with {other}, which statements never use"))),
    };
    let input = crate::archive::Input::Fixed(f.compressed_size().min(data.len() as u64));
    let bounded = crate::archive::Bounded::new(inflated, input, STREAM_LIMITS, what);
    let checked = CrcChecked { inner: bounded, crc: flate2::Crc::new(), expected: f.crc32() };
    Ok(Box::new(BufReader::with_capacity(1 << 20, checked)))
}

/// A ZIP statement: by entry name, else the first entry a plain format recognises.
fn open_zip(mut input: Input<'_>, channel: Option<&str>) -> Result<(&'static StatementFormat, Box<dyn StatementSource + 'static>), StatementError> {
    let mut bytes = Vec::new();
    Capped { inner: &mut input, left: MAX_ZIP_BYTES }.read_to_end(&mut bytes).map_err(|e| err(0, format!("cannot read the ZIP: {e}")))?;
    let data = Arc::new(bytes);
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(Shared(data.clone()))).map_err(|e| err(0, format!("not a readable ZIP: {e}")))?;
    let mut names = Vec::with_capacity(zip.len());
    for i in 0..zip.len() {
        let f = zip.by_index_raw(i).map_err(|e| err(0, format!("bad ZIP entry {i}: {e}")))?;
        names.push(if f.is_file() { crate::alipay::bill::entry_name(f.name_raw()) } else { String::new() });
    }
    for f in FORMATS {
        if let Layout::Zip { pick, open, what } = f.layout {
            if let Some(i) = pick(&names) {
                let f = check(f, channel)?;
                return Ok((f, open(&names[i], entry_input(&mut zip, &data, i, what)?)?));
            }
        }
    }
    for (i, _) in names.iter().enumerate().filter(|(_, n)| !n.is_empty()) {
        let mut entry = entry_input(&mut zip, &data, i, "the ZIP entry")?;
        let head = entry.fill_buf().map_err(|e| err(0, format!("cannot read ZIP entry {}: {e}", names[i])))?;
        if let Some(f @ StatementFormat { layout: Layout::Plain { open, .. }, .. }) = sniff_plain(head) {
            let f = check(f, channel)?;
            return Ok((f, open(entry)?));
        }
    }
    let listed: Vec<&str> = names.iter().filter(|n| !n.is_empty()).map(String::as_str).collect();
    Err(err(1, format!("a ZIP archive that holds no statement Paydesk knows (entries: {}; known formats: {})", listed.join(", "), known())))
}

/// Opens a statement stream: GZIP and ZIP undone, the format recognised and checked against
/// the account's `channel` (when given), its parser started.
pub fn open_stream<'a>(mut input: Input<'a>, channel: Option<&str>) -> Result<(&'static StatementFormat, Box<dyn StatementSource + 'a>), StatementError> {
    for _ in 0..3 {
        let head = input.fill_buf().map_err(|e| err(0, format!("cannot read the statement: {e}")))?;
        if is_gzip(head) {
            input = Box::new(BufReader::with_capacity(1 << 20, crate::archive::gunzip(input, STREAM_LIMITS, "the GZIP statement")));
            continue;
        }
        if is_zip(head) {
            return open_zip(input, channel).map(|(f, s)| (f, s as Box<dyn StatementSource + 'a>));
        }
        return match sniff_plain(head) {
            Some(f @ StatementFormat { layout: Layout::Plain { open, .. }, .. }) => {
                let f = check(f, channel)?;
                Ok((f, open(input)?))
            }
            _ if head.is_empty() => Err(err(1, "the file is empty")),
            _ => Err(err(1, format!("not a statement format Paydesk knows (known: {})", known()))),
        };
    }
    Err(err(0, "compressed more than twice: not a statement"))
}

/// Opens a statement in memory (see [`open_stream`]).
pub fn open<'a>(bytes: &'a [u8], channel: Option<&str>) -> Result<(&'static StatementFormat, Box<dyn StatementSource + 'a>), StatementError> {
    open_stream(Box::new(bytes), channel)
}

/// The statement parser core's reconciler uses: decompress, detect, parse, collect.
#[derive(Debug, Default, Clone, Copy)]
pub struct Parsers;

impl paydesk_core::reconcile::StatementParser for Parsers {
    fn read(&self, channel: &str, input: &mut (dyn Read + Send), progress: &dyn Fn(u64)) -> Result<(String, ParsedStatement), StatementError> {
        let (f, rows) = open_stream(Box::new(BufReader::with_capacity(1 << 20, input)), Some(channel))?;
        Ok((f.name.to_string(), ParsedStatement::read_sized(rows, 1 << 16, progress)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};

    fn wechat_bill() -> Vec<u8> {
        crate::wechat::testdata::vector("wechat/bill.ALL.csv")
    }

    fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        for (name, bytes) in entries {
            z.start_file(*name, zip::write::SimpleFileOptions::default()).unwrap();
            z.write_all(bytes).unwrap();
        }
        z.finish().unwrap().into_inner()
    }

    #[test]
    fn formats_are_detected_by_content() {
        assert_eq!(detect(&wechat_bill()).unwrap().name, "wechat-tradebill");
        assert_eq!(detect(b"trade_no,order_no,type,amount,refund_no,time,status\n").unwrap().name, "sandbox-csv");
        let gbk = encoding_rs::GBK.encode("#支付宝业务明细查询\r\n").0.into_owned();
        assert_eq!(detect(&gbk).unwrap().name, "alipay-trade-csv");
        assert_eq!(detect(&zip_of(&[("20881234_20261125_业务明细.csv", &gbk), ("20881234_20261125_业务明细(汇总).csv", b"x")])).unwrap().name, "alipay-trade-zip");
        assert!(detect(b"<xml>").is_none());
    }

    #[test]
    fn gzip_is_undone_and_the_channel_is_checked() {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(&wechat_bill()).unwrap();
        let gz = enc.finish().unwrap();
        let (f, rows) = open(&gz, Some("wechat")).unwrap();
        assert_eq!(f.channel, "wechat");
        assert_eq!(rows.filter(|r| r.is_ok()).count(), 45);
        let e = open(&gz, Some("alipay")).err().unwrap();
        assert!(e.message.contains("wechat") && e.message.contains("alipay"), "{e}");
        let e = open(b"hello", None).err().unwrap();
        assert!(e.message.contains("sandbox-csv"), "{e}");
        assert!(open(&[0x1f, 0x8b, 0, 1], None).is_err());
    }

    #[test]
    fn a_zip_is_named_for_what_it_holds() {
        // A WeChat bill zipped by hand, imported for an Alipay account: named as WeChat's.
        let wx = zip_of(&[("bill.csv", &wechat_bill())]);
        let e = open(&wx, Some("alipay")).err().unwrap();
        assert_eq!(e.message, "this is a wechat statement (wechat-tradebill), not one of a alipay account");
        let (f, rows) = open(&wx, Some("wechat")).unwrap();
        assert_eq!((f.name, rows.count()), ("wechat-tradebill", 45));
        // A ZIP of something else entirely: its entries are listed, no channel is claimed.
        let other = zip_of(&[("photo.jpg", b"\xff\xd8\xff"), ("notes.txt", b"hello")]);
        let e = open(&other, Some("wechat")).err().unwrap();
        assert!(e.message.starts_with("a ZIP archive that holds no statement Paydesk knows (entries: photo.jpg, notes.txt"), "{e}");
        assert!(!e.message.contains("an alipay"), "{e}");
        // A damaged entry is refused, not read short.
        let mut bad = zip_of(&[("bill.csv", &wechat_bill())]);
        bad[200] ^= 0xff;
        assert!(open(&bad, Some("wechat")).and_then(|(_, s)| s.collect::<Result<Vec<_>, _>>().map(|_| ())).is_err());
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
        // Statements are streamed: a bomb of zeros is refused at the format check of its first
        // bytes, before the ratio limit is reached (either refusal reads little of it).
        let e = Parsers.parse("wechat", gz, &none).unwrap_err();
        assert!((e.message.contains("the GZIP statement expands more than 100×") && e.message.contains("bomb")) || e.message.contains("not a statement format Paydesk knows"), "{e}");
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
