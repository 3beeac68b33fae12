//! Every message of the CLI, zh-CN and English side by side, one file per area. A line reads
//! `KEY: "中文" | "English",`; values are `{named}` and must be the same in both texts.

macro_rules! messages {
    ($($(#[$doc:meta])* $key:ident: $zh:literal | $en:literal,)*) => {
        $($(#[$doc])* pub(crate) const $key: crate::i18n::Msg = crate::i18n::Msg { key: stringify!($key), zh: $zh, en: $en };)*
        /// Every message of this file (for the catalog's test).
        #[cfg(test)]
        pub(super) const ALL: &[crate::i18n::Msg] = &[$($key),*];
    };
}

mod bank;
mod common;
mod orders;
mod pay;
mod recon;
mod report;
mod service;
mod setup;

pub(crate) use bank::*;
pub(crate) use common::*;
pub(crate) use orders::*;
pub(crate) use pay::*;
pub(crate) use recon::*;
pub(crate) use report::*;
pub(crate) use service::*;
pub(crate) use setup::*;

/// Every message of the catalog.
#[cfg(test)]
pub(crate) fn all() -> impl Iterator<Item = &'static crate::i18n::Msg> {
    [bank::ALL, common::ALL, orders::ALL, pay::ALL, recon::ALL, report::ALL, service::ALL, setup::ALL].into_iter().flatten()
}
