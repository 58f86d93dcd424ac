#!/usr/bin/env bash
# Session bench (issue 13): wall time, time to first frame and peak RSS of
# `rdp-probe HOST:PORT --json --session --screenshot FILE` (release build) against xrdp
# rdp (high) / tls / negotiate and FreeRDP shadow /sec:tls -auth started by the tests harness,
# and a replay server claiming a 3840x2160 desktop and painting all of it. Min/median of 5 runs
# per target after one warm-up; writes benches/results/session-<date>.md.
#
#   benches/session.sh                      # all targets, 5 runs
#   benches/session.sh --runs 3 --only xrdp
#   benches/session.sh --out - -- --quick   # no results file; extra rdp-probe arguments
#
# The bench binary is a debug build (it starts servers and runs the probe as a child).
# Needs: xrdp, freerdp2-shadow-x11, xvfb, x11-xserver-utils, winpr-utils, openssl, time.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q -p rdp-probe-cli
cargo build -q -p rdp-probe-benches --bin session
exec target/debug/session --probe "$PWD/target/release/rdp-probe" "$@"
