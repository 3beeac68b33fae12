//! The connection to the shared book: one PostgreSQL client owned by one thread of its own.
//!
//! Invariant: every statement sent to PostgreSQL runs on the link thread, never on a caller's
//! thread, so callers may be plain threads, Tokio tasks or the desktop's command threads alike
//! (the blocking client must not run inside an async runtime). A failed connection is dropped and
//! made again on the next call; calls wait at most [`CALL_TIMEOUT`].

use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::LinkError;

/// How long a caller waits for the link thread.
pub(crate) const CALL_TIMEOUT: Duration = Duration::from_secs(120);

/// Where the shared book is: a `postgres://` URL (`sslmode=disable` or a loopback host: plain;
/// otherwise TLS, verified against the web's root certificates) and, if the URL holds none, the
/// password.
#[derive(Clone, PartialEq, Eq)]
pub struct SharedConfig {
    pub url: String,
    pub password: Option<String>,
}

impl std::fmt::Debug for SharedConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedConfig").field("url", &redact(&self.url)).finish_non_exhaustive()
    }
}

/// The URL without its password, for messages and logs.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..s + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

impl SharedConfig {
    fn pg_config(&self) -> Result<postgres::Config, LinkError> {
        let mut c: postgres::Config = self.url.parse().map_err(|e| LinkError::Refused(format!("shared.url {}: {e}", redact(&self.url))))?;
        if let Some(p) = &self.password {
            c.password(p);
        }
        if c.get_connect_timeout().is_none() {
            c.connect_timeout(Duration::from_secs(5));
        }
        c.application_name("paydesk");
        Ok(c)
    }

    fn plain(c: &postgres::Config) -> bool {
        use postgres::config::{Host, SslMode};
        c.get_ssl_mode() == SslMode::Disable
            || c.get_hosts().iter().all(|h| match h {
                Host::Tcp(name) => name == "127.0.0.1" || name == "localhost" || name == "::1",
                #[cfg(unix)]
                Host::Unix(_) => true,
            })
    }

    fn connect(&self) -> Result<postgres::Client, LinkError> {
        let cfg = self.pg_config()?;
        let client = if Self::plain(&cfg) {
            cfg.connect(postgres::NoTls)?
        } else {
            let roots = rustls::RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() };
            let tls = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
                .with_safe_default_protocol_versions()
                .map_err(|e| LinkError::Refused(format!("TLS: {e}")))?
                .with_root_certificates(roots)
                .with_no_client_auth();
            cfg.connect(tokio_postgres_rustls::MakeRustlsConnect::new(tls))?
        };
        Ok(client)
    }
}

/// The link thread's side: the client, made on demand.
pub(crate) struct Conn {
    cfg: SharedConfig,
    client: Option<postgres::Client>,
}

impl Conn {
    /// The client, connected (and the schema migrated) if it was not.
    pub(crate) fn client(&mut self) -> Result<&mut postgres::Client, LinkError> {
        if self.client.as_ref().is_some_and(|c| c.is_closed()) {
            self.client = None;
        }
        if self.client.is_none() {
            let mut c = self.cfg.connect()?;
            super::pg_schema::migrate(&mut c)?;
            self.client = Some(c);
        }
        self.client.as_mut().ok_or_else(|| LinkError::Offline("not connected".into()))
    }
}

type Job = Box<dyn FnOnce(&mut Conn) + Send>;

/// What [`Link::stream`] hands back: the items as they come, then the outcome.
pub(crate) type Stream<T> = (mpsc::Receiver<T>, mpsc::Receiver<Result<(), LinkError>>);

/// A handle on the link thread; the thread ends when the last handle is dropped.
pub(crate) struct Link {
    tx: Mutex<mpsc::Sender<Job>>,
    pub cfg: SharedConfig,
}

impl std::fmt::Debug for Link {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Link").field("cfg", &self.cfg).finish()
    }
}

impl Link {
    pub(crate) fn start(cfg: SharedConfig) -> Result<Link, LinkError> {
        let (tx, rx) = mpsc::channel::<Job>();
        let mut conn = Conn { cfg: cfg.clone(), client: None };
        std::thread::Builder::new()
            .name("paydesk-link".into())
            .spawn(move || {
                while let Ok(job) = rx.recv() {
                    job(&mut conn);
                }
            })
            .map_err(|e| LinkError::Offline(format!("cannot start the link thread: {e}")))?;
        Ok(Link { tx: Mutex::new(tx), cfg })
    }

    /// Runs `f` on the link thread and waits for its answer. A connection that failed during `f`
    /// is dropped (the next call connects again).
    pub(crate) fn call<T: Send + 'static>(&self, f: impl FnOnce(&mut postgres::Client) -> Result<T, LinkError> + Send + 'static) -> Result<T, LinkError> {
        let (rtx, rrx) = mpsc::channel();
        let job: Job = Box::new(move |conn: &mut Conn| {
            let out = conn.client().and_then(f);
            if let Err(e) = &out {
                if e.is_offline() {
                    conn.client = None;
                }
            }
            let _ = rtx.send(out);
        });
        self.tx.lock().unwrap_or_else(|p| p.into_inner()).send(job).map_err(|_| LinkError::Offline("the link thread stopped".into()))?;
        rrx.recv_timeout(CALL_TIMEOUT).map_err(|_| LinkError::Offline("the shared book did not answer in time".into()))?
    }

    /// Runs `f` on the link thread, which sends what it reads through a small queue as it goes;
    /// the caller takes items from the first receiver, then the outcome from the second. When the
    /// caller stops taking (drops the receiver), `f`'s next send fails and it ends.
    pub(crate) fn stream<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut postgres::Client, &mpsc::SyncSender<T>) -> Result<(), LinkError> + Send + 'static,
    ) -> Result<Stream<T>, LinkError> {
        let (itx, irx) = mpsc::sync_channel(2);
        let (rtx, rrx) = mpsc::channel();
        let job: Job = Box::new(move |conn: &mut Conn| {
            let out = conn.client().and_then(|c| f(c, &itx));
            drop(itx);
            if let Err(e) = &out {
                if e.is_offline() {
                    conn.client = None;
                }
            }
            let _ = rtx.send(out);
        });
        self.tx.lock().unwrap_or_else(|p| p.into_inner()).send(job).map_err(|_| LinkError::Offline("the link thread stopped".into()))?;
        Ok((irx, rrx))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn urls_are_redacted() {
        assert_eq!(super::redact("postgres://paydesk:s3cret@db.example.com/shop"), "postgres://paydesk:***@db.example.com/shop");
        assert_eq!(super::redact("postgres://paydesk@127.0.0.1:5432/shop"), "postgres://paydesk@127.0.0.1:5432/shop");
        let c = super::SharedConfig { url: "postgres://u:pw@h/db".into(), password: Some("x".into()) };
        assert!(!format!("{c:?}").contains("pw") && !format!("{c:?}").contains("\"x\""));
    }
}
