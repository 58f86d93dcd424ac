//! Where the session's graphics updates go: a screen that decodes them into pixels (the
//! graphics module's framebuffer) or nothing. The machine only frames and reassembles updates;
//! decoding is the screen's.

use crate::wire::rdp::output::{FastPathUpdateCode, SlowPathUpdate};

/// A screen the session draws on.
pub(crate) trait Screen: Send {
    /// A slow-path Update PDU (2.2.9.1.1.3): updateType and its data.
    fn slow_path(&mut self, update: &SlowPathUpdate);
    /// A whole (reassembled, uncompressed) fast-path update (2.2.9.1.2.1).
    fn fast_path(&mut self, code: FastPathUpdateCode, data: &[u8]);
    /// The screen as PNG, when it can be encoded.
    fn png(&self) -> Option<Vec<u8>>;
}

impl std::fmt::Debug for dyn Screen {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Screen")
    }
}

/// Makes the screen once the desktop size is known (width, height, bpp).
pub(crate) type Factory = Box<dyn FnMut(u16, u16, u16) -> Option<Box<dyn Screen>> + Send>;

/// The factory of the graphics module's screen (none yet: the session counts updates only).
pub(crate) fn factory() -> Option<Factory> {
    None
}
