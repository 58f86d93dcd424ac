//! Report types of the TLS layer (issue 3). JSON field names are a contract: `tls.version`,
//! `tls.cipher_suite`, `tls.versions`, `tls.ciphers`, `tls.certificate`, `tls.chain`.

use super::{ErrorKind, Phase};
use crate::wire::tls::version_label;
use std::collections::BTreeMap;
use std::fmt;

/// A TLS protocol version as a server showed it (ServerHello, rustls session), spelled in
/// JSON as its label: `"1.0"`..`"1.3"`, `"ssl3"`, `"ssl2"`, or `"unknown_0x...."` for any
/// other wire value (RFC 8446 4.2.1, RFC 5246 6.2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum TlsVersion {
    /// SSL 2.0, wire 0x0002.
    Ssl2,
    /// SSL 3.0, wire 0x0300.
    Ssl3,
    /// TLS 1.0 (RFC 2246), wire 0x0301.
    Tls10,
    /// TLS 1.1 (RFC 4346), wire 0x0302.
    Tls11,
    /// TLS 1.2 (RFC 5246), wire 0x0303.
    Tls12,
    /// TLS 1.3 (RFC 8446), wire 0x0304.
    Tls13,
    /// Any other wire value, kept.
    Unknown(u16),
}

impl TlsVersion {
    /// The version of a wire value.
    pub fn from_wire(v: u16) -> TlsVersion {
        match v {
            0x0002 => TlsVersion::Ssl2,
            0x0300 => TlsVersion::Ssl3,
            0x0301 => TlsVersion::Tls10,
            0x0302 => TlsVersion::Tls11,
            0x0303 => TlsVersion::Tls12,
            0x0304 => TlsVersion::Tls13,
            v => TlsVersion::Unknown(v),
        }
    }

    /// The wire value.
    pub fn wire(self) -> u16 {
        match self {
            TlsVersion::Ssl2 => 0x0002,
            TlsVersion::Ssl3 => 0x0300,
            TlsVersion::Tls10 => 0x0301,
            TlsVersion::Tls11 => 0x0302,
            TlsVersion::Tls12 => 0x0303,
            TlsVersion::Tls13 => 0x0304,
            TlsVersion::Unknown(v) => v,
        }
    }

    /// TLS 1.0 or 1.1: versions rdp-probe's TLS stack (rustls) cannot complete a handshake in.
    pub fn is_legacy_tls(self) -> bool {
        matches!(self, TlsVersion::Tls10 | TlsVersion::Tls11)
    }
}

impl From<crate::wire::tls::OfferedVersion> for TlsVersion {
    fn from(v: crate::wire::tls::OfferedVersion) -> Self {
        TlsVersion::from_wire(v.wire())
    }
}

impl fmt::Display for TlsVersion {
    /// The JSON spelling (`1.2`, `ssl3`, `unknown_0x0305`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&version_label(self.wire()))
    }
}

/// A label that is not a TLS version's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a TLS version label: {0:?}")]
pub struct BadVersionLabel(pub String);

impl std::str::FromStr for TlsVersion {
    type Err = BadVersionLabel;
    /// Reads the JSON spelling back.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        // One spelling table: Display's (wire::tls::version_label), read back.
        let known = [0x0002, 0x0300, 0x0301, 0x0302, 0x0303, 0x0304].into_iter().find(|&w| version_label(w) == s);
        let wire = known.or_else(|| s.strip_prefix("unknown_0x").and_then(|h| u16::from_str_radix(h, 16).ok()));
        wire.map(TlsVersion::from_wire).ok_or_else(|| BadVersionLabel(s.to_string()))
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for TlsVersion {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(feature = "serde")]
impl<'de> serde::Deserialize<'de> for TlsVersion {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// A point in time, in whole Unix seconds (UTC), spelled in JSON as RFC 3339
/// (`2035-01-01T00:00:00Z`): certificate validity dates (RFC 5280 4.1.2.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Timestamp(pub i64);

impl Timestamp {
    /// Unix seconds.
    pub fn unix(self) -> i64 {
        self.0
    }
}

impl fmt::Display for Timestamp {
    /// RFC 3339 UTC, e.g. `2029-03-04T00:04:33Z`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&crate::wire::codec::rfc3339(self.0))
    }
}

/// Text that is not an RFC 3339 UTC time as rdp-probe writes it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not an RFC 3339 UTC time (YYYY-MM-DDTHH:MM:SSZ): {0:?}")]
pub struct BadTimestamp(pub String);

impl std::str::FromStr for Timestamp {
    type Err = BadTimestamp;
    /// Reads `YYYY-MM-DDTHH:MM:SSZ` back (the inverse of [`fmt::Display`]).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || BadTimestamp(s.to_string());
        let b = s.as_bytes();
        if b.len() != 20 || b.get(4) != Some(&b'-') || b.get(10) != Some(&b'T') || b.get(19) != Some(&b'Z') {
            return Err(bad());
        }
        let num = |r: std::ops::Range<usize>| s.get(r).and_then(|x| x.parse::<i64>().ok()).ok_or_else(bad);
        let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
        let (hh, mm, ss) = (num(11..13)?, num(14..16)?, num(17..19)?);
        if !(1..=12).contains(&m) || !(1..=31).contains(&d) || hh > 23 || mm > 59 || ss > 60 {
            return Err(bad());
        }
        // Days from the civil date (the inverse of the algorithm in `wire::codec::rfc3339`).
        let y = if m <= 2 { y - 1 } else { y };
        let era = y.div_euclid(400);
        let yoe = y.rem_euclid(400);
        let mp = (m + 9) % 12;
        let doy = (153 * mp + 2) / 5 + d - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        let days = era * 146_097 + doe - 719_468;
        Ok(Timestamp(days * 86_400 + hh * 3600 + mm * 60 + ss))
    }
}

/// Serde for a certificate date that may be missing (an unparsable certificate): absent is
/// the empty string, as the JSON contract has always written it.
#[cfg(feature = "serde")]
mod optional_time {
    use super::Timestamp;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(t: &Option<Timestamp>, s: S) -> Result<S::Ok, S::Error> {
        match t {
            Some(t) => s.collect_str(t),
            None => s.serialize_str(""),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Timestamp>, D::Error> {
        let s = String::deserialize(d)?;
        if s.is_empty() {
            return Ok(None);
        }
        s.parse().map(Some).map_err(serde::de::Error::custom)
    }
}

/// Where the negotiated version, suite and certificate of the TLS report come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "lowercase"))]
#[non_exhaustive]
pub enum TlsSource {
    /// A completed rustls handshake.
    Rustls,
    /// A raw ClientHello (rustls could not complete: TLS 1.0/1.1 only, old suites).
    Raw,
}

impl fmt::Display for TlsSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TlsSource::Rustls => "rustls",
            TlsSource::Raw => "raw",
        })
    }
}

/// How good a cipher suite is at the version it was accepted in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "lowercase"))]
#[non_exhaustive]
pub enum CipherGrade {
    /// A known weakness (RC4, 3DES, export, NULL, anonymous, MD5, CBC-SHA1 in TLS 1.0...).
    Weak,
    /// No known weakness, but no AEAD with forward secrecy either.
    Acceptable,
    /// TLS 1.3, or an AEAD suite with (EC)DHE.
    Strong,
}

impl fmt::Display for CipherGrade {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CipherGrade::Weak => "weak",
            CipherGrade::Acceptable => "acceptable",
            CipherGrade::Strong => "strong",
        })
    }
}

/// Results of the TLS step: one rustls handshake (the session a modern client gets), raw
/// ClientHello probes per version and per cipher suite, the Direct Approach test and the
/// certificate report.
#[derive(Debug, Clone, PartialEq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct TlsReport {
    /// requestedProtocols of the X.224 Connection Request used before every TLS attempt
    /// (`0x1` SSL, or `0x3`/`0xb` when SSL alone is refused).
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none", default))]
    pub requested_protocols: Option<u32>,
    /// The version negotiated (`"1.0"`..`"1.3"`): by rustls, or by the raw ClientHello when
    /// rustls could not complete (TLS 1.0/1.1-only servers).
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none", default))]
    pub version: Option<TlsVersion>,
    /// The cipher suite negotiated, IANA name.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none", default))]
    pub cipher_suite: Option<String>,
    /// Key-exchange group of the rustls session (`x25519`, `secp256r1`...).
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none", default))]
    pub key_exchange_group: Option<String>,
    /// ALPN protocol the server chose, if any (we offer none; RDP uses none).
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none", default))]
    pub alpn: Option<String>,
    /// Milliseconds of the rustls handshake (after the X.224 exchange).
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none", default))]
    pub handshake_ms: Option<f64>,
    /// Whether rustls (TLS 1.2/1.3 with modern suites only) completed a handshake: false on
    /// servers that speak only TLS 1.0/1.1 or only old suites, which mstsc still reaches.
    pub rustls_handshake: bool,
    /// Where `version`, `cipher_suite` and the certificate come from: `rustls` or `raw`.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none", default))]
    pub source: Option<TlsSource>,
    /// Version label (`"1.0"`..`"1.3"`) -> accepted (a ServerHello with exactly that version
    /// answered a ClientHello offering only it). Empty when version enumeration did not run.
    pub versions: BTreeMap<TlsVersion, bool>,
    /// Per-version detail of the enumeration.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Vec::is_empty", default))]
    pub version_attempts: Vec<TlsAttempt>,
    /// Direct Approach (MS-RDPBCGR 5.4.2.2): a ClientHello with no X.224 exchange first.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none", default))]
    pub direct_approach: Option<TlsAttempt>,
    /// Version label -> suites the server accepts at that version, in the order the server
    /// chose them (its preference when it enforces its own order). Empty when not enumerated.
    pub ciphers: BTreeMap<TlsVersion, Vec<CipherSuiteInfo>>,
    /// Version label -> whether the cipher enumeration ended normally (the server refused the
    /// remaining suites); false when an error, the deadline or the attempt limit cut it short.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "BTreeMap::is_empty", default))]
    pub cipher_enumeration_complete: BTreeMap<TlsVersion, bool>,
    /// The leaf certificate.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none", default))]
    pub certificate: Option<CertificateReport>,
    /// Every certificate the server sent, leaf first (so `chain[0]` is `certificate`).
    pub chain: Vec<CertificateReport>,
    /// The first failure of the step (SSL_CERT_NOT_ON_SERVER, a handshake failure...).
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none", default))]
    pub error: Option<TlsError>,
    /// Further failures (one per failed attempt), for diagnosis.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Vec::is_empty", default))]
    pub errors: Vec<TlsError>,
}

/// A failure in the TLS step: data, not a probe failure.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct TlsError {
    /// Where: `read_cc` for an X.224 refusal (e.g. `ssl_cert_not_on_server`), `tls` for the
    /// handshake, `connect`...
    pub phase: Phase,
    /// What happened, e.g. `rustls: received fatal alert: HandshakeFailure`,
    /// `alert fatal protocol_version`, `ssl_cert_not_on_server`.
    pub text: String,
    /// Which attempt (`rustls`, `version 1.0`, `direct`, `ciphers 1.2`, `raw certificate`).
    pub attempt: String,
    /// The failure is rdp-probe's, not the server's: its TLS stack (rustls, TLS 1.2/1.3 with
    /// modern suites) cannot do what the server does (e.g. a TLS 1.0/1.1-only listener).
    /// `text` then starts with "rdp-probe cannot".
    #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "std::ops::Not::not"))]
    pub client_limitation: bool,
    /// Hex of the non-TLS bytes the server sent instead of a ServerHello (e.g. xrdp's MCS
    /// Disconnect-Provider-Ultimatum `0300000902f0802180` when it cannot use its key).
    #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "Option::is_none"))]
    pub server_sent: Option<String>,
    /// The kind of the failure (typed; decisions read this, never the text).
    pub kind: ErrorKind,
}

/// One raw ClientHello attempt and the server's answer.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct TlsAttempt {
    /// The version offered (`"1.0"`..`"1.3"`).
    pub offered: TlsVersion,
    /// Whether the server answered with a ServerHello of exactly that version.
    pub accepted: bool,
    /// The version of the ServerHello, if one came (may be lower than offered).
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none", default))]
    pub server_version: Option<TlsVersion>,
    /// The suite of the ServerHello.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none", default))]
    pub cipher_suite: Option<String>,
    /// The answer was a TLS 1.3 HelloRetryRequest (1.3 still accepted).
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "std::ops::Not::not", default))]
    pub hello_retry_request: bool,
    /// The alert the server sent instead, e.g. `fatal protocol_version`.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none", default))]
    pub alert: Option<String>,
    /// Anything else: closed, timeout, not TLS, X.224 refusal.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none", default))]
    pub detail: Option<String>,
    /// Milliseconds from connect to answer.
    pub ms: f64,
}

/// One accepted cipher suite.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct CipherSuiteInfo {
    /// IANA name (or `unknown_0x....`).
    pub name: String,
    /// Wire value.
    pub id: u16,
    /// `weak`, `acceptable` or `strong` (see `rdp_probe::wire::tls::suites::grade`).
    pub grade: CipherGrade,
    /// Why weak: `rc4`, `3des`, `des`, `export`, `null`, `anon`, `md5`, `rc2`, `idea`,
    /// `cbc_sha1_tls10`.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Vec::is_empty", default))]
    pub weaknesses: Vec<String>,
    /// Key-exchange group of the ServerHello (TLS 1.3 key_share), when shown in clear.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none", default))]
    pub group: Option<String>,
}

/// One X.509 certificate, as parsed by x509-parser.
#[derive(Debug, Clone, PartialEq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct CertificateReport {
    /// Subject DN (RFC 4514 style, as x509-parser prints it: `CN=host, O=Org`).
    pub subject: String,
    /// Issuer DN.
    pub issuer: String,
    /// Subject common name, if any.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none", default))]
    pub subject_cn: Option<String>,
    /// Serial number, upper-case hex (as `openssl x509 -serial`).
    pub serial: String,
    /// X.509 version (1..3).
    pub x509_version: u32,
    /// Subject Alternative Names: DNS names and IP addresses as text; other kinds prefixed
    /// (`email:`, `uri:`, `dirname:`, `other:`).
    pub sans: Vec<String>,
    /// notBefore (RFC 3339 UTC in JSON; `""` when the certificate could not be parsed).
    #[cfg_attr(feature = "serde", serde(with = "optional_time"))]
    pub not_before: Option<Timestamp>,
    /// notAfter (RFC 3339 UTC in JSON; `""` when the certificate could not be parsed).
    #[cfg_attr(feature = "serde", serde(with = "optional_time"))]
    pub not_after: Option<Timestamp>,
    /// Whole days from the probe time to notAfter (negative when expired).
    pub days_until_expiry: i64,
    /// notAfter is in the past.
    pub expired: bool,
    /// notBefore is in the future.
    pub not_yet_valid: bool,
    /// Issuer equals subject and the signature verifies with the certificate's own key
    /// (or uses an algorithm we cannot verify).
    pub self_signed: bool,
    /// Issuer equals subject (byte for byte).
    pub self_issued: bool,
    /// `rsa`, `rsa_pss`, `ec`, `ed25519`, `ed448`, `dsa`, or the algorithm OID.
    pub key_type: String,
    /// Key size in bits (RSA modulus, EC field size).
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none", default))]
    pub key_bits: Option<u32>,
    /// EC curve (`P-256`, `P-384`, `P-521`, or the OID).
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none", default))]
    pub ec_curve: Option<String>,
    /// Signature algorithm, OpenSSL's short name (`sha256WithRSAEncryption`,
    /// `ecdsa-with-SHA256`) or the OID.
    pub signature_algorithm: String,
    /// Key usage bits by name (`digital_signature`, `key_encipherment`...); empty when absent.
    pub key_usage: Vec<String>,
    /// Extended key usages by name (`server_auth`, `client_auth`, ..., other OIDs dotted).
    pub extended_key_usage: Vec<String>,
    /// Usable for TLS server authentication: no EKU extension, or EKU with serverAuth or
    /// anyExtendedKeyUsage.
    pub server_auth: bool,
    /// basicConstraints cA.
    pub is_ca: bool,
    /// SHA-1 of the DER, upper-case hex without separators: the Windows "Thumbprint"
    /// (certificate store, SSLCertificateSHA1Hash).
    pub sha1: String,
    /// SHA-256 of the DER, upper-case hex without separators.
    pub sha256: String,
    /// The name checked (`server_name` option, else the target host).
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none", default))]
    pub checked_name: Option<String>,
    /// Whether `checked_name` matches: SAN dNSName (one left-most `*` label) or iPAddress;
    /// the subject CN only when the certificate has no SAN extension.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none", default))]
    pub hostname_match: Option<bool>,
    /// For chain members: whether this certificate's signature verifies with the next
    /// certificate's key (`None` for the last one).
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none", default))]
    pub signed_by_next: Option<bool>,
    /// Whether WebPKI-style validation would pass, judged from the parsed facts (validity
    /// dates, name, server-auth usage, chain signatures, self-signature, key size). The trust
    /// anchor is NOT checked: no system root store is consulted, so a chain ending at (or
    /// omitting) an untrusted private CA still shows `true`; a self-signed leaf shows `false`.
    pub webpki_valid: bool,
    /// Why not: `expired`, `not yet valid`, `self-signed`, `name mismatch`,
    /// `no server authentication usage`, `chain signature does not verify`,
    /// `intermediate expired`, `weak key` (RSA/DSA < 2048, EC < 224 bits),
    /// `weak signature algorithm` (MD5/SHA-1, ignored on self-signed certificates),
    /// `unparsable certificate`.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Vec::is_empty", default))]
    pub webpki_errors: Vec<String>,
    /// Size of the DER in bytes.
    pub der_len: usize,
    /// Why x509-parser could not parse it (then most fields are empty; sha1/sha256 are set).
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none", default))]
    pub parse_error: Option<String>,
}
