#!/usr/bin/env bash
# Opens the desktop app in demo mode; without a display, explains and offers the CLI demo.
set -euo pipefail
BIN="${CARGO_TARGET_DIR:-$HOME/.cache/paydesk/target}/debug"
if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
  echo "No display found: the desktop app needs one."
  echo "Headless demo instead:  $BIN/paydesk demo     (or: make demo)"
  echo "To see the app without a screen:  xvfb-run -a $BIN/paydesk-app --demo"
  exit 0
fi
if [ -x "$BIN/paydesk-app" ]; then
  exec "$BIN/paydesk-app" --demo
fi
echo "The desktop app is not built yet; running the CLI demo."
exec "$BIN/paydesk" demo
