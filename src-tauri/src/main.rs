//! The `paydesk-app` binary: parses the command line and runs the desktop app.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]
fn main() {
    paydesk_app::main_entry();
}
