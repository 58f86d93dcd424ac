//! The desktop as the client sees it: decoded rectangles blitted at their destination, counters,
//! the "has the screen settled" heuristic and the PNG of the result.

use super::bitmap::{decode_bitmap, Bitmap, Palette};
use super::update::{BitmapUpdate, PaletteUpdate};
use super::{check_size, GraphicsError, MAX_DESKTOP_DIM, MAX_DESKTOP_PIXELS};

/// The desktop: `width` x `height` RGB pixels, top-down, black until painted.
#[derive(Debug, Clone)]
pub struct Framebuffer {
    width: u16,
    height: u16,
    rgb: Vec<u8>,
    /// One bit a pixel: painted at least once.
    painted: Vec<u64>,
    covered: u64,
    palette: Palette,
    updates: u64,
    rectangles: u64,
    failed_rectangles: u64,
    painted_pixels: u64,
}

/// What one bitmap update did to the framebuffer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ApplyOutcome {
    /// Rectangles decoded and blitted.
    pub rectangles: usize,
    /// Pixels written (after clipping to the desktop; overdraw counts again).
    pub painted_pixels: u64,
    /// Rectangles that could not be decoded, with their index in the update. The others were
    /// still painted: a screenshot with one bad tile is better than none.
    pub failures: Vec<(usize, GraphicsError)>,
}

impl Framebuffer {
    /// A black desktop of the size the server announced in Demand Active (TS_BITMAP_CAPABILITYSET
    /// desktopWidth / desktopHeight, MS-RDPBCGR 2.2.7.1.2). Refuses zero and sizes beyond
    /// [`MAX_DESKTOP_DIM`] / [`MAX_DESKTOP_PIXELS`] before allocating.
    pub fn new(width: u16, height: u16) -> Result<Self, GraphicsError> {
        check_size("desktop", width.into(), height.into(), MAX_DESKTOP_DIM, MAX_DESKTOP_PIXELS)?;
        let pixels = usize::from(width) * usize::from(height);
        Ok(Framebuffer {
            width,
            height,
            rgb: vec![0; pixels * 3],
            painted: vec![0; pixels.div_ceil(64)],
            covered: 0,
            palette: Palette::default(),
            updates: 0,
            rectangles: 0,
            failed_rectangles: 0,
            painted_pixels: 0,
        })
    }

    /// Desktop width in pixels.
    pub fn width(&self) -> u16 {
        self.width
    }
    /// Desktop height in pixels.
    pub fn height(&self) -> u16 {
        self.height
    }
    /// The pixels: top-down rows, R, G, B.
    pub fn rgb(&self) -> &[u8] {
        &self.rgb
    }
    /// The colour of one pixel, `None` outside the desktop.
    pub fn pixel(&self, x: u16, y: u16) -> Option<[u8; 3]> {
        if x >= self.width || y >= self.height {
            return None;
        }
        let at = (usize::from(y) * usize::from(self.width) + usize::from(x)) * 3;
        match self.rgb.get(at..at + 3) {
            Some([r, g, b]) => Some([*r, *g, *b]),
            _ => None,
        }
    }
    /// Bitmap and palette updates applied.
    pub fn updates(&self) -> u64 {
        self.updates
    }
    /// Rectangles blitted.
    pub fn rectangles(&self) -> u64 {
        self.rectangles
    }
    /// Rectangles that failed to decode.
    pub fn failed_rectangles(&self) -> u64 {
        self.failed_rectangles
    }
    /// Pixels written in all (overdraw counts again).
    pub fn painted_pixels(&self) -> u64 {
        self.painted_pixels
    }
    /// Distinct desktop pixels painted at least once.
    pub fn covered_pixels(&self) -> u64 {
        self.covered
    }
    /// Every desktop pixel has been painted.
    pub fn fully_painted(&self) -> bool {
        self.covered == u64::from(self.width) * u64::from(self.height)
    }

    /// A palette update: the colour table of later 8 bpp bitmaps.
    pub fn apply_palette(&mut self, update: &PaletteUpdate) {
        self.palette.apply(update);
        self.updates += 1;
    }

    /// Decodes and blits every rectangle of a bitmap update, in order.
    pub fn apply_bitmap_update(&mut self, update: &BitmapUpdate<'_>) -> ApplyOutcome {
        self.updates += 1;
        let mut out = ApplyOutcome::default();
        for (n, rect) in update.rectangles.iter().enumerate() {
            match decode_bitmap(rect, &self.palette) {
                Ok(bitmap) => {
                    out.painted_pixels +=
                        self.blit(&bitmap, rect.dest_left, rect.dest_top, rect.dest_right, rect.dest_bottom);
                    out.rectangles += 1;
                }
                Err(e) => out.failures.push((n, e)),
            }
        }
        self.rectangles += out.rectangles as u64;
        self.failed_rectangles += out.failures.len() as u64;
        self.painted_pixels += out.painted_pixels;
        out
    }

    /// Decodes an update body whatever its type: bitmap and palette updates are applied, other
    /// types (orders, synchronize, unknown) are ignored and give an empty outcome.
    pub fn apply_update_body(&mut self, body: &[u8]) -> Result<ApplyOutcome, GraphicsError> {
        use super::update::UpdateType;
        match UpdateType::of(body)? {
            UpdateType::Bitmap => Ok(self.apply_bitmap_update(&BitmapUpdate::decode(body)?)),
            UpdateType::Palette => {
                self.apply_palette(&PaletteUpdate::decode(body)?);
                Ok(ApplyOutcome::default())
            }
            UpdateType::Orders | UpdateType::Synchronize | UpdateType::Unknown(_) => Ok(ApplyOutcome::default()),
        }
    }

    /// Copies a bitmap to the inclusive destination rectangle, clipped to the bitmap's own size
    /// and to the desktop. Returns the pixels written.
    pub fn blit(&mut self, bitmap: &Bitmap, left: u16, top: u16, right: u16, bottom: u16) -> u64 {
        if right < left || bottom < top || left >= self.width || top >= self.height {
            return 0;
        }
        let cols = usize::from(right - left + 1).min(usize::from(bitmap.width)).min(usize::from(self.width - left));
        let rows = usize::from(bottom - top + 1).min(usize::from(bitmap.height)).min(usize::from(self.height - top));
        let (fw, bw) = (usize::from(self.width), usize::from(bitmap.width));
        let mut written = 0u64;
        for y in 0..rows {
            let src_at = y * bw * 3;
            let dst_px = (usize::from(top) + y) * fw + usize::from(left);
            let (Some(src), Some(dst)) =
                (bitmap.rgb.get(src_at..src_at + cols * 3), self.rgb.get_mut(dst_px * 3..(dst_px + cols) * 3))
            else {
                continue;
            };
            dst.copy_from_slice(src);
            for px in dst_px..dst_px + cols {
                if let Some(word) = self.painted.get_mut(px / 64) {
                    let bit = 1u64 << (px % 64);
                    if *word & bit == 0 {
                        *word |= bit;
                        self.covered += 1;
                    }
                }
            }
            written += cols as u64;
        }
        written
    }

    /// The desktop as a PNG file's bytes (8-bit RGB, no interlacing). The caller writes the file.
    pub fn to_png(&self) -> Result<Vec<u8>, GraphicsError> {
        let mut out = Vec::new();
        {
            let mut enc = png::Encoder::new(&mut out, self.width.into(), self.height.into());
            enc.set_color(png::ColorType::Rgb);
            enc.set_depth(png::BitDepth::Eight);
            enc.set_compression(png::Compression::Fast);
            let mut writer = enc.write_header().map_err(|e| GraphicsError::Png(e.to_string()))?;
            writer.write_image_data(&self.rgb).map_err(|e| GraphicsError::Png(e.to_string()))?;
            writer.finish().map_err(|e| GraphicsError::Png(e.to_string()))?;
        }
        Ok(out)
    }
}

/// When the first screen counts as settled (issue 13: collect updates "until the screen
/// settles, within a deadline"; the deadline is the caller's).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SettlePolicy {
    /// Settled after this long without new paint, once something was painted.
    pub quiet_ms: u64,
    /// Settled after this shorter quiet time once every desktop pixel was painted.
    pub quiet_after_full_ms: u64,
}

impl Default for SettlePolicy {
    /// 1 s of quiet, or 200 ms once the whole desktop is painted (xrdp paints its logon screen
    /// within about 100 ms on loopback).
    fn default() -> Self {
        SettlePolicy { quiet_ms: 1000, quiet_after_full_ms: 200 }
    }
}

/// The settle heuristic as pure state: the caller feeds its own times (milliseconds from any
/// origin, non-decreasing) and the pixels each update painted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SettleTracker {
    /// The policy.
    pub policy: SettlePolicy,
    /// Time of the first update that painted something.
    pub first_paint_ms: Option<u64>,
    /// Time of the latest update that painted something.
    pub last_paint_ms: Option<u64>,
}

impl SettleTracker {
    /// A tracker with the given policy.
    pub fn new(policy: SettlePolicy) -> Self {
        SettleTracker { policy, first_paint_ms: None, last_paint_ms: None }
    }

    /// Records an update at `time_ms` that painted `painted_pixels`.
    pub fn observe(&mut self, time_ms: u64, painted_pixels: u64) {
        if painted_pixels > 0 {
            self.first_paint_ms.get_or_insert(time_ms);
            self.last_paint_ms = Some(time_ms);
        }
    }

    /// Whether the screen has settled at `now_ms`: something was painted and nothing new for
    /// `quiet_ms`, or the desktop is fully painted and nothing new for `quiet_after_full_ms`.
    pub fn settled(&self, now_ms: u64, fully_painted: bool) -> bool {
        let Some(last) = self.last_paint_ms else { return false };
        let quiet = now_ms.saturating_sub(last);
        quiet >= self.policy.quiet_ms || (fully_painted && quiet >= self.policy.quiet_after_full_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn solid(w: u16, h: u16, c: [u8; 3]) -> Bitmap {
        Bitmap { width: w, height: h, rgb: c.repeat(usize::from(w) * usize::from(h)) }
    }

    #[test]
    fn desktop_limits() {
        assert!(Framebuffer::new(0, 600).is_err());
        assert!(Framebuffer::new(8193, 600).is_err());
        assert!(Framebuffer::new(8192, 8192).is_err(), "over the pixel cap");
        let e = Framebuffer::new(u16::MAX, u16::MAX).unwrap_err();
        assert!(matches!(e, GraphicsError::TooLarge { what: "desktop", .. }));
        assert!(Framebuffer::new(3840, 2160).is_ok());
    }

    #[test]
    fn blit_clips_to_desktop_and_bitmap_and_counts_coverage() {
        let mut fb = Framebuffer::new(4, 3).unwrap();
        // Destination 2 wide but the bitmap is 4 wide: only 2 columns drawn.
        assert_eq!(fb.blit(&solid(4, 1, [1, 2, 3]), 0, 0, 1, 0), 2);
        assert_eq!(fb.pixel(1, 0), Some([1, 2, 3]));
        assert_eq!(fb.pixel(2, 0), Some([0, 0, 0]));
        // Past the right and bottom edges: clipped to 2x2.
        assert_eq!(fb.blit(&solid(8, 8, [9, 9, 9]), 2, 1, 9, 9), 4);
        assert_eq!(fb.pixel(3, 2), Some([9, 9, 9]));
        assert_eq!(fb.pixel(4, 2), None);
        // Outside, inverted, or with overdraw.
        assert_eq!(fb.blit(&solid(1, 1, [0, 0, 0]), 4, 0, 4, 0), 0);
        assert_eq!(fb.blit(&solid(1, 1, [0, 0, 0]), 2, 2, 1, 2), 0);
        assert_eq!(fb.covered_pixels(), 6);
        assert!(!fb.fully_painted());
        fb.blit(&solid(4, 3, [5, 5, 5]), 0, 0, 3, 2);
        assert!(fb.fully_painted());
        let png = fb.to_png().unwrap();
        assert_eq!(png.get(..8), Some(&b"\x89PNG\r\n\x1a\n"[..]));
    }

    #[test]
    fn settle_heuristic() {
        let mut s = SettleTracker::new(SettlePolicy { quiet_ms: 500, quiet_after_full_ms: 100 });
        assert!(!s.settled(10_000, true), "nothing painted yet");
        s.observe(100, 0);
        assert!(!s.settled(10_000, false));
        s.observe(200, 64);
        s.observe(400, 64);
        assert_eq!(s.first_paint_ms, Some(200));
        assert!(!s.settled(899, false));
        assert!(s.settled(900, false));
        assert!(!s.settled(499, true));
        assert!(s.settled(500, true));
        assert!(!s.settled(0, true), "a clock going backwards is not quiet time");
    }
}
