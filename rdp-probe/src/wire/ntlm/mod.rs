//! NTLM (MS-NLMP): the NEGOTIATE_MESSAGE we send, the server's CHALLENGE_MESSAGE (its identity:
//! names, version, clock), and the NTLMv2 AUTHENTICATE_MESSAGE with MIC, session key and
//! sealing used for the opt-in credential check inside CredSSP.
//!
//! Decoding is lenient on content (unknown flags and AV_PAIRs are kept) and strict on lengths:
//! every payload field is read by offset/length from the message and checked against the
//! bytes present.
//!
//! The messages (2.2.1) are in `messages`, the AV_PAIR list of the target info (2.2.2.1) in
//! `av_pair`, NTLMv2 and session security (3.3.2, 3.4) in `crypto`; this file holds what they
//! share: NegotiateFlags (2.2.2.5), VERSION (2.2.2.10) and FILETIME conversions. Everything is
//! re-exported here: the paths are `ntlm::X`.

mod av_pair;
mod crypto;
mod messages;

pub use av_pair::{av_id, av_id_name, decode_av_pairs, encode_av_pairs, AvPair};
pub use crypto::{compute_response, hmac_md5, ntowfv2, rc4, Ntlmv2Response, SealingState};
pub use messages::{
    authenticate, AuthRandom, Authenticate, ChallengeMessage, NegotiateMessage, AUTHENTICATE_MESSAGE,
    CHALLENGE_MESSAGE, MAX_MESSAGE_LEN, NEGOTIATE_MESSAGE, SIGNATURE,
};

use crate::wire::codec::NomResult;
use crate::wire::x224::flag_set;
use nom::bytes::complete::take;
use nom::number::complete::{le_u16, u8 as nom_u8};

/// NTLMSSP_REVISION_W2K3 (2.2.2.10): the only revision a trustworthy VERSION carries.
pub const NTLMSSP_REVISION_W2K3: u8 = 0x0F;

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
    crate::wire::codec::rfc3339(i64::try_from(secs).unwrap_or(i64::MAX))
}

fn utf16le(s: &str) -> Vec<u8> {
    s.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(super) fn hex(s: &str) -> Vec<u8> {
        let s: String = s.split_whitespace().collect();
        (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
    }

    // MS-NLMP 4.2.4: User "User", UserDom "Domain", Passwd "Password", Workstation "COMPUTER",
    // RandomSessionKey 0x55 x16, Time 0, ClientChallenge 0xaa x8, ServerChallenge 0123456789abcdef.
    pub(super) const SPEC_CHALLENGE: &str = "4e544c4d53535000020000000c000c003800000033828ae20123456789abcdef\
        00000000000000002400240044000000060070170000000f53006500720076006500720002000c0044006f00\
        6d00610069006e0001000c0053006500720076006500720000000000";

    #[test]
    fn filetime_dates() {
        assert_eq!(filetime_rfc3339(FILETIME_UNIX_EPOCH), "1970-01-01T00:00:00Z");
        assert_eq!(filetime_rfc3339(0), "1601-01-01T00:00:00Z");
        // 2000-02-29T12:34:56Z = 951827696 s
        assert_eq!(filetime_rfc3339(unix_to_filetime(951_827_696.0)), "2000-02-29T12:34:56Z");
        assert_eq!(filetime_to_unix(FILETIME_UNIX_EPOCH + 10_000_000), 1.0);
    }
}
