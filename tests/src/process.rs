//! Child processes that die with the test: own process group, killed on drop, and a watchdog
//! shell that kills the group when the test process exits (its stdin pipe closes) or when the
//! server itself exits (so a failed start is seen at once).

use std::fs::File;
use std::io::Read;
use std::net::{SocketAddr, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

/// Runs `"$@"` in the background; fd 3 is the test's pipe: EOF (test process gone) stops the
/// group (TERM first, so Xvfb removes its lock file and socket); the server's own exit kills
/// the group too (and so ends this shell).
const WATCHDOG: &str = r#"exec 3<&0
"$@" </dev/null &
p=$!
{ read _ <&3; trap '' TERM; kill -TERM 0; sleep 1; kill -KILL 0; } &
wait $p
echo "[harness] server exited with status $?" >&2
kill -KILL 0
"#;

/// A running server. Dropping it kills its process group.
pub struct Server {
    /// Where it listens.
    pub addr: SocketAddr,
    /// Its temp dir (config, certificates, log). Removed on drop.
    pub dir: tempfile::TempDir,
    pub(crate) child: Child,
    pub(crate) stdin: Option<ChildStdin>,
    /// Log files to show in [`Server::log`] (the server's own log, then its stdout/stderr).
    pub(crate) logs: Vec<PathBuf>,
}

impl Server {
    /// Everything the server logged (its log file, then stdout/stderr).
    pub fn log(&self) -> String {
        logs_text(&self.logs)
    }

    /// The port.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// Whether the server process is still running.
    pub fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    fn kill(&mut self) {
        self.stdin.take();
        kill_group(&mut self.child);
    }
}

/// Kills the process group led by `child` and reaps it.
pub(crate) fn kill_group(child: &mut Child) {
    let pgid = child.id() as libc::pid_t;
    // SAFETY: kill(2) on our own child's process group; no memory is involved.
    unsafe {
        libc::kill(-pgid, libc::SIGKILL);
    }
    let _ = child.wait();
}

/// The contents of log files, each under a header.
pub(crate) fn logs_text(paths: &[PathBuf]) -> String {
    let mut out = String::new();
    for p in paths {
        let mut s = String::new();
        if let Ok(mut f) = File::open(p) {
            let mut b = Vec::new();
            let _ = f.read_to_end(&mut b);
            s = String::from_utf8_lossy(&b).into_owned();
        }
        out.push_str(&format!("==> {} <==\n{}\n", p.display(), s));
    }
    out
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Spawns `argv` under the watchdog in its own process group, stdout+stderr to `out_log`.
pub(crate) fn spawn_guarded(
    argv: &[String],
    envs: &[(&str, String)],
    out_log: &Path,
) -> std::io::Result<(Child, ChildStdin)> {
    let out = File::create(out_log)?;
    let err = out.try_clone()?;
    let mut cmd = Command::new("sh");
    cmd.arg("-c").arg(WATCHDOG).arg("sh").args(argv);
    for (k, v) in envs {
        cmd.env(k, v);
    }
    cmd.stdin(Stdio::piped()).stdout(out).stderr(err).process_group(0);
    let mut child = cmd.spawn()?;
    let stdin = child.stdin.take().expect("stdin piped");
    Ok((child, stdin))
}

/// Outcome of waiting for a server to listen.
pub(crate) enum Ready {
    Up,
    Exited,
    TimedOut,
}

/// Waits until `addr` accepts a TCP connection, the child exits, or `limit` passes.
pub(crate) fn wait_listening(child: &mut Child, addr: SocketAddr, limit: Duration) -> Ready {
    let start = Instant::now();
    loop {
        if let Ok(Some(_)) = child.try_wait() {
            return Ready::Exited;
        }
        if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            // The server could have failed to bind and a stranger answered: make sure it lives.
            std::thread::sleep(Duration::from_millis(20));
            return match child.try_wait() {
                Ok(Some(_)) => Ready::Exited,
                _ => Ready::Up,
            };
        }
        if start.elapsed() > limit {
            return Ready::TimedOut;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Whether a log says the listening socket could not be bound (then retry on another port).
pub(crate) fn bind_failed(log: &str) -> bool {
    log.contains("trans_listen_address failed")
        || log.contains("xrdp_listen_get_port failed")
        || log.contains("Problem creating TCP listener")
        || log.contains("Address already in use")
}
