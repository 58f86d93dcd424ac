//! GNOME Remote Desktop (Debian's gnome-remote-desktop, headless mode) in a network namespace
//! of its own: gnome-remote-desktop-daemon listens on every address (it has no bind option), so
//! it runs under `unshare -n` where the only interface is loopback, with a session D-Bus
//! (`dbus-run-session`), PipeWire + WirePlumber and `mutter --headless --virtual-monitor`, set
//! up with `grdctl --headless` (TLS certificate and key, credentials, enable). Clients reach it
//! through [`GnomeServer::command`] (`nsenter --net` into that namespace).

use crate::certs::{make_cert, KeyKind};
use crate::process::{kill_group, logs_text, spawn_guarded, Server};
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// The daemon's own path in Debian's package.
pub const GRD_DAEMON: &str = "/usr/libexec/gnome-remote-desktop-daemon";

/// The RDP port inside the namespace (nothing else listens there).
pub const GNOME_RDP_PORT: u16 = 3389;

/// Inside `unshare -n`: loopback up, the namespace holder's pid for nsenter, then a session bus
/// with PipeWire, WirePlumber, headless mutter and the daemon (which the bus session waits for:
/// its exit ends everything, and the harness watchdog kills the group).
const SCRIPT: &str = r#"set -e
d=$1
ip link set lo up
echo $$ > "$d/netns.pid"
export HOME="$d/home" XDG_RUNTIME_DIR="$d/run" GSETTINGS_BACKEND=keyfile
mkdir -p "$HOME" "$XDG_RUNTIME_DIR"
chmod 700 "$XDG_RUNTIME_DIR"
exec dbus-run-session -- bash -c '
set -e
d=$1
pipewire &
wireplumber &
mutter --headless --no-x11 --wayland --virtual-monitor 1280x800 &
grdctl --headless rdp set-tls-cert "$d/grd.crt"
grdctl --headless rdp set-tls-key "$d/grd.key"
grdctl --headless rdp set-credentials grduser grdpass
grdctl --headless rdp enable
exec /usr/libexec/gnome-remote-desktop-daemon --headless --rdp-port "$2"
' bash "$d" "$2"
"#;

/// A running GNOME Remote Desktop in its own network namespace.
pub struct GnomeServer {
    /// The process group (watchdog, namespace, bus, daemon); killed on drop.
    pub server: Server,
    /// A process inside the namespace (for `nsenter --net=/proc/PID/ns/net`).
    pub netns_pid: u32,
}

impl GnomeServer {
    /// `program args...` run inside the server's network namespace (127.0.0.1 is its loopback).
    pub fn command(&self, program: &Path) -> Command {
        let mut c = Command::new("nsenter");
        c.arg(format!("--net=/proc/{}/ns/net", self.netns_pid)).arg("--").arg(program);
        c
    }

    /// Everything the processes logged.
    pub fn log(&self) -> String {
        self.server.log()
    }
}

/// What is missing for [`gnome_remote_desktop`]: not root (unshare / nsenter), or a program
/// (package in parentheses). `None` when it can run.
pub fn gnome_missing() -> Option<String> {
    // SAFETY: geteuid has no preconditions and cannot fail.
    if unsafe { libc::geteuid() } != 0 {
        return Some("not root: unshare -n and nsenter need CAP_SYS_ADMIN".into());
    }
    let on_path = |name: &str| {
        std::env::var_os("PATH").is_some_and(|p| std::env::split_paths(&p).any(|d| d.join(name).is_file()))
    };
    let needed = [
        ("unshare", "util-linux"),
        ("nsenter", "util-linux"),
        ("ip", "iproute2"),
        ("ss", "iproute2"),
        ("dbus-run-session", "dbus-daemon"),
        ("pipewire", "pipewire"),
        ("wireplumber", "wireplumber"),
        ("mutter", "mutter"),
        ("grdctl", "gnome-remote-desktop"),
    ];
    let mut missing: Vec<String> =
        needed.iter().filter(|(n, _)| !on_path(n)).map(|(n, p)| format!("{n} ({p})")).collect();
    if !Path::new(GRD_DAEMON).is_file() {
        missing.push(format!("{GRD_DAEMON} (gnome-remote-desktop)"));
    }
    (!missing.is_empty()).then(|| format!("missing {}", missing.join(", ")))
}

/// Starts GNOME Remote Desktop (self-signed RSA 2048 certificate, NLA user `grduser`) and waits
/// (<= 30 s) until it listens on 127.0.0.1:[`GNOME_RDP_PORT`] in its namespace. `Err` says why
/// it cannot run here ([`gnome_missing`]); a start that fails once the tools are there panics
/// with the logs.
pub fn gnome_remote_desktop() -> Result<GnomeServer, String> {
    if let Some(why) = gnome_missing() {
        return Err(why);
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let d = dir.path().to_path_buf();
    // dir/grd.crt + dir/grd.key, the paths SCRIPT gives grdctl.
    make_cert(&d, "grd", KeyKind::Rsa(2048), "GRDHOST", &[], -1, 365, None);
    let out_log = d.join("grd.out");
    let argv: Vec<String> = ["unshare", "-n", "--", "bash", "-c", SCRIPT, "bash"]
        .iter()
        .map(|s| s.to_string())
        .chain([d.display().to_string(), GNOME_RDP_PORT.to_string()])
        .collect();
    let (mut child, stdin) = spawn_guarded(&argv, &[], &out_log).expect("spawn unshare");
    let logs: Vec<PathBuf> = vec![out_log];
    let start = Instant::now();
    let pid_file = d.join("netns.pid");
    let mut netns_pid = None;
    loop {
        if let Ok(Some(_)) = child.try_wait() {
            panic!("gnome-remote-desktop exited during start:\n{}", logs_text(&logs));
        }
        if netns_pid.is_none() {
            netns_pid = std::fs::read_to_string(&pid_file).ok().and_then(|s| s.trim().parse::<u32>().ok());
        }
        if let Some(pid) = netns_pid {
            let listening = Command::new("nsenter")
                .arg(format!("--net=/proc/{pid}/ns/net"))
                .args(["--", "ss", "-Hltn", &format!("sport = :{GNOME_RDP_PORT}")])
                .output()
                .is_ok_and(|o| o.status.success() && !o.stdout.is_empty());
            if listening {
                break;
            }
        }
        if start.elapsed() > Duration::from_secs(30) {
            kill_group(&mut child);
            panic!("gnome-remote-desktop did not listen within 30 s:\n{}", logs_text(&logs));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, GNOME_RDP_PORT));
    let server = Server { addr, dir, child, stdin: Some(stdin), logs };
    Ok(GnomeServer { server, netns_pid: netns_pid.unwrap_or_default() })
}
