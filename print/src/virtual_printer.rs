//! A virtual network printer for tests and the demo: a TCP listener on 127.0.0.1 that keeps
//! every job's bytes, answers `DLE EOT` status requests like a real printer (paper present or
//! out), and can be switched off (connections refused).

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::escpos::{DLE, EOT};

#[derive(Default)]
struct State {
    jobs: Mutex<Vec<Vec<u8>>>,
    paper_out: AtomicBool,
}

/// A running virtual printer.
pub struct VirtualPrinter {
    addr: SocketAddr,
    state: Arc<State>,
    task: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

impl VirtualPrinter {
    /// Listens on 127.0.0.1 at a free port (or `port`).
    pub async fn start(port: u16) -> std::io::Result<VirtualPrinter> {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
        let addr = listener.local_addr()?;
        let state = Arc::new(State::default());
        let task = tokio::spawn(serve(listener, state.clone()));
        Ok(VirtualPrinter { addr, state, task: Mutex::new(Some(task)) })
    }

    /// `127.0.0.1:PORT`, for `printer.address`.
    pub fn address(&self) -> String {
        self.addr.to_string()
    }

    /// Every job received, in order (status requests left out).
    pub fn jobs(&self) -> Vec<Vec<u8>> {
        self.state.jobs.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Waits (up to 5 s) until at least `n` jobs have arrived, and returns them all.
    pub async fn wait_for(&self, n: usize) -> Vec<Vec<u8>> {
        for _ in 0..100 {
            if self.jobs().len() >= n {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        self.jobs()
    }

    /// The paper sensor: out (jobs are refused by the sender) or present.
    pub fn set_paper_out(&self, out: bool) {
        self.state.paper_out.store(out, Ordering::SeqCst);
    }

    /// Switches the printer off: the port refuses connections until [`VirtualPrinter::power_on`].
    pub fn power_off(&self) {
        if let Some(t) = self.task.lock().unwrap_or_else(|p| p.into_inner()).take() {
            t.abort();
        }
    }

    /// Switches it on again on the same port.
    pub async fn power_on(&self) -> std::io::Result<()> {
        let listener = tokio::net::TcpListener::bind(self.addr).await?;
        *self.task.lock().unwrap_or_else(|p| p.into_inner()) = Some(tokio::spawn(serve(listener, self.state.clone())));
        Ok(())
    }
}

impl Drop for VirtualPrinter {
    fn drop(&mut self) {
        self.power_off();
    }
}

async fn serve(listener: tokio::net::TcpListener, state: Arc<State>) {
    while let Ok((mut s, _)) = listener.accept().await {
        let state = state.clone();
        tokio::spawn(async move {
            let mut job = Vec::new();
            let mut buf = [0u8; 4096];
            loop {
                let n = match s.read(&mut buf).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => n,
                };
                let mut i = 0;
                while i < n {
                    if buf[i] == DLE && buf.get(i + 1) == Some(&EOT) && i + 2 < n {
                        let reply = match buf[i + 2] {
                            4 if state.paper_out.load(Ordering::SeqCst) => 0x72,
                            4 => 0x12,
                            _ => 0x12,
                        };
                        let _ = s.write_all(&[reply]).await;
                        i += 3;
                    } else {
                        job.push(buf[i]);
                        i += 1;
                    }
                }
            }
            if !job.is_empty() {
                state.jobs.lock().unwrap_or_else(|p| p.into_inner()).push(job);
            }
        });
    }
}
