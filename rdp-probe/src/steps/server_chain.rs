//! The X.509 certificate chain of SC_SECURITY (MS-RDPBCGR 2.2.1.4.3.1, 5.3.3.2; MS-RDPELE
//! 2.2.1.4.2): the Terminal Server licensing certificates, root first, the server's last. The
//! server's certificate carries the key the client encrypts its random with (5.3.4), so the
//! leaf's key IS the server key.
//!
//! Windows licensing certificates label their RSA keys with signature OIDs
//! (md5WithRSAEncryption 1.2.840.113549.1.1.4, sha1WithRSAEncryption, the OIW
//! sha1WithRSASignature 1.3.14.3.2.29) where RFC 5280 wants rsaEncryption; x509-parser then
//! does not parse the key, so the RSAPublicKey (RFC 8017 A.1.1) inside the BIT STRING is read
//! here. Each link is verified with our own RSASSA-PKCS1-v1_5 (RFC 8017 8.2.2) over MD5, SHA-1
//! or SHA-2: ring refuses the 512-bit keys these chains use. Pure: no clock (validity is
//! judged by the findings against the probe date).

use crate::report::mcs::{ServerCertificateReport, X509Summary};
use num_bigint::BigUint;
use sha1::Digest;
use x509_parser::certificate::X509Certificate;
use x509_parser::prelude::FromDer;

/// Smallest RSA modulus verified here (smaller is no real key).
pub const MIN_BITS: u64 = 256;
/// Largest RSA modulus verified here (bounds the work a hostile chain can cause).
pub const MAX_BITS: u64 = 16384;

/// OIDs under which an SPKI carries an RSAPublicKey: rsaEncryption, the PKCS #1 signature
/// OIDs Windows licensing certificates use for keys, OIW shaWithRSASignature (the leaf of the
/// MS-RDPELE 4.1 example chain) and sha1WithRSASignature, X.500 rsa.
const RSA_FAMILY: [&str; 11] = [
    "1.2.840.113549.1.1.1",
    "1.2.840.113549.1.1.2",
    "1.2.840.113549.1.1.4",
    "1.2.840.113549.1.1.5",
    "1.2.840.113549.1.1.11",
    "1.2.840.113549.1.1.12",
    "1.2.840.113549.1.1.13",
    "1.2.840.113549.1.1.14",
    "1.3.14.3.2.15",
    "1.3.14.3.2.29",
    "2.5.8.1.1",
];

/// Hash algorithms of RSASSA-PKCS1-v1_5 signatures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Hash {
    Md5,
    Sha1,
    Sha224,
    Sha256,
    Sha384,
    Sha512,
}

impl Hash {
    fn of_signature_oid(oid: &str) -> Option<Hash> {
        Some(match oid {
            "1.2.840.113549.1.1.4" => Hash::Md5,
            "1.2.840.113549.1.1.5" | "1.3.14.3.2.29" => Hash::Sha1,
            "1.2.840.113549.1.1.14" => Hash::Sha224,
            "1.2.840.113549.1.1.11" => Hash::Sha256,
            "1.2.840.113549.1.1.12" => Hash::Sha384,
            "1.2.840.113549.1.1.13" => Hash::Sha512,
            _ => return None,
        })
    }

    fn digest(self, data: &[u8]) -> Vec<u8> {
        match self {
            Hash::Md5 => md5::Md5::digest(data).to_vec(),
            Hash::Sha1 => sha1::Sha1::digest(data).to_vec(),
            Hash::Sha224 => sha2::Sha224::digest(data).to_vec(),
            Hash::Sha256 => sha2::Sha256::digest(data).to_vec(),
            Hash::Sha384 => sha2::Sha384::digest(data).to_vec(),
            Hash::Sha512 => sha2::Sha512::digest(data).to_vec(),
        }
    }

    /// The DER of the hash's AlgorithmIdentifier OID (RFC 8017 9.2 note 1).
    fn oid_der(self) -> &'static [u8] {
        match self {
            Hash::Md5 => &[0x06, 0x08, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x02, 0x05],
            Hash::Sha1 => &[0x06, 0x05, 0x2b, 0x0e, 0x03, 0x02, 0x1a],
            Hash::Sha224 => &[0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x04],
            Hash::Sha256 => &[0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01],
            Hash::Sha384 => &[0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02],
            Hash::Sha512 => &[0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03],
        }
    }

    /// DigestInfo (RFC 8017 9.2): SEQUENCE { SEQUENCE { oid, NULL? }, OCTET STRING hash }. Old
    /// signers leave the NULL out; both spellings are accepted.
    fn digest_infos(self, hash: &[u8]) -> [Vec<u8>; 2] {
        let make = |with_null: bool| {
            let mut alg = self.oid_der().to_vec();
            if with_null {
                alg.extend_from_slice(&[0x05, 0x00]);
            }
            let mut body = vec![0x30, alg.len() as u8];
            body.extend_from_slice(&alg);
            body.extend_from_slice(&[0x04, hash.len() as u8]);
            body.extend_from_slice(hash);
            let mut out = vec![0x30, body.len() as u8];
            out.extend_from_slice(&body);
            out
        };
        [make(true), make(false)]
    }
}

/// One DER TLV: (tag, contents, rest). Definite lengths up to 4 length octets, checked
/// against the bytes present.
fn der_tlv(i: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, i) = i.split_first()?;
    let (&first, mut i) = i.split_first()?;
    let len = if first < 0x80 {
        usize::from(first)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 {
            return None;
        }
        let (bytes, rest) = (i.get(..n)?, i.get(n..)?);
        i = rest;
        bytes.iter().fold(0usize, |acc, b| (acc << 8) | usize::from(*b))
    };
    Some((tag, i.get(..len)?, i.get(len..)?))
}

/// An RSA public key: modulus and exponent, big-endian without sign octets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RsaPublic {
    /// n.
    pub modulus: Vec<u8>,
    /// e.
    pub exponent: Vec<u8>,
}

impl RsaPublic {
    /// Parses RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER } (RFC 8017
    /// A.1.1), the contents of the SPKI BIT STRING. Trailing bytes are refused.
    pub fn from_der(der: &[u8]) -> Option<RsaPublic> {
        let (tag, seq, rest) = der_tlv(der)?;
        if tag != 0x30 || !rest.is_empty() {
            return None;
        }
        let (t1, n, seq) = der_tlv(seq)?;
        let (t2, e, seq) = der_tlv(seq)?;
        if t1 != 0x02 || t2 != 0x02 || !seq.is_empty() || n.is_empty() || e.is_empty() {
            return None;
        }
        let strip = |b: &[u8]| b.iter().copied().skip_while(|x| *x == 0).collect::<Vec<u8>>();
        Some(RsaPublic { modulus: strip(n), exponent: strip(e) })
    }

    /// Bits of the modulus.
    pub fn bits(&self) -> u64 {
        BigUint::from_bytes_be(&self.modulus).bits()
    }

    /// The exponent, when it fits a u64.
    pub fn exponent_u64(&self) -> Option<u64> {
        (self.exponent.len() <= 8).then(|| self.exponent.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b)))
    }

    /// RSASSA-PKCS1-v1_5 verification (RFC 8017 8.2.2) of `signature` over `message` with the
    /// hash named by signature OID `sig_oid`. `None` when it cannot be judged: an algorithm
    /// other than PKCS #1 v1.5 with MD5/SHA-1/SHA-2, or a key outside [`MIN_BITS`]..[`MAX_BITS`].
    pub fn verify(&self, sig_oid: &str, message: &[u8], signature: &[u8]) -> Option<bool> {
        let hash = Hash::of_signature_oid(sig_oid)?;
        let bits = self.bits();
        if !(MIN_BITS..=MAX_BITS).contains(&bits) || self.exponent.len() > 8 {
            return None;
        }
        let n = BigUint::from_bytes_be(&self.modulus);
        let k = usize::try_from(bits.div_ceil(8)).ok()?;
        if signature.len() != k {
            return Some(false);
        }
        let s = BigUint::from_bytes_be(signature);
        if s >= n {
            return Some(false);
        }
        let m = s.modpow(&BigUint::from_bytes_be(&self.exponent), &n).to_bytes_be();
        let mut em = vec![0u8; k.saturating_sub(m.len())];
        em.extend_from_slice(&m);
        let h = hash.digest(message);
        Some(hash.digest_infos(&h).iter().any(|t| {
            // EM = 0x00 || 0x01 || PS (0xff, at least 8) || 0x00 || T
            let ps_len = k.saturating_sub(t.len() + 3);
            ps_len >= 8
                && em.get(..2) == Some(&[0x00, 0x01][..])
                && em.get(2..2 + ps_len).is_some_and(|p| p.iter().all(|b| *b == 0xff))
                && em.get(2 + ps_len) == Some(&0)
                && em.get(3 + ps_len..) == Some(&t[..])
        }))
    }
}

/// The RSA key of a certificate's SPKI, under rsaEncryption or any RSA-family OID.
fn rsa_key(c: &X509Certificate<'_>) -> Option<RsaPublic> {
    let spki = c.public_key();
    let oid = spki.algorithm.algorithm.to_id_string();
    if !RSA_FAMILY.contains(&oid.as_str()) {
        return None;
    }
    RsaPublic::from_der(&spki.subject_public_key.data)
}

/// The name of an OID (`md5WithRSAEncryption`), or the OID itself when unknown.
fn oid_name(oid: &x509_parser::der_parser::oid::Oid<'_>) -> String {
    let dotted = oid.to_id_string();
    match dotted.as_str() {
        "1.3.14.3.2.29" => return "sha1WithRSASignature".into(),
        "1.3.14.3.2.15" => return "shaWithRSASignature".into(),
        _ => {}
    }
    x509_parser::objects::oid2sn(oid, x509_parser::objects::oid_registry()).map(str::to_string).unwrap_or(dotted)
}

/// Upper-case hex, as `tls.certificate` spells fingerprints.
fn hex_upper(b: &[u8]) -> String {
    crate::wire::codec::hex(b).to_ascii_uppercase()
}

/// Summarises one DER certificate: names, key (RSA read from the BIT STRING under any
/// RSA-family OID), validity in RFC 3339, SHA-1 / SHA-256 in upper-case hex.
pub fn summarize(der: &[u8]) -> X509Summary {
    let mut s = X509Summary {
        sha1: hex_upper(&sha1::Sha1::digest(der)),
        sha256: hex_upper(&sha2::Sha256::digest(der)),
        ..X509Summary::default()
    };
    let c = match X509Certificate::from_der(der) {
        Ok((_, c)) => c,
        Err(e) => {
            s.error = Some(e.to_string());
            return s;
        }
    };
    s.subject = c.subject().to_string();
    s.issuer = c.issuer().to_string();
    s.self_issued = c.subject().as_raw() == c.issuer().as_raw();
    let spki = c.public_key();
    s.key_algorithm = oid_name(&spki.algorithm.algorithm);
    s.key_algorithm_oid = spki.algorithm.algorithm.to_id_string();
    match rsa_key(&c) {
        Some(k) => {
            s.key_type = Some("rsa".into());
            s.key_bits = Some(k.bits());
            s.exponent = k.exponent_u64();
        }
        None => {
            if let Ok(x509_parser::public_key::PublicKey::EC(ec)) = spki.parsed() {
                s.key_type = Some("ec".into());
                s.key_bits = Some(ec.key_size() as u64);
            }
        }
    }
    s.signature_algorithm = oid_name(&c.signature_algorithm.algorithm);
    s.not_before = crate::wire::codec::rfc3339(c.validity().not_before.timestamp());
    s.not_after = crate::wire::codec::rfc3339(c.validity().not_after.timestamp());
    s
}

/// Fills the X.509 part of the server certificate report from the chain as sent (root first,
/// the server's certificate last): a summary per certificate, each link's signature and issuer
/// name, the leaf's key as the server key (`key_bits`, `exponent`, `leaf_is_server_key`) and
/// `chain_valid`.
pub fn fill(report: &mut ServerCertificateReport, certs: &[Vec<u8>]) {
    let parsed: Vec<Option<X509Certificate<'_>>> =
        certs.iter().map(|d| X509Certificate::from_der(d).ok().map(|(_, c)| c)).collect();
    let mut chain: Vec<X509Summary> = certs.iter().map(|d| summarize(d)).collect();
    for (i, s) in chain.iter_mut().enumerate() {
        let Some(Some(c)) = parsed.get(i) else { continue };
        let sig_oid = c.signature_algorithm.algorithm.to_id_string();
        let tbs: &[u8] = c.tbs_certificate.as_ref();
        let check = |issuer: &X509Certificate<'_>| -> (Option<bool>, String) {
            match rsa_key(issuer) {
                None => (None, "the issuer's key is not RSA (or does not parse)".into()),
                Some(k) => match k.verify(&sig_oid, tbs, &c.signature_value.data) {
                    Some(ok) => (Some(ok), String::new()),
                    None => (None, format!("signature algorithm {} or key size not checked", s.signature_algorithm)),
                },
            }
        };
        let (valid, why) = match i.checked_sub(1).and_then(|p| parsed.get(p)) {
            Some(Some(prev)) => {
                s.issued_by_previous = Some(c.issuer().as_raw() == prev.subject().as_raw());
                let (v, why) = check(prev);
                (v, if why.is_empty() { "verified with the previous certificate's key".into() } else { why })
            }
            Some(None) => (None, "the previous certificate does not parse".into()),
            None if s.self_issued => {
                let (v, why) = check(c);
                (v, if why.is_empty() { "self-signed: verified with its own key".into() } else { why })
            }
            None => (None, "the issuer is not in the chain (the chain starts below its root)".into()),
        };
        s.signature_valid = valid;
        s.signature_check = Some(match valid {
            Some(false) => "SIGNATURE DOES NOT VERIFY".into(),
            _ => why,
        });
    }
    let leaf = chain.last();
    report.key_bits = leaf.and_then(|l| l.key_bits);
    report.exponent = leaf.and_then(|l| l.exponent);
    // The client encrypts its random with the leaf's RSA key (5.3.4.1): usable only when RSA.
    report.leaf_is_server_key = leaf.map(|l| l.error.is_none() && l.key_type.as_deref() == Some("rsa"));
    // Every link inside the chain verified (the first certificate's issuer may be absent:
    // licensing chains may start below their root).
    let links = || chain.iter().skip(1);
    let broken = links().any(|s| s.signature_valid == Some(false) || s.issued_by_previous == Some(false))
        || chain.first().is_some_and(|s| s.signature_valid == Some(false));
    let unchecked = chain.iter().any(|s| s.error.is_some())
        || links().any(|s| s.signature_valid.is_none() || s.issued_by_previous.is_none());
    report.chain_valid = match (chain.is_empty(), broken, unchecked) {
        (true, _, _) => None,
        (false, true, _) => Some(false),
        (false, false, true) => None,
        (false, false, false) => Some(true),
    };
    report.chain = chain;
}

#[cfg(test)]
mod tests;
