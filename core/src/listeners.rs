//! Where Paydesk listens, and the limits every listener keeps (`listen`, `callback_listen` and
//! `[server]` in config.toml).
//!
//! Invariant: what may be reached from outside the machine is the channel callbacks alone. The
//! local API, `/status` and `/openapi.json` listen on a loopback address of their own (`listen`,
//! refused at load when it is not loopback); the callbacks (`/cb/{account}`) listen on
//! `callback_listen`, the one address a tunnel or reverse proxy forwards to. Settings written
//! before the split, whose single `listen` was opened to the network, are moved at load: that
//! address keeps serving the callbacks it was opened for, and the local API comes back to
//! loopback — with a warning that says what to write in config.toml.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use serde::{Deserialize, Serialize};

use crate::config::ConfigError;

/// The default local address (API, status): loopback only.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8428";
/// The default callback address: loopback too — the built-in tunnel and a reverse proxy on the
/// same PC reach it there; set `0.0.0.0:8430` only for a proxy on another machine.
pub const DEFAULT_CALLBACK_LISTEN: &str = "127.0.0.1:8430";

/// Limits of every listener (`[server]`). The defaults suit a till; tests shorten them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerSettings {
    /// A client that has not sent a whole request head (request line and headers) this long
    /// after connecting, or after its previous request, is disconnected.
    pub header_timeout_secs: u64,
    /// Most connections served at once on each listener; further clients wait to be accepted.
    pub max_connections: u32,
    /// Most time one callback may take, its body included.
    pub callback_timeout_secs: u64,
    /// Most time one local API request may take (a barcode payment answers within 10 s).
    pub api_timeout_secs: u64,
    /// Largest callback body, KiB (channels send a few KiB).
    pub callback_body_kib: u32,
    /// Largest local API request body, KiB.
    pub api_body_kib: u32,
}

impl Default for ServerSettings {
    fn default() -> Self {
        ServerSettings { header_timeout_secs: 10, max_connections: 256, callback_timeout_secs: 10, api_timeout_secs: 30, callback_body_kib: 64, api_body_kib: 16 }
    }
}

impl ServerSettings {
    pub fn validate(&self) -> Result<(), ConfigError> {
        let bad = |field, problem: &str| Err(ConfigError::Invalid { field, problem: problem.into() });
        let ranges: [(&'static str, u64, u64, u64); 6] = [
            ("server.header_timeout_secs", self.header_timeout_secs, 1, 300),
            ("server.max_connections", u64::from(self.max_connections), 4, 10_000),
            ("server.callback_timeout_secs", self.callback_timeout_secs, 1, 300),
            ("server.api_timeout_secs", self.api_timeout_secs, 11, 600),
            ("server.callback_body_kib", u64::from(self.callback_body_kib), 4, 1024),
            ("server.api_body_kib", u64::from(self.api_body_kib), 1, 1024),
        ];
        for (field, v, lo, hi) in ranges {
            if !(lo..=hi).contains(&v) {
                return bad(field, &format!("must be {lo} to {hi}"));
            }
        }
        Ok(())
    }
}

fn addr(field: &'static str, s: &str) -> Result<SocketAddr, ConfigError> {
    s.parse().map_err(|_| ConfigError::Invalid { field, problem: format!("{s:?} is not an IP address with a port, like {DEFAULT_LISTEN}") })
}

/// The local and the callback address, checked: the local one is loopback, the two never clash.
pub fn resolve(listen: &str, callback_listen: Option<&str>) -> Result<(SocketAddr, SocketAddr), ConfigError> {
    let local = addr("listen", listen)?;
    if !local.ip().is_loopback() {
        return Err(ConfigError::Invalid {
            field: "listen",
            problem: format!("{local} is not a loopback address: the local API and /status listen on loopback only (127.0.0.1 or ::1); put the address a tunnel or proxy forwards to in callback_listen"),
        });
    }
    let callbacks = addr("callback_listen", callback_listen.unwrap_or(DEFAULT_CALLBACK_LISTEN))?;
    let overlap = local.port() == callbacks.port() && local.port() != 0 && (local.ip() == callbacks.ip() || callbacks.ip().is_unspecified());
    if overlap {
        return Err(ConfigError::Invalid { field: "callback_listen", problem: format!("{callbacks} clashes with listen {local}: give the callbacks a port of their own") });
    }
    Ok((local, callbacks))
}

/// Settings written before the listeners were split: moves a `listen` opened to the network to
/// `callback_listen`, bringing the local API back to loopback. Returns the warning to log, or
/// `None` when there was nothing to say. With `proxied` (callbacks through the owner's own
/// public URL) and a loopback `listen`, nothing moves, but the proxy must now forward to the
/// callback address: the warning says so.
pub fn migrate(listen: &mut String, callback_listen: &mut Option<String>, proxied: bool) -> Option<String> {
    let old: SocketAddr = listen.parse().ok()?;
    if callback_listen.is_some() {
        return None;
    }
    if old.ip().is_loopback() {
        return proxied.then(|| {
            format!(
                "config.toml: the channel callbacks now listen on {DEFAULT_CALLBACK_LISTEN}, apart from the local API on {old}: point the proxy behind callback.base_url \
                 at {DEFAULT_CALLBACK_LISTEN} (or set callback_listen) — {old} no longer answers /cb/. Write `callback_listen = \"{DEFAULT_CALLBACK_LISTEN}\"` to silence this warning."
            )
        });
    }
    // An unspecified address (0.0.0.0, ::) takes the port on loopback too: the API moves one up.
    let port = if old.ip().is_unspecified() { old.port().checked_add(1)? } else { old.port() };
    let local = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port);
    *callback_listen = Some(old.to_string());
    *listen = local.to_string();
    Some(format!(
        "config.toml: listen = \"{old}\" opened the local API to the network; since this version the API and /status listen on loopback only. \
         Now serving the callbacks alone on {old} and the local API on {local}. Write `listen = \"{local}\"` and `callback_listen = \"{old}\"` to keep this and silence the warning."
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_local_address_is_loopback_and_the_two_never_clash() {
        let (l, c) = resolve(DEFAULT_LISTEN, None).unwrap();
        assert_eq!((l.to_string(), c.to_string()), (DEFAULT_LISTEN.to_string(), DEFAULT_CALLBACK_LISTEN.to_string()));
        assert!(resolve("[::1]:8428", Some("0.0.0.0:8429")).is_ok());
        let e = resolve("0.0.0.0:8428", None).unwrap_err().to_string();
        assert!(e.starts_with("setting listen: 0.0.0.0:8428 is not a loopback address"), "{e}");
        assert!(resolve("192.168.1.10:8428", None).is_err());
        assert!(resolve("localhost:8428", None).unwrap_err().to_string().contains("not an IP address"));
        assert!(resolve("127.0.0.1:8428", Some("127.0.0.1:8428")).unwrap_err().to_string().contains("callback_listen"));
        assert!(resolve("127.0.0.1:8428", Some("0.0.0.0:8428")).is_err(), "0.0.0.0 takes the loopback port too");
        assert!(resolve("127.0.0.1:0", Some("127.0.0.1:0")).is_ok(), "any free ports (tests)");
    }

    #[test]
    fn an_old_open_listen_keeps_its_callbacks_and_brings_the_api_home() {
        let (mut l, mut c) = ("0.0.0.0:8428".to_string(), None);
        let w = migrate(&mut l, &mut c, true).unwrap();
        assert_eq!((l.as_str(), c.as_deref()), ("127.0.0.1:8429", Some("0.0.0.0:8428")));
        assert!(w.contains("callback_listen = \"0.0.0.0:8428\""), "{w}");
        assert!(resolve(&l, c.as_deref()).is_ok());
        let (mut l, mut c) = ("192.168.1.10:9000".to_string(), None);
        migrate(&mut l, &mut c, false).unwrap();
        assert_eq!((l.as_str(), c.as_deref()), ("127.0.0.1:9000", Some("192.168.1.10:9000")));
        // Loopback: nothing moves; a proxy owner is told where the callbacks went.
        let (mut l, mut c) = (DEFAULT_LISTEN.to_string(), None);
        assert!(migrate(&mut l, &mut c, false).is_none());
        assert!(migrate(&mut l, &mut c, true).unwrap().contains(DEFAULT_CALLBACK_LISTEN));
        assert_eq!((l.as_str(), c.as_deref()), (DEFAULT_LISTEN, None));
        // Already split: never rewritten, and an open listen is refused.
        let (mut l, mut c) = ("0.0.0.0:8428".to_string(), Some("0.0.0.0:9000".to_string()));
        assert!(migrate(&mut l, &mut c, true).is_none(), "a split config is never rewritten");
        assert!(resolve(&l, c.as_deref()).is_err(), "and an open listen is refused");
    }

    #[test]
    fn limits_are_bounded() {
        assert!(ServerSettings::default().validate().is_ok());
        let s = ServerSettings { header_timeout_secs: 0, ..ServerSettings::default() };
        assert!(s.validate().unwrap_err().to_string().contains("server.header_timeout_secs"));
        let s = ServerSettings { api_timeout_secs: 10, ..ServerSettings::default() };
        assert!(s.validate().unwrap_err().to_string().contains("api_timeout_secs"), "must outlast a barcode payment's 10 s");
    }
}
