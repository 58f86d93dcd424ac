//! `rdp_probe_tests`: a harness that runs real RDP servers (xrdp, FreeRDP's shadow server)
//! and fake services on loopback for the integration tests in `tests/tests/it/`.
//!
//! Every server gets its own temp dir (config, certificate, log) and a free port below 32768
//! (see [`free_port`]). A [`Server`] kills its whole process group on drop; a watchdog shell
//! also kills it when the test process dies (its stdin pipe closes), so an interrupted
//! `cargo test` leaves nothing behind.
//!
//! Needs: `xrdp`, `freerdp2-shadow-x11`, `xvfb`, `winpr-utils`, `openssl`, `nmap`, and root for
//! `unshare` (only [`ShadowConfig::hostname`] and [`XrdpConfig::rsakeys`] use it).

mod certs;
mod listeners;
mod nmap;
mod ports;
mod process;
mod shadow;
mod xrdp;

pub use certs::{make_ca, make_cert, KeyKind};
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

/// Path of the built `rdp-probe` CLI: `$RDP_PROBE_BIN`, else `$CARGO_TARGET_DIR/debug/rdp-probe`,
/// else `<workspace>/target/debug/rdp-probe`. Build it first (`cargo build --workspace`; the
/// README's test command and `.ci/run` do): a test cannot run cargo while cargo test holds the
/// build lock.
pub fn rdp_probe_bin() -> PathBuf {
    if let Some(p) = std::env::var_os("RDP_PROBE_BIN") {
        return PathBuf::from(p);
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target"));
    let p = target.join("debug").join("rdp-probe");
    assert!(p.exists(), "{} not found: run `cargo build --workspace` before the tests", p.display());
    p
}

/// A quick check for test code: a tool is on `$PATH`.
pub fn have(tool: &str) -> bool {
    std::process::Command::new("sh")
        .args(["-c", "command -v \"$1\" >/dev/null", "sh", tool])
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}
