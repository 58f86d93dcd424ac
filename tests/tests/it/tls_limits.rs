//! "Our limits are ours" (issue 11) against real xrdp on 127.0.0.1 (`security_layer=tls`):
//! - RSA-1024 certificate: rustls/ring refuse the key size; the probing verifier checks the
//!   handshake signature itself, so MCS over TLS completes and its facts are reported.
//! - TLS 1.0-only listener: rustls cannot speak it; every failure that stems from our TLS stack
//!   is marked `client_limitation` with a text starting "rdp-probe cannot", and the raw
//!   ClientHellos still show the certificate.
//! - Certificate and key that do not match: xrdp selects TLS, then sends an MCS
//!   Disconnect-Provider-Ultimatum in clear; the report names it (`server_sent`) instead of
//!   rustls's `InvalidContentType`.

use rdp_probe::report::Report;
use rdp_probe::{probe, ProbeOptions, Steps, Target};
use rdp_probe_tests::{make_cert, xrdp, KeyKind, Server, XrdpConfig};
use std::path::PathBuf;
use std::time::Duration;

const SECLEVEL0: &str = "DEFAULT:@SECLEVEL=0";

fn cert(dir: &std::path::Path, name: &str, key: KeyKind) -> (PathBuf, PathBuf) {
    make_cert(dir, name, key, "localhost", &["localhost", "127.0.0.1"], -1, 30, None)
}

fn xrdp_tls(cert: PathBuf, key: PathBuf, protocols: &str) -> Server {
    xrdp(XrdpConfig {
        security_layer: "tls".into(),
        ssl_protocols: Some(protocols.into()),
        tls_ciphers: Some(SECLEVEL0.into()),
        certificate: Some(cert),
        key_file: Some(key),
        ..Default::default()
    })
}

/// TLS (versions, no suites), NLA and MCS (no per-method enumeration).
fn run(srv: &Server) -> (Report, serde_json::Value) {
    let o = ProbeOptions::builder()
        .timeout(Duration::from_secs(5))
        .overall_timeout(Duration::from_secs(60))
        .steps(Steps { tls_ciphers: false, mcs_methods: false, ..Steps::DEFAULT })
        .build();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let t = Target::parse(&srv.addr.to_string(), 3389).unwrap();
    let r = rt.block_on(probe(&t, &o));
    let j = serde_json::to_value(&r).unwrap();
    (r, j)
}

/// Every error object (`error`, `errors[]`) of the tls, mcs and nla sections.
fn section_errors(j: &serde_json::Value) -> Vec<(String, serde_json::Value)> {
    let mut out = Vec::new();
    for sec in ["tls", "mcs", "nla"] {
        if let Some(e) = j[sec].get("error") {
            out.push((format!("{sec}.error"), e.clone()));
        }
        for (i, e) in j[sec]["errors"].as_array().into_iter().flatten().enumerate() {
            out.push((format!("{sec}.errors[{i}]"), e.clone()));
        }
    }
    out
}

fn text(e: &serde_json::Value) -> &str {
    e["text"].as_str().or(e["detail"].as_str()).unwrap_or_default()
}

#[test]
fn rsa1024_certificate_mcs_over_tls_completes() {
    let d = tempfile::tempdir().unwrap();
    let (c, k) = cert(d.path(), "rsa1024", KeyKind::Rsa(1024));
    let srv = xrdp_tls(c, k, "TLSv1.2, TLSv1.3");
    let (r, j) = run(&srv);
    let tls = r.tls.as_ref().expect("tls section");
    assert!(tls.rustls_handshake, "{tls:#?}");
    assert_eq!(tls.source, Some(rdp_probe::report::tls::TlsSource::Rustls));
    assert!(tls.errors.is_empty() && tls.error.is_none(), "{tls:#?}");
    let cert = tls.certificate.as_ref().unwrap();
    assert_eq!(cert.key_bits, Some(1024));
    assert!(cert.webpki_errors.contains(&"weak key".to_string()));
    let mcs = r.mcs.as_ref().expect("mcs section");
    assert_eq!(mcs.transport, Some(rdp_probe::report::mcs::Transport::Tls));
    assert_eq!(mcs.error, None, "{mcs:#?}");
    assert_eq!(mcs.encryption_level, Some(rdp_probe::report::mcs::EncryptionLevel::None));
    assert!(mcs.rdp_version.is_some(), "{mcs:#?}");
    assert!(!j.to_string().contains("BadSignature"), "{j:#}");
}

#[test]
fn tls10_only_failures_are_client_limitations() {
    let d = tempfile::tempdir().unwrap();
    let (c, k) = cert(d.path(), "legacy", KeyKind::Rsa(2048));
    let srv = xrdp_tls(c, k, "TLSv1");
    let (r, j) = run(&srv);
    let tls = r.tls.as_ref().expect("tls section");
    assert!(!tls.rustls_handshake);
    assert_eq!(tls.source, Some(rdp_probe::report::tls::TlsSource::Raw));
    assert_eq!(tls.version, Some(rdp_probe::report::tls::TlsVersion::Tls10));
    assert!(tls.certificate.is_some(), "{tls:#?}");
    // The rustls attempt failed because of us.
    let rustls = tls.errors.iter().find(|e| e.attempt == "rustls").expect("rustls error");
    assert!(rustls.client_limitation, "{rustls:?}");
    assert!(rustls.text.starts_with("rdp-probe cannot complete a TLS 1.0 handshake"), "{rustls:?}");
    // MCS can only run inside TLS here (xrdp tls mode refuses Standard RDP Security).
    let mcs = r.mcs.as_ref().expect("mcs section");
    let e = mcs.error.as_ref().expect("mcs error");
    assert!(e.client_limitation && e.detail.starts_with("rdp-probe cannot"), "{e:?}");
    // Every error of these sections stems from our TLS stack: marked, and worded as ours.
    let errs = section_errors(&j);
    assert!(!errs.is_empty());
    for (at, e) in errs {
        assert_eq!(e["client_limitation"], true, "{at}: {e}");
        assert!(text(&e).starts_with("rdp-probe cannot"), "{at}: {e}");
    }
    assert!(!j.to_string().contains("ProtocolVersion"), "{j:#}");
}

#[test]
fn mismatched_key_names_the_disconnect_ultimatum() {
    let d = tempfile::tempdir().unwrap();
    let (c, _) = cert(d.path(), "a", KeyKind::Rsa(2048));
    let (_, other_key) = cert(d.path(), "b", KeyKind::Rsa(2048));
    let srv = xrdp_tls(c, other_key, "TLSv1.2, TLSv1.3");
    let (r, j) = run(&srv);
    let tls = r.tls.as_ref().expect("tls section");
    let e = tls.error.as_ref().expect("tls error");
    assert_eq!(e.server_sent.as_deref(), Some("0300000902f0802180"), "{tls:#?}");
    assert!(e.text.contains("MCS Disconnect-Provider-Ultimatum"), "{e:?}");
    assert!(e.text.contains("certificate or private key"), "{e:?}");
    assert!(!e.client_limitation);
    // Each attempt shows it: rustls, the raw certificate attempt, every version probe.
    for a in ["rustls", "raw certificate"] {
        let e = tls.errors.iter().find(|e| e.attempt == a).unwrap_or_else(|| panic!("{a}: {tls:#?}"));
        assert_eq!(e.server_sent.as_deref(), Some("0300000902f0802180"), "{a}: {e:?}");
        assert!(e.text.contains("Disconnect-Provider-Ultimatum"), "{a}: {e:?}");
    }
    assert_eq!(tls.version_attempts.len(), 4);
    for a in &tls.version_attempts {
        let d = a.detail.as_deref().unwrap_or_default();
        assert!(d.contains("0300000902f0802180") && d.contains("Disconnect-Provider-Ultimatum"), "{a:?}");
    }
    let mcs = r.mcs.as_ref().expect("mcs section");
    let m = mcs.error.as_ref().expect("mcs error");
    assert!(m.detail.contains("Disconnect-Provider-Ultimatum") && !m.client_limitation, "{m:?}");
    assert!(!j.to_string().contains("InvalidContentType"), "{j:#}");
}

/// CredSSP over TLS with an RSA-1024 certificate (FreeRDP shadow, `/sec:nla`): the NTLM
/// CHALLENGE is read, no TLS error.
#[test]
fn rsa1024_certificate_credssp_completes() {
    let d = tempfile::tempdir().unwrap();
    let (c, k) = cert(d.path(), "shadow1024", KeyKind::Rsa(1024));
    let srv =
        rdp_probe_tests::freerdp_shadow(rdp_probe_tests::ShadowConfig { cert: Some((c, k)), ..Default::default() });
    let (r, _) = run(&srv);
    let nla = r.nla.as_ref().unwrap_or_else(|| panic!("no nla section: {r:#?}"));
    assert_eq!(nla.error, None, "{nla:#?}");
    assert!(nla.ntlm.is_some(), "{nla:#?}");
    assert!(nla.tls_version.is_some());
    assert_eq!(r.tls.as_ref().and_then(|t| t.certificate.as_ref()).and_then(|c| c.key_bits), Some(1024));
}
