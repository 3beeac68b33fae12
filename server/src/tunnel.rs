//! The built-in tunnel: a shop PC behind NAT opens an outbound connection to a tunnel server
//! (a `bore` server the shop or chain hosts) and gets a public port that forwards to the
//! callback server. Its URL becomes the notify URL of new orders. Reconnects with backoff,
//! asking for the same public port again so URLs of orders in flight keep working.

use std::sync::Arc;
use std::time::Duration;

use paydesk_core::Payments;
use serde::Serialize;
use tokio::sync::watch;

/// What the tunnel is doing, for `paydesk status`, the API and the UI.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum TunnelState {
    Off,
    Connecting { server: String },
    Connected { public_url: String },
    Reconnecting { attempt: u32, error: String, retry_in_secs: u64 },
}

/// A running tunnel client; dropping it stops it.
#[derive(Debug)]
pub struct Tunnel {
    state: watch::Receiver<TunnelState>,
    stop: watch::Sender<bool>,
}

impl Tunnel {
    pub fn state(&self) -> TunnelState {
        self.state.borrow().clone()
    }

    pub fn watch(&self) -> watch::Receiver<TunnelState> {
        self.state.clone()
    }
}

impl Drop for Tunnel {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

/// Delay before reconnect attempt `n` (1-based): 1, 2, 4, 8, 16, 30, 30 … s.
pub fn reconnect_delay(n: u32) -> Duration {
    Duration::from_secs((1u64 << n.saturating_sub(1).min(5)).min(30))
}

/// Starts the tunnel to `server` (host name of the bore server; control port 7835) forwarding to
/// `local_port` on 127.0.0.1, and keeps `payments`' notify URL pointing at it.
pub fn start(payments: Arc<Payments>, server: String, secret: Option<String>, local_port: u16) -> Tunnel {
    let (state_tx, state_rx) = watch::channel(TunnelState::Off);
    let (stop_tx, mut stop_rx) = watch::channel(false);
    tokio::spawn(async move {
        let mut port = 0u16;
        let mut attempt = 0u32;
        loop {
            let _ = state_tx.send(TunnelState::Connecting { server: server.clone() });
            let connected = tokio::select! {
                r = bore_cli::client::Client::new("127.0.0.1", local_port, &server, port, secret.as_deref()) => r,
                _ = stop_rx.changed() => break,
            };
            let error = match connected {
                Ok(client) => {
                    port = client.remote_port();
                    attempt = 0;
                    let url = format!("http://{server}:{port}");
                    payments.set_notify_base(Some(url.clone()));
                    tracing::info!(public_url = %url, "tunnel connected");
                    let _ = state_tx.send(TunnelState::Connected { public_url: url });
                    tokio::select! {
                        r = client.listen() => match r {
                            Ok(()) => "the tunnel server closed the connection".to_string(),
                            Err(e) => format!("tunnel lost: {e}"),
                        },
                        _ = stop_rx.changed() => break,
                    }
                }
                Err(e) => format!("cannot connect to {server}: {e}"),
            };
            attempt += 1;
            let wait = reconnect_delay(attempt);
            tracing::warn!(attempt, "{error}; reconnecting in {}s", wait.as_secs());
            let _ = state_tx.send(TunnelState::Reconnecting { attempt, error, retry_in_secs: wait.as_secs() });
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = stop_rx.changed() => break,
            }
        }
        let _ = state_tx.send(TunnelState::Off);
    });
    Tunnel { state: state_rx, stop: stop_tx }
}

#[cfg(test)]
mod tests {
    #[test]
    fn reconnect_backs_off_and_caps() {
        let v: Vec<u64> = (1..=8).map(|n| super::reconnect_delay(n).as_secs()).collect();
        assert_eq!(v, [1, 2, 4, 8, 16, 30, 30, 30]);
    }
}
