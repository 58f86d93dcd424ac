#!/usr/bin/env bash
# Build the Debian package of rdp-probe with cargo-deb, install it, probe a throwaway xrdp on
# 127.0.0.1 with the installed /usr/bin/rdp-probe, check the manual page and the completions are
# where man and the shells look, then remove the package. As root on Debian 12 with the lab
# packages (lab/install.sh --deps-only); .ci/run runs it as its packaging stage.
#
#   packaging/check-deb.sh           everything above (installs cargo-deb when missing)
#   packaging/check-deb.sh --build   only build target/debian/rdp-probe_*.deb (no root needed)
#
# The package holds /usr/bin/rdp-probe (stripped), the manual page, bash/zsh/fish completions,
# README and the licence texts; its dependencies come from dpkg-shlibdeps ($auto: libc).
set -euo pipefail
exec </dev/null
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if ! command -v cargo >/dev/null && [[ -f "$HOME/.cargo/env" ]]; then
  # shellcheck disable=SC1091
  . "$HOME/.cargo/env"
fi
t0=$(date +%s)
step_start=$t0
step() {
  local now; now=$(date +%s)
  echo "--- check-deb: +$((now - t0))s (previous step $((now - step_start))s) -- $*"
  step_start=$now
}
fail() { echo "check-deb: FAIL: $*" >&2; exit 1; }

build_only=0
[[ "${1:-}" == --build ]] && build_only=1

if ((!build_only)); then
  [[ $(id -u) == 0 ]] || fail "run as root (dpkg -i), or use --build"
  # Never replace an rdp-probe someone installed: the check removes the package at the end.
  status=$(dpkg-query -W -f '${Status}' rdp-probe 2>/dev/null || true)
  if [[ -e /usr/bin/rdp-probe || "$status" == *" installed" ]]; then
    fail "/usr/bin/rdp-probe or the rdp-probe package is already installed; remove it first (dpkg -r rdp-probe)"
  fi
fi

if ! cargo deb --version >/dev/null 2>&1; then
  step "cargo install cargo-deb --locked"
  cargo install cargo-deb --locked
fi

# Profile `deb` (workspace Cargo.toml): release without debug info, in target/deb/.
step "cargo build --profile deb -p rdp-probe-cli"
cargo build --profile deb -p rdp-probe-cli
target_dir=$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
[[ -n "$target_dir" ]] || fail "no target_directory in cargo metadata"
bin="$target_dir/deb/rdp-probe"

# cargo-deb assets must be files: generate them with the binary just built (the
# [package.metadata.deb] assets in rdp-probe-cli/Cargo.toml name these paths).
step "generate the manual page and completions into $target_dir/deb/packaging/"
assets="$target_dir/deb/packaging"
rm -rf "$assets" && mkdir -p "$assets"
"$bin" manpage | gzip -9n >"$assets/rdp-probe.1.gz"
"$bin" completions bash >"$assets/rdp-probe.bash"
"$bin" completions zsh >"$assets/_rdp-probe"
"$bin" completions fish >"$assets/rdp-probe.fish"
for f in rdp-probe.1.gz rdp-probe.bash _rdp-probe rdp-probe.fish; do
  [[ -s "$assets/$f" ]] || fail "$assets/$f is empty"
done

step "cargo deb -p rdp-probe-cli --no-build --strip"
rm -f "$target_dir"/debian/rdp-probe_*.deb
cargo deb -p rdp-probe-cli --no-build --strip
debs=("$target_dir"/debian/rdp-probe_*.deb)
[[ ${#debs[@]} == 1 && -s "${debs[0]}" ]] || fail "expected one target/debian/rdp-probe_*.deb, got: ${debs[*]}"
deb="${debs[0]}"
ls -l "$deb"
dpkg-deb --info "$deb" | sed -n '/Package:/,$p'
dpkg-deb --contents "$deb"
depends=$(dpkg-deb --field "$deb" Depends)
[[ "$depends" == *libc6* ]] || fail "Depends does not name libc6: $depends"
if ((build_only)); then
  step "done (--build): $deb"
  exit 0
fi

# From here on: undo what we did, whatever happens.
xrdp_pid=""
tmp=$(mktemp -d /tmp/rdp-probe-check-deb.XXXXXX)
installed=0
cleanup() {
  local rc=$?
  if [[ -n "$xrdp_pid" ]]; then kill -- "-$xrdp_pid" 2>/dev/null || true; fi
  if ((installed)); then dpkg -r rdp-probe >/dev/null 2>&1 || true; fi
  rm -rf "$tmp"
  exit "$rc"
}
trap cleanup EXIT

step "dpkg -i $(basename "$deb")"
installed=1
dpkg -i "$deb"
[[ -x /usr/bin/rdp-probe ]] || fail "/usr/bin/rdp-probe not installed"
/usr/bin/rdp-probe --version

step "man page and completions of the installed package"
man_path=$(man -w rdp-probe) || fail "man -w rdp-probe finds no page"
echo "man -w rdp-probe: $man_path"
[[ "$man_path" == /usr/share/man/man1/rdp-probe.1.gz ]] || fail "man page found at $man_path, not in the package's place"
zcat "$man_path" | grep -q '^\.TH rdp-probe 1' || fail "$man_path is not the rdp-probe manual page"
for f in /usr/share/bash-completion/completions/rdp-probe /usr/share/zsh/vendor-completions/_rdp-probe \
  /usr/share/fish/vendor_completions.d/rdp-probe.fish /usr/share/doc/rdp-probe/README.md \
  /usr/share/doc/rdp-probe/copyright; do
  [[ -s "$f" ]] || fail "$f missing or empty"
  echo "present: $f"
done
# bash loads it on demand by command name; sourcing it must register the completion.
bash -c '. /usr/share/bash-completion/completions/rdp-probe && complete -p rdp-probe' ||
  fail "the bash completion does not register for rdp-probe"

# One xrdp on 127.0.0.1 with a throwaway config (like lab/lab.sh), on a free port outside the
# ranges the tests (14000-19999, 30000-32699) and the lab (13389-13395) use.
step "start a throwaway xrdp on 127.0.0.1"
command -v xrdp >/dev/null || fail "xrdp not installed (lab/install.sh --deps-only)"
accepts() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
port=""
for _ in $(seq 1 50); do
  p=$((20000 + RANDOM % 10000))
  if ! accepts "$p"; then port=$p; break; fi
done
[[ -n "$port" ]] || fail "no free port in 20000-29999"
openssl req -x509 -newkey rsa:2048 -nodes -days 400 -subj "/CN=rdp-probe-check-deb.localhost" \
  -addext "subjectAltName=IP:127.0.0.1" -keyout "$tmp/key.pem" -out "$tmp/cert.pem" >/dev/null 2>&1
cat >"$tmp/xrdp.ini" <<INI
[Globals]
ini_version=1
fork=true
port=tcp://127.0.0.1:$port
use_vsock=false
security_layer=negotiate
crypt_level=high
certificate=$tmp/cert.pem
key_file=$tmp/key.pem
ssl_protocols=TLSv1.2, TLSv1.3

[Logging]
LogFile=$tmp/xrdp.log
LogLevel=INFO
EnableSyslog=false
EnableConsole=false
INI
set -m # own process group: cleanup kills xrdp and the children it forks per connection
xrdp --nodaemon --config "$tmp/xrdp.ini" >"$tmp/xrdp.out" 2>&1 &
xrdp_pid=$!
set +m
for _ in $(seq 1 50); do
  accepts "$port" && break
  kill -0 "$xrdp_pid" 2>/dev/null || break
  sleep 0.1
done
accepts "$port" || { tail -n 20 "$tmp/xrdp.log" "$tmp/xrdp.out" >&2 || true; fail "xrdp did not start on 127.0.0.1:$port"; }
echo "xrdp (pid $xrdp_pid) on 127.0.0.1:$port"

step "/usr/bin/rdp-probe 127.0.0.1:$port"
rc=0
/usr/bin/rdp-probe --color never "127.0.0.1:$port" || rc=$?
# self-signed certificate and no NLA: usable with warnings (exit 1); 0 would do too.
((rc == 0 || rc == 1)) || fail "rdp-probe exited $rc against xrdp (want 0 or 1)"
json=$(/usr/bin/rdp-probe --json --quick "127.0.0.1:$port") || true
echo "$json" | grep -q '"status":"rdp"' || fail "--json --quick: status is not rdp: $json"
echo "$json" | grep -q '"security_layer":"negotiate"' || fail "--json --quick: security layer is not negotiate: $json"

step "dpkg -r rdp-probe"
kill -- "-$xrdp_pid" 2>/dev/null || true
xrdp_pid=""
dpkg -r rdp-probe
installed=0
[[ ! -e /usr/bin/rdp-probe ]] || fail "/usr/bin/rdp-probe still there after dpkg -r"
[[ ! -e /usr/share/man/man1/rdp-probe.1.gz ]] || fail "man page still there after dpkg -r"

step "ok: $(basename "$deb") built, installed, probed 127.0.0.1:$port, removed"
