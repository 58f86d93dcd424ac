//! The Prometheus exporter (`rdp-probe serve`) and Debian's Prometheus on loopback, a minimal
//! HTTP/1.1 client for both, and `promtool check metrics`.

use crate::process::{bind_failed, kill_group, logs_text, spawn_guarded, wait_listening, Ready, Server};
use crate::{free_port, rdp_probe_bin};
use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

/// Starts `rdp-probe serve --listen 127.0.0.1:PORT ARGS...` on a free port; waits (<= 10 s)
/// until it accepts TCP. Panics with its output when it does not start.
pub fn exporter(args: &[&str]) -> Server {
    let dir = tempfile::Builder::new().prefix("exporter-").tempdir().expect("tempdir");
    let out = dir.path().join("stdout.log");
    let mut last = String::new();
    for _attempt in 0..5 {
        let addr = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), free_port(IpAddr::V4(Ipv4Addr::LOCALHOST)));
        let mut argv = vec![rdp_probe_bin().display().to_string(), "serve".into(), "--listen".into(), addr.to_string()];
        argv.extend(args.iter().map(|a| a.to_string()));
        let (mut child, stdin) = spawn_guarded(&argv, &[], &out).expect("spawn rdp-probe serve");
        let logs = vec![out.clone()];
        match wait_listening(&mut child, addr, Duration::from_secs(10)) {
            Ready::Up => return Server { addr, dir, child, stdin: Some(stdin), logs },
            Ready::Exited => {
                drop(stdin);
                kill_group(&mut child);
                last = logs_text(&logs);
                assert!(bind_failed(&last), "rdp-probe serve exited at start ({args:?}):\n{last}");
            }
            Ready::TimedOut => {
                drop(stdin);
                kill_group(&mut child);
                panic!("rdp-probe serve did not listen on {addr} within 10 s:\n{}", logs_text(&logs));
            }
        }
    }
    panic!("rdp-probe serve could not bind a port after 5 attempts:\n{last}");
}

/// Panics with a clear message when a program is not installed (the tests need it; CI
/// installs it through lab/install.sh).
pub fn require_program(name: &str, package: &str) {
    let found =
        std::env::var_os("PATH").map(|p| std::env::split_paths(&p).any(|d| d.join(name).is_file())).unwrap_or(false);
    assert!(
        found,
        "`{name}` is not installed: this test needs Debian's `{package}` package \
         (apt-get install {package}; `bash lab/install.sh --deps-only` installs it)"
    );
}

/// Starts Debian's `prometheus` with `config` (YAML) on a free 127.0.0.1 port, storage in a
/// temp dir; waits (<= 30 s) until it accepts TCP. Panics when `prometheus` is not installed.
pub fn prometheus(config: &str) -> Server {
    require_program("prometheus", "prometheus");
    let dir = tempfile::Builder::new().prefix("prometheus-").tempdir().expect("tempdir");
    let cfg = dir.path().join("prometheus.yml");
    std::fs::write(&cfg, config).expect("write prometheus.yml");
    let out = dir.path().join("stdout.log");
    let mut last = String::new();
    for _attempt in 0..5 {
        let addr = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), free_port(IpAddr::V4(Ipv4Addr::LOCALHOST)));
        let data = dir.path().join(format!("data-{}", addr.port()));
        let argv = vec![
            "prometheus".to_string(),
            format!("--config.file={}", cfg.display()),
            format!("--storage.tsdb.path={}", data.display()),
            format!("--web.listen-address={addr}"),
            "--log.level=warn".into(),
        ];
        let (mut child, stdin) = spawn_guarded(&argv, &[], &out).expect("spawn prometheus");
        let logs = vec![out.clone()];
        match wait_listening(&mut child, addr, Duration::from_secs(30)) {
            Ready::Up => return Server { addr, dir, child, stdin: Some(stdin), logs },
            Ready::Exited => {
                drop(stdin);
                kill_group(&mut child);
                last = logs_text(&logs);
                assert!(bind_failed(&last), "prometheus exited at start:\n{last}");
            }
            Ready::TimedOut => {
                drop(stdin);
                kill_group(&mut child);
                panic!("prometheus did not listen on {addr} within 30 s:\n{}", logs_text(&logs));
            }
        }
    }
    panic!("prometheus could not bind a port after 5 attempts:\n{last}");
}

/// An HTTP answer.
#[derive(Debug, Clone)]
pub struct HttpResponse {
    /// Status code.
    pub status: u16,
    /// Header lines (`name: value`), as received.
    pub headers: Vec<String>,
    /// The body (Content-Length or until close; no chunked encoding).
    pub body: String,
}

impl HttpResponse {
    /// The value of header `name` (case-insensitive), if present.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find_map(|h| {
            let (k, v) = h.split_once(':')?;
            k.trim().eq_ignore_ascii_case(name).then(|| v.trim())
        })
    }
}

/// `GET path_and_query` with `headers` (`Name: value`), `Connection: close`; `timeout` bounds
/// the connect and each read.
pub fn http_get(
    addr: SocketAddr,
    path_and_query: &str,
    headers: &[&str],
    timeout: Duration,
) -> std::io::Result<HttpResponse> {
    let mut s = TcpStream::connect_timeout(&addr, timeout)?;
    s.set_read_timeout(Some(timeout))?;
    s.set_write_timeout(Some(timeout))?;
    let mut req = format!("GET {path_and_query} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for h in headers {
        req += h;
        req += "\r\n";
    }
    req += "\r\n";
    s.write_all(req.as_bytes())?;
    let mut buf = Vec::new();
    s.read_to_end(&mut buf)?;
    parse_response(&buf)
        .ok_or_else(|| std::io::Error::other(format!("bad HTTP answer: {:?}", String::from_utf8_lossy(&buf))))
}

fn parse_response(buf: &[u8]) -> Option<HttpResponse> {
    let text = String::from_utf8_lossy(buf);
    let (head, body) = text.split_once("\r\n\r\n")?;
    let mut lines = head.split("\r\n");
    let status = lines.next()?.split(' ').nth(1)?.parse().ok()?;
    Some(HttpResponse { status, headers: lines.map(str::to_string).collect(), body: body.to_string() })
}

/// Percent-encodes a query value.
pub fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// `promtool check metrics` on `text`: `Ok` when it exits 0 and prints nothing (no lint
/// problem), else its output. Panics when promtool is not installed.
pub fn promtool_check_metrics(text: &str) -> Result<(), String> {
    require_program("promtool", "prometheus");
    let mut child = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run promtool");
    child.stdin.take().expect("stdin").write_all(text.as_bytes()).expect("write to promtool");
    let o = child.wait_with_output().expect("promtool output");
    let out = format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    if o.status.success() && out.trim().is_empty() {
        Ok(())
    } else {
        Err(format!("promtool check metrics ({}): {out}", o.status))
    }
}

/// The value of the Prometheus instant query `query`, one `(labels, value)` per series.
pub fn prometheus_query(prom: SocketAddr, query: &str) -> Result<Vec<(serde_json::Value, f64)>, String> {
    let r = http_get(prom, &format!("/api/v1/query?query={}", url_encode(query)), &[], Duration::from_secs(5))
        .map_err(|e| e.to_string())?;
    let j: serde_json::Value = serde_json::from_str(&r.body).map_err(|e| format!("{e}: {}", r.body))?;
    if j["status"] != "success" {
        return Err(r.body);
    }
    let series = j["data"]["result"].as_array().cloned().unwrap_or_default();
    Ok(series
        .into_iter()
        .filter_map(|s| {
            let v = s["value"][1].as_str()?.parse().ok()?;
            Some((s["metric"].clone(), v))
        })
        .collect())
}

/// Writes `text` to `dir/name` and returns the path as a string.
pub fn write_file(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).expect("write file");
    p.display().to_string()
}
