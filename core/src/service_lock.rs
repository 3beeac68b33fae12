//! One long-running service per home: `paydesk serve`, `paydesk demo` and the desktop app each
//! hold `<home>/service.lock` while they run.
//!
//! Invariant: at most one process holds the lock of a home. It is an OS file lock (released by
//! the OS when the holder exits, even by `kill -9`), so a stale file never blocks a restart; the
//! file's text only says who holds it (pid, since when, what, where it listens), for the refusal
//! of a second service and for `paydesk status`. Short commands (`pay`, `orders`, …) never take
//! it: they run beside a service, sharing the book.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Who holds a home's service lock.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holder {
    pub pid: u32,
    pub since: DateTime<Utc>,
    /// `paydesk serve`, `paydesk demo`, `paydesk-app`, …
    pub what: String,
    /// Where its HTTP server listens (callbacks, API, `/status`), once it does.
    #[serde(default)]
    pub listen: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Another process runs a service on this home (`None`: it has not said who it is yet).
    #[error("another Paydesk service runs on this home{}", .0.as_ref().map(|h| format!(": {} (pid {}, since {})", h.what, h.pid, h.since.to_rfc3339())).unwrap_or_default())]
    Held(Option<Holder>),
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
}

/// The lock, held until dropped.
#[derive(Debug)]
pub struct ServiceLock {
    file: File,
    path: PathBuf,
    holder: Holder,
}

fn path_in(home: &Path) -> PathBuf {
    home.join("service.lock")
}

fn read_holder(file: &mut File) -> Option<Holder> {
    let mut text = String::new();
    file.rewind().ok()?;
    file.read_to_string(&mut text).ok()?;
    serde_json::from_str(&text).ok()
}

impl ServiceLock {
    /// Takes the home's lock for `what`, or says who holds it.
    pub fn acquire(home: &Path, what: &str) -> Result<ServiceLock, LockError> {
        let path = path_in(home);
        let io = |source| LockError::Io { path: path.clone(), source };
        crate::files::create_private_dir(home).map_err(io)?;
        let mut file = OpenOptions::new().read(true).write(true).create(true).truncate(false).open(&path).map_err(io)?;
        // A few tries: `running` (paydesk status) holds a shared lock for an instant, and a
        // holder writes its name right after locking.
        let mut tries = 0;
        loop {
            match file.try_lock() {
                Ok(()) => break,
                Err(TryLockError::WouldBlock) if tries < 10 => {
                    tries += 1;
                    std::thread::sleep(std::time::Duration::from_millis(25));
                }
                Err(TryLockError::WouldBlock) => return Err(LockError::Held(read_holder(&mut file))),
                Err(TryLockError::Error(e)) => return Err(io(e)),
            }
        }
        let holder = Holder { pid: std::process::id(), since: Utc::now(), what: what.to_string(), listen: None };
        let mut lock = ServiceLock { file, path: path.clone(), holder };
        lock.write().map_err(io)?;
        Ok(lock)
    }

    /// Records where the service listens (read by `paydesk status`).
    pub fn set_listen(&mut self, addr: &str) -> Result<(), LockError> {
        self.holder.listen = Some(addr.to_string());
        self.write().map_err(|source| LockError::Io { path: self.path.clone(), source })
    }

    pub fn holder(&self) -> &Holder {
        &self.holder
    }

    fn write(&mut self) -> std::io::Result<()> {
        let text = serde_json::to_string(&self.holder).map_err(std::io::Error::other)?;
        self.file.set_len(0)?;
        self.file.rewind()?;
        self.file.write_all(text.as_bytes())?;
        self.file.sync_data()
    }

    /// Who runs a service on `home` right now, if anyone (`Some(None)`: someone who has not said
    /// who it is yet).
    pub fn running(home: &Path) -> Option<Option<Holder>> {
        let mut file = File::open(path_in(home)).ok()?;
        match file.try_lock_shared() {
            // Nobody holds it (the file is what an earlier service left behind).
            Ok(()) => None,
            Err(TryLockError::WouldBlock) => Some(read_holder(&mut file)),
            Err(TryLockError::Error(_)) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_holder_at_a_time_and_the_refusal_names_it() {
        let home = tempfile::tempdir().unwrap();
        assert_eq!(ServiceLock::running(home.path()), None);
        let mut first = ServiceLock::acquire(home.path(), "paydesk serve").unwrap();
        first.set_listen("127.0.0.1:8428").unwrap();
        // A second open file description is refused, as another process would be.
        match ServiceLock::acquire(home.path(), "paydesk demo") {
            Err(LockError::Held(Some(h))) => {
                assert_eq!((h.pid, h.what.as_str(), h.listen.as_deref()), (std::process::id(), "paydesk serve", Some("127.0.0.1:8428")));
                assert_eq!(&h, first.holder());
            }
            other => panic!("expected the lock to be held: {other:?}"),
        }
        assert_eq!(ServiceLock::running(home.path()).flatten().map(|h| h.what), Some("paydesk serve".into()));
        drop(first);
        // Released: the next one takes it, and the old text does not count as a holder.
        assert_eq!(ServiceLock::running(home.path()), None);
        let again = ServiceLock::acquire(home.path(), "paydesk-app").unwrap();
        assert_eq!(again.holder().what, "paydesk-app");
    }
}
