//! NTLMv2 (MS-NLMP 3.3.2) and session security (3.4): NTOWFv2, the NTLMv2 response and
//! session base key, RC4, and SIGNKEY / SEALKEY with SEAL / UNSEAL.

use super::{utf16le, NegotiateFlags};
use hmac::{Hmac, KeyInit, Mac};
use md4::Md4;
use md5::{Digest, Md5};
use rc4::{Rc4, StreamCipher};

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::ntlm::tests::{hex, SPEC_CHALLENGE};
    use crate::wire::ntlm::ChallengeMessage;

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
}
