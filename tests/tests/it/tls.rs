//! TLS layer against real servers on 127.0.0.1: xrdp (`security_layer=tls`) with each
//! `ssl_protocols` mix the installed OpenSSL allows and generated certificates, checked field
//! by field against `openssl x509` and, for versions and suites, against `sslscan --rdp`.
//!
//! Servers and certificates come from the `rdp_probe_tests` harness (`xrdp`,
//! `freerdp_shadow`, `issue_cert`). Tests fail (naming the tool) when xrdp, openssl or sslscan
//! is missing.

use rdp_probe::report::tls::{CertificateReport, CipherGrade, TlsReport, TlsSource, TlsVersion};
use rdp_probe::{probe, ProbeOptions, Steps, Target};
use rdp_probe_tests::{
    freerdp_shadow, have, issue_cert, make_ca, make_cert, require_tools, xrdp, CertSpec, KeyKind, Server, ShadowConfig,
    Validity, XrdpConfig,
};
use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// xrdp with `security_layer=tls`, this certificate and key, `ssl_protocols` and (when given)
/// `tls_ciphers`.
fn xrdp_tls(cert: &Path, key: &Path, protocols: &str, ciphers: Option<&str>) -> Server {
    xrdp(XrdpConfig {
        security_layer: "tls".into(),
        certificate: Some(cert.into()),
        key_file: Some(key.into()),
        ssl_protocols: Some(protocols.into()),
        tls_ciphers: ciphers.map(Into::into),
        ..Default::default()
    })
}

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "{cmd:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A self-signed server certificate valid now, in `dir`.
fn self_signed(dir: &Path, name: &str, key: KeyKind, subject: &str, sans: &[&str]) -> (PathBuf, PathBuf) {
    issue_cert(dir, &CertSpec { name, key, subject, sans, ..Default::default() })
}

/// A self-signed certificate for localhost / 127.0.0.1 with fixed dates (YYYYMMDDHHMMSSZ).
fn dated(dir: &Path, name: &str, start: &'static str, end: &'static str) -> (PathBuf, PathBuf) {
    issue_cert(
        dir,
        &CertSpec {
            name,
            sans: &["localhost", "127.0.0.1"],
            validity: Validity::Between(start, end),
            ..Default::default()
        },
    )
}

/// root -> intermediate -> leaf; returns (leaf+intermediate file, leaf key, leaf, intermediate).
fn chain(dir: &Path) -> (PathBuf, PathBuf, PathBuf, PathBuf) {
    let (root, root_key) = make_ca(dir);
    let (int, int_key) = issue_cert(
        dir,
        &CertSpec {
            name: "int",
            subject: "/CN=rdp-probe test intermediate",
            validity: Validity::Days(-30, 3650),
            issuer: Some((&root, &root_key)),
            ca: true,
            ..Default::default()
        },
    );
    let (leaf, leaf_key) = make_cert(
        dir,
        "leaf",
        KeyKind::Rsa(2048),
        "localhost",
        &["localhost", "127.0.0.1"],
        -1,
        365,
        Some((&int, &int_key)),
    );
    let bundle = dir.join("bundle.crt");
    let mut b = std::fs::read(&leaf).unwrap();
    b.extend(std::fs::read(&int).unwrap());
    std::fs::write(&bundle, b).unwrap();
    (bundle, leaf_key, leaf, int)
}

/// `openssl x509` of one certificate file.
fn x509(crt: &Path, args: &[&str]) -> String {
    run(Command::new("openssl").arg("x509").arg("-in").arg(crt).arg("-noout").args(args)).trim().to_string()
}

fn fingerprint(crt: &Path, alg: &str) -> String {
    x509(crt, &["-fingerprint", alg]).split_once('=').unwrap().1.replace(':', "")
}

/// Checks a certificate report against openssl's view of the same file.
fn check_against_openssl(r: &CertificateReport, crt: &Path) {
    assert_eq!(r.sha256, fingerprint(crt, "-sha256"), "sha256");
    assert_eq!(r.sha1, fingerprint(crt, "-sha1"), "sha1 (Windows thumbprint)");
    // Random serials may start with a 0 nibble: compare without leading zeros on both sides.
    assert_eq!(
        r.serial.trim_start_matches('0'),
        x509(crt, &["-serial"]).trim_start_matches("serial=").trim_start_matches('0'),
        "serial"
    );
    let subj = x509(crt, &["-subject"]).trim_start_matches("subject=").replace(" = ", "=");
    assert_eq!(r.subject, subj, "subject");
    let iss = x509(crt, &["-issuer"]).trim_start_matches("issuer=").replace(" = ", "=");
    assert_eq!(r.issuer, iss, "issuer");
    let dates = x509(crt, &["-dates", "-dateopt", "iso_8601"]);
    let nb = dates.lines().find_map(|l| l.strip_prefix("notBefore=")).unwrap();
    let na = dates.lines().find_map(|l| l.strip_prefix("notAfter=")).unwrap();
    assert_eq!(r.not_before.unwrap().to_string().replace('T', " "), nb, "not_before");
    assert_eq!(r.not_after.unwrap().to_string().replace('T', " "), na, "not_after");
    let text = x509(crt, &["-text"]);
    let bits: u32 = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("Public-Key: ("))
        .and_then(|s| s.split(' ').next())
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(r.key_bits, Some(bits), "key_bits");
    let sig = text.lines().find_map(|l| l.trim().strip_prefix("Signature Algorithm: ")).unwrap();
    assert_eq!(r.signature_algorithm, sig, "signature_algorithm");
    let san = std::process::Command::new("openssl")
        .arg("x509")
        .arg("-in")
        .arg(crt)
        .args(["-noout", "-ext", "subjectAltName"])
        .output()
        .unwrap();
    let san = String::from_utf8_lossy(&san.stdout);
    let want: Vec<String> = san
        .lines()
        .skip(1)
        .flat_map(|l| l.split(", ").map(|x| x.trim().to_string()).collect::<Vec<_>>())
        .filter(|x| !x.is_empty())
        .map(|x| x.trim_start_matches("DNS:").trim_start_matches("IP Address:").to_string())
        .collect();
    assert_eq!(r.sans, want, "sans");
}

fn opts(steps: Steps) -> ProbeOptions {
    ProbeOptions::builder()
        .timeout(Duration::from_secs(5))
        .overall_timeout(Duration::from_secs(120))
        .steps(steps)
        .build()
}

fn probe_tls(addr: SocketAddr, o: &ProbeOptions) -> TlsReport {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let t = Target::from_addr(addr.ip(), addr.port());
    let r = rt.block_on(probe(&t, o));
    r.tls.clone().unwrap_or_else(|| panic!("no tls report: {r:#?}"))
}

const VERSIONS_ONLY: Steps = Steps { tls_ciphers: false, nla: false, mcs: false, mcs_methods: false, ..Steps::DEFAULT };
const WITH_CIPHERS: Steps = Steps { tls_ciphers: true, ..VERSIONS_ONLY };
const SECLEVEL0: &str = "DEFAULT:@SECLEVEL=0";

fn versions(v: &[(&str, bool)]) -> BTreeMap<TlsVersion, bool> {
    v.iter().map(|(k, b)| (tv(k), *b)).collect()
}

/// The version of a label ("1.2").
fn tv(label: &str) -> TlsVersion {
    label.parse().unwrap()
}

/// sslscan --rdp: versions ("1.0".. -> enabled) and accepted suites per version (IANA names).
/// sslscan ignores RDP_NEG_FAILURE (it sends a fixed CR and starts TLS whatever the answer):
/// harmless on xrdp `tls` listeners, which accept its request.
fn sslscan(addr: SocketAddr) -> (BTreeMap<TlsVersion, bool>, BTreeMap<TlsVersion, BTreeSet<String>>) {
    let out = run(Command::new("sslscan")
        .args(["--rdp", "--no-colour", "--no-heartbleed", "--no-renegotiation"])
        .arg(addr.to_string()));
    let names = run(Command::new("openssl").args(["ciphers", "-stdname", "ALL:COMPLEMENTOFALL:@SECLEVEL=0"]));
    let map: BTreeMap<String, String> = names
        .lines()
        .filter_map(|l| {
            let (std, rest) = l.split_once(" - ")?;
            Some((rest.split_whitespace().next()?.to_string(), std.trim().to_string()))
        })
        .collect();
    let mut vers = BTreeMap::new();
    let mut suites: BTreeMap<TlsVersion, BTreeSet<String>> = BTreeMap::new();
    for l in out.lines() {
        let w: Vec<&str> = l.split_whitespace().collect();
        match w.as_slice() {
            [v, state] if v.starts_with("TLSv1.") && (*state == "enabled" || *state == "disabled") => {
                vers.insert(tv(v.trim_start_matches("TLSv")), *state == "enabled");
            }
            [kind, v, _, _, name, ..] if (*kind == "Accepted" || *kind == "Preferred") && v.starts_with("TLSv") => {
                let iana = map.get(*name).cloned().unwrap_or_else(|| name.to_string());
                suites.entry(tv(v.trim_start_matches("TLSv"))).or_default().insert(iana);
            }
            _ => {}
        }
    }
    (vers, suites)
}

#[test]
fn xrdp_tls12_13_rsa2048_fields_match_openssl_and_sslscan() {
    require_tools(&["xrdp", "openssl", "sslscan"]);
    let pki = tempfile::tempdir().unwrap();
    let dir = pki.path();
    let (crt, key) =
        self_signed(dir, "rsa2048", KeyKind::Rsa(2048), "/O=rdp-probe test/CN=localhost", &["localhost", "127.0.0.1"]);
    let srv = xrdp_tls(&crt, &key, "TLSv1.2, TLSv1.3", None);
    let tls = probe_tls(srv.addr, &opts(VERSIONS_ONLY));
    assert!(tls.rustls_handshake, "{tls:#?}");
    assert_eq!(tls.source, Some(TlsSource::Rustls));
    assert_eq!(tls.requested_protocols, Some(1));
    assert_eq!(tls.version, Some(TlsVersion::Tls13));
    assert!(
        tls.cipher_suite.as_deref().unwrap().starts_with("TLS_AES_")
            || tls.cipher_suite.as_deref() == Some("TLS_CHACHA20_POLY1305_SHA256")
    );
    assert!(tls.key_exchange_group.is_some());
    assert_eq!(tls.versions, versions(&[("1.0", false), ("1.1", false), ("1.2", true), ("1.3", true)]));
    // xrdp reads the ClientHello's first byte as a TPKT version and answers with an MCS
    // Disconnect-Provider-Ultimatum: no Direct Approach.
    let da = tls.direct_approach.as_ref().unwrap();
    assert!(!da.accepted);
    assert!(da.detail.as_deref().unwrap().starts_with("not TLS: 03"), "{da:?}");
    let c = tls.certificate.as_ref().unwrap();
    check_against_openssl(c, &crt);
    assert_eq!((c.key_type.as_str(), c.self_signed, c.expired, c.not_yet_valid), ("rsa", true, false, false));
    assert_eq!(c.hostname_match, Some(true)); // IP SAN 127.0.0.1
    assert_eq!(c.webpki_errors, vec!["self-signed".to_string()]);
    assert_eq!(tls.chain.len(), 1);
    assert!(tls.error.is_none());
    let (sv, _) = sslscan(srv.addr);
    assert_eq!(sv, tls.versions, "versions vs sslscan --rdp");
}

#[test]
fn xrdp_tls10_only_listener_still_shows_its_certificate() {
    require_tools(&["xrdp", "openssl"]);
    let pki = tempfile::tempdir().unwrap();
    let dir = pki.path();
    let (crt, key) = self_signed(dir, "legacy", KeyKind::Rsa(2048), "/CN=legacy.example", &[]);
    let srv = xrdp_tls(&crt, &key, "TLSv1", Some(SECLEVEL0));
    let tls = probe_tls(srv.addr, &opts(VERSIONS_ONLY));
    // rustls speaks only TLS 1.2/1.3: it fails, the raw engine reads the clear-text flight.
    assert!(!tls.rustls_handshake);
    assert_eq!(tls.errors.first().map(|e| e.attempt.as_str()), Some("rustls"));
    assert_eq!(tls.source, Some(TlsSource::Raw));
    assert_eq!(tls.version, Some(TlsVersion::Tls10));
    assert_eq!(tls.versions, versions(&[("1.0", true), ("1.1", false), ("1.2", false), ("1.3", false)]));
    // Offering 1.1 or 1.2 to a 1.0-only server gets a 1.0 ServerHello: not "accepted".
    let a12 = tls.version_attempts.iter().find(|a| a.offered == TlsVersion::Tls12).unwrap();
    assert_eq!(a12.server_version, Some(TlsVersion::Tls10));
    let c = tls.certificate.as_ref().expect("certificate of a TLS 1.0-only listener");
    check_against_openssl(c, &crt);
    assert_eq!(c.hostname_match, Some(false)); // CN=legacy.example, no SAN, probed as 127.0.0.1
    assert!(c.webpki_errors.contains(&"name mismatch".to_string()));
    assert!(tls.error.is_none());
    if have("sslscan") {
        let (sv, _) = sslscan(srv.addr);
        assert_eq!(sv, tls.versions, "versions vs sslscan --rdp");
    }
}

#[test]
fn xrdp_each_single_version() {
    require_tools(&["xrdp", "openssl"]);
    let pki = tempfile::tempdir().unwrap();
    let dir = pki.path();
    let (crt, key) = self_signed(dir, "v", KeyKind::Rsa(2048), "/CN=localhost", &["localhost"]);
    for (proto, label) in [("TLSv1.1", "1.1"), ("TLSv1.2", "1.2"), ("TLSv1.3", "1.3")] {
        let srv = xrdp_tls(&crt, &key, proto, Some(SECLEVEL0));
        let tls = probe_tls(srv.addr, &opts(VERSIONS_ONLY));
        let want: BTreeMap<TlsVersion, bool> =
            ["1.0", "1.1", "1.2", "1.3"].iter().map(|v| (tv(v), *v == label)).collect();
        assert_eq!(tls.versions, want, "{proto}");
        assert_eq!(tls.version, Some(tv(label)), "{proto}");
        assert_eq!(tls.rustls_handshake, label != "1.1", "{proto}");
        // TLS 1.3 encrypts the Certificate: only rustls can show it.
        assert_eq!(tls.certificate.as_ref().unwrap().sha256, fingerprint(&crt, "-sha256"), "{proto}");
    }
}

#[test]
fn xrdp_key_types() {
    require_tools(&["xrdp", "openssl"]);
    let pki = tempfile::tempdir().unwrap();
    let dir = pki.path();
    for (name, key, kt, bits, curve, weak) in [
        ("rsa1024", KeyKind::Rsa(1024), "rsa", 1024, None, true),
        ("rsa4096", KeyKind::Rsa(4096), "rsa", 4096, None, false),
        ("p256", KeyKind::EcP256, "ec", 256, Some("P-256"), false),
    ] {
        let (crt, k) = self_signed(dir, name, key, "/CN=localhost", &["127.0.0.1"]);
        let srv = xrdp_tls(&crt, &k, "TLSv1.2, TLSv1.3", Some(SECLEVEL0));
        let tls = probe_tls(srv.addr, &opts(Steps { tls_versions: false, ..VERSIONS_ONLY }));
        let c = tls.certificate.as_ref().unwrap_or_else(|| panic!("{name}: {tls:#?}"));
        check_against_openssl(c, &crt);
        assert_eq!((c.key_type.as_str(), c.key_bits, c.ec_curve.as_deref()), (kt, Some(bits), curve), "{name}");
        assert_eq!(c.webpki_errors.contains(&"weak key".to_string()), weak, "{name}");
        assert!(c.self_signed, "{name}");
        // ring refuses RSA keys under 2048 bits; the probing verifier checks the handshake
        // signature itself (tls::legacy_rsa), so rustls completes with RSA-1024 too.
        assert!(tls.rustls_handshake, "{name}: {tls:#?}");
    }
}

#[test]
fn xrdp_expired_not_yet_valid_wrong_name() {
    require_tools(&["xrdp", "openssl"]);
    let pki = tempfile::tempdir().unwrap();
    let dir = pki.path();
    let steps = Steps { tls_versions: false, ..VERSIONS_ONLY };
    let (crt, key) = dated(dir, "expired", "20200101000000Z", "20210101000000Z");
    let srv = xrdp_tls(&crt, &key, "TLSv1.2, TLSv1.3", None);
    let c = probe_tls(srv.addr, &opts(steps)).certificate.unwrap();
    check_against_openssl(&c, &crt);
    assert!(c.expired && !c.not_yet_valid && c.days_until_expiry < -365);
    assert_eq!(c.not_after.map(|t| t.to_string()).as_deref(), Some("2021-01-01T00:00:00Z"));
    assert!(c.webpki_errors.contains(&"expired".to_string()));
    drop(srv);

    let (crt, key) = dated(dir, "future", "20990101000000Z", "21000101000000Z");
    let srv = xrdp_tls(&crt, &key, "TLSv1.2, TLSv1.3", None);
    let c = probe_tls(srv.addr, &opts(steps)).certificate.unwrap();
    assert!(c.not_yet_valid && !c.expired);
    assert!(c.webpki_errors.contains(&"not yet valid".to_string()));
    drop(srv);

    let (crt, key) = self_signed(dir, "wrong", KeyKind::Rsa(2048), "/CN=localhost", &["rdp.example.com"]);
    let srv = xrdp_tls(&crt, &key, "TLSv1.2, TLSv1.3", None);
    let c = probe_tls(srv.addr, &opts(steps)).certificate.unwrap();
    assert_eq!((c.checked_name.as_deref(), c.hostname_match), (Some("127.0.0.1"), Some(false)));
    assert!(c.webpki_errors.contains(&"name mismatch".to_string()));
    // The name the user typed is what is checked (CN is ignored when a SAN exists).
    let o = ProbeOptions { server_name: Some("rdp.example.com".into()), ..opts(steps) };
    assert_eq!(probe_tls(srv.addr, &o).certificate.unwrap().hostname_match, Some(true));
    let o = ProbeOptions { server_name: Some("localhost".into()), ..opts(steps) };
    assert_eq!(probe_tls(srv.addr, &o).certificate.unwrap().hostname_match, Some(false));
}

#[test]
fn xrdp_ca_signed_chain() {
    require_tools(&["xrdp", "openssl"]);
    let pki = tempfile::tempdir().unwrap();
    let dir = pki.path();
    let (bundle, key, leaf, int) = chain(dir);
    let srv = xrdp_tls(&bundle, &key, "TLSv1.2", None);
    let tls = probe_tls(srv.addr, &opts(Steps { tls_versions: false, ..VERSIONS_ONLY }));
    assert_eq!(tls.chain.len(), 2, "{tls:#?}");
    check_against_openssl(&tls.chain[0], &leaf);
    check_against_openssl(&tls.chain[1], &int);
    let c = &tls.chain[0];
    assert!(!c.self_signed && !c.is_ca && c.server_auth);
    assert_eq!(c.extended_key_usage, vec!["server_auth".to_string()]);
    assert_eq!(c.key_usage, vec!["digital_signature".to_string(), "key_encipherment".to_string()]);
    assert_eq!(c.signed_by_next, Some(true));
    assert!(tls.chain[1].is_ca);
    // Name, dates, usage and chain signatures are fine; the private root is not judged.
    assert!(c.webpki_valid, "{:?}", c.webpki_errors);
}

#[test]
fn xrdp_cipher_enumeration_matches_sslscan() {
    require_tools(&["xrdp", "openssl", "sslscan"]);
    let pki = tempfile::tempdir().unwrap();
    let dir = pki.path();
    let (crt, key) = self_signed(dir, "all", KeyKind::Rsa(2048), "/CN=localhost", &["127.0.0.1"]);
    let srv = xrdp_tls(&crt, &key, "TLSv1, TLSv1.1, TLSv1.2, TLSv1.3", Some(SECLEVEL0));
    let tls = probe_tls(srv.addr, &opts(WITH_CIPHERS));
    assert_eq!(tls.versions, versions(&[("1.0", true), ("1.1", true), ("1.2", true), ("1.3", true)]));
    let (sv, ss) = sslscan(srv.addr);
    assert_eq!(sv, tls.versions);
    for (v, list) in &tls.ciphers {
        let ours: BTreeSet<String> = list.iter().map(|c| c.name.clone()).collect();
        assert_eq!(Some(&ours), ss.get(v), "suites at TLS {v} vs sslscan --rdp");
        assert_eq!(tls.cipher_enumeration_complete.get(v), Some(&true));
    }
    // TLS 1.0 CBC-SHA1 suites are graded weak (BEAST); TLS 1.3 suites strong.
    assert!(tls.ciphers[&TlsVersion::Tls10]
        .iter()
        .all(|c| c.grade == CipherGrade::Weak && c.weaknesses.contains(&"cbc_sha1_tls10".into())));
    assert!(tls.ciphers[&TlsVersion::Tls13].iter().all(|c| c.grade == CipherGrade::Strong));
}

#[test]
fn xrdp_unreadable_certificate_is_ssl_cert_not_on_server() {
    require_tools(&["xrdp", "openssl"]);
    let pki = tempfile::tempdir().unwrap();
    let dir = pki.path();
    let missing = dir.join("missing.crt");
    let srv = xrdp_tls(&missing, &dir.join("missing.key"), "TLSv1.2, TLSv1.3", None);
    let tls = probe_tls(srv.addr, &opts(VERSIONS_ONLY));
    let e = tls.error.expect("error");
    assert!(e.text.starts_with("ssl_cert_not_on_server"), "{e:?}");
    assert!(tls.certificate.is_none());
}

/// FreeRDP's shadow server in /sec:tls mode with a certificate we made: the TLS report
/// (versions, certificate fields vs openssl) and sslscan --rdp agree. OpenSSL 3 in Debian 12
/// allows TLS 1.2 and 1.3 for this server (FreeRDP sets no lower minimum).
#[test]
fn shadow_tls_versions_and_certificate() {
    require_tools(&["freerdp-shadow-cli", "Xvfb", "openssl", "sslscan"]);
    let pki = tempfile::tempdir().unwrap();
    let dir = pki.path();
    let (crt, key) = self_signed(dir, "shadow", KeyKind::Rsa(2048), "/CN=rdp-shadow.test", &["rdp-shadow.test"]);
    let s = freerdp_shadow(ShadowConfig { sec: "tls".into(), cert: Some((crt.clone(), key)), ..Default::default() });
    let addr = s.addr;
    let tls = probe_tls(addr, &opts(VERSIONS_ONLY));
    let c = tls.certificate.as_ref().expect("certificate");
    check_against_openssl(c, &crt);
    assert!(tls.rustls_handshake, "{tls:#?}");
    assert_eq!(tls.versions.get(&TlsVersion::Tls10), Some(&false));
    assert_eq!(tls.versions.get(&TlsVersion::Tls11), Some(&false));
    assert_eq!(tls.versions.get(&TlsVersion::Tls12), Some(&true));
    let (sv, _) = sslscan(addr);
    assert_eq!(sv, tls.versions, "versions vs sslscan --rdp");
}
