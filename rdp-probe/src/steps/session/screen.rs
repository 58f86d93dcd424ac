//! Where the session's graphics updates go: the graphics module's [`Framebuffer`] (bitmap and
//! palette updates to pixels, then a PNG), behind a small trait so the machine's replay tests
//! can record what it hands over. The machine only frames and reassembles updates; decoding is
//! the screen's.

use crate::graphics::Framebuffer;
use crate::wire::rdp::output::{FastPathUpdateCode, SlowPathUpdate};

/// A screen the session draws on.
pub(crate) trait Screen: Send {
    /// A slow-path Update PDU (2.2.9.1.1.3): updateType and its data. Returns the pixels it
    /// painted.
    fn slow_path(&mut self, update: &SlowPathUpdate) -> u64;
    /// A whole (reassembled, uncompressed) fast-path update (2.2.9.1.2.1). Returns the pixels
    /// it painted.
    fn fast_path(&mut self, code: FastPathUpdateCode, data: &[u8]) -> u64;
    /// Whether every desktop pixel was painted at least once.
    fn fully_painted(&self) -> bool;
    /// The screen as PNG, when it can be encoded.
    fn png(&self) -> Option<Vec<u8>>;
}

impl std::fmt::Debug for dyn Screen {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Screen")
    }
}

impl Screen for Framebuffer {
    fn slow_path(&mut self, update: &SlowPathUpdate) -> u64 {
        let mut body = Vec::with_capacity(update.data.len() + 2);
        update.encode(&mut body);
        self.apply_update_body(&body).map_or(0, |o| o.painted_pixels)
    }

    fn fast_path(&mut self, code: FastPathUpdateCode, data: &[u8]) -> u64 {
        // TS_FP_UPDATE_BITMAP and TS_FP_UPDATE_PALETTE carry the slow-path body, updateType
        // included (2.2.9.1.2.1.1-2); surface commands and orders are not decoded.
        match code {
            FastPathUpdateCode::Bitmap | FastPathUpdateCode::Palette => {
                self.apply_update_body(data).map_or(0, |o| o.painted_pixels)
            }
            _ => 0,
        }
    }

    fn fully_painted(&self) -> bool {
        Framebuffer::fully_painted(self)
    }

    fn png(&self) -> Option<Vec<u8>> {
        self.to_png().ok()
    }
}

/// Makes the screen once the desktop size is known (width, height, bpp).
pub(crate) type Factory = Box<dyn FnMut(u16, u16, u16) -> Option<Box<dyn Screen>> + Send>;

/// A framebuffer of the desktop size; none for a desktop beyond the graphics module's caps
/// ([`crate::graphics::MAX_DESKTOP_PIXELS`]): the session goes on without a screenshot.
pub(crate) fn factory() -> Option<Factory> {
    Some(Box::new(|w, h, _bpp| Framebuffer::new(w, h).ok().map(|f| Box::new(f) as Box<dyn Screen>)))
}
