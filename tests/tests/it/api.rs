//! The embedding API: an owned probe future spawned on tokio, options checked when built,
//! `Display` spellings equal to the JSON ones, and name resolution with its own deadline
//! (hosts file, NXDOMAIN, a DNS server that never answers) against fake DNS servers on
//! 127.0.0.x only.

use futures_util::StreamExt;
use rdp_probe::scan::ScanOptions;
use rdp_probe::{
    BlockingStep, NlaRequirement, Phase, ProbeOptions, Resolver, SecurityLayer, Severity, Status, Steps, Target,
    VerdictState,
};
use rdp_probe_tests::{closed_port, xrdp, XrdpConfig};
use std::error::Error as _;
use std::net::{SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// `tokio::spawn(probe_owned(..))` compiles (the future is Send + 'static) and probes xrdp.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spawned_probe_owned_reads_xrdp() {
    let x = xrdp(XrdpConfig::default());
    let opts = Arc::new(
        ProbeOptions::builder().timeout(Duration::from_secs(3)).steps(Steps::NEGOTIATION).try_build().unwrap(),
    );
    let tasks: Vec<_> = (0..2)
        .map(|_| tokio::spawn(rdp_probe::probe_owned(Target::from_addr(x.addr.ip(), x.addr.port()), opts.clone())))
        .collect();
    for t in tasks {
        let r = t.await.unwrap();
        assert_eq!(r.status, Status::Rdp, "{r:?}");
        assert_eq!(r.address, Some(x.addr.to_string()));
        let v = r.verdict.expect("verdict");
        assert_ne!(v.state, VerdictState::Unreachable, "{v:?}");
        assert!(r.negotiation.is_some_and(|n| n.security_layer == Some(SecurityLayer::Negotiate)));
    }
}

/// Builders correct what cannot work and say so; try_build refuses it; the scan engine clamps
/// struct-literal values instead of panicking or stalling.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn options_are_checked_and_clamped() {
    // Cookie with CR LF / too long: refused by try_build, cleaned by build.
    let b = ProbeOptions::builder().cookie("ad\r\nmin");
    assert_eq!(b.warnings().len(), 1);
    let e = b.clone().try_build().unwrap_err();
    assert_eq!(e.option, "cookie");
    assert!(e.source().is_some(), "{e}");
    let o = b.build();
    assert_eq!(o.cookie, Some(rdp_probe::Cookie::Mstshash("admin".into())));
    assert!(o.warnings().is_empty());
    let long = "x".repeat(500);
    let o = ProbeOptions::builder().cookie(&long).build();
    let cr = rdp_probe::wire::x224::ConnectionRequest { cookie: o.cookie.clone(), ..Default::default() };
    assert!(cr.encode().is_ok(), "{:?}", o.cookie);
    assert!(ProbeOptions::builder().routing_token(b"Cookie: msts=1\r\n2").try_build().is_err());
    let lit = ProbeOptions { cookie: Some(rdp_probe::Cookie::Mstshash("a\nb".into())), ..ProbeOptions::default() };
    assert_eq!(lit.warnings().len(), 1);
    assert!(ProbeOptions::builder().cookie("admin").try_build().is_ok());

    // Scan options: per_host(usize::MAX), rate 0 / negative / NaN.
    let b = ScanOptions::builder().per_host(usize::MAX).rate(0.0);
    assert_eq!(b.warnings().len(), 2, "{:?}", b.warnings());
    assert!(b.clone().try_build().is_err());
    let so = b.build();
    assert_eq!(so.per_host, rdp_probe::scan::MAX_PER_HOST);
    assert_eq!(so.rate, None);
    assert!(ScanOptions::builder().concurrency(8).rate(100.0).per_host(2).try_build().is_ok());

    let port = closed_port().port();
    let probe = ProbeOptions::builder().steps(Steps::NEGOTIATION).timeout(Duration::from_secs(2)).build();
    for rate in [0.0, -5.0, f64::NAN, f64::INFINITY] {
        let lit = ScanOptions { rate: Some(rate), per_host: usize::MAX, concurrency: 0, ..ScanOptions::default() };
        assert_eq!(lit.warnings().len(), 3, "{rate}: {:?}", lit.warnings());
        let targets: Vec<Target> = (0..20).map(|_| Target::from_addr([127, 0, 0, 1].into(), port)).collect();
        let t0 = Instant::now();
        let reports: Vec<_> = tokio::time::timeout(
            Duration::from_secs(20),
            rdp_probe::scan_with(targets, &probe, &lit).collect::<Vec<_>>(),
        )
        .await
        .unwrap_or_else(|_| panic!("rate {rate}: the scan stalled"));
        assert_eq!(reports.len(), 20);
        assert!(reports.iter().all(|r| r.status == Status::Refused), "{rate}");
        assert!(t0.elapsed() < Duration::from_secs(5), "rate {rate}: {:?}", t0.elapsed());
    }
}

/// Display of every public enum variant is its serde spelling.
#[test]
fn display_spellings_equal_serde() {
    macro_rules! check {
        ($($v:expr),* $(,)?) => {
            $( assert_eq!($v.to_string(), serde_json::to_value($v).unwrap().as_str().unwrap()); )*
        };
    }
    use Status::*;
    check!(Rdp, NotRdp, Refused, Timeout, Reset, DnsError, Error);
    check!(
        Phase::Resolve,
        Phase::Connect,
        Phase::SendCr,
        Phase::ReadCc,
        Phase::Tls,
        Phase::Nla,
        Phase::Mcs,
        Phase::Overall,
    );
    check!(SecurityLayer::Rdp, SecurityLayer::Negotiate, SecurityLayer::Ssl, SecurityLayer::Unknown);
    check!(NlaRequirement::Required, NlaRequirement::Offered, NlaRequirement::NotSupported, NlaRequirement::Unknown);
    check!(Severity::Info, Severity::Warning, Severity::Critical);
    check!(
        VerdictState::Usable,
        VerdictState::UsableWithWarnings,
        VerdictState::Unusable,
        VerdictState::NotRdp,
        VerdictState::Unreachable,
    );
    check!(
        BlockingStep::Dns,
        BlockingStep::Proxy,
        BlockingStep::Tcp,
        BlockingStep::X224,
        BlockingStep::Tls,
        BlockingStep::Nla,
        BlockingStep::Mcs,
    );
    assert_eq!(Phase::ReadCc.to_string(), "read_cc");
    assert_eq!(NlaRequirement::NotSupported.to_string(), "not_supported");
}

/// A fake DNS server on 127.0.0.53 (UDP, and TCP on the same port): answers NXDOMAIN to every
/// query, or never answers. Counts the queries; stops when dropped.
struct FakeDns {
    addr: SocketAddr,
    queries: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    _tcp: std::net::TcpListener,
}

impl FakeDns {
    fn start(answer: bool) -> FakeDns {
        let (udp, tcp) = (0..20)
            .find_map(|_| {
                let udp = UdpSocket::bind("127.0.0.53:0").ok()?;
                let tcp = std::net::TcpListener::bind(udp.local_addr().ok()?).ok()?;
                Some((udp, tcp))
            })
            .expect("bind 127.0.0.53");
        let addr = udp.local_addr().unwrap();
        udp.set_read_timeout(Some(Duration::from_millis(50))).unwrap();
        let queries = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (q, s) = (queries.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut buf = [0u8; 1500];
            while !s.load(Ordering::Relaxed) {
                let Ok((n, from)) = udp.recv_from(&mut buf) else { continue };
                q.fetch_add(1, Ordering::Relaxed);
                if answer {
                    if let Some(r) = nxdomain(&buf[..n]) {
                        let _ = udp.send_to(&r, from);
                    }
                }
            }
        });
        FakeDns { addr, queries, stop, _tcp: tcp }
    }
}

impl Drop for FakeDns {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// The NXDOMAIN answer to a query: same id and question, QR RD RA, RCODE 3, no records.
fn nxdomain(q: &[u8]) -> Option<Vec<u8>> {
    let mut i = 12;
    while *q.get(i)? != 0 {
        i += 1 + usize::from(*q.get(i)?);
    }
    let end = i + 1 + 4; // root label, QTYPE, QCLASS
    let mut r = q.get(..end)?.to_vec();
    r[2] = 0x81 | (q[2] & 0x01); // QR, RD copied
    r[3] = 0x83; // RA, NXDOMAIN
    r[4..12].copy_from_slice(&[0, 1, 0, 0, 0, 0, 0, 0]);
    Some(r)
}

fn opts_with(resolver: Resolver, timeout: Duration) -> ProbeOptions {
    ProbeOptions::builder().steps(Steps::NEGOTIATION).timeout(timeout).resolver(resolver).build()
}

/// `localhost` through the system configuration (answered from the hosts file, no DNS query),
/// a name from an explicit hosts file (the fake server is never asked), and a name the fake
/// server says does not exist (dns_error, phase resolve).
#[tokio::test]
async fn names_from_hosts_files_and_nxdomain() {
    let port = closed_port().port();
    let r = rdp_probe::probe(
        &Target::parse(&format!("localhost:{port}"), 3389).unwrap(),
        &ProbeOptions::builder().steps(Steps::NEGOTIATION).timeout(Duration::from_secs(2)).build(),
    )
    .await;
    assert_eq!(r.status, Status::Refused, "{r:?}");
    assert_eq!(r.address, Some(format!("127.0.0.1:{port}")));

    let dns = FakeDns::start(true);
    let dir = tempfile::tempdir().unwrap();
    let hosts = dir.path().join("hosts");
    std::fs::write(&hosts, "# test\n127.0.0.1 rdp-probe-api-test.example\n").unwrap();
    let resolver = Resolver::with_name_servers_and_hosts([dns.addr], &hosts);
    let o = opts_with(resolver, Duration::from_secs(2));
    let r = rdp_probe::probe(&Target::parse(&format!("rdp-probe-api-test.example:{port}"), 3389).unwrap(), &o).await;
    assert_eq!(r.status, Status::Refused, "{r:?}");
    assert_eq!(r.address, Some(format!("127.0.0.1:{port}")));
    assert_eq!(dns.queries.load(Ordering::Relaxed), 0, "a hosts-file name must not reach DNS");

    let t0 = Instant::now();
    let r = rdp_probe::probe(&Target::parse("nothing-here.rdp-probe-test.example", 3389).unwrap(), &o).await;
    assert_eq!(r.status, Status::DnsError, "{r:?}");
    assert_eq!(r.error_phase, Some(Phase::Resolve));
    assert!(r.error.as_deref().is_some_and(|e| e.contains("NXDOMAIN")), "{:?}", r.error);
    assert!(dns.queries.load(Ordering::Relaxed) >= 1);
    assert!(t0.elapsed() < Duration::from_secs(1), "{:?}", t0.elapsed());
    assert_eq!(r.verdict.map(|v| v.blocking_step), Some(Some(BlockingStep::Dns)));
}

/// A DNS server that never answers: each lookup ends at the connect timeout with status timeout
/// (phase resolve), and no blocking-pool thread is started (a current-thread runtime starts a
/// thread only for the blocking pool; `lookup_host` would start one per lookup and leave it
/// waiting).
#[test]
fn silent_dns_times_out_at_the_deadline_without_threads() {
    let started = Arc::new(AtomicUsize::new(0));
    let s = started.clone();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .thread_name_fn(move || {
            s.fetch_add(1, Ordering::Relaxed);
            "blocking".into()
        })
        .build()
        .unwrap();
    let dns = FakeDns::start(false);
    let deadline = Duration::from_millis(400);
    let o = opts_with(Resolver::with_name_servers([dns.addr]), deadline);
    rt.block_on(async {
        for i in 0..3 {
            let t0 = Instant::now();
            let t = Target::parse(&format!("silent-{i}.rdp-probe-test.example"), 3389).unwrap();
            let r = rdp_probe::probe(&t, &o).await;
            let took = t0.elapsed();
            assert_eq!(r.status, Status::Timeout, "{r:?}");
            assert_eq!(r.error_phase, Some(Phase::Resolve), "{r:?}");
            assert!(took >= deadline - Duration::from_millis(50) && took < deadline * 3, "{took:?}");
        }
    });
    assert!(dns.queries.load(Ordering::Relaxed) >= 3);
    assert_eq!(started.load(Ordering::Relaxed), 0, "blocking-pool threads started by the lookups");
    drop(rt);
}
