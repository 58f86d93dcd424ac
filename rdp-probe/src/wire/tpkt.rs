//! TPKT framing (T.123 section 8 / RFC 1006): `03 00 LL LL`, a big-endian length that counts
//! the 4-byte header. Every RDP PDU before TLS (and MCS inside TLS) travels in one.

use crate::wire::codec::{Ctx, DecodeError, MAX_TPKT_LEN};
use nom::number::complete::{be_u16, u8 as nom_u8};

/// Size of the TPKT header: version, reserved, length (T.123 8).
pub const TPKT_HEADER_LEN: usize = 4;
/// TPKT version 3 (T.123 8).
pub const TPKT_VERSION: u8 = 3;
/// The smallest frame that can hold a TPKT header and an X.224 header (LI + code).
pub const MIN_TPKT_LEN: usize = TPKT_HEADER_LEN + 2;

const PDU: &str = "TPKT";

/// Reads the total frame length from the first four bytes. The I/O layer calls this, then reads
/// exactly `len - 4` more bytes: never "whatever one read returned" (nmap's mistake).
pub fn frame_len(header: &[u8]) -> Result<usize, DecodeError> {
    let (i, version) = nom_u8(header).ctx(PDU, "version")?;
    if version != TPKT_VERSION {
        return Err(DecodeError::invalid(PDU, "version", version.into()));
    }
    let (i, _reserved) = nom_u8(i).ctx(PDU, "reserved")?;
    let (_, len) = be_u16(i).ctx(PDU, "length")?;
    let len = usize::from(len);
    if len < MIN_TPKT_LEN {
        return Err(DecodeError::length(PDU, "length", len, MAX_TPKT_LEN));
    }
    Ok(len)
}

/// Splits one complete frame into its payload. Strict: the length field must equal the frame.
pub fn decode(frame: &[u8]) -> Result<&[u8], DecodeError> {
    let len = frame_len(frame)?;
    if len != frame.len() {
        if len > frame.len() {
            return Err(DecodeError::length(PDU, "length", len, frame.len()));
        }
        return Err(DecodeError::trailing(PDU, "length", frame.len() - len));
    }
    frame.get(TPKT_HEADER_LEN..).ok_or(DecodeError::truncated(PDU, "payload"))
}

/// Wraps a payload in a TPKT header. Payloads above 65,531 bytes cannot be framed.
pub fn encode(payload: &[u8]) -> Result<Vec<u8>, DecodeError> {
    let len = payload.len() + TPKT_HEADER_LEN;
    if len < MIN_TPKT_LEN {
        return Err(DecodeError::length(PDU, "length", len, MAX_TPKT_LEN));
    }
    let len16 = u16::try_from(len).map_err(|_| DecodeError::length(PDU, "length", len, MAX_TPKT_LEN))?;
    let mut out = Vec::with_capacity(len);
    out.extend_from_slice(&[TPKT_VERSION, 0]);
    out.extend_from_slice(&len16.to_be_bytes());
    out.extend_from_slice(payload);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::codec::DecodeErrorKind;

    #[test]
    fn round_trip() {
        let f = encode(&[0x02, 0xf0, 0x80]).unwrap();
        assert_eq!(f, [3, 0, 0, 7, 2, 0xf0, 0x80]);
        assert_eq!(frame_len(&f).unwrap(), 7);
        assert_eq!(decode(&f).unwrap(), &[0x02, 0xf0, 0x80]);
    }

    #[test]
    fn rejects_bad_headers() {
        assert_eq!(frame_len(&[4, 0, 0, 7]).unwrap_err().kind, DecodeErrorKind::InvalidValue(4));
        assert_eq!(frame_len(&[3, 0]).unwrap_err(), DecodeError::truncated(PDU, "length"));
        assert!(matches!(frame_len(&[3, 0, 0, 3]).unwrap_err().kind, DecodeErrorKind::LengthOutOfRange { .. }));
        assert!(decode(&[3, 0, 0, 9, 2, 0xf0, 0x80]).is_err());
        assert!(decode(&[3, 0, 0, 6, 2, 0xf0, 0x80]).is_err());
    }
}
