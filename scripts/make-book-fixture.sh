#!/usr/bin/env bash
# Writes the fixture book of the CURRENT schema version (tests/fixtures/books/vN.db + vN.json)
# through product paths: a `paydesk demo` home (simulated gateways, two days of sales history,
# yesterday's reconciliation day with planted differences), then payments, a refund, a close, a
# reconciliation run and a resolved discrepancy, all through the `paydesk` CLI.
#
#   scripts/make-book-fixture.sh              the current version (run it after adding a migration)
#   scripts/make-book-fixture.sh --project N  version N < current: the current version's fixture
#                                             projected onto the first N migrations (each table
#                                             keeps the columns it had at N; triggers of that
#                                             version fill the analytics tables)
#
# Fixtures of versions that already have one are never rewritten by the first form: a fixture
# is the record of what a book of that version held. tests/upgrade.rs fails while the current
# version has none.
set -euo pipefail
cd "$(dirname "$0")/.."
target=${CARGO_TARGET_DIR:-target}
cargo build -q --locked -p paydesk
cargo build -q --locked -p paydesk-e2e --example book-fixture
bin="$target/debug/paydesk"
tool="$target/debug/examples/book-fixture"
latest=$("$tool" version)
if [ "${1:-}" = "--project" ]; then
  exec "$tool" project "tests/fixtures/books/v$latest.db" "${2:?--project needs a version}"
fi
if [ -f "tests/fixtures/books/v$latest.db" ]; then
  echo "tests/fixtures/books/v$latest.db exists already (schema $latest); remove it first to write it anew" >&2
  exit 1
fi

work=$(mktemp -d)
home="$work/home"
demo=""
trap '[ -n "$demo" ] && kill "$demo" 2>/dev/null; rm -rf "$work"' EXIT
read -r p1 p2 < <(python3 -c 'import socket
s=[socket.socket() for _ in range(2)]
[x.bind(("127.0.0.1",0)) for x in s]
print(*[x.getsockname()[1] for x in s])')
"$bin" --home "$home" demo --listen "127.0.0.1:$p1" --sim-listen "127.0.0.1:$p2" --history-days 2 >"$work/demo.log" 2>&1 &
demo=$!
for _ in $(seq 100); do grep -q "Ctrl-C to stop" "$work/demo.log" && break; sleep 0.2; done
grep -q "Ctrl-C to stop" "$work/demo.log" || { cat "$work/demo.log"; echo "demo did not start" >&2; exit 1; }
pd() { "$bin" --home "$home" --json "$@"; }
sim="http://127.0.0.1:$p2"

# A QR payment the customer pays, partly refunded.
no=$(pd pay --amount 88.80 --method sandbox | python3 -c 'import json,sys; print(json.load(sys.stdin)["order_no"])')
"$bin" sim scan "$no" --action pay --url "$sim" >/dev/null
pd query "$no" >/dev/null
pd refund "$no" --amount 8.80 >/dev/null
# A QR order nobody pays, closed.
no=$(pd pay --amount 12.00 --method sandbox | python3 -c 'import json,sys; print(json.load(sys.stdin)["order_no"])')
pd close "$no" >/dev/null || [ $? = 3 ]   # 3: closed, not paid
# Barcode payments: one paid, one refused by the payer.
pd pay --amount 5.00 --auth-code 990000000000000001 >/dev/null
pd pay --amount 7.00 --auth-code 990000000000000007 >/dev/null || [ $? = 3 ]   # refused by the payer
# Yesterday's reconciliation (planted differences), one of them resolved.
pd reconcile --account sandbox-main >/dev/null || [ $? = 6 ]   # 6: open discrepancies
item=$( (pd reconcile --account sandbox-main --show || true) | python3 -c '
import json,sys
items=json.load(sys.stdin)["discrepancies"]
print(next((i["id"] for i in items if i.get("state")=="open"), ""))')
[ -n "$item" ] && pd reconcile resolve "$item" --note "fixture: checked with the bank" >/dev/null
kill -INT "$demo"; wait "$demo" 2>/dev/null || true; demo=""

echo "migration $latest: $("$tool" freeze "$home/paydesk.db" "$latest")"
