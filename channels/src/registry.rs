//! The channel registry: channel kind → factory. A new channel is one folder and one line here.

use std::sync::Arc;

use paydesk_core::payments::ChannelFactory;
use paydesk_core::{AccountConfig, Channel, ChannelError};

use crate::env::ChannelEnv;

pub type Factory = fn(&AccountConfig, &ChannelEnv) -> Result<Arc<dyn Channel>, ChannelError>;

/// Every channel Paydesk can talk to.
pub const REGISTRY: &[(&str, Factory)] = &[
    ("sandbox", crate::sandbox::build),
    ("alipay", crate::alipay::build),
    ("wechat", crate::wechat::build),
    ("unionpay", crate::unionpay::build),
    ("template", crate::template::build),
];

/// Channel kinds known to this build.
pub fn kinds() -> Vec<&'static str> {
    REGISTRY.iter().map(|(k, _)| *k).collect()
}

/// Builds the channel for one account.
pub fn build(a: &AccountConfig, env: &ChannelEnv) -> Result<Arc<dyn Channel>, ChannelError> {
    let f = REGISTRY
        .iter()
        .find(|(k, _)| *k == a.channel)
        .map(|(_, f)| f)
        .ok_or_else(|| ChannelError::Config(format!("account {:?}: channel: unknown channel {:?} (known: {})", a.name, a.channel, kinds().join(", "))))?;
    f(a, env)
}

/// The factory the payments service uses.
pub fn factory(env: ChannelEnv) -> ChannelFactory {
    Arc::new(move |a: &AccountConfig| build(a, &env))
}
