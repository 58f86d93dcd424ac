//! `--proxy socks5://...`: probes through a SOCKS5 proxy (RFC 1928/1929) written here, a few
//! dozen lines of tokio that relay to the real target, so the test sees what the proxy saw.

use rdp_probe::options::Proxy;
use rdp_probe::{ProbeOptions, Status, Steps, Target};
use rdp_probe_tests::{xrdp, XrdpConfig};
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What the proxy does with a CONNECT.
#[derive(Clone, Copy)]
enum Mode {
    Relay,
    /// Reply code 5 (connection refused) without connecting.
    Refuse,
}

/// Serves SOCKS5 on 127.0.0.1; counts CONNECTs; requires user/password when `auth` is set.
async fn socks5(mode: Mode, auth: Option<(&'static str, &'static str)>) -> (SocketAddr, Arc<AtomicUsize>) {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    let connects = Arc::new(AtomicUsize::new(0));
    let count = connects.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut c, _)) = l.accept().await else { return };
            let count = count.clone();
            tokio::spawn(async move {
                let mut hdr = [0u8; 2];
                c.read_exact(&mut hdr).await.ok()?;
                let mut methods = vec![0u8; hdr[1] as usize];
                c.read_exact(&mut methods).await.ok()?;
                let want = if auth.is_some() { 2 } else { 0 };
                if !methods.contains(&want) {
                    c.write_all(&[5, 0xff]).await.ok()?;
                    return None;
                }
                c.write_all(&[5, want]).await.ok()?;
                if let Some((u, p)) = auth {
                    let mut v = [0u8; 2];
                    c.read_exact(&mut v).await.ok()?;
                    let mut user = vec![0u8; v[1] as usize];
                    c.read_exact(&mut user).await.ok()?;
                    let mut pl = [0u8; 1];
                    c.read_exact(&mut pl).await.ok()?;
                    let mut pass = vec![0u8; pl[0] as usize];
                    c.read_exact(&mut pass).await.ok()?;
                    let ok = user == u.as_bytes() && pass == p.as_bytes();
                    c.write_all(&[1, if ok { 0 } else { 1 }]).await.ok()?;
                    if !ok {
                        return None;
                    }
                }
                let mut req = [0u8; 4];
                c.read_exact(&mut req).await.ok()?;
                let ip: IpAddr = match req[3] {
                    1 => {
                        let mut a = [0u8; 4];
                        c.read_exact(&mut a).await.ok()?;
                        a.into()
                    }
                    4 => {
                        let mut a = [0u8; 16];
                        c.read_exact(&mut a).await.ok()?;
                        a.into()
                    }
                    _ => return None,
                };
                let mut port = [0u8; 2];
                c.read_exact(&mut port).await.ok()?;
                let dest = SocketAddr::new(ip, u16::from_be_bytes(port));
                count.fetch_add(1, Ordering::SeqCst);
                if matches!(mode, Mode::Refuse) {
                    c.write_all(&[5, 5, 0, 1, 0, 0, 0, 0, 0, 0]).await.ok()?;
                    return None;
                }
                let mut up = TcpStream::connect(dest).await.ok()?;
                c.write_all(&[5, 0, 0, 1, 127, 0, 0, 1, 0, 0]).await.ok()?;
                let _ = tokio::io::copy_bidirectional(&mut c, &mut up).await;
                Some(())
            });
        }
    });
    (addr, connects)
}

fn opts(proxy: SocketAddr, auth: Option<(&str, &str)>) -> ProbeOptions {
    let mut o = ProbeOptions::builder()
        .timeout(Duration::from_secs(3))
        .steps(Steps { negotiation_extended: true, tls: true, ..Steps::NEGOTIATION })
        .build();
    o.proxy =
        Some(Proxy::Socks5 { address: proxy.to_string(), auth: auth.map(|(u, p)| (u.to_string(), p.to_string())) });
    o
}

/// Every connection of the probe (negotiation plan and the TLS step) goes through the proxy,
/// with and without username/password authentication, and the report is the same as direct.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn probe_through_socks5() {
    let server = xrdp(XrdpConfig { security_layer: "negotiate".into(), ..Default::default() });
    let target = Target::from_addr(server.addr.ip(), server.addr.port());
    for auth in [None, Some(("scanner", "s3cret"))] {
        let (proxy, connects) = socks5(Mode::Relay, auth).await;
        let r = rdp_probe::probe(&target, &opts(proxy, auth)).await;
        assert_eq!(r.status, Status::Rdp, "{r:#?}");
        let n = r.negotiation.as_ref().unwrap();
        assert_eq!(n.protocols_by_name()["rdp"], "accepted");
        assert_eq!(n.protocols_by_name()["ssl"], "accepted");
        assert!(r.tls.as_ref().and_then(|t| t.certificate.as_ref()).is_some(), "{:#?}", r.tls);
        // 7 negotiation requests through the proxy; the TLS handshake continues on request
        // 0x01's connection through the relay, as it does direct (one CONNECT less than
        // before connections were reused through a proxy).
        assert_eq!(connects.load(Ordering::SeqCst), 7, "CONNECTs");
    }
}

/// A proxy that refuses the CONNECT (reply 5) makes the target `refused`; wrong proxy
/// credentials are a proxy error, not a verdict on the target.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn socks5_refusals() {
    let target = Target::parse("127.0.0.1:9", 3389).unwrap();
    let (proxy, connects) = socks5(Mode::Refuse, None).await;
    let r = rdp_probe::probe(&target, &opts(proxy, None)).await;
    assert_eq!(r.status, Status::Refused, "{r:#?}");
    assert_eq!(connects.load(Ordering::SeqCst), 1);

    let (proxy, connects) = socks5(Mode::Relay, Some(("u", "right"))).await;
    let r = rdp_probe::probe(&target, &opts(proxy, Some(("u", "wrong")))).await;
    assert_eq!(r.status, Status::Error, "{r:#?}");
    assert!(r.error.as_deref().unwrap_or("").contains("proxy"), "{r:#?}");
    assert!(r.findings.iter().any(|f| f.id == "proxy-failed"), "{:#?}", r.findings);
    assert_eq!(connects.load(Ordering::SeqCst), 0);
}

/// `--session` through the proxy: the session's connection is one more CONNECT at the proxy
/// (none goes direct) and still reaches the logon screen.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn session_through_socks5() {
    let server = xrdp(XrdpConfig { security_layer: "rdp".into(), crypt_level: "high".into(), ..Default::default() });
    let target = Target::from_addr(server.addr.ip(), server.addr.port());
    let mut counts = Vec::new();
    for session in [false, true] {
        let (proxy, connects) = socks5(Mode::Relay, None).await;
        let mut o = opts(proxy, None);
        o.steps = Steps::NEGOTIATION;
        if session {
            o.steps.session = true;
            o.screenshot = true;
            o.session_timeout = Duration::from_secs(3);
        }
        let r = rdp_probe::probe(&target, &o).await;
        assert_eq!(r.status, Status::Rdp, "{r:#?}");
        if session {
            let s = r.session.as_ref().expect("session");
            assert_eq!(s.reached, Some(rdp_probe::report::session::SessionPhase::Graphics), "{s:?}");
            assert!(s.png.is_some());
        }
        counts.push(connects.load(Ordering::SeqCst));
    }
    assert_eq!(counts[1], counts[0] + 1, "the session's connection goes through the proxy: {counts:?}");
}
