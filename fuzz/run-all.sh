#!/usr/bin/env bash
# Builds every cargo-fuzz target and runs each for SECONDS (default 30), seeded from
# fuzz/corpus-seed/<target>/. Exits non-zero if any target crashed, leaked or timed out; the
# input that did is in fuzz/artifacts/<target>/ — copy it to tests/fuzz-regressions/<target>/
# so plain `cargo test` replays it.
#
#   fuzz/run-all.sh 30            # CI: 30 s per target
#   fuzz/run-all.sh 600 tpkt      # ten minutes on one target
#   JOBS=2 fuzz/run-all.sh 3600   # an hour each, two libFuzzer workers per target
#
# Needs cargo-fuzz (installed here when missing) and nightly features: the nightly toolchain
# when rustup has one, else the stable toolchain with RUSTC_BOOTSTRAP=1.
set -euo pipefail

secs="${1:-30}"
shift || true
cd "$(dirname "$0")"

if ! cargo fuzz --version >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked
fi

tc=()
if command -v rustup >/dev/null && rustup toolchain list | grep -q '^nightly'; then
    tc=(+nightly)
else
    export RUSTC_BOOTSTRAP=1
fi
cargo "${tc[@]}" fuzz build
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    mapfile -t targets < <(cargo "${tc[@]}" fuzz list)
fi

logs=artifacts/logs
mkdir -p "$logs"
failed=()
for t in "${targets[@]}"; do
    mkdir -p "corpus/$t" "corpus-seed/$t"
    log="$logs/$t.log"
    echo "== $t: ${secs}s"
    if cargo "${tc[@]}" fuzz run "$t" "corpus/$t" "corpus-seed/$t" -- \
        -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        ${JOBS:+-jobs=$JOBS -workers=$JOBS} >"$log" 2>&1; then
        runs=$(grep -Eo 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -Eo '[0-9]+$' | tail -1 || true)
        echo "   ok: ${runs:-?} executions, corpus $(ls "corpus/$t" | wc -l) files"
    else
        echo "   FAILED (log: fuzz/$log)"
        grep -E 'ERROR|panicked|Test unit written' "$log" | head -5 || true
        failed+=("$t")
    fi
done

if [ ${#failed[@]} -gt 0 ]; then
    echo "crashed: ${failed[*]} — inputs in fuzz/artifacts/<target>/; add them to tests/fuzz-regressions/<target>/"
    exit 1
fi
echo "all ${#targets[@]} targets ran ${secs}s without a crash"
