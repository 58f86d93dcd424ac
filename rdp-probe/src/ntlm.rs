//! NTLM (MS-NLMP): the NEGOTIATE_MESSAGE we send, the server's CHALLENGE_MESSAGE (its identity:
//! names, version, clock), and the NTLMv2 AUTHENTICATE_MESSAGE with MIC, session key and
//! sealing used for the opt-in credential check inside CredSSP.
//!
//! Decoding is lenient on content (unknown flags and AV_PAIRs are kept) and strict on lengths:
//! every payload field is read by offset/length from the message and checked against the
//! bytes present.

use crate::codec::{utf16le_lossy, Ctx, DecodeError, NomResult};
use crate::x224::flag_set;
use hmac::{Hmac, KeyInit, Mac};
use md4::Md4;
use md5::{Digest, Md5};
use nom::bytes::complete::{tag, take};
use nom::number::complete::{le_u16, le_u32, u8 as nom_u8};
use rc4::{Rc4, StreamCipher};

/// "NTLMSSP\0" (2.2.1).
pub const SIGNATURE: &[u8; 8] = b"NTLMSSP\0";
/// MessageType of NEGOTIATE_MESSAGE.
pub const NEGOTIATE_MESSAGE: u32 = 1;
/// MessageType of CHALLENGE_MESSAGE.
pub const CHALLENGE_MESSAGE: u32 = 2;
/// MessageType of AUTHENTICATE_MESSAGE.
pub const AUTHENTICATE_MESSAGE: u32 = 3;
/// NTLMSSP_REVISION_W2K3 (2.2.2.10): the only revision a trustworthy VERSION carries.
pub const NTLMSSP_REVISION_W2K3: u8 = 0x0F;
/// The largest NTLM message we accept (CredSSP carries them in one negoToken).
pub const MAX_MESSAGE_LEN: usize = 0xFFFF;

const PDU_CHALLENGE: &str = "NTLM CHALLENGE_MESSAGE";

flag_set! {
    /// NegotiateFlags (MS-NLMP 2.2.2.5).
    NegotiateFlags(u32) {
        /// A: NTLMSSP_NEGOTIATE_UNICODE.
        UNICODE = 0x0000_0001, "negotiate_unicode";
        /// B: NTLM_NEGOTIATE_OEM.
        OEM = 0x0000_0002, "negotiate_oem";
        /// C: NTLMSSP_REQUEST_TARGET.
        REQUEST_TARGET = 0x0000_0004, "request_target";
        /// D: NTLMSSP_NEGOTIATE_SIGN.
        SIGN = 0x0000_0010, "negotiate_sign";
        /// E: NTLMSSP_NEGOTIATE_SEAL.
        SEAL = 0x0000_0020, "negotiate_seal";
        /// F: NTLMSSP_NEGOTIATE_DATAGRAM.
        DATAGRAM = 0x0000_0040, "negotiate_datagram";
        /// G: NTLMSSP_NEGOTIATE_LM_KEY.
        LM_KEY = 0x0000_0080, "negotiate_lm_key";
        /// H: NTLMSSP_NEGOTIATE_NTLM.
        NTLM = 0x0000_0200, "negotiate_ntlm";
        /// J: anonymous connection.
        ANONYMOUS = 0x0000_0800, "anonymous";
        /// K: NTLMSSP_NEGOTIATE_OEM_DOMAIN_SUPPLIED.
        OEM_DOMAIN_SUPPLIED = 0x0000_1000, "negotiate_oem_domain_supplied";
        /// L: NTLMSSP_NEGOTIATE_OEM_WORKSTATION_SUPPLIED.
        OEM_WORKSTATION_SUPPLIED = 0x0000_2000, "negotiate_oem_workstation_supplied";
        /// M: NTLMSSP_NEGOTIATE_ALWAYS_SIGN.
        ALWAYS_SIGN = 0x0000_8000, "negotiate_always_sign";
        /// N: NTLMSSP_TARGET_TYPE_DOMAIN.
        TARGET_TYPE_DOMAIN = 0x0001_0000, "target_type_domain";
        /// O: NTLMSSP_TARGET_TYPE_SERVER.
        TARGET_TYPE_SERVER = 0x0002_0000, "target_type_server";
        /// P: NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY.
        EXTENDED_SESSIONSECURITY = 0x0008_0000, "negotiate_extended_sessionsecurity";
        /// Q: NTLMSSP_NEGOTIATE_IDENTIFY.
        IDENTIFY = 0x0010_0000, "negotiate_identify";
        /// R: NTLMSSP_REQUEST_NON_NT_SESSION_KEY.
        NON_NT_SESSION_KEY = 0x0040_0000, "request_non_nt_session_key";
        /// S: NTLMSSP_NEGOTIATE_TARGET_INFO.
        TARGET_INFO = 0x0080_0000, "negotiate_target_info";
        /// T: NTLMSSP_NEGOTIATE_VERSION.
        VERSION = 0x0200_0000, "negotiate_version";
        /// U: NTLMSSP_NEGOTIATE_128.
        N128 = 0x2000_0000, "negotiate_128";
        /// V: NTLMSSP_NEGOTIATE_KEY_EXCH.
        KEY_EXCH = 0x4000_0000, "negotiate_key_exch";
        /// W: NTLMSSP_NEGOTIATE_56.
        N56 = 0x8000_0000, "negotiate_56";
    }
}

impl NegotiateFlags {
    /// What we ask for (as mstsc does): 0xE2088297 — Unicode, OEM, request target, sign, seal,
    /// LM key, NTLM, always sign, extended session security, version, 128, key exchange, 56.
    pub const CLIENT: NegotiateFlags = NegotiateFlags(0xE208_8297);
}

/// VERSION (MS-NLMP 2.2.2.10).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Version {
    /// ProductMajorVersion.
    pub major: u8,
    /// ProductMinorVersion.
    pub minor: u8,
    /// ProductBuild.
    pub build: u16,
    /// NTLMRevisionCurrent (0x0F).
    pub revision: u8,
}

impl Version {
    /// The VERSION we send: 10.0.19041, revision 15 (what current mstsc sends).
    pub const CLIENT: Version = Version { major: 10, minor: 0, build: 19041, revision: NTLMSSP_REVISION_W2K3 };

    fn encode(&self, out: &mut Vec<u8>) {
        out.push(self.major);
        out.push(self.minor);
        out.extend_from_slice(&self.build.to_le_bytes());
        out.extend_from_slice(&[0, 0, 0]);
        out.push(self.revision);
    }

    fn decode(i: &[u8]) -> NomResult<'_, Version> {
        let (i, major) = nom_u8(i)?;
        let (i, minor) = nom_u8(i)?;
        let (i, build) = le_u16(i)?;
        let (i, _reserved) = take(3usize)(i)?;
        let (i, revision) = nom_u8(i)?;
        Ok((i, Version { major, minor, build, revision }))
    }

    /// "major.minor.build", e.g. "10.0.17763".
    pub fn product_version(&self) -> String {
        format!("{}.{}.{}", self.major, self.minor, self.build)
    }

    /// The Windows release(s) with this version (client / server share build numbers).
    pub fn windows_release(&self) -> Option<&'static str> {
        windows_release(self.major, self.minor, self.build)
    }
}

/// Windows releases by product version (PROTOCOL-NOTES fact 21; client and server releases
/// share a build number, so both are named).
pub fn windows_release(major: u8, minor: u8, build: u16) -> Option<&'static str> {
    Some(match (major, minor, build) {
        (5, 0, 2195) => "Windows 2000",
        (5, 1, 2600) => "Windows XP",
        (5, 2, 3790) => "Windows Server 2003 / XP x64",
        (6, 0, 6000) => "Windows Vista",
        (6, 0, 6001) => "Windows Vista SP1 / Server 2008",
        (6, 0, 6002) => "Windows Vista SP2 / Server 2008 SP2",
        (6, 0, 6003) => "Windows Server 2008 SP2 (2019+ update)",
        (6, 1, 7600) => "Windows 7 / Server 2008 R2",
        (6, 1, 7601) => "Windows 7 SP1 / Server 2008 R2 SP1",
        (6, 2, 9200) => "Windows 8 / Server 2012",
        (6, 3, 9600) => "Windows 8.1 / Server 2012 R2",
        (10, 0, 10240) => "Windows 10 1507",
        (10, 0, 10586) => "Windows 10 1511",
        (10, 0, 14393) => "Windows 10 1607 / Server 2016",
        (10, 0, 15063) => "Windows 10 1703",
        (10, 0, 16299) => "Windows 10 1709 / Server 1709",
        (10, 0, 17134) => "Windows 10 1803 / Server 1803",
        (10, 0, 17763) => "Windows 10 1809 / Server 2019",
        (10, 0, 18362) => "Windows 10 1903",
        (10, 0, 18363) => "Windows 10 1909",
        (10, 0, 19041) => "Windows 10 2004 / Server 2004",
        (10, 0, 19042) => "Windows 10 20H2 / Server 20H2",
        (10, 0, 19043) => "Windows 10 21H1",
        (10, 0, 19044) => "Windows 10 21H2",
        (10, 0, 19045) => "Windows 10 22H2",
        (10, 0, 20348) => "Windows Server 2022",
        (10, 0, 22000) => "Windows 11 21H2",
        (10, 0, 22621) => "Windows 11 22H2",
        (10, 0, 22631) => "Windows 11 23H2",
        (10, 0, 25398) => "Windows Server 23H2",
        (10, 0, 26100) => "Windows 11 24H2 / Server 2025",
        (10, 0, 26200) => "Windows 11 25H2",
        _ => return None,
    })
}

/// NEGOTIATE_MESSAGE (MS-NLMP 2.2.1.1): no domain or workstation supplied, VERSION present.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NegotiateMessage {
    /// NegotiateFlags; NTLMSSP_NEGOTIATE_VERSION makes the server answer its own VERSION.
    pub flags: NegotiateFlags,
    /// VERSION (sent when the flag is set).
    pub version: Version,
}

impl Default for NegotiateMessage {
    fn default() -> Self {
        NegotiateMessage { flags: NegotiateFlags::CLIENT, version: Version::CLIENT }
    }
}

impl NegotiateMessage {
    /// Signature, MessageType, NegotiateFlags, DomainNameFields (empty), WorkstationFields
    /// (empty), VERSION: 40 bytes.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(40);
        out.extend_from_slice(SIGNATURE);
        out.extend_from_slice(&NEGOTIATE_MESSAGE.to_le_bytes());
        out.extend_from_slice(&self.flags.0.to_le_bytes());
        out.extend_from_slice(&[0u8; 16]); // DomainNameFields, WorkstationFields: len 0, offset 0
        if self.flags.contains(NegotiateFlags::VERSION) {
            self.version.encode(&mut out);
        } else {
            out.extend_from_slice(&[0u8; 8]);
        }
        out
    }
}

/// AV_PAIR AvId values (MS-NLMP 2.2.2.1).
pub mod av_id {
    /// MsvAvEOL.
    pub const EOL: u16 = 0;
    /// MsvAvNbComputerName.
    pub const NB_COMPUTER_NAME: u16 = 1;
    /// MsvAvNbDomainName.
    pub const NB_DOMAIN_NAME: u16 = 2;
    /// MsvAvDnsComputerName.
    pub const DNS_COMPUTER_NAME: u16 = 3;
    /// MsvAvDnsDomainName.
    pub const DNS_DOMAIN_NAME: u16 = 4;
    /// MsvAvDnsTreeName.
    pub const DNS_TREE_NAME: u16 = 5;
    /// MsvAvFlags.
    pub const FLAGS: u16 = 6;
    /// MsvAvTimestamp.
    pub const TIMESTAMP: u16 = 7;
    /// MsvAvSingleHost.
    pub const SINGLE_HOST: u16 = 8;
    /// MsvAvTargetName.
    pub const TARGET_NAME: u16 = 9;
    /// MsvAvChannelBindings.
    pub const CHANNEL_BINDINGS: u16 = 10;
}

/// Name of an AvId, lower snake case; unknown ids as `unknown_0x..`.
pub fn av_id_name(id: u16) -> String {
    match id {
        av_id::EOL => "eol".into(),
        av_id::NB_COMPUTER_NAME => "nb_computer_name".into(),
        av_id::NB_DOMAIN_NAME => "nb_domain_name".into(),
        av_id::DNS_COMPUTER_NAME => "dns_computer_name".into(),
        av_id::DNS_DOMAIN_NAME => "dns_domain_name".into(),
        av_id::DNS_TREE_NAME => "dns_tree_name".into(),
        av_id::FLAGS => "flags".into(),
        av_id::TIMESTAMP => "timestamp".into(),
        av_id::SINGLE_HOST => "single_host".into(),
        av_id::TARGET_NAME => "target_name".into(),
        av_id::CHANNEL_BINDINGS => "channel_bindings".into(),
        other => format!("unknown_{other:#x}"),
    }
}

/// One AV_PAIR (MS-NLMP 2.2.2.1), value kept raw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AvPair {
    /// AvId.
    pub id: u16,
    /// Value (AvLen bytes).
    pub value: Vec<u8>,
}

impl AvPair {
    /// The value as text when it is a name (UTF-16LE), else `None`.
    pub fn text(&self) -> Option<String> {
        match self.id {
            1..=5 | av_id::TARGET_NAME => Some(utf16le_lossy(&self.value)),
            _ => None,
        }
    }
}

/// Walks an AV_PAIR list by AvId/AvLen up to MsvAvEOL or the end of the bytes. Every length is
/// checked against the bytes present; a missing EOL is tolerated (the pairs read are kept).
pub fn decode_av_pairs(mut i: &[u8]) -> Result<Vec<AvPair>, DecodeError> {
    const PDU: &str = "NTLM AV_PAIR";
    let mut out = Vec::new();
    while !i.is_empty() {
        let (r, id) = le_u16(i).ctx(PDU, "AvId")?;
        let (r, len) = le_u16(r).ctx(PDU, "AvLen")?;
        let (r, value) = crate::codec::take_len(r, usize::from(len), r.len(), PDU, "Value")?;
        i = r;
        if id == av_id::EOL {
            break;
        }
        out.push(AvPair { id, value: value.to_vec() });
    }
    Ok(out)
}

/// Encodes AV_PAIRs followed by MsvAvEOL.
pub fn encode_av_pairs(pairs: &[AvPair]) -> Vec<u8> {
    let mut out = Vec::new();
    for p in pairs {
        out.extend_from_slice(&p.id.to_le_bytes());
        out.extend_from_slice(&(u16::try_from(p.value.len()).unwrap_or(u16::MAX)).to_le_bytes());
        out.extend_from_slice(p.value.get(..usize::from(u16::MAX)).unwrap_or(&p.value));
    }
    out.extend_from_slice(&[0, 0, 0, 0]);
    out
}

/// CHALLENGE_MESSAGE (MS-NLMP 2.2.1.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChallengeMessage {
    /// NegotiateFlags the server chose.
    pub flags: NegotiateFlags,
    /// TargetName (UTF-16LE when the Unicode flag is set, else OEM shown as Latin-1).
    pub target_name: String,
    /// ServerChallenge.
    pub server_challenge: [u8; 8],
    /// TargetInfo, raw (the AUTHENTICATE_MESSAGE echoes it).
    pub target_info: Vec<u8>,
    /// TargetInfo walked into AV_PAIRs (unknown ids kept).
    pub av_pairs: Vec<AvPair>,
    /// VERSION as sent (present when the header has room for it, whatever its content).
    pub version: Option<Version>,
}

/// Reads a payload field (Len, MaxLen, BufferOffset) from the header and returns its bytes
/// from the whole message, checked against the message length.
fn payload_field<'a>(
    msg: &'a [u8],
    i: &'a [u8],
    pdu: &'static str,
    field: &'static str,
) -> Result<(&'a [u8], &'a [u8], u32), DecodeError> {
    let (i, len) = le_u16(i).ctx(pdu, field)?;
    let (i, _max) = le_u16(i).ctx(pdu, field)?;
    let (i, off) = le_u32(i).ctx(pdu, field)?;
    let start = usize::try_from(off).map_err(|_| DecodeError::invalid(pdu, field, off.into()))?;
    let rest = msg.get(start..).ok_or(DecodeError::length(pdu, field, start, msg.len()))?;
    let (_, value) = crate::codec::take_len(rest, usize::from(len), rest.len(), pdu, field)?;
    Ok((i, value, off))
}

impl ChallengeMessage {
    /// Decodes a CHALLENGE_MESSAGE. VERSION is read when the first payload offset leaves room
    /// for it (>= 56) — whether to trust it is [`ChallengeMessage::trusted_version`]'s call.
    pub fn decode(msg: &[u8]) -> Result<ChallengeMessage, DecodeError> {
        if msg.len() > MAX_MESSAGE_LEN {
            return Err(DecodeError::length(PDU_CHALLENGE, "message", msg.len(), MAX_MESSAGE_LEN));
        }
        let i = msg;
        let (i, _) = tag(&SIGNATURE[..])(i).ctx(PDU_CHALLENGE, "Signature")?;
        let (i, ty) = le_u32(i).ctx(PDU_CHALLENGE, "MessageType")?;
        if ty != CHALLENGE_MESSAGE {
            return Err(DecodeError::invalid(PDU_CHALLENGE, "MessageType", ty.into()));
        }
        let (i, target_name, tn_off) = payload_field(msg, i, PDU_CHALLENGE, "TargetNameFields")?;
        let (i, flags) = le_u32(i).ctx(PDU_CHALLENGE, "NegotiateFlags")?;
        let flags = NegotiateFlags(flags);
        let (i, chal) = take(8usize)(i).ctx(PDU_CHALLENGE, "ServerChallenge")?;
        let (i, _reserved) = take(8usize)(i).ctx(PDU_CHALLENGE, "Reserved")?;
        let (i, target_info, ti_off) =
            if i.is_empty() { (i, &[][..], 0) } else { payload_field(msg, i, PDU_CHALLENGE, "TargetInfoFields")? };
        // The payload starts at the smallest non-zero offset; VERSION sits at 48..56.
        let first_payload = [tn_off, ti_off].into_iter().filter(|o| *o != 0).min().unwrap_or(u32::MAX);
        let version = if first_payload >= 56 && i.len() >= 8 {
            let (_, v) = Version::decode(i).ctx(PDU_CHALLENGE, "Version")?;
            Some(v)
        } else {
            None
        };
        let mut server_challenge = [0u8; 8];
        server_challenge.copy_from_slice(chal);
        let target_name = if flags.contains(NegotiateFlags::UNICODE) {
            utf16le_lossy(target_name)
        } else {
            target_name.iter().map(|&b| char::from(b)).collect()
        };
        Ok(ChallengeMessage {
            flags,
            target_name,
            server_challenge,
            target_info: target_info.to_vec(),
            av_pairs: decode_av_pairs(target_info)?,
            version,
        })
    }

    /// VERSION, only when the server echoed NTLMSSP_NEGOTIATE_VERSION and the revision byte is
    /// NTLMSSP_REVISION_W2K3 (0x0F): other servers leave garbage there.
    pub fn trusted_version(&self) -> Option<Version> {
        self.version.filter(|v| self.flags.contains(NegotiateFlags::VERSION) && v.revision == NTLMSSP_REVISION_W2K3)
    }

    /// First AV_PAIR with this id.
    pub fn av(&self, id: u16) -> Option<&AvPair> {
        self.av_pairs.iter().find(|p| p.id == id)
    }

    /// An AV_PAIR name value as text.
    pub fn av_text(&self, id: u16) -> Option<String> {
        self.av(id).and_then(AvPair::text)
    }

    /// MsvAvTimestamp as a FILETIME (100 ns since 1601-01-01 UTC).
    pub fn timestamp(&self) -> Option<u64> {
        let v = self.av(av_id::TIMESTAMP)?;
        let b: [u8; 8] = v.value.as_slice().try_into().ok()?;
        Some(u64::from_le_bytes(b))
    }
}

/// 100-ns intervals between 1601-01-01 and 1970-01-01.
const FILETIME_UNIX_EPOCH: u64 = 116_444_736_000_000_000;

/// FILETIME to seconds since the Unix epoch (may be negative for dates before 1970).
pub fn filetime_to_unix(ft: u64) -> f64 {
    (i128::from(ft) - i128::from(FILETIME_UNIX_EPOCH)) as f64 / 1e7
}

/// Seconds since the Unix epoch to FILETIME (clamped at 0).
pub fn unix_to_filetime(secs: f64) -> u64 {
    let v = secs * 1e7 + FILETIME_UNIX_EPOCH as f64;
    if v <= 0.0 {
        0
    } else {
        v as u64
    }
}

/// FILETIME as RFC 3339 UTC, e.g. "2026-05-04T10:11:12Z".
pub fn filetime_rfc3339(ft: u64) -> String {
    // FILETIME counts 100 ns since 1601; u64::MAX / 10^7 seconds fits an i64.
    let secs = (i128::from(ft) - i128::from(FILETIME_UNIX_EPOCH)).div_euclid(10_000_000);
    crate::codec::rfc3339(i64::try_from(secs).unwrap_or(i64::MAX))
}

// ---------------------------------------------------------------------------------------------
// NTLMv2 (MS-NLMP 3.3.2) and session security (3.4).

type HmacMd5 = Hmac<Md5>;

/// HMAC_MD5(key, data concatenated).
pub fn hmac_md5(key: &[u8], data: &[&[u8]]) -> [u8; 16] {
    let mut out = [0u8; 16];
    // HMAC accepts keys of any length: the error arm cannot happen.
    if let Ok(mut mac) = <HmacMd5 as KeyInit>::new_from_slice(key) {
        for d in data {
            mac.update(d);
        }
        out.copy_from_slice(&mac.finalize().into_bytes());
    }
    out
}

fn md5(data: &[&[u8]]) -> [u8; 16] {
    let mut h = Md5::new();
    for d in data {
        h.update(d);
    }
    let mut out = [0u8; 16];
    out.copy_from_slice(&h.finalize());
    out
}

fn utf16le(s: &str) -> Vec<u8> {
    s.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

/// NTOWFv2(Passwd, User, UserDom) = HMAC_MD5(MD4(UNICODE(Passwd)), UNICODE(Uppercase(User) + UserDom)).
pub fn ntowfv2(password: &str, user: &str, domain: &str) -> [u8; 16] {
    let mut md4 = Md4::new();
    md4::Digest::update(&mut md4, utf16le(password));
    let mut nt = [0u8; 16];
    nt.copy_from_slice(&md4::Digest::finalize(md4));
    hmac_md5(&nt, &[&utf16le(&user.to_uppercase()), &utf16le(domain)])
}

/// RC4 over `data` with a fresh key.
pub fn rc4(key: &[u8], data: &mut [u8]) {
    if let Ok(mut c) = Rc4::new_from_slice(key) {
        c.apply_keystream(data);
    }
}

/// Result of NTLMv2 ComputeResponse (3.3.2).
#[derive(Clone, PartialEq, Eq)]
pub struct Ntlmv2Response {
    /// NTProofStr.
    pub nt_proof_str: [u8; 16],
    /// NtChallengeResponse = NTProofStr + temp.
    pub nt_challenge_response: Vec<u8>,
    /// SessionBaseKey = HMAC_MD5(ResponseKeyNT, NTProofStr) (= KeyExchangeKey in NTLMv2).
    pub session_base_key: [u8; 16],
}

impl std::fmt::Debug for Ntlmv2Response {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ntlmv2Response").finish_non_exhaustive()
    }
}

/// NTLMv2 ComputeResponse: temp = 0x01 0x01 Z(6) Time ClientChallenge Z(4) ServerName Z(4).
pub fn compute_response(
    response_key_nt: &[u8; 16],
    server_challenge: &[u8; 8],
    client_challenge: &[u8; 8],
    time: u64,
    server_name: &[u8],
) -> Ntlmv2Response {
    let mut temp = Vec::with_capacity(32 + server_name.len());
    temp.extend_from_slice(&[1, 1, 0, 0, 0, 0, 0, 0]);
    temp.extend_from_slice(&time.to_le_bytes());
    temp.extend_from_slice(client_challenge);
    temp.extend_from_slice(&[0; 4]);
    temp.extend_from_slice(server_name);
    temp.extend_from_slice(&[0; 4]);
    let nt_proof_str = hmac_md5(response_key_nt, &[server_challenge, &temp]);
    let session_base_key = hmac_md5(response_key_nt, &[&nt_proof_str]);
    let mut nt_challenge_response = nt_proof_str.to_vec();
    nt_challenge_response.extend_from_slice(&temp);
    Ntlmv2Response { nt_proof_str, nt_challenge_response, session_base_key }
}

/// The random inputs of one AUTHENTICATE_MESSAGE (tests fix them).
#[derive(Clone, PartialEq, Eq)]
pub struct AuthRandom {
    /// ClientChallenge.
    pub client_challenge: [u8; 8],
    /// ExportedSessionKey (RandomSessionKey when KEY_EXCH is negotiated).
    pub session_key: [u8; 16],
}

impl std::fmt::Debug for AuthRandom {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthRandom").finish_non_exhaustive()
    }
}

impl AuthRandom {
    /// Fresh random values from the OS.
    pub fn generate() -> Result<AuthRandom, String> {
        let mut b = [0u8; 24];
        getrandom::fill(&mut b).map_err(|e| format!("random: {e}"))?;
        let mut r = AuthRandom { client_challenge: [0; 8], session_key: [0; 16] };
        r.client_challenge.copy_from_slice(b.get(..8).unwrap_or(&[0; 8]));
        r.session_key.copy_from_slice(b.get(8..).unwrap_or(&[0; 16]));
        Ok(r)
    }
}

/// An AUTHENTICATE_MESSAGE built for a CHALLENGE, with the keys for session security.
pub struct Authenticate {
    /// The message bytes (MIC filled in).
    pub message: Vec<u8>,
    /// The negotiated flags sent.
    pub flags: NegotiateFlags,
    /// ExportedSessionKey.
    pub exported_session_key: [u8; 16],
}

impl std::fmt::Debug for Authenticate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authenticate").field("flags", &self.flags).finish_non_exhaustive()
    }
}

/// Builds the NTLMv2 AUTHENTICATE_MESSAGE (MS-NLMP 2.2.1.3, 3.1.5.1.2) for `challenge`.
///
/// The target info is echoed with MsvAvFlags bit 0x2 (MIC present) set when the server sent a
/// timestamp; then LmChallengeResponse is Z(24) and the MIC = HMAC_MD5(ExportedSessionKey,
/// NEGOTIATE + CHALLENGE + AUTHENTICATE) is filled in. `now` (FILETIME) is used when the server
/// sent no timestamp.
#[allow(clippy::too_many_arguments)]
pub fn authenticate(
    negotiate: &[u8],
    challenge_bytes: &[u8],
    challenge: &ChallengeMessage,
    user: &str,
    domain: &str,
    password: &str,
    workstation: &str,
    random: &AuthRandom,
    now: u64,
) -> Authenticate {
    let flags = NegotiateFlags(challenge.flags.0 & NegotiateFlags::CLIENT.0 | NegotiateFlags::UNICODE.0);
    let key = ntowfv2(password, user, domain);
    let ts = challenge.timestamp();
    let with_mic = ts.is_some();
    let mut pairs = challenge.av_pairs.clone();
    if with_mic {
        match pairs.iter_mut().find(|p| p.id == av_id::FLAGS) {
            Some(p) => {
                let mut v = p.value.get(..4).and_then(|b| <[u8; 4]>::try_from(b).ok()).unwrap_or([0; 4]);
                v = (u32::from_le_bytes(v) | 2).to_le_bytes();
                p.value = v.to_vec();
            }
            None => pairs.push(AvPair { id: av_id::FLAGS, value: 2u32.to_le_bytes().to_vec() }),
        }
    }
    let server_name = encode_av_pairs(&pairs);
    let resp =
        compute_response(&key, &challenge.server_challenge, &random.client_challenge, ts.unwrap_or(now), &server_name);
    let lm = if with_mic {
        vec![0u8; 24]
    } else {
        let mut lm = hmac_md5(&key, &[&challenge.server_challenge, &random.client_challenge]).to_vec();
        lm.extend_from_slice(&random.client_challenge);
        lm
    };
    let key_exchange_key = resp.session_base_key;
    let (exported, encrypted) = if flags.contains(NegotiateFlags::KEY_EXCH) {
        let mut enc = random.session_key;
        rc4(&key_exchange_key, &mut enc);
        (random.session_key, enc.to_vec())
    } else {
        (key_exchange_key, Vec::new())
    };
    let dom = utf16le(domain);
    let usr = utf16le(user);
    let wks = utf16le(workstation);
    const HEADER: usize = 88; // 64 + VERSION 8 + MIC 16
    let mut payload = Vec::new();
    let mut fields = Vec::new();
    for part in [&lm[..], &resp.nt_challenge_response, &dom, &usr, &wks, &encrypted] {
        let len = u16::try_from(part.len()).unwrap_or(u16::MAX);
        let off = u32::try_from(HEADER + payload.len()).unwrap_or(u32::MAX);
        fields.push((len, off));
        payload.extend_from_slice(part);
    }
    let mut m = Vec::with_capacity(HEADER + payload.len());
    m.extend_from_slice(SIGNATURE);
    m.extend_from_slice(&AUTHENTICATE_MESSAGE.to_le_bytes());
    for (len, off) in &fields {
        m.extend_from_slice(&len.to_le_bytes());
        m.extend_from_slice(&len.to_le_bytes());
        m.extend_from_slice(&off.to_le_bytes());
    }
    m.extend_from_slice(&flags.0.to_le_bytes());
    Version::CLIENT.encode(&mut m);
    let mic_at = m.len();
    m.extend_from_slice(&[0u8; 16]);
    m.extend_from_slice(&payload);
    if with_mic {
        let mic = hmac_md5(&exported, &[negotiate, challenge_bytes, &m]);
        if let Some(slot) = m.get_mut(mic_at..mic_at + 16) {
            slot.copy_from_slice(&mic);
        }
    }
    Authenticate { message: m, flags, exported_session_key: exported }
}

const CLIENT_SIGN_MAGIC: &[u8] = b"session key to client-to-server signing key magic constant\0";
const SERVER_SIGN_MAGIC: &[u8] = b"session key to server-to-client signing key magic constant\0";
const CLIENT_SEAL_MAGIC: &[u8] = b"session key to client-to-server sealing key magic constant\0";
const SERVER_SEAL_MAGIC: &[u8] = b"session key to server-to-client sealing key magic constant\0";

/// One direction of NTLM session security with extended session security (3.4.2-3.4.4):
/// signing key, continuous RC4 sealing handle, sequence number.
pub struct SealingState {
    sign_key: [u8; 16],
    handle: Option<Rc4>,
    seq: u32,
}

impl std::fmt::Debug for SealingState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SealingState").field("seq", &self.seq).finish_non_exhaustive()
    }
}

impl SealingState {
    /// SIGNKEY/SEALKEY (3.4.5.2, 3.4.5.3; 128-bit) for the client-to-server or server-to-client
    /// direction.
    pub fn new(exported_session_key: &[u8; 16], flags: NegotiateFlags, client_to_server: bool) -> SealingState {
        let (sign, seal) = if client_to_server {
            (CLIENT_SIGN_MAGIC, CLIENT_SEAL_MAGIC)
        } else {
            (SERVER_SIGN_MAGIC, SERVER_SEAL_MAGIC)
        };
        let sign_key = md5(&[exported_session_key, sign]);
        let seal_base: &[u8] = if flags.contains(NegotiateFlags::N128) {
            exported_session_key
        } else if flags.contains(NegotiateFlags::N56) {
            exported_session_key.get(..7).unwrap_or_default()
        } else {
            exported_session_key.get(..5).unwrap_or_default()
        };
        let seal_key = md5(&[seal_base, seal]);
        SealingState { sign_key, handle: Rc4::new_from_slice(&seal_key).ok(), seq: 0 }
    }

    fn keystream(&mut self, data: &mut [u8]) {
        if let Some(h) = &mut self.handle {
            h.apply_keystream(data);
        }
    }

    /// SEAL (3.4.3): encrypts `msg` and returns (signature 16 bytes, sealed message).
    pub fn seal(&mut self, msg: &[u8]) -> ([u8; 16], Vec<u8>) {
        let seq = self.seq.to_le_bytes();
        let mut sealed = msg.to_vec();
        self.keystream(&mut sealed);
        let mac = hmac_md5(&self.sign_key, &[&seq, msg]);
        let mut checksum = [0u8; 8];
        checksum.copy_from_slice(mac.get(..8).unwrap_or(&[0; 8]));
        self.keystream(&mut checksum);
        let mut sig = [0u8; 16];
        sig[..4].copy_from_slice(&1u32.to_le_bytes());
        sig[4..12].copy_from_slice(&checksum);
        sig[12..].copy_from_slice(&seq);
        self.seq = self.seq.wrapping_add(1);
        (sig, sealed)
    }

    /// UNSEAL: decrypts `sealed` and checks `signature`; `None` when the signature is wrong.
    pub fn unseal(&mut self, signature: &[u8], sealed: &[u8]) -> Option<Vec<u8>> {
        let seq = self.seq.to_le_bytes();
        let mut msg = sealed.to_vec();
        self.keystream(&mut msg);
        let mac = hmac_md5(&self.sign_key, &[&seq, &msg]);
        let mut checksum = [0u8; 8];
        checksum.copy_from_slice(mac.get(..8)?);
        self.keystream(&mut checksum);
        self.seq = self.seq.wrapping_add(1);
        let ok = signature.get(..4) == Some(&1u32.to_le_bytes()[..])
            && signature.get(4..12) == Some(&checksum[..])
            && signature.get(12..16) == Some(&seq[..]);
        ok.then_some(msg)
    }
}

/// Fuzz entry points (wired by the cargo-fuzz crate).
#[doc(hidden)]
pub mod fuzz {
    /// Decodes arbitrary bytes as a CHALLENGE_MESSAGE and as an AV_PAIR list.
    pub fn ntlm_challenge(data: &[u8]) {
        if let Ok(c) = super::ChallengeMessage::decode(data) {
            let _ = c.trusted_version().map(|v| v.windows_release());
            let _ = c.timestamp().map(super::filetime_rfc3339);
            for p in &c.av_pairs {
                let _ = p.text();
            }
        }
        let _ = super::decode_av_pairs(data);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        let s: String = s.split_whitespace().collect();
        (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
    }

    // MS-NLMP 4.2.4: User "User", UserDom "Domain", Passwd "Password", Workstation "COMPUTER",
    // RandomSessionKey 0x55 x16, Time 0, ClientChallenge 0xaa x8, ServerChallenge 0123456789abcdef.
    const SPEC_CHALLENGE: &str = "4e544c4d53535000020000000c000c003800000033828ae20123456789abcdef\
        00000000000000002400240044000000060070170000000f53006500720076006500720002000c0044006f00\
        6d00610069006e0001000c0053006500720076006500720000000000";

    #[test]
    fn spec_4_2_4_challenge_decodes() {
        let c = ChallengeMessage::decode(&hex(SPEC_CHALLENGE)).unwrap();
        assert_eq!(c.flags.0, 0xe28a8233);
        assert_eq!(c.target_name, "Server");
        assert_eq!(c.server_challenge, [0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef]);
        assert_eq!(c.av_text(av_id::NB_DOMAIN_NAME).as_deref(), Some("Domain"));
        assert_eq!(c.av_text(av_id::NB_COMPUTER_NAME).as_deref(), Some("Server"));
        let v = c.trusted_version().unwrap();
        assert_eq!(v.product_version(), "6.0.6000");
        assert_eq!(c.timestamp(), None);
        assert!(c.flags.names().contains(&"negotiate_key_exch".to_string()));
    }

    #[test]
    fn spec_4_2_4_ntlmv2() {
        // 4.2.4.1.1 NTOWFv2
        let key = ntowfv2("Password", "User", "Domain");
        assert_eq!(key.to_vec(), hex("0c868a403bfd7a93a3001ef22ef02e3f"));
        // 4.2.4.1.3 temp uses the target info of the challenge (AV pairs + EOL).
        let c = ChallengeMessage::decode(&hex(SPEC_CHALLENGE)).unwrap();
        let r = compute_response(&key, &c.server_challenge, &[0xaa; 8], 0, &c.target_info);
        // 4.2.4.2.2 NTProofStr
        assert_eq!(r.nt_proof_str.to_vec(), hex("68cd0ab851e51c96aabc927bebef6a1c"));
        // 4.2.4.1.2 SessionBaseKey
        assert_eq!(r.session_base_key.to_vec(), hex("8de40ccadbc14a82f15cb0ad0de95ca3"));
        // 4.2.4.2.3 EncryptedSessionKey
        let mut k = [0x55u8; 16];
        rc4(&r.session_base_key, &mut k);
        assert_eq!(k.to_vec(), hex("c5dad2544fc9799094ce1ce90bc9d03e"));
    }

    #[test]
    fn spec_4_2_4_authenticate_message() {
        // The spec's AUTHENTICATE_MESSAGE (4.2.4.3) has no MIC (no timestamp in the challenge)
        // and a 72-byte header; ours has the MIC slot (88 bytes). Compare the payload fields.
        let cb = hex(SPEC_CHALLENGE);
        let c = ChallengeMessage::decode(&cb).unwrap();
        let rnd = AuthRandom { client_challenge: [0xaa; 8], session_key: [0x55; 16] };
        let a = authenticate(&[], &cb, &c, "User", "Domain", "Password", "COMPUTER", &rnd, 0);
        let m = &a.message;
        let field = |n: usize| {
            let h = 12 + n * 8;
            let len = u16::from_le_bytes([m[h], m[h + 1]]) as usize;
            let off = u32::from_le_bytes([m[h + 4], m[h + 5], m[h + 6], m[h + 7]]) as usize;
            m[off..off + len].to_vec()
        };
        assert_eq!(field(0), hex("86c35097ac9cec102554764a57cccc19aaaaaaaaaaaaaaaa")); // LMv2
        assert_eq!(
            field(1),
            hex("68cd0ab851e51c96aabc927bebef6a1c01010000000000000000000000000000aaaaaaaaaaaaaaaa00000000\
                 02000c0044006f006d00610069006e0001000c005300650072007600650072000000000000000000")
        );
        assert_eq!(field(2), utf16le("Domain"));
        assert_eq!(field(3), utf16le("User"));
        assert_eq!(field(4), utf16le("COMPUTER"));
        assert_eq!(field(5), hex("c5dad2544fc9799094ce1ce90bc9d03e"));
        assert_eq!(&m[72..88], &[0u8; 16]); // no MIC without a timestamp
        assert_eq!(a.exported_session_key, [0x55; 16]);
    }

    #[test]
    fn spec_4_2_4_4_seal() {
        let flags = NegotiateFlags(0xe28a8233);
        let mut s = SealingState::new(&[0x55; 16], flags, true);
        let (sig, sealed) = s.seal(&utf16le("Plaintext"));
        assert_eq!(sealed, hex("54e50165bf1936dc996020c1811b0f06fb5f"));
        assert_eq!(sig.to_vec(), hex("010000007fb38ec5c55d497600000000"));
        // The server side unseals with the same direction keys.
        let mut r = SealingState::new(&[0x55; 16], flags, true);
        assert_eq!(r.unseal(&sig, &sealed).unwrap(), utf16le("Plaintext"));
        let mut r = SealingState::new(&[0x55; 16], flags, true);
        let mut bad = sig;
        bad[5] ^= 1;
        assert!(r.unseal(&bad, &sealed).is_none());
    }

    #[test]
    fn negotiate_encodes_like_mstsc() {
        let m = NegotiateMessage::default().encode();
        // Captured from xfreerdp (shadow-nla-33910-ntlm/credssp-tsrequest-client-negotiate.bin).
        assert_eq!(m, hex("4e544c4d5353500001000000978208e2000000000000000000000000000000000a0061 4a0000000f"));
    }

    #[test]
    fn captured_freerdp_challenge() {
        let b =
            std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/shadow-nla-ntlm-challenge.bin")).unwrap();
        let c = ChallengeMessage::decode(&b).unwrap();
        assert_eq!(c.target_name, "RDP-SHADOW-NLA");
        assert_eq!(c.av_text(av_id::NB_COMPUTER_NAME).as_deref(), Some("RDP-SHADOW-NLA"));
        assert_eq!(c.av_text(av_id::NB_DOMAIN_NAME).as_deref(), Some("RDP-SHADOW-NLA"));
        assert_eq!(c.av_text(av_id::DNS_COMPUTER_NAME).as_deref(), Some("rdp-shadow-nla"));
        assert_eq!(c.av_text(av_id::DNS_DOMAIN_NAME).as_deref(), Some("rdp-shadow-nla"));
        assert_eq!(c.av_text(av_id::DNS_TREE_NAME), None);
        let v = c.trusted_version().unwrap();
        assert_eq!(v.product_version(), "6.1.7601");
        assert_eq!(v.windows_release(), Some("Windows 7 SP1 / Server 2008 R2 SP1"));
        let ts = c.timestamp().unwrap();
        assert!(filetime_rfc3339(ts).starts_with("20"), "{}", filetime_rfc3339(ts));
        assert_eq!(c.flags.0, 0xe2888297);
    }

    #[test]
    fn filetime_dates() {
        assert_eq!(filetime_rfc3339(FILETIME_UNIX_EPOCH), "1970-01-01T00:00:00Z");
        assert_eq!(filetime_rfc3339(0), "1601-01-01T00:00:00Z");
        // 2000-02-29T12:34:56Z = 951827696 s
        assert_eq!(filetime_rfc3339(unix_to_filetime(951_827_696.0)), "2000-02-29T12:34:56Z");
        assert_eq!(filetime_to_unix(FILETIME_UNIX_EPOCH + 10_000_000), 1.0);
    }

    #[test]
    fn hostile_lengths_rejected() {
        let mut b = hex(SPEC_CHALLENGE);
        b[40] = 0xff; // TargetInfoLen beyond the message
        assert!(ChallengeMessage::decode(&b).is_err());
        let mut b = hex(SPEC_CHALLENGE);
        b[44] = 0xff; // TargetInfo offset beyond the message
        assert!(ChallengeMessage::decode(&b).is_err());
        assert!(decode_av_pairs(&[1, 0, 0xff, 0xff, 0]).is_err());
        // An AV list without EOL keeps what was read.
        assert_eq!(decode_av_pairs(&[9, 0, 2, 0, 0x41, 0]).unwrap().len(), 1);
        for n in 0..hex(SPEC_CHALLENGE).len() {
            let _ = ChallengeMessage::decode(&hex(SPEC_CHALLENGE)[..n]);
        }
    }

    #[test]
    fn untrusted_version_without_flag() {
        let mut b = hex(SPEC_CHALLENGE);
        b[23] &= !0x02; // clear NTLMSSP_NEGOTIATE_VERSION (0x02000000)
        let c = ChallengeMessage::decode(&b).unwrap();
        assert!(c.version.is_some());
        assert!(c.trusted_version().is_none());
    }
}
