//! Opening a Paydesk home: settings, the book, channels, the payments service.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use paydesk_channels::ChannelEnv;
use paydesk_core::config::CallbackMode;
use paydesk_core::{Payments, Store};

use crate::out::CliError;

/// Opens an existing home (run `paydesk init` or `paydesk demo` first).
pub(crate) fn open(home: &Path) -> Result<Arc<Payments>, CliError> {
    let db = Store::path_in(home);
    if !db.exists() {
        return Err(CliError::invalid("home", format!("{} has no Paydesk book; run `paydesk init` (or `paydesk demo`) first", home.display())));
    }
    let (store, settings) = paydesk_core::shop::open(home).map_err(|e| match e {
        paydesk_core::shop::OpenError::Config(e) => CliError::invalid("settings", e),
        other => CliError::other(other),
    })?;
    let env = ChannelEnv::new(home, Duration::from_secs(settings.channel_timeout_secs));
    let callback = settings.callback.clone();
    let p = Payments::new(store, settings, paydesk_channels::factory(env))?;
    if let CallbackMode::PublicUrl { base_url } = callback {
        p.set_notify_base(Some(base_url));
    }
    Ok(Arc::new(p))
}
