#!/usr/bin/env bash
# The fixture books of tests/fixtures/books/ (vN.db + vN.json, one per schema version; see
# docs/backup.md "Upgrades keep the book").
#
#   scripts/make-book-fixture.sh            after adding a migration: writes every fixture this
#                                           tree lacks — the current version's through product
#                                           paths (below), a missing older one projected from the
#                                           next fixture after it — and checks them all
#   scripts/make-book-fixture.sh --status   per version: ok, missing, or wrong (a fixture written
#                                           for another migration N, e.g. after a merge renumbered)
#   scripts/make-book-fixture.sh --project N [--from M]
#                                           (re)writes vN as vM's rows (default: the next fixture
#                                           after N) in a book of the first N migrations
#   scripts/make-book-fixture.sh --facts    writes every vN.json again from its vN.db (after
#                                           extending book_facts in tests/fixtures/mod.rs)
#
# Product paths: a `paydesk demo` home (simulated gateways, two days of sales history, yesterday's
# reconciliation day with planted differences); the shop's people set up through core's auth
# functions as the app's first start and Users screen do (the CLI has no users command); then
# through the `paydesk` CLI: API keys (one revoked), a paid and partly refunded QR order, a closed
# one, a paid and a refused barcode payment, one revoked the same day, yesterday's reconciliation and one discrepancy
# resolved. A migration that adds data of its own should add the CLI steps that write it below.
#
# Existing fixtures are never rewritten by the first form: a fixture is the record of what a book
# of that version held. tests/upgrade.rs fails while a version has no fixture, or a wrong one.
set -euo pipefail
cd "$(dirname "$0")/.."
target=${CARGO_TARGET_DIR:-target}
books=tests/fixtures/books
cargo build -q --locked -p paydesk
cargo build -q --locked -p paydesk-e2e --example book-fixture
bin="$target/debug/paydesk"
tool="$target/debug/examples/book-fixture"
latest=$("$tool" version)

# The nearest fixture after version $1, or nothing.
next_fixture() {
  local v
  for ((v = $1 + 1; v <= latest; v++)); do
    [ -f "$books/v$v.db" ] && { echo "$v"; return; }
  done
}

case "${1:-}" in
  --status) exec "$tool" status ;;
  --facts)
    for ((v = 1; v <= latest; v++)); do [ -f "$books/v$v.db" ] && "$tool" facts "$v"; done
    exit 0 ;;
  --project)
    n=${2:?--project needs a version}
    from=$([ "${3:-}" = --from ] && echo "${4:?--from needs a version}" || next_fixture "$n")
    [ -n "$from" ] || { echo "no fixture after v$n to project from" >&2; exit 1; }
    exec "$tool" project "$books/v$from.db" "$n" ;;
  "") ;;
  *) sed -n '2,25p' "$0" >&2; exit 2 ;;
esac

wrong=$("$tool" status | grep ' wrong' || true)
if [ -n "$wrong" ]; then
  echo "fixtures that do not fit this tree's migrations:" >&2
  echo "$wrong" >&2
  echo "After a merge that renumbered your migration: keep main's fixture of that number (git checkout main -- $books/vN.db $books/vN.json) and run this again; otherwise remove the wrong one first." >&2
  exit 1
fi

write_latest() {
  local home p1 p2 p3 no item   # work, demo: global, for the EXIT trap
  work=$(mktemp -d)
  home="$work/home"
  demo=""
  trap '[ -n "$demo" ] && kill "$demo" 2>/dev/null; rm -rf "$work"' EXIT
  read -r p1 p2 p3 < <(python3 -c 'import socket
s=[socket.socket() for _ in range(3)]
[x.bind(("127.0.0.1",0)) for x in s]
print(*[x.getsockname()[1] for x in s])')
  "$bin" --home "$home" demo --listen "127.0.0.1:$p1" --callback-listen "127.0.0.1:$p3" --sim-listen "127.0.0.1:$p2" --history-days 2 >"$work/demo.log" 2>&1 &
  demo=$!
  for _ in $(seq 150); do grep -q "Ctrl-C" "$work/demo.log" && break; sleep 0.2; done
  grep -q "Ctrl-C" "$work/demo.log" || { cat "$work/demo.log"; echo "demo did not start" >&2; exit 1; }
  pd() { "$bin" --home "$home" --json "$@"; }
  json() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }
  local sim="http://127.0.0.1:$p2"

  # The shop's people, as the app's first start and its Users screen set them up.
  "$tool" users "$home/paydesk.db"
  # The local API's keys: the shop's POS, and an old kiosk's key, revoked.
  pd apikey create --name POS >/dev/null
  pd apikey revoke "$(pd apikey create --name old-kiosk --scopes payments:read | json '["key"]["id"]')" >/dev/null
  # A QR payment the customer pays, partly refunded.
  no=$(pd pay --amount 88.80 --method sandbox | json '["order_no"]')
  "$bin" sim scan "$no" --action pay --url "$sim" >/dev/null
  pd query "$no" >/dev/null
  pd refund "$no" --amount 8.80 >/dev/null
  # A QR order nobody pays, closed.
  no=$(pd pay --amount 12.00 --method sandbox | json '["order_no"]')
  pd close "$no" >/dev/null || [ $? = 3 ]   # 3: closed, not paid
  # Barcode payments: one paid, one refused by the payer.
  pd pay --amount 5.00 --auth-code 990000000000000001 >/dev/null
  pd pay --amount 7.00 --auth-code 990000000000000007 >/dev/null || [ $? = 3 ]   # refused by the payer
  # The owner's same-day revoke (17): a barcode payment revoked, a refund of kind `revoke`.
  no=$(pd pay --amount 9.90 --auth-code 990000000000000001 | json '["order_no"]')
  pd revoke "$no" --reason "fixture: 顾客取消" >/dev/null
  # Yesterday's reconciliation (planted differences), one of them resolved.
  pd reconcile --account sandbox-main >/dev/null || [ $? = 6 ]   # 6: open discrepancies
  item=$( (pd reconcile --account sandbox-main --show || true) | python3 -c '
import json,sys
items=json.load(sys.stdin)["discrepancies"]
print(next((i["id"] for i in items if i.get("state")=="open"), ""))')
  [ -n "$item" ] && pd reconcile resolve "$item" --note "fixture: checked with the bank" >/dev/null
  # The bank leg (16): a bank statement imported (an ICBC export, GBK), its lines stored once.
  pd bank import "$PWD/assets/demo/bank/icbc-demo.csv" --preset icbc >/dev/null || [ $? = 6 ]   # 6: differences open
  kill -INT "$demo"; wait "$demo" 2>/dev/null || true; demo=""

  echo "migration $latest: $("$tool" freeze "$home/paydesk.db" "$latest")"
  rm -rf "$work"; trap - EXIT
}

[ -f "$books/v$latest.db" ] || write_latest
for ((v = latest - 1; v >= 1; v--)); do
  [ -f "$books/v$v.db" ] || echo "migration $v: $("$tool" project "$books/v$(next_fixture "$v").db" "$v") (projected)"
done
"$tool" status
! "$tool" status | grep -qv ' ok$'
