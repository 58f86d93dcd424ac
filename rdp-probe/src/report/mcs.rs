//! Report types of the MCS / GCC basic settings exchange (issue 5).
//!
//! JSON contract: `mcs.rdp_version`, `mcs.version_code`, `mcs.early_capability_flags`,
//! `mcs.encryption_level`, `mcs.encryption_methods` (method -> bool: the server answered that
//! offer with that very method), `mcs.method_answers` (method -> what the server did with the
//! offer, including the method it actually chose), `mcs.method_behaviour`,
//! `mcs.server_certificate` (`kind`, `key_bits`, `exponent`, `signature_valid`, ...),
//! `mcs.channels`, `mcs.transport`, `mcs.error`.

use crate::report::{ErrorKind, Phase};
use crate::wire::gcc::{self, CertificateKind, EncryptionMethods, ServerBlocks, ServerCertificate};
use crate::wire::mcs::DomainParameters;
use std::collections::BTreeMap;
use std::fmt;

/// The methods enumerated one connection each, in this order (CS_SECURITY, MS-RDPBCGR 2.2.1.3.3).
pub const METHODS: [EncryptionMethod; 5] = [
    EncryptionMethod::None,
    EncryptionMethod::Bit40,
    EncryptionMethod::Bit56,
    EncryptionMethod::Bit128,
    EncryptionMethod::Fips,
];

/// How the MCS exchange travelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "lowercase"))]
#[non_exhaustive]
pub enum Transport {
    /// Plain TCP: Standard RDP Security (MS-RDPBCGR 5.3).
    Tcp,
    /// Inside TLS: Enhanced RDP Security (MS-RDPBCGR 5.4), encryption level None.
    Tls,
}

impl Transport {
    /// The JSON spelling: `tcp`, `tls`.
    pub fn as_str(self) -> &'static str {
        match self {
            Transport::Tcp => "tcp",
            Transport::Tls => "tls",
        }
    }
}

impl fmt::Display for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// SC_SECURITY encryptionLevel (MS-RDPBCGR 2.2.1.4.3). Serialized as `none`, `low`,
/// `client_compatible`, `high`, `fips`, or `unknown_N` for a value the spec does not define.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EncryptionLevel {
    /// ENCRYPTION_LEVEL_NONE (0).
    None,
    /// ENCRYPTION_LEVEL_LOW (1): client-to-server traffic only.
    Low,
    /// ENCRYPTION_LEVEL_CLIENT_COMPATIBLE (2).
    ClientCompatible,
    /// ENCRYPTION_LEVEL_HIGH (3).
    High,
    /// ENCRYPTION_LEVEL_FIPS (4).
    Fips,
    /// Any other value, kept.
    Unknown(u32),
}

impl From<u32> for EncryptionLevel {
    fn from(v: u32) -> Self {
        match v {
            0 => EncryptionLevel::None,
            1 => EncryptionLevel::Low,
            2 => EncryptionLevel::ClientCompatible,
            3 => EncryptionLevel::High,
            4 => EncryptionLevel::Fips,
            v => EncryptionLevel::Unknown(v),
        }
    }
}

impl EncryptionLevel {
    /// The value on the wire.
    pub fn value(self) -> u32 {
        match self {
            EncryptionLevel::None => 0,
            EncryptionLevel::Low => 1,
            EncryptionLevel::ClientCompatible => 2,
            EncryptionLevel::High => 3,
            EncryptionLevel::Fips => 4,
            EncryptionLevel::Unknown(v) => v,
        }
    }

    /// Parses the report spelling (the inverse of `Display`).
    pub fn parse(s: &str) -> Option<EncryptionLevel> {
        Some(match s {
            "none" => EncryptionLevel::None,
            "low" => EncryptionLevel::Low,
            "client_compatible" => EncryptionLevel::ClientCompatible,
            "high" => EncryptionLevel::High,
            "fips" => EncryptionLevel::Fips,
            s => EncryptionLevel::from(s.strip_prefix("unknown_")?.parse::<u32>().ok()?),
        })
    }
}

impl fmt::Display for EncryptionLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&gcc::encryption_level_name(self.value()))
    }
}

/// One encryption method (MS-RDPBCGR 2.2.1.3.3 encryptionMethods, 2.2.1.4.3 encryptionMethod).
/// Serialized as `none`, `40bit`, `56bit`, `128bit`, `fips`; any other value as its flag names
/// (`40bit|128bit`, `unknown_0x20`). Ordered by that spelling, so maps keyed by it serialize in
/// the same order as maps keyed by the name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EncryptionMethod {
    /// ENCRYPTION_METHOD_NONE (0).
    None,
    /// ENCRYPTION_METHOD_40BIT (0x01).
    Bit40,
    /// ENCRYPTION_METHOD_56BIT (0x08).
    Bit56,
    /// ENCRYPTION_METHOD_128BIT (0x02).
    Bit128,
    /// ENCRYPTION_METHOD_FIPS (0x10).
    Fips,
    /// Any other value (several bits, unknown bits), kept.
    Other(u32),
}

impl From<u32> for EncryptionMethod {
    fn from(v: u32) -> Self {
        match v {
            0 => EncryptionMethod::None,
            0x01 => EncryptionMethod::Bit40,
            0x08 => EncryptionMethod::Bit56,
            0x02 => EncryptionMethod::Bit128,
            0x10 => EncryptionMethod::Fips,
            v => EncryptionMethod::Other(v),
        }
    }
}

impl EncryptionMethod {
    /// The value on the wire.
    pub fn value(self) -> u32 {
        match self {
            EncryptionMethod::None => 0,
            EncryptionMethod::Bit40 => 0x01,
            EncryptionMethod::Bit56 => 0x08,
            EncryptionMethod::Bit128 => 0x02,
            EncryptionMethod::Fips => 0x10,
            EncryptionMethod::Other(v) => v,
        }
    }

    /// As a CS_SECURITY encryptionMethods set (what an offer of this method alone sends).
    pub fn as_set(self) -> EncryptionMethods {
        EncryptionMethods(self.value())
    }

    /// Strength order of the single methods: none 0, 40-bit 1, 56-bit 2, 128-bit 3, FIPS 4
    /// (`None` for a value that is not one method).
    pub fn rank(self) -> Option<u8> {
        match self {
            EncryptionMethod::None => Some(0),
            EncryptionMethod::Bit40 => Some(1),
            EncryptionMethod::Bit56 => Some(2),
            EncryptionMethod::Bit128 => Some(3),
            EncryptionMethod::Fips => Some(4),
            EncryptionMethod::Other(_) => None,
        }
    }

    /// The report spelling of a single method (`None` for [`EncryptionMethod::Other`]).
    fn known_name(self) -> Option<&'static str> {
        match self {
            EncryptionMethod::None => Some("none"),
            EncryptionMethod::Bit40 => Some("40bit"),
            EncryptionMethod::Bit56 => Some("56bit"),
            EncryptionMethod::Bit128 => Some("128bit"),
            EncryptionMethod::Fips => Some("fips"),
            EncryptionMethod::Other(_) => None,
        }
    }

    /// The report spelling.
    pub fn name(self) -> std::borrow::Cow<'static, str> {
        match self.known_name() {
            Some(n) => n.into(),
            None => EncryptionMethods::method_name(self.value()).into(),
        }
    }

    /// Parses the report spelling (the inverse of `Display`): a name, or names joined by `|`
    /// with unknown bits as `unknown_0x..`.
    pub fn parse(s: &str) -> Option<EncryptionMethod> {
        if s == "none" {
            return Some(EncryptionMethod::None);
        }
        let mut v = 0u32;
        for part in s.split('|') {
            v |= match EncryptionMethods::KNOWN.iter().find(|(_, n)| *n == part) {
                Some((bit, _)) => *bit,
                None => u32::from_str_radix(part.strip_prefix("unknown_0x")?, 16).ok()?,
            };
        }
        Some(EncryptionMethod::from(v))
    }
}

impl fmt::Display for EncryptionMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

impl PartialOrd for EncryptionMethod {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for EncryptionMethod {
    /// By the report spelling (a map keyed by methods keeps the order of one keyed by names).
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.name().cmp(&other.name()).then(self.value().cmp(&other.value()))
    }
}

/// What the server did with one offer (one Connect Initial).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum MethodOutcome {
    /// A Connect Response with SC_SECURITY.
    Answered,
    /// A Connect Response with a failing result.
    Failed,
    /// A Disconnect-Provider-Ultimatum (or an X.224 Disconnect Request).
    Disconnect,
    /// The connection closed or was reset.
    Closed,
    /// Anything else: timeout, undecodable answer, refused negotiation.
    #[default]
    Error,
}

impl MethodOutcome {
    /// The JSON spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            MethodOutcome::Answered => "answered",
            MethodOutcome::Failed => "failed",
            MethodOutcome::Disconnect => "disconnect",
            MethodOutcome::Closed => "closed",
            MethodOutcome::Error => "error",
        }
    }
}

impl fmt::Display for MethodOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Serialized as the report spelling (open values: `unknown_N`, `40bit|128bit`).
#[cfg(feature = "serde")]
macro_rules! serde_as_string {
    ($t:ty, $what:expr) => {
        impl serde::Serialize for $t {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }
        impl<'de> serde::Deserialize<'de> for $t {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                <$t>::parse(&s).ok_or_else(|| serde::de::Error::custom(format!(concat!("not ", $what, ": {}"), s)))
            }
        }
    };
}
#[cfg(feature = "serde")]
serde_as_string!(EncryptionLevel, "an encryption level");
#[cfg(feature = "serde")]
serde_as_string!(EncryptionMethod, "an encryption method");

/// Results of the MCS step.
#[derive(Debug, Clone, PartialEq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct McsReport {
    /// `tcp` (Standard RDP Security) or `tls` (Enhanced RDP Security, MCS inside TLS).
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none", default))]
    pub transport: Option<Transport>,
    /// Set when no MCS exchange was possible, e.g. "MCS not reachable: NLA required".
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none", default))]
    pub not_reachable: Option<String>,
    /// SC_CORE version, e.g. "RDP 10.7"; "RDP 5.0-8.1" for 0x00080004.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none", default))]
    pub rdp_version: Option<String>,
    /// SC_CORE version, raw.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none", default))]
    pub version_code: Option<u32>,
    /// SC_CORE clientRequestedProtocols echo, by name (`rdp` for 0).
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none", default))]
    pub client_requested_protocols: Option<Vec<String>>,
    /// SC_CORE clientRequestedProtocols, raw.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none", default))]
    pub client_requested_protocols_value: Option<u32>,
    /// SC_CORE earlyCapabilityFlags by name.
    pub early_capability_flags: Vec<String>,
    /// SC_CORE earlyCapabilityFlags, raw (absent when the block stops before them).
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none", default))]
    pub early_capability_flags_value: Option<u32>,
    /// SC_SECURITY encryptionLevel: none, low, client_compatible, high, fips.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none", default))]
    pub encryption_level: Option<EncryptionLevel>,
    /// SC_SECURITY encryptionMethod the server chose when offered every method (0x1b).
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none", default))]
    pub selected_method: Option<EncryptionMethod>,
    /// Method -> whether the server, offered that method alone, answered with it.
    pub encryption_methods: BTreeMap<EncryptionMethod, bool>,
    /// Method -> what the server did with an offer of that method alone.
    pub method_answers: BTreeMap<EncryptionMethod, MethodAnswer>,
    /// One line about the answers, e.g. "answers 128bit whatever is offered".
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none", default))]
    pub method_behaviour: Option<String>,
    /// SC_SECURITY serverRandomLen.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none", default))]
    pub server_random_len: Option<u32>,
    /// SC_SECURITY serverCertLen.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none", default))]
    pub server_cert_len: Option<u32>,
    /// SC_SECURITY server certificate.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none", default))]
    pub server_certificate: Option<ServerCertificateReport>,
    /// Static virtual channels granted (SC_NET), paired with the names we offered.
    pub channels: Vec<ChannelReport>,
    /// SC_NET MCSChannelId (the I/O channel).
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none", default))]
    pub io_channel: Option<u16>,
    /// SC_MCS_MSGCHANNEL MCSChannelID.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none", default))]
    pub message_channel: Option<u16>,
    /// SC_MULTITRANSPORT flags (UDP transports the server offers), raw.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none", default))]
    pub multitransport_flags: Option<u32>,
    /// MCS Connect-Response result (T.125), e.g. `rt_successful`.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none", default))]
    pub mcs_result: Option<String>,
    /// Connect-Response calledConnectId.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none", default))]
    pub called_connect_id: Option<u32>,
    /// Connect-Response domainParameters.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none", default))]
    pub domain_parameters: Option<DomainParameters>,
    /// Server block types in the order received (`sc_core`, ..., `0x0c77`).
    pub blocks: Vec<String>,
    /// Blocks of unknown type, kept raw.
    pub unknown_blocks: Vec<UnknownBlockReport>,
    /// Blocks that did not decode (the others are still reported).
    pub decode_errors: Vec<String>,
    /// Failure of the step (connect, TLS, read, undecodable answer).
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none", default))]
    pub error: Option<StepError>,
}

/// A failure inside the MCS step: data, not a changed probe status.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct StepError {
    /// Where it happened.
    pub phase: Phase,
    /// What happened.
    pub detail: String,
    /// The failure is rdp-probe's, not the server's (e.g. its TLS stack cannot speak the
    /// server's TLS 1.0/1.1): `detail` then starts with "rdp-probe cannot".
    #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "std::ops::Not::not"))]
    pub client_limitation: bool,
    /// The kind of the failure (typed; decisions read this, never the text).
    #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "Option::is_none"))]
    pub kind: Option<ErrorKind>,
}

/// What the server did with one offered encryption method (one connection).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct MethodAnswer {
    /// CS_SECURITY encryptionMethods sent.
    pub offered_value: u32,
    /// `answered` (a Connect-Response with SC_SECURITY), `failed` (Connect-Response with a
    /// failing result), `disconnect` (Disconnect-Provider-Ultimatum), `closed`, `error`.
    pub outcome: MethodOutcome,
    /// Whether the server answered with exactly the offered method.
    pub accepted: bool,
    /// The method the server chose (SC_SECURITY encryptionMethod).
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none", default))]
    pub method: Option<EncryptionMethod>,
    /// The method the server chose, raw.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none", default))]
    pub method_value: Option<u32>,
    /// The level the server answered.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none", default))]
    pub level: Option<EncryptionLevel>,
    /// Details of a failure.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none", default))]
    pub detail: Option<String>,
}

impl MethodAnswer {
    /// The answer from a decoded Connect-Response to an offer of `offered`.
    pub fn from_blocks(offered: u32, blocks: &ServerBlocks) -> MethodAnswer {
        match &blocks.security {
            Some(s) => MethodAnswer {
                offered_value: offered,
                outcome: MethodOutcome::Answered,
                accepted: s.encryption_method == offered,
                method: Some(EncryptionMethod::from(s.encryption_method)),
                method_value: Some(s.encryption_method),
                level: Some(EncryptionLevel::from(s.encryption_level)),
                detail: None,
            },
            None => MethodAnswer {
                offered_value: offered,
                outcome: MethodOutcome::Error,
                detail: Some(
                    blocks
                        .errors
                        .first()
                        .map(|e| e.to_string())
                        .unwrap_or_else(|| "no SC_SECURITY block in the Connect-Response".into()),
                ),
                ..MethodAnswer::default()
            },
        }
    }

    /// An answer that is not a Connect-Response with server data.
    pub fn failed(offered: u32, outcome: MethodOutcome, detail: String) -> MethodAnswer {
        MethodAnswer { offered_value: offered, outcome, detail: Some(detail), ..Default::default() }
    }
}

/// The server certificate of SC_SECURITY.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ServerCertificateReport {
    /// `proprietary`, `x509` or `unknown`.
    pub kind: String,
    /// dwVersion as sent.
    pub dw_version: u32,
    /// The temporary bit (top bit of dwVersion).
    pub temporary: bool,
    /// Modulus size in bits of the server's key (for x509 the last certificate's: the leaf's
    /// key is the key the client encrypts its random with).
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none", default))]
    pub key_bits: Option<u64>,
    /// RSA public exponent.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none", default))]
    pub exponent: Option<u64>,
    /// Proprietary: whether the signature verifies against the Terminal Services signing key
    /// (whose private half is public: a valid signature does not authenticate the server).
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none", default))]
    pub signature_valid: Option<bool>,
    /// Proprietary: RSA1 bitlen as claimed.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none", default))]
    pub claimed_bitlen: Option<u32>,
    /// Proprietary: the RSA1 magic was "RSA1".
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none", default))]
    pub magic_ok: Option<bool>,
    /// X.509: the chain, in the order sent (root first, the server's certificate last).
    pub chain: Vec<X509Summary>,
    /// X.509: the leaf's key is an RSA key, so it is the server key the client encrypts its
    /// random with (MS-RDPBCGR 5.3.4.1); `false` when the leaf does not parse or is not RSA.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none", default))]
    pub leaf_is_server_key: Option<bool>,
    /// X.509: every certificate after the first is issued and signed by the one before it
    /// (`false`: a link is broken; absent: a link could not be checked).
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none", default))]
    pub chain_valid: Option<bool>,
    /// What could not be decoded.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none", default))]
    pub error: Option<String>,
}

/// One certificate of the SC_SECURITY X.509 chain (MS-RDPBCGR 2.2.1.4.3.1, 5.3.3.2), spelled
/// as `tls.certificate` spells its facts (RFC 3339 dates, upper-case hex). Filled by the MCS
/// step (`steps::server_chain`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct X509Summary {
    /// Subject DN.
    pub subject: String,
    /// Issuer DN.
    pub issuer: String,
    /// SHA-1 of the DER, upper-case hex.
    #[cfg_attr(feature = "serde", serde(default))]
    pub sha1: String,
    /// SHA-256 of the DER, upper-case hex.
    pub sha256: String,
    /// SubjectPublicKeyInfo algorithm by name (`rsaEncryption`; Windows licensing certificates
    /// say `md5WithRSAEncryption`, `sha1WithRSASignature` or, in the MS-RDPELE 4.1 example,
    /// `shaWithRSASignature` for an RSA key).
    pub key_algorithm: String,
    /// SubjectPublicKeyInfo algorithm OID.
    #[cfg_attr(feature = "serde", serde(default))]
    pub key_algorithm_oid: String,
    /// `rsa` (under any RSA-family OID) or `ec`.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none", default))]
    pub key_type: Option<String>,
    /// Key size in bits.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none", default))]
    pub key_bits: Option<u64>,
    /// RSA exponent.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none", default))]
    pub exponent: Option<u64>,
    /// Signature algorithm by name (`sha1WithRSAEncryption`, ...).
    #[cfg_attr(feature = "serde", serde(default))]
    pub signature_algorithm: String,
    /// notBefore, RFC 3339.
    pub not_before: String,
    /// notAfter, RFC 3339.
    pub not_after: String,
    /// Subject and issuer are the same name.
    #[cfg_attr(feature = "serde", serde(default))]
    pub self_issued: bool,
    /// The issuer is the subject of the certificate before it in the chain (absent for the first).
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none", default))]
    pub issued_by_previous: Option<bool>,
    /// The signature verifies with the previous certificate's key (the first certificate's:
    /// with its own key when self-issued); absent when it could not be checked.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none", default))]
    pub signature_valid: Option<bool>,
    /// How the signature was checked, or why not.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none", default))]
    pub signature_check: Option<String>,
    /// Parse failure.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none", default))]
    pub error: Option<String>,
}

/// One granted static virtual channel.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ChannelReport {
    /// The name we offered at this position (CS_NET), if any.
    pub name: Option<String>,
    /// The MCS channel ID the server assigned (0: not granted).
    pub id: u16,
}

/// A server block of unknown type.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct UnknownBlockReport {
    /// The type, raw.
    pub ty: u16,
    /// Body length.
    pub len: usize,
    /// The body, hex (first 256 bytes).
    pub raw_hex: String,
}

fn block_name(ty: u16) -> String {
    match ty {
        gcc::SC_CORE => "sc_core".into(),
        gcc::SC_SECURITY => "sc_security".into(),
        gcc::SC_NET => "sc_net".into(),
        gcc::SC_MCS_MSGCHANNEL => "sc_mcs_msgchannel".into(),
        gcc::SC_MULTITRANSPORT => "sc_multitransport".into(),
        t => format!("{t:#06x}"),
    }
}

impl ServerCertificateReport {
    /// Reports a decoded SERVER_CERTIFICATE.
    pub fn from_certificate(c: &ServerCertificate) -> ServerCertificateReport {
        let mut r = ServerCertificateReport { dw_version: c.dw_version, temporary: c.temporary, ..Default::default() };
        match &c.kind {
            CertificateKind::Proprietary(p) => {
                r.kind = "proprietary".into();
                r.signature_valid = Some(p.signature_valid());
                match &p.public_key {
                    Ok(k) => {
                        r.key_bits = Some(k.modulus_bits());
                        r.exponent = Some(k.pub_exp.into());
                        r.claimed_bitlen = Some(k.bitlen);
                        r.magic_ok = Some(k.magic == 0x3141_5352);
                    }
                    Err(e) => r.error = Some(e.to_string()),
                }
            }
            CertificateKind::X509Chain(_) => {
                // The chain, the leaf's key and the link checks: `steps::server_chain::fill`.
                r.kind = "x509".into();
            }
            CertificateKind::Unknown(raw) => {
                r.kind = "unknown".into();
                r.error = Some(format!("unknown certificate chain version, {} bytes", raw.len()));
            }
        }
        r
    }
}

impl McsReport {
    /// Fills the fields the server data blocks carry.
    pub fn from_blocks(b: &ServerBlocks) -> McsReport {
        let mut r = McsReport::default();
        r.apply_blocks(b);
        r
    }

    /// Sets the fields the server data blocks carry (keeps the rest).
    pub fn apply_blocks(&mut self, b: &ServerBlocks) {
        if let Some(core) = b.core {
            self.rdp_version = Some(gcc::rdp_version_name(core.version));
            self.version_code = Some(core.version);
            self.client_requested_protocols =
                core.client_requested_protocols.map(|p| crate::wire::x224::SecurityProtocols(p).display_names());
            self.client_requested_protocols_value = core.client_requested_protocols;
            self.early_capability_flags_value = core.early_capability_flags;
            self.early_capability_flags =
                core.early_capability_flags.map(|f| gcc::ServerEarlyCapabilityFlags(f).names()).unwrap_or_default();
        }
        if let Some(s) = &b.security {
            self.encryption_level = Some(EncryptionLevel::from(s.encryption_level));
            self.selected_method = Some(EncryptionMethod::from(s.encryption_method));
            self.server_random_len = s.server_random_len;
            self.server_cert_len = s.server_cert_len;
            self.server_certificate = match &s.server_certificate {
                Some(Ok(c)) => Some(ServerCertificateReport::from_certificate(c)),
                Some(Err(e)) => Some(ServerCertificateReport {
                    kind: "unknown".into(),
                    error: Some(e.to_string()),
                    ..Default::default()
                }),
                None => None,
            };
        }
        if let Some(n) = &b.network {
            let offered = gcc::mstsc_channels();
            self.io_channel = Some(n.io_channel);
            self.channels = n
                .channel_ids
                .iter()
                .enumerate()
                .map(|(i, &id)| ChannelReport { name: offered.get(i).map(|c| c.name.clone()), id })
                .collect();
        }
        self.message_channel = b.message_channel;
        self.multitransport_flags = b.multitransport;
        self.blocks = b.types.iter().map(|&t| block_name(t)).collect();
        self.unknown_blocks = b
            .unknown
            .iter()
            .map(|u| UnknownBlockReport {
                ty: u.ty,
                len: u.data.len(),
                raw_hex: crate::wire::codec::hex(u.data.get(..256).unwrap_or(&u.data)),
            })
            .collect();
        self.decode_errors = b.errors.iter().map(|e| e.to_string()).collect();
    }
}

/// The captured real-server vectors (tests/vectors/mcs/), decoded the whole way down.
#[cfg(test)]
mod captured {
    use super::*;
    use crate::wire::gcc::ConferenceCreateResponse;
    use crate::wire::mcs::ServerMcsPdu;
    use std::path::PathBuf;

    fn report_of(frame: &[u8]) -> McsReport {
        let data = crate::wire::x224::decode_data(frame).unwrap();
        let ServerMcsPdu::ConnectResponse(cr) = ServerMcsPdu::decode(data).unwrap() else { panic!() };
        assert_eq!(cr.result, 0);
        let ccr = ConferenceCreateResponse::decode(cr.user_data.as_ref().unwrap()).unwrap();
        assert_eq!(ccr.connect_pdu_length, 0x2a, "everyone copies the spec's 0x2a");
        assert_eq!(ccr.h221_key, b"McDn");
        let blocks = ServerBlocks::decode(&ccr.user_data);
        assert!(blocks.errors.is_empty(), "{:?}", blocks.errors);
        McsReport::from_blocks(&blocks)
    }

    fn dir(name: &str) -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/mcs").join(name)
    }

    /// Every offer (0x00, 0x01, 0x02, 0x08, 0x10, 0x1b) gets the configured method: xrdp
    /// ignores encryptionMethods. low and medium are both 40-bit, levels Low / Client Compatible.
    #[test]
    fn xrdp_levels_and_methods() {
        let cases = [
            ("xrdp-rdp-none-33895-mcs", "none", "none", None),
            ("xrdp-rdp-low-33893-mcs", "low", "40bit", Some(2048)),
            ("xrdp-rdp-medium-33892-mcs", "client_compatible", "40bit", Some(2048)),
            ("xrdp-rdp-high-33891-mcs", "high", "128bit", Some(2048)),
            ("xrdp-rdp-fips-33894-mcs", "fips", "fips", Some(2048)),
            ("xrdp-rdp-rsa512-33896-mcs", "high", "128bit", Some(512)),
        ];
        for (d, level, method, bits) in cases {
            for offer in ["0x00", "0x01", "0x02", "0x08", "0x10", "0x1b"] {
                let frame = std::fs::read(dir(d).join(format!("mcs-connect-response-meth{offer}.bin"))).unwrap();
                let r = report_of(&frame);
                assert_eq!(r.encryption_level.map(|l| l.to_string()).as_deref(), Some(level), "{d} {offer}");
                assert_eq!(r.selected_method.map(|m| m.to_string()).as_deref(), Some(method), "{d} {offer}");
                assert_eq!(r.rdp_version.as_deref(), Some("RDP 5.0-8.1"));
                assert_eq!(r.client_requested_protocols.as_deref(), Some(&["rdp".to_string()][..]));
                assert_eq!(r.io_channel, Some(1003));
                match bits {
                    None => {
                        assert!(r.server_certificate.is_none());
                        assert_eq!(r.server_random_len, None);
                    }
                    Some(b) => {
                        let c = r.server_certificate.as_ref().unwrap();
                        assert_eq!(c.kind, "proprietary");
                        assert_eq!(c.key_bits, Some(b), "{d}");
                        assert_eq!(c.exponent, Some(65537));
                        assert_eq!(c.signature_valid, Some(true), "{d}");
                        assert!(!c.temporary);
                        assert_eq!(r.server_random_len, Some(32));
                    }
                }
            }
        }
    }

    /// FreeRDP shadow, probed from 127.0.0.1: encryption off whatever is offered.
    #[test]
    fn shadow_from_localhost() {
        let frame = std::fs::read(dir("shadow-rdp-33912-mcs").join("mcs-connect-response-meth0x02.bin")).unwrap();
        let r = report_of(&frame);
        assert_eq!(r.encryption_level, Some(EncryptionLevel::None));
        assert_eq!(r.selected_method, Some(EncryptionMethod::None));
        assert_eq!(r.early_capability_flags_value, Some(0));
        assert_eq!(r.blocks, ["sc_core", "sc_net", "sc_security"]);
    }

    /// The captured Connect-Initials decode with our own decoder (not ours: whoever captured).
    #[test]
    fn captured_connect_initials_decode() {
        let frame = std::fs::read(dir("xrdp-rdp-high-33891-mcs").join("mcs-connect-initial-meth0x1b.bin")).unwrap();
        let ci = crate::wire::mcs::ConnectInitial::decode(crate::wire::x224::decode_data(&frame).unwrap()).unwrap();
        assert_eq!(ci.target, crate::wire::mcs::DomainParameters::TARGET);
        assert!(ci.user_data.windows(4).any(|w| w == b"Duca"));
    }
}

/// The JSON spelling of the typed fields is the spelling of the strings they replaced.
#[cfg(all(test, feature = "serde"))]
mod spelling {
    use super::*;

    #[test]
    fn levels_methods_transport_outcomes() {
        let levels = [(0, "none"), (1, "low"), (2, "client_compatible"), (3, "high"), (4, "fips"), (7, "unknown_7")];
        for (v, name) in levels {
            let l = EncryptionLevel::from(v);
            assert_eq!(l.value(), v);
            assert_eq!(l.to_string(), gcc::encryption_level_name(v));
            assert_eq!(serde_json::to_value(l).unwrap(), name);
            assert_eq!(serde_json::from_value::<EncryptionLevel>(name.into()).unwrap(), l);
        }
        for v in [0, 1, 2, 8, 0x10, 0x03, 0x1b, 0x20, 0x8000_0001] {
            let m = EncryptionMethod::from(v);
            assert_eq!(m.value(), v);
            assert_eq!(m.to_string(), EncryptionMethods::method_name(v));
            let json = serde_json::to_value(m).unwrap();
            assert_eq!(serde_json::from_value::<EncryptionMethod>(json).unwrap(), m, "{v:#x}");
        }
        assert_eq!(EncryptionMethod::from(0x21).to_string(), "40bit|unknown_0x20");
        assert!(serde_json::from_value::<EncryptionMethod>("256bit".into()).is_err());
        assert_eq!(serde_json::to_value(Transport::Tls).unwrap(), "tls");
        assert_eq!(serde_json::to_value(Transport::Tcp).unwrap(), Transport::Tcp.to_string());
        for o in [
            MethodOutcome::Answered,
            MethodOutcome::Failed,
            MethodOutcome::Disconnect,
            MethodOutcome::Closed,
            MethodOutcome::Error,
        ] {
            assert_eq!(serde_json::to_value(o).unwrap(), o.as_str());
        }
    }

    #[test]
    fn method_maps_keep_the_order_of_name_keys() {
        let typed: BTreeMap<EncryptionMethod, bool> = METHODS.iter().map(|m| (*m, true)).collect();
        let named: BTreeMap<String, bool> = METHODS.iter().map(|m| (m.to_string(), true)).collect();
        assert_eq!(serde_json::to_string(&typed).unwrap(), serde_json::to_string(&named).unwrap());
        assert_eq!(
            serde_json::to_string(&typed).unwrap(),
            r#"{"128bit":true,"40bit":true,"56bit":true,"fips":true,"none":true}"#
        );
        let back: BTreeMap<EncryptionMethod, bool> =
            serde_json::from_str(&serde_json::to_string(&typed).unwrap()).unwrap();
        assert_eq!(back, typed);
    }
}
