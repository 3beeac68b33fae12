//! Getting bytes to the printer: a network printer's raw port (TCP, usually 9100) or a USB
//! printer's device file (`/dev/usb/lp0`). Every step has a deadline, so a printer that is off
//! never hangs a caller; on the network the printer is asked first (`DLE EOT`) whether it is
//! online and has paper, and a job is not sent into a printer that says it has none. A virtual
//! printer (no paper, for a till without one or for training) keeps each job as a file.

use std::path::PathBuf;
use std::time::Duration;

use paydesk_core::config::{PrinterConnection, PrinterSettings};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::escpos::{DLE, EOT};

/// Where a till's printer is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    Tcp(String),
    Usb(PathBuf),
    /// Jobs are written as `.bin` files into this folder (`<home>/printed/`).
    Virtual(PathBuf),
}

impl Target {
    /// The printer set for this till, if any (`home`: the till's Paydesk home).
    pub fn from_settings(s: &PrinterSettings, home: &std::path::Path) -> Option<Target> {
        match s.connection {
            PrinterConnection::None => None,
            PrinterConnection::Tcp => Some(Target::Tcp(s.address.trim().to_string())),
            PrinterConnection::Usb => Some(Target::Usb(PathBuf::from(s.device.trim()))),
            PrinterConnection::Virtual => Some(Target::Virtual(home.join("printed"))),
        }
    }
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Target::Tcp(a) => write!(f, "the printer at {a}"),
            Target::Usb(p) => write!(f, "the USB printer {}", p.display()),
            Target::Virtual(p) => write!(f, "the on-screen printer ({})", p.display()),
        }
    }
}

/// Why a job was not printed. Every message says what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PrintError {
    #[error("no receipt printer is set for this till (Settings → Printer)")]
    NotConfigured,
    #[error("{target} does not answer: is it switched on and connected? ({detail})")]
    Offline { target: String, detail: String },
    #[error("{target} is out of paper: put in a new roll, then retry")]
    PaperOut { target: String },
    #[error("{target} is open or in an error state (cover, cutter): close it, then retry")]
    NotReady { target: String },
    #[error("printing on {target} failed: {detail}")]
    Failed { target: String, detail: String },
}

impl PrintError {
    /// Stable code for the UI.
    pub fn code(&self) -> &'static str {
        match self {
            PrintError::NotConfigured => "no_printer",
            PrintError::Offline { .. } => "printer_offline",
            PrintError::PaperOut { .. } => "paper_out",
            PrintError::NotReady { .. } => "printer_not_ready",
            PrintError::Failed { .. } => "print_failed",
        }
    }
}

/// Asks for status `n` and waits briefly for the one-byte answer (`None`: the printer does not
/// answer status requests, which many cheap ones do not).
async fn status(stream: &mut tokio::net::TcpStream, n: u8) -> Option<u8> {
    stream.write_all(&[DLE, EOT, n]).await.ok()?;
    let mut b = [0u8; 1];
    match tokio::time::timeout(Duration::from_millis(600), stream.read_exact(&mut b)).await {
        Ok(Ok(_)) => Some(b[0]),
        _ => None,
    }
}

/// Sends one job. Returns when the bytes are with the printer (or an error, within `timeout`).
pub async fn send(target: &Target, bytes: &[u8], timeout: Duration) -> Result<(), PrintError> {
    let name = target.to_string();
    match target {
        Target::Tcp(addr) => {
            let offline = |detail: String| PrintError::Offline { target: name.clone(), detail };
            let mut s = match tokio::time::timeout(timeout, tokio::net::TcpStream::connect(addr.as_str())).await {
                Ok(Ok(s)) => s,
                Ok(Err(e)) => return Err(offline(e.to_string())),
                Err(_) => return Err(offline(format!("no connection within {} s", timeout.as_secs()))),
            };
            // Printer status (n = 1): bit 3 offline. Paper sensor (n = 4): bits 5–6 paper end.
            if let Some(st) = status(&mut s, 1).await {
                if st & 0x08 != 0 {
                    return Err(PrintError::NotReady { target: name });
                }
            }
            if let Some(p) = status(&mut s, 4).await {
                if p & 0x60 == 0x60 {
                    return Err(PrintError::PaperOut { target: name });
                }
            }
            let write = async {
                s.write_all(bytes).await?;
                s.flush().await?;
                s.shutdown().await
            };
            match tokio::time::timeout(timeout, write).await {
                Ok(Ok(())) => Ok(()),
                Ok(Err(e)) => Err(PrintError::Failed { target: name, detail: e.to_string() }),
                Err(_) => Err(PrintError::Failed { target: name, detail: format!("not all sent within {} s", timeout.as_secs()) }),
            }
        }
        Target::Virtual(dir) => {
            let dir = dir.clone();
            let bytes = bytes.to_vec();
            let job = tokio::task::spawn_blocking(move || -> std::io::Result<()> {
                std::fs::create_dir_all(&dir)?;
                let now = chrono::Utc::now();
                std::fs::write(dir.join(format!("{}-{:09}.bin", now.format("%Y%m%d-%H%M%S"), now.timestamp_subsec_nanos())), bytes)
            });
            match job.await {
                Ok(Ok(())) => Ok(()),
                Ok(Err(e)) => Err(PrintError::Failed { target: name, detail: e.to_string() }),
                Err(e) => Err(PrintError::Failed { target: name, detail: e.to_string() }),
            }
        }
        Target::Usb(path) => {
            let (path, bytes) = (path.clone(), bytes.to_vec());
            let job = tokio::task::spawn_blocking(move || -> std::io::Result<()> {
                use std::io::Write;
                let mut f = std::fs::OpenOptions::new().write(true).open(&path)?;
                f.write_all(&bytes)?;
                f.flush()
            });
            match tokio::time::timeout(timeout, job).await {
                Ok(Ok(Ok(()))) => Ok(()),
                Ok(Ok(Err(e))) if e.kind() == std::io::ErrorKind::NotFound => Err(PrintError::Offline { target: name, detail: "no such device: is it plugged in and on?".into() }),
                Ok(Ok(Err(e))) if e.kind() == std::io::ErrorKind::PermissionDenied => {
                    Err(PrintError::Failed { target: name, detail: "permission denied: add the till's user to the lp group".into() })
                }
                Ok(Ok(Err(e))) => Err(PrintError::Failed { target: name, detail: e.to_string() }),
                Ok(Err(e)) => Err(PrintError::Failed { target: name, detail: e.to_string() }),
                Err(_) => Err(PrintError::Offline { target: name, detail: format!("the device took no data within {} s (off, or out of paper?)", timeout.as_secs()) }),
            }
        }
    }
}
