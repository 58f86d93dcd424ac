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
    assert!(out.contains("3 tries, 3 answered as RDP, 3 usable, 100.0% success"), "{out}");
    // Warnings only (self-signed, expiring soon...): a client gets in.
    assert!(tries.iter().all(|l| l.contains(" verdict=usable_with_warnings")), "{out}");
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
        .args(["watch", &addr, "-c", "3", "-i", "2", "-t", "1"])
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
                           // xrdp's forked children die a moment after the group is killed; until the last
                           // one is gone the listening socket may still accept (and then reset). Wait until
                           // the port refuses, well within the 2 s interval.
            let deadline = std::time::Instant::now() + std::time::Duration::from_millis(1500);
            while std::net::TcpStream::connect(&addr).is_ok() && std::time::Instant::now() < deadline {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
        }
    }
    let st = child.wait().unwrap();
    assert_eq!(st.code(), Some(2), "{out}");
    assert!(out.contains("seq=2 refused "), "{out}");
    assert!(out.contains("seq=3 refused "), "{out}");
    assert!(out.contains("  CHANGE status: rdp -> refused"), "{out}");
    assert_eq!(out.matches("CHANGE status").count(), 1, "{out}");
    assert!(out.contains("3 tries, 1 answered as RDP, 1 usable, 33.3% success"), "{out}");
    assert!(out.contains("  CHANGE verdict: usable_with_warnings -> unreachable (tcp)"), "{out}");
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
    assert!(out.contains("Remedy (Windows") && out.contains("Network Level Authentication"), "{out}");
    // Every server's remedy is shown: xrdp has no NLA at all, FreeRDP's server takes /sec:nla.
    assert!(out.contains("Remedy (xrdp):") && out.contains("xrdp does not implement NLA"), "{out}");
    assert!(out.contains("Remedy (FreeRDP server):") && out.contains("/sec:nla"), "{out}");

    let o = cli(&["explain", "no-such-finding"]);
    assert_eq!(o.status.code(), Some(64));
    assert!(o.stdout.is_empty());
    assert!(String::from_utf8_lossy(&o.stderr).contains("unknown finding id \"no-such-finding\""), "{o:?}");

    // Without an id: every catalog entry, one per line.
    let o = cli(&["explain"]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(0));
    for f in rdp_probe::diagnosis::findings::CATALOG {
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

/// FreeRDP shadow with `/sec:ext` alone refuses every security protocol: an RDP listener no
/// client can use. Exit code 2 (never 0), the human verdict names the step, and nagios says
/// CRITICAL without --nagios-findings.
#[test]
fn unusable_listener_exit_code_human_and_nagios() {
    let s = freerdp_shadow(ShadowConfig { sec: "ext".into(), ..Default::default() });
    let addr = s.addr.to_string();

    let o = cli(&["-t", "2", "--json", &addr]);
    let out = stdout(&o);
    let j: serde_json::Value = serde_json::from_str(out.trim()).unwrap_or_else(|e| panic!("{e}: {out}"));
    assert_eq!(j["verdict"]["state"], "unusable", "{out}");
    assert_eq!(o.status.code(), Some(2), "{out}");

    let o = cli(&["-t", "2", &addr]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(2), "{out}");
    let step = j["verdict"]["blocking_step"].as_str().unwrap();
    let verdict = out.lines().find(|l| l.starts_with("  Verdict      ")).unwrap_or_else(|| panic!("{out}"));
    assert!(verdict.starts_with(&format!("  Verdict      UNUSABLE at {step} — ")), "{out}");
    assert!(verdict.ends_with(j["verdict"]["summary"].as_str().unwrap()), "{out}");

    // Compact line (two targets): the verdict with its step, the finding with its severity.
    let many = stdout(&cli(&["-t", "2", &addr, &closed_port().to_string()]));
    let line = many.lines().find(|l| l.starts_with(&addr)).unwrap_or_else(|| panic!("{many}"));
    assert!(line.contains(&format!(" unusable({step}) ")), "{line}");
    assert!(line.contains("listener-refuses-all:critical"), "{line}");

    // No --nagios-findings: the verdict alone makes it CRITICAL, naming the step and the summary.
    let (code, line) = nagios(&[&addr]);
    assert_eq!(code, 2, "{line}");
    assert!(line.starts_with(&format!("RDP CRITICAL - {addr}: UNUSABLE at {step}: ")), "{line}");
    assert!(line.contains("refuses every security protocol"), "{line}");

    // watch: an RDP answer that no client can use is not a success.
    let o = cli(&["watch", &addr, "-c", "1", "-t", "2"]);
    let out = stdout(&o);
    assert!(out.contains(&format!(" verdict=unusable({step})")), "{out}");
    assert!(out.contains("1 tries, 1 answered as RDP, 0 usable, 0.0% success"), "{out}");
    assert_eq!(o.status.code(), Some(2), "{out}");
}

/// `--find-port` takes its list only with `=`: `--find-port HOST:PORT` probes HOST:PORT and
/// tries the common ports; `--find-port=PORTS` tries that list.
#[test]
fn find_port_list_needs_equals() {
    let closed = closed_port().to_string();
    let o = cli(&["--find-port", &closed, "--quick", "-t", "1", "--json"]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(3), "{out}{}", String::from_utf8_lossy(&o.stderr));
    let j: serde_json::Value = serde_json::from_str(out.trim()).unwrap_or_else(|e| panic!("{e}: {out}"));
    assert_eq!(j["target"], closed.as_str(), "{out}");
    let tried: Vec<u64> =
        j["alternative_ports"].as_array().unwrap().iter().map(|p| p["port"].as_u64().unwrap()).collect();
    let common: Vec<u64> = rdp_probe::options::COMMON_ALTERNATIVE_PORTS.iter().map(|p| u64::from(*p)).collect();
    assert_eq!(tried, common, "{out}");

    // A list: the moved listener is found.
    let x = xrdp(XrdpConfig { security_layer: "rdp".into(), ..Default::default() });
    let list = format!("--find-port={}", x.addr.port());
    let o = cli(&[&list, &closed, "--quick", "-t", "1", "--json"]);
    let out = stdout(&o);
    let j: serde_json::Value = serde_json::from_str(out.trim()).unwrap_or_else(|e| panic!("{e}: {out}"));
    assert_eq!(j["alternative_ports"][0]["port"], x.addr.port(), "{out}");
    assert_eq!(j["alternative_ports"][0]["status"], "rdp", "{out}");
    assert_eq!(j["alternative_ports"].as_array().unwrap().len(), 1, "{out}");

    // The human hint shows the syntax that works.
    let o = cli(&["--quick", "-t", "1", &closed]);
    let out = stdout(&o);
    assert!(
        out.contains(&format!("rdp-probe --find-port {closed} (common ports) or --find-port=3389,3390 {closed}")),
        "{out}"
    );
}

/// Splits a CSV line (quoted fields with "" escapes).
fn csv_split(line: &str) -> Vec<String> {
    let (mut out, mut cur, mut quoted, mut chars) = (Vec::new(), String::new(), false, line.chars().peekable());
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => out.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    out.push(cur);
    out
}

/// CSV: the old columns in place, the new ones appended; a real xrdp row carries its verdict,
/// findings with severities, TLS version, certificate expiry and encryption level, and the
/// security layer reads the same in CSV, JSON and the compact human line.
#[test]
fn csv_columns_and_compact_lines() {
    let x = xrdp(XrdpConfig::default());
    let addr = x.addr.to_string();
    let o = cli(&["--csv", "-t", "2", &addr]);
    let out = stdout(&o);
    let mut lines = out.lines();
    let header = lines.next().unwrap_or_default();
    assert!(
        header.starts_with("target,address,status,error_phase,security_layer,nla,selected,rdp,ssl,hybrid,hybrid_ex,rdstls,rdsaad,source_ref,total_ms,"),
        "{header}"
    );
    assert!(
        header.ends_with(
            ",total_ms,verdict,blocking_step,worst_severity,findings,tls_version,cert_not_after,encryption_level"
        ),
        "{header}"
    );
    let cols: Vec<&str> = header.split(',').collect();
    let row = csv_split(lines.next().unwrap_or_else(|| panic!("{out}")));
    assert_eq!(row.len(), cols.len(), "{out}");
    let get = |k: &str| row[cols.iter().position(|c| *c == k).unwrap()].clone();
    assert_eq!(get("status"), "rdp", "{out}");
    assert_eq!(get("verdict"), "usable_with_warnings", "{out}");
    assert_eq!(get("blocking_step"), "", "{out}");
    assert_eq!(get("worst_severity"), "warning", "{out}");
    let findings = get("findings");
    for f in ["cert-self-signed:warning", "nla-not-required:warning", "rdp-security-allowed:warning"] {
        assert!(findings.split(';').any(|x| x == f), "{f} missing: {findings}");
    }
    assert!(findings.split(';').all(|f| f.ends_with(":info") || f.ends_with(":warning")), "{findings}");
    assert!(["1.2", "1.3"].contains(&get("tls_version").as_str()), "{out}");
    let na = get("cert_not_after");
    assert!(na.len() == 20 && na.ends_with('Z') && na.as_bytes()[10] == b'T', "{na}");
    assert!(!get("encryption_level").is_empty(), "{out}");

    // The same listener in JSON and in a compact line (two targets).
    let o = cli(&["--json", "-t", "2", &addr]);
    let j: serde_json::Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    let layer = j["negotiation"]["security_layer"].as_str().unwrap();
    assert_eq!(layer, "negotiate");
    assert_eq!(get("security_layer"), layer, "{out}");
    assert_eq!(get("nla"), j["negotiation"]["nla"].as_str().unwrap(), "{out}");
    assert_eq!(get("verdict"), j["verdict"]["state"].as_str().unwrap());

    let closed = closed_port().to_string();
    let o = cli(&["-t", "2", &addr, &closed]);
    let out = stdout(&o);
    let line = out.lines().find(|l| l.starts_with(&addr)).unwrap_or_else(|| panic!("{out}"));
    assert!(line.contains(" usable_with_warnings "), "{line}");
    assert!(line.contains(&format!(" layer={layer} ")), "{line}");
    assert!(line.contains("nla-not-required:warning") && line.contains("cert-self-signed:warning"), "{line}");
    let line = out.lines().find(|l| l.starts_with(&closed)).unwrap_or_else(|| panic!("{out}"));
    assert!(line.contains(" unreachable(tcp) ") && line.contains("tcp-refused:critical"), "{line}");
}

/// `watch` takes the main command's --source, --proxy and step flags, and applies them.
#[test]
fn watch_source_proxy_and_step_flags() {
    let x = xrdp(XrdpConfig::default());
    let addr = x.addr.to_string();
    let o = cli(&["watch", &addr, "--count", "2", "-i", "0.1", "-t", "2", "--source", "127.0.0.1", "--no-tls"]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{out}{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(out.lines().filter(|l| l.starts_with("seq=") && l.contains(" rdp connect=")).count(), 2, "{out}");
    assert!(out.contains("2 tries, 2 answered as RDP, 2 usable, 100.0% success"), "{out}");

    // --source is used: an address this host does not have cannot be bound (nothing is sent).
    let o = cli(&["watch", &addr, "-c", "1", "-t", "1", "--quick", "--source", "192.0.2.1"]);
    let out = stdout(&o);
    assert!(out.contains("0 usable"), "{out}");
    assert_ne!(o.status.code(), Some(0), "{out}");

    // --proxy is used: xrdp listens, but the proxy's port refuses, so every try is unreachable
    // at the proxy (not at the target, which was never asked).
    let proxy = format!("socks5://{}", closed_port());
    let o = cli(&["watch", &addr, "-c", "1", "-t", "1", "--quick", "--proxy", &proxy]);
    let out = stdout(&o);
    assert!(out.contains(" verdict=unreachable(proxy)"), "{out}");
    assert_eq!(o.status.code(), Some(3), "{out}");
}

/// An expired certificate: nagios says "expired N days ago", never "expires in -N days".
#[test]
fn nagios_expired_certificate() {
    let d = tempfile::tempdir().unwrap();
    let (c, k) =
        make_cert(d.path(), "old", KeyKind::Rsa(2048), "localhost", &["localhost", "127.0.0.1"], -300, -12, None);
    let x = xrdp(XrdpConfig { certificate: Some(c), key_file: Some(k), ..Default::default() });
    let addr = x.addr.to_string();
    let (code, line) = nagios(&[&addr]);
    assert_eq!(code, 2, "{line}");
    assert!(line.starts_with(&format!("RDP CRITICAL - {addr}: ")), "{line}");
    assert!(["11", "12", "13"].iter().any(|n| line.contains(&format!("certificate expired {n} days ago"))), "{line}");
    assert!(!line.contains("expires in -"), "{line}");
}

/// The NLA logon line says what was observed: NOT TESTED on a server without NLA (never
/// REJECTED), and for FreeRDP's silent close after a wrong password, that close.
#[test]
fn logon_lines() {
    let x = xrdp(XrdpConfig::default());
    let o = Command::new(rdp_probe_bin())
        .args(["-t", "2", "--no-mcs", "--user", "DOMAIN\\user", &x.addr.to_string()])
        .env("RDP_PROBE_PASSWORD", "password")
        .output()
        .unwrap();
    let out = stdout(&o);
    let logon = out.lines().find(|l| l.starts_with("    logon      ")).unwrap_or_else(|| panic!("{out}"));
    assert!(logon.starts_with("    logon      DOMAIN\\user: NOT TESTED — the server does not offer NLA"), "{logon}");
    assert!(!out.contains("REJECTED"), "{out}");
    drop(x);

    let s = freerdp_shadow(ShadowConfig::default());
    let o = Command::new(rdp_probe_bin())
        .args(["-t", "2", "--no-mcs", "--user", "DOMAIN\\user", &s.addr.to_string()])
        .env("RDP_PROBE_PASSWORD", "wrong-password")
        .output()
        .unwrap();
    let out = stdout(&o);
    let logon = out.lines().find(|l| l.starts_with("    logon      ")).unwrap_or_else(|| panic!("{out}"));
    assert!(
        logon.starts_with(
            "    logon      DOMAIN\\user: REJECTED — the server closed the connection after AUTHENTICATE without an NTSTATUS"
        ),
        "{logon}"
    );
    assert!(!out.contains("status shown"), "{out}");
}

/// Runs the CLI with `stdin` as its standard input and returns stdout (exit code checked).
fn cli_pipe(args: &[&str], stdin: &[u8], program: &str) -> (i32, String, String) {
    use std::io::Write;
    let mut child = Command::new(program)
        .args(args)
        .env("MANWIDTH", "100")
        .env("MANPAGER", "cat")
        .env("PAGER", "cat")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{program}: {e}"));
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    let o = child.wait_with_output().unwrap();
    (o.status.code().unwrap_or(-1), stdout(&o), String::from_utf8_lossy(&o.stderr).into_owned())
}

/// `completions SHELL` for every shell clap_complete knows: the bash script names real flags
/// and `bash -n` accepts it; the others name them too.
#[test]
fn completions_scripts() {
    let o = cli(&["completions", "bash"]);
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    let bash = o.stdout;
    let text = String::from_utf8_lossy(&bash);
    for flag in ["--find-port", "--shard", "--color", "--input-list", "--nagios-findings"] {
        assert!(text.contains(flag), "{flag} missing:\n{text}");
    }
    assert!(text.contains("complete -F _rdp-probe") || text.contains("complete -F _rdp__probe"), "{text}");
    let (code, out, err) = cli_pipe(&["-n"], &bash, "bash");
    assert_eq!(code, 0, "bash -n rejects the script: {out}{err}");

    for shell in ["zsh", "fish", "powershell", "elvish"] {
        let o = cli(&["completions", shell]);
        let out = stdout(&o);
        assert_eq!(o.status.code(), Some(0), "{shell}: {o:?}");
        assert!(out.contains("find-port") && out.contains("watch"), "{shell}:\n{out}");
    }
    let o = cli(&["completions", "tcsh"]);
    assert_eq!(o.status.code(), Some(2), "clap's usage error for an unknown shell: {o:?}");
}

/// `manpage` renders with `man -l -` (man-db; groff when man is missing) and documents the
/// flags under the --help headings, the exit codes and the examples.
#[test]
fn manpage_renders() {
    let o = cli(&["manpage"]);
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    let roff = o.stdout;
    assert!(String::from_utf8_lossy(&roff).contains(".TH rdp-probe 1"), "{roff:?}");
    let have = |p: &str| {
        Command::new("sh").args(["-c", &format!("command -v {p}")]).output().is_ok_and(|o| o.status.success())
    };
    let (code, page, err) = if have("man") {
        cli_pipe(&["-l", "-"], &roff, "man")
    } else {
        cli_pipe(&["-man", "-Tutf8", "-P-c"], &roff, "groff")
    };
    assert_eq!(code, 0, "{page}{err}");
    assert!(!err.contains("warning"), "{err}");
    for needle in [
        "NAME",
        "rdp-probe - Probe Remote Desktop (RDP) listeners",
        "SYNOPSIS",
        "OUTPUT",
        "STEPS",
        "SCANNING",
        "CREDENTIALS",
        "NAGIOS",
        "NETWORK",
        "--find-port[=<PORTS>]",
        "--shard <K/N>",
        "--color <WHEN>",
        "--password-stdin",
        "EXIT STATUS",
        "EXAMPLES",
        "rdp-probe --format nagios --cert-warn-days 21 rdp.example.org",
    ] {
        assert!(page.contains(needle), "{needle} missing:\n{page}");
    }
    assert!(!page.contains('\x1b') && !page.contains('\x08'), "{page:?}");
}

/// `--help`: the options under headings, in order, the examples last; every flag still there.
#[test]
fn help_headings_and_examples() {
    let o = cli(&["--help"]);
    let help = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{help}");
    let at = |h: &str| help.find(&format!("\n{h}:\n")).unwrap_or_else(|| panic!("{h}:\n{help}"));
    let order = ["Options", "Output", "Steps", "Scanning", "Credentials", "Nagios", "Network", "Examples"].map(at);
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{help}");
    for flag in [
        "--json",
        "--format",
        "--raw",
        "--color",
        "--csv",
        "--quick",
        "--ciphers",
        "--no-tls",
        "--no-nla",
        "--no-mcs",
        "--find-port",
        "--client",
        "--port",
        "--concurrency",
        "--rate",
        "--per-host",
        "--shard",
        "--input-list",
        "--connection-delay",
        "--retries",
        "--user",
        "--password-stdin",
        "--cert-warn-days",
        "--cert-crit-days",
        "--warn-ms",
        "--crit-ms",
        "--nagios-findings",
        "--timeout",
        "--overall-timeout",
        "--cookie",
        "--source",
        "--proxy",
    ] {
        assert!(help.contains(&format!(" {flag}")), "{flag} missing:\n{help}");
    }
    let examples = &help[at("Examples")..];
    for e in ["rdp-probe --csv", "--format nagios", "--user", "lab/lab.sh up"] {
        assert!(examples.contains(e), "{e}:\n{examples}");
    }
    assert!(!help.contains('\x1b'), "no colour in a pipe");
}

fn has_escape(s: &str) -> bool {
    s.contains('\x1b')
}

/// `--color always` colours the severity and the verdict in the human and compact outputs;
/// `--color never`, a pipe (auto) and the machine formats have no escapes.
#[test]
fn color_choice() {
    let closed = closed_port().to_string();
    let out = stdout(&cli(&["--color", "always", "-t", "1", "--quick", &closed]));
    let verdict = out.lines().find(|l| l.starts_with("  Verdict      ")).unwrap_or_else(|| panic!("{out:?}"));
    assert!(verdict.starts_with("  Verdict      \x1b[") && verdict.contains("UNREACHABLE (tcp)\x1b[0m — "), "{out:?}");
    let crit = out.lines().find(|l| l.contains("tcp-refused")).unwrap_or_else(|| panic!("{out:?}"));
    assert!(crit.starts_with("    \x1b[") && crit.contains("CRITICAL\x1b[0m tcp-refused "), "{crit:?}");
    // The columns stay where they are without colour.
    let plain = stdout(&cli(&["--color", "never", "-t", "1", "--quick", &closed]));
    assert!(!has_escape(&plain), "{plain:?}");
    let col = |s: &str| s.lines().find(|l| l.contains("tcp-refused")).map(|l| l.find("tcp-refused"));
    let strip = |s: &str| s.replace("\x1b[1m", "").replace("\x1b[31m", "").replace("\x1b[0m", "");
    assert_eq!(col(&strip(&out)), col(&plain), "{out:?}\n{plain:?}");

    // Compact lines (two targets).
    let other = closed_port().to_string();
    let many = stdout(&cli(&["--color", "always", "-t", "1", "--quick", &closed, &other]));
    let line = many.lines().find(|l| l.starts_with(&closed)).unwrap_or_else(|| panic!("{many:?}"));
    assert!(line.contains("\x1b[") && line.contains("unreachable(tcp)\x1b[0m"), "{line:?}");
    assert!(line.contains("tcp-refused:critical\x1b[0m"), "{line:?}");
    let plain_many = stdout(&cli(&["-t", "1", "--quick", &closed, &other]));
    assert!(!has_escape(&plain_many) && plain_many.contains(" unreachable(tcp) "), "{plain_many:?}");

    // Default in a pipe (auto), and NO_COLOR with auto: none.
    assert!(!has_escape(&stdout(&cli(&["-t", "1", "--quick", &closed]))));
    let o = Command::new(rdp_probe_bin()).args(["-t", "1", "--quick", &closed]).env("NO_COLOR", "1").output().unwrap();
    assert!(!has_escape(&stdout(&o)));

    // Machine formats never.
    for fmt in [&["--json"][..], &["--csv"], &["--format", "csv"], &["--format", "nagios"]] {
        let o = cli(&[fmt, &["--color", "always", "-t", "1", "--quick", &closed]].concat());
        let out = stdout(&o);
        assert!(!out.is_empty() && !has_escape(&out), "{fmt:?}: {out:?}");
    }
}

/// `--color auto` on a terminal (a pseudo-terminal from util-linux `script`) colours, unless
/// NO_COLOR is set and not empty.
#[test]
fn color_auto_on_a_terminal() {
    let closed = closed_port().to_string();
    let bin = rdp_probe_bin();
    let on_tty = |no_color: Option<&str>| {
        let mut c = Command::new("script");
        c.args(["-qec", &format!("{} -t 1 --quick {closed}", bin.display()), "/dev/null"]).stdin(Stdio::null());
        c.env_remove("NO_COLOR");
        if let Some(v) = no_color {
            c.env("NO_COLOR", v);
        }
        let o = c.output().expect("script (util-linux) runs");
        let out = stdout(&o);
        assert!(out.contains("UNREACHABLE (tcp)"), "{out:?}");
        out
    };
    assert!(has_escape(&on_tty(None)), "auto on a terminal colours");
    assert!(has_escape(&on_tty(Some(""))), "an empty NO_COLOR does not count");
    assert!(!has_escape(&on_tty(Some("1"))), "NO_COLOR=1 turns auto off");
}
