//! End-to-end tests: the `paydesk` binary and the gateway simulator as separate processes, and
//! the whole service (callbacks, tunnel, follower, notifications, local API) in one process.

#[path = "../channels/tests/common/mod.rs"]
mod common;

mod api;
mod bank;
mod cli;
mod home;
mod notify;
mod recovery;
mod report;
mod routing;
mod service;
