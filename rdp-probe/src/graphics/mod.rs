//! The first screen (issue 13): from a bitmap or palette update body to pixels and a PNG.
//!
//! Sans-IO like the wire layer: the session code hands over update bodies (the bytes after the
//! slow-path Share Data header or the fast-path update header; MS-RDPBCGR 2.2.9.1.1.3.1 and
//! 2.2.9.1.2.1), this module decodes them and paints a [`Framebuffer`]. No clock: the
//! [`SettleTracker`] is fed the caller's times.
//!
//! - [`update`]: TS_UPDATE_BITMAP_DATA / TS_BITMAP_DATA / TS_CD_HEADER and TS_UPDATE_PALETTE_DATA.
//! - [`bitmap`]: one rectangle to top-down RGB: uncompressed, Interleaved RLE (8/15/16/24 bpp,
//!   MS-RDPBCGR 2.2.9.1.1.3.1.2.4) and RDP 6.0 planar (32 bpp, MS-RDPEGDI 2.2.2.5.1). The two
//!   codecs are IronRDP's (`ironrdp-graphics`); sizes are checked here before they allocate.
//! - [`framebuffer`]: the desktop, blits, counters, the settle heuristic and PNG output.
//!
//! Memory is bounded: a desktop is at most [`MAX_DESKTOP_DIM`] on each side and
//! [`MAX_DESKTOP_PIXELS`] in all (3 bytes a pixel), a rectangle at most [`MAX_BITMAP_DIM`] on
//! each side and [`MAX_BITMAP_PIXELS`] in all.

pub mod bitmap;
pub mod framebuffer;
pub mod update;

pub use bitmap::{decode_bitmap, Bitmap, Palette};
pub use framebuffer::{ApplyOutcome, Framebuffer, SettlePolicy, SettleTracker};
pub use update::{BitmapData, BitmapFlags, BitmapUpdate, CompressedDataHeader, PaletteUpdate, UpdateType};

use crate::wire::codec::DecodeError;

/// Largest desktop width or height accepted (MS-RDPBCGR 3.3.5.3.3 note: 8192 is the largest
/// desktop width current Windows servers support).
pub const MAX_DESKTOP_DIM: u16 = 8192;
/// Largest desktop area in pixels (8192 x 4096): the framebuffer is 3 bytes a pixel, so at most
/// 96 MiB plus a 4 MiB coverage map. A 4K desktop takes 24 MiB.
pub const MAX_DESKTOP_PIXELS: u64 = 8192 * 4096;
/// Largest bitmap rectangle width or height accepted.
pub const MAX_BITMAP_DIM: u16 = 8192;
/// Largest bitmap rectangle area in pixels (4 Mi, e.g. 2048 x 2048): bounds the decoder's
/// buffers at 16 MiB raw plus 12 MiB RGB. Servers send tiles (Windows 64 x 64, xrdp at most a
/// desktop-wide strip).
pub const MAX_BITMAP_PIXELS: u64 = 4 * 1024 * 1024;

/// Why a bitmap could not be decoded or painted, or a PNG not written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GraphicsError {
    /// The update PDU itself could not be decoded.
    #[error("{0}")]
    Decode(#[from] DecodeError),
    /// A width or height is zero or beyond the limits above.
    #[error("{what} {width}x{height} out of range (max {max_dim} a side, {max_pixels} pixels)")]
    TooLarge {
        /// "desktop" or "bitmap".
        what: &'static str,
        /// The claimed width.
        width: u32,
        /// The claimed height.
        height: u32,
        /// The largest side accepted.
        max_dim: u16,
        /// The largest area accepted.
        max_pixels: u64,
    },
    /// A colour depth the codec does not have (bitsPerPixel).
    #[error("unsupported {codec} colour depth {bpp} bpp")]
    UnsupportedBpp {
        /// The codec asked for.
        codec: Codec,
        /// The bitsPerPixel field.
        bpp: u16,
    },
    /// The codec found the bitmap data malformed.
    #[error("{codec} bitmap: {kind}")]
    Codec {
        /// Which codec failed.
        codec: Codec,
        /// What it found.
        kind: CodecErrorKind,
    },
    /// The PNG encoder failed (only on an internal inconsistency; the message is the encoder's).
    #[error("PNG encoding: {0}")]
    Png(String),
}

/// The bitmap codecs of a TS_BITMAP_DATA.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Codec {
    /// No BITMAP_COMPRESSION flag: raw bottom-up rows padded to 4 bytes.
    Uncompressed,
    /// Interleaved RLE (MS-RDPBCGR 2.2.9.1.1.3.1.2.4), 8 to 24 bpp.
    InterleavedRle,
    /// RDP 6.0 bitmap codec, "planar" (MS-RDPEGDI 2.2.2.5.1), compressed 32 bpp.
    Planar,
}

impl std::fmt::Display for Codec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Codec::Uncompressed => "uncompressed",
            Codec::InterleavedRle => "interleaved RLE",
            Codec::Planar => "planar",
        })
    }
}

/// What a codec found wrong with the bitmap data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodecErrorKind {
    /// The data ends before the bitmap is complete.
    Truncated {
        /// Bytes needed (as far as the codec could tell).
        needed: usize,
        /// Bytes present.
        present: usize,
    },
    /// An order would write beyond the bitmap (a lying run length).
    Overrun,
    /// An unknown order code or a zero-length run.
    BadOrder,
    /// The planar format header or plane sizes do not fit the bitmap.
    BadStream,
}

impl std::fmt::Display for CodecErrorKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CodecErrorKind::Truncated { needed, present } => {
                write!(f, "truncated: {needed} bytes needed, {present} present")
            }
            CodecErrorKind::Overrun => f.write_str("an order writes beyond the bitmap"),
            CodecErrorKind::BadOrder => f.write_str("bad order code or zero-length run"),
            CodecErrorKind::BadStream => f.write_str("format header or plane sizes do not fit the bitmap"),
        }
    }
}

/// Checks a width x height against a side and an area limit.
pub(crate) fn check_size(
    what: &'static str,
    width: u32,
    height: u32,
    max_dim: u16,
    max_pixels: u64,
) -> Result<(), GraphicsError> {
    let area = u64::from(width) * u64::from(height);
    if width == 0 || height == 0 || width > u32::from(max_dim) || height > u32::from(max_dim) || area > max_pixels {
        return Err(GraphicsError::TooLarge { what, width, height, max_dim, max_pixels });
    }
    Ok(())
}

#[cfg(test)]
mod tests;
