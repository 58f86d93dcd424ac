//! The NTLM messages (MS-NLMP 2.2.1): NEGOTIATE_MESSAGE we send, the server's
//! CHALLENGE_MESSAGE, and the NTLMv2 AUTHENTICATE_MESSAGE with its MIC.

use super::{
    av_id, compute_response, decode_av_pairs, encode_av_pairs, hmac_md5, ntowfv2, rc4, utf16le, AvPair, NegotiateFlags,
    Version, NTLMSSP_REVISION_W2K3,
};
use crate::wire::codec::{utf16le_lossy, Ctx, DecodeError};
use nom::bytes::complete::{tag, take};
use nom::number::complete::{le_u16, le_u32};

/// "NTLMSSP\0" (2.2.1).
pub const SIGNATURE: &[u8; 8] = b"NTLMSSP\0";
/// MessageType of NEGOTIATE_MESSAGE.
pub const NEGOTIATE_MESSAGE: u32 = 1;
/// MessageType of CHALLENGE_MESSAGE.
pub const CHALLENGE_MESSAGE: u32 = 2;
/// MessageType of AUTHENTICATE_MESSAGE.
pub const AUTHENTICATE_MESSAGE: u32 = 3;
/// The largest NTLM message we accept (CredSSP carries them in one negoToken).
pub const MAX_MESSAGE_LEN: usize = 0xFFFF;

const PDU_CHALLENGE: &str = "NTLM CHALLENGE_MESSAGE";

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
    let (_, value) = crate::wire::codec::take_len(rest, usize::from(len), rest.len(), pdu, field)?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::ntlm::filetime_rfc3339;
    use crate::wire::ntlm::tests::{hex, SPEC_CHALLENGE};

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
        let ts = c.timestamp().unwrap();
        assert!(filetime_rfc3339(ts).starts_with("20"), "{}", filetime_rfc3339(ts));
        assert_eq!(c.flags.0, 0xe2888297);
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
