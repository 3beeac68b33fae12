#!/usr/bin/env bash
# End-to-end tests of the desktop app in real WebKitGTK under Xvfb, driven over WebDriver
# (tauri-driver + Debian's WebKitWebDriver). Builds nothing: pass the built binary or let the
# script find it in $CARGO_TARGET_DIR (default target/). SCREENSHOTS=DIR also saves screenshots.
#
#   tests/desktop/run.sh [path/to/paydesk-app]
#   SUITES='e2e-setup e2e-recon' tests/desktop/run.sh …   only those suites
#
# Needs: xvfb-run, WebKitWebDriver (webkit2gtk-driver), tauri-driver (cargo install tauri-driver
# --locked), node >= 20, a CJK font (fonts-noto-cjk) for the Chinese UI.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
app=${1:-${CARGO_TARGET_DIR:-$root/target}/debug/paydesk-app}
app=$(realpath "$app")
for tool in xvfb-run WebKitWebDriver tauri-driver node; do
  command -v "$tool" >/dev/null || { echo "run.sh: $tool is missing" >&2; exit 1; }
done
[ -x "$app" ] || { echo "run.sh: no app binary at $app (cargo build -p paydesk-app)" >&2; exit 1; }
export PAYDESK_ASSETS=${PAYDESK_ASSETS:-$root/assets}
# A machine key of its own, so the test never touches the user's.
export PAYDESK_MACHINE_KEY=${PAYDESK_MACHINE_KEY:-$(mktemp -d)/machine.key}
export RUST_LOG=${RUST_LOG:-warn}
# Ports of tauri-driver and its WebKitWebDriver (override to run several suites at once).
export TAURI_DRIVER_PORT=${TAURI_DRIVER_PORT:-4444}
# The apps' temporary files (a demo home each) go to a folder of their own, removed at the end: an
# app stopped by the driver never removes its demo home. Failure screenshots stay in $TMPDIR.
export PAYDESK_FAILURES=${TMPDIR:-/tmp}
scratch=$(mktemp -d)
export TMPDIR=$scratch
set +e
xvfb-run -a -s "-screen 0 1800x900x24" bash -c '
  set -euo pipefail
  port=$TAURI_DRIVER_PORT
  tauri-driver --port $port --native-port $((port + 1)) >"$PAYDESK_FAILURES/tauri-driver-$port.log" 2>&1 &
  driver=$!
  trap "kill $driver 2>/dev/null || true" EXIT
  # One suite per screen area (e2e.mjs, e2e-*.mjs); each starts the app afresh in demo mode.
  status=0
  if [ -n "${SUITES:-}" ]; then list=$(for s in $SUITES; do echo "$0/$s.mjs"; done); else list=$(ls "$0"/e2e*.mjs); fi
  for suite in $list; do
    echo "== $(basename "$suite")"
    node "$suite" "$1" || status=1
  done
  exit $status
' "$here" "$app"
status=$?
rm -rf "$scratch"
exit $status
