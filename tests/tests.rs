//! End-to-end tests: the `paydesk` binary and the gateway simulator as separate processes, and
//! the whole service (callbacks, tunnel, follower, notifications, local API) in one process.

#[path = "../channels/tests/common/mod.rs"]
mod common;

mod api;
mod bank;
mod backup;
mod cli;
mod demo;
mod home;
mod listeners;
mod newcomer;
mod unwritable;
mod notify;
mod recon_cli;
mod recovery;
mod report;
mod revoke;
mod routing;
mod service;
mod till;
mod shared;
mod upgrade;
