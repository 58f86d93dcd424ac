//! Findings against real configurations: every finding id the diagnosis issue names (and most
//! of the catalog) is made to happen by a real server configuration (xrdp `security_layer` /
//! `crypt_level` / `ssl_protocols` / certificates, FreeRDP shadow `/sec:` with SAM users, a
//! shadow server under libfaketime for `clock-skew`) or a real socket behaviour on 127.0.0.1,
//! through `rdp_probe::probe`; each check asserts the id, the severity, that the summary shows
//! the observed values and that the remedy names the setting to change.
//!
//! Several findings share one server instance to keep the suite fast.

use rdp_probe::diagnosis::client::ClientProfile;
use rdp_probe::diagnosis::findings::{Finding, Severity, CATALOG};
use rdp_probe::{ProbeOptions, Report, Status, Steps, Target};
use rdp_probe_tests::*;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::fd::AsRawFd;
use std::process::Command;
use std::time::Duration;

fn opts() -> ProbeOptions {
    ProbeOptions::builder().timeout(Duration::from_secs(2)).overall_timeout(Duration::from_secs(30)).build()
}

fn probe_with(addr: SocketAddr, o: &ProbeOptions) -> Report {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    rt.block_on(rdp_probe::probe(&Target::from_addr(addr.ip(), addr.port()), o))
}

fn ids(r: &Report) -> Vec<&str> {
    r.findings.iter().map(|f| f.id.as_str()).collect()
}

/// The finding `id` of `r`, checked: severity, a summary, evidence, and a remedy that is the
/// catalog's (or an NTSTATUS-specific one) and mentions every word of `remedy_words`.
#[track_caller]
fn check<'a>(r: &'a Report, id: &str, severity: Severity, remedy_words: &[&str]) -> &'a Finding {
    let f = r.findings.iter().find(|f| f.id == id).unwrap_or_else(|| {
        panic!("no finding {id} in {:?}\nstatus {:?} error {:?}\n{:#?}", ids(r), r.status, r.error, r.findings)
    });
    assert_eq!(f.severity, severity, "{f:#?}");
    assert!(!f.summary.is_empty() && !f.evidence.is_empty(), "{f:#?}");
    assert!(!f.remedy.is_empty(), "{f:#?}");
    let remedy = f.remedy.to_lowercase();
    for w in remedy_words {
        assert!(remedy.contains(&w.to_lowercase()), "remedy of {id} does not mention {w:?}: {}", f.remedy);
    }
    let info = CATALOG.iter().find(|c| c.id == id).unwrap_or_else(|| panic!("{id} not in the catalog"));
    // Two findings grade each instance: weak-rdp-encryption is critical when the server forces
    // 40/56-bit on a client offering only 128-bit; server-key-weak is a warning from 1024 bits.
    if !["weak-rdp-encryption", "server-key-weak"].contains(&id) {
        assert_eq!(info.severity, severity, "catalog severity of {id}");
    }
    f
}

#[track_caller]
fn absent(r: &Report, id: &str) {
    assert!(!ids(r).contains(&id), "unexpected {id}: {:#?}", r.findings);
}

#[track_caller]
fn summary_has(f: &Finding, words: &[&str]) {
    for w in words {
        assert!(f.summary.contains(w), "summary of {} lacks {w:?}: {}", f.id, f.summary);
    }
}

// ---------------------------------------------------------------------------------------------
// Socket behaviours on 127.0.0.1.

/// A listener thread: `serve` gets each accepted connection (one thread per connection).
struct Fake {
    addr: SocketAddr,
    _l: TcpListener,
}

fn fake(serve: fn(TcpStream)) -> Fake {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    let l2 = l.try_clone().unwrap();
    std::thread::spawn(move || {
        for s in l2.incoming().flatten() {
            std::thread::spawn(move || serve(s));
        }
    });
    Fake { addr, _l: l }
}

/// Reads one TPKT frame (the X.224 Connection Request).
fn read_tpkt(s: &mut TcpStream) -> Option<Vec<u8>> {
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    let mut h = [0u8; 4];
    s.read_exact(&mut h).ok()?;
    let len = usize::from(u16::from_be_bytes([h[2], h[3]]));
    let mut body = vec![0u8; len.saturating_sub(4)];
    s.read_exact(&mut body).ok()?;
    Some(body)
}

/// X.224 Connection Confirm, source reference 0x1234, with RDP_NEG_RSP(selected) or without
/// negotiation data (a pre-negotiation server).
fn connection_confirm(selected: Option<u32>) -> Vec<u8> {
    let mut x224 = vec![0xd0, 0, 0, 0x12, 0x34, 0];
    if let Some(p) = selected {
        x224.extend([0x02, 0x00, 0x08, 0x00]);
        x224.extend(p.to_le_bytes());
    }
    let mut out = vec![3, 0, 0, 0, x224.len() as u8];
    out.extend(x224);
    let len = (out.len() as u16).to_be_bytes();
    out[2] = len[0];
    out[3] = len[1];
    out
}

#[test]
fn refused_port_and_rdp_moved_to_another_port() {
    let addr = closed_port();
    let r = probe_with(addr, &opts());
    assert_eq!(r.status, Status::Refused);
    let f = check(&r, "tcp-refused", Severity::Critical, &["Enable Remote Desktop", "PortNumber", "--find-port"]);
    summary_has(f, &[&addr.to_string()]);
    assert_eq!(r.findings.len(), 1, "{:#?}", r.findings);

    // The listener moved: --find-port finds it on another port.
    let x = xrdp(XrdpConfig { security_layer: "rdp".into(), ..Default::default() });
    let o = ProbeOptions { find_ports: vec![x.port()], steps: Steps::NEGOTIATION, ..opts() };
    let r = probe_with(addr, &o);
    check(&r, "tcp-refused", Severity::Critical, &[]);
    let f = check(&r, "rdp-on-other-port", Severity::Warning, &["PortNumber", "firewall"]);
    summary_has(f, &[&x.port().to_string()]);
}

#[test]
fn ssh_on_the_rdp_port() {
    let (addr, _l) = banner_server(b"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n");
    let r = probe_with(addr, &opts());
    let f = check(&r, "port-served-by-other-service", Severity::Critical, &["netstat", "port"]);
    summary_has(f, &["ssh", "SSH-2.0-OpenSSH_9.2p1"]);
}

#[test]
fn http_on_the_rdp_port() {
    let (addr, _l) = http_server();
    let r = probe_with(addr, &opts());
    let f = check(&r, "port-served-by-other-service", Severity::Critical, &["port"]);
    summary_has(f, &["http", "HTTP/1.1 400"]);
}

#[test]
fn listener_accepts_but_never_answers() {
    let (addr, _l) = silent_listener();
    let o = ProbeOptions::builder().timeout(Duration::from_millis(800)).build();
    let r = probe_with(addr, &o);
    let f = check(&r, "listener-silent", Severity::Critical, &["Restart the Remote Desktop Services"]);
    assert_eq!(f.evidence, "read_cc");
    assert_eq!(r.findings.len(), 1, "{:#?}", r.findings);
}

/// A listener at its connection limit: reads the Connection Request, then closes.
#[test]
fn listener_closes_after_the_connection_request() {
    let l = fake(|mut s| {
        let _ = read_tpkt(&mut s);
    });
    let r = probe_with(l.addr, &opts());
    assert_eq!(r.status, Status::Reset, "{r:#?}");
    let f = check(&r, "listener-closes-connection", Severity::Critical, &["connection limits"]);
    assert_eq!(f.evidence, "read_cc");
}

/// The accept queue of the listener is full: Linux drops further SYNs, so the connect times out
/// as with a host that is asleep or behind a dropping firewall.
#[test]
fn connect_timeout_on_a_full_accept_queue() {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    // SAFETY: listen(2) again on our own listening socket only changes its backlog.
    assert_eq!(unsafe { libc::listen(l.as_raw_fd(), 0) }, 0);
    let mut held = Vec::new();
    for _ in 0..4 {
        if let Ok(s) = TcpStream::connect_timeout(&addr, Duration::from_millis(300)) {
            held.push(s);
        }
    }
    let o = ProbeOptions::builder().timeout(Duration::from_millis(700)).build();
    let r = probe_with(addr, &o);
    assert_eq!(r.status, Status::Timeout, "{r:#?}");
    let f = check(&r, "tcp-timeout", Severity::Critical, &["Firewall", "awake"]);
    assert_eq!(f.evidence, "connect");
}

/// A listener that answers every Connection Request with an MCS Disconnect-Provider-Ultimatum
/// (what xrdp sends for requests it refuses): an RDP server that lets nobody in.
#[test]
fn listener_disconnects_every_request() {
    let l = fake(|mut s| {
        if read_tpkt(&mut s).is_some() {
            let _ = s.write_all(&[3, 0, 0, 9, 2, 0xf0, 0x80, 0x21, 0x80]);
        }
    });
    let r = probe_with(l.addr, &opts());
    assert_eq!(r.status, Status::Rdp, "{r:#?}");
    let f = check(&r, "listener-closes-connection", Severity::Critical, &["connection limits"]);
    assert_eq!(f.evidence, "negotiation");
    // Nothing accepted: no verdict on NLA or the security layer.
    absent(&r, "nla-not-required");
    absent(&r, "standard-rdp-security-only");
}

/// A pre-negotiation server (Windows 2000/XP style): Connection Confirm without RDP_NEG_RSP.
#[test]
fn server_without_negotiation_data() {
    let l = fake(|mut s| {
        if read_tpkt(&mut s).is_some() && s.write_all(&connection_confirm(None)).is_ok() {
            // The MCS Connect Initial that may follow: hang up.
            let _ = read_tpkt(&mut s);
        }
    });
    let r = probe_with(l.addr, &ProbeOptions { steps: Steps::NEGOTIATION, ..opts() });
    assert_eq!(r.status, Status::Rdp, "{r:#?}");
    check(&r, "legacy-server", Severity::Warning, &["Upgrade"]);
    check(&r, "standard-rdp-security-only", Severity::Critical, &["Security Layer"]);
}

/// A server that selects Standard RDP Security, then hangs up on the MCS Connect Initial (a
/// server at its connection limit or with a licensing problem behaves so).
#[test]
fn server_drops_the_connection_at_mcs() {
    let l = fake(|mut s| {
        if read_tpkt(&mut s).is_some() && s.write_all(&connection_confirm(Some(0))).is_ok() {
            let _ = read_tpkt(&mut s); // the Connect Initial, if any: then close
        }
    });
    let o = ProbeOptions { steps: Steps { mcs_methods: false, ..Steps::NEGOTIATION }, ..opts() };
    let o = ProbeOptions { steps: Steps { mcs: true, ..o.steps }, ..o };
    let r = probe_with(l.addr, &o);
    assert_eq!(r.status, Status::Rdp, "{r:#?}");
    let f = check(&r, "listener-closes-after-mcs", Severity::Critical, &["connection limits"]);
    summary_has(f, &["MCS Connect Initial"]);
}

/// A generic ISO transport service (what a Siemens S7 PLC answers): a Connection Confirm with
/// X.224 parameters instead of RDP negotiation data is another service, not an RDP listener.
#[test]
fn cotp_service_on_the_rdp_port() {
    let l = fake(|mut s| {
        if read_tpkt(&mut s).is_some() {
            let _ =
                s.write_all(&[3, 0, 0, 0x16, 0x11, 0xd0, 0, 1, 0, 1, 0, 0xc0, 1, 0x0a, 0xc1, 2, 1, 0, 0xc2, 2, 1, 2]);
        }
    });
    let r = probe_with(l.addr, &opts());
    assert_eq!(r.status, Status::NotRdp, "{r:#?}");
    assert_eq!(r.service.as_ref().map(|s| s.kind.as_str()), Some("x224_other"), "{r:#?}");
    let f = check(&r, "port-served-by-other-service", Severity::Critical, &["netstat"]);
    summary_has(f, &["ISO transport"]);
}

/// TPKT framing with an X.224 answer that does not decode.
#[test]
fn undecodable_x224_answer() {
    let l = fake(|mut s| {
        if read_tpkt(&mut s).is_some() {
            let _ = s.write_all(&[3, 0, 0, 7, 2, 0x70, 0]);
        }
    });
    let r = probe_with(l.addr, &opts());
    assert_eq!(r.status, Status::Error, "{r:#?}");
    check(&r, "not-rdp-protocol-error", Severity::Critical, &["--raw"]);
}

/// A server that selects CredSSP (HYBRID) for every request, then hangs up on the TLS
/// ClientHello: TLS and CredSSP clients cannot connect.
#[test]
fn selected_tls_but_handshake_fails() {
    let l = fake(|mut s| {
        if read_tpkt(&mut s).is_some() && s.write_all(&connection_confirm(Some(2))).is_ok() {
            let mut b = [0u8; 512];
            let _ = s.read(&mut b);
        }
    });
    let r = probe_with(l.addr, &opts());
    assert_eq!(r.status, Status::Rdp, "{r:#?}");
    check(&r, "tls-handshake-failed", Severity::Critical, &["certificate"]);
    check(&r, "nla-probe-failed", Severity::Warning, &["certificate"]);
}

/// A pre-2018 CredSSP server (hostile-style fake: no real server configuration speaks CredSSP
/// below 5): selects HYBRID, completes TLS (rustls, a generated certificate), and answers the
/// NTLM NEGOTIATE with a TSRequest of version 3 and no token.
#[test]
fn credssp_version_3() {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    use std::sync::{Arc, OnceLock};
    static CONFIG: OnceLock<Arc<rustls::ServerConfig>> = OnceLock::new();
    let d = tempfile::tempdir().unwrap();
    let (c, k) = make_cert(d.path(), "old", KeyKind::Rsa(2048), "localhost", &["127.0.0.1"], -1, 300, None);
    let cert = CertificateDer::from_pem_file(&c).unwrap();
    let key = PrivateKeyDer::from_pem_file(&k).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert], key)
        .unwrap();
    CONFIG.set(Arc::new(config)).unwrap();
    let l = fake(|mut s| {
        if read_tpkt(&mut s).is_none() || s.write_all(&connection_confirm(Some(2))).is_err() {
            return;
        }
        let Ok(conn) = rustls::ServerConnection::new(CONFIG.get().unwrap().clone()) else { return };
        let mut tls = rustls::StreamOwned::new(conn, s);
        let mut b = [0u8; 2048];
        if matches!(tls.read(&mut b), Ok(n) if n > 0) {
            // TSRequest { version [0] INTEGER 3 }
            let _ = tls.write_all(&[0x30, 0x05, 0xa0, 0x03, 0x02, 0x01, 0x03]);
            let _ = tls.flush();
            let _ = tls.read(&mut b);
        }
    });
    let mut o = opts();
    o.steps.tls_versions = false;
    let r = probe_with(l.addr, &o);
    assert_eq!(r.nla.as_ref().and_then(|n| n.credssp_version), Some(3), "{r:#?}");
    let f = check(&r, "credssp-outdated", Severity::Warning, &["CredSSP update", "KB4093492"]);
    summary_has(f, &["version 3"]);
    check(&r, "nla-probe-failed", Severity::Warning, &[]);
}

// ---------------------------------------------------------------------------------------------
// xrdp: Standard RDP Security and its encryption levels.

/// security_layer=rdp, crypt_level=low: the rdp-sec-check vocabulary (MITM, no NLA, weak RDP
/// encryption), and xrdp's habit of selecting RDP for requests it does not support.
#[test]
fn xrdp_rdp_security_low_encryption() {
    let x = xrdp(XrdpConfig { security_layer: "rdp".into(), crypt_level: "low".into(), ..Default::default() });
    let r = probe_with(x.addr, &ProbeOptions { client: Some(ClientProfile::Legacy), ..opts() });
    assert_eq!(r.status, Status::Rdp, "{r:#?}");
    let f = check(&r, "standard-rdp-security-only", Severity::Critical, &["security_layer", "certificate"]);
    summary_has(f, &["Standard RDP Security"]);
    let f = check(&r, "nla-not-required", Severity::Warning, &["xrdp does not implement NLA", "firewall"]);
    summary_has(f, &["not supported"]);
    let f = check(&r, "encryption-level-low", Severity::Warning, &["crypt_level=high"]);
    summary_has(f, &["Low"]);
    // xrdp at level low answers 40-bit to every offer, 128-bit-only and FIPS-only included.
    let f = check(&r, "weak-rdp-encryption", Severity::Critical, &["crypt_level=high", "128-bit"]);
    summary_has(
        f,
        &["forces 40bit even on clients that offer only 128-bit", "answers 40bit to a client offering only 128bit"],
    );
    let f = check(&r, "negotiation-downgrade", Severity::Info, &["xrdp"]);
    summary_has(f, &["server selected rdp"]);
    // A legacy client (Standard RDP Security, any level) gets along with this server.
    absent(&r, "client-incompatible");
    for id in ["encryption-none", "fips-required", "rdp-security-allowed", "nla-required", "tls-legacy-only"] {
        absent(&r, id);
    }
}

#[test]
fn xrdp_rdp_security_no_encryption() {
    let x = xrdp(XrdpConfig { security_layer: "rdp".into(), crypt_level: "none".into(), ..Default::default() });
    let mut o = opts();
    o.steps.mcs_methods = false;
    let r = probe_with(x.addr, &o);
    let f = check(&r, "encryption-none", Severity::Critical, &["crypt_level=high"]);
    summary_has(f, &["None"]);
    absent(&r, "encryption-level-low");
}

/// crypt_level=fips: FIPS required, which a legacy client cannot do.
#[test]
fn xrdp_rdp_security_fips() {
    let x = xrdp(XrdpConfig { security_layer: "rdp".into(), crypt_level: "fips".into(), ..Default::default() });
    let r = probe_with(x.addr, &ProbeOptions { client: Some(ClientProfile::Legacy), ..opts() });
    check(&r, "fips-required", Severity::Info, &["FIPS"]);
    let f = check(&r, "client-incompatible", Severity::Critical, &["crypt_level"]);
    summary_has(f, &["FIPS", "legacy client"]);
    absent(&r, "fips-not-mandated");
    absent(&r, "weak-rdp-encryption");
}

// ---------------------------------------------------------------------------------------------
// xrdp: TLS versions, cipher suites and certificates.

/// ssl_protocols=TLSv1, TLSv1.1 with an expired certificate, cipher enumeration on.
#[test]
fn xrdp_legacy_tls_only_expired_certificate() {
    let d = tempfile::tempdir().unwrap();
    let (c, k) =
        make_cert(d.path(), "old", KeyKind::Rsa(2048), "localhost", &["localhost", "127.0.0.1"], -400, -20, None);
    let x = xrdp(XrdpConfig {
        security_layer: "negotiate".into(),
        ssl_protocols: Some("TLSv1, TLSv1.1".into()),
        tls_ciphers: Some("DEFAULT:@SECLEVEL=0".into()),
        certificate: Some(c),
        key_file: Some(k),
        ..Default::default()
    });
    let o = ProbeOptions { steps: Steps::ALL, client: Some(ClientProfile::Win7), ..opts() };
    let r = probe_with(x.addr, &o);
    let f = check(&r, "tls-legacy-only", Severity::Critical, &["ssl_protocols=TLSv1.2"]);
    summary_has(f, &["1.0", "1.1"]);
    absent(&r, "tls-legacy-enabled");
    let f = check(&r, "weak-cipher-suites", Severity::Warning, &["tls_ciphers"]);
    summary_has(f, &["TLS 1.0"]);
    let f = check(&r, "cert-expired", Severity::Critical, &["Renew the certificate"]);
    summary_has(f, &["CN=localhost", "expired", "days ago"]);
    check(&r, "cert-self-signed", Severity::Warning, &["certificate"]);
    let f = check(&r, "rdp-security-allowed", Severity::Warning, &["security_layer=tls"]);
    summary_has(f, &["0x0"]);
    // A Windows 7 client speaks TLS 1.0: it can connect.
    absent(&r, "client-incompatible");
    absent(&r, "cert-name-mismatch");
    absent(&r, "cert-weak-key");
}

/// An old-style certificate made by hand: RSA-1024, SHA-1 signature, CN of another host and
/// no SAN, client-auth EKU only, expiring in 10 days; TLS 1.1 next to 1.2.
#[test]
fn xrdp_bad_certificate_and_tls_1_1() {
    let d = tempfile::tempdir().unwrap();
    let (c, k) = (d.path().join("weak.crt"), d.path().join("weak.key"));
    let out = Command::new("openssl")
        .args(["req", "-x509", "-newkey", "rsa:1024", "-nodes", "-sha1", "-days", "10", "-subj", "/CN=other.example"])
        .args(["-addext", "extendedKeyUsage=clientAuth", "-keyout"])
        .arg(&k)
        .arg("-out")
        .arg(&c)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let x = xrdp(XrdpConfig {
        security_layer: "negotiate".into(),
        ssl_protocols: Some("TLSv1.1, TLSv1.2".into()),
        tls_ciphers: Some("DEFAULT:@SECLEVEL=0".into()),
        certificate: Some(c),
        key_file: Some(k),
        ..Default::default()
    });
    let mut o = opts();
    o.steps.mcs_methods = false;
    let r = probe_with(x.addr, &o);
    let f = check(&r, "tls-legacy-enabled", Severity::Warning, &["ssl_protocols", "TLSv1.1"]);
    summary_has(f, &["TLS 1.1", "1.2"]);
    absent(&r, "tls-legacy-only");
    let f = check(&r, "cert-weak-key", Severity::Warning, &["2048"]);
    summary_has(f, &["1024-bit RSA"]);
    let f = check(&r, "cert-name-mismatch", Severity::Warning, &["certificate that names"]);
    summary_has(f, &["CN=other.example", "\"127.0.0.1\"", "SANs: none"]);
    let f = check(&r, "cert-expiring-soon", Severity::Warning, &["Renew"]);
    assert!(f.summary.contains("in 9 days") || f.summary.contains("in 10 days"), "{}", f.summary);
    check(&r, "cert-self-signed", Severity::Warning, &["CA"]);
    let f = check(&r, "cert-weak-signature", Severity::Warning, &["SHA-256"]);
    summary_has(f, &["sha1"]);
    let f = check(&r, "cert-no-server-auth", Severity::Warning, &["Server Authentication"]);
    summary_has(f, &["client_auth"]);
    absent(&r, "cert-expired");
}

/// security_layer=tls with a CA-issued certificate that becomes valid in two days; TLS 1.2/1.3
/// only, so a Windows 7 client (TLS 1.0) cannot connect.
#[test]
fn xrdp_tls_only_certificate_not_yet_valid() {
    let d = tempfile::tempdir().unwrap();
    let (ca, cakey) = make_ca(d.path());
    let (c, k) = make_cert(
        d.path(),
        "future",
        KeyKind::EcP256,
        "localhost",
        &["localhost", "127.0.0.1"],
        2,
        400,
        Some((&ca, &cakey)),
    );
    let x = xrdp(XrdpConfig {
        security_layer: "tls".into(),
        certificate: Some(c),
        key_file: Some(k),
        ..Default::default()
    });
    let r = probe_with(x.addr, &ProbeOptions { client: Some(ClientProfile::Win7), ..opts() });
    let f = check(&r, "cert-not-yet-valid", Severity::Critical, &["clock"]);
    summary_has(f, &["valid only from"]);
    let f = check(&r, "client-incompatible", Severity::Critical, &["ssl_protocols"]);
    summary_has(f, &["TLS 1.0", "1.2"]);
    // Issued by a CA, names 127.0.0.1, P-256: none of these.
    for id in ["cert-self-signed", "cert-name-mismatch", "cert-weak-key", "cert-expired", "rdp-security-allowed"] {
        absent(&r, id);
    }
    absent(&r, "standard-rdp-security-only");
}

/// security_layer=tls with an unreadable certificate: SSL_CERT_NOT_ON_SERVER.
#[test]
fn xrdp_certificate_missing() {
    let d = tempfile::tempdir().unwrap();
    let x = xrdp(XrdpConfig {
        security_layer: "tls".into(),
        certificate: Some(d.path().join("missing.crt")),
        key_file: Some(d.path().join("missing.key")),
        ..Default::default()
    });
    let r = probe_with(x.addr, &opts());
    let f = check(&r, "cert-missing-on-server", Severity::Critical, &["certificate", "key_file", "readable"]);
    summary_has(f, &["SSL_CERT_NOT_ON_SERVER"]);
    absent(&r, "tls-handshake-failed");
    // Nothing is accepted, so no verdict on NLA.
    absent(&r, "nla-not-required");
}

// ---------------------------------------------------------------------------------------------
// FreeRDP shadow server: NLA, credentials, clock.

/// `/sec:nla` with a SAM user, its clock two hours behind (libfaketime): NLA required, the
/// skew from the NTLM CHALLENGE timestamp, wrong and right credentials, and a legacy client
/// that cannot connect at all.
#[test]
fn shadow_nla_clock_skew_and_credentials() {
    if !have("faketime") {
        panic!("faketime is not installed (Debian package faketime; lab/install.sh installs it)");
    }
    let s = freerdp_shadow(ShadowConfig { faketime: Some("-2h".into()), ..Default::default() });
    let mut o = opts();
    o.steps.tls_versions = false;
    o.client = Some(ClientProfile::Legacy);
    o.credentials = Some(rdp_probe::Credentials::parse("DOMAIN\\user", "wrong".into()));
    let r = probe_with(s.addr, &o);
    check(&r, "nla-required", Severity::Info, &[]);
    absent(&r, "nla-not-required");
    let f = check(&r, "clock-skew", Severity::Warning, &["clock", "NTP"]);
    let skew = r.nla.as_ref().and_then(|n| n.ntlm.as_ref()).and_then(|n| n.clock_skew_s).unwrap();
    assert!((skew + 7200.0).abs() < 120.0, "skew {skew}");
    summary_has(f, &["-720"]);
    let f = check(&r, "credentials-rejected", Severity::Critical, &["password"]);
    summary_has(f, &["user"]);
    let f = check(&r, "client-incompatible", Severity::Critical, &["/sec:nla"]);
    summary_has(f, &["legacy client", "hybrid"]);

    o.client = None;
    o.steps = Steps { tls_versions: false, mcs: false, mcs_methods: false, ..Steps::DEFAULT };
    o.credentials = Some(rdp_probe::Credentials::parse("DOMAIN\\user", "password".into()));
    let r = probe_with(s.addr, &o);
    let f = check(&r, "credentials-accepted", Severity::Info, &["PAM", "-auth"]);
    summary_has(f, &["user"]);
    absent(&r, "credentials-rejected");
}

/// `/sec:nla` on a clock that is right: no clock-skew.
#[test]
fn shadow_nla_without_skew() {
    let s = freerdp_shadow(ShadowConfig::default());
    let mut o = opts();
    o.steps = Steps { tls_versions: false, mcs: false, mcs_methods: false, ..Steps::DEFAULT };
    let r = probe_with(s.addr, &o);
    check(&r, "nla-required", Severity::Info, &[]);
    let skew = r.nla.as_ref().and_then(|n| n.ntlm.as_ref()).and_then(|n| n.clock_skew_s).unwrap();
    assert!(skew.abs() < 60.0, "skew {skew}");
    absent(&r, "clock-skew");
}

// ---------------------------------------------------------------------------------------------
// Through the CLI: a name that does not resolve (in an empty network namespace, so no DNS
// query leaves the machine).

/// Runs the CLI with `args` in a new network namespace (`unshare -n`: no interfaces up).
pub(crate) fn cli_offline(args: &[&str]) -> std::process::Output {
    Command::new("unshare").arg("-n").arg(rdp_probe_bin()).args(args).output().unwrap()
}

#[test]
fn name_does_not_resolve() {
    let out = cli_offline(&["--json", "-t", "1", "nonexistent.invalid"]);
    assert_eq!(out.status.code(), Some(3), "{out:?}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["status"], "dns_error");
    let f = v["findings"].as_array().unwrap().iter().find(|f| f["id"] == "dns-failure").unwrap();
    assert_eq!(f["severity"], "critical");
    assert!(f["remedy"].as_str().unwrap().contains("DNS"), "{f}");
}
