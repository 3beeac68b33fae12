//! The print spooler: a payment never waits for paper. A job is queued and sent in the
//! background, one at a time; its outcome is broadcast (the app shows a message with a retry on
//! failure) and kept, with its bytes, so a failed job can be sent again as it was.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;
use tokio::sync::broadcast;

use crate::transport::{send, PrintError, Target};

/// How many finished jobs are kept for the list and retries.
const KEEP: usize = 50;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum JobStatus {
    Queued,
    Printing,
    Done,
    Failed,
}

/// A print job as the app lists it.
#[derive(Clone, Debug, Serialize)]
pub struct Job {
    pub id: u64,
    /// What it is, e.g. `sale P2026…`.
    pub title: String,
    pub status: JobStatus,
    /// The [`PrintError`] code and message when it failed.
    pub code: Option<String>,
    pub message: Option<String>,
    pub at: DateTime<Utc>,
    #[serde(skip)]
    bytes: Arc<Vec<u8>>,
}

impl Job {
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }
}

pub struct Spooler {
    jobs: Mutex<Vec<Job>>,
    next: AtomicU64,
    target: RwLock<(Option<Target>, Duration)>,
    printer: tokio::sync::Mutex<()>,
    events: broadcast::Sender<Job>,
    /// The runtime jobs run on (captured at creation: callers may be plain threads).
    rt: Option<tokio::runtime::Handle>,
}

impl Spooler {
    /// A spooler whose jobs run on the current Tokio runtime (see [`Spooler::on`]).
    pub fn new(target: Option<Target>, timeout: Duration) -> Arc<Spooler> {
        Spooler::on(tokio::runtime::Handle::try_current().ok(), target, timeout)
    }

    /// A spooler whose jobs run on `rt` (so any thread may submit).
    pub fn on(rt: Option<tokio::runtime::Handle>, target: Option<Target>, timeout: Duration) -> Arc<Spooler> {
        Arc::new(Spooler {
            jobs: Mutex::new(Vec::new()),
            next: AtomicU64::new(1),
            target: RwLock::new((target, timeout)),
            printer: tokio::sync::Mutex::new(()),
            events: broadcast::channel(64).0,
            rt,
        })
    }

    /// Changes the printer (settings saved); jobs queued later go there.
    pub fn set_target(&self, target: Option<Target>, timeout: Duration) {
        *self.target.write().unwrap_or_else(|p| p.into_inner()) = (target, timeout);
    }

    pub fn target(&self) -> Option<Target> {
        self.target.read().unwrap_or_else(|p| p.into_inner()).0.clone()
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Job> {
        self.events.subscribe()
    }

    /// The recent jobs, newest first.
    pub fn jobs(&self) -> Vec<Job> {
        let mut v = self.jobs.lock().unwrap_or_else(|p| p.into_inner()).clone();
        v.reverse();
        v
    }

    pub fn job(&self, id: u64) -> Option<Job> {
        self.jobs.lock().unwrap_or_else(|p| p.into_inner()).iter().find(|j| j.id == id).cloned()
    }

    fn update(&self, id: u64, status: JobStatus, err: Option<&PrintError>) -> Option<Job> {
        let mut jobs = self.jobs.lock().unwrap_or_else(|p| p.into_inner());
        let j = jobs.iter_mut().find(|j| j.id == id)?;
        j.status = status;
        j.code = err.map(|e| e.code().to_string());
        j.message = err.map(ToString::to_string);
        j.at = Utc::now();
        let out = j.clone();
        drop(jobs);
        if matches!(status, JobStatus::Done | JobStatus::Failed) {
            let _ = self.events.send(out.clone());
        }
        Some(out)
    }

    /// Queues a job; returns at once (from any thread when the spooler was made on a Tokio runtime).
    pub fn submit(self: &Arc<Self>, title: &str, bytes: Vec<u8>) -> Job {
        let job = Job { id: self.next.fetch_add(1, Ordering::SeqCst), title: title.to_string(), status: JobStatus::Queued, code: None, message: None, at: Utc::now(), bytes: Arc::new(bytes) };
        {
            let mut jobs = self.jobs.lock().unwrap_or_else(|p| p.into_inner());
            jobs.push(job.clone());
            let excess = jobs.len().saturating_sub(KEEP);
            jobs.drain(..excess);
        }
        self.spawn(job.id);
        job
    }

    /// Sends a failed (or any earlier) job again, with the same bytes.
    pub fn retry(self: &Arc<Self>, id: u64) -> Option<Job> {
        let job = self.update(id, JobStatus::Queued, None)?;
        self.spawn(id);
        Some(job)
    }

    fn spawn(self: &Arc<Self>, id: u64) {
        let me = self.clone();
        let job = async move {
            me.run(id).await;
        };
        match &self.rt {
            Some(rt) => drop(rt.spawn(job)),
            None => drop(tokio::spawn(job)),
        }
    }

    async fn run(&self, id: u64) -> Option<Job> {
        let _one_at_a_time = self.printer.lock().await;
        let bytes = self.job(id)?.bytes.clone();
        self.update(id, JobStatus::Printing, None);
        let (target, timeout) = self.target.read().unwrap_or_else(|p| p.into_inner()).clone();
        let result = match target {
            Some(t) => send(&t, &bytes, timeout).await,
            None => Err(PrintError::NotConfigured),
        };
        match result {
            Ok(()) => self.update(id, JobStatus::Done, None),
            Err(e) => {
                tracing::warn!(job = id, code = e.code(), "print job failed: {e}");
                self.update(id, JobStatus::Failed, Some(&e))
            }
        }
    }

    /// Waits until job `id` is done or failed (the CLI and tests).
    pub async fn wait(&self, id: u64) -> Option<Job> {
        let mut rx = self.subscribe();
        loop {
            if let Some(j) = self.job(id).filter(|j| matches!(j.status, JobStatus::Done | JobStatus::Failed)) {
                return Some(j);
            }
            match tokio::time::timeout(Duration::from_millis(200), rx.recv()).await {
                Err(_) | Ok(Ok(_)) | Ok(Err(broadcast::error::RecvError::Lagged(_))) => {}
                Ok(Err(broadcast::error::RecvError::Closed)) => return self.job(id),
            }
        }
    }
}
