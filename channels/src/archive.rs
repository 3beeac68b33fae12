//! Reading compressed statements (Alipay's bill ZIP, WeChat's GZIP bill, UnionPay's ZIP and its
//! zlib `fileContent`, any other) through hard limits.
//!
//! Invariant: every byte that comes out of a decompressor passes through [`Bounded`], which
//! counts it and stops the read — with an error naming the limit — once the output passes
//! [`Limits::max_bytes`] or grows beyond [`Limits::max_ratio`] times the compressed input (after
//! a small grace, so tiny files with high ratios are fine). Nothing is preallocated from a size
//! the archive declares: buffers grow with what was actually read, so a bomb costs at most the
//! limit, not what its header claims or what it would expand to.

use std::io::{BufRead, Read, Seek};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use paydesk_core::statement::StatementError;

/// How far a compressed statement may expand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Most bytes a statement may decompress to.
    pub max_bytes: u64,
    /// Most output bytes per compressed input byte (checked past `grace` bytes of output).
    pub max_ratio: u64,
    /// Output below which the ratio is not checked.
    pub grace: u64,
}

/// The limits statements are read with: 512 MiB (a year of a busy shop's bills is far less) and
/// 100× (CSV bills compress 5–20×; a bomb ~1000×).
pub const LIMITS: Limits = Limits { max_bytes: 512 * 1024 * 1024, max_ratio: 100, grace: 1024 * 1024 };

/// How much compressed input a reader has used: counted as it is read, or fixed (a ZIP entry's
/// compressed size, capped by the archive's real length).
#[derive(Debug, Clone)]
pub enum Input {
    Counted(Arc<AtomicU64>),
    Fixed(u64),
}

impl Input {
    fn get(&self) -> u64 {
        match self {
            Input::Counted(c) => c.load(Ordering::Relaxed),
            Input::Fixed(n) => *n,
        }
    }
}

/// Counts the bytes read through it (the compressed side of a decompressor).
#[derive(Debug)]
pub struct Counting<R> {
    inner: R,
    count: Arc<AtomicU64>,
}

impl<R> Counting<R> {
    pub fn new(inner: R) -> (Counting<R>, Input) {
        let count = Arc::new(AtomicU64::new(0));
        (Counting { inner, count: count.clone() }, Input::Counted(count))
    }
}

impl<R: BufRead> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

impl<R: BufRead> BufRead for Counting<R> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        self.inner.fill_buf()
    }
    fn consume(&mut self, amt: usize) {
        self.count.fetch_add(amt as u64, Ordering::Relaxed);
        self.inner.consume(amt);
    }
}

/// A decompressor's output, counted and cut off at the [`Limits`].
#[derive(Debug)]
pub struct Bounded<R> {
    inner: R,
    input: Input,
    limits: Limits,
    produced: u64,
    what: &'static str,
    refused: bool,
}

impl<R: Read> Bounded<R> {
    /// `what` names the content in errors ("the bill", "the ZM entry").
    pub fn new(inner: R, input: Input, limits: Limits, what: &'static str) -> Bounded<R> {
        Bounded { inner, input, limits, produced: 0, what, refused: false }
    }

    /// Bytes this reader has let through so far.
    pub fn produced(&self) -> u64 {
        self.produced
    }

    /// Reads everything (growing with the data, never from a declared size).
    pub fn read_all(mut self) -> Result<Vec<u8>, StatementError> {
        let mut out = Vec::new();
        self.read_to_end(&mut out).map_err(|e| self.error(e))?;
        Ok(out)
    }

    /// A read error as a statement error: a refusal as it is, anything else as undecodable data.
    pub fn error(&self, e: std::io::Error) -> StatementError {
        let message = if self.refused { e.to_string() } else { format!("cannot decompress {}: {e}", self.what) };
        StatementError { line: 0, message }
    }

    /// Whether the limits stopped this reader.
    pub fn refused(&self) -> bool {
        self.refused
    }

    fn refuse(&mut self, why: String) -> std::io::Error {
        self.refused = true;
        std::io::Error::new(std::io::ErrorKind::InvalidData, format!("{} {why}: refused (a damaged file or a decompression bomb)", self.what))
    }
}

const MIB: u64 = 1024 * 1024;

impl<R: Read> Read for Bounded<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        // Never ask for more than one byte past the limit.
        let room = self.limits.max_bytes.saturating_sub(self.produced).saturating_add(1);
        let want = buf.len().min(usize::try_from(room).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..want])?;
        self.produced += n as u64;
        if self.produced > self.limits.max_bytes {
            return Err(self.refuse(format!("expands beyond {} MiB", self.limits.max_bytes / MIB)));
        }
        let input = self.input.get().max(1);
        if self.produced > self.limits.grace && self.produced > self.limits.max_ratio.saturating_mul(input) {
            return Err(self.refuse(format!("expands more than {}× (from {input} compressed bytes)", self.limits.max_ratio)));
        }
        Ok(n)
    }
}

/// A GZIP stream's content, bounded. The decoder reads its input through [`Counting`]'s
/// `BufRead`, so the ratio is judged on the compressed bytes it actually consumed.
pub fn gunzip<R: BufRead>(compressed: R, limits: Limits, what: &'static str) -> Bounded<flate2::bufread::GzDecoder<Counting<R>>> {
    let (counting, input) = Counting::new(compressed);
    Bounded::new(flate2::bufread::GzDecoder::new(counting), input, limits, what)
}

/// A zlib stream's content (UnionPay's `fileContent`), bounded.
pub fn inflate_zlib(compressed: &[u8], limits: Limits, what: &'static str) -> Result<Vec<u8>, StatementError> {
    let (counting, input) = Counting::new(compressed);
    Bounded::new(flate2::bufread::ZlibDecoder::new(counting), input, limits, what).read_all()
}

/// The entry `idx` of a ZIP as a bounded reader. The ratio is judged against the entry's
/// compressed size, capped by the archive's actual length (`archive_len`), so a header that
/// overstates it gains nothing: the entry is cut off once it passes that ratio of its whole
/// compressed size (memory stays within `max_ratio` × the archive, and `max_bytes`).
pub fn zip_entry<'z, R: Read + Seek>(zip: &'z mut zip::ZipArchive<R>, idx: usize, archive_len: u64, limits: Limits, what: &'static str) -> Result<Bounded<zip::read::ZipFile<'z, R>>, StatementError> {
    let f = zip.by_index(idx).map_err(|e| StatementError { line: 0, message: format!("cannot open {what}: {e}") })?;
    let input = Input::Fixed(f.compressed_size().min(archive_len));
    Ok(Bounded::new(f, input, limits, what))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::io::Write;

    /// A real GZIP bomb: `size` zero bytes, compressed as it is made (never held in memory).
    pub(crate) fn gzip_bomb(size: u64) -> Vec<u8> {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        let chunk = vec![0u8; 1 << 20];
        let mut left = size;
        while left > 0 {
            let n = left.min(chunk.len() as u64) as usize;
            enc.write_all(&chunk[..n]).unwrap();
            left -= n as u64;
        }
        enc.finish().unwrap()
    }

    #[test]
    fn a_gzip_bomb_is_refused_after_reading_little_of_it() {
        let bomb = gzip_bomb(200 * MIB);
        assert!(bomb.len() < 400 * 1024, "{} bytes", bomb.len());
        let mut r = gunzip(&bomb[..], LIMITS, "the bill");
        let mut sink = [0u8; 64 * 1024];
        let e = loop {
            match r.read(&mut sink) {
                Ok(0) => panic!("the bomb was read to its end"),
                Ok(_) => {}
                Err(e) => break e,
            }
        };
        assert!(e.to_string().contains("the bill expands more than 100×") && e.to_string().contains("bomb"), "{e}");
        // Bounded memory: the reader stopped within one read of the grace, not at 200 MiB.
        assert!(r.produced() <= LIMITS.grace + sink.len() as u64 + 64 * 1024, "{} bytes let through", r.produced());
    }

    #[test]
    fn the_size_limit_holds_whatever_the_ratio() {
        // Random-looking data barely compresses, so only the size limit can stop it.
        let mut data = Vec::new();
        let mut x: u32 = 1;
        for _ in 0..(3 * MIB) {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
            data.push((x >> 16) as u8);
        }
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(&data).unwrap();
        let gz = enc.finish().unwrap();
        let small = Limits { max_bytes: 2 * MIB, ..LIMITS };
        let e = gunzip(&gz[..], small, "the bill").read_all().unwrap_err();
        assert!(e.message.contains("expands beyond 2 MiB"), "{e}");
        assert_eq!(gunzip(&gz[..], LIMITS, "the bill").read_all().unwrap(), data);
        // Small files with a high ratio are fine (below the grace).
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        enc.write_all(&vec![b','; 512 * 1024]).unwrap();
        assert_eq!(gunzip(&enc.finish().unwrap()[..], LIMITS, "the bill").read_all().unwrap().len(), 512 * 1024);
    }
}
