//! Ctrl-C (and SIGTERM) heard from the moment a command asks for them. `tokio::signal::ctrl_c`
//! listens only once its future is first polled: a signal that arrives between a command saying
//! "waiting…" (or printing its banner) and that poll ends the process the default way — a QR left
//! open, a service stopped without its shutdown.

use crate::out::CliError;

/// The signals a command stops on, listened for since [`Signals::interrupt`] or [`Signals::stop`].
pub(crate) struct Signals {
    #[cfg(unix)]
    int: tokio::signal::unix::Signal,
    #[cfg(unix)]
    term: Option<tokio::signal::unix::Signal>,
}

impl Signals {
    /// Ctrl-C alone (a payment the cashier gives up on).
    pub(crate) fn interrupt() -> Result<Signals, CliError> {
        Self::listen(false)
    }

    /// Ctrl-C, or on Unix SIGTERM from a service manager or `kill` (a long-running service).
    pub(crate) fn stop() -> Result<Signals, CliError> {
        Self::listen(true)
    }

    #[cfg(unix)]
    fn listen(term: bool) -> Result<Signals, CliError> {
        use tokio::signal::unix::{signal, SignalKind};
        let int = signal(SignalKind::interrupt()).map_err(CliError::other)?;
        let term = if term { Some(signal(SignalKind::terminate()).map_err(CliError::other)?) } else { None };
        Ok(Signals { int, term })
    }

    #[cfg(not(unix))]
    fn listen(_term: bool) -> Result<Signals, CliError> {
        Ok(Signals {})
    }

    /// Waits for the first of them.
    pub(crate) async fn recv(&mut self) {
        #[cfg(unix)]
        match &mut self.term {
            Some(term) => tokio::select! {
                _ = self.int.recv() => {}
                _ = term.recv() => {}
            },
            None => {
                self.int.recv().await;
            }
        }
        #[cfg(not(unix))]
        let _ = tokio::signal::ctrl_c().await;
    }
}
