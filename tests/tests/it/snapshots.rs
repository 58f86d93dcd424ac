//! Snapshots (insta) of the human output of the CLI against fixed configurations, so wording
//! changes are reviewed: `cargo insta review`, or `INSTA_UPDATE=always cargo test` and read
//! the diff of tests/tests/it/snapshots/. Volatile parts are redacted: ports, timings, dates,
//! day counts, certificate thumbprints, the clock skew.

use rdp_probe_tests::*;
use std::net::SocketAddr;
use std::process::Command;

/// Runs the CLI with `args` and returns stdout with the exit code appended.
fn run(args: &[&str]) -> String {
    let o = Command::new(rdp_probe_bin()).args(args).output().unwrap();
    format!("{}[exit {}]\n", String::from_utf8_lossy(&o.stdout), o.status.code().unwrap_or(-1))
}

fn human(addr: SocketAddr, extra: &[&str]) -> String {
    let a = addr.to_string();
    run(&[extra, &[a.as_str()]].concat())
}

/// Asserts a snapshot with the volatile parts redacted.
macro_rules! snap {
    ($name:literal, $text:expr) => {
        insta::with_settings!({
            filters => vec![
                (r"(?m)^(\s+Timings\s+).*$", "${1}[timings]"),
                (r"127\.0\.0\.1:\d+", "127.0.0.1:[port]"),
                (r"\b\d+(\.\d+)? ms\b", "[t] ms"),
                (r"\b\d+(\.\d+)?s;", "[t]s;"),
                (r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z", "[date]"),
                (r"\b[0-9A-Fa-f]{40,}\b", "[hash]"),
                (r"\b\d+ days\b", "[n] days"),
                (r"[+-]\d+(\.\d+)? s\b", "[skew] s"),
            ],
            prepend_module_to_snapshot => false,
        }, {
            insta::assert_snapshot!($name, $text);
        });
    };
}

#[test]
fn human_output_snapshots() {
    // Standard RDP Security, encryption level Low.
    let x = xrdp(XrdpConfig { security_layer: "rdp".into(), crypt_level: "low".into(), ..Default::default() });
    snap!("xrdp_rdp_low", human(x.addr, &["-t", "2"]));
    drop(x);

    // Negotiate with a self-signed certificate, TLS 1.2/1.3.
    let x = xrdp(XrdpConfig::default());
    snap!("xrdp_negotiate", human(x.addr, &["-t", "2"]));
    drop(x);

    // NLA required, own host name in the NTLM challenge.
    let s = freerdp_shadow(ShadowConfig { hostname: Some("SNAPHOST".into()), ..Default::default() });
    snap!("shadow_nla", human(s.addr, &["-t", "2", "--no-mcs"]));
    drop(s);

    snap!("refused", human(closed_port(), &["-t", "2"]));
    let (addr, _ssh) = banner_server(b"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n");
    snap!("ssh", human(addr, &["-t", "2"]));
    let (addr, _silent) = silent_listener();
    snap!("silent", human(addr, &["-t", "0.5"]));
    snap!("explain_nla_not_required", run(&["explain", "nla-not-required"]));
}
