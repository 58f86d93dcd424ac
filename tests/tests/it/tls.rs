//! TLS layer against real servers on 127.0.0.1: xrdp (`security_layer=tls`) with each
//! `ssl_protocols` mix the installed OpenSSL allows and generated certificates, checked field
//! by field against `openssl x509` and, for versions and suites, against `sslscan --rdp`.
//!
//! The lab harness (`rdp_probe_tests::xrdp`) had not landed when these were written: a small
//! local fixture below starts xrdp and makes certificates (ports 21100-21999). Tests skip
//! (with a message) when xrdp, openssl or sslscan is missing.

use rdp_probe::report::tls::{CertificateReport, CipherGrade, TlsReport, TlsSource, TlsVersion};
use rdp_probe::{probe, ProbeOptions, Steps, Target};
use rdp_probe_tests::have;
use std::collections::{BTreeMap, BTreeSet};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU16, Ordering};
use std::time::{Duration, Instant};

static NEXT_PORT: AtomicU16 = AtomicU16::new(21100);

fn tools(list: &[&str]) -> bool {
    let missing: Vec<_> = list.iter().filter(|t| !have(t)).collect();
    // A missing tool is a broken test machine, not a reason to pass: .ci/run installs them all.
    assert!(missing.is_empty(), "{missing:?} not installed (lab/install.sh installs them)");
    true
}

fn free_port() -> u16 {
    loop {
        let p = NEXT_PORT.fetch_add(1, Ordering::SeqCst);
        assert!(p < 22000, "out of test ports");
        if std::net::TcpListener::bind(("127.0.0.1", p)).is_ok() {
            return p;
        }
    }
}

/// A server process, killed on drop.
struct Server {
    child: Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }
}

fn wait_listening(port: u16) {
    let t = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(t.elapsed() < Duration::from_secs(10), "server on {port} did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// xrdp with `security_layer=tls`.
fn xrdp_tls(cert: &Path, key: &Path, protocols: &str, ciphers: &str) -> Server {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let ini = dir.path().join("xrdp.ini");
    std::fs::write(
        &ini,
        format!(
            "[Globals]\nini_version=1\nfork=true\nport=tcp://127.0.0.1:{port}\nsecurity_layer=tls\ncrypt_level=high\n\
             certificate={}\nkey_file={}\nssl_protocols={protocols}\ntls_ciphers={ciphers}\n\
             [Logging]\nLogFile={}\nLogLevel=INFO\nEnableSyslog=false\n",
            cert.display(),
            key.display(),
            dir.path().join("xrdp.log").display()
        ),
    )
    .unwrap();
    let child = Command::new("xrdp")
        .arg("--nodaemon")
        .arg("--config")
        .arg(&ini)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_listening(port);
    // The listening connect above costs xrdp a child; give it a moment.
    std::thread::sleep(Duration::from_millis(50));
    Server { child, port, _dir: dir }
}

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "{cmd:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Certificates made with openssl.
struct Pki {
    dir: tempfile::TempDir,
}

#[derive(Clone, Copy)]
enum Key {
    Rsa(u32),
    P256,
}

impl Pki {
    fn new() -> Pki {
        Pki { dir: tempfile::tempdir().unwrap() }
    }
    fn p(&self, f: &str) -> PathBuf {
        self.dir.path().join(f)
    }
    fn newkey(key: Key) -> Vec<String> {
        match key {
            Key::Rsa(bits) => vec!["-newkey".into(), format!("rsa:{bits}")],
            Key::P256 => vec!["-newkey".into(), "ec".into(), "-pkeyopt".into(), "ec_paramgen_curve:P-256".into()],
        }
    }
    /// A self-signed certificate valid now.
    fn self_signed(&self, name: &str, key: Key, subj: &str, san: Option<&str>) -> (PathBuf, PathBuf) {
        let (crt, k) = (self.p(&format!("{name}.crt")), self.p(&format!("{name}.key")));
        let mut c = Command::new("openssl");
        c.args(["req", "-x509", "-nodes", "-days", "365", "-subj", subj]).args(Self::newkey(key));
        c.arg("-keyout").arg(&k).arg("-out").arg(&crt);
        if let Some(s) = san {
            c.args(["-addext", &format!("subjectAltName={s}")]);
        }
        run(&mut c);
        (crt, k)
    }
    /// A self-signed certificate with explicit dates (YYYYMMDDHHMMSSZ), via `openssl ca`.
    fn dated(&self, name: &str, start: &str, end: &str) -> (PathBuf, PathBuf) {
        let d = self.p(&format!("ca-{name}"));
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(d.join("index.txt"), "").unwrap();
        std::fs::write(d.join("serial"), "1000\n").unwrap();
        std::fs::write(
            d.join("ca.cnf"),
            format!(
                "[ca]\ndefault_ca=c\n[c]\ndir={0}\ndatabase={0}/index.txt\nnew_certs_dir={0}\nserial={0}/serial\n\
                 default_md=sha256\npolicy=p\ncopy_extensions=copy\nunique_subject=no\n[p]\ncommonName=supplied\n",
                d.display()
            ),
        )
        .unwrap();
        let (crt, k, csr) = (self.p(&format!("{name}.crt")), self.p(&format!("{name}.key")), d.join("r.csr"));
        run(Command::new("openssl")
            .args(["req", "-new", "-nodes", "-newkey", "rsa:2048", "-subj", "/CN=localhost"])
            .args(["-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"])
            .arg("-keyout")
            .arg(&k)
            .arg("-out")
            .arg(&csr));
        run(Command::new("openssl")
            .args(["ca", "-batch", "-notext", "-selfsign", "-config"])
            .arg(d.join("ca.cnf"))
            .arg("-keyfile")
            .arg(&k)
            .arg("-in")
            .arg(&csr)
            .arg("-out")
            .arg(&crt)
            .args(["-startdate", start, "-enddate", end]));
        (crt, k)
    }
    /// root -> intermediate -> leaf; returns (leaf+intermediate file, leaf key, leaf, intermediate).
    fn chain(&self) -> (PathBuf, PathBuf, PathBuf, PathBuf) {
        let (root, root_key) = self.self_signed("root", Key::Rsa(2048), "/CN=rdp-probe test root", None);
        let ext = self.p("ca.ext");
        std::fs::write(&ext, "basicConstraints=critical,CA:TRUE\nkeyUsage=keyCertSign,cRLSign\n").unwrap();
        let leaf_ext = self.p("leaf.ext");
        std::fs::write(
            &leaf_ext,
            "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n\
             subjectAltName=DNS:localhost,IP:127.0.0.1\n",
        )
        .unwrap();
        let sign = |name: &str, subj: &str, ca: &Path, ca_key: &Path, ext: &Path| -> (PathBuf, PathBuf) {
            let (crt, k, csr) =
                (self.p(&format!("{name}.crt")), self.p(&format!("{name}.key")), self.p(&format!("{name}.csr")));
            run(Command::new("openssl")
                .args(["req", "-new", "-nodes", "-newkey", "rsa:2048", "-subj", subj, "-keyout"])
                .arg(&k)
                .arg("-out")
                .arg(&csr));
            run(Command::new("openssl")
                .args(["x509", "-req", "-days", "365", "-set_serial", "4660", "-in"])
                .arg(&csr)
                .arg("-CA")
                .arg(ca)
                .arg("-CAkey")
                .arg(ca_key)
                .arg("-extfile")
                .arg(ext)
                .arg("-out")
                .arg(&crt));
            (crt, k)
        };
        let (int, int_key) = sign("int", "/CN=rdp-probe test intermediate", &root, &root_key, &ext);
        let (leaf, leaf_key) = sign("leaf", "/CN=localhost", &int, &int_key, &leaf_ext);
        let bundle = self.p("bundle.crt");
        let mut b = std::fs::read(&leaf).unwrap();
        b.extend(std::fs::read(&int).unwrap());
        std::fs::write(&bundle, b).unwrap();
        (bundle, leaf_key, leaf, int)
    }
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

fn probe_tls(addr: &str, o: &ProbeOptions) -> TlsReport {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let t = Target::parse(addr, 3389).unwrap();
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
fn sslscan(addr: &str) -> (BTreeMap<TlsVersion, bool>, BTreeMap<TlsVersion, BTreeSet<String>>) {
    let out =
        run(Command::new("sslscan").args(["--rdp", "--no-colour", "--no-heartbleed", "--no-renegotiation"]).arg(addr));
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
    if !tools(&["xrdp", "openssl", "sslscan"]) {
        return;
    }
    let pki = Pki::new();
    let (crt, key) = pki.self_signed(
        "rsa2048",
        Key::Rsa(2048),
        "/O=rdp-probe test/CN=localhost",
        Some("DNS:localhost,IP:127.0.0.1"),
    );
    let srv = xrdp_tls(&crt, &key, "TLSv1.2, TLSv1.3", "");
    let tls = probe_tls(&srv.addr(), &opts(VERSIONS_ONLY));
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
    let (sv, _) = sslscan(&srv.addr());
    assert_eq!(sv, tls.versions, "versions vs sslscan --rdp");
}

#[test]
fn xrdp_tls10_only_listener_still_shows_its_certificate() {
    if !tools(&["xrdp", "openssl"]) {
        return;
    }
    let pki = Pki::new();
    let (crt, key) = pki.self_signed("legacy", Key::Rsa(2048), "/CN=legacy.example", None);
    let srv = xrdp_tls(&crt, &key, "TLSv1", SECLEVEL0);
    let tls = probe_tls(&srv.addr(), &opts(VERSIONS_ONLY));
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
        let (sv, _) = sslscan(&srv.addr());
        assert_eq!(sv, tls.versions, "versions vs sslscan --rdp");
    }
}

#[test]
fn xrdp_each_single_version() {
    if !tools(&["xrdp", "openssl"]) {
        return;
    }
    let pki = Pki::new();
    let (crt, key) = pki.self_signed("v", Key::Rsa(2048), "/CN=localhost", Some("DNS:localhost"));
    for (proto, label) in [("TLSv1.1", "1.1"), ("TLSv1.2", "1.2"), ("TLSv1.3", "1.3")] {
        let srv = xrdp_tls(&crt, &key, proto, SECLEVEL0);
        let tls = probe_tls(&srv.addr(), &opts(VERSIONS_ONLY));
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
    if !tools(&["xrdp", "openssl"]) {
        return;
    }
    let pki = Pki::new();
    for (name, key, kt, bits, curve, weak) in [
        ("rsa1024", Key::Rsa(1024), "rsa", 1024, None, true),
        ("rsa4096", Key::Rsa(4096), "rsa", 4096, None, false),
        ("p256", Key::P256, "ec", 256, Some("P-256"), false),
    ] {
        let (crt, k) = pki.self_signed(name, key, "/CN=localhost", Some("IP:127.0.0.1"));
        let srv = xrdp_tls(&crt, &k, "TLSv1.2, TLSv1.3", SECLEVEL0);
        let tls = probe_tls(&srv.addr(), &opts(Steps { tls_versions: false, ..VERSIONS_ONLY }));
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
    if !tools(&["xrdp", "openssl"]) {
        return;
    }
    let pki = Pki::new();
    let steps = Steps { tls_versions: false, ..VERSIONS_ONLY };
    let (crt, key) = pki.dated("expired", "20200101000000Z", "20210101000000Z");
    let srv = xrdp_tls(&crt, &key, "TLSv1.2, TLSv1.3", "");
    let c = probe_tls(&srv.addr(), &opts(steps)).certificate.unwrap();
    check_against_openssl(&c, &crt);
    assert!(c.expired && !c.not_yet_valid && c.days_until_expiry < -365);
    assert_eq!(c.not_after.map(|t| t.to_string()).as_deref(), Some("2021-01-01T00:00:00Z"));
    assert!(c.webpki_errors.contains(&"expired".to_string()));
    drop(srv);

    let (crt, key) = pki.dated("future", "20990101000000Z", "21000101000000Z");
    let srv = xrdp_tls(&crt, &key, "TLSv1.2, TLSv1.3", "");
    let c = probe_tls(&srv.addr(), &opts(steps)).certificate.unwrap();
    assert!(c.not_yet_valid && !c.expired);
    assert!(c.webpki_errors.contains(&"not yet valid".to_string()));
    drop(srv);

    let (crt, key) = pki.self_signed("wrong", Key::Rsa(2048), "/CN=localhost", Some("DNS:rdp.example.com"));
    let srv = xrdp_tls(&crt, &key, "TLSv1.2, TLSv1.3", "");
    let c = probe_tls(&srv.addr(), &opts(steps)).certificate.unwrap();
    assert_eq!((c.checked_name.as_deref(), c.hostname_match), (Some("127.0.0.1"), Some(false)));
    assert!(c.webpki_errors.contains(&"name mismatch".to_string()));
    // The name the user typed is what is checked (CN is ignored when a SAN exists).
    let o = ProbeOptions { server_name: Some("rdp.example.com".into()), ..opts(steps) };
    assert_eq!(probe_tls(&srv.addr(), &o).certificate.unwrap().hostname_match, Some(true));
    let o = ProbeOptions { server_name: Some("localhost".into()), ..opts(steps) };
    assert_eq!(probe_tls(&srv.addr(), &o).certificate.unwrap().hostname_match, Some(false));
}

#[test]
fn xrdp_ca_signed_chain() {
    if !tools(&["xrdp", "openssl"]) {
        return;
    }
    let pki = Pki::new();
    let (bundle, key, leaf, int) = pki.chain();
    let srv = xrdp_tls(&bundle, &key, "TLSv1.2", "");
    let tls = probe_tls(&srv.addr(), &opts(Steps { tls_versions: false, ..VERSIONS_ONLY }));
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
    if !tools(&["xrdp", "openssl", "sslscan"]) {
        return;
    }
    let pki = Pki::new();
    let (crt, key) = pki.self_signed("all", Key::Rsa(2048), "/CN=localhost", Some("IP:127.0.0.1"));
    let srv = xrdp_tls(&crt, &key, "TLSv1, TLSv1.1, TLSv1.2, TLSv1.3", SECLEVEL0);
    let tls = probe_tls(&srv.addr(), &opts(WITH_CIPHERS));
    assert_eq!(tls.versions, versions(&[("1.0", true), ("1.1", true), ("1.2", true), ("1.3", true)]));
    let (sv, ss) = sslscan(&srv.addr());
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
    if !tools(&["xrdp", "openssl"]) {
        return;
    }
    let pki = Pki::new();
    let missing = pki.p("missing.crt");
    let srv = xrdp_tls(&missing, &pki.p("missing.key"), "TLSv1.2, TLSv1.3", "");
    let tls = probe_tls(&srv.addr(), &opts(VERSIONS_ONLY));
    let e = tls.error.expect("error");
    assert!(e.text.starts_with("ssl_cert_not_on_server"), "{e:?}");
    assert!(tls.certificate.is_none());
}

/// FreeRDP's shadow server in /sec:tls mode with a certificate we made: the TLS report
/// (versions, certificate fields vs openssl) and sslscan --rdp agree. OpenSSL 3 in Debian 12
/// allows TLS 1.2 and 1.3 for this server (FreeRDP sets no lower minimum).
#[test]
fn shadow_tls_versions_and_certificate() {
    assert!(tools(&["freerdp-shadow-cli", "Xvfb", "openssl", "sslscan"]));
    let pki = Pki::new();
    let (crt, key) = pki.self_signed("shadow", Key::Rsa(2048), "/CN=rdp-shadow.test", Some("DNS:rdp-shadow.test"));
    let s = rdp_probe_tests::freerdp_shadow(rdp_probe_tests::ShadowConfig {
        sec: "tls".into(),
        cert: Some((crt.clone(), key)),
        ..Default::default()
    });
    let addr = s.addr.to_string();
    let tls = probe_tls(&addr, &opts(VERSIONS_ONLY));
    let c = tls.certificate.as_ref().expect("certificate");
    check_against_openssl(c, &crt);
    assert!(tls.rustls_handshake, "{tls:#?}");
    assert_eq!(tls.versions.get(&TlsVersion::Tls10), Some(&false));
    assert_eq!(tls.versions.get(&TlsVersion::Tls11), Some(&false));
    assert_eq!(tls.versions.get(&TlsVersion::Tls12), Some(&true));
    let (sv, _) = sslscan(&addr);
    assert_eq!(sv, tls.versions, "versions vs sslscan --rdp");
}
