//! Connection reuse and overlap in the probe plan: how many TCP connections a full default
//! probe opens against real servers, that the `--raw` transcript labels every connection and
//! shows a continued connection's later exchanges under its own number, and that a strictly
//! sequential probe (`parallel_connections(1)`) reports the same facts.

use rdp_probe::report::Direction;
use rdp_probe::{ProbeOptions, Report, Status, Steps, Target};
use rdp_probe_tests::*;
use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::time::Duration;

fn opts(parallel: usize) -> ProbeOptions {
    ProbeOptions::builder()
        .timeout(Duration::from_secs(5))
        .overall_timeout(Duration::from_secs(30))
        .parallel_connections(parallel)
        .raw(true)
        .build()
}

fn probe(addr: SocketAddr, o: &ProbeOptions) -> Report {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    rt.block_on(rdp_probe::probe(&Target::from_addr(addr.ip(), addr.port()), o))
}

/// Connections opened (transcript numbers), after checking the transcript's shape: every
/// entry labelled, every connection opened once with a `connect` note, and every continued
/// connection's later exchanges under its number with the new step's label.
fn connections(r: &Report) -> usize {
    let mut opened = BTreeSet::new();
    for e in &r.transcript {
        assert!(!e.label.is_empty(), "unlabelled transcript entry {e:?}");
        if e.direction == Direction::Note && e.data.starts_with("connect ") {
            assert!(opened.insert(e.connection), "connection {} opened twice", e.connection);
        }
    }
    let used: BTreeSet<u32> = r.transcript.iter().map(|e| e.connection).collect();
    assert_eq!(opened, used, "every connection in the transcript starts with its connect note");
    for e in r.transcript.iter().filter(|e| e.direction == Direction::Note && e.data.starts_with("continue on")) {
        assert!(e.data.contains(&format!("connection {}", e.connection)), "{e:?}");
        let later =
            r.transcript.iter().skip_while(|x| !std::ptr::eq(*x, e)).skip(1).find(|x| x.connection == e.connection);
        if let Some(x) = later {
            assert_eq!(x.label, e.label, "after the reuse note, connection {} speaks for {}", e.connection, e.label);
        }
    }
    opened.len()
}

/// What the report says, without timings, the transcript, the local address, the probe's
/// start time and the certificate's whole days left (a probe started a second later may round to one less): the
/// facts that must not depend on reuse or overlap.
fn facts(r: &Report) -> serde_json::Value {
    fn strip(v: &mut serde_json::Value) {
        match v {
            serde_json::Value::Object(m) => {
                m.retain(|k, _| {
                    !matches!(
                        k.as_str(),
                        "transcript" | "timings_ms" | "ms" | "source" | "days_until_expiry" | "probed_at" | "judged_at"
                    ) && !k.ends_with("_ms")
                });
                m.values_mut().for_each(strip);
            }
            serde_json::Value::Array(a) => a.iter_mut().for_each(strip),
            _ => {}
        }
    }
    let mut v = serde_json::to_value(r).unwrap();
    strip(&mut v);
    v
}

#[test]
fn xrdp_negotiate_reuses_tls_and_mcs_connections() {
    let server = xrdp(XrdpConfig { security_layer: "negotiate".into(), ..Default::default() });
    let r = probe(server.addr, &opts(2));
    assert_eq!(r.status, Status::Rdp, "{r:#?}");
    let n = connections(&r);
    // 7 negotiation + rustls + 4 TLS versions + Direct Approach + 6 MCS (all, then each
    // method) = 19, less what continues on negotiation connections: rustls on request
    // 0x01's, a version probe on the full request's, the all-methods Connect-Initial on
    // 0x00's, three per-method offers on the downgraded answers (0x02, 0x04, 0x08), and the
    // per-method offer of the method the server chose (the all-methods answer says it).
    assert!(n <= 12, "{n} connections (19 before reuse, 17 with the first reuse)");
    let continued: Vec<&str> =
        r.transcript.iter().filter(|e| e.data.starts_with("continue on")).filter_map(|e| e.data.text()).collect();
    assert!(
        continued
            .iter()
            .filter(|d| d.contains("(negotiation 0x2)")
                || d.contains("(negotiation 0x4)")
                || d.contains("(negotiation 0x8)"))
            .count()
            == 3,
        "per-method offers continue on the downgraded answers' connections: {continued:?}"
    );
    let labels: Vec<&str> =
        r.transcript.iter().filter(|e| e.data.starts_with("continue on")).map(|e| e.label.as_str()).collect();
    assert!(labels.iter().any(|l| l.starts_with("tls ")), "{labels:?}");
    assert!(labels.contains(&"mcs rdp methods 0x1b"), "{labels:?}");
    let tls = r.tls.as_ref().unwrap();
    assert!(tls.rustls_handshake, "{tls:#?}");
    assert_eq!(tls.requested_protocols, Some(1));
    assert!(r.mcs.as_ref().unwrap().error.is_none(), "{:#?}", r.mcs);
    let sequential = probe(server.addr, &opts(1));
    assert_eq!(facts(&sequential), facts(&r), "parallel_connections 1 and 2 report the same facts");
}

#[test]
fn xrdp_rdp_reuses_the_mcs_connection() {
    let server = xrdp(XrdpConfig { security_layer: "rdp".into(), ..Default::default() });
    let r = probe(server.addr, &opts(2));
    assert_eq!(r.status, Status::Rdp, "{r:#?}");
    let n = connections(&r);
    // 7 negotiation + 6 MCS: every per-method offer but one continues on a negotiation
    // connection whose request got PROTOCOL_RDP (xrdp downgrades every request), the chosen
    // method's answer is the all-methods offer's.
    assert!(n <= 8, "{n} connections (13 before reuse, 12 with the first reuse)");
    let sequential = probe(server.addr, &opts(1));
    assert_eq!(facts(&sequential), facts(&r), "parallel_connections 1 and 2 report the same facts");
}

#[test]
fn shadow_nla_reuses_tls_and_credssp_connections() {
    let server = freerdp_shadow(ShadowConfig::default());
    let r = probe(server.addr, &opts(2));
    assert_eq!(r.status, Status::Rdp, "{r:#?}");
    let n = connections(&r);
    // 7 negotiation + 4 TLS versions + Direct Approach + rustls: CredSSP continues on the full
    // request's connection, one version probe on request 0x02's.
    assert!(n <= 12, "{n} connections (14 before reuse)");
    let nla = r.nla.as_ref().unwrap();
    assert!(nla.ntlm.is_some(), "{nla:#?}");
    assert!(
        r.transcript.iter().any(|e| e.label == "nla credssp" && e.data.starts_with("continue on")),
        "CredSSP continues on a negotiation connection"
    );
}

/// A server that closes a connection left waiting after its X.224 answer (here: the first
/// one that asked for Standard RDP Security, closed right after its Connection Confirm) does
/// not turn into a "closed" fact: the MCS step asks again on a new connection and reports
/// what the server answers there, as it did before connections were kept.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kept_connection_closed_while_waiting_is_asked_again() {
    use super::hostile::{cc, hostile, opts, read_frame};
    use rdp_probe::wire::x224::Protocol;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    use tokio::io::AsyncWriteExt;
    use tokio::net::TcpStream;

    let first_rdp = Arc::new(AtomicBool::new(true));
    let h = hostile(move |mut s: TcpStream| {
        let first_rdp = first_rdp.clone();
        async move {
            let Some(cr) = read_frame(&mut s).await else { return };
            // RDP_NEG_REQ ends the CR: type 1, flags, length 8, requestedProtocols (LE).
            let n = cr.len();
            let requested =
                (n >= 8 && cr[n - 8] == 1).then(|| u32::from_le_bytes([cr[n - 4], cr[n - 3], cr[n - 2], cr[n - 1]]));
            if s.write_all(&cc(Protocol::Rdp)).await.is_err() {
                return;
            }
            if requested == Some(0) && first_rdp.swap(false, Ordering::SeqCst) {
                return; // closed while the probe kept it
            }
            if read_frame(&mut s).await.is_some() {
                // Any MCS Connect-Initial: a Disconnect-Provider-Ultimatum (rn-user-requested).
                let _ = s.write_all(&[3, 0, 0, 9, 2, 0xf0, 0x80, 0x21, 0x80]).await;
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    })
    .await;
    let mut o = opts(1000, 10_000, Steps { mcs: true, mcs_methods: false, ..Steps::NEGOTIATION });
    o.raw = true;
    let t = Target::from_addr(h.addr.ip(), h.addr.port());
    let r = rdp_probe::probe(&t, &o).await;
    assert_eq!(r.status, Status::Rdp, "{r:#?}");
    let mcs = r.mcs.as_ref().unwrap();
    let err = mcs.error.as_ref().map(|e| e.detail.clone()).unwrap_or_default();
    assert!(err.contains("Disconnect-Provider-Ultimatum"), "the answer on a new connection, not the close: {mcs:#?}");
    let continued =
        r.transcript.iter().filter(|e| e.data.starts_with("continue on") && e.label.starts_with("mcs rdp")).count();
    let reopened =
        r.transcript.iter().filter(|e| e.data.starts_with("connect ") && e.label.starts_with("mcs rdp")).count();
    assert_eq!((continued, reopened), (1, 1), "kept connection tried, then a new one");
    connections(&r);
}

/// A listener that accepts slowly behind a listen backlog of 1 (an xrdp under load): the
/// plan's burst overflows the queue and the kernel drops SYNs. The probe races a second
/// handshake, backs off, and loses no answer: every request of the plan gets the server's
/// Connection Confirm, none is reported closed or timed out.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_accepting_listener_with_a_tiny_backlog_loses_no_answer() {
    use super::hostile::{cc, read_frame};
    use rdp_probe::wire::x224::Protocol;
    use tokio::io::AsyncWriteExt;

    let sock = tokio::net::TcpSocket::new_v4().unwrap();
    sock.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let addr = sock.local_addr().unwrap();
    let listener = sock.listen(1).unwrap();
    let server = tokio::spawn(async move {
        loop {
            let Ok((mut s, _)) = listener.accept().await else { return };
            tokio::spawn(async move {
                if read_frame(&mut s).await.is_some() {
                    let _ = s.write_all(&cc(Protocol::Rdp)).await;
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
            });
            // A busy accept loop: the queue fills while it sleeps.
            tokio::time::sleep(Duration::from_millis(60)).await;
        }
    });
    let r = extended_plan(addr).await;
    server.abort();
    assert_every_request_answered(&r);
}

/// A host that takes one connection at a time and refuses (RST) the others while one is open
/// (its port closes while it serves): the probe retries refused connections with fewer at
/// once and a pause, and every request of the plan gets the server's answer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_connection_at_a_time_host_loses_no_answer() {
    use super::hostile::{cc, read_frame};
    use rdp_probe::wire::x224::Protocol;
    use tokio::io::AsyncWriteExt;

    let bind = |addr: SocketAddr| {
        let s = tokio::net::TcpSocket::new_v4().unwrap();
        s.set_reuseaddr(true).unwrap();
        s.bind(addr).unwrap();
        s.listen(1).unwrap()
    };
    let first = bind("127.0.0.1:0".parse().unwrap());
    let addr = first.local_addr().unwrap();
    let server = tokio::spawn(async move {
        let mut listener = Some(first);
        loop {
            let l = match listener.take() {
                Some(l) => l,
                None => bind(addr),
            };
            let Ok((mut s, _)) = l.accept().await else { return };
            // Closed while it serves: the next SYNs get a reset.
            drop(l);
            if read_frame(&mut s).await.is_some() {
                let _ = s.write_all(&cc(Protocol::Rdp)).await;
            }
            tokio::time::sleep(Duration::from_millis(30)).await;
        }
    });
    let r = extended_plan(addr).await;
    server.abort();
    assert_every_request_answered(&r);
}

/// The extended negotiation plan alone against `addr` (hostile-suite timeouts).
async fn extended_plan(addr: SocketAddr) -> Report {
    let o = super::hostile::opts(3000, 20_000, Steps { negotiation_extended: true, ..Steps::NEGOTIATION });
    rdp_probe::probe(&Target::from_addr(addr.ip(), addr.port()), &o).await
}

/// No answer lost: the 7 requests of the extended plan each got the server's Connection
/// Confirm, none is reported closed or timed out.
fn assert_every_request_answered(r: &Report) {
    assert_eq!(r.status, Status::Rdp, "{r:#?}");
    let attempts = &r.negotiation.as_ref().unwrap().attempts;
    assert_eq!(attempts.len(), 7, "{attempts:#?}");
    for a in attempts {
        assert!(matches!(a.answer, rdp_probe::report::Answer::Selected { .. }), "no answer lost: {a:#?}");
    }
}
