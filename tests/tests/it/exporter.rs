//! The Prometheus exporter (`rdp-probe serve`) against real things: a real xrdp, Debian's
//! Prometheus scraping it through the blackbox relabelling pattern, `promtool check metrics`
//! on its output, and bad input (bad queries, garbage, slow clients, hanging targets, hundreds
//! of concurrent scrapes). Needs Debian's `prometheus` package (lab/install.sh installs it):
//! without it these tests fail with a message saying so.

use rdp_probe_tests::*;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const T: Duration = Duration::from_secs(10);

fn probe_path(target: &str, module: Option<&str>) -> String {
    let mut p = format!("/probe?target={}", url_encode(target));
    if let Some(m) = module {
        p += &format!("&module={}", url_encode(m));
    }
    p
}

fn get(e: &Server, path: &str, headers: &[&str]) -> HttpResponse {
    http_get(e.addr, path, headers, T).unwrap_or_else(|err| panic!("GET {path}: {err}\n{}", e.log()))
}

/// The value of the sample `line_start` (metric name with labels) in an exposition.
fn sample(text: &str, line_start: &str) -> Option<f64> {
    text.lines().find_map(|l| l.strip_prefix(line_start)?.strip_prefix(' ')?.parse().ok())
}

#[test]
fn prometheus_scrapes_the_exporter_blackbox_style() {
    require_program("prometheus", "prometheus");
    let x = xrdp(XrdpConfig::default());
    let closed = closed_port();
    let e = exporter(&[]);
    let config = format!(
        "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n\
         scrape_configs:\n  - job_name: rdp\n    metrics_path: /probe\n    static_configs:\n      - targets: ['{x}', '{c}']\n\
         \x20   relabel_configs:\n\
         \x20     - source_labels: [__address__]\n        target_label: __param_target\n\
         \x20     - source_labels: [__param_target]\n        target_label: instance\n\
         \x20     - target_label: __address__\n        replacement: '{e}'\n",
        x = x.addr,
        c = closed,
        e = e.addr
    );
    let p = prometheus(&config);
    let start = Instant::now();
    let (mut up_x, mut up_c, mut last) = (None, None, String::new());
    while start.elapsed() < Duration::from_secs(30) {
        match prometheus_query(p.addr, "rdp_up") {
            Ok(series) => {
                for (labels, v) in &series {
                    if labels["instance"] == x.addr.to_string() {
                        up_x = Some(*v);
                    } else if labels["instance"] == closed.to_string() {
                        up_c = Some(*v);
                    }
                }
                last = format!("{series:?}");
            }
            Err(err) => last = err,
        }
        if up_x == Some(1.0) && up_c == Some(0.0) {
            break;
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    assert_eq!(
        (up_x, up_c),
        (Some(1.0), Some(0.0)),
        "rdp_up after {:?}: {last}\n--- prometheus:\n{}\n--- exporter:\n{}",
        start.elapsed(),
        p.log(),
        e.log()
    );
    // The verdict is there too, with its blocking step for the closed port.
    let v = prometheus_query(p.addr, &format!("rdp_verdict_info{{instance=\"{closed}\"}}")).unwrap();
    assert_eq!(v.len(), 1, "{v:?}");
    assert_eq!((v[0].0["state"].as_str(), v[0].0["blocking_step"].as_str()), (Some("unreachable"), Some("tcp")));
}

#[test]
fn probe_metrics_pass_promtool_and_modules_and_allow_work() {
    require_program("promtool", "prometheus");
    let x = xrdp(XrdpConfig::default());
    let dir = tempfile::tempdir().unwrap();
    let cfg = write_file(dir.path(), "modules.toml", "[modules.quick]\nquick = true\ntimeout = 2\n");
    let e = exporter(&["--config", &cfg, "--allow", "127.0.0.1/32", "--allow", "::1"]);

    // A full probe of xrdp: every metric a TLS + MCS listener has, and promtool is content.
    let r = get(&e, &probe_path(&x.addr.to_string(), None), &[]);
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.header("content-type"), Some("text/plain; version=0.0.4; charset=utf-8"));
    let m = &r.body;
    assert_eq!(sample(m, "rdp_up"), Some(1.0), "{m}");
    assert_eq!(sample(m, "rdp_status_info{status=\"rdp\"}"), Some(1.0), "{m}");
    assert_eq!(sample(m, "rdp_verdict_info{state=\"usable_with_warnings\",blocking_step=\"none\"}"), Some(1.0), "{m}");
    assert_eq!(sample(m, "rdp_nla_required"), Some(0.0), "{m}");
    assert_eq!(sample(m, "rdp_security_layer_info{security_layer=\"negotiate\"}"), Some(1.0), "{m}");
    assert_eq!(sample(m, "rdp_tls_version_supported{version=\"1.2\"}"), Some(1.0), "{m}");
    assert_eq!(sample(m, "rdp_tls_version_supported{version=\"1.0\"}"), Some(0.0), "{m}");
    assert_eq!(sample(m, "rdp_encryption_level_info{level=\"high\"}"), Some(1.0), "{m}");
    assert!(sample(m, "rdp_findings{severity=\"warning\"}").unwrap_or(0.0) >= 1.0, "{m}");
    assert!(sample(m, "rdp_probe_duration_seconds{phase=\"total\"}").is_some_and(|s| s > 0.0), "{m}");
    assert!(sample(m, "rdp_probe_duration_seconds{phase=\"tls\"}").is_some(), "{m}");
    // The harness's certificate is valid for 365 days.
    let not_after = sample(m, "rdp_tls_cert_not_after_timestamp_seconds").unwrap_or_else(|| panic!("{m}"));
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs_f64();
    assert!((not_after - now - 365.0 * 86_400.0).abs() < 2.0 * 86_400.0, "{not_after} vs {now}");
    promtool_check_metrics(m).unwrap_or_else(|err| panic!("{err}\n{m}"));

    // A failed probe is 200 with rdp_up 0, and passes promtool too.
    let r = get(&e, &probe_path(&closed_port().to_string(), None), &[]);
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(sample(&r.body, "rdp_up"), Some(0.0), "{}", r.body);
    assert_eq!(sample(&r.body, "rdp_verdict_info{state=\"unreachable\",blocking_step=\"tcp\"}"), Some(1.0));
    promtool_check_metrics(&r.body).unwrap_or_else(|err| panic!("{err}\n{}", r.body));

    // The quick module from the file: negotiation only, no TLS metrics.
    let r = get(&e, &probe_path(&x.addr.to_string(), Some("quick")), &[]);
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(sample(&r.body, "rdp_up"), Some(1.0), "{}", r.body);
    assert!(!r.body.contains("rdp_tls_") && !r.body.contains("rdp_encryption_level"), "{}", r.body);
    assert!(!r.body.contains("phase=\"tls\""), "{}", r.body);

    // --allow: a host name is resolved here and every address checked; outside is 403.
    let r = get(&e, &probe_path(&format!("localhost:{}", x.port()), Some("quick")), &[]);
    assert_eq!((r.status, sample(&r.body, "rdp_up")), (200, Some(1.0)), "{r:?}");
    let r = get(&e, &probe_path(&format!("127.0.0.2:{}", x.port()), None), &[]);
    assert_eq!(r.status, 403, "{r:?}");
    assert_eq!(r.body, "target 127.0.0.2 is outside --allow\n");

    // The exporter's own metrics.
    let r = get(&e, "/metrics", &[]);
    assert_eq!(r.status, 200);
    assert_eq!(sample(&r.body, "rdp_exporter_probes_total"), Some(4.0), "{}", r.body);
    assert_eq!(sample(&r.body, "rdp_exporter_probe_failures_total"), Some(1.0), "{}", r.body);
    assert_eq!(sample(&r.body, "rdp_exporter_probes_in_flight"), Some(0.0), "{}", r.body);
    assert_eq!(sample(&r.body, "rdp_exporter_requests_rejected_total{reason=\"forbidden\"}"), Some(1.0));
    promtool_check_metrics(&r.body).unwrap_or_else(|err| panic!("{err}\n{}", r.body));
}

#[test]
fn bad_queries_get_400_and_garbage_does_not_hurt() {
    let e = exporter(&["--allow", "127.0.0.0/8"]);
    let closed = closed_port().to_string();
    for (path, reason) in [
        ("/probe", "missing parameter target (/probe?target=HOST:PORT)"),
        ("/probe?module=default", "missing parameter target (/probe?target=HOST:PORT)"),
        ("/probe?target=", "target \"\": empty target"),
        ("/probe?target=a%2Fb", "target \"a/b\": invalid target \"a/b\""),
        ("/probe?target=h:0", "target \"h:0\": invalid port in \"h:0\""),
        ("/probe?target=%5B%3A%3A1", "target \"[::1\": invalid target \"[::1\""),
        ("/probe?target=127.0.0.1:1&target=127.0.0.1:2", "parameter target given more than once"),
        ("/probe?target=127.0.0.1:1&module=nope", "unknown module \"nope\" (known: default)"),
    ] {
        let r = get(&e, path, &[]);
        assert_eq!((r.status, r.body.as_str()), (400, format!("{reason}\n").as_str()), "{path}");
    }
    let r = get(&e, &probe_path(&closed, None), &["X-Prometheus-Scrape-Timeout-Seconds: soon"]);
    assert_eq!(r.status, 400, "{r:?}");
    assert_eq!(r.body, "invalid X-Prometheus-Scrape-Timeout-Seconds: \"soon\"\n");
    assert_eq!(get(&e, "/nothing", &[]).status, 404);

    // Garbage: not HTTP, binary, a huge head, a POST. The exporter answers or closes, and lives.
    let huge = format!("GET /probe?target={} HTTP/1.1\r\nX-Pad: {}\r\n\r\n", closed, "a".repeat(100_000));
    for junk in [
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03garbage".to_vec(),
        b"HELLO\r\n\r\n".to_vec(),
        b"GET /probe?target=\xff\xfe HTTP/1.1\r\nHost: x\r\n\r\n".to_vec(),
        b"\x03\x00\x00\x13\x0e\xe0\x00\x00\x00\x00\x00\x01\x00\x08\x00\x0b\x00\x00\x00".to_vec(),
        huge.into_bytes(),
        b"POST /probe?target=127.0.0.1:1 HTTP/1.1\r\nConnection: close\r\nContent-Length: 5\r\n\r\nhello".to_vec(),
    ] {
        let mut s = TcpStream::connect(e.addr).unwrap();
        s.set_read_timeout(Some(T)).unwrap();
        let _ = s.write_all(&junk);
        let mut buf = Vec::new();
        let _ = s.read_to_end(&mut buf); // answered (4xx) or closed, within the read timeout
        let answer = String::from_utf8_lossy(&buf);
        assert!(buf.is_empty() || answer.starts_with("HTTP/1.1 4"), "{answer}");
    }
    let r = get(&e, &probe_path(&closed, None), &[]);
    assert_eq!((r.status, sample(&r.body, "rdp_up")), (200, Some(0.0)), "{r:?}");
    assert_eq!(
        sample(&get(&e, "/metrics", &[]).body, "rdp_exporter_requests_rejected_total{reason=\"bad_request\"}"),
        Some(9.0)
    );
}

#[test]
fn slow_clients_are_cut_off_by_the_header_timeout() {
    let e = exporter(&["--header-timeout", "1"]);
    // 50 clients that start a request and never finish it.
    let t0 = Instant::now();
    let mut slow: Vec<TcpStream> = (0..50)
        .map(|_| {
            let mut s = TcpStream::connect(e.addr).unwrap();
            s.write_all(b"GET /probe?target=127.0.0.1:1 HTTP/1.1\r\nHost: x\r\n").unwrap();
            s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
            s
        })
        .collect();
    // Others are still served meanwhile.
    let r = get(&e, "/metrics", &[]);
    assert_eq!(r.status, 200);
    assert!(t0.elapsed() < Duration::from_millis(900), "{:?}", t0.elapsed());
    for s in &mut slow {
        let mut buf = Vec::new();
        let res = s.read_to_end(&mut buf); // EOF (or a reset, or a 408) once the header timeout passes
        let answer = String::from_utf8_lossy(&buf);
        assert!(res.is_ok() || buf.is_empty(), "{res:?}");
        assert!(buf.is_empty() || answer.starts_with("HTTP/1.1 408"), "{answer}");
    }
    let took = t0.elapsed();
    assert!(took >= Duration::from_millis(900) && took < Duration::from_secs(3), "closed after {took:?}");
}

#[test]
fn a_hanging_target_is_answered_within_the_scrape_timeout() {
    let (addr, _l) = silent_listener();
    let e = exporter(&[]);
    let t0 = Instant::now();
    let r = get(&e, &probe_path(&addr.to_string(), None), &["X-Prometheus-Scrape-Timeout-Seconds: 2"]);
    let took = t0.elapsed();
    assert_eq!(r.status, 200, "{r:?}");
    assert!(took >= Duration::from_millis(1300) && took < Duration::from_secs(2), "answered after {took:?}");
    assert_eq!(sample(&r.body, "rdp_up"), Some(0.0), "{}", r.body);
    assert_eq!(sample(&r.body, "rdp_status_info{status=\"timeout\"}"), Some(1.0), "{}", r.body);
    promtool_check_metrics(&r.body).unwrap_or_else(|err| panic!("{err}\n{}", r.body));
}

/// A listener that holds every connection without a byte and records the most connections
/// open at once. One thread accepts and, before counting a new connection, drops those the
/// exporter has closed: the exporter closes a probe's socket before it frees its slot, so the
/// FIN is in before the next probe's SYN, and the count is exact.
struct CountingListener {
    addr: SocketAddr,
    max_open: Arc<AtomicUsize>,
    accepted: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
}

/// Whether the peer has closed `s` (reads and discards what it sent; never blocks).
fn peer_closed(s: &mut TcpStream) -> bool {
    let mut buf = [0u8; 4096];
    loop {
        match s.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => continue,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return false,
            Err(_) => return true,
        }
    }
}

impl CountingListener {
    fn start() -> CountingListener {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        let (max_open, accepted) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let stop = Arc::new(AtomicBool::new(false));
        let (m, a, st) = (max_open.clone(), accepted.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut open: Vec<TcpStream> = Vec::new();
            for s in l.incoming() {
                if st.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(s) = s else { continue };
                s.set_nonblocking(true).unwrap();
                a.fetch_add(1, Ordering::SeqCst);
                open.retain_mut(|c| !peer_closed(c));
                open.push(s);
                m.fetch_max(open.len(), Ordering::SeqCst);
            }
        });
        CountingListener { addr, max_open, accepted, stop }
    }
}

impl Drop for CountingListener {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_millis(200));
    }
}

#[test]
fn hundreds_of_concurrent_scrapes_respect_the_bound() {
    let target = CountingListener::start();
    let e = exporter(&["--max-concurrent", "4"]);
    let path = probe_path(&target.addr.to_string(), None);
    let n = 200;
    let t0 = Instant::now();
    let handles: Vec<_> = (0..n)
        .map(|_| {
            let (addr, path) = (e.addr, path.clone());
            std::thread::spawn(move || {
                let t = Instant::now();
                let r = http_get(addr, &path, &["X-Prometheus-Scrape-Timeout-Seconds: 1.5"], T);
                (r, t.elapsed())
            })
        })
        .collect();
    let (mut ok, mut busy) = (0, 0);
    for h in handles {
        let (r, took) = h.join().unwrap();
        let r = r.unwrap_or_else(|err| panic!("{err}\n{}", e.log()));
        // Budget 1.5 s - 0.5 s margin = 1 s, plus the time to get through 200 connects.
        assert!(took < Duration::from_millis(2500), "answered after {took:?}");
        match r.status {
            200 => {
                ok += 1;
                assert_eq!(sample(&r.body, "rdp_up"), Some(0.0), "{}", r.body);
            }
            503 => {
                busy += 1;
                assert!(r.body.starts_with("all 4 probe slots busy"), "{}", r.body);
            }
            s => panic!("status {s}: {r:?}"),
        }
    }
    let max_open = target.max_open.load(Ordering::SeqCst);
    assert!(max_open <= 4, "{max_open} probes at once (bound 4)");
    assert!(ok >= 4 && busy >= n / 2, "ok {ok}, busy {busy} after {:?}", t0.elapsed());
    assert!(target.accepted.load(Ordering::SeqCst) <= ok, "every probe that ran answered 200");
    let m = get(&e, "/metrics", &[]).body;
    assert_eq!(sample(&m, "rdp_exporter_requests_rejected_total{reason=\"overloaded\"}"), Some(busy as f64), "{m}");
    assert_eq!(sample(&m, "rdp_exporter_probes_total"), Some(ok as f64), "{m}");
    assert_eq!(sample(&m, "rdp_exporter_probes_in_flight"), Some(0.0), "{m}");
    assert_eq!(sample(&m, "rdp_exporter_probes_waiting"), Some(0.0), "{m}");
}
