//! Test certificates through the openssl CLI. OpenSSL 3.0 (Debian 12) has no
//! `-not_before`/`-not_after` on `req`/`x509`, so certificates are issued with `openssl ca`
//! and explicit `-startdate`/`-enddate`: expired and not-yet-valid certificates work.

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

/// The key of a test certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    /// RSA with this many bits (1024 needs `tls_ciphers=DEFAULT:@SECLEVEL=0` on xrdp).
    Rsa(u32),
    /// ECDSA P-256.
    EcP256,
}

const CA_CNF: &str = "[ca]
default_ca = CA_default
[CA_default]
dir = .
database = index.txt
new_certs_dir = .
serial = serial
default_md = sha256
policy = policy_any
copy_extensions = copy
unique_subject = no
email_in_dn = no
[policy_any]
organizationName = optional
commonName = supplied
[ext_leaf]
basicConstraints = CA:FALSE
keyUsage = digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
[ext_ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign, digitalSignature
subjectKeyIdentifier = hash
";

fn run(cmd: &mut Command) {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `YYYYMMDDHHMMSSZ` for now + `days`.
fn asn1_time(days: i64) -> String {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).expect("clock").as_secs() as i64;
    let t = now + days * 86_400;
    let (d, s) = (t.div_euclid(86_400), t.rem_euclid(86_400));
    // Civil date from days since 1970-01-01 (H. Hinnant's algorithm).
    let z = d + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}{month:02}{day:02}{:02}{:02}{:02}Z", s / 3600, s % 3600 / 60, s % 60)
}

fn genkey(key: KeyKind, out: &Path) {
    let mut c = Command::new("openssl");
    c.arg("genpkey");
    match key {
        KeyKind::Rsa(bits) => c.args(["-algorithm", "RSA", "-pkeyopt"]).arg(format!("rsa_keygen_bits:{bits}")),
        KeyKind::EcP256 => c.args(["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"]),
    };
    run(c.arg("-out").arg(out));
}

/// When a certificate is valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Validity {
    /// From now + the first to now + the second number of days (negative = in the past).
    Days(i64, i64),
    /// Between two fixed `YYYYMMDDHHMMSSZ` times, e.g. `("20200101000000Z", "20210101000000Z")`.
    Between(&'static str, &'static str),
}

/// A certificate for [`issue_cert`], for what [`make_cert`] and [`make_ca`] do not cover
/// (a subject with more than a CN, fixed dates, an intermediate CA).
#[derive(Debug, Clone, Copy)]
pub struct CertSpec<'a> {
    /// File names: `dir/name.crt` and `dir/name.key`.
    pub name: &'a str,
    /// The key.
    pub key: KeyKind,
    /// The subject in openssl's `-subj` form, e.g. `/O=rdp-probe test/CN=localhost` (O and CN
    /// are kept, in this order).
    pub subject: &'a str,
    /// subjectAltNames (`"host"`, `"127.0.0.1"`, or explicit `"DNS:x"`/`"IP:x"`); none when empty.
    pub sans: &'a [&'a str],
    /// Validity period.
    pub validity: Validity,
    /// Issuer (cert, key); self-signed when `None`.
    pub issuer: Option<(&'a Path, &'a Path)>,
    /// A CA certificate (basicConstraints CA:TRUE, keyCertSign) instead of a TLS server leaf
    /// (CA:FALSE, digitalSignature + keyEncipherment, serverAuth).
    pub ca: bool,
}

impl Default for CertSpec<'_> {
    fn default() -> Self {
        CertSpec {
            name: "server",
            key: KeyKind::Rsa(2048),
            subject: "/CN=localhost",
            sans: &[],
            validity: Validity::Days(-1, 365),
            issuer: None,
            ca: false,
        }
    }
}

/// Issues `spec` into `dir`; returns (certificate, key) paths (PEM).
pub fn issue_cert(dir: &Path, spec: &CertSpec) -> (PathBuf, PathBuf) {
    let CertSpec { name, key, subject, sans, validity, issuer, ca } = *spec;
    let (start, end) = match validity {
        Validity::Days(a, b) => (asn1_time(a), asn1_time(b)),
        Validity::Between(a, b) => (a.to_string(), b.to_string()),
    };
    issue(dir, name, key, subject, sans, (start, end), issuer, if ca { "ext_ca" } else { "ext_leaf" })
}

#[allow(clippy::too_many_arguments)]
fn issue(
    dir: &Path,
    name: &str,
    key: KeyKind,
    subject: &str,
    sans: &[&str],
    dates: (String, String),
    issuer: Option<(&Path, &Path)>,
    ext: &str,
) -> (PathBuf, PathBuf) {
    std::fs::create_dir_all(dir).expect("cert dir");
    let dir = dir.canonicalize().expect("cert dir");
    let work = dir.join(format!(".ca-{name}"));
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work).expect("ca work dir");
    std::fs::write(work.join("ca.cnf"), CA_CNF).expect("ca.cnf");
    std::fs::write(work.join("index.txt"), "").expect("index");
    let serial = SystemTime::now().duration_since(UNIX_EPOCH).expect("clock").as_nanos();
    std::fs::write(work.join("serial"), format!("{:016X}\n", serial as u64)).expect("serial");

    let key_path = dir.join(format!("{name}.key"));
    let cert_path = dir.join(format!("{name}.crt"));
    genkey(key, &key_path);
    let csr = work.join("req.csr");
    let mut req = Command::new("openssl");
    req.args(["req", "-new", "-key"]).arg(&key_path).arg("-subj").arg(subject).arg("-out").arg(&csr);
    if !sans.is_empty() {
        let list: Vec<String> = sans
            .iter()
            .map(|s| {
                if s.contains(':') && (s.starts_with("DNS:") || s.starts_with("IP:")) {
                    s.to_string()
                } else if s.parse::<IpAddr>().is_ok() {
                    format!("IP:{s}")
                } else {
                    format!("DNS:{s}")
                }
            })
            .collect();
        req.arg("-addext").arg(format!("subjectAltName={}", list.join(",")));
    }
    run(&mut req);

    let mut ca = Command::new("openssl");
    ca.current_dir(&work)
        .args(["ca", "-batch", "-notext", "-config", "ca.cnf", "-extensions", ext, "-in"])
        .arg(&csr)
        .arg("-out")
        .arg(&cert_path)
        .arg("-startdate")
        .arg(dates.0)
        .arg("-enddate")
        .arg(dates.1);
    match issuer {
        Some((icert, ikey)) => ca.arg("-cert").arg(icert).arg("-keyfile").arg(ikey),
        None => ca.arg("-selfsign").arg("-keyfile").arg(&key_path),
    };
    run(&mut ca);
    let _ = std::fs::remove_dir_all(&work);
    (cert_path, key_path)
}

/// A server certificate `dir/name.crt` + key `dir/name.key` (PEM): subject `CN=cn`, the given
/// subjectAltNames (`"host"`, `"127.0.0.1"`, or explicit `"DNS:x"`/`"IP:x"`), valid from now +
/// `not_before_days` to now + `not_after_days` (negative = in the past), self-signed or issued
/// by `issuer` (cert, key).
#[allow(clippy::too_many_arguments)]
pub fn make_cert(
    dir: &Path,
    name: &str,
    key: KeyKind,
    cn: &str,
    sans: &[&str],
    not_before_days: i64,
    not_after_days: i64,
    issuer: Option<(&Path, &Path)>,
) -> (PathBuf, PathBuf) {
    let subject = format!("/CN={cn}");
    issue_cert(
        dir,
        &CertSpec {
            name,
            key,
            subject: &subject,
            sans,
            validity: Validity::Days(not_before_days, not_after_days),
            issuer,
            ca: false,
        },
    )
}

/// A self-signed CA (`dir/ca.crt`, `dir/ca.key`, RSA-2048, CN "rdp-probe test CA", valid
/// from ten years ago to ten years ahead, so it can issue expired certificates too).
pub fn make_ca(dir: &Path) -> (PathBuf, PathBuf) {
    issue_cert(
        dir,
        &CertSpec {
            name: "ca",
            subject: "/CN=rdp-probe test CA",
            validity: Validity::Days(-3650, 3650),
            ca: true,
            ..Default::default()
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(asn1_time(0).len(), 15);
        assert!(asn1_time(-400) < asn1_time(0));
    }

    #[test]
    fn chain_expired_and_future() {
        let d = tempfile::tempdir().unwrap();
        let (ca, cakey) = make_ca(d.path());
        let (c, _) = make_cert(
            d.path(),
            "old",
            KeyKind::EcP256,
            "old.test",
            &["old.test", "127.0.0.1"],
            -30,
            -1,
            Some((&ca, &cakey)),
        );
        let out = Command::new("openssl").args(["x509", "-noout", "-checkend", "0", "-in"]).arg(&c).output().unwrap();
        assert!(!out.status.success(), "expired cert reported valid");
        let v = Command::new("openssl")
            .arg("verify")
            .arg("-CAfile")
            .arg(&ca)
            .arg("-attime")
            .arg((SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() - 10 * 86400).to_string())
            .arg(&c)
            .output()
            .unwrap();
        assert!(v.status.success(), "{}", String::from_utf8_lossy(&v.stderr));
        let (f, _) = make_cert(d.path(), "future", KeyKind::Rsa(2048), "f", &[], 10, 20, None);
        let t = Command::new("openssl").args(["x509", "-noout", "-startdate", "-in"]).arg(&f).output().unwrap();
        assert!(String::from_utf8_lossy(&t.stdout).contains("notBefore="));
    }

    /// A subject with O and CN, fixed dates, and root -> intermediate -> leaf that
    /// `openssl verify` accepts.
    #[test]
    fn spec_subject_dates_and_intermediate() {
        let d = tempfile::tempdir().unwrap();
        let (c, _) = issue_cert(
            d.path(),
            &CertSpec {
                subject: "/O=rdp-probe test/CN=localhost",
                validity: Validity::Between("20200101000000Z", "20210101000000Z"),
                ..Default::default()
            },
        );
        let out =
            Command::new("openssl").args(["x509", "-noout", "-subject", "-enddate", "-in"]).arg(&c).output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("subject=O = rdp-probe test, CN = localhost"), "{text}");
        assert!(text.contains("notAfter=Jan  1 00:00:00 2021 GMT"), "{text}");
        let (root, root_key) = make_ca(d.path());
        let int = issue_cert(
            d.path(),
            &CertSpec {
                name: "int",
                subject: "/CN=int",
                issuer: Some((&root, &root_key)),
                ca: true,
                ..Default::default()
            },
        );
        let (leaf, _) =
            make_cert(d.path(), "leaf", KeyKind::EcP256, "localhost", &["localhost"], -1, 30, Some((&int.0, &int.1)));
        let v = Command::new("openssl")
            .arg("verify")
            .arg("-CAfile")
            .arg(&root)
            .arg("-untrusted")
            .arg(&int.0)
            .arg(&leaf)
            .output()
            .unwrap();
        assert!(v.status.success(), "{}", String::from_utf8_lossy(&v.stderr));
    }
}
