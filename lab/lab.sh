#!/usr/bin/env bash
# One-command local lab: real RDP servers on fixed loopback ports to point rdp-probe at.
#
#   lab/lab.sh up       start (idempotent: running services are left alone)
#   lab/lab.sh down     stop everything the lab started
#   lab/lab.sh status   show what runs
#
# Services (all on 127.0.0.1):
#   13389  xrdp, security_layer=negotiate, crypt_level=high
#   13390  xrdp, security_layer=rdp, crypt_level=high
#   13391  xrdp, security_layer=tls
#   13392  FreeRDP shadow server, /sec:nla, user LAB\lab password labpass, host name RDPLAB
#   13393  FreeRDP shadow server, /sec:tls
#   13394  xrdp, security_layer=tls with a key that does not match its certificate (broken on purpose:
#          selects TLS, then drops every handshake; rdp-probe says UNUSABLE at tls)
#   13395  FreeRDP shadow server, /sec:ext (broken on purpose: refuses every request)
# State (configs, certificate, logs, pids) lives in lab/run/ (git-ignored).
# Needs: xrdp freerdp2-shadow-x11 xvfb winpr-utils openssl (see .ci/run); root for the
# host name of 13392 (unshare -u), otherwise it keeps the machine's name.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
run="$here/run"
bind=127.0.0.1
services=(xrdp-negotiate xrdp-rdp xrdp-tls shadow-nla shadow-tls xrdp-badkey shadow-ext xvfb)

port_of() {
  case "$1" in
    xrdp-negotiate) echo 13389 ;; xrdp-rdp) echo 13390 ;; xrdp-tls) echo 13391 ;;
    shadow-nla) echo 13392 ;; shadow-tls) echo 13393 ;;
    xrdp-badkey) echo 13394 ;; shadow-ext) echo 13395 ;; *) echo "" ;;
  esac
}

alive() { # service
  local pf="$run/$1.pid"
  [[ -s "$pf" ]] && kill -0 "$(cat "$pf")" 2>/dev/null
}

accepts() { # port
  (exec 3<>"/dev/tcp/$bind/$1") 2>/dev/null
}

wait_port() { # service port seconds
  local i
  for ((i = 0; i < $3 * 10; i++)); do
    if accepts "$2"; then return 0; fi
    if ! alive "$1"; then break; fi
    sleep 0.1
  done
  echo "lab: $1 did not start on $bind:$2; log:" >&2
  tail -n 20 "$run/$1.log" "$run/$1.out" 2>/dev/null >&2 || true
  return 1
}

start_bg() { # service command... (own process group, so `down` can kill the whole group)
  # Not setsid: Xvfb started in a new session refuses the shadow server's connection.
  local svc="$1"; shift
  set -m
  nohup "$@" </dev/null >"$run/$svc.out" 2>&1 &
  echo $! >"$run/$svc.pid"
  set +m
}

need() {
  local t
  for t in "$@"; do
    command -v "$t" >/dev/null || { echo "lab: $t not found (install the packages listed in .ci/run)" >&2; exit 1; }
  done
}

make_cert() {
  # A second key that matches no certificate: the broken-on-purpose xrdp-badkey uses it.
  [[ -s "$run/other-key.pem" ]] || openssl genrsa -out "$run/other-key.pem" 2048 >/dev/null 2>&1
  [[ -s "$run/cert.pem" && -s "$run/key.pem" ]] && return 0
  openssl req -x509 -newkey rsa:2048 -nodes -days 825 -subj "/CN=rdp-lab.localhost" \
    -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
    -keyout "$run/key.pem" -out "$run/cert.pem" >/dev/null 2>&1
}

up_xrdp() { # service security_layer
  local svc="$1" port; port="$(port_of "$1")"
  if alive "$svc"; then echo "  $svc already running on $bind:$port"; return 0; fi
  if accepts "$port"; then echo "lab: $bind:$port is taken by something else" >&2; return 1; fi
  cat >"$run/$svc.ini" <<INI
[Globals]
ini_version=1
fork=true
port=tcp://$bind:$port
use_vsock=false
tcp_nodelay=true
tcp_keepalive=true
security_layer=$2
crypt_level=high
certificate=$run/cert.pem
key_file=${KEY_FILE:-$run/key.pem}
ssl_protocols=TLSv1.2, TLSv1.3
max_bpp=32

[Logging]
LogFile=$run/$svc.log
LogLevel=INFO
EnableSyslog=false
EnableConsole=false

[Channels]
rdpdr=true
rdpsnd=true
drdynvc=true
cliprdr=true
rail=true

# One session type for the login window (as the tests' fixture): without any, xrdp 0.9.21
# crashes right after drawing its login window, which `rdp-probe --session` would report.
[Xorg]
name=Xorg
lib=libxup.so
username=ask
password=ask
ip=127.0.0.1
port=-1
code=20
INI
  start_bg "$svc" xrdp --nodaemon --config "$run/$svc.ini"
  wait_port "$svc" "$port" 5
  echo "  started $svc on $bind:$port (security_layer=$2)"
}

xvfb_display() {
  if alive xvfb; then cat "$run/xvfb.display"; return 0; fi
  local n
  for n in $(seq 133 199); do
    [[ -e /tmp/.X$n-lock || -e /tmp/.X11-unix/X$n ]] && continue
    rm -f "$run/xvfb.ready"
    start_bg xvfb sh -c 'exec Xvfb ":$0" -displayfd 5 -ac -noreset -nolisten tcp -screen 0 1024x768x24 5>"$1"' \
      "$n" "$run/xvfb.ready"
    local i
    for ((i = 0; i < 100; i++)); do
      if [[ "$(cat "$run/xvfb.ready" 2>/dev/null)" == "$n" ]]; then
        echo ":$n" >"$run/xvfb.display"; echo ":$n"; return 0
      fi
      alive xvfb || break
      sleep 0.1
    done
  done
  echo "lab: could not start Xvfb" >&2
  return 1
}

up_shadow() { # service sec [hostname]
  local svc="$1" sec="$2" host="${3:-}" port; port="$(port_of "$1")"
  if alive "$svc"; then echo "  $svc already running on $bind:$port"; return 0; fi
  if accepts "$port"; then echo "lab: $bind:$port is taken by something else" >&2; return 1; fi
  local display; display="$(xvfb_display)"
  local xdg="$run/$svc.xdg"
  mkdir -p "$xdg/freerdp/shadow"
  cp "$run/cert.pem" "$xdg/freerdp/shadow/shadow.crt"
  cp "$run/key.pem" "$xdg/freerdp/shadow/shadow.key"
  winpr-hash -u lab -p labpass -d LAB -f sam >"$run/$svc.sam"
  local cmd=(freerdp-shadow-cli "/bind-address:$bind" "/port:$port" "/sec:$sec" "/sam-file:$run/$svc.sam")
  if [[ -n "$host" && "$(id -u)" == 0 ]]; then
    cmd=(unshare -u sh -c 'hostname "$0" && exec "$@"' "$host" "${cmd[@]}")
  elif [[ -n "$host" ]]; then
    echo "  (not root: $svc keeps this machine's host name instead of $host)"
  fi
  DISPLAY="$display" XDG_CONFIG_HOME="$xdg" start_bg "$svc" "${cmd[@]}"
  wait_port "$svc" "$port" 10
  echo "  started $svc on $bind:$port (/sec:$sec${host:+, host name $host}, user LAB\\lab password labpass)"
}

cmd_up() {
  need xrdp freerdp-shadow-cli Xvfb winpr-hash openssl
  mkdir -p "$run"
  make_cert
  echo "lab: state in $run"
  up_xrdp xrdp-negotiate negotiate
  up_xrdp xrdp-rdp rdp
  up_xrdp xrdp-tls tls
  up_shadow shadow-nla nla RDPLAB
  up_shadow shadow-tls tls
  KEY_FILE="$run/other-key.pem" up_xrdp xrdp-badkey tls
  up_shadow shadow-ext ext
  echo
  echo "Try:  rdp-probe $bind:13389 $bind:13390 $bind:13391 $bind:13392 $bind:13393"
  echo "      rdp-probe $bind:13394 $bind:13395   (broken on purpose: what an unusable listener looks like)"
  echo "      (from the repo: cargo run -p rdp-probe-cli -- $bind:13389)"
  echo "Stop: lab/lab.sh down"
}

cmd_down() {
  local svc pid
  for svc in "${services[@]}"; do
    if alive "$svc"; then
      pid="$(cat "$run/$svc.pid")"
      kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
      for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -KILL -- "-$pid" 2>/dev/null || true
      echo "  stopped $svc"
    fi
    rm -f "$run/$svc.pid"
  done
  rm -f "$run/xvfb.display" "$run/xvfb.ready"
}

cmd_status() {
  local svc port state
  for svc in "${services[@]}"; do
    port="$(port_of "$svc")"
    if alive "$svc"; then state="running (pid $(cat "$run/$svc.pid"))"; else state="stopped"; fi
    if [[ -n "$port" ]]; then
      if accepts "$port"; then state="$state, $bind:$port accepts"; else state="$state, $bind:$port closed"; fi
    fi
    printf '  %-15s %s\n' "$svc" "$state"
  done
}

case "${1:-}" in
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  *) echo "usage: $0 up|down|status" >&2; exit 2 ;;
esac
