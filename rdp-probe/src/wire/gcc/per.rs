//! T.124 ALIGNED PER (X.691) pieces the Conference Create PDUs use: the length determinant.

use super::CCRQ_PDU;
use crate::wire::codec::{Ctx, DecodeError};
use nom::number::complete::u8 as nom_u8;

/// Largest PER length (two-octet form).
pub const MAX_PER_LEN: usize = 0x3fff;

pub(super) fn per_write_len(out: &mut Vec<u8>, len: usize) -> Result<(), DecodeError> {
    if len < 0x80 {
        out.push(len as u8);
    } else if len <= MAX_PER_LEN {
        out.extend_from_slice(&((len as u16) | 0x8000).to_be_bytes());
    } else {
        return Err(DecodeError::length(CCRQ_PDU, "length", len, MAX_PER_LEN));
    }
    Ok(())
}

/// A PER length determinant: one octet below 0x80, else two (`10xxxxxx`); fragmented forms
/// (`11xxxxxx`) are refused. Not checked against the bytes left: callers take with it.
pub(super) fn per_len<'a>(
    i: &'a [u8],
    pdu: &'static str,
    field: &'static str,
) -> Result<(&'a [u8], usize), DecodeError> {
    let (i, b) = nom_u8(i).ctx(pdu, field)?;
    if b & 0x80 == 0 {
        return Ok((i, usize::from(b)));
    }
    if b & 0xC0 == 0xC0 {
        return Err(DecodeError::invalid(pdu, field, b.into()));
    }
    let (i, lo) = nom_u8(i).ctx(pdu, field)?;
    Ok((i, (usize::from(b & 0x3f) << 8) | usize::from(lo)))
}
