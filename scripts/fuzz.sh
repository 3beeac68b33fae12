#!/usr/bin/env bash
# make fuzz: runs every fuzz target in fuzz/fuzz_targets for FUZZ_SECONDS seconds each (default 60)
# with libFuzzer (cargo-fuzz, installed here if missing). Not part of `make test`.
#
#   FUZZ_SECONDS=300 make fuzz                      # longer
#   FUZZ_TARGETS="callback_template xml" make fuzz  # some targets only
#
# Seeds are committed in fuzz/seeds/<target>; what the fuzzer finds new goes to a working corpus
# outside the repository ($FUZZ_WORK, default under the cargo target dir), crashes to
# $FUZZ_WORK/artifacts/<target>/. A crash found becomes a regression test in the normal suite
# (docs/security.md, "Fuzzing"). Exits non-zero if any target crashed.
set -uo pipefail
cd "$(dirname "$0")/.."

seconds=${FUZZ_SECONDS:-60}
targets=${FUZZ_TARGETS:-$(ls fuzz/fuzz_targets | sed 's/\.rs$//')}
work=${FUZZ_WORK:-$HOME/.cache/paydesk/fuzz-work}

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "installing cargo-fuzz (crates.io)…"
    cargo install cargo-fuzz --locked || exit 1
fi
# The instrumented build shares nothing with the product's, so it has a build directory of its own
# (no waiting on the shared one's lock) and a target directory of its own.
export CARGO_BUILD_BUILD_DIR=${FUZZ_BUILD_DIR:-$HOME/.cache/paydesk/fuzz-build}
export CARGO_TARGET_DIR=${FUZZ_TARGET_DIR:-$HOME/.cache/paydesk/fuzz-target}
# Fuzz exactly the dependency versions that ship: the fuzz workspace starts from the product's lock
# (cargo then adds libfuzzer-sys to it).
cp Cargo.lock fuzz/Cargo.lock
# cargo-fuzz passes nightly -Z flags (sanitizer coverage); this machine has the stable toolchain,
# which accepts them when told it is bootstrapping.
export RUSTC_BOOTSTRAP=1
# Safe Rust needs no AddressSanitizer to find panics, overflows, hangs and runaway memory.
sanitizer=${FUZZ_SANITIZER:-none}

echo "── building the fuzz targets"
if ! cargo fuzz build --fuzz-dir fuzz --sanitizer "$sanitizer"; then
    echo "fuzz: the targets do not build"
    exit 1
fi

failed=()
for t in $targets; do
    mkdir -p "$work/corpus/$t" "$work/artifacts/$t"
    echo "── fuzz $t for ${seconds}s"
    if ! cargo fuzz run --fuzz-dir fuzz --sanitizer "$sanitizer" "$t" "$work/corpus/$t" "fuzz/seeds/$t" -- \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=262144 \
        -artifact_prefix="$work/artifacts/$t/" -print_final_stats=1; then
        failed+=("$t")
    fi
done
if [ ${#failed[@]} -gt 0 ]; then
    echo "fuzz: crashes in: ${failed[*]} (inputs in $work/artifacts/)"
    exit 1
fi
echo "fuzz: $(echo $targets | wc -w) targets ran ${seconds}s each without a crash"
