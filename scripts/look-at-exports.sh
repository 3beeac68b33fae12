#!/usr/bin/env bash
# Renders the reconciliation exports of a demo day the way a person sees them: runs a demo home,
# reconciles yesterday's sandbox day, exports XLSX, CSV (UTF-8 BOM, GBK) and TXT, converts each
# (XLSX, CSV) with LibreOffice headless to PDF and then to PNG pages (pdftoppm) in OUT (default
# /tmp/paydesk-exports). Open the PNGs and look. Ports 18528/18529 unless DEMO_PORT_BASE says.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-/tmp/paydesk-exports}
base=${DEMO_PORT_BASE:-18528}
bin=${CARGO_TARGET_DIR:-target}/debug/paydesk
command -v soffice >/dev/null && command -v pdftoppm >/dev/null || scripts/deps-apt.sh exports
[ -x "$bin" ] || cargo build -q -p paydesk
home=$(mktemp -d)
"$bin" --home "$home" demo --listen "127.0.0.1:$base" --sim-listen "127.0.0.1:$((base + 1))" >/dev/null 2>&1 &
demo=$!
trap 'kill $demo 2>/dev/null || true; rm -rf "$home"' EXIT
for _ in $(seq 50); do [ -f "$home/paydesk.db" ] && "$bin" --home "$home" accounts list >/dev/null 2>&1 && break; sleep 0.2; done
sleep 1
rm -rf "$out" && mkdir -p "$out"
"$bin" --home "$home" reconcile --account sandbox-main --out "$out" --export xlsx --export csv_bom --export csv_gbk --export txt || true
cd "$out"
for f in *.xlsx *.csv; do   # the TXT is plain text: read it as it is (calc-nogui cannot print text files)
  dir="pdf-${f##*.}"   # one folder per kind: the XLSX and the TXT share a stem
  # LibreOffice's CSV import options: separator 44 (,), quote 34 ("), character set 56 (GBK).
  if [[ $f == *-gbk.csv ]]; then soffice --headless --infilter="CSV:44,34,56" --convert-to pdf --outdir "$dir" "$f" >/dev/null 2>&1
  else soffice --headless --convert-to pdf --outdir "$dir" "$f" >/dev/null 2>&1; fi
done
for p in pdf-*/*.pdf; do pdftoppm -r 70 -png "$p" "${p%.pdf}"; done
ls "$out"/pdf-*/*.png
