//! X.224 security-protocol negotiation against real servers (xrdp 0.9.21, FreeRDP 2.11 shadow
//! server) and fake services, through the library API with only the negotiation step on.
//! Expected answers: /work/shared/TARGETS.md, observed and re-checked here.

use rdp_probe::report::{Answer, NegotiationReport, NlaRequirement, SecurityLayer};
use rdp_probe::{Phase, ProbeOptions, Report, Status, Steps, Target};
use rdp_probe_tests::*;
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

const XRDP_SRC_REF: u16 = 0x1234;
const SHADOW_SRC_REF: u16 = 0;

fn opts(timeout: Duration) -> ProbeOptions {
    let mut o = ProbeOptions::builder().timeout(timeout).overall_timeout(Duration::from_secs(30)).build();
    o.steps = Steps { negotiation_extended: true, ..Steps::NEGOTIATION };
    o
}

fn probe_with(addr: SocketAddr, o: &ProbeOptions) -> Report {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(rdp_probe::probe(&Target::from_addr(addr.ip(), addr.port()), o))
}

fn probe(addr: SocketAddr) -> Report {
    probe_with(addr, &opts(Duration::from_secs(3)))
}

/// The negotiation report of an RDP server, with the whole report in the panic message.
fn rdp_negotiation<'a>(name: &str, r: &'a Report) -> &'a NegotiationReport {
    assert_eq!(r.status, Status::Rdp, "{name}: {r:#?}");
    assert!(r.error.is_none(), "{name}: {r:#?}");
    r.negotiation.as_ref().unwrap_or_else(|| panic!("{name}: no negotiation report: {r:#?}"))
}

fn attempt(n: &NegotiationReport, requested: u32) -> &Answer {
    &n.attempts.iter().find(|a| a.requested_value == requested && a.with_neg_req).unwrap().answer
}

/// Checks what every xrdp answer has in common: source reference 0x1234 on every CC, and the
/// MCS Disconnect-Provider-Ultimatum instead of a CC for RDSAAD (0x10).
fn check_xrdp_common(name: &str, n: &NegotiationReport) {
    assert_eq!(n.source_ref, Some(XRDP_SRC_REF), "{name}");
    assert!(!n.legacy, "{name}");
    for a in &n.attempts {
        match &a.answer {
            Answer::Selected { .. } | Answer::Failure { .. } => {
                assert_eq!(a.source_ref, Some(XRDP_SRC_REF), "{name}: {a:?}")
            }
            _ => {}
        }
    }
    assert!(matches!(attempt(n, 0x10), Answer::McsDisconnect { .. }), "{name}: {:?}", attempt(n, 0x10));
    assert_eq!(n.protocols_by_name().get("rdsaad").map(String::as_str), Some("closed"), "{name}");
    // xrdp has no CredSSP; "not supported" is only said when a request without it was accepted
    // (an xrdp refusing everything, e.g. with an unreadable certificate, says nothing about NLA).
    let accepted = n.protocols.values().any(|v| v.is_accepted());
    let expected = if accepted { NlaRequirement::NotSupported } else { NlaRequirement::Unknown };
    assert_eq!(n.nla, Some(expected), "{name}");
}

fn check_shadow_common(name: &str, n: &NegotiationReport) {
    assert_eq!(n.source_ref, Some(SHADOW_SRC_REF), "{name}");
    assert!(!n.legacy, "{name}");
    assert!(n.mismatches.is_empty(), "{name}: {:?}", n.mismatches);
    for a in &n.attempts {
        assert_eq!(a.source_ref, Some(SHADOW_SRC_REF), "{name}: {a:?}");
        assert!(matches!(a.answer, Answer::Selected { .. } | Answer::Failure { .. }), "{name}: {a:?}");
    }
}

/// Which server a row runs: decides the checks every answer of that server shares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
    /// xrdp 0.9.21: [`check_xrdp_common`].
    Xrdp,
    /// FreeRDP 2.11 shadow server: [`check_shadow_common`].
    Shadow,
}

/// The answer one request (RDP_NEG_REQ with this requestedProtocols) must get.
#[derive(Debug)]
enum Expect {
    /// RDP_NEG_RSP selecting `protocol`; `requested`: whether the request asked for it.
    Selected { protocol: &'static str, requested: bool },
    /// RDP_NEG_FAILURE with this failureCode (its name too, when given).
    Failure { code: Option<&'static str>, value: u32 },
}

/// One server configuration and everything its negotiation report must say.
struct Row {
    family: Family,
    /// Starts the server (a shared harness fixture).
    server: fn() -> Server,
    /// Whether the server listens on ::1.
    ipv6: bool,
    /// `protocols_by_name()`, complete: protocol -> verdict.
    protocols: [(&'static str, &'static str); 6],
    /// The protocol selected for the full request (0xb).
    selected: Option<&'static str>,
    /// Flags of the answer to the full request (`None`: not checked).
    flags: Option<&'static [&'static str]>,
    /// Their value (`None`: not checked).
    flags_value: Option<u8>,
    /// The security layer must be one of these.
    security_layer: &'static [SecurityLayer],
    nla: NlaRequirement,
    /// How many answers selected a protocol the request did not ask for, and strings (request
    /// values) that some mismatch must name.
    mismatches: (usize, &'static [&'static str]),
    /// Individual answers: (requestedProtocols, expected answer).
    attempts: &'static [(u32, Expect)],
}

/// Probes `row`'s server (negotiation step only) and checks every field of the row; every
/// failure message starts with the row's name.
fn check_row(name: &str, row: &Row) {
    let s = (row.server)();
    assert_eq!(s.addr.is_ipv6(), row.ipv6, "{name}: {}", s.addr);
    let r = probe(s.addr);
    let n = rdp_negotiation(name, &r);
    match row.family {
        Family::Xrdp => check_xrdp_common(name, n),
        Family::Shadow => check_shadow_common(name, n),
    }
    let want: BTreeMap<String, String> = row.protocols.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    assert_eq!(n.protocols_by_name(), want, "{name}: protocol verdicts");
    assert_eq!(n.selected.map(|p| p.name()).as_deref(), row.selected, "{name}: selected");
    if let Some(flags) = row.flags {
        assert_eq!(n.flags, flags, "{name}: flags");
    }
    if let Some(v) = row.flags_value {
        assert_eq!(n.flags_value, Some(v), "{name}: flags_value");
    }
    assert!(
        n.security_layer.is_some_and(|l| row.security_layer.contains(&l)),
        "{name}: security_layer {:?}, want one of {:?}",
        n.security_layer,
        row.security_layer
    );
    assert_eq!(n.nla, Some(row.nla), "{name}: nla");
    let (count, named) = row.mismatches;
    assert_eq!(n.mismatches.len(), count, "{name}: {:?}", n.mismatches);
    for v in named {
        assert!(n.mismatches.iter().any(|m| m.contains(v)), "{name}: {v}: {:?}", n.mismatches);
    }
    for (value, want) in row.attempts {
        let got = attempt(n, *value);
        match (want, got) {
            (Expect::Selected { protocol: p, requested: q }, Answer::Selected { protocol, requested, .. }) => {
                assert_eq!((protocol.as_str(), *requested), (*p, *q), "{name}: request {value:#x}: {got:?}")
            }
            (Expect::Failure { code: c, value: v }, Answer::Failure { code, code_value }) => {
                assert_eq!(code_value, v, "{name}: request {value:#x}: {got:?}");
                if let Some(c) = c {
                    assert_eq!(code, c, "{name}: request {value:#x}: {got:?}");
                }
            }
            _ => panic!("{name}: request {value:#x}: want {want:?}, got {got:?}"),
        }
    }
    // The address probed and the phases timed, whatever the server.
    assert_eq!(r.address.as_deref(), Some(s.addr.to_string().as_str()), "{name}");
    for phase in ["resolve", "connect", "send_cr", "read_cc", "negotiation", "total"] {
        assert!(r.timings_ms.contains_key(phase), "{name}: {phase}: {:?}", r.timings_ms);
    }
}

/// One `#[test]` per row, named after it.
macro_rules! negotiation_table {
    ($($name:ident: $row:expr,)*) => {
        $(
            #[test]
            fn $name() {
                check_row(stringify!($name), &$row);
            }
        )*
    };
}

const EXT: &[&str] = &["extended_client_data_supported"];
const EXT_GFX: &[&str] = &["extended_client_data_supported", "dynvc_gfx_protocol_supported"];

/// xrdp `negotiate`: SSL when the SSL bit is set, else RDP (also for HYBRID/RDSTLS/HYBRID_EX
/// alone), so 0x2, 0x4 and 0x8 get an RDP they did not ask for.
const XRDP_NEGOTIATE: Row = Row {
    family: Family::Xrdp,
    server: || xrdp(XrdpConfig::default()),
    ipv6: false,
    protocols: [
        ("rdp", "accepted"),
        ("ssl", "accepted"),
        ("hybrid", "downgraded_to_rdp"),
        ("rdstls", "downgraded_to_rdp"),
        ("hybrid_ex", "downgraded_to_rdp"),
        ("rdsaad", "closed"),
    ],
    selected: Some("ssl"),
    flags: Some(EXT),
    flags_value: Some(0x01),
    security_layer: &[SecurityLayer::Negotiate],
    nla: NlaRequirement::NotSupported,
    mismatches: (3, &["0x2", "0x4", "0x8"]),
    attempts: &[],
};

negotiation_table! {
    // xrdp in rdp mode answers every request with PROTOCOL_RDP, even those that did not ask
    // for it: the full request (0xb), ssl, hybrid, rdstls, hybrid_ex (five mismatches).
    xrdp_security_layer_rdp: Row {
        family: Family::Xrdp,
        server: || xrdp(XrdpConfig { security_layer: "rdp".into(), ..Default::default() }),
        ipv6: false,
        protocols: [
            ("rdp", "accepted"),
            ("ssl", "downgraded_to_rdp"),
            ("hybrid", "downgraded_to_rdp"),
            ("rdstls", "downgraded_to_rdp"),
            ("hybrid_ex", "downgraded_to_rdp"),
            ("rdsaad", "closed"),
        ],
        selected: Some("rdp"),
        flags: Some(EXT),
        flags_value: Some(0x01),
        security_layer: &[SecurityLayer::Rdp],
        nla: NlaRequirement::NotSupported,
        mismatches: (5, &["0xb"]),
        attempts: &[(0xb, Expect::Selected { protocol: "rdp", requested: false })],
    },
    xrdp_security_layer_tls: Row {
        family: Family::Xrdp,
        server: || xrdp(XrdpConfig { security_layer: "tls".into(), ..Default::default() }),
        ipv6: false,
        protocols: [
            ("rdp", "ssl_required_by_server"),
            ("ssl", "accepted"),
            ("hybrid", "ssl_required_by_server"),
            ("rdstls", "ssl_required_by_server"),
            ("hybrid_ex", "ssl_required_by_server"),
            ("rdsaad", "closed"),
        ],
        selected: Some("ssl"),
        flags: Some(EXT),
        flags_value: Some(0x01),
        security_layer: &[SecurityLayer::Ssl],
        nla: NlaRequirement::NotSupported,
        mismatches: (0, &[]),
        attempts: &[(0, Expect::Failure { code: Some("ssl_required_by_server"), value: 1 })],
    },
    xrdp_security_layer_negotiate: XRDP_NEGOTIATE,
    xrdp_negotiate_ipv6: Row {
        server: || xrdp(XrdpConfig { bind: "::1".parse().unwrap(), ..Default::default() }),
        ipv6: true,
        ..XRDP_NEGOTIATE
    },
    // tls mode with an unreadable certificate: SSL_CERT_NOT_ON_SERVER to every request, even
    // 0x0 (Standard RDP Security). Nothing is accepted: the library reports the layer as
    // unknown today (a broken "SSL" configuration would also be a fair reading).
    xrdp_tls_certificate_unreadable: Row {
        family: Family::Xrdp,
        server: || {
            // The files never exist: the directory goes away with `dir`.
            let dir = tempfile::tempdir().unwrap();
            xrdp(XrdpConfig {
                security_layer: "tls".into(),
                certificate: Some(dir.path().join("missing.crt")),
                key_file: Some(dir.path().join("missing.key")),
                ..Default::default()
            })
        },
        ipv6: false,
        protocols: [
            ("rdp", "ssl_cert_not_on_server"),
            ("ssl", "ssl_cert_not_on_server"),
            ("hybrid", "ssl_cert_not_on_server"),
            ("rdstls", "ssl_cert_not_on_server"),
            ("hybrid_ex", "ssl_cert_not_on_server"),
            ("rdsaad", "closed"),
        ],
        selected: None,
        flags: Some(&[]),
        flags_value: None,
        security_layer: &[SecurityLayer::Unknown, SecurityLayer::Ssl],
        nla: NlaRequirement::Unknown,
        mismatches: (0, &[]),
        attempts: &[(0, Expect::Failure { code: Some("ssl_cert_not_on_server"), value: 3 })],
    },
    shadow_sec_nla: Row {
        family: Family::Shadow,
        server: || freerdp_shadow(ShadowConfig { sec: "nla".into(), ..Default::default() }),
        ipv6: false,
        protocols: [
            ("rdp", "hybrid_required_by_server"),
            ("ssl", "hybrid_required_by_server"),
            ("hybrid", "accepted"),
            ("rdstls", "hybrid_required_by_server"),
            ("hybrid_ex", "hybrid_required_by_server"),
            ("rdsaad", "hybrid_required_by_server"),
        ],
        selected: Some("hybrid"),
        flags: Some(EXT_GFX),
        flags_value: Some(0x03),
        security_layer: &[SecurityLayer::Ssl],
        nla: NlaRequirement::Required,
        mismatches: (0, &[]),
        attempts: &[],
    },
    shadow_sec_tls: Row {
        family: Family::Shadow,
        server: || freerdp_shadow(ShadowConfig { sec: "tls".into(), ..Default::default() }),
        ipv6: false,
        protocols: [
            ("rdp", "ssl_required_by_server"),
            ("ssl", "accepted"),
            ("hybrid", "ssl_required_by_server"),
            ("rdstls", "ssl_required_by_server"),
            ("hybrid_ex", "ssl_required_by_server"),
            ("rdsaad", "ssl_required_by_server"),
        ],
        selected: Some("ssl"),
        flags: Some(EXT_GFX),
        flags_value: Some(0x03),
        security_layer: &[SecurityLayer::Ssl],
        nla: NlaRequirement::NotSupported,
        mismatches: (0, &[]),
        attempts: &[],
    },
    // The full request (0xb) was refused, so nothing was selected for it.
    shadow_sec_rdp: Row {
        family: Family::Shadow,
        server: || freerdp_shadow(ShadowConfig { sec: "rdp".into(), ..Default::default() }),
        ipv6: false,
        protocols: [
            ("rdp", "accepted"),
            ("ssl", "ssl_not_allowed_by_server"),
            ("hybrid", "ssl_not_allowed_by_server"),
            ("rdstls", "ssl_not_allowed_by_server"),
            ("hybrid_ex", "ssl_not_allowed_by_server"),
            ("rdsaad", "ssl_not_allowed_by_server"),
        ],
        selected: None,
        flags: None,
        flags_value: None,
        security_layer: &[SecurityLayer::Rdp],
        nla: NlaRequirement::NotSupported,
        mismatches: (0, &[]),
        attempts: &[(0xb, Expect::Failure { code: None, value: 2 })],
    },
}

#[test]
fn ssh_banner_is_not_rdp() {
    let (addr, _l) = banner_server(b"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n");
    let r = probe(addr);
    assert_eq!(r.status, Status::NotRdp, "{r:#?}");
    let svc = r.service.as_ref().unwrap();
    assert_eq!(svc.kind, "ssh");
    assert!(svc.banner.starts_with("SSH-2.0-OpenSSH_9.2p1"), "{svc:?}");
    assert!(r.negotiation.is_none());
    assert!(r.error.is_some());
}

#[test]
fn http_is_not_rdp() {
    let (addr, _l) = http_server();
    let r = probe(addr);
    assert_eq!(r.status, Status::NotRdp, "{r:#?}");
    let svc = r.service.as_ref().unwrap();
    assert_eq!(svc.kind, "http");
    assert!(svc.banner.starts_with("HTTP/1.1 400"), "{svc:?}");
}

#[test]
fn closed_port_is_refused() {
    let addr = closed_port();
    let t = Instant::now();
    let r = probe(addr);
    assert_eq!(r.status, Status::Refused, "{r:#?}");
    assert_eq!(r.error_phase, Some(Phase::Connect));
    assert!(r.negotiation.is_none());
    assert!(t.elapsed() < Duration::from_secs(1), "{:?}", t.elapsed());
}

#[test]
fn silent_listener_times_out_in_read_cc() {
    let (addr, _l) = silent_listener();
    let timeout = Duration::from_secs(1);
    let t = Instant::now();
    let r = probe_with(addr, &opts(timeout));
    let took = t.elapsed();
    assert_eq!(r.status, Status::Timeout, "{r:#?}");
    assert_eq!(r.error_phase, Some(Phase::ReadCc), "{r:#?}");
    assert!(r.negotiation.is_none());
    // One connection's read deadline, not one per planned request.
    assert!(took >= timeout, "{took:?}");
    assert!(took < timeout + Duration::from_millis(1500), "{took:?}");
}

// ---------------------------------------------------------------------------------------------
// nmap rdp-enum-encryption as a second opinion.

/// nmap's rdp-enum-encryption: label -> requestedProtocols it sends (it sends 0x3, SSL|HYBRID,
/// for "CredSSP (NLA)") and counts any RDP_NEG_RSP as SUCCESS without reading selectedProtocol.
/// (nmap label, value nmap sends, our protocol name, that protocol's value).
const NMAP_REQUESTS: [(&str, u32, &str, u32); 5] = [
    ("Native RDP", 0x0, "rdp", 0x0),
    ("SSL", 0x1, "ssl", 0x1),
    ("CredSSP (NLA)", 0x3, "hybrid", 0x2),
    ("RDSTLS", 0x4, "rdstls", 0x4),
    ("CredSSP with Early User Auth", 0x8, "hybrid_ex", 0x8),
];

/// One X.224 CR with RDP_NEG_REQ(requested), raw, as nmap sends it; returns the rdpNegData type
/// and selectedProtocol/failureCode of the answer, if any.
fn raw_negotiate(addr: SocketAddr, requested: u32) -> Option<(u8, u32)> {
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(2)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
    let cookie = b"Cookie: mstshash=nmap\r\n";
    let mut x224 = vec![0xe0, 0, 0, 0, 0, 0];
    x224.extend_from_slice(cookie);
    x224.extend_from_slice(&[1, 0, 8, 0]);
    x224.extend_from_slice(&requested.to_le_bytes());
    let mut pkt = vec![3, 0];
    pkt.extend_from_slice(&((x224.len() + 5) as u16).to_be_bytes());
    pkt.push(x224.len() as u8);
    pkt.extend_from_slice(&x224);
    s.write_all(&pkt).ok()?;
    let mut buf = [0u8; 64];
    let n = s.read(&mut buf).ok()?;
    (n == 19 && buf[5] == 0xd0).then(|| (buf[11], u32::from_le_bytes([buf[15], buf[16], buf[17], buf[18]])))
}

/// Compares nmap's verdicts with our report; panics on any difference that is not one of nmap's
/// known faults. Returns the explained differences.
fn compare_with_nmap(name: &str, addr: SocketAddr, nmap_out: &str, r: &Report) -> Vec<String> {
    let n = rdp_negotiation(name, r);
    let mut explained = Vec::new();
    for (label, value, ours, ours_value) in NMAP_REQUESTS {
        let nmap_ok = nmap_out.contains(&format!("{label}: SUCCESS"));
        let by_name = n.protocols_by_name();
        let verdict = by_name[ours].as_str();
        let we_accept = verdict == "accepted";
        if nmap_ok == we_accept {
            continue;
        }
        // nmap says SUCCESS where we do not: it must be an RDP_NEG_RSP selecting another protocol.
        assert!(nmap_ok, "{name}: nmap says {label} not SUCCESS but we say {ours}={verdict}\n{nmap_out}");
        let selected = if value == 0x3 {
            // We never send 0x3 alone: ask the server the way nmap does.
            match raw_negotiate(addr, value) {
                Some((2, sel)) => sel,
                other => panic!("{name}: nmap SUCCESS for 0x3 but the server answered {other:?}"),
            }
        } else {
            match attempt(n, value) {
                Answer::Selected { protocol_value, .. } => *protocol_value,
                a => panic!("{name}: nmap SUCCESS for {label} ({value:#x}) but we saw {a:?}\n{nmap_out}"),
            }
        };
        assert_ne!(selected, ours_value, "{name}: {label}: the server did select {ours}");
        explained.push(format!(
            "{name}: nmap '{label}: SUCCESS' (request {value:#x}); the server selected {selected:#x}, ours: {ours}={verdict}"
        ));
    }
    explained
}

#[test]
fn nmap_rdp_enum_encryption_differences_are_nmap_faults() {
    if !have("nmap") {
        panic!("nmap is not installed (apt-get install nmap)");
    }
    let servers = [
        ("xrdp negotiate", xrdp(XrdpConfig::default())),
        ("xrdp rdp", xrdp(XrdpConfig { security_layer: "rdp".into(), ..Default::default() })),
        ("xrdp tls", xrdp(XrdpConfig { security_layer: "tls".into(), ..Default::default() })),
        ("shadow nla", freerdp_shadow(ShadowConfig { sec: "nla".into(), ..Default::default() })),
        ("shadow tls", freerdp_shadow(ShadowConfig { sec: "tls".into(), ..Default::default() })),
    ];
    // nmap sleeps 0.2 s per connection: run the five in parallel.
    let outputs: Vec<String> = std::thread::scope(|sc| {
        let hs: Vec<_> =
            servers.iter().map(|(_, s)| sc.spawn(move || run_nmap_script(s.addr, "rdp-enum-encryption"))).collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut all = Vec::new();
    for ((name, s), out) in servers.iter().zip(&outputs) {
        assert!(out.contains("ms-wbt-server"), "{name}: nmap did not take the port for RDP:\n{out}");
        let r = probe(s.addr);
        if *name == "xrdp tls" {
            // Known nmap fault: the script dies on xrdp's tls mode.
            assert!(out.contains("rdp-enum-encryption: ERROR: Script execution failed"), "{name}:\n{out}");
            assert_eq!(rdp_negotiation(name, &r).protocols_by_name()["ssl"], "accepted");
            continue;
        }
        assert!(out.contains("Security layer"), "{name}:\n{out}");
        all.extend(compare_with_nmap(name, s.addr, out, &r));
    }
    eprintln!("explained differences:\n{}", all.join("\n"));
    // The known ones must be among them (proves the comparison really ran).
    assert!(all.iter().any(|d| d.starts_with("xrdp rdp: nmap 'SSL: SUCCESS'")), "{all:#?}");
    assert!(all.iter().any(|d| d.starts_with("shadow tls: nmap 'CredSSP (NLA): SUCCESS'")), "{all:#?}");
}

/// The whole default probe (negotiation, TLS, MCS with every method) over IPv6 on ::1: each
/// later step reaches the server through the same `[::1]:port` and reports without error.
#[test]
fn xrdp_full_probe_over_ipv6() {
    let s = xrdp(XrdpConfig { bind: "::1".parse().unwrap(), ..Default::default() });
    let o = ProbeOptions { steps: Steps::DEFAULT, ..opts(Duration::from_secs(3)) };
    let r = probe_with(s.addr, &o);
    let n = rdp_negotiation("xrdp ipv6", &r);
    assert_eq!(n.security_layer, Some(SecurityLayer::Negotiate));
    let tls = r.tls.as_ref().expect("tls report");
    assert!(tls.error.is_none() && tls.certificate.is_some(), "{tls:#?}");
    assert_eq!(tls.versions.get(&rdp_probe::report::tls::TlsVersion::Tls12), Some(&true));
    let mcs = r.mcs.as_ref().expect("mcs report");
    assert!(mcs.error.is_none(), "{mcs:#?}");
    assert_eq!(mcs.encryption_level, Some(rdp_probe::report::mcs::EncryptionLevel::High));
    assert_eq!(mcs.method_answers.len(), 5, "{mcs:#?}");
}
