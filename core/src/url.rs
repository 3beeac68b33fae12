//! The one https rule, decided on a parsed URL: every address Paydesk sends money messages or keys
//! to (a channel's `base_url`, a template's endpoints, notify and public callback URLs) is
//! `https://`, except plain `http://` to this machine — the host exactly `127.0.0.1`, `::1` or
//! `localhost` — and carries no user name or password.
//!
//! Invariant: nothing here compares URL text with `starts_with`; `http://127.0.0.1@example.com`
//! (user-info, host `example.com`) and `http://localhost.example.com` are refused because the
//! parsed host is what is checked.

pub use ::url::Url;

/// Why a URL was refused (a sentence to follow the field name).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct UrlError(pub &'static str);

/// Whether the parsed URL's host is this machine: exactly 127.0.0.1, ::1 or `localhost`.
pub fn is_loopback(u: &Url) -> bool {
    match u.host() {
        Some(::url::Host::Ipv4(ip)) => ip == std::net::Ipv4Addr::LOCALHOST,
        Some(::url::Host::Ipv6(ip)) => ip == std::net::Ipv6Addr::LOCALHOST,
        Some(::url::Host::Domain(d)) => d == "localhost",
        None => false,
    }
}

/// Parses `s` and applies the rule: `https://` anywhere, `http://` only to this machine, never
/// a user name or password.
pub fn https_or_loopback(s: &str) -> Result<Url, UrlError> {
    let u = Url::parse(s.trim()).map_err(|_| UrlError("is not a URL (e.g. https://pay.example.com)"))?;
    if !u.username().is_empty() || u.password().is_some() {
        return Err(UrlError("must not carry a user name or password"));
    }
    match u.scheme() {
        "https" if u.host().is_some() => Ok(u),
        "http" if is_loopback(&u) => Ok(u),
        _ => Err(UrlError("must be https:// (plain http:// only to 127.0.0.1, ::1 or localhost)")),
    }
}

/// Whether `s` is an `http://` or `https://` URL of this machine (e.g. a simulator's base URL).
pub fn is_loopback_url(s: &str) -> bool {
    Url::parse(s.trim()).is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.username().is_empty() && u.password().is_none() && is_loopback(&u))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_anywhere_http_only_to_this_machine() {
        for ok in ["https://pay.example.com", "https://pay.example.com:8443/gateway?x=1", "http://127.0.0.1:8429/alipay", "http://[::1]:80/", "http://localhost/epay", "http://LOCALHOST:1/", "HTTPS://Pay.Example.com"] {
            assert!(https_or_loopback(ok).is_ok(), "{ok}");
        }
        for bad in [
            "http://127.0.0.1@example.com",
            "http://127.0.0.1:x@example.com/",
            "http://localhost.example.com",
            "http://localhost.",
            "http://127.0.0.2/",
            "http://10.0.0.1/",
            "http://example.com/",
            "https://user:pw@pay.example.com",
            "ftp://127.0.0.1/",
            "file:///etc/passwd",
            "127.0.0.1:8080",
            "",
            "https://",
        ] {
            assert!(https_or_loopback(bad).is_err(), "{bad}");
        }
        assert!(https_or_loopback("http://127.0.0.1@example.com").unwrap_err().0.contains("user name"));
        assert!(https_or_loopback("http://localhost.example.com").unwrap_err().0.contains("127.0.0.1"));
        assert!(is_loopback_url("http://127.0.0.1:1/x") && is_loopback_url("https://localhost") && !is_loopback_url("https://pay.example.com") && !is_loopback_url("http://127.0.0.1@example.com"));
    }
}
