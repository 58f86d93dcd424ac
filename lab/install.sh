#!/usr/bin/env bash
# Install step for a fresh Debian 12 machine (as root, or with sudo): the Debian packages the lab
# and the tests need, Rust when missing, then a release build of rdp-probe.
#   bash lab/install.sh              packages + Rust + cargo build --release
#   bash lab/install.sh --deps-only  packages + Rust (what .ci/run uses)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# Servers and peers the lab and the integration tests start (tests/src/):
#   xrdp                    xrdp servers (rdp / tls / negotiate)
#   freerdp2-shadow-x11     FreeRDP shadow server (NLA / TLS / RDP)
#   xvfb                    the display the shadow server shares
#   winpr-utils             winpr-hash: SAM file for the shadow server's NLA users
#   openssl                 test certificates
#   nmap                    rdp-enum-encryption / rdp-ntlm-info cross-checks
#   sslscan, freerdp2-x11   TLS and NLA cross-checks (sslscan --rdp, xfreerdp /auth-only)
#   faketime                a shadow server with a skewed clock (finding clock-skew)
#   prometheus              prometheus + promtool: the exporter tests (rdp-probe serve) scrape with it
#   man-db, groff-base      man -l / man -w: the manual page tests and the .deb check
#   bash-completion         the .deb check loads the installed completion; util-linux: script (colour test)
#   gnome-remote-desktop, mutter, pipewire, wireplumber, dbus-daemon, iproute2
#                           GNOME Remote Desktop headless in its own network namespace (tests/it/gnome.rs;
#                           about 106 packages, 30 s more on a Debian 12 mirror; the test skips without them)
# Build: gcc, g++ (ring, libFuzzer), libc6-dev; curl + ca-certificates for rustup.
# util-linux (unshare, mount) is essential in Debian.
PACKAGES=(xrdp freerdp2-shadow-x11 xvfb x11-xserver-utils winpr-utils openssl nmap sslscan freerdp2-x11 faketime
  prometheus man-db groff-base bash-completion util-linux gnome-remote-desktop mutter pipewire wireplumber dbus-daemon
  iproute2 gcc g++ libc6-dev curl ca-certificates)

sudo=()
if [[ $(id -u) != 0 ]]; then
  command -v sudo >/dev/null || { echo "install.sh: run as root (or install sudo)" >&2; exit 1; }
  sudo=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive

# Keep package scripts from starting a system xrdp on 0.0.0.0:3389 (and xrdp-sesman).
created_policy=0
if [[ ! -e /usr/sbin/policy-rc.d ]]; then
  printf '#!/bin/sh\nexit 101\n' | "${sudo[@]}" tee /usr/sbin/policy-rc.d >/dev/null
  "${sudo[@]}" chmod 755 /usr/sbin/policy-rc.d
  created_policy=1
fi
remove_policy() { if ((created_policy)); then "${sudo[@]}" rm -f /usr/sbin/policy-rc.d; fi; }
trap remove_policy EXIT
"${sudo[@]}" apt-get update -q
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${PACKAGES[@]}"
remove_policy
trap - EXIT
# If an init system started one anyway: nothing here needs a system xrdp.
if command -v systemctl >/dev/null && systemctl is-active -q xrdp 2>/dev/null; then
  "${sudo[@]}" systemctl stop xrdp xrdp-sesman || true
fi
# xrdp's Standard RDP Security key (made by the package's postinst; make it if missing).
[[ -s /etc/xrdp/rsakeys.ini ]] || "${sudo[@]}" xrdp-keygen xrdp /etc/xrdp/rsakeys.ini 2048

if ! command -v cargo >/dev/null && [[ -f "$HOME/.cargo/env" ]]; then
  # shellcheck disable=SC1091
  . "$HOME/.cargo/env"
fi
if ! command -v cargo >/dev/null; then
  curl -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal --default-toolchain stable
  # shellcheck disable=SC1091
  . "$HOME/.cargo/env"
fi

if [[ "${1:-}" != --deps-only ]]; then
  cargo build --release -p rdp-probe-cli
  echo "built target/release/rdp-probe; try: lab/lab.sh up"
fi
