#!/usr/bin/env bash
# Rust tests: doctests, then unit, integration and end-to-end tests (processes on 127.0.0.1).
# The test runner's summary line is the last thing printed (CI reads it).
set -euo pipefail
cd "$(dirname "$0")/.."
# The end-to-end tests run the paydesk binary: build it first so they never test a stale one.
cargo build --locked -q -p paydesk
log=$(mktemp)
if ! cargo test --locked --workspace --exclude paydesk-app --doc >"$log" 2>&1; then
  cat "$log"; rm -f "$log"; echo "doctests failed"; exit 1
fi
echo "doctests: $(grep -c '^test .* ok$' "$log" || true) passed"
rm -f "$log"
if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --locked --workspace --exclude paydesk-app --no-fail-fast --status-level fail --final-status-level fail
else
  cargo test --locked --workspace --exclude paydesk-app --no-fail-fast
fi
