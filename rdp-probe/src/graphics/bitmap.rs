//! One TS_BITMAP_DATA rectangle to top-down RGB.
//!
//! Which codec (MS-RDPBCGR 2.2.9.1.1.3.1.2.2): no BITMAP_COMPRESSION flag means raw bottom-up
//! rows, each padded to a multiple of 4 bytes; with the flag, 32 bpp is the RDP 6.0 bitmap codec
//! ("planar", MS-RDPEGDI 2.2.2.5.1 / 3.1.9) and 8, 15, 16, 24 bpp are Interleaved RLE
//! (MS-RDPBCGR 2.2.9.1.1.3.1.2.4 / 3.1.9). Both codecs come from `ironrdp-graphics`; sizes are
//! checked here against [`super::MAX_BITMAP_DIM`] / [`super::MAX_BITMAP_PIXELS`] first, and its
//! errors become [`GraphicsError`]s.
//!
//! Pixel layouts on the wire: 8 bpp palette index, 15 bpp RGB555 and 16 bpp RGB565
//! little-endian, 24 bpp B,G,R, 32 bpp B,G,R,X. All bitmaps (planar too) are bottom-up.

use super::update::BitmapData;
use super::{check_size, Codec, CodecErrorKind, GraphicsError, MAX_BITMAP_DIM, MAX_BITMAP_PIXELS};
use ironrdp_graphics::rdp6::{BitmapDecodeError, BitmapStreamDecoder, RleDecodeError};
use ironrdp_graphics::rle::{self, RleError};

/// The 8 bpp colour table (TS_UPDATE_PALETTE_DATA). Until the server sends one, entry `i` is
/// the grey `(i, i, i)`: Windows and xrdp send a palette before any 8 bpp bitmap.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Palette {
    /// Entries as (red, green, blue).
    pub entries: [[u8; 3]; 256],
}

impl Default for Palette {
    fn default() -> Self {
        let mut entries = [[0u8; 3]; 256];
        for (i, e) in (0u8..=255).zip(entries.iter_mut()) {
            *e = [i, i, i];
        }
        Palette { entries }
    }
}

impl Palette {
    /// Replaces the first entries with those of a palette update (the rest are kept).
    pub fn apply(&mut self, update: &super::PaletteUpdate) {
        for (e, new) in self.entries.iter_mut().zip(&update.entries) {
            *e = *new;
        }
    }
}

/// A decoded rectangle: `width` x `height` pixels, top-down rows, 3 bytes (R, G, B) a pixel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bitmap {
    /// Width in pixels (the bitmap's, not the destination's).
    pub width: u16,
    /// Height in pixels.
    pub height: u16,
    /// `width * height * 3` bytes.
    pub rgb: Vec<u8>,
}

/// Bytes per pixel of an uncompressed or RLE bitmap.
fn bytes_per_pixel(bpp: u16, codec: Codec) -> Result<usize, GraphicsError> {
    match bpp {
        8 => Ok(1),
        15 | 16 => Ok(2),
        24 => Ok(3),
        32 if codec == Codec::Uncompressed => Ok(4),
        _ => Err(GraphicsError::UnsupportedBpp { codec, bpp }),
    }
}

/// Decodes one rectangle. Never panics; allocates at most 7 bytes a pixel of a bitmap within
/// the limits.
pub fn decode_bitmap(rect: &BitmapData<'_>, palette: &Palette) -> Result<Bitmap, GraphicsError> {
    check_size("bitmap", rect.width.into(), rect.height.into(), MAX_BITMAP_DIM, MAX_BITMAP_PIXELS)?;
    let (w, h) = (usize::from(rect.width), usize::from(rect.height));
    let bpp = rect.bits_per_pixel;
    if !rect.flags.compressed() {
        let bytes = bytes_per_pixel(bpp, Codec::Uncompressed)?;
        let stride = (w * bytes + 3) & !3;
        let needed = stride * h;
        if rect.data.len() < needed {
            let kind = CodecErrorKind::Truncated { needed, present: rect.data.len() };
            return Err(GraphicsError::Codec { codec: Codec::Uncompressed, kind });
        }
        return Ok(to_rgb(rect.data, stride, rect.width, rect.height, bpp, palette));
    }
    if bpp == 32 {
        return decode_planar(rect.data, rect.width, rect.height);
    }
    let bytes = bytes_per_pixel(bpp, Codec::InterleavedRle)?;
    let mut raw = Vec::new();
    rle::decompress(rect.data, &mut raw, w, h, usize::from(bpp)).map_err(|e| rle_error(e, bpp))?;
    if raw.len() != w * bytes * h {
        let kind = CodecErrorKind::Truncated { needed: w * bytes * h, present: raw.len() };
        return Err(GraphicsError::Codec { codec: Codec::InterleavedRle, kind });
    }
    Ok(to_rgb(&raw, w * bytes, rect.width, rect.height, bpp, palette))
}

fn rle_error(e: RleError, bpp: u16) -> GraphicsError {
    let codec = Codec::InterleavedRle;
    let kind = match e {
        RleError::InvalidBpp { .. } => return GraphicsError::UnsupportedBpp { codec, bpp },
        RleError::BadOrderCode | RleError::UnexpectedZeroLength => CodecErrorKind::BadOrder,
        RleError::NotEnoughBytes { expected, actual } => {
            CodecErrorKind::Truncated { needed: expected, present: actual }
        }
        RleError::InvalidImageSize { .. } => CodecErrorKind::Overrun,
        // Sizes were checked before the call; kept for completeness.
        RleError::EmptyImage | RleError::DimensionsTooLarge { .. } => CodecErrorKind::BadStream,
    };
    GraphicsError::Codec { codec, kind }
}

/// RDP 6.0 planar: IronRDP yields top-to-bottom RGB in wire row order, i.e. bottom-up.
fn decode_planar(data: &[u8], width: u16, height: u16) -> Result<Bitmap, GraphicsError> {
    let codec = Codec::Planar;
    let (w, h) = (usize::from(width), usize::from(height));
    let mut out = Vec::new();
    BitmapStreamDecoder::default().decode_bitmap_stream_to_rgb24(data, &mut out, w, h).map_err(|e| {
        let kind = match e {
            BitmapDecodeError::Decode(_) | BitmapDecodeError::InvalidUncompressedDataSize => CodecErrorKind::BadStream,
            BitmapDecodeError::Rle(RleDecodeError::ReadCompressedData(_)) => {
                CodecErrorKind::Truncated { needed: data.len().saturating_add(1), present: data.len() }
            }
            BitmapDecodeError::Rle(RleDecodeError::InvalidSegmentHeader) => CodecErrorKind::BadOrder,
            BitmapDecodeError::Rle(
                RleDecodeError::WriteDecompressedData(_) | RleDecodeError::SegmentDoNotFitScanline,
            ) => CodecErrorKind::Overrun,
        };
        GraphicsError::Codec { codec, kind }
    })?;
    if out.len() != w * h * 3 {
        return Err(GraphicsError::Codec {
            codec,
            kind: CodecErrorKind::Truncated { needed: w * h * 3, present: out.len() },
        });
    }
    let mut rgb = Vec::with_capacity(out.len());
    for row in out.chunks_exact(w * 3).rev() {
        rgb.extend_from_slice(row);
    }
    Ok(Bitmap { width, height, rgb })
}

/// 5-bit and 6-bit channels to 8 bits, replicating the high bits (0x1f -> 0xff).
fn c5(v: u16) -> u8 {
    let v = (v & 0x1f) as u8;
    (v << 3) | (v >> 2)
}
fn c6(v: u16) -> u8 {
    let v = (v & 0x3f) as u8;
    (v << 2) | (v >> 4)
}

/// Bottom-up wire rows of `stride` bytes to top-down RGB. The caller checked that `raw` holds
/// `stride * height` bytes and that `stride` covers `width` pixels.
fn to_rgb(raw: &[u8], stride: usize, width: u16, height: u16, bpp: u16, palette: &Palette) -> Bitmap {
    let (w, h) = (usize::from(width), usize::from(height));
    let mut rgb = Vec::with_capacity(w * h * 3);
    for row in raw.chunks_exact(stride).take(h).rev() {
        match bpp {
            8 => {
                for &i in row.iter().take(w) {
                    let e = palette.entries.get(usize::from(i)).copied().unwrap_or_default();
                    rgb.extend_from_slice(&e);
                }
            }
            15 | 16 => {
                for p in row.chunks_exact(2).take(w) {
                    let v = p.iter().rev().fold(0u16, |acc, &b| (acc << 8) | u16::from(b));
                    let px =
                        if bpp == 15 { [c5(v >> 10), c5(v >> 5), c5(v)] } else { [c5(v >> 11), c6(v >> 5), c5(v)] };
                    rgb.extend_from_slice(&px);
                }
            }
            _ => {
                let n = if bpp == 24 { 3 } else { 4 };
                for p in row.chunks_exact(n).take(w) {
                    if let [b, g, r, ..] = p {
                        rgb.extend_from_slice(&[*r, *g, *b]);
                    }
                }
            }
        }
    }
    Bitmap { width, height, rgb }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graphics::update::BitmapFlags;

    fn rect(w: u16, h: u16, bpp: u16, flags: u16, data: &[u8]) -> BitmapData<'_> {
        BitmapData {
            dest_left: 0,
            dest_top: 0,
            dest_right: w.saturating_sub(1),
            dest_bottom: h.saturating_sub(1),
            width: w,
            height: h,
            bits_per_pixel: bpp,
            flags: BitmapFlags(flags),
            compressed_header: None,
            data,
        }
    }

    #[test]
    fn uncompressed_rows_are_bottom_up_and_padded() {
        // 3x2 at 24 bpp: rows of 9 bytes padded to 12; bottom row first on the wire.
        let data = [
            0, 0, 255, 0, 255, 0, 255, 0, 0, 0xee, 0xee, 0xee, // bottom: red green blue
            1, 1, 1, 2, 2, 2, 3, 3, 3, 0xee, 0xee, 0xee, // top
        ];
        let b = decode_bitmap(&rect(3, 2, 24, 0, &data), &Palette::default()).unwrap();
        assert_eq!(b.rgb, [1, 1, 1, 2, 2, 2, 3, 3, 3, 255, 0, 0, 0, 255, 0, 0, 0, 255]);
        // One byte short of the padded size.
        let e = decode_bitmap(&rect(3, 2, 24, 0, &data[..23]), &Palette::default()).unwrap_err();
        assert!(matches!(e, GraphicsError::Codec { kind: CodecErrorKind::Truncated { needed: 24, present: 23 }, .. }));
    }

    #[test]
    fn uncompressed_depths() {
        let p = Palette::default();
        // 16 bpp RGB565 0xf800 red, 0x07e0 green; 15 bpp 0x7c00 red; 32 bpp BGRX.
        let b = decode_bitmap(&rect(2, 1, 16, 0, &[0x00, 0xf8, 0xe0, 0x07]), &p).unwrap();
        assert_eq!(b.rgb, [255, 0, 0, 0, 255, 0]);
        let b = decode_bitmap(&rect(1, 1, 15, 0, &[0x00, 0x7c, 0, 0]), &p).unwrap();
        assert_eq!(b.rgb, [255, 0, 0]);
        let b = decode_bitmap(&rect(1, 1, 32, 0, &[1, 2, 3, 4]), &p).unwrap();
        assert_eq!(b.rgb, [3, 2, 1]);
        let mut pal = Palette::default();
        pal.apply(&crate::graphics::PaletteUpdate { entries: vec![[9, 8, 7]] });
        let b = decode_bitmap(&rect(2, 1, 8, 0, &[0, 5, 0, 0]), &pal).unwrap();
        assert_eq!(b.rgb, [9, 8, 7, 5, 5, 5]);
        assert!(matches!(
            decode_bitmap(&rect(1, 1, 12, 0, &[0; 4]), &p),
            Err(GraphicsError::UnsupportedBpp { bpp: 12, .. })
        ));
        assert!(matches!(
            decode_bitmap(&rect(1, 1, 32, 1, &[]), &p),
            Err(GraphicsError::Codec { codec: Codec::Planar, .. })
        ));
    }

    /// Interleaved RLE known answers, built from the order encodings of MS-RDPBCGR
    /// 2.2.9.1.1.3.1.2.4 (the spec gives no worked example for bitmaps).
    #[test]
    fn interleaved_rle_known_answers() {
        let p = Palette::default();
        // 16 bpp 4x2. Bottom row: REGULAR_COLOR_RUN (0x60 | 4) of 0x001f (blue).
        // Top row: REGULAR_BG_RUN (0x00 | 4): copies the row below.
        let data = [0x64, 0x1f, 0x00, 0x04];
        let b = decode_bitmap(&rect(4, 2, 16, 0x401, &data), &p).unwrap();
        assert_eq!(b.rgb, [0, 0, 255].repeat(8));
        // 24 bpp 2x1: REGULAR_COLOR_IMAGE (0x80 | 2) with two B,G,R pixels.
        let data = [0x82, 0, 0, 255, 0, 255, 0];
        let b = decode_bitmap(&rect(2, 1, 24, 0x401, &data), &p).unwrap();
        assert_eq!(b.rgb, [255, 0, 0, 0, 255, 0]);
        // 8 bpp 4x1: SPECIAL_WHITE (0xfd) then SPECIAL_BLACK (0xfe) and a REGULAR_COLOR_RUN of 2.
        let data = [0xfd, 0xfe, 0x62, 7];
        let b = decode_bitmap(&rect(4, 1, 8, 0x401, &data), &p).unwrap();
        assert_eq!(b.rgb, [255, 255, 255, 0, 0, 0, 7, 7, 7, 7, 7, 7]);
        // A run longer than the bitmap is refused, as is an undefined order code.
        let e = decode_bitmap(&rect(2, 1, 16, 0x401, &[0x64, 0x1f, 0x00]), &p).unwrap_err();
        assert!(matches!(e, GraphicsError::Codec { kind: CodecErrorKind::Overrun, .. }), "{e:?}");
        let e = decode_bitmap(&rect(2, 1, 16, 0x401, &[0xfb]), &p).unwrap_err();
        assert!(matches!(e, GraphicsError::Codec { kind: CodecErrorKind::BadOrder, .. }), "{e:?}");
    }

    /// RDP 6.0 planar known answers built from MS-RDPEGDI 2.2.2.5.1: FormatHeader bits
    /// CLL (0-2), CS (3), RLE (4), NA (5).
    #[test]
    fn planar_known_answers() {
        let p = Palette::default();
        // 2x2, no alpha (NA), no RLE, ARGB planes R, G, B (bottom-up rows), then a pad byte.
        let mut data = vec![0x20];
        data.extend_from_slice(&[10, 11, 20, 21]); // R: bottom row 10 11, top row 20 21
        data.extend_from_slice(&[0, 0, 0, 0]);
        data.extend_from_slice(&[5, 5, 5, 5]);
        data.push(0);
        let b = decode_bitmap(&rect(2, 2, 32, 0x401, &data), &p).unwrap();
        assert_eq!(b.rgb, [20, 0, 5, 21, 0, 5, 10, 0, 5, 11, 0, 5]);
        // The same, RLE planes: each row is one segment header 0x20 (2 raw bytes, run 0) then the
        // bytes; rows after the first are deltas from the row above, sign-magnitude encoded
        // (MS-RDPEGDI 3.1.9.2.3): +10 -> 20.
        let mut data = vec![0x30];
        data.extend_from_slice(&[0x20, 10, 11, 0x20, 20, 20]); // R
        data.extend_from_slice(&[0x20, 0, 0, 0x20, 0, 0]); // G
        data.extend_from_slice(&[0x20, 5, 5, 0x20, 0, 0]); // B
        let b = decode_bitmap(&rect(2, 2, 32, 0x401, &data), &p).unwrap();
        assert_eq!(b.rgb, [20, 0, 5, 21, 0, 5, 10, 0, 5, 11, 0, 5]);
        // Truncated planes fail.
        for n in 0..data.len() {
            assert!(decode_bitmap(&rect(2, 2, 32, 0x401, &data[..n]), &p).is_err(), "prefix {n}");
        }
    }

    #[test]
    fn huge_and_empty_sizes_are_refused_before_allocating() {
        let p = Palette::default();
        for (w, h) in [(0, 10), (10, 0), (8193, 1), (4096, 4096), (u16::MAX, u16::MAX)] {
            for (bpp, flags) in [(16, 0), (16, 0x401), (32, 1), (8, 1)] {
                let e = decode_bitmap(&rect(w, h, bpp, flags, &[0x60, 0, 0]), &p).unwrap_err();
                assert!(matches!(e, GraphicsError::TooLarge { .. }), "{w}x{h}: {e:?}");
            }
        }
    }
}
