//! `rdp_probe_tests`: a harness that runs real RDP servers (xrdp, FreeRDP's shadow server)
//! and fake services on loopback for the integration tests in `tests/tests/it/`.
//!
//! Every server gets its own temp dir (config, certificate, log) and a free port below 32768
//! (see [`free_port`]). A [`Server`] kills its whole process group on drop; a watchdog shell
//! also kills it when the test process dies (its stdin pipe closes), so an interrupted
//! `cargo test` leaves nothing behind.
//!
//! Needs: `xrdp`, `freerdp2-shadow-x11`, `xvfb`, `winpr-utils`, `openssl`, `nmap`, `faketime` (only
//! [`ShadowConfig::faketime`]), `prometheus` (only [`prometheus`] and [`promtool_check_metrics`]),
//! and root for
//! `unshare` (only [`ShadowConfig::hostname`] and [`XrdpConfig::rsakeys`] use it).
//! [`gnome_remote_desktop`] needs root, `gnome-remote-desktop`, `mutter`, `pipewire`,
//! `wireplumber`, `dbus-daemon` and `iproute2`; its test skips when one is missing.

mod certs;
mod exporter;
mod gnome;
mod listeners;
mod nmap;
mod ports;
mod process;
mod shadow;
mod xrdp;

pub use certs::{issue_cert, make_ca, make_cert, CertSpec, KeyKind, Validity};
pub use exporter::{
    exporter, http_get, prometheus, prometheus_query, promtool_check_metrics, require_program, url_encode, write_file,
    HttpResponse,
};
pub use gnome::{gnome_missing, gnome_remote_desktop, GnomeServer, GNOME_RDP_PORT, GRD_DAEMON};
pub use listeners::{banner_server, closed_port, http_server, silent_listener, Listener};
pub use nmap::{nmap_datadir, run_nmap_script};
pub use ports::free_port;
pub use process::Server;
pub use shadow::{freerdp_shadow, xvfb_display, ShadowConfig};
pub use xrdp::{xrdp, xrdp_ini, XrdpConfig};

use std::path::PathBuf;

/// The workspace root (parent of this crate).
pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent().expect("workspace root").to_path_buf()
}

/// Path of the `rdp-probe` CLI for tests: `$RDP_PROBE_BIN` if set; else
/// `<target>/debug/rdp-probe` when it is newer than the library and CLI sources (e.g. after
/// `cargo build`); else the harness builds it once per test process into `<target>/it-bin/`
/// (a separate target dir: `cargo test` holds the lock of the main one while tests run).
pub fn rdp_probe_bin() -> PathBuf {
    static BIN: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    BIN.get_or_init(|| {
        if let Some(p) = std::env::var_os("RDP_PROBE_BIN") {
            return PathBuf::from(p);
        }
        let root = workspace_root();
        let target = std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| root.join("target"));
        let newest = newest_mtime(&root.join("rdp-probe").join("src"))
            .max(newest_mtime(&root.join("rdp-probe-cli").join("src")))
            .max(newest_mtime(&root.join("Cargo.lock")));
        let p = target.join("debug").join("rdp-probe");
        if std::fs::metadata(&p).and_then(|m| m.modified()).is_ok_and(|t| t >= newest) {
            return p;
        }
        let it = target.join("it-bin");
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let st = std::process::Command::new(cargo)
            .current_dir(&root)
            .args(["build", "-q", "-p", "rdp-probe-cli", "--target-dir"])
            .arg(&it)
            .status()
            .expect("run cargo build");
        assert!(st.success(), "cargo build -p rdp-probe-cli --target-dir {} failed", it.display());
        it.join("debug").join("rdp-probe")
    })
    .clone()
}

fn newest_mtime(dir: &std::path::Path) -> std::time::SystemTime {
    let mut newest = std::time::SystemTime::UNIX_EPOCH;
    if dir.is_file() {
        return std::fs::metadata(dir).and_then(|m| m.modified()).unwrap_or(newest);
    }
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let path = e.path();
            let t = if path.is_dir() {
                newest_mtime(&path)
            } else {
                e.metadata().and_then(|m| m.modified()).unwrap_or(newest)
            };
            newest = newest.max(t);
        }
    }
    newest
}

/// Panics (naming them) when some of `tools` are not on `$PATH`: a missing tool is a broken
/// test machine, not a reason to pass (`lab/install.sh` and .ci/run install them all).
pub fn require_tools(tools: &[&str]) {
    let missing: Vec<_> = tools.iter().filter(|t| !have(t)).collect();
    assert!(missing.is_empty(), "{missing:?} not installed (lab/install.sh installs them)");
}

/// A quick check for test code: a tool is on `$PATH`.
pub fn have(tool: &str) -> bool {
    std::process::Command::new("sh")
        .args(["-c", "command -v \"$1\" >/dev/null", "sh", tool])
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{IpAddr, Ipv4Addr};

    #[test]
    fn cli_binary_is_found_or_built() {
        let p = rdp_probe_bin();
        let out = std::process::Command::new(&p).arg("--help").output().unwrap();
        assert!(out.status.success(), "{}: {out:?}", p.display());
    }

    #[test]
    fn free_ports_are_distinct_and_low() {
        let ip = IpAddr::V4(Ipv4Addr::LOCALHOST);
        let ports: Vec<u16> = (0..50).map(|_| free_port(ip)).collect();
        let mut sorted = ports.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), ports.len());
        assert!(ports.iter().all(|p| *p < 32768 && *p >= 14000));
    }

    /// Own RSA key (unshare -m + bind mount) and own host name (unshare -u) with an own
    /// certificate: the servers start and the host name shows in the NTLM challenge.
    #[test]
    fn unshare_options_work() {
        let d = tempfile::tempdir().unwrap();
        let keys = d.path().join("rsakeys.ini");
        let st = std::process::Command::new("xrdp-keygen").arg("xrdp").arg(&keys).arg("512").output().unwrap();
        assert!(st.status.success(), "{st:?}");
        let x = xrdp(XrdpConfig { security_layer: "rdp".into(), rsakeys: Some(keys), ..Default::default() });
        assert!(x.log().contains("listening to port"), "{}", x.log());
        let (c, k) = make_cert(d.path(), "shadow", KeyKind::EcP256, "shadow.test", &["shadow.test"], -1, 30, None);
        let s = freerdp_shadow(ShadowConfig {
            hostname: Some("HARNESSHOST".into()),
            cert: Some((c.clone(), k)),
            ..Default::default()
        });
        assert_eq!(
            std::fs::read(s.dir.path().join("xdg/freerdp/shadow/shadow.crt")).unwrap(),
            std::fs::read(&c).unwrap()
        );
        let out = run_nmap_script(s.addr, "rdp-ntlm-info");
        assert!(out.contains("NetBIOS_Computer_Name: HARNESSHOST"), "{out}");
    }
}
