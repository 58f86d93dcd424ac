//! RSA handshake-signature verification for keys and schemes ring refuses (sans-IO).
//!
//! ring (and so rustls/webpki) verifies RSA signatures only with 2048..8192-bit moduli and
//! offers no `rsa_pkcs1_sha1`. RDP servers still run with RSA-1024 certificates (and older
//! ones sign with SHA-1): the signature is fine, only the key is small. To gather the facts
//! after TLS anyway, the probing verifier checks such signatures here, fully (RFC 8017
//! RSASSA-PKCS1-v1_5 and RSASSA-PSS with MGF1 and salt length = hash length, as TLS 1.2/1.3
//! require, RFC 8446 4.2.3), with `num-bigint`. A signature that does not verify is still
//! refused: a small key is a finding of the certificate report (`weak key`), a bad signature
//! is a failed handshake.

use num_bigint::BigUint;
use sha1::Digest;
use x509_parser::prelude::FromDer;
use x509_parser::public_key::PublicKey;

/// Smallest modulus verified here (smaller keys are not RSA any server can still load).
pub const MIN_BITS: u64 = 512;
/// Largest modulus verified here (bounds the work a hostile certificate can cause).
pub const MAX_BITS: u64 = 16384;
/// ring's range: keys inside it are ring's to judge.
const RING_MIN_BITS: u64 = 2048;
const RING_MAX_BITS: u64 = 8192;

/// TLS SignatureScheme values (RFC 8446 4.2.3) handled here.
pub mod scheme {
    /// rsa_pkcs1_sha1 (legacy, TLS 1.2 only).
    pub const RSA_PKCS1_SHA1: u16 = 0x0201;
    /// rsa_pkcs1_sha256.
    pub const RSA_PKCS1_SHA256: u16 = 0x0401;
    /// rsa_pkcs1_sha384.
    pub const RSA_PKCS1_SHA384: u16 = 0x0501;
    /// rsa_pkcs1_sha512.
    pub const RSA_PKCS1_SHA512: u16 = 0x0601;
    /// rsa_pss_rsae_sha256.
    pub const RSA_PSS_RSAE_SHA256: u16 = 0x0804;
    /// rsa_pss_rsae_sha384.
    pub const RSA_PSS_RSAE_SHA384: u16 = 0x0805;
    /// rsa_pss_rsae_sha512.
    pub const RSA_PSS_RSAE_SHA512: u16 = 0x0806;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Hash {
    Sha1,
    Sha256,
    Sha384,
    Sha512,
}

impl Hash {
    fn digest(self, data: &[u8]) -> Vec<u8> {
        match self {
            Hash::Sha1 => sha1::Sha1::digest(data).to_vec(),
            Hash::Sha256 => sha2::Sha256::digest(data).to_vec(),
            Hash::Sha384 => sha2::Sha384::digest(data).to_vec(),
            Hash::Sha512 => sha2::Sha512::digest(data).to_vec(),
        }
    }
    fn len(self) -> usize {
        match self {
            Hash::Sha1 => 20,
            Hash::Sha256 => 32,
            Hash::Sha384 => 48,
            Hash::Sha512 => 64,
        }
    }
    /// DER DigestInfo prefix (RFC 8017 9.2 note 1).
    fn digest_info_prefix(self) -> &'static [u8] {
        match self {
            Hash::Sha1 => &[0x30, 0x21, 0x30, 0x09, 0x06, 0x05, 0x2b, 0x0e, 0x03, 0x02, 0x1a, 0x05, 0x00, 0x04, 0x14],
            Hash::Sha256 => &[
                0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00,
                0x04, 0x20,
            ],
            Hash::Sha384 => &[
                0x30, 0x41, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02, 0x05, 0x00,
                0x04, 0x30,
            ],
            Hash::Sha512 => &[
                0x30, 0x51, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03, 0x05, 0x00,
                0x04, 0x40,
            ],
        }
    }
}

/// (PSS?, hash) of an RSA signature scheme; `None` for any other scheme.
fn rsa_scheme(s: u16) -> Option<(bool, Hash)> {
    Some(match s {
        scheme::RSA_PKCS1_SHA1 => (false, Hash::Sha1),
        scheme::RSA_PKCS1_SHA256 => (false, Hash::Sha256),
        scheme::RSA_PKCS1_SHA384 => (false, Hash::Sha384),
        scheme::RSA_PKCS1_SHA512 => (false, Hash::Sha512),
        scheme::RSA_PSS_RSAE_SHA256 => (true, Hash::Sha256),
        scheme::RSA_PSS_RSAE_SHA384 => (true, Hash::Sha384),
        scheme::RSA_PSS_RSAE_SHA512 => (true, Hash::Sha512),
        _ => return None,
    })
}

/// An RSA public key (big-endian modulus and exponent, leading zeros allowed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RsaKey {
    n: BigUint,
    e: BigUint,
}

impl RsaKey {
    /// From big-endian modulus and exponent bytes.
    pub fn new(modulus: &[u8], exponent: &[u8]) -> RsaKey {
        RsaKey { n: BigUint::from_bytes_be(modulus), e: BigUint::from_bytes_be(exponent) }
    }

    /// The RSA key of a DER certificate's subjectPublicKeyInfo (rsaEncryption only).
    pub fn from_certificate(der: &[u8]) -> Option<RsaKey> {
        let (_, cert) = x509_parser::certificate::X509Certificate::from_der(der).ok()?;
        match cert.public_key().parsed() {
            Ok(PublicKey::RSA(k)) => Some(RsaKey::new(k.modulus, k.exponent)),
            _ => None,
        }
    }

    /// Modulus size in bits.
    pub fn bits(&self) -> u64 {
        self.n.bits()
    }

    /// Whether ring (rustls's verifier) refuses this key for its size alone.
    pub fn outside_ring_range(&self) -> bool {
        !(RING_MIN_BITS..=RING_MAX_BITS).contains(&self.bits())
    }

    /// Verifies `signature` over `message` with TLS SignatureScheme `scheme_id`. `None` when
    /// this module does not handle the scheme or the key (size or exponent out of bounds).
    pub fn verify(&self, scheme_id: u16, message: &[u8], signature: &[u8]) -> Option<bool> {
        let (pss, hash) = rsa_scheme(scheme_id)?;
        let bits = self.bits();
        // ring's exponent rule: odd, 3 <= e < 2^33 (bounds the work too).
        if !(MIN_BITS..=MAX_BITS).contains(&bits) || self.e.bits() > 33 || self.e < BigUint::from(3u8) || !self.e.bit(0)
        {
            return None;
        }
        let k = usize::try_from(bits.div_ceil(8)).ok()?;
        if signature.len() != k {
            return Some(false);
        }
        let s = BigUint::from_bytes_be(signature);
        if s >= self.n {
            return Some(false);
        }
        let m = s.modpow(&self.e, &self.n).to_bytes_be();
        Some(if pss {
            let em_bits = usize::try_from(bits - 1).ok()?;
            pss_verify(hash, message, &m, em_bits)
        } else {
            pkcs1_verify(hash, message, &m, k)
        })
    }
}

/// Left-pads `m` with zeros to `len` bytes; `None` when longer.
fn i2osp(m: &[u8], len: usize) -> Option<Vec<u8>> {
    let pad = len.checked_sub(m.len())?;
    let mut out = vec![0u8; pad];
    out.extend_from_slice(m);
    Some(out)
}

/// EMSA-PKCS1-v1_5 (RFC 8017 9.2): `00 01 FF.. 00 DigestInfo`, compared as a whole.
fn pkcs1_verify(hash: Hash, message: &[u8], m: &[u8], k: usize) -> bool {
    let Some(em) = i2osp(m, k) else { return false };
    let prefix = hash.digest_info_prefix();
    let t_len = prefix.len() + hash.len();
    let Some(ps_len) = k.checked_sub(t_len + 3) else { return false };
    if ps_len < 8 {
        return false;
    }
    let mut want = vec![0x00, 0x01];
    want.resize(2 + ps_len, 0xff);
    want.push(0x00);
    want.extend_from_slice(prefix);
    want.extend_from_slice(&hash.digest(message));
    want == em
}

/// MGF1 (RFC 8017 B.2.1).
fn mgf1(hash: Hash, seed: &[u8], len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len + hash.len());
    let mut counter: u32 = 0;
    while out.len() < len {
        let mut input = seed.to_vec();
        input.extend_from_slice(&counter.to_be_bytes());
        out.extend_from_slice(&hash.digest(&input));
        counter = counter.wrapping_add(1);
    }
    out.truncate(len);
    out
}

/// EMSA-PSS-VERIFY (RFC 8017 9.1.2) with MGF1(hash) and sLen = hLen.
fn pss_verify(hash: Hash, message: &[u8], m: &[u8], em_bits: usize) -> bool {
    let em_len = em_bits.div_ceil(8);
    let Some(em) = i2osp(m, em_len) else { return false };
    let h_len = hash.len();
    let s_len = h_len;
    if em_len < h_len + s_len + 2 || em.last() != Some(&0xbc) {
        return false;
    }
    let db_len = em_len - h_len - 1;
    let (Some(masked_db), Some(h)) = (em.get(..db_len), em.get(db_len..em_len - 1)) else { return false };
    let top_bits = 8 * em_len - em_bits; // leftmost bits of the first octet that must be zero
    let top_mask: u8 = if top_bits == 0 { 0xff } else { 0xffu8 >> top_bits };
    if masked_db.first().is_some_and(|b| b & !top_mask != 0) {
        return false;
    }
    let mut db: Vec<u8> = masked_db.iter().zip(mgf1(hash, h, db_len)).map(|(a, b)| a ^ b).collect();
    if let Some(b) = db.first_mut() {
        *b &= top_mask;
    }
    let ps_len = db_len - s_len - 1;
    if db.get(..ps_len).is_none_or(|ps| ps.iter().any(|b| *b != 0)) || db.get(ps_len) != Some(&0x01) {
        return false;
    }
    let salt = db.get(ps_len + 1..).unwrap_or_default();
    let mut m_prime = vec![0u8; 8];
    m_prime.extend_from_slice(&hash.digest(message));
    m_prime.extend_from_slice(salt);
    hash.digest(&m_prime) == h
}

/// Verifies a TLS handshake signature made with the RSA key of certificate `cert_der`, but only
/// where ring refuses for reasons other than the signature itself: the key size is outside
/// 2048..8192 bits, or the scheme is `rsa_pkcs1_sha1`. `None` otherwise (not RSA, not such a
/// case, or a key this module does not take).
pub fn verify_where_ring_refuses(cert_der: &[u8], scheme_id: u16, message: &[u8], signature: &[u8]) -> Option<bool> {
    let key = RsaKey::from_certificate(cert_der)?;
    if !key.outside_ring_range() && scheme_id != scheme::RSA_PKCS1_SHA1 {
        return None;
    }
    key.verify(scheme_id, message, signature)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        let s: String = s.split_whitespace().collect();
        (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
    }

    /// A textbook-sized RSA key (n = 61 * 53 is far too small): checks the arithmetic only.
    #[test]
    fn refuses_out_of_bounds_keys() {
        let k = RsaKey::new(&[0x0c, 0xa1], &[0x11]);
        assert_eq!(k.verify(scheme::RSA_PKCS1_SHA256, b"m", &[0, 0]), None);
        assert_eq!(RsaKey::new(&[0xff; 128], &[0x01, 0x00, 0x01]).verify(0x0403, b"m", &[0; 128]), None); // ECDSA
        assert_eq!(RsaKey::new(&[0xff; 128], &[0x02]).verify(scheme::RSA_PKCS1_SHA256, b"m", &[0; 128]), None);
    }

    /// Vectors made with OpenSSL 3 (`openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024`,
    /// `openssl dgst -sha256 -sign` / `-sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:digest`).
    #[test]
    fn openssl_rsa1024_vectors() {
        let n = hex(RSA1024_N);
        let k = RsaKey::new(&n, &[1, 0, 1]);
        assert_eq!(k.bits(), 1024);
        assert!(k.outside_ring_range());
        let msg = b"rdp-probe handshake signature test";
        let pkcs1 = hex(SIG_PKCS1_SHA256);
        let pss = hex(SIG_PSS_SHA256);
        assert_eq!(k.verify(scheme::RSA_PKCS1_SHA256, msg, &pkcs1), Some(true));
        assert_eq!(k.verify(scheme::RSA_PSS_RSAE_SHA256, msg, &pss), Some(true));
        assert_eq!(k.verify(scheme::RSA_PKCS1_SHA1, msg, &hex(SIG_PKCS1_SHA1)), Some(true));
        // Wrong message, wrong padding mode, flipped bit, wrong length.
        assert_eq!(k.verify(scheme::RSA_PKCS1_SHA256, b"other", &pkcs1), Some(false));
        assert_eq!(k.verify(scheme::RSA_PSS_RSAE_SHA256, msg, &pkcs1), Some(false));
        assert_eq!(k.verify(scheme::RSA_PKCS1_SHA256, msg, &pss), Some(false));
        let mut bad = pss.clone();
        bad[60] ^= 1;
        assert_eq!(k.verify(scheme::RSA_PSS_RSAE_SHA256, msg, &bad), Some(false));
        assert_eq!(k.verify(scheme::RSA_PSS_RSAE_SHA256, msg, &pss[1..]), Some(false));
    }

    const RSA1024_N: &str = "d388c14d4cc465201642d7bc9b204a30475f775d22b2c06ea469a55d177bdef229f23ccd2231199a002eab55f72277c2226c375bc2d34c4cc4175869bfac5a867be7997587c4cab6de1f5eea011979d9737ef07708c5359caede658dc284713c92109ebb0f8a399f4a42bfee625f7079ee679f73f9b1a6a561859246bd0834bb";
    const SIG_PKCS1_SHA256: &str = "b969faba0e57aad915fb4964455b7d40c951728a35267eb0e0d66624576a546ce98b1c7bc3671c57c3b0afa307e16029e1349dc8fb869786d5387654801933a5e828e4a0b463bb39a3dce276b1e590c87c432a1e6ebe0ad593060c69eb3e5382267d149b40b2101f3ca79b9c556e5f39e95340eba10207505fc9793ac3c9734e";
    const SIG_PSS_SHA256: &str = "7c97075f0f90a0ac65192e7dc1353211c42f2772296d8e8f864e0857962c632a0bca8b811f76f1a1c8b1f2250d36285bec3eb725ce3c952b0c77279a53712c92ae58d815914ad4434b4a06a1ece41f012f0254d461d81e348a28c4e7d6715fa74e24d693b93bf804655fbb2fd61fecd887abd7004666e9d63262cce7b0496aab";
    const SIG_PKCS1_SHA1: &str = "7af14352707d9eca08923bef1927f6233b55798f4d3ae70d43420f778acb011a487ed304fc797f4e87a88bf5081a396d840b7d38d48401cda56c084158ae5ca9fcbe83a8190e79f8b2553f7968e1ae201f15b20fbd44893345e455dd5a8989280eb6c9b4ed6b362a74b864f13cc135eaf9379fc0b52f5000b455b80004e7f067";
}
