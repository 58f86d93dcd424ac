//! nmap as a peer: it runs rdp-* scripts only on ports its services file calls ms-wbt-server.

use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;

/// A data dir holding a copy of /usr/share/nmap/nmap-services in which `ports` (TCP) are
/// named `ms-wbt-server`. Pass it as `--datadir`; nmap finds its other files in the default
/// location.
pub fn nmap_datadir(ports: &[u16]) -> tempfile::TempDir {
    let dir = tempfile::Builder::new().prefix("nmap-").tempdir().expect("tempdir");
    let orig = std::fs::read_to_string("/usr/share/nmap/nmap-services").expect("nmap-services (package nmap)");
    let mut out = String::with_capacity(orig.len() + 64 * ports.len());
    for line in orig.lines() {
        let taken = line.split('\t').nth(1).is_some_and(|pp| ports.iter().any(|p| pp == format!("{p}/tcp")));
        if !taken {
            out.push_str(line);
            out.push('\n');
        }
    }
    for p in ports {
        out.push_str(&format!("ms-wbt-server\t{p}/tcp\t0.500000\t# rdp-probe test server\n"));
    }
    std::fs::write(dir.path().join("nmap-services"), out).expect("write nmap-services");
    dir
}

/// Runs `nmap -n -Pn -sT -p PORT --script SCRIPT` against `addr` (with a data dir naming the
/// port ms-wbt-server) and returns stdout followed by stderr.
pub fn run_nmap_script(addr: SocketAddr, script: &str) -> String {
    let dd = nmap_datadir(&[addr.port()]);
    run_nmap_in(dd.path(), addr, script)
}

fn run_nmap_in(datadir: &Path, addr: SocketAddr, script: &str) -> String {
    let mut c = Command::new("nmap");
    c.args(["-n", "-Pn", "-sT", "--datadir"]).arg(datadir).arg("-p").arg(addr.port().to_string());
    c.args(["--script", script]);
    if addr.is_ipv6() {
        c.arg("-6");
    }
    c.arg(addr.ip().to_string());
    let out = c.output().expect("nmap");
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}
