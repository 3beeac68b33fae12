//! End-to-end tests: the `paydesk` binary and the gateway simulator as separate processes.

mod cli;
