#!/usr/bin/env bash
# Rust tests: unit, integration and end-to-end (processes on 127.0.0.1), then doctests.
set -euo pipefail
cd "$(dirname "$0")/.."
if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --locked --workspace --exclude paydesk-app --no-fail-fast
else
  cargo test --locked --workspace --exclude paydesk-app --no-fail-fast
fi
cargo test --locked --workspace --exclude paydesk-app --doc
