//! Server security data (MS-RDPBCGR 2.2.1.4.3, TS_UD_SC_SEC1) and the server certificate it
//! carries (2.2.1.4.3.1): proprietary (RSA1 key blob signed with the Terminal Services signing
//! key, 5.3.3.1) or an X.509 chain.

use crate::wire::codec::{take_len, Ctx, DecodeError};
use nom::number::complete::{le_u16, le_u32};

/// Largest server random we accept (2.2.1.4.3: 32 bytes; some room for odd servers).
pub const MAX_SERVER_RANDOM_LEN: usize = 256;
/// Most certificates in an X.509 chain we accept.
pub const MAX_CERT_BLOBS: usize = 32;

const SC_SEC_PDU: &str = "TS_UD_SC_SEC1";
const CERT_PDU: &str = "SERVER_CERTIFICATE";
const PROP_PDU: &str = "PROPRIETARYSERVERCERTIFICATE";
const RSA_PDU: &str = "RSA_PUBLIC_KEY";

/// encryptionLevel (2.2.1.4.3) name: none, low, client_compatible, high, fips, `unknown_N`.
pub fn encryption_level_name(v: u32) -> String {
    match v {
        0 => "none".into(),
        1 => "low".into(),
        2 => "client_compatible".into(),
        3 => "high".into(),
        4 => "fips".into(),
        v => format!("unknown_{v}"),
    }
}

/// RSA_PUBLIC_KEY (2.2.1.4.3.1.1.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RsaPublicKey {
    /// magic ("RSA1" = 0x31415352).
    pub magic: u32,
    /// keylen: modulus bytes including 8 bytes of padding.
    pub keylen: u32,
    /// bitlen.
    pub bitlen: u32,
    /// datalen.
    pub datalen: u32,
    /// pubExp.
    pub pub_exp: u32,
    /// modulus, little-endian, as sent (keylen bytes).
    pub modulus: Vec<u8>,
}

impl RsaPublicKey {
    fn decode(blob: &[u8]) -> Result<RsaPublicKey, DecodeError> {
        let (i, magic) = le_u32(blob).ctx(RSA_PDU, "magic")?;
        let (i, keylen) = le_u32(i).ctx(RSA_PDU, "keylen")?;
        let (i, bitlen) = le_u32(i).ctx(RSA_PDU, "bitlen")?;
        let (i, datalen) = le_u32(i).ctx(RSA_PDU, "datalen")?;
        let (i, pub_exp) = le_u32(i).ctx(RSA_PDU, "pubExp")?;
        let n = usize::try_from(keylen).unwrap_or(usize::MAX);
        let (_rest, modulus) = take_len(i, n, i.len(), RSA_PDU, "modulus")?;
        Ok(RsaPublicKey { magic, keylen, bitlen, datalen, pub_exp, modulus: modulus.to_vec() })
    }

    /// Significant bits of the modulus (bitlen is what the server claims).
    pub fn modulus_bits(&self) -> u64 {
        num_bigint::BigUint::from_bytes_le(&self.modulus).bits()
    }
}

/// PROPRIETARYSERVERCERTIFICATE (2.2.1.4.3.1.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProprietaryCertificate {
    /// dwSigAlgId (SIGNATURE_ALG_RSA = 1).
    pub sig_alg_id: u32,
    /// dwKeyAlgId (KEY_EXCHANGE_ALG_RSA = 1).
    pub key_alg_id: u32,
    /// wPublicKeyBlobType (BB_RSA_KEY_BLOB = 6).
    pub public_key_blob_type: u16,
    /// PublicKeyBlob, decoded.
    pub public_key: Result<RsaPublicKey, DecodeError>,
    /// wSignatureBlobType (BB_RSA_SIGNATURE_BLOB = 8).
    pub signature_blob_type: u16,
    /// SignatureBlob (64 bytes + 8 zero bytes for the 512-bit signing key).
    pub signature: Vec<u8>,
    /// The signed bytes: dwVersion through PublicKeyBlob (5.3.3.1.2).
    pub signed_data: Vec<u8>,
}

/// The Terminal Services signing key modulus (MS-RDPBCGR 5.3.3.1.1), little-endian.
pub const TSSK_MODULUS: [u8; 64] = [
    0x3d, 0x3a, 0x5e, 0xbd, 0x72, 0x43, 0x3e, 0xc9, 0x4d, 0xbb, 0xc1, 0x1e, 0x4a, 0xba, 0x5f, 0xcb, 0x3e, 0x88, 0x20,
    0x87, 0xef, 0xf5, 0xc1, 0xe2, 0xd7, 0xb7, 0x6b, 0x9a, 0xf2, 0x52, 0x45, 0x95, 0xce, 0x63, 0x65, 0x6b, 0x58, 0x3a,
    0xfe, 0xef, 0x7c, 0xe7, 0xbf, 0xfe, 0x3d, 0xf6, 0x5c, 0x7d, 0x6c, 0x5e, 0x06, 0x09, 0x1a, 0xf5, 0x61, 0xbb, 0x20,
    0x93, 0x09, 0x5f, 0x05, 0x6d, 0xea, 0x87,
];
/// The Terminal Services signing key public exponent (5.3.3.1.1).
pub const TSSK_EXPONENT: u32 = 0xc088_7b5b;

impl ProprietaryCertificate {
    /// Whether the signature verifies against the Terminal Services signing key (5.3.3.1.2):
    /// RSA-decrypt, then MD5(signed data) || 0x00 || 0xFF x 45 || 0x01. The key's private half is
    /// public, so a valid signature proves nothing about the server: it only shows the
    /// certificate is well formed.
    pub fn signature_valid(&self) -> bool {
        use md5::Digest;
        let Some(sig) = self.signature.get(..64) else { return false };
        let n = num_bigint::BigUint::from_bytes_le(&TSSK_MODULUS);
        let s = num_bigint::BigUint::from_bytes_le(sig);
        if s >= n {
            return false;
        }
        let m = s.modpow(&num_bigint::BigUint::from(TSSK_EXPONENT), &n);
        let mut plain = m.to_bytes_le();
        plain.resize(64, 0);
        let hash = md5::Md5::digest(&self.signed_data);
        plain.get(..16) == Some(&hash[..])
            && plain.get(16) == Some(&0)
            && plain.get(17..62).is_some_and(|p| p.iter().all(|&b| b == 0xff))
            && plain.get(62) == Some(&1)
    }
}

/// The certificate inside SERVER_CERTIFICATE (2.2.1.4.3.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CertificateKind {
    /// CERT_CHAIN_VERSION_1: proprietary (RSA1 key blob signed with the TS signing key).
    Proprietary(ProprietaryCertificate),
    /// CERT_CHAIN_VERSION_2: X.509 chain, DER blobs in the order sent (the server's last).
    X509Chain(Vec<Vec<u8>>),
    /// Any other dwVersion: raw bytes after it.
    Unknown(Vec<u8>),
}

/// SERVER_CERTIFICATE (2.2.1.4.3.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerCertificate {
    /// dwVersion as sent.
    pub dw_version: u32,
    /// The top bit of dwVersion: the certificate is temporary (t).
    pub temporary: bool,
    /// The decoded certificate.
    pub kind: CertificateKind,
}

impl ServerCertificate {
    /// Decodes the certificate (serverCertLen bytes).
    pub fn decode(data: &[u8]) -> Result<ServerCertificate, DecodeError> {
        let (i, dw_version) = le_u32(data).ctx(CERT_PDU, "dwVersion")?;
        let temporary = dw_version & 0x8000_0000 != 0;
        let kind = match dw_version & 0x7fff_ffff {
            1 => {
                let (i, sig_alg_id) = le_u32(i).ctx(PROP_PDU, "dwSigAlgId")?;
                let (i, key_alg_id) = le_u32(i).ctx(PROP_PDU, "dwKeyAlgId")?;
                let (i, public_key_blob_type) = le_u16(i).ctx(PROP_PDU, "wPublicKeyBlobType")?;
                let (i, blob_len) = le_u16(i).ctx(PROP_PDU, "wPublicKeyBlobLen")?;
                let (i, blob) = take_len(i, usize::from(blob_len), 0xffff, PROP_PDU, "PublicKeyBlob")?;
                let signed_len = data.len() - i.len();
                let (i, signature_blob_type) = le_u16(i).ctx(PROP_PDU, "wSignatureBlobType")?;
                let (i, sig_len) = le_u16(i).ctx(PROP_PDU, "wSignatureBlobLen")?;
                let (_i, signature) = take_len(i, usize::from(sig_len), 0xffff, PROP_PDU, "SignatureBlob")?;
                CertificateKind::Proprietary(ProprietaryCertificate {
                    sig_alg_id,
                    key_alg_id,
                    public_key_blob_type,
                    public_key: RsaPublicKey::decode(blob),
                    signature_blob_type,
                    signature: signature.to_vec(),
                    signed_data: data.get(..signed_len).unwrap_or_default().to_vec(),
                })
            }
            2 => {
                let (mut i, count) = le_u32(i).ctx(CERT_PDU, "NumCertBlobs")?;
                let count = usize::try_from(count).unwrap_or(usize::MAX);
                if count > MAX_CERT_BLOBS {
                    return Err(DecodeError::length(CERT_PDU, "NumCertBlobs", count, MAX_CERT_BLOBS));
                }
                let mut certs = Vec::with_capacity(count);
                for _ in 0..count {
                    let (rest, cb) = le_u32(i).ctx(CERT_PDU, "cbCert")?;
                    let cb = usize::try_from(cb).unwrap_or(usize::MAX);
                    let (rest, der) = take_len(rest, cb, rest.len(), CERT_PDU, "abCert")?;
                    certs.push(der.to_vec());
                    i = rest;
                }
                // 8 + 4 * NumCertBlobs bytes of padding follow; not checked.
                CertificateKind::X509Chain(certs)
            }
            _ => CertificateKind::Unknown(i.to_vec()),
        };
        Ok(ServerCertificate { dw_version, temporary, kind })
    }
}

/// TS_UD_SC_SEC1 (2.2.1.4.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerSecurityData {
    /// encryptionMethod.
    pub encryption_method: u32,
    /// encryptionLevel.
    pub encryption_level: u32,
    /// serverRandomLen (None when the block ends after the level).
    pub server_random_len: Option<u32>,
    /// serverCertLen.
    pub server_cert_len: Option<u32>,
    /// serverRandom.
    pub server_random: Vec<u8>,
    /// serverCertificate, decoded; an odd certificate is kept as an error.
    pub server_certificate: Option<Result<ServerCertificate, DecodeError>>,
}

impl ServerSecurityData {
    pub(super) fn decode(b: &[u8]) -> Result<ServerSecurityData, DecodeError> {
        let (i, encryption_method) = le_u32(b).ctx(SC_SEC_PDU, "encryptionMethod")?;
        let (i, encryption_level) = le_u32(i).ctx(SC_SEC_PDU, "encryptionLevel")?;
        let mut s = ServerSecurityData {
            encryption_method,
            encryption_level,
            server_random_len: None,
            server_cert_len: None,
            server_random: Vec::new(),
            server_certificate: None,
        };
        if i.is_empty() {
            return Ok(s);
        }
        let (i, rl) = le_u32(i).ctx(SC_SEC_PDU, "serverRandomLen")?;
        let (i, cl) = le_u32(i).ctx(SC_SEC_PDU, "serverCertLen")?;
        s.server_random_len = Some(rl);
        s.server_cert_len = Some(cl);
        let rl = usize::try_from(rl).unwrap_or(usize::MAX);
        let cl = usize::try_from(cl).unwrap_or(usize::MAX);
        let (i, random) = take_len(i, rl, MAX_SERVER_RANDOM_LEN, SC_SEC_PDU, "serverRandom")?;
        s.server_random = random.to_vec();
        let (i, cert) = take_len(i, cl, i.len(), SC_SEC_PDU, "serverCertificate")?;
        if !i.is_empty() {
            return Err(DecodeError::trailing(SC_SEC_PDU, "serverCertLen", i.len()));
        }
        if !cert.is_empty() {
            s.server_certificate = Some(ServerCertificate::decode(cert));
        }
        Ok(s)
    }
}
