//! Connection reuse and overlap in the probe plan: how many TCP connections a full default
//! probe opens against real servers, that the `--raw` transcript labels every connection and
//! shows a continued connection's later exchanges under its own number, and that a strictly
//! sequential probe (`parallel_connections(1)`) reports the same facts.

use rdp_probe::report::Direction;
use rdp_probe::{ProbeOptions, Report, Status, Target};
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

/// What the report says, without timings, the transcript, the local address and the
/// certificate's whole days left (a probe started a second later may round to one less): the
/// facts that must not depend on reuse or overlap.
fn facts(r: &Report) -> serde_json::Value {
    fn strip(v: &mut serde_json::Value) {
        match v {
            serde_json::Value::Object(m) => {
                m.retain(|k, _| {
                    !matches!(k.as_str(), "transcript" | "timings_ms" | "ms" | "source" | "days_until_expiry")
                        && !k.ends_with("_ms")
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
    assert_eq!(r.status, Some(Status::Rdp), "{r:#?}");
    let n = connections(&r);
    // 7 negotiation + rustls + 4 TLS versions + Direct Approach + 6 MCS (all, then each
    // method), less the two
    // that continue on negotiation connections: a TLS exchange (rustls or the first version
    // probe) on request 0x01's, the all-methods Connect-Initial on 0x00's.
    assert!(n <= 17, "{n} connections (19 before reuse)");
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
    assert_eq!(r.status, Some(Status::Rdp), "{r:#?}");
    let n = connections(&r);
    assert!(n <= 12, "{n} connections (13 before reuse)");
    let sequential = probe(server.addr, &opts(1));
    assert_eq!(facts(&sequential), facts(&r), "parallel_connections 1 and 2 report the same facts");
}

#[test]
fn shadow_nla_reuses_tls_and_credssp_connections() {
    let server = freerdp_shadow(ShadowConfig::default());
    let r = probe(server.addr, &opts(2));
    assert_eq!(r.status, Some(Status::Rdp), "{r:#?}");
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
