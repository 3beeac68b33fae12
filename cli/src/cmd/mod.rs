//! One module per command group.

pub(crate) mod admin;
pub(crate) mod bank;
pub(crate) mod backup;
pub(crate) mod ops;
pub(crate) mod import;
pub(crate) mod orders;
pub(crate) mod pay;
pub(crate) mod print;
pub(crate) mod recon;
pub(crate) mod report;
pub(crate) mod routing;
pub(crate) mod serve;
pub(crate) mod shared;
pub(crate) mod settle;
pub(crate) mod settlement;
pub(crate) mod sim;
pub(crate) mod till;
