#!/usr/bin/env bash
# Scan benchmark: rdp-probe vs nmap on the same local fleets, plus the big sweeps.
#
#   benches/scan-vs-nmap.sh            # full run (a few minutes)
#   SMALL=1 benches/scan-vs-nmap.sh    # CI smoke: tiny fleets, no /16 sweep
#
# Fleets (loopback only, port $PORT): xrdp instances on 127.2.0.1.. rotating security_layer
# rdp/negotiate/tls; a FreeRDP shadow NLA server on 127.2.1.1 (when freerdp-shadow-cli and Xvfb
# exist); silent listeners on 127.2.2.x (accept, never answer); closed ports on 127.2.3.x.
# Each run is timed with /usr/bin/time (wall seconds, peak RSS). nmap uses the equivalent scripts
# (rdp-enum-encryption, rdp-ntlm-info, ssl-cert) with a --datadir whose services file names
# $PORT ms-wbt-server. Results: benches/results/scan-vs-nmap-<date>.md (and printed).
set -euo pipefail
cd "$(dirname "$0")/.."
PORT=${PORT:-26389}
SMALL=${SMALL:-0}
N_XRDP=${N_XRDP:-$([ "$SMALL" = 1 ] && echo 3 || echo 24)}
N_SILENT=${N_SILENT:-$([ "$SMALL" = 1 ] && echo 2 || echo 16)}
N_CLOSED=${N_CLOSED:-$([ "$SMALL" = 1 ] && echo 2 || echo 64)}
TIMEOUT=${TIMEOUT:-2}
cargo build --release -q -p rdp-probe-cli -p rdp-probe-benches --bins 2>"${TMPDIR:-/tmp}/rdp-scan-bench-build.log"
BIN=$PWD/target/release/rdp-probe
SILENT=$PWD/target/release/silent-listeners
WORK=$(mktemp -d /tmp/rdp-scan-bench.XXXXXX)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT

# --- servers -----------------------------------------------------------------------------
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=bench.local \
  -keyout "$WORK/key.pem" -out "$WORK/cert.pem" 2>/dev/null
modes=(rdp negotiate tls)
XRDP_TARGETS=()
for i in $(seq 1 "$N_XRDP"); do
  d=$WORK/xrdp$i; mkdir -p "$d"; mode=${modes[$(( (i - 1) % 3 ))]}
  sed -e "s|^port=.*|port=tcp://127.2.0.$i:$PORT|" -e "s|^security_layer=.*|security_layer=$mode|" \
      -e "s|^certificate=.*|certificate=$WORK/cert.pem|" -e "s|^key_file=.*|key_file=$WORK/key.pem|" \
      -e "s|^LogFile=.*|LogFile=$d/xrdp.log|" -e "s|^EnableSyslog=.*|EnableSyslog=false|" \
      /etc/xrdp/xrdp.ini > "$d/xrdp.ini"
  xrdp --nodaemon --config "$d/xrdp.ini" >"$d/out" 2>&1 & PIDS+=($!)
  XRDP_TARGETS+=("127.2.0.$i")
done
FREERDP_TARGETS=()
if command -v freerdp-shadow-cli >/dev/null && command -v Xvfb >/dev/null && command -v winpr-hash >/dev/null; then
  Xvfb :389 -nolisten tcp >/dev/null 2>&1 & PIDS+=($!)
  mkdir -p "$WORK/fr/freerdp/shadow"
  cp "$WORK/cert.pem" "$WORK/fr/freerdp/shadow/shadow.crt"; cp "$WORK/key.pem" "$WORK/fr/freerdp/shadow/shadow.key"
  winpr-hash -u bench -p bench -d BENCH -f sam > "$WORK/sam"
  DISPLAY=:389 XDG_CONFIG_HOME=$WORK/fr freerdp-shadow-cli /bind-address:127.2.1.1 /port:$PORT /sec:nla \
    /sam-file:"$WORK/sam" >"$WORK/fr.out" 2>&1 & PIDS+=($!)
  FREERDP_TARGETS+=("127.2.1.1")
fi
"$SILENT" 127.2.2.1 "$N_SILENT" "$PORT" >"$WORK/silent.out" 2>&1 & PIDS+=($!)
SILENT_TARGETS=(); for i in $(seq 1 "$N_SILENT"); do SILENT_TARGETS+=("127.2.2.$i"); done
CLOSED_TARGETS=(); for i in $(seq 1 "$N_CLOSED"); do CLOSED_TARGETS+=("127.2.3.$i"); done
sleep 3

# nmap data dir: the services file names our port ms-wbt-server.
mkdir -p "$WORK/nmap"
{ grep -v "^ms-wbt-server" /usr/share/nmap/nmap-services; printf 'ms-wbt-server\t%s/tcp\t0.5\n' "$PORT"; } > "$WORK/nmap/nmap-services"

# --- measurement helpers -------------------------------------------------------------------
measure() { # name tool count cmd... ; prints "wall rss_kib"
  local name=$1 tool=$2 count=$3; shift 3
  /usr/bin/time -f "%e %M" -o "$WORK/time" "$@" >"$WORK/$name-$tool.out" 2>"$WORK/$name-$tool.err" || true
  read -r wall rss < <(tail -n 1 "$WORK/time")
  local rate; rate=$(awk -v n="$count" -v w="$wall" 'BEGIN { printf "%.1f", (w > 0 ? n / w : 0) }')
  echo "| $name | $tool | $count | $wall | $rate | $((rss / 1024)) |" >> "$WORK/results"
  echo "$name $tool: $count targets in ${wall}s ($rate/s), peak RSS $((rss / 1024)) MiB" >&2
  echo "$wall"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", (a > 0 ? b / a : 0) }'; }
NMAP=(nmap -n -Pn -sT -p "$PORT" --datadir "$WORK/nmap" -T4 --host-timeout 120s --script-timeout $((TIMEOUT * 5))s)
RATIOS=()
compare() { # name steps-flags scripts targets...
  local name=$1 flags=$2 scripts=$3; shift 3
  local n=$#
  local a b
  # shellcheck disable=SC2086
  a=$(measure "$name" rdp-probe "$n" "$BIN" $flags -p "$PORT" -t "$TIMEOUT" --json "$@")
  b=$(measure "$name" nmap "$n" "${NMAP[@]}" --script "$scripts" "$@")
  RATIOS+=("| $name | $(ratio "$a" "$b")x |")
}

compare "xrdp negotiation" "--quick" "rdp-enum-encryption" "${XRDP_TARGETS[@]}"
# The same information as nmap's rdp-enum-encryption (security protocols + encryption level and
# methods; ssl-cert cannot start TLS inside RDP and rdp-ntlm-info has nothing on xrdp): our
# negotiation plan + MCS with one Connect Initial per method, no TLS/NLA steps.
compare "xrdp enum-encryption equivalent" "--no-tls --no-nla" "rdp-enum-encryption" "${XRDP_TARGETS[@]}"
compare "xrdp full" "" "rdp-enum-encryption,rdp-ntlm-info,ssl-cert" "${XRDP_TARGETS[@]}"
if [ ${#FREERDP_TARGETS[@]} -gt 0 ]; then
  compare "freerdp nla full" "" "rdp-enum-encryption,rdp-ntlm-info,ssl-cert" "${FREERDP_TARGETS[@]}"
fi
MIXED=("${XRDP_TARGETS[@]}" "${FREERDP_TARGETS[@]}" "${SILENT_TARGETS[@]}" "${CLOSED_TARGETS[@]}")
compare "mixed full" "" "rdp-enum-encryption,rdp-ntlm-info,ssl-cert" "${MIXED[@]}"

SWEEP=""
if [ "$SMALL" != 1 ]; then
  # The /16: every address of 127.2.0.0/16 on $PORT, the fleets above among them.
  measure "slash16-sweep" rdp-probe 65536 "$BIN" --quick -p "$PORT" -t "$TIMEOUT" --csv 127.2.0.0/16 >/dev/null
  out="$WORK/slash16-sweep-rdp-probe.out"
  lines=$(($(wc -l < "$out") - 1)); uniq=$(tail -n +2 "$out" | cut -d, -f1 | sort -u | wc -l)
  rdp=$(tail -n +2 "$out" | cut -d, -f3 | grep -cx rdp || true)
  SWEEP="/16 sweep: $lines result lines, $uniq distinct targets, $rdp rdp (expected $(( N_XRDP + ${#FREERDP_TARGETS[@]} ))); $(tail -n +2 "$out" | cut -d, -f3 | sort | uniq -c | tr -s ' \n' ' ')"
  echo "$SWEEP" >&2
fi

# --- report --------------------------------------------------------------------------------
mkdir -p benches/results
F=benches/results/scan-vs-nmap-$(date +%Y%m%d-%H%M%S)$([ "$SMALL" = 1 ] && echo -small || true).md
{
  echo "# rdp-probe vs nmap, $(date -u +%FT%TZ)"
  echo
  echo "Machine: $(nproc) cores; $(uname -sr); $(nmap --version | head -1); xrdp fleet $N_XRDP (rdp/negotiate/tls), FreeRDP NLA ${#FREERDP_TARGETS[@]}, silent $N_SILENT, closed $N_CLOSED; timeout ${TIMEOUT}s."
  echo
  echo "| run | tool | targets | wall s | targets/s | peak RSS MiB |"
  echo "| --- | --- | --- | --- | --- | --- |"
  cat "$WORK/results"
  echo
  echo "| run | rdp-probe speed-up over nmap |"
  echo "| --- | --- |"
  printf '%s\n' "${RATIOS[@]}"
  [ -n "$SWEEP" ] && { echo; echo "$SWEEP"; }
} > "$F"
cat "$F"
