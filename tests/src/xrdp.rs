//! xrdp instances: one `xrdp --nodaemon --config DIR/xrdp.ini` per test.

use crate::certs::{make_cert, KeyKind};
use crate::ports::free_port;
use crate::process::{bind_failed, kill_group, logs_text, spawn_guarded, wait_listening, Ready, Server};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

/// One xrdp instance's settings (`[Globals]` of xrdp.ini).
#[derive(Debug, Clone)]
pub struct XrdpConfig {
    /// `rdp`, `tls` or `negotiate`.
    pub security_layer: String,
    /// `none`, `low`, `medium`, `high` or `fips`.
    pub crypt_level: String,
    /// e.g. `TLSv1.2, TLSv1.3` (xrdp's default when `None`).
    pub ssl_protocols: Option<String>,
    /// OpenSSL cipher string, e.g. `DEFAULT:@SECLEVEL=0` for TLS 1.0/1.1 or RSA-1024.
    pub tls_ciphers: Option<String>,
    /// Certificate (PEM). When both this and `key_file` are `None`, a self-signed RSA-2048
    /// certificate (CN=localhost) is made in the instance's temp dir.
    pub certificate: Option<PathBuf>,
    /// Private key (PEM).
    pub key_file: Option<PathBuf>,
    /// Listen address: 127.0.0.1 (default), any loopback address, or ::1.
    pub bind: IpAddr,
    /// Own Standard RDP Security key (`xrdp-keygen xrdp FILE 512`): runs the instance under
    /// `unshare -m` with FILE bind-mounted over /etc/xrdp/rsakeys.ini (needs root).
    pub rsakeys: Option<PathBuf>,
}

impl Default for XrdpConfig {
    fn default() -> Self {
        XrdpConfig {
            security_layer: "negotiate".into(),
            crypt_level: "high".into(),
            ssl_protocols: None,
            tls_ciphers: None,
            certificate: None,
            key_file: None,
            bind: IpAddr::V4(Ipv4Addr::LOCALHOST),
            rsakeys: None,
        }
    }
}

fn port_line(bind: IpAddr, port: u16) -> String {
    match bind {
        IpAddr::V4(a) => format!("tcp://{a}:{port}"),
        IpAddr::V6(a) => format!("tcp6://{{{a}}}:{port}"),
    }
}

/// The xrdp.ini text for `cfg` listening on `port`, logging to `log` (absolute path).
/// `certificate`/`key_file` are written as given (empty when `None`).
pub fn xrdp_ini(cfg: &XrdpConfig, port: u16, log: &std::path::Path) -> String {
    let path = |p: &Option<PathBuf>| p.as_ref().map(|p| p.display().to_string()).unwrap_or_default();
    let mut s = String::from("[Globals]\nini_version=1\nfork=true\n");
    s += &format!("port={}\n", port_line(cfg.bind, port));
    s += "use_vsock=false\ntcp_nodelay=true\ntcp_keepalive=true\n";
    s += &format!("security_layer={}\ncrypt_level={}\n", cfg.security_layer, cfg.crypt_level);
    s += &format!("certificate={}\nkey_file={}\n", path(&cfg.certificate), path(&cfg.key_file));
    s += &format!("ssl_protocols={}\n", cfg.ssl_protocols.as_deref().unwrap_or("TLSv1.2, TLSv1.3"));
    if let Some(c) = &cfg.tls_ciphers {
        s += &format!("tls_ciphers={c}\n");
    }
    s += "max_bpp=32\n\n[Logging]\n";
    s += &format!("LogFile={}\nLogLevel=DEBUG\nEnableSyslog=false\nEnableConsole=false\n", log.display());
    s += "\n[Channels]\nrdpdr=true\nrdpsnd=true\ndrdynvc=true\ncliprdr=true\nrail=true\n";
    // One session type for the login window's list: without any, xrdp 0.9.21 crashes right
    // after drawing its login window (a NULL session name), which a session probe sees.
    s += "\n[Xorg]\nname=Xorg\nlib=libxup.so\nusername=ask\npassword=ask\nip=127.0.0.1\nport=-1\ncode=20\n";
    s
}

/// Starts xrdp with `cfg` on a free port; waits (<= 5 s) until it accepts TCP. Panics with
/// the log when it does not start.
pub fn xrdp(mut cfg: XrdpConfig) -> Server {
    let dir = tempfile::Builder::new().prefix("xrdp-").tempdir().expect("tempdir");
    if cfg.certificate.is_none() && cfg.key_file.is_none() {
        let (c, k) = make_cert(
            dir.path(),
            "server",
            KeyKind::Rsa(2048),
            "localhost",
            &["localhost", "127.0.0.1", "::1"],
            -1,
            365,
            None,
        );
        cfg.certificate = Some(c);
        cfg.key_file = Some(k);
    }
    let ini = dir.path().join("xrdp.ini");
    let log = dir.path().join("xrdp.log");
    let out = dir.path().join("stdout.log");
    let mut last = String::new();
    for _attempt in 0..5 {
        let port = free_port(cfg.bind);
        std::fs::write(&ini, xrdp_ini(&cfg, port, &log)).expect("write xrdp.ini");
        let _ = std::fs::remove_file(&log);
        let mut argv: Vec<String> = Vec::new();
        if let Some(keys) = &cfg.rsakeys {
            argv.extend(
                [
                    "unshare",
                    "-m",
                    "--propagation",
                    "private",
                    "sh",
                    "-c",
                    "mount --bind \"$0\" /etc/xrdp/rsakeys.ini && exec \"$@\"",
                ]
                .map(String::from),
            );
            argv.push(keys.canonicalize().expect("rsakeys file").display().to_string());
        }
        argv.extend(["xrdp".to_string(), "--nodaemon".into(), "--config".into(), ini.display().to_string()]);
        let (mut child, stdin) = spawn_guarded(&argv, &[], &out).expect("spawn xrdp");
        let addr = SocketAddr::new(cfg.bind, port);
        let ready = wait_listening(&mut child, addr, Duration::from_secs(5));
        let logs = vec![log.clone(), out.clone()];
        match ready {
            Ready::Up => return Server { addr, dir, child, stdin: Some(stdin), logs },
            Ready::Exited => {
                drop(stdin);
                kill_group(&mut child);
                last = logs_text(&logs);
                assert!(bind_failed(&last), "xrdp exited at start ({cfg:?}):\n{last}");
            }
            Ready::TimedOut => {
                drop(stdin);
                kill_group(&mut child);
                panic!("xrdp did not listen on {addr} within 5 s ({cfg:?}):\n{}", logs_text(&logs));
            }
        }
    }
    panic!("xrdp could not bind a port after 5 attempts:\n{last}");
}
