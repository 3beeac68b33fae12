#!/usr/bin/env bash
# The built desktop app in real WebKitGTK under Xvfb, driven over WebDriver (tauri-driver).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v tauri-driver >/dev/null || cargo install tauri-driver --locked -q
BIN="${CARGO_TARGET_DIR:-$HOME/.cache/paydesk/target}/debug"
tests/desktop/run.sh "$BIN/paydesk-app"
