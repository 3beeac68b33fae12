//! Opening a Paydesk home: settings, the book, channels, the payments service.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use paydesk_channels::ChannelEnv;
use paydesk_core::config::CallbackMode;
use paydesk_core::{Payments, Store};

use crate::i18n::tr;
use crate::out::CliError;

/// Checks that `home` holds a book this user may read: "no book" only when there is none, and
/// "permission denied" when the folder or the book cannot be read.
pub(crate) fn check_book(home: &Path) -> Result<std::path::PathBuf, CliError> {
    let db = Store::path_in(home);
    let denied = |e: std::io::Error| CliError::invalid("home", tr!(HOME_DENIED, home = home.display(), detail = e));
    match std::fs::metadata(&db) {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => return Err(denied(e)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(CliError::invalid("home", tr!(NO_BOOK, home = home.display()))),
        Err(e) => return Err(CliError::invalid("home", tr!(HOME_UNREADABLE, home = home.display(), detail = e))),
    }
    // The folder may be listable but the book not readable (or the other way round).
    if let Err(e) = std::fs::File::open(&db) {
        return Err(if e.kind() == std::io::ErrorKind::PermissionDenied { denied(e) } else { CliError::invalid("home", tr!(HOME_UNREADABLE, home = home.display(), detail = e)) });
    }
    Ok(db)
}

/// Opens an existing home (run `paydesk init` or `paydesk demo` first).
pub(crate) fn open(home: &Path) -> Result<Arc<Payments>, CliError> {
    check_book(home)?;
    let (store, settings) = paydesk_core::shop::open(home).map_err(|e| match e {
        paydesk_core::shop::OpenError::Config(e) => CliError::invalid("settings", e),
        other => CliError::other(other),
    })?;
    let env = ChannelEnv::new(home, Duration::from_secs(settings.channel_timeout_secs));
    let callback = settings.callback.clone();
    let p = Payments::new(store, settings, paydesk_channels::factory(env))?;
    p.set_key_carrier(paydesk_channels::shopkey::carrier(home));
    if let CallbackMode::PublicUrl { base_url } = callback {
        p.set_notify_base(Some(base_url));
    }
    Ok(Arc::new(p))
}

/// Takes the home's service lock for a long-running command (`serve`, `demo`), or says which
/// service holds it.
pub(crate) fn service_lock(home: &Path, what: &str) -> Result<paydesk_core::service_lock::ServiceLock, CliError> {
    use paydesk_core::service_lock::{LockError, ServiceLock};
    ServiceLock::acquire(home, what).map_err(|e| match e {
        LockError::Held(Some(h)) => {
            let listen = h.listen.as_deref().map(|a| tr!(SERVICE_BUSY_LISTEN, addr = a)).unwrap_or_default();
            let since = h.since.with_timezone(&chrono::Local).format("%Y-%m-%d %H:%M:%S");
            CliError::busy(tr!(SERVICE_BUSY, what = h.what, pid = h.pid, since = since, listen = listen))
        }
        LockError::Held(None) => CliError::busy(crate::i18n::t(crate::i18n::catalog::SERVICE_BUSY_UNKNOWN)),
        LockError::Io { path, source } => CliError::other(tr!(LOCK_FAILED, path = path.display(), detail = source)),
    })
}
