//! FreeRDP shadow server instances (`freerdp-shadow-cli`) on one shared Xvfb display.

use crate::ports::free_port;
use crate::process::{bind_failed, kill_group, logs_text, spawn_guarded, wait_listening, Ready, Server};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// One shadow server's settings.
#[derive(Debug, Clone)]
pub struct ShadowConfig {
    /// `nla`, `tls`, `rdp`, `ext` (-> `/sec:X`), or a raw option such as `+sec-nla` /
    /// `-sec-rdp` passed through as is (anything starting with `+`, `-` or `/`).
    pub sec: String,
    /// (user, domain, password) -> SAM file (`winpr-hash -f sam`).
    pub users: Vec<(String, String, String)>,
    /// Run under `unshare -u` with this host name (NTLM target info comes from it; needs root).
    pub hostname: Option<String>,
    /// Certificate and key (PEM), copied to `$XDG_CONFIG_HOME/freerdp/shadow/shadow.crt|key`.
    /// `None`: the server makes its own self-signed certificate at start.
    pub cert: Option<(PathBuf, PathBuf)>,
    /// Listen address (127.0.0.1 by default, or ::1).
    pub bind: IpAddr,
    /// Run under libfaketime (`faketime -f OFFSET`, package `faketime`), e.g. `"-2h"`: the
    /// server's clock (and so its NTLM CHALLENGE timestamp) is off by that much.
    pub faketime: Option<String>,
    /// More command-line options, e.g. `-auth` (no PAM check of Client Info credentials, so a
    /// session without credentials reaches the shared display).
    pub extra_args: Vec<String>,
}

impl Default for ShadowConfig {
    fn default() -> Self {
        ShadowConfig {
            sec: "nla".into(),
            users: vec![("user".into(), "DOMAIN".into(), "password".into())],
            hostname: None,
            cert: None,
            bind: IpAddr::V4(Ipv4Addr::LOCALHOST),
            faketime: None,
            extra_args: Vec::new(),
        }
    }
}

struct Xvfb {
    display: String,
    _child: Mutex<Child>,
    _stdin: Mutex<ChildStdin>,
    _dir: tempfile::TempDir,
}

static XVFB: OnceLock<Xvfb> = OnceLock::new();

/// The shared Xvfb display (`:N`), started on first use on a free display number. It lives
/// until the test process exits (the watchdog kills it then).
pub fn xvfb_display() -> String {
    XVFB.get_or_init(start_xvfb).display.clone()
}

fn start_xvfb() -> Xvfb {
    let dir = tempfile::Builder::new().prefix("xvfb-").tempdir().expect("tempdir");
    let out = dir.path().join("xvfb.log");
    let base = 400 + std::process::id() % 500;
    for n in (0..50).map(|i| base + i * 7) {
        if Path::new(&format!("/tmp/.X{n}-lock")).exists() || Path::new(&format!("/tmp/.X11-unix/X{n}")).exists() {
            continue;
        }
        // -displayfd: Xvfb writes the display number to fd 5 once it accepts clients.
        // -noreset: without it Xvfb resets when its last client leaves, and a shadow server
        // starting at that moment fails with "failed to open display". -ac: clients under
        // `unshare -u` (another host name) are let in.
        let ready = dir.path().join(format!("ready-{n}"));
        let argv: Vec<String> = [
            "sh",
            "-c",
            "exec Xvfb \":$0\" -displayfd 5 -ac -noreset -nolisten tcp -screen 0 1024x768x24 5>\"$1\"",
            &n.to_string(),
            &ready.display().to_string(),
        ]
        .map(String::from)
        .to_vec();
        let (mut child, stdin) = spawn_guarded(&argv, &[], &out).expect("spawn Xvfb");
        let start = Instant::now();
        loop {
            if std::fs::read_to_string(&ready).is_ok_and(|s| s.trim() == n.to_string()) {
                return Xvfb {
                    display: format!(":{n}"),
                    _child: Mutex::new(child),
                    _stdin: Mutex::new(stdin),
                    _dir: dir,
                };
            }
            if matches!(child.try_wait(), Ok(Some(_))) || start.elapsed() > Duration::from_secs(10) {
                kill_group(&mut child);
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    panic!("could not start Xvfb:\n{}", logs_text(&[out]));
}

fn sam_file(users: &[(String, String, String)], path: &Path) {
    let mut sam = String::new();
    for (u, d, p) in users {
        let out = std::process::Command::new("winpr-hash")
            .args(["-u", u, "-p", p, "-d", d, "-f", "sam"])
            .output()
            .expect("winpr-hash (package winpr-utils)");
        assert!(out.status.success(), "winpr-hash failed: {}", String::from_utf8_lossy(&out.stderr));
        sam += String::from_utf8_lossy(&out.stdout).trim();
        sam.push('\n');
    }
    std::fs::write(path, sam).expect("write SAM");
}

/// Starts `freerdp-shadow-cli` with `cfg` on a free port (shared Xvfb, own
/// `XDG_CONFIG_HOME`); waits (<= 10 s) until it accepts TCP. Panics with the log otherwise.
pub fn freerdp_shadow(cfg: ShadowConfig) -> Server {
    let display = xvfb_display();
    let dir = tempfile::Builder::new().prefix("shadow-").tempdir().expect("tempdir");
    let xdg = dir.path().join("xdg");
    let conf = xdg.join("freerdp").join("shadow");
    std::fs::create_dir_all(&conf).expect("config dir");
    if let Some((c, k)) = &cfg.cert {
        std::fs::copy(c, conf.join("shadow.crt")).expect("copy cert");
        std::fs::copy(k, conf.join("shadow.key")).expect("copy key");
    }
    let sam = dir.path().join("SAM");
    sam_file(&cfg.users, &sam);
    let out = dir.path().join("shadow.log");
    let sec = if cfg.sec.starts_with(['+', '-', '/']) { cfg.sec.clone() } else { format!("/sec:{}", cfg.sec) };
    let mut last = String::new();
    for _attempt in 0..5 {
        let port = free_port(cfg.bind);
        let mut argv: Vec<String> = Vec::new();
        if let Some(h) = &cfg.hostname {
            argv.extend(["unshare", "-u", "sh", "-c", "hostname \"$0\" && exec \"$@\"", h].map(String::from));
        }
        if let Some(off) = &cfg.faketime {
            argv.extend(["faketime".to_string(), "-f".into(), off.clone()]);
        }
        argv.extend([
            "freerdp-shadow-cli".to_string(),
            format!("/bind-address:{}", cfg.bind),
            format!("/port:{port}"),
            sec.clone(),
            format!("/sam-file:{}", sam.display()),
        ]);
        argv.extend(cfg.extra_args.iter().cloned());
        let envs = [("DISPLAY", display.clone()), ("XDG_CONFIG_HOME", xdg.display().to_string())];
        let (mut child, stdin) = spawn_guarded(&argv, &envs, &out).expect("spawn freerdp-shadow-cli");
        let addr = SocketAddr::new(cfg.bind, port);
        let ready = wait_listening(&mut child, addr, Duration::from_secs(10));
        let logs = vec![out.clone()];
        match ready {
            Ready::Up => return Server { addr, dir, child, stdin: Some(stdin), logs },
            Ready::Exited => {
                drop(stdin);
                kill_group(&mut child);
                last = logs_text(&logs);
                // Port taken meanwhile, or the X connection failed: try again.
                let transient = bind_failed(&last) || last.contains("failed to open display");
                assert!(transient, "freerdp-shadow-cli exited at start ({cfg:?}):\n{last}");
            }
            Ready::TimedOut => {
                drop(stdin);
                kill_group(&mut child);
                panic!("freerdp-shadow-cli did not listen on {addr} within 10 s ({cfg:?}):\n{}", logs_text(&logs));
            }
        }
    }
    panic!("freerdp-shadow-cli did not start after 5 attempts:\n{last}");
}
