#!/usr/bin/env bash
# Latency bench: a full default probe (`rdp-probe HOST:PORT --json`, release build) through a
# user-space delay proxy (emulated RTT, default 50 ms; this kernel has no netem) in front of
# real servers started by the tests harness: xrdp negotiate/tls/rdp, FreeRDP shadow /sec:nla
# and +sec-nla. Prints per target the wall time in RTTs (min/median of 3 runs), the TCP
# connections opened, and the loopback (no proxy) wall time; writes
# benches/results/latency-<date>.md.
#
#   benches/latency.sh                       # 50 ms RTT, 3 runs
#   benches/latency.sh --rtt-ms 100 --runs 5 --only xrdp
#   benches/latency.sh --out - -- --no-nla   # no results file; extra rdp-probe arguments
#
# The bench binary itself is a debug build (it only sleeps and copies a few KiB; a release
# build would compile the harness and tokio a second time with other features).
# Needs: xrdp, freerdp2-shadow-x11, xvfb, winpr-utils, openssl (as the integration tests).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q -p rdp-probe-cli
cargo build -q -p rdp-probe-benches --bin latency
exec target/debug/latency --probe "$PWD/target/release/rdp-probe" "$@"
