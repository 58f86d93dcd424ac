//! The client side of the security layer after MCS (MS-RDPBCGR 5.3.6, 2.2.8.1.1.2): which
//! security header each PDU carries, encryption and signing of what we send, and decryption
//! and MAC checks of what the server sends, slow path and fast path.
//!
//! - Enhanced RDP Security (TLS, CredSSP) and Standard RDP Security at level None: Client Info
//!   and licensing PDUs carry a basic header, nothing else carries one (FreeRDP and xrdp agree).
//! - Standard RDP Security with encryption (levels Low to FIPS): every PDU carries a header;
//!   the client encrypts everything it sends after the Security Exchange except licensing
//!   PDUs; the server encrypts what it flags SEC_ENCRYPT (at level Low: nothing).

use crate::wire::codec::DecodeError;
use crate::wire::rdp::crypto::{FipsKeys, FipsSecurity, Method, Rc4Security, SessionKeys};
use crate::wire::rdp::output::{FastPathOutput, FastPathSecurity, FASTPATH_OUTPUT_SECURE_CHECKSUM};
use crate::wire::rdp::security::{HeaderKind, SecurityFlags, SecurityHeader};

/// Why a server PDU could not be read through the security layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Unwrap {
    /// The header or the fast-path fields do not decode.
    Decode(DecodeError),
    /// The data signature does not verify: wrong keys, or a tampered stream.
    BadMac,
    /// Encrypted data where no keys exist (Enhanced Security or level None).
    Unexpected,
}

enum Cipher {
    None,
    Rc4(Box<Rc4Security>),
    Fips(Box<FipsSecurity>),
}

/// The security layer of one session.
pub(crate) struct Layer {
    cipher: Cipher,
    /// Every PDU carries a header (Standard RDP Security with an encryption method).
    headers: bool,
}

impl std::fmt::Debug for Layer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let c = match self.cipher {
            Cipher::None => "none",
            Cipher::Rc4(_) => "rc4",
            Cipher::Fips(_) => "fips",
        };
        f.debug_struct("Layer").field("cipher", &c).field("headers", &self.headers).finish()
    }
}

impl Layer {
    /// No encryption: Enhanced RDP Security or Standard RDP Security at level None.
    pub(crate) fn plain() -> Layer {
        Layer { cipher: Cipher::None, headers: false }
    }

    /// Standard RDP Security with `method` (from SC_SECURITY) and the two randoms.
    pub(crate) fn standard(
        method: Method,
        client_random: &[u8],
        server_random: &[u8],
    ) -> Result<Layer, crate::wire::rdp::crypto::CryptoError> {
        let cipher = match method {
            Method::Fips => Cipher::Fips(Box::new(FipsSecurity::new(&FipsKeys::derive(client_random, server_random)?))),
            m => Cipher::Rc4(Box::new(Rc4Security::new(&SessionKeys::derive(m, client_random, server_random)?))),
        };
        Ok(Layer { cipher, headers: true })
    }

    /// The user data of a client PDU: the security header `flags` (INFO_PKT, LICENSE_PKT, or
    /// none) and `payload`, encrypted unless `flags` says licensing.
    pub(crate) fn wrap(&mut self, flags: SecurityFlags, payload: &[u8]) -> Vec<u8> {
        let licensing = flags.contains(SecurityFlags::LICENSE_PKT);
        let mut out = Vec::with_capacity(payload.len() + 16);
        match &mut self.cipher {
            Cipher::Rc4(sec) if !licensing => {
                let mut data = payload.to_vec();
                let sig = sec.encrypt(&mut data, false);
                let h = SecurityHeader {
                    flags: flags | SecurityFlags::ENCRYPT,
                    flags_hi: 0,
                    signature: Some(sig),
                    fips_padlen: None,
                };
                h.encode(&mut out);
                out.extend_from_slice(&data);
            }
            Cipher::Fips(sec) if !licensing => {
                let (data, pad, sig) = sec.encrypt(payload);
                let h = SecurityHeader {
                    flags: flags | SecurityFlags::ENCRYPT,
                    flags_hi: 0,
                    signature: Some(sig),
                    fips_padlen: Some(pad),
                };
                h.encode(&mut out);
                out.extend_from_slice(&data);
            }
            _ => {
                if self.headers || flags.bits() != 0 {
                    SecurityHeader::basic(flags).encode(&mut out);
                }
                out.extend_from_slice(payload);
            }
        }
        out
    }

    /// The plaintext of a server slow-path PDU's user data and its security flags.
    /// `header`: a header is expected even without encryption (licensing PDUs under Enhanced
    /// Security and level None).
    pub(crate) fn unwrap(&mut self, data: &[u8], header: bool) -> Result<(SecurityFlags, Vec<u8>), Unwrap> {
        if !self.headers && !header {
            return Ok((SecurityFlags(0), data.to_vec()));
        }
        let (rest, h) = SecurityHeader::decode(data, HeaderKind::Basic).map_err(Unwrap::Decode)?;
        let flags = h.map(|h| h.flags).unwrap_or_default();
        if !flags.contains(SecurityFlags::ENCRYPT) {
            return Ok((flags, rest.to_vec()));
        }
        match &mut self.cipher {
            Cipher::None => Err(Unwrap::Unexpected),
            Cipher::Rc4(sec) => {
                let (rest, h) = SecurityHeader::decode(data, HeaderKind::NonFips).map_err(Unwrap::Decode)?;
                let sig = h.and_then(|h| h.signature).unwrap_or_default();
                let mut plain = rest.to_vec();
                let salted = flags.contains(SecurityFlags::SECURE_CHECKSUM);
                if sec.decrypt(&mut plain, &sig, salted) {
                    Ok((flags, plain))
                } else {
                    Err(Unwrap::BadMac)
                }
            }
            Cipher::Fips(sec) => {
                let (rest, h) = SecurityHeader::decode(data, HeaderKind::Fips).map_err(Unwrap::Decode)?;
                let sig = h.and_then(|h| h.signature).unwrap_or_default();
                let pad = h.and_then(|h| h.fips_padlen).unwrap_or_default();
                match sec.decrypt(rest, pad, &sig) {
                    Ok((plain, true)) => Ok((flags, plain)),
                    Ok((_, false)) => Err(Unwrap::BadMac),
                    Err(_) => Err(Unwrap::Decode(DecodeError::invalid("TS_SECURITY_HEADER2", "padlen", pad.into()))),
                }
            }
        }
    }

    /// The plaintext fpOutputUpdates of a fast-path frame (2.2.9.1.2).
    pub(crate) fn unwrap_fast_path(&mut self, frame: &[u8]) -> Result<Vec<u8>, Unwrap> {
        let sec =
            if matches!(self.cipher, Cipher::Fips(_)) { FastPathSecurity::Fips } else { FastPathSecurity::Standard };
        let fp = FastPathOutput::decode(frame, sec).map_err(Unwrap::Decode)?;
        if !fp.encrypted() {
            return Ok(fp.data.to_vec());
        }
        let sig = fp.signature.unwrap_or_default();
        match &mut self.cipher {
            Cipher::None => Err(Unwrap::Unexpected),
            Cipher::Rc4(s) => {
                let mut plain = fp.data.to_vec();
                if s.decrypt(&mut plain, &sig, fp.flags & FASTPATH_OUTPUT_SECURE_CHECKSUM != 0) {
                    Ok(plain)
                } else {
                    Err(Unwrap::BadMac)
                }
            }
            Cipher::Fips(s) => match s.decrypt(fp.data, fp.fips_padlen.unwrap_or_default(), &sig) {
                Ok((plain, true)) => Ok(plain),
                Ok((_, false)) => Err(Unwrap::BadMac),
                Err(_) => Err(Unwrap::Decode(DecodeError::invalid("TS_FP_UPDATE_PDU", "fipsInformation", 0))),
            },
        }
    }
}
