//! Framing of graphics output, not its content: the slow-path Update PDU (MS-RDPBCGR
//! 2.2.9.1.1.3) and fast-path output (2.2.9.1.2) with its updates (TS_FP_UPDATE), whose data
//! stays raw bytes for the graphics decoders. Also telling a fast-path frame from a TPKT frame
//! by the first byte, and the length of either ([`frame_len`]).

use super::code_enum;
use crate::wire::codec::{take_len, Ctx, DecodeError};
use nom::number::complete::{le_u16, u8 as nom_u8};

code_enum! {
    /// updateType of the slow-path Update PDU (2.2.9.1.1.3.1).
    UpdateType(u16) {
        /// UPDATETYPE_ORDERS.
        Orders = 0x0000, "orders";
        /// UPDATETYPE_BITMAP.
        Bitmap = 0x0001, "bitmap";
        /// UPDATETYPE_PALETTE.
        Palette = 0x0002, "palette";
        /// UPDATETYPE_SYNCHRONIZE.
        Synchronize = 0x0003, "synchronize";
    }
}

code_enum! {
    /// updateCode of TS_FP_UPDATE (2.2.9.1.2.1).
    FastPathUpdateCode(u8) {
        /// FASTPATH_UPDATETYPE_ORDERS.
        Orders = 0x0, "orders";
        /// FASTPATH_UPDATETYPE_BITMAP.
        Bitmap = 0x1, "bitmap";
        /// FASTPATH_UPDATETYPE_PALETTE.
        Palette = 0x2, "palette";
        /// FASTPATH_UPDATETYPE_SYNCHRONIZE.
        Synchronize = 0x3, "synchronize";
        /// FASTPATH_UPDATETYPE_SURFCMDS.
        SurfaceCommands = 0x4, "surface_commands";
        /// FASTPATH_UPDATETYPE_PTR_NULL.
        PointerNull = 0x5, "pointer_null";
        /// FASTPATH_UPDATETYPE_PTR_DEFAULT.
        PointerDefault = 0x6, "pointer_default";
        /// FASTPATH_UPDATETYPE_PTR_POSITION.
        PointerPosition = 0x8, "pointer_position";
        /// FASTPATH_UPDATETYPE_COLOR.
        PointerColor = 0x9, "pointer_color";
        /// FASTPATH_UPDATETYPE_CACHED.
        PointerCached = 0xa, "pointer_cached";
        /// FASTPATH_UPDATETYPE_POINTER.
        Pointer = 0xb, "pointer";
        /// FASTPATH_UPDATETYPE_LARGE_POINTER.
        LargePointer = 0xc, "large_pointer";
    }
}

/// The slow-path Update PDU body: updateType and the rest raw (2.2.9.1.1.3.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlowPathUpdate {
    /// updateType.
    pub update_type: UpdateType,
    /// The update after updateType (e.g. TS_UPDATE_BITMAP_DATA from numberRectangles on).
    pub data: Vec<u8>,
}

impl SlowPathUpdate {
    /// Decodes the body of a Data PDU with pduType2 UPDATE.
    pub fn decode(i: &[u8]) -> Result<SlowPathUpdate, DecodeError> {
        let (i, t) = le_u16(i).ctx("TS_UPDATE", "updateType")?;
        Ok(SlowPathUpdate { update_type: UpdateType::from_value(t), data: i.to_vec() })
    }

    /// Appends updateType and data.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.update_type.value().to_le_bytes());
        out.extend_from_slice(&self.data);
    }
}

/// How a frame on the wire is framed, from its first byte (2.2.9.1.2: action bits).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameKind {
    /// TPKT (first byte 3): slow path.
    Tpkt,
    /// Fast-path (action 0 in the two low bits).
    FastPath,
}

const FP: &str = "TS_FP_UPDATE_PDU";
/// FASTPATH_OUTPUT_SECURE_CHECKSUM in fpOutputHeader.
pub const FASTPATH_OUTPUT_SECURE_CHECKSUM: u8 = 0x40;
/// FASTPATH_OUTPUT_ENCRYPTED in fpOutputHeader.
pub const FASTPATH_OUTPUT_ENCRYPTED: u8 = 0x80;
/// The largest fast-path PDU (the length is 15 bits).
pub const MAX_FASTPATH_LEN: usize = 0x7fff;

/// The frame kind and total length from the first bytes (1-4 needed). A truncation error
/// means "read more"; the I/O layer then reads exactly that many bytes. Fast-path lengths
/// count the whole PDU, header included, like TPKT's.
pub fn frame_len(first: &[u8]) -> Result<(FrameKind, usize), DecodeError> {
    let (i, b0) = nom_u8(first).ctx(FP, "fpOutputHeader")?;
    if b0 == crate::wire::tpkt::TPKT_VERSION {
        return Ok((FrameKind::Tpkt, crate::wire::tpkt::frame_len(first)?));
    }
    if b0 & 0x03 != 0 {
        return Err(DecodeError::invalid(FP, "action", b0.into()));
    }
    let (i, l1) = nom_u8(i).ctx(FP, "length1")?;
    let (len, hdr) = if l1 & 0x80 != 0 {
        let (_, l2) = nom_u8(i).ctx(FP, "length2")?;
        ((usize::from(l1 & 0x7f) << 8) | usize::from(l2), 3)
    } else {
        (usize::from(l1), 2)
    };
    if len < hdr {
        return Err(DecodeError::length(FP, "length", len, MAX_FASTPATH_LEN));
    }
    Ok((FrameKind::FastPath, len))
}

/// Which security fields a fast-path PDU carries (from the negotiated method).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FastPathSecurity {
    /// RC4 or none: dataSignature present when the encrypted flag is set.
    Standard,
    /// FIPS: fipsInformation (4 bytes) before the signature when encrypted.
    Fips,
}

/// TS_FP_UPDATE_PDU (2.2.9.1.2) split into its fields; `data` is still encrypted when
/// `encrypted` is set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FastPathOutput<'a> {
    /// The flags of fpOutputHeader (FASTPATH_OUTPUT_*).
    pub flags: u8,
    /// fipsInformation padlen (FIPS only).
    pub fips_padlen: Option<u8>,
    /// dataSignature (when encrypted).
    pub signature: Option<[u8; 8]>,
    /// fpOutputUpdates (decrypt first when encrypted, then [`FastPathUpdate::decode_all`]).
    pub data: &'a [u8],
}

impl<'a> FastPathOutput<'a> {
    /// Whether `data` is encrypted.
    pub fn encrypted(&self) -> bool {
        self.flags & FASTPATH_OUTPUT_ENCRYPTED != 0
    }

    /// Decodes one whole fast-path frame (as [`frame_len`] delimited it).
    pub fn decode(frame: &'a [u8], sec: FastPathSecurity) -> Result<FastPathOutput<'a>, DecodeError> {
        let (kind, len) = frame_len(frame)?;
        if kind != FrameKind::FastPath {
            return Err(DecodeError::invalid(FP, "action", 3));
        }
        if len != frame.len() {
            return Err(DecodeError::length(FP, "length", len, frame.len()));
        }
        let (i, b0) = nom_u8(frame).ctx(FP, "fpOutputHeader")?;
        let (i, l1) = nom_u8(i).ctx(FP, "length1")?;
        let i = if l1 & 0x80 != 0 { nom_u8(i).ctx(FP, "length2")?.0 } else { i };
        let flags = b0 & 0xc0;
        let mut out = FastPathOutput { flags, fips_padlen: None, signature: None, data: i };
        if flags & FASTPATH_OUTPUT_ENCRYPTED != 0 {
            let mut i = i;
            if sec == FastPathSecurity::Fips {
                let (j, _len) = le_u16(i).ctx(FP, "fipsInformation")?;
                let (j, _ver) = nom_u8(j).ctx(FP, "fipsInformation")?;
                let (j, pad) = nom_u8(j).ctx(FP, "fipsInformation")?;
                out.fips_padlen = Some(pad);
                i = j;
            }
            let (j, sig) = take_len(i, 8, 8, FP, "dataSignature")?;
            let mut s = [0u8; 8];
            s.copy_from_slice(sig);
            out.signature = Some(s);
            out.data = j;
        }
        Ok(out)
    }

    /// Encodes an unencrypted fast-path PDU around `updates` (tests and test servers).
    pub fn encode_plain(updates: &[u8]) -> Result<Vec<u8>, DecodeError> {
        let len = updates.len() + 3;
        if len > MAX_FASTPATH_LEN {
            return Err(DecodeError::length(FP, "length", len, MAX_FASTPATH_LEN));
        }
        let mut out = Vec::with_capacity(len);
        out.push(0);
        out.extend_from_slice(&((len as u16) | 0x8000).to_be_bytes());
        out.extend_from_slice(updates);
        Ok(out)
    }
}

/// fragmentation of TS_FP_UPDATE (2.2.9.1.2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fragmentation {
    /// FASTPATH_FRAGMENT_SINGLE.
    Single,
    /// FASTPATH_FRAGMENT_LAST.
    Last,
    /// FASTPATH_FRAGMENT_FIRST.
    First,
    /// FASTPATH_FRAGMENT_NEXT.
    Next,
}

/// FASTPATH_OUTPUT_COMPRESSION_USED in the compression bits of updateHeader.
pub const FASTPATH_OUTPUT_COMPRESSION_USED: u8 = 0x2;
/// Most updates we split out of one fast-path PDU.
pub const MAX_UPDATES_PER_PDU: usize = 4096;

/// One TS_FP_UPDATE; `data` is the (possibly fragmented, possibly bulk-compressed) update.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FastPathUpdate<'a> {
    /// updateCode.
    pub code: FastPathUpdateCode,
    /// fragmentation.
    pub fragmentation: Fragmentation,
    /// compressionFlags, present when the compression bits say so.
    pub compression_flags: Option<u8>,
    /// updateData.
    pub data: &'a [u8],
}

impl<'a> FastPathUpdate<'a> {
    /// Splits decrypted fpOutputUpdates into updates; every size must fit.
    pub fn decode_all(mut i: &'a [u8]) -> Result<Vec<FastPathUpdate<'a>>, DecodeError> {
        const U: &str = "TS_FP_UPDATE";
        let mut out = Vec::new();
        while !i.is_empty() {
            if out.len() >= MAX_UPDATES_PER_PDU {
                return Err(DecodeError::length(U, "updates", out.len() + 1, MAX_UPDATES_PER_PDU));
            }
            let (j, h) = nom_u8(i).ctx(U, "updateHeader")?;
            let (j, compression_flags) = if (h >> 6) & FASTPATH_OUTPUT_COMPRESSION_USED != 0 {
                let (j, c) = nom_u8(j).ctx(U, "compressionFlags")?;
                (j, Some(c))
            } else {
                (j, None)
            };
            let (j, size) = le_u16(j).ctx(U, "size")?;
            let (j, data) = take_len(j, size.into(), usize::from(u16::MAX), U, "updateData")?;
            let fragmentation = match (h >> 4) & 3 {
                0 => Fragmentation::Single,
                1 => Fragmentation::Last,
                2 => Fragmentation::First,
                _ => Fragmentation::Next,
            };
            out.push(FastPathUpdate {
                code: FastPathUpdateCode::from_value(h & 0x0f),
                fragmentation,
                compression_flags,
                data,
            });
            i = j;
        }
        Ok(out)
    }

    /// Appends the update (tests and test servers).
    pub fn encode(&self, out: &mut Vec<u8>) {
        let frag = match self.fragmentation {
            Fragmentation::Single => 0,
            Fragmentation::Last => 1,
            Fragmentation::First => 2,
            Fragmentation::Next => 3,
        };
        let comp = if self.compression_flags.is_some() { FASTPATH_OUTPUT_COMPRESSION_USED } else { 0 };
        out.push((self.code.value() & 0x0f) | (frag << 4) | (comp << 6));
        if let Some(c) = self.compression_flags {
            out.push(c);
        }
        let data = self.data.get(..self.data.len().min(usize::from(u16::MAX))).unwrap_or_default();
        out.extend_from_slice(&(data.len() as u16).to_le_bytes());
        out.extend_from_slice(data);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_kinds() {
        assert_eq!(frame_len(&[3, 0, 0, 11]).unwrap(), (FrameKind::Tpkt, 11));
        assert_eq!(frame_len(&[0x00, 0x07]).unwrap(), (FrameKind::FastPath, 7));
        assert_eq!(frame_len(&[0x80, 0x80, 0xba]).unwrap(), (FrameKind::FastPath, 0xba));
        assert!(frame_len(&[0x00, 0x80]).is_err()); // needs the second length byte
        assert!(frame_len(&[0x00, 0x01]).is_err()); // shorter than its header
        assert!(frame_len(&[0x02, 0x10]).is_err()); // action 2
        assert!(frame_len(&[]).is_err());
    }

    #[test]
    fn fast_path_round_trip() {
        let payload = [9u8; 300];
        let ups = [
            FastPathUpdate {
                code: FastPathUpdateCode::Bitmap,
                fragmentation: Fragmentation::First,
                compression_flags: None,
                data: &payload,
            },
            FastPathUpdate {
                code: FastPathUpdateCode::Synchronize,
                fragmentation: Fragmentation::Single,
                compression_flags: Some(0),
                data: &[],
            },
        ];
        let mut body = Vec::new();
        for u in &ups {
            u.encode(&mut body);
        }
        let frame = FastPathOutput::encode_plain(&body).unwrap();
        let fp = FastPathOutput::decode(&frame, FastPathSecurity::Standard).unwrap();
        assert!(!fp.encrypted());
        assert_eq!(FastPathUpdate::decode_all(fp.data).unwrap(), ups);
        for n in 0..frame.len() {
            assert!(FastPathOutput::decode(&frame[..n], FastPathSecurity::Standard).is_err());
        }
        for n in 0..body.len() {
            let _ = FastPathUpdate::decode_all(&body[..n]);
        }
        // an update size beyond the data
        assert!(FastPathUpdate::decode_all(&[0x01, 0xff, 0xff, 0]).is_err());
        // encrypted FIPS header fields are split off
        let mut enc = vec![0x80, 0x00, 0x00, 0x10, 0x00, 0x01, 0x05];
        enc.extend_from_slice(&[7; 8]);
        enc.extend_from_slice(&[1; 8]);
        enc[2] = enc.len() as u8;
        enc[1] = 0x80;
        let fp = FastPathOutput::decode(&enc, FastPathSecurity::Fips).unwrap();
        assert_eq!((fp.fips_padlen, fp.signature, fp.data.len()), (Some(5), Some([7; 8]), 8));
    }
}
