//! Bitmap and palette update bodies (MS-RDPBCGR 2.2.9.1.1.3.1.1 and 2.2.9.1.1.3.1.2). The same
//! body follows the slow-path Share Data header (pduType2 PDUTYPE2_UPDATE) and the fast-path
//! update header (FASTPATH_UPDATETYPE_BITMAP 0x1, FASTPATH_UPDATETYPE_PALETTE 0x2; 2.2.9.1.2.1.1
//! and .2 keep the 2-byte updateType field).

use crate::wire::codec::{take_len, Ctx, DecodeError};
use nom::number::complete::{le_u16, le_u32, u8 as nom_u8};
use std::fmt;

const BITMAP_PDU: &str = "TS_UPDATE_BITMAP_DATA";
const RECT_PDU: &str = "TS_BITMAP_DATA";
const CD_PDU: &str = "TS_CD_HEADER";
const PALETTE_PDU: &str = "TS_UPDATE_PALETTE_DATA";

/// The updateType field that opens every update body (MS-RDPBCGR 2.2.9.1.1.3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpdateType {
    /// UPDATETYPE_ORDERS (0x0000): drawing orders (MS-RDPEGDI), not decoded here.
    Orders,
    /// UPDATETYPE_BITMAP (0x0001).
    Bitmap,
    /// UPDATETYPE_PALETTE (0x0002).
    Palette,
    /// UPDATETYPE_SYNCHRONIZE (0x0003).
    Synchronize,
    /// Any other value, kept.
    Unknown(u16),
}

impl UpdateType {
    /// Reads the updateType of an update body.
    pub fn of(body: &[u8]) -> Result<UpdateType, DecodeError> {
        let (_, t) = le_u16(body).ctx("TS_UPDATE", "updateType")?;
        Ok(match t {
            0 => UpdateType::Orders,
            1 => UpdateType::Bitmap,
            2 => UpdateType::Palette,
            3 => UpdateType::Synchronize,
            x => UpdateType::Unknown(x),
        })
    }
}

/// TS_BITMAP_DATA flags (MS-RDPBCGR 2.2.9.1.1.3.1.2.2). Unknown bits are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BitmapFlags(pub u16);

impl BitmapFlags {
    /// BITMAP_COMPRESSION: the data is compressed (interleaved RLE, or planar at 32 bpp).
    pub const BITMAP_COMPRESSION: u16 = 0x0001;
    /// NO_BITMAP_COMPRESSION_HDR: no TS_CD_HEADER precedes compressed data.
    pub const NO_BITMAP_COMPRESSION_HDR: u16 = 0x0400;

    /// BITMAP_COMPRESSION is set.
    pub fn compressed(self) -> bool {
        self.0 & Self::BITMAP_COMPRESSION != 0
    }
    /// NO_BITMAP_COMPRESSION_HDR is set.
    pub fn no_compression_header(self) -> bool {
        self.0 & Self::NO_BITMAP_COMPRESSION_HDR != 0
    }
}

impl fmt::Display for BitmapFlags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut names = Vec::new();
        if self.compressed() {
            names.push("bitmap_compression".to_string());
        }
        if self.no_compression_header() {
            names.push("no_bitmap_compression_hdr".to_string());
        }
        let unknown = self.0 & !(Self::BITMAP_COMPRESSION | Self::NO_BITMAP_COMPRESSION_HDR);
        if unknown != 0 {
            names.push(format!("unknown_{unknown:#06x}"));
        }
        f.write_str(&names.join("|"))
    }
}

/// TS_CD_HEADER (MS-RDPBCGR 2.2.9.1.1.3.1.2.3): sizes of a compressed bitmap, present when
/// BITMAP_COMPRESSION is set and NO_BITMAP_COMPRESSION_HDR is not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CompressedDataHeader {
    /// cbCompFirstRowSize: must be 0 (kept as sent).
    pub comp_first_row_size: u16,
    /// cbCompMainBodySize: size of the compressed data after this header.
    pub comp_main_body_size: u16,
    /// cbScanWidth: width of the bitmap in pixels (a multiple of 4).
    pub scan_width: u16,
    /// cbUncompressedSize: size of the bitmap once decompressed.
    pub uncompressed_size: u16,
}

/// One TS_BITMAP_DATA rectangle. Destination bounds are inclusive; `width`/`height` are the
/// bitmap's own size, which may exceed the destination (the extra is not drawn).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BitmapData<'a> {
    /// destLeft.
    pub dest_left: u16,
    /// destTop.
    pub dest_top: u16,
    /// destRight (inclusive).
    pub dest_right: u16,
    /// destBottom (inclusive).
    pub dest_bottom: u16,
    /// width of the bitmap in pixels.
    pub width: u16,
    /// height of the bitmap in pixels.
    pub height: u16,
    /// bitsPerPixel: 8, 15, 16, 24 or 32.
    pub bits_per_pixel: u16,
    /// flags.
    pub flags: BitmapFlags,
    /// The TS_CD_HEADER, when present.
    pub compressed_header: Option<CompressedDataHeader>,
    /// The bitmap data (after the TS_CD_HEADER; cbCompMainBodySize bytes when it is present).
    pub data: &'a [u8],
}

/// TS_UPDATE_BITMAP_DATA: the rectangles of one bitmap update.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BitmapUpdate<'a> {
    /// The rectangles, in wire order (later ones paint over earlier ones).
    pub rectangles: Vec<BitmapData<'a>>,
}

/// The smallest TS_BITMAP_DATA: nine 16-bit fields.
const BITMAP_DATA_FIXED: usize = 18;
const CD_HEADER_LEN: usize = 8;

impl<'a> BitmapUpdate<'a> {
    /// Decodes a whole update body (starting with updateType = UPDATETYPE_BITMAP). Strict on
    /// lengths: every bitmapLength must fit, and no bytes may follow the last rectangle.
    pub fn decode(body: &'a [u8]) -> Result<Self, DecodeError> {
        let (i, update_type) = le_u16(body).ctx(BITMAP_PDU, "updateType")?;
        if update_type != 1 {
            return Err(DecodeError::invalid(BITMAP_PDU, "updateType", update_type.into()));
        }
        let (mut i, count) = le_u16(i).ctx(BITMAP_PDU, "numberRectangles")?;
        let count = usize::from(count);
        // Each rectangle takes at least 18 bytes: the capacity is bounded by the body.
        if count.saturating_mul(BITMAP_DATA_FIXED) > i.len() {
            return Err(DecodeError::length(BITMAP_PDU, "numberRectangles", count, i.len() / BITMAP_DATA_FIXED));
        }
        let mut rectangles = Vec::with_capacity(count);
        for _ in 0..count {
            let (rest, r) = BitmapData::decode_from(i)?;
            rectangles.push(r);
            i = rest;
        }
        if !i.is_empty() {
            return Err(DecodeError::trailing(BITMAP_PDU, "rectangles", i.len()));
        }
        Ok(BitmapUpdate { rectangles })
    }

    /// Encodes the update body (tests, fuzz round trip, benches). The TS_CD_HEADER is written
    /// when present; bitmapLength and cbCompMainBodySize follow the data.
    pub fn encode(&self) -> Result<Vec<u8>, DecodeError> {
        let mut out = Vec::new();
        out.extend_from_slice(&1u16.to_le_bytes());
        let n = u16::try_from(self.rectangles.len())
            .map_err(|_| DecodeError::length(BITMAP_PDU, "numberRectangles", self.rectangles.len(), 0xFFFF))?;
        out.extend_from_slice(&n.to_le_bytes());
        for r in &self.rectangles {
            let hdr = if r.compressed_header.is_some() { CD_HEADER_LEN } else { 0 };
            let len = u16::try_from(r.data.len() + hdr)
                .map_err(|_| DecodeError::length(RECT_PDU, "bitmapLength", r.data.len() + hdr, 0xFFFF))?;
            for v in [
                r.dest_left,
                r.dest_top,
                r.dest_right,
                r.dest_bottom,
                r.width,
                r.height,
                r.bits_per_pixel,
                r.flags.0,
                len,
            ] {
                out.extend_from_slice(&v.to_le_bytes());
            }
            if let Some(h) = r.compressed_header {
                let body = u16::try_from(r.data.len()).unwrap_or(u16::MAX);
                for v in [h.comp_first_row_size, body, h.scan_width, h.uncompressed_size] {
                    out.extend_from_slice(&v.to_le_bytes());
                }
            }
            out.extend_from_slice(r.data);
        }
        Ok(out)
    }
}

impl<'a> BitmapData<'a> {
    fn decode_from(i: &'a [u8]) -> Result<(&'a [u8], Self), DecodeError> {
        let (i, dest_left) = le_u16(i).ctx(RECT_PDU, "destLeft")?;
        let (i, dest_top) = le_u16(i).ctx(RECT_PDU, "destTop")?;
        let (i, dest_right) = le_u16(i).ctx(RECT_PDU, "destRight")?;
        let (i, dest_bottom) = le_u16(i).ctx(RECT_PDU, "destBottom")?;
        let (i, width) = le_u16(i).ctx(RECT_PDU, "width")?;
        let (i, height) = le_u16(i).ctx(RECT_PDU, "height")?;
        let (i, bits_per_pixel) = le_u16(i).ctx(RECT_PDU, "bitsPerPixel")?;
        let (i, flags) = le_u16(i).ctx(RECT_PDU, "flags")?;
        let flags = BitmapFlags(flags);
        let (i, length) = le_u16(i).ctx(RECT_PDU, "bitmapLength")?;
        let (rest, mut payload) = take_len(i, usize::from(length), usize::from(u16::MAX), RECT_PDU, "bitmapLength")?;
        let mut compressed_header = None;
        if flags.compressed() && !flags.no_compression_header() {
            let (p, comp_first_row_size) = le_u16(payload).ctx(CD_PDU, "cbCompFirstRowSize")?;
            let (p, comp_main_body_size) = le_u16(p).ctx(CD_PDU, "cbCompMainBodySize")?;
            let (p, scan_width) = le_u16(p).ctx(CD_PDU, "cbScanWidth")?;
            let (p, uncompressed_size) = le_u16(p).ctx(CD_PDU, "cbUncompressedSize")?;
            let (_, body) = take_len(p, usize::from(comp_main_body_size), p.len(), CD_PDU, "cbCompMainBodySize")?;
            compressed_header =
                Some(CompressedDataHeader { comp_first_row_size, comp_main_body_size, scan_width, uncompressed_size });
            payload = body;
        }
        Ok((
            rest,
            BitmapData {
                dest_left,
                dest_top,
                dest_right,
                dest_bottom,
                width,
                height,
                bits_per_pixel,
                flags,
                compressed_header,
                data: payload,
            },
        ))
    }
}

/// TS_UPDATE_PALETTE_DATA (MS-RDPBCGR 2.2.9.1.1.3.1.1): the colour table for 8 bpp bitmaps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaletteUpdate {
    /// TS_PALETTE_ENTRY values as (red, green, blue); the spec says 256, we accept 0 to 256.
    pub entries: Vec<[u8; 3]>,
}

impl PaletteUpdate {
    /// The most entries a palette has (numberColors "MUST be 256").
    pub const MAX_COLORS: usize = 256;

    /// Decodes a whole update body (starting with updateType = UPDATETYPE_PALETTE).
    pub fn decode(body: &[u8]) -> Result<Self, DecodeError> {
        let (i, update_type) = le_u16(body).ctx(PALETTE_PDU, "updateType")?;
        if update_type != 2 {
            return Err(DecodeError::invalid(PALETTE_PDU, "updateType", update_type.into()));
        }
        let (i, _pad) = le_u16(i).ctx(PALETTE_PDU, "pad2Octets")?;
        let (i, n) = le_u32(i).ctx(PALETTE_PDU, "numberColors")?;
        let n = usize::try_from(n).unwrap_or(usize::MAX);
        if n > Self::MAX_COLORS {
            return Err(DecodeError::length(PALETTE_PDU, "numberColors", n, Self::MAX_COLORS));
        }
        let (rest, mut table) = take_len(i, n * 3, Self::MAX_COLORS * 3, PALETTE_PDU, "paletteEntries")?;
        if !rest.is_empty() {
            return Err(DecodeError::trailing(PALETTE_PDU, "paletteEntries", rest.len()));
        }
        let mut entries = Vec::with_capacity(n);
        for _ in 0..n {
            let (t, r) = nom_u8(table).ctx(PALETTE_PDU, "red")?;
            let (t, g) = nom_u8(t).ctx(PALETTE_PDU, "green")?;
            let (t, b) = nom_u8(t).ctx(PALETTE_PDU, "blue")?;
            entries.push([r, g, b]);
            table = t;
        }
        Ok(PaletteUpdate { entries })
    }

    /// Encodes the update body.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = vec![2, 0, 0, 0];
        let n = self.entries.len().min(Self::MAX_COLORS);
        out.extend_from_slice(&u32::try_from(n).unwrap_or(0).to_le_bytes());
        for e in self.entries.iter().take(n) {
            out.extend_from_slice(e);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rect(flags: u16, data: &[u8]) -> BitmapData<'_> {
        BitmapData {
            dest_left: 1,
            dest_top: 2,
            dest_right: 4,
            dest_bottom: 2,
            width: 4,
            height: 1,
            bits_per_pixel: 16,
            flags: BitmapFlags(flags),
            compressed_header: None,
            data,
        }
    }

    #[test]
    fn bitmap_update_round_trip_and_lengths() {
        let data = [1u8, 2, 3, 4, 5, 6, 7, 8];
        let mut with_hdr = rect(0x0001, &data);
        with_hdr.compressed_header = Some(CompressedDataHeader {
            comp_first_row_size: 0,
            comp_main_body_size: 8,
            scan_width: 4,
            uncompressed_size: 8,
        });
        let u = BitmapUpdate { rectangles: vec![rect(0x0401, &data), with_hdr, rect(0x8000, &data)] };
        let enc = u.encode().unwrap();
        assert_eq!(BitmapUpdate::decode(&enc).unwrap(), u);
        assert_eq!(UpdateType::of(&enc).unwrap(), UpdateType::Bitmap);
        for n in 0..enc.len() {
            assert!(BitmapUpdate::decode(&enc[..n]).is_err(), "prefix {n}");
        }
        let mut trailing = enc.clone();
        trailing.push(0);
        assert!(matches!(
            BitmapUpdate::decode(&trailing).unwrap_err().kind,
            crate::wire::codec::DecodeErrorKind::TrailingBytes(1)
        ));
        // A lying rectangle count is refused before allocating.
        let lie = [1u8, 0, 0xff, 0xff, 0, 0];
        assert!(BitmapUpdate::decode(&lie).is_err());
        assert_eq!(BitmapFlags(0x8401).to_string(), "bitmap_compression|no_bitmap_compression_hdr|unknown_0x8000");
    }

    #[test]
    fn cd_header_body_size_is_checked() {
        // bitmapLength 10: an 8-byte TS_CD_HEADER claiming a 5-byte body with 2 present.
        let mut b = vec![1, 0, 1, 0];
        for v in [0u16, 0, 3, 0, 4, 1, 16, 1, 10] {
            b.extend_from_slice(&v.to_le_bytes());
        }
        for v in [0u16, 5, 4, 8] {
            b.extend_from_slice(&v.to_le_bytes());
        }
        b.extend_from_slice(&[0, 0]);
        let e = BitmapUpdate::decode(&b).unwrap_err();
        assert_eq!(e.field, "cbCompMainBodySize");
    }

    #[test]
    fn palette_round_trip_and_limits() {
        let p = PaletteUpdate { entries: (0..=255u8).map(|i| [i, 255 - i, i / 2]).collect() };
        let enc = p.encode();
        assert_eq!(enc.len(), 8 + 768);
        assert_eq!(PaletteUpdate::decode(&enc).unwrap(), p);
        for n in 0..enc.len() {
            assert!(PaletteUpdate::decode(&enc[..n]).is_err());
        }
        let huge = [2u8, 0, 0, 0, 0xff, 0xff, 0xff, 0xff];
        assert!(PaletteUpdate::decode(&huge).is_err());
        assert_eq!(UpdateType::of(&enc).unwrap(), UpdateType::Palette);
        assert_eq!(UpdateType::of(&[9, 9]).unwrap(), UpdateType::Unknown(0x909));
    }
}
