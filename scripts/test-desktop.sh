#!/usr/bin/env bash
# The desktop shell: its Rust tests (commands over IPC on Tauri's mock runtime), then the built
# app end to end in WebKitGTK under Xvfb (tauri-driver + WebKitWebDriver), demo mode.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v tauri-driver >/dev/null || cargo install tauri-driver --locked
cargo test --locked -p paydesk-app
tests/desktop/run.sh "${CARGO_TARGET_DIR:-target}/debug/paydesk-app"
