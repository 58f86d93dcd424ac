//! The security header in front of every slow-path PDU under Standard RDP Security
//! (MS-RDPBCGR 2.2.8.1.1.2: basic, non-FIPS, FIPS) and the Security Exchange PDU (2.2.1.10).
//!
//! Which header a PDU carries is not in the PDU: it follows from the negotiated encryption
//! method and level (5.3.2) and the PDU kind (licensing and Client Info always carry at least a
//! basic header). The caller says which [`HeaderKind`] to expect.

use crate::wire::codec::{take_len, Ctx, DecodeError};
use crate::wire::x224::flag_set;
use nom::number::complete::{le_u16, le_u32, u8 as nom_u8};

flag_set! {
    /// flags of the security header (2.2.8.1.1.2.1).
    SecurityFlags(u16) {
        /// SEC_EXCHANGE_PKT: Security Exchange PDU.
        EXCHANGE_PKT = 0x0001, "sec_exchange_pkt";
        /// SEC_TRANSPORT_REQ: Initiate Multitransport Request.
        TRANSPORT_REQ = 0x0002, "sec_transport_req";
        /// RDP_SEC_TRANSPORT_RSP: Initiate Multitransport Response.
        TRANSPORT_RSP = 0x0004, "sec_transport_rsp";
        /// SEC_ENCRYPT: the data is encrypted and signed.
        ENCRYPT = 0x0008, "sec_encrypt";
        /// SEC_RESET_SEQNO (unused).
        RESET_SEQNO = 0x0010, "sec_reset_seqno";
        /// SEC_IGNORE_SEQNO (unused).
        IGNORE_SEQNO = 0x0020, "sec_ignore_seqno";
        /// SEC_INFO_PKT: Client Info PDU.
        INFO_PKT = 0x0040, "sec_info_pkt";
        /// SEC_LICENSE_PKT: a licensing PDU.
        LICENSE_PKT = 0x0080, "sec_license_pkt";
        /// SEC_LICENSE_ENCRYPT_CS / _SC: the client may encrypt licensing PDUs / the server does.
        LICENSE_ENCRYPT = 0x0200, "sec_license_encrypt";
        /// SEC_REDIRECTION_PKT: Standard Security Server Redirection PDU.
        REDIRECTION_PKT = 0x0400, "sec_redirection_pkt";
        /// SEC_SECURE_CHECKSUM: the MAC is salted with the packet count (5.3.6.1.2).
        SECURE_CHECKSUM = 0x0800, "sec_secure_checksum";
        /// SEC_AUTODETECT_REQ: Auto-Detect Request.
        AUTODETECT_REQ = 0x1000, "sec_autodetect_req";
        /// SEC_AUTODETECT_RSP: Auto-Detect Response.
        AUTODETECT_RSP = 0x2000, "sec_autodetect_rsp";
        /// SEC_HEARTBEAT: Heartbeat PDU.
        HEARTBEAT = 0x4000, "sec_heartbeat";
        /// SEC_FLAGSHI_VALID: flagsHi is meaningful.
        FLAGSHI_VALID = 0x8000, "sec_flagshi_valid";
    }
}

/// Which security header a PDU carries (2.2.8.1.1.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeaderKind {
    /// None at all (Enhanced RDP Security or encryption level none, after Client Info).
    None,
    /// TS_SECURITY_HEADER: flags and flagsHi.
    Basic,
    /// TS_SECURITY_HEADER1: basic + 8-byte MAC signature (RC4 methods).
    NonFips,
    /// TS_SECURITY_HEADER2: basic + length, version, padlen, signature (FIPS).
    Fips,
}

const PDU: &str = "TS_SECURITY_HEADER";
/// The `length` field of TS_SECURITY_HEADER2 (always 0x10).
pub const FIPS_HEADER_LENGTH: u16 = 0x10;
/// The `version` field of TS_SECURITY_HEADER2 (TSFIPS_VERSION1).
pub const TSFIPS_VERSION1: u8 = 1;

/// A decoded security header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SecurityHeader {
    /// flags.
    pub flags: SecurityFlags,
    /// flagsHi (reserved; xrdp puts other values there, kept as sent).
    pub flags_hi: u16,
    /// dataSignature (non-FIPS and FIPS headers).
    pub signature: Option<[u8; 8]>,
    /// padlen (FIPS header): bytes of padding at the end of the encrypted data.
    pub fips_padlen: Option<u8>,
}

impl SecurityHeader {
    /// A basic header with these flags.
    pub fn basic(flags: SecurityFlags) -> Self {
        SecurityHeader { flags, ..Default::default() }
    }

    /// Decodes the header of `kind` from the front of `data`; returns the rest.
    pub fn decode(data: &[u8], kind: HeaderKind) -> Result<(&[u8], Option<SecurityHeader>), DecodeError> {
        if kind == HeaderKind::None {
            return Ok((data, None));
        }
        let (i, flags) = le_u16(data).ctx(PDU, "flags")?;
        let (i, flags_hi) = le_u16(i).ctx(PDU, "flagsHi")?;
        let mut h = SecurityHeader { flags: SecurityFlags(flags), flags_hi, signature: None, fips_padlen: None };
        let mut i = i;
        if kind == HeaderKind::Fips {
            let (j, length) = le_u16(i).ctx(PDU, "length")?;
            if length != FIPS_HEADER_LENGTH {
                return Err(DecodeError::invalid(PDU, "length", length.into()));
            }
            let (j, _version) = nom_u8(j).ctx(PDU, "version")?;
            let (j, padlen) = nom_u8(j).ctx(PDU, "padlen")?;
            h.fips_padlen = Some(padlen);
            i = j;
        }
        if kind != HeaderKind::Basic {
            let (j, sig) = take_len(i, 8, 8, PDU, "dataSignature")?;
            let mut s = [0u8; 8];
            s.copy_from_slice(sig);
            h.signature = Some(s);
            i = j;
        }
        Ok((i, Some(h)))
    }

    /// Encodes the header (basic, plus the signature and FIPS fields when set).
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.flags.bits().to_le_bytes());
        out.extend_from_slice(&self.flags_hi.to_le_bytes());
        if let Some(pad) = self.fips_padlen {
            out.extend_from_slice(&FIPS_HEADER_LENGTH.to_le_bytes());
            out.push(TSFIPS_VERSION1);
            out.push(pad);
        }
        if let Some(sig) = self.signature {
            out.extend_from_slice(&sig);
        }
    }
}

const SX_PDU: &str = "TS_SECURITY_PACKET";
/// Largest encrypted client random we accept (a 16384-bit key and its 8 bytes of padding).
pub const MAX_ENCRYPTED_RANDOM_LEN: usize = 2048 + 8;

/// Security Exchange PDU data (2.2.1.10.1): the client random encrypted with the server's public
/// key (5.3.4.1), little-endian, followed by 8 zero bytes of padding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecurityExchange {
    /// encryptedClientRandom (including its padding; `length` on the wire).
    pub encrypted_client_random: Vec<u8>,
}

impl SecurityExchange {
    /// Encodes the basic security header (SEC_EXCHANGE_PKT) and the packet.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.encrypted_client_random.len() + 8);
        SecurityHeader::basic(SecurityFlags::EXCHANGE_PKT).encode(&mut out);
        out.extend_from_slice(&(self.encrypted_client_random.len() as u32).to_le_bytes());
        out.extend_from_slice(&self.encrypted_client_random);
        out
    }

    /// Decodes header and packet (tests and hostile-server harnesses).
    pub fn decode(data: &[u8]) -> Result<SecurityExchange, DecodeError> {
        let (i, h) = SecurityHeader::decode(data, HeaderKind::Basic)?;
        if !h.is_some_and(|h| h.flags.contains(SecurityFlags::EXCHANGE_PKT)) {
            return Err(DecodeError::invalid(SX_PDU, "flags", h.map_or(0, |h| h.flags.bits().into())));
        }
        let (i, len) = le_u32(i).ctx(SX_PDU, "length")?;
        let n = usize::try_from(len).unwrap_or(usize::MAX);
        let (rest, r) = take_len(i, n, MAX_ENCRYPTED_RANDOM_LEN, SX_PDU, "encryptedClientRandom")?;
        super::expect_end(rest, SX_PDU, "encryptedClientRandom")?;
        Ok(SecurityExchange { encrypted_client_random: r.to_vec() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_round_trip() {
        let h =
            SecurityHeader { flags: SecurityFlags::ENCRYPT, flags_hi: 0, signature: Some([1; 8]), fips_padlen: None };
        let mut v = Vec::new();
        h.encode(&mut v);
        assert_eq!(v, [8, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1]);
        assert_eq!(SecurityHeader::decode(&v, HeaderKind::NonFips).unwrap(), (&[][..], Some(h)));
        let f = SecurityHeader { fips_padlen: Some(3), ..h };
        let mut v = Vec::new();
        f.encode(&mut v);
        assert_eq!(&v[4..8], &[0x10, 0, 1, 3]);
        assert_eq!(SecurityHeader::decode(&v, HeaderKind::Fips).unwrap().1, Some(f));
        for n in 0..v.len() {
            assert!(SecurityHeader::decode(&v[..n], HeaderKind::Fips).is_err());
        }
        assert_eq!(SecurityHeader::decode(&[1, 2], HeaderKind::None).unwrap(), (&[1u8, 2][..], None));
        assert_eq!(SecurityFlags(0x0848).names(), ["sec_encrypt", "sec_info_pkt", "sec_secure_checksum"]);
    }

    #[test]
    fn security_exchange_round_trip() {
        let sx = SecurityExchange { encrypted_client_random: vec![7; 72] };
        let enc = sx.encode();
        assert_eq!(&enc[..8], &[1, 0, 0, 0, 72, 0, 0, 0]);
        assert_eq!(SecurityExchange::decode(&enc).unwrap(), sx);
        assert!(SecurityExchange::decode(&enc[..enc.len() - 1]).is_err());
        let mut lying = enc.clone();
        lying[4] = 0xff;
        lying[7] = 0xff;
        assert!(SecurityExchange::decode(&lying).is_err());
    }
}
