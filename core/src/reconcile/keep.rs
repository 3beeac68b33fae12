//! Keeping the statement as the channel sent it, in the same pass that parses it.
//!
//! [`Tee`] reads the statement in 1 MiB chunks and hands every chunk both to the parser (as a
//! `Read`) and to a keeper thread that hashes it (SHA-256) and writes it to a temporary file
//! beside the kept statements. Once the parser is done, [`Tee::finish`] reads what the parser
//! left (so the hash always covers the whole file) and returns the hash, the size and the
//! temporary file, which [`Kept::place`] renames to `<sha256[..12]>-<name>` — or removes when
//! the day already keeps the same file. The file is read once; hashing and writing run on their
//! own thread beside parsing.
//!
//! Invariant: a kept file's name carries the first 12 hex digits of the SHA-256 of exactly its
//! bytes, and a failed or abandoned run leaves no temporary file behind.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::Arc;
use std::thread::JoinHandle;

use sha2::{Digest, Sha256};

const CHUNK: usize = 1 << 20;

/// What the keeper thread produced.
type Keeping = std::io::Result<(String, u64)>;

/// A reader that keeps (hashes and copies) everything read through it. See the module doc.
pub(super) struct Tee<R> {
    inner: R,
    chunk: Arc<Vec<u8>>,
    pos: usize,
    to_keeper: Option<SyncSender<Arc<Vec<u8>>>>,
    keeper: Option<JoinHandle<Keeping>>,
    temp: PathBuf,
}

fn keep_chunks(rx: Receiver<Arc<Vec<u8>>>, mut out: std::fs::File) -> Keeping {
    let mut h = Sha256::new();
    let mut n = 0u64;
    for c in rx {
        h.update(&c[..]);
        out.write_all(&c)?;
        n += c.len() as u64;
    }
    out.flush()?;
    Ok((hex::encode(h.finalize()), n))
}

impl<R: Read> Tee<R> {
    /// Starts keeping into a temporary file in `dir` (created if needed).
    pub(super) fn new(inner: R, dir: &Path) -> std::io::Result<Tee<R>> {
        std::fs::create_dir_all(dir)?;
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
        let temp = dir.join(format!(".incoming-{}-{nanos}", std::process::id()));
        let out = std::fs::File::create(&temp)?;
        let (tx, rx) = sync_channel(4);
        let keeper = std::thread::Builder::new().name("statement-keeper".into()).spawn(move || keep_chunks(rx, out))?;
        Ok(Tee { inner, chunk: Arc::new(Vec::new()), pos: 0, to_keeper: Some(tx), keeper: Some(keeper), temp })
    }

    fn refill(&mut self) -> std::io::Result<bool> {
        // The chunk read before is reused once the keeper is done with it (it mostly is: hashing
        // is faster than parsing), so a statement cycles through a few chunks of memory.
        let mut buf = match Arc::try_unwrap(std::mem::take(&mut self.chunk)) {
            Ok(mut v) if v.capacity() >= CHUNK => {
                v.clear();
                v
            }
            _ => Vec::with_capacity(CHUNK),
        };
        (&mut self.inner).take(CHUNK as u64).read_to_end(&mut buf)?;
        if buf.is_empty() {
            return Ok(false);
        }
        self.chunk = Arc::new(buf);
        self.pos = 0;
        if let Some(tx) = &self.to_keeper {
            // The keeper only stops early on a write error, which `finish` reports.
            let _ = tx.send(self.chunk.clone());
        }
        Ok(true)
    }

    /// Reads the rest (unread by the parser), waits for the keeper and returns the kept file.
    pub(super) fn finish(mut self) -> std::io::Result<Kept> {
        while self.refill()? {}
        self.to_keeper = None;
        let done = self.keeper.take().map(|k| k.join());
        let (sha256, bytes) = match done {
            Some(Ok(r)) => r?,
            _ => return Err(std::io::Error::other("the statement keeper stopped unexpectedly")),
        };
        Ok(Kept { sha256, bytes, temp: std::mem::take(&mut self.temp) })
    }
}

impl<R: Read> Read for Tee<R> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        if self.pos == self.chunk.len() && !self.refill()? {
            return Ok(0);
        }
        let n = out.len().min(self.chunk.len() - self.pos);
        out[..n].copy_from_slice(&self.chunk[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

impl<R> Drop for Tee<R> {
    fn drop(&mut self) {
        self.to_keeper = None;
        if let Some(k) = self.keeper.take() {
            let _ = k.join();
        }
        if !self.temp.as_os_str().is_empty() {
            let _ = std::fs::remove_file(&self.temp);
        }
    }
}

/// A statement read to its end and kept in a temporary file.
#[derive(Debug)]
pub(super) struct Kept {
    pub(super) sha256: String,
    pub(super) bytes: u64,
    temp: PathBuf,
}

impl Kept {
    /// Moves the file to `dir/<sha256[..12]>-<name>` and returns that path; when `existing`
    /// (a file the day already keeps) has the same content, the temporary file goes instead.
    pub(super) fn place(mut self, dir: &Path, name: &str, existing: Option<&Path>) -> std::io::Result<PathBuf> {
        let temp = std::mem::take(&mut self.temp);
        if let Some(e) = existing.filter(|e| e.exists()) {
            std::fs::remove_file(&temp)?;
            return Ok(e.to_path_buf());
        }
        let path = dir.join(format!("{}-{}", &self.sha256[..12], safe_name(name)));
        std::fs::rename(&temp, &path)?;
        Ok(path)
    }
}

impl Drop for Kept {
    fn drop(&mut self) {
        if !self.temp.as_os_str().is_empty() {
            let _ = std::fs::remove_file(&self.temp);
        }
    }
}

/// A file name safe on every platform (see [`crate::kept::safe_name`]).
pub(super) fn safe_name(name: &str) -> String {
    crate::kept::safe_name(name, "statement")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leftovers(dir: &Path) -> Vec<String> {
        std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).filter(|n| n.starts_with(".incoming")).collect()
    }

    #[test]
    fn the_file_is_hashed_and_kept_in_one_pass_even_when_the_parser_stops_early() {
        let dir = tempfile::tempdir().unwrap();
        let data: Vec<u8> = (0..3 * CHUNK + 123).map(|i| (i % 251) as u8).collect();
        let mut tee = Tee::new(&data[..], dir.path()).unwrap();
        let mut head = [0u8; 10];
        tee.read_exact(&mut head).unwrap();
        assert_eq!(head[..], data[..10]);
        let kept = tee.finish().unwrap();
        assert_eq!(kept.sha256, hex::encode(Sha256::digest(&data)));
        assert_eq!(kept.bytes, data.len() as u64);
        let path = kept.place(dir.path(), "2088…_20261125 (1).zip", None).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), data);
        assert!(path.file_name().unwrap().to_string_lossy().ends_with("-2088__20261125__1_.zip"), "{path:?}");
        // The same file again: the kept one is reused, no second copy, nothing left over.
        let again = Tee::new(&data[..], dir.path()).unwrap().finish().unwrap().place(dir.path(), "other.zip", Some(&path)).unwrap();
        assert_eq!(again, path);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        // An abandoned run leaves nothing behind.
        drop(Tee::new(&data[..], dir.path()).unwrap());
        let t = Tee::new(&data[..], dir.path()).unwrap().finish().unwrap();
        drop(t);
        assert!(leftovers(dir.path()).is_empty());
    }
}
