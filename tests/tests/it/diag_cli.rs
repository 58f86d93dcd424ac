//! The diagnosis modes of the CLI binary against real servers: `watch` (lines, statistics, a
//! CHANGE line when the server stops between tries), `--format nagios` (states, perfdata,
//! certificate and latency thresholds), `explain`, and the exit code of a plain probe.

use crate::findings::cli_offline;
use rdp_probe_tests::*;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Command, Output, Stdio};

fn cli(args: &[&str]) -> Output {
    Command::new(rdp_probe_bin()).args(args).output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// xrdp (negotiate, TLS 1.2/1.3) whose self-signed certificate expires in 10 days: warnings
/// only (self-signed, NLA not required, RDP security allowed, expiring soon).
fn xrdp_cert_expiring_in_10_days() -> (Server, tempfile::TempDir) {
    let d = tempfile::tempdir().unwrap();
    let (c, k) =
        make_cert(d.path(), "soon", KeyKind::Rsa(2048), "localhost", &["localhost", "127.0.0.1"], -300, 10, None);
    let x = xrdp(XrdpConfig { certificate: Some(c), key_file: Some(k), ..Default::default() });
    (x, d)
}

/// `min/avg/max/p95 = a/b/c/d ms` -> [a, b, c, d].
fn latency_stats(out: &str) -> [f64; 4] {
    let line = out.lines().find(|l| l.starts_with("probe time min/avg/max/p95 = ")).unwrap_or_else(|| panic!("{out}"));
    let nums: Vec<f64> = line
        .trim_start_matches("probe time min/avg/max/p95 = ")
        .trim_end_matches(" ms")
        .split('/')
        .map(|n| n.parse().unwrap())
        .collect();
    [nums[0], nums[1], nums[2], nums[3]]
}

#[test]
fn watch_steady_server() {
    let (x, _d) = xrdp_cert_expiring_in_10_days();
    let addr = x.addr.to_string();
    let t = std::time::Instant::now();
    let o = cli(&["watch", &addr, "-c", "3", "-i", "0.2", "-t", "2", "--tls"]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{out}{}", String::from_utf8_lossy(&o.stderr));
    assert!(out.starts_with(&format!("watching {addr} every 0.2 s")), "{out}");
    let tries: Vec<&str> = out.lines().filter(|l| l.starts_with("seq=")).collect();
    assert_eq!(tries.len(), 3, "{out}");
    for (i, l) in tries.iter().enumerate() {
        assert!(l.starts_with(&format!("seq={} rdp connect=", i + 1)), "{l}");
        assert!(l.contains(" x224=") && l.contains(" total="), "{l}");
    }
    assert!(!out.contains("CHANGE"), "{out}");
    assert!(out.contains(&format!("--- {addr} rdp-probe watch statistics ---")), "{out}");
    assert!(out.contains("3 tries, 3 answered as RDP, 100.0% success"), "{out}");
    let [min, avg, max, p95] = latency_stats(&out);
    assert!(0.0 < min && min <= avg && avg <= max && p95 <= max && p95 >= min, "{out}");
    // Three tries 0.2 s apart, not three timeouts.
    assert!(t.elapsed() < std::time::Duration::from_secs(8), "{:?}", t.elapsed());
}

/// The server stops after the first try: the next tries are refused, a CHANGE line says so,
/// the statistics count one success in three, and the exit code is 2 (some tries failed).
#[test]
fn watch_server_stops() {
    let x = xrdp(XrdpConfig { security_layer: "rdp".into(), ..Default::default() });
    let addr = x.addr.to_string();
    let mut child = Command::new(rdp_probe_bin())
        .args(["watch", &addr, "-c", "3", "-i", "0.6", "-t", "1"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut out = String::new();
    let mut server = Some(x);
    for l in lines.by_ref() {
        let l = l.unwrap();
        out += &l;
        out.push('\n');
        if l.starts_with("seq=1 ") {
            assert!(l.starts_with("seq=1 rdp "), "{l}");
            server.take(); // kills xrdp before the second try
        }
    }
    let st = child.wait().unwrap();
    assert_eq!(st.code(), Some(2), "{out}");
    assert!(out.contains("seq=2 refused "), "{out}");
    assert!(out.contains("seq=3 refused "), "{out}");
    assert!(out.contains("  CHANGE status: rdp -> refused"), "{out}");
    assert_eq!(out.matches("CHANGE status").count(), 1, "{out}");
    assert!(out.contains("3 tries, 1 answered as RDP, 33.3% success"), "{out}");
    let [min, _, max, _] = latency_stats(&out);
    assert_eq!(min, max, "one sample: {out}");
}

/// The nagios line: `RDP STATE - addr: text | perfdata`.
fn nagios(args: &[&str]) -> (i32, String) {
    let o = cli(&[&["--format", "nagios", "-t", "2"], args].concat());
    let out = stdout(&o);
    assert_eq!(out.lines().count(), 1, "one line: {out}");
    (o.status.code().unwrap(), out.trim_end().to_string())
}

#[test]
fn nagios_states() {
    let (x, _d) = xrdp_cert_expiring_in_10_days();
    let addr = x.addr.to_string();

    // Defaults: warn 30 days, crit 7 days -> WARNING for 9-10 days left.
    let (code, line) = nagios(&[&addr]);
    assert_eq!(code, 1, "{line}");
    assert!(line.starts_with(&format!("RDP WARNING - {addr}: RDP answers in ")), "{line}");
    assert!(
        line.contains("certificate expires in 9 days") || line.contains("certificate expires in 10 days"),
        "{line}"
    );
    let perf = line.split_once(" | ").unwrap().1;
    assert!(perf.starts_with("time=") && perf.contains("s;1.0000;5.0000;0"), "{perf}");
    assert!(perf.contains(" cert_days=9;30;7") || perf.contains(" cert_days=10;30;7"), "{perf}");

    let (code, line) = nagios(&["--cert-crit-days", "15", &addr]);
    assert_eq!(code, 2, "{line}");
    assert!(line.starts_with("RDP CRITICAL - "), "{line}");
    assert!(line.contains(";30;15"), "{line}");

    let (code, line) = nagios(&["--cert-warn-days", "5", "--cert-crit-days", "2", &addr]);
    assert_eq!(code, 0, "{line}");
    assert!(line.starts_with(&format!("RDP OK - {addr}: RDP answers in ")), "{line}");
    assert!(line.contains("Security Layer = Negotiate"), "{line}");

    // Latency thresholds: anything is slower than 0 ms.
    let (code, line) = nagios(&["--cert-warn-days", "5", "--cert-crit-days", "2", "--warn-ms", "0", &addr]);
    assert_eq!(code, 1, "{line}");
    assert!(line.contains("s;0.0000;5.0000;0"), "{line}");
    let (code, _) =
        nagios(&["--cert-warn-days", "5", "--cert-crit-days", "2", "--warn-ms", "0", "--crit-ms", "0", &addr]);
    assert_eq!(code, 2);

    // Findings into the state: warnings (self-signed, NLA not required, ...) -> WARNING.
    let (code, line) = nagios(&["--cert-warn-days", "5", "--cert-crit-days", "2", "--nagios-findings", &addr]);
    assert_eq!(code, 1, "{line}");
    assert!(line.contains("cert-self-signed") && line.contains("nla-not-required"), "{line}");
}

#[test]
fn nagios_refused_and_unresolvable() {
    let addr = closed_port().to_string();
    let (code, line) = nagios(&[&addr]);
    assert_eq!(code, 2, "{line}");
    assert!(line.starts_with(&format!("RDP CRITICAL - {addr}: TCP connection refused")), "{line}");
    assert!(line.contains(" | time="), "{line}");

    // No DNS query leaves the machine: an empty network namespace.
    let o = cli_offline(&["--format", "nagios", "-t", "1", "nonexistent.invalid"]);
    let line = stdout(&o);
    assert_eq!(o.status.code(), Some(3), "{line}");
    assert!(line.starts_with("RDP UNKNOWN - nonexistent.invalid: name resolution failed"), "{line}");
    assert!(line.contains("| time=0.0000s;"), "{line}");

    let (code, line) = nagios(&["127.0.0.1", "127.0.0.2"]);
    assert_eq!(code, 3, "{line}");
    assert!(line.starts_with("RDP UNKNOWN - "), "{line}");
}

#[test]
fn explain_ids() {
    let o = cli(&["explain", "nla-not-required"]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(out.starts_with("nla-not-required (warning): Network Level Authentication not required"), "{out}");
    assert!(out.contains("Remedy:") && out.contains("Network Level Authentication"), "{out}");

    let o = cli(&["explain", "no-such-finding"]);
    assert_eq!(o.status.code(), Some(64));
    assert!(o.stdout.is_empty());
    assert!(String::from_utf8_lossy(&o.stderr).contains("unknown finding id \"no-such-finding\""), "{o:?}");

    // Without an id: every catalog entry, one per line.
    let o = cli(&["explain"]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(0));
    for f in rdp_probe::findings::CATALOG {
        assert!(out.lines().any(|l| l.starts_with(f.id) && l.contains(f.title)), "{} missing:\n{out}", f.id);
    }
}

fn exit_code(addr: SocketAddr, extra: &[&str]) -> (i32, String) {
    let a = addr.to_string();
    let o = cli(&[extra, &[a.as_str()]].concat());
    (o.status.code().unwrap(), stdout(&o))
}

/// Exit codes of a plain probe: 0 no finding above info, 1 warnings, 2 a critical finding or a
/// broken listener, 3 unreachable.
#[test]
fn probe_exit_codes() {
    // 0: FreeRDP shadow with NLA and a CA-issued certificate for 127.0.0.1: info only.
    let d = tempfile::tempdir().unwrap();
    let (ca, cakey) = make_ca(d.path());
    let (c, k) = make_cert(
        d.path(),
        "ok",
        KeyKind::EcP256,
        "localhost",
        &["localhost", "127.0.0.1"],
        -1,
        300,
        Some((&ca, &cakey)),
    );
    let s = freerdp_shadow(ShadowConfig { cert: Some((c, k)), ..Default::default() });
    let (code, out) = exit_code(s.addr, &["-t", "2", "--json"]);
    assert_eq!(code, 0, "{out}");
    drop(s);

    // 1: xrdp negotiate: warnings only.
    let x = xrdp(XrdpConfig::default());
    let (code, out) = exit_code(x.addr, &["-t", "2", "--json", "--no-mcs"]);
    assert_eq!(code, 1, "{out}");
    drop(x);

    // 2: xrdp with Standard RDP Security only (critical), and a silent listener.
    let x = xrdp(XrdpConfig { security_layer: "rdp".into(), ..Default::default() });
    let (code, out) = exit_code(x.addr, &["-t", "2", "--json", "--no-mcs"]);
    assert_eq!(code, 2, "{out}");
    let (addr, _l) = silent_listener();
    let (code, out) = exit_code(addr, &["-t", "0.5"]);
    assert_eq!(code, 2, "{out}");

    // 3: refused.
    let (code, out) = exit_code(closed_port(), &["-t", "2"]);
    assert_eq!(code, 3, "{out}");
}
