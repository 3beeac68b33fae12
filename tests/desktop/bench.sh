#!/usr/bin/env bash
# Desktop bench (for `make bench`): builds the bare-window baseline, then measures startup and
# idle PSS of both and the memory growth after 1,000 demo payments, under Xvfb.
#   tests/desktop/bench.sh [--payments N] [--json FILE]
# Uses the debug profile like the tests (deps at opt-level 2); PROFILE=release for release builds.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
target=${CARGO_TARGET_DIR:-$root/target}
profile=${PROFILE:-debug}
flag=(); [ "$profile" = release ] && flag=(--release)
for tool in xvfb-run xdotool python3; do command -v "$tool" >/dev/null || { echo "bench.sh: $tool is missing" >&2; exit 1; }; done
(cd "$root" && cargo build -q "${flag[@]}" -p paydesk-app --bin paydesk-app --example bare)
export PAYDESK_ASSETS=${PAYDESK_ASSETS:-$root/assets}
export PAYDESK_MACHINE_KEY=${PAYDESK_MACHINE_KEY:-$(mktemp -d)/machine.key}
exec xvfb-run -a -s "-screen 0 1280x800x24" python3 "$here/bench.py" "$target/$profile/paydesk-app" "$target/$profile/examples/bare" "$@"
