//! Certificate report (RFC 5280) for the leaf and every chain member, parsed with
//! x509-parser: names, validity, key, signature algorithm, usages, fingerprints, the name check
//! (RFC 6125 §6.4: SAN dNSName/iPAddress, CN only without SAN) and a WebPKI-style verdict
//! computed from the parsed facts (no trust store).

use crate::report::tls::{CertificateReport, Timestamp};
use sha1::Digest;
use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::GeneralName;
use x509_parser::prelude::FromDer;
use x509_parser::public_key::PublicKey;

const OID_RSA: &str = "1.2.840.113549.1.1.1";
const OID_RSA_PSS: &str = "1.2.840.113549.1.1.10";
const OID_EC: &str = "1.2.840.10045.2.1";
const OID_ED25519: &str = "1.3.101.112";
const OID_ED448: &str = "1.3.101.113";
const OID_DSA: &str = "1.2.840.10040.4.1";

/// Upper-case hex without separators.
fn hex_upper(b: &[u8]) -> String {
    crate::wire::codec::hex(b).to_ascii_uppercase()
}

pub use crate::wire::codec::rfc3339;

fn curve_name(oid: &str) -> String {
    match oid {
        "1.2.840.10045.3.1.7" => "P-256".into(),
        "1.3.132.0.34" => "P-384".into(),
        "1.3.132.0.35" => "P-521".into(),
        "1.3.132.0.10" => "secp256k1".into(),
        "1.3.36.3.3.2.8.1.1.7" => "brainpoolP256r1".into(),
        "1.3.36.3.3.2.8.1.1.11" => "brainpoolP384r1".into(),
        "1.3.36.3.3.2.8.1.1.13" => "brainpoolP512r1".into(),
        o => o.into(),
    }
}

fn curve_bits(name: &str) -> Option<u32> {
    match name {
        "P-256" | "secp256k1" | "brainpoolP256r1" => Some(256),
        "P-384" | "brainpoolP384r1" => Some(384),
        "P-521" => Some(521),
        "brainpoolP512r1" => Some(512),
        _ => None,
    }
}

/// Bits of a big-endian unsigned integer (leading zero bytes ignored).
fn int_bits(b: &[u8]) -> u32 {
    let mut it = b.iter().skip_while(|x| **x == 0);
    match it.next() {
        None => 0,
        Some(first) => (8 - first.leading_zeros()) + 8 * it.count() as u32,
    }
}

const KEY_USAGE_NAMES: [&str; 9] = [
    "digital_signature",
    "non_repudiation",
    "key_encipherment",
    "data_encipherment",
    "key_agreement",
    "key_cert_sign",
    "crl_sign",
    "encipher_only",
    "decipher_only",
];

/// Whether `name` matches the certificate (RFC 6125 §6.4): IP literals against iPAddress SANs,
/// host names against dNSName SANs (a `*` as the whole left-most label matches one label);
/// the CN is consulted only when there is no SAN extension at all.
fn name_matches(cert: &X509Certificate<'_>, name: &str) -> bool {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    let ip = name.trim_start_matches('[').trim_end_matches(']').parse::<std::net::IpAddr>().ok();
    let sans = cert.subject_alternative_name().ok().flatten();
    match sans {
        Some(ext) => ext.value.general_names.iter().any(|g| match (g, ip) {
            (GeneralName::IPAddress(b), Some(std::net::IpAddr::V4(a))) => *b == a.octets(),
            (GeneralName::IPAddress(b), Some(std::net::IpAddr::V6(a))) => *b == a.octets(),
            (GeneralName::DNSName(p), None) => dns_match(p, &name),
            _ => false,
        }),
        None => cert.subject().iter_common_name().filter_map(|cn| cn.as_str().ok()).any(|cn| {
            if ip.is_some() {
                cn == name
            } else {
                dns_match(cn, &name)
            }
        }),
    }
}

fn dns_match(pattern: &str, name: &str) -> bool {
    let p = pattern.trim_end_matches('.').to_ascii_lowercase();
    if let Some(rest) = p.strip_prefix("*.") {
        match name.split_once('.') {
            Some((first, tail)) => !first.is_empty() && tail == rest && rest.contains('.'),
            None => false,
        }
    } else {
        p == name
    }
}

/// Whether `issuer`'s key verifies `cert`'s signature; `None` when ring cannot tell (an
/// algorithm it lacks, or an RSA key under 2048 bits, which ring refuses to use).
fn verify_with(cert: &X509Certificate<'_>, issuer: &X509Certificate<'_>) -> Option<bool> {
    if let Ok(PublicKey::RSA(k)) = issuer.public_key().parsed() {
        if int_bits(k.modulus) < 2048 {
            return None;
        }
    }
    match cert.verify_signature(Some(issuer.public_key())) {
        Ok(()) => Some(true),
        Err(x509_parser::error::X509Error::SignatureUnsupportedAlgorithm) => None,
        Err(_) => Some(false),
    }
}

/// The report for one DER certificate at time `now` (Unix seconds), checking `name` if given.
/// Never fails: an unparsable certificate yields fingerprints and `parse_error`.
pub fn certificate_report(der: &[u8], now: i64, name: Option<&str>) -> CertificateReport {
    let mut r = CertificateReport {
        sha1: hex_upper(&sha1::Sha1::digest(der)),
        sha256: hex_upper(&sha2::Sha256::digest(der)),
        der_len: der.len(),
        checked_name: name.map(str::to_string),
        ..CertificateReport::default()
    };
    let cert = match X509Certificate::from_der(der) {
        Ok((_, c)) => c,
        Err(e) => {
            r.parse_error = Some(e.to_string());
            r.webpki_errors.push("unparsable certificate".into());
            return r;
        }
    };
    fill(&mut r, &cert, now, name);
    r
}

fn fill(r: &mut CertificateReport, cert: &X509Certificate<'_>, now: i64, name: Option<&str>) {
    r.subject = cert.subject().to_string();
    r.issuer = cert.issuer().to_string();
    r.subject_cn = cert.subject().iter_common_name().next().and_then(|cn| cn.as_str().ok()).map(str::to_string);
    let serial = cert.raw_serial();
    let trimmed: Vec<u8> = serial.iter().copied().skip_while(|b| *b == 0).collect();
    r.serial = if trimmed.is_empty() { "00".into() } else { hex_upper(&trimmed) };
    r.x509_version = cert.version().0 + 1;
    if let Ok(Some(san)) = cert.subject_alternative_name() {
        for g in &san.value.general_names {
            r.sans.push(match g {
                GeneralName::DNSName(n) => (*n).to_string(),
                GeneralName::IPAddress(b) => match b.len() {
                    4 => std::net::Ipv4Addr::from(<[u8; 4]>::try_from(*b).unwrap_or_default()).to_string(),
                    16 => std::net::Ipv6Addr::from(<[u8; 16]>::try_from(*b).unwrap_or_default()).to_string(),
                    _ => format!("ip:{}", crate::wire::codec::hex(b)),
                },
                GeneralName::RFC822Name(n) => format!("email:{n}"),
                GeneralName::URI(n) => format!("uri:{n}"),
                GeneralName::DirectoryName(n) => format!("dirname:{n}"),
                other => format!("other:{other:?}"),
            });
        }
    }
    let nb = cert.validity().not_before.timestamp();
    let na = cert.validity().not_after.timestamp();
    r.not_before = Some(Timestamp(nb));
    r.not_after = Some(Timestamp(na));
    r.days_until_expiry = (na - now).div_euclid(86_400);
    r.expired = now > na;
    r.not_yet_valid = now < nb;
    r.self_issued = cert.subject().as_raw() == cert.issuer().as_raw();
    r.self_signed = r.self_issued && verify_with(cert, cert) != Some(false);

    let spki = cert.public_key();
    let alg = spki.algorithm.algorithm.to_id_string();
    r.key_type = match alg.as_str() {
        OID_RSA => "rsa".into(),
        OID_RSA_PSS => "rsa_pss".into(),
        OID_EC => "ec".into(),
        OID_ED25519 => "ed25519".into(),
        OID_ED448 => "ed448".into(),
        OID_DSA => "dsa".into(),
        o => o.into(),
    };
    match spki.parsed() {
        Ok(PublicKey::RSA(k)) => r.key_bits = Some(int_bits(k.modulus)),
        Ok(PublicKey::EC(p)) => {
            let curve =
                spki.algorithm.parameters.as_ref().and_then(|a| a.as_oid().ok()).map(|o| curve_name(&o.to_id_string()));
            r.key_bits = curve.as_deref().and_then(curve_bits).or(match p.key_size() {
                0 => None,
                n => Some(n as u32),
            });
            r.ec_curve = curve;
        }
        Ok(PublicKey::DSA(y)) => r.key_bits = Some(int_bits(y)),
        _ => {
            r.key_bits = match r.key_type.as_str() {
                "ed25519" => Some(256),
                "ed448" => Some(456),
                _ => None,
            }
        }
    }
    let sig = &cert.signature_algorithm.algorithm;
    r.signature_algorithm = x509_parser::objects::oid2sn(sig, x509_parser::objects::oid_registry())
        .map(str::to_string)
        .unwrap_or_else(|_| sig.to_id_string());
    if let Ok(Some(ku)) = cert.key_usage() {
        for (i, n) in KEY_USAGE_NAMES.iter().enumerate() {
            if (ku.value.flags >> i) & 1 == 1 {
                r.key_usage.push((*n).to_string());
            }
        }
    }
    r.server_auth = true;
    if let Ok(Some(eku)) = cert.extended_key_usage() {
        let e = eku.value;
        for (on, n) in [
            (e.any, "any"),
            (e.server_auth, "server_auth"),
            (e.client_auth, "client_auth"),
            (e.code_signing, "code_signing"),
            (e.email_protection, "email_protection"),
            (e.time_stamping, "time_stamping"),
            (e.ocsp_signing, "ocsp_signing"),
        ] {
            if on {
                r.extended_key_usage.push(n.into());
            }
        }
        r.extended_key_usage.extend(e.other.iter().map(|o| o.to_id_string()));
        r.server_auth = e.server_auth || e.any;
    }
    r.is_ca = matches!(cert.basic_constraints(), Ok(Some(bc)) if bc.value.ca);
    r.hostname_match = name.map(|n| name_matches(cert, n));
}

fn weak_signature(alg: &str) -> bool {
    let a = alg.to_ascii_lowercase();
    a.contains("md5") || a.contains("md2") || a.contains("sha1") || a.contains("1.2.840.113549.1.1.5")
}

/// Reports for a chain (DER, leaf first as sent): each member's report, each member's
/// `signed_by_next`, and the leaf's WebPKI-style verdict over the whole chain. The name is
/// checked on the leaf only.
pub fn chain_report(ders: &[Vec<u8>], now: i64, name: Option<&str>) -> Vec<CertificateReport> {
    let parsed: Vec<Option<X509Certificate<'_>>> =
        ders.iter().map(|d| X509Certificate::from_der(d).ok().map(|(_, c)| c)).collect();
    let mut out: Vec<CertificateReport> =
        ders.iter().enumerate().map(|(i, d)| certificate_report(d, now, if i == 0 { name } else { None })).collect();
    for (i, r) in out.iter_mut().enumerate() {
        if let (Some(Some(c)), Some(Some(next))) = (parsed.get(i), parsed.get(i + 1)) {
            r.signed_by_next = verify_with(c, next).or(Some(c.issuer().as_raw() == next.subject().as_raw()));
        }
    }
    // WebPKI-style verdict for the leaf (and a per-member one for the others).
    let n = out.len();
    for i in 0..n {
        let mut errs: Vec<String> = Vec::new();
        let Some(r) = out.get(i) else { continue };
        if r.parse_error.is_some() {
            errs.push("unparsable certificate".into());
        } else {
            if r.expired {
                errs.push("expired".into());
            }
            if r.not_yet_valid {
                errs.push("not yet valid".into());
            }
            if i == 0 {
                if r.self_signed {
                    errs.push("self-signed".into());
                }
                if r.hostname_match == Some(false) {
                    errs.push("name mismatch".into());
                }
                if !r.server_auth {
                    errs.push("no server authentication usage".into());
                }
                // The rest of the chain as sent.
                if out.iter().skip(1).any(|c| c.expired || c.not_yet_valid) {
                    errs.push("intermediate expired".into());
                }
                if out.iter().take(n.saturating_sub(1)).any(|c| c.signed_by_next == Some(false)) {
                    errs.push("chain signature does not verify".into());
                }
            }
            let weak_key = match (r.key_type.as_str(), r.key_bits) {
                ("rsa" | "rsa_pss" | "dsa", Some(b)) => b < 2048,
                ("ec", Some(b)) => b < 224,
                _ => false,
            };
            if weak_key {
                errs.push("weak key".into());
            }
            if !r.self_signed && weak_signature(&r.signature_algorithm) {
                errs.push("weak signature algorithm".into());
            }
        }
        errs.dedup();
        if let Some(r) = out.get_mut(i) {
            r.webpki_valid = errs.is_empty();
            r.webpki_errors = errs;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_dates() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_700_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(rfc3339(-1), "1969-12-31T23:59:59Z");
        assert_eq!(rfc3339(253_402_300_799), "9999-12-31T23:59:59Z");
    }

    #[test]
    fn wildcard_rules() {
        assert!(dns_match("*.example.com", "a.example.com"));
        assert!(!dns_match("*.example.com", "a.b.example.com"));
        assert!(!dns_match("*.example.com", "example.com"));
        assert!(!dns_match("*.com", "example.com"));
        assert!(dns_match("Host.Example.com.", "host.example.com"));
    }

    #[test]
    fn bits() {
        assert_eq!(int_bits(&[0x00, 0x80, 0, 0]), 24);
        assert_eq!(int_bits(&[0x01, 0xff]), 9);
        assert_eq!(int_bits(&[]), 0);
    }

    #[test]
    fn garbage_is_reported_not_rejected() {
        let r = certificate_report(b"not a certificate", 0, Some("x"));
        assert!(r.parse_error.is_some());
        assert_eq!(r.sha256.len(), 64);
        assert!(!r.webpki_valid);
    }
}
