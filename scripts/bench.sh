#!/usr/bin/env bash
# Benchmarks. Each prints its figures beside a baseline measured in the same run, and the goal.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "== order creation against the simulator (issue goal: >= 1000 orders/s on 2 cores)"
cargo bench --locked -q -p paydesk-channels --bench orders 2>/dev/null
echo
echo "== callbacks verified + persisted (issue goal: >= 5000/s, p99 < 20 ms, 0 lost, 0 duplicated)"
cargo bench --locked -q -p paydesk-e2e --bench callbacks 2>/dev/null
echo
echo "== reconciliation: \`paydesk reconcile --file\` as a process, 1,000,000-line statement (WeChat bill, Alipay GBK ZIP, UnionPay ZIP) vs 1,000,000 orders loaded by \`paydesk orders import\`, fresh run and re-run (issue goal: <= 1.0 s wall on 2 cores, >= 5x pandas, peak <= statement + 200 MB)"
VENV="$HOME/.cache/paydesk/bench-venv"
scripts/deps-apt.sh bench
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c "import pandas" 2>/dev/null; then
  python3 -m venv "$VENV" && "$VENV/bin/pip" install -q pandas || echo "pandas could not be installed: the baseline is skipped"
fi
RECON_KEEP="$HOME/.cache/paydesk/bench-recon"
PAYDESK_BENCH_DIR="$RECON_KEEP" PAYDESK_PYTHON="$VENV/bin/python" cargo bench --locked -q -p paydesk --bench recon 2>/dev/null
echo
echo "== shared book: three tills on one PostgreSQL vs one SQLite till (orders/s, sync lag p50/p99); reconciliation of the 1,000,000-line WeChat day over a shared book (the recon bench's book)"
cargo build --locked -q -p paydesk
PAYDESK_BENCH_RECON_DIR="$RECON_KEEP" cargo bench --locked -q -p paydesk-e2e --bench shared 2>/dev/null
echo
echo "== analytics: dashboard figures + one chart, month and year of a 1,000,000-order book (issue goal: < 150 ms each)"
cargo bench --locked -q -p paydesk-charts --bench analytics 2>/dev/null
echo
echo "== routing: 10,000 payments, one account failing 30 % of its requests, routing on vs off (issue claim: ~97 % -> 99 %)"
cargo bench --locked -q -p paydesk-core --features simulation --bench routing 2>/dev/null
echo
echo "== desktop app: startup, idle memory (PSS) vs a bare Tauri window, growth after 1,000 payments"
if [ -d src-tauri ] && { [ -n "${DISPLAY:-}" ] || command -v xvfb-run >/dev/null; }; then
  tests/desktop/bench.sh
else
  echo "skipped: needs the desktop build and Xvfb"
fi
