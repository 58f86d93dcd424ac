//! Shared decoding helpers: the typed [`DecodeError`] every wire module returns, and the
//! `ctx` adapter that turns a failed nom step into an error naming the PDU and field.
//!
//! Rule: decoders receive a whole frame (the I/O layer framed it by its length field) and use
//! nom's `complete` parsers, one `let (i, x) = parser(i).ctx(PDU, "field")?;` per field in wire
//! order. nom's own error carries no useful context, so we use `()` as its error type.

use std::fmt;

/// The largest TPKT frame (T.123: the length field is 16 bits and includes the 4-byte header).
pub const MAX_TPKT_LEN: usize = 0xFFFF;

/// Why a PDU could not be decoded. Small, `Clone + PartialEq` so tests can `assert_eq!` on it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct DecodeError {
    /// The PDU or structure being decoded, in the spec's words (e.g. "X.224 Connection Confirm").
    pub pdu: &'static str,
    /// The field that could not be read or was invalid.
    pub field: &'static str,
    /// What was wrong with it.
    pub kind: DecodeErrorKind,
}

/// The kind of decoding failure.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum DecodeErrorKind {
    /// Fewer bytes are present than the field needs.
    Truncated,
    /// A length field claims more than the frame holds or than the maximum allows.
    LengthOutOfRange {
        /// The length the field claims.
        claimed: usize,
        /// The largest acceptable value at this point.
        max: usize,
    },
    /// A field holds a value the structure cannot have (e.g. a wrong type code or version).
    InvalidValue(u64),
    /// Bytes are left over after the structure.
    TrailingBytes(usize),
}

impl fmt::Display for DecodeErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeErrorKind::Truncated => write!(f, "truncated"),
            DecodeErrorKind::LengthOutOfRange { claimed, max } => {
                write!(f, "length {claimed} out of range (max {max})")
            }
            DecodeErrorKind::InvalidValue(v) => write!(f, "invalid value {v:#x}"),
            DecodeErrorKind::TrailingBytes(n) => write!(f, "{n} trailing bytes"),
        }
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}: {}", self.pdu, self.field, self.kind)
    }
}

impl std::error::Error for DecodeError {}

impl DecodeError {
    /// A truncated field.
    pub fn truncated(pdu: &'static str, field: &'static str) -> Self {
        DecodeError { pdu, field, kind: DecodeErrorKind::Truncated }
    }
    /// A length field outside `0..=max`.
    pub fn length(pdu: &'static str, field: &'static str, claimed: usize, max: usize) -> Self {
        DecodeError { pdu, field, kind: DecodeErrorKind::LengthOutOfRange { claimed, max } }
    }
    /// A field with an impossible value.
    pub fn invalid(pdu: &'static str, field: &'static str, value: u64) -> Self {
        DecodeError { pdu, field, kind: DecodeErrorKind::InvalidValue(value) }
    }
    /// Bytes left after the structure.
    pub fn trailing(pdu: &'static str, field: &'static str, n: usize) -> Self {
        DecodeError { pdu, field, kind: DecodeErrorKind::TrailingBytes(n) }
    }
}

/// nom result with a unit error: context is added by [`Ctx::ctx`].
pub(crate) type NomResult<'a, O> = nom::IResult<&'a [u8], O, ()>;

/// Adds PDU and field names to a failed nom step. A nom failure on complete input only ever
/// means "not enough bytes" for the fixed-size parsers we use, so it maps to `Truncated`.
pub(crate) trait Ctx<T> {
    fn ctx(self, pdu: &'static str, field: &'static str) -> Result<T, DecodeError>;
}

impl<'a, O> Ctx<(&'a [u8], O)> for NomResult<'a, O> {
    fn ctx(self, pdu: &'static str, field: &'static str) -> Result<(&'a [u8], O), DecodeError> {
        self.map_err(|_| DecodeError::truncated(pdu, field))
    }
}

/// Takes exactly `n` bytes, failing with a length error when `n > max` and a truncation error
/// when fewer than `n` are present. Never allocates.
pub(crate) fn take_len<'a>(
    i: &'a [u8],
    n: usize,
    max: usize,
    pdu: &'static str,
    field: &'static str,
) -> Result<(&'a [u8], &'a [u8]), DecodeError> {
    if n > max {
        return Err(DecodeError::length(pdu, field, n, max));
    }
    if n > i.len() {
        return Err(DecodeError::length(pdu, field, n, i.len()));
    }
    let (head, tail) = i.split_at(n);
    Ok((tail, head))
}

/// Decodes UTF-16LE bytes leniently (unpaired surrogates become U+FFFD; an odd last byte is
/// dropped): names from the network are shown, never rejected.
pub fn utf16le_lossy(b: &[u8]) -> String {
    let units = b.chunks_exact(2).map(|c| match c {
        [lo, hi] => u16::from_le_bytes([*lo, *hi]),
        _ => 0xFFFD,
    });
    char::decode_utf16(units).map(|r| r.unwrap_or('\u{FFFD}')).collect()
}

/// RFC 3339 UTC text for Unix seconds, e.g. "2026-05-04T10:11:12Z" (proleptic Gregorian,
/// Howard Hinnant's civil_from_days). Used for certificate dates and NTLM timestamps.
pub fn rfc3339(ts: i64) -> String {
    let days = ts.div_euclid(86_400);
    let secs = ts.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z", secs / 3600, secs % 3600 / 60, secs % 60)
}

/// Lower-case hex of a byte string, no separators (fingerprints, raw values in reports).
pub fn hex(b: &[u8]) -> String {
    use std::fmt::Write;
    let mut s = String::with_capacity(b.len() * 2);
    for x in b {
        let _ = write!(s, "{x:02x}");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn take_len_bounds() {
        assert_eq!(take_len(b"abc", 2, 10, "P", "f"), Ok((&b"c"[..], &b"ab"[..])));
        assert_eq!(take_len(b"abc", 4, 10, "P", "f"), Err(DecodeError::length("P", "f", 4, 3)));
        assert_eq!(take_len(b"abc", 11, 10, "P", "f"), Err(DecodeError::length("P", "f", 11, 10)));
    }

    #[test]
    fn utf16() {
        assert_eq!(utf16le_lossy(&[0x41, 0, 0x42, 0, 0x43]), "AB");
        assert_eq!(utf16le_lossy(&[0x00, 0xD8]), "\u{FFFD}");
    }
}
