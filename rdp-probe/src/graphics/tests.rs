//! The captured xrdp logon screen (tests/vectors/graphics/, cut by extract.py from an xfreerdp
//! session against xrdp at encryption level None), decoded the whole way to a PNG.

use super::*;
use sha2::Digest;

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/graphics/");

fn vector(name: &str) -> Vec<u8> {
    std::fs::read(format!("{DIR}{name}")).unwrap()
}

/// The container of all update bodies: u32le length, body; in arrival order.
fn bodies() -> Vec<Vec<u8>> {
    bodies_of("xrdp-rdp-none-33895-logon-updates.bin")
}

/// desktopWidth/desktopHeight/preferredBitsPerPixel of the TS_BITMAP_CAPABILITYSET in the
/// captured Demand Active body (MS-RDPBCGR 2.2.1.13.1.1, 2.2.7.1.2), read by hand: the Demand
/// Active decoder is another module's.
fn demand_active_desktop(name: &str) -> (u16, u16, u16) {
    let d = vector(name);
    let u16at = |o: usize| u16::from_le_bytes([d[o], d[o + 1]]);
    let mut o = 8 + usize::from(u16at(4)); // shareId, lengthSourceDescriptor, lengthCombinedCapabilities
    let n = u16at(o);
    o += 4;
    for _ in 0..n {
        let (t, len) = (u16at(o), usize::from(u16at(o + 2)));
        if t == 2 {
            return (u16at(o + 12), u16at(o + 14), u16at(o + 4));
        }
        o += len;
    }
    panic!("no bitmap capability set");
}

/// SHA-256 of the decoded 800x600 RGB logon screen, fixed after looking at the PNG (xrdp's
/// logon window on its blue background).
const LOGON_RGB_SHA256: &str = "8038e69b4a204f26c265646b1aa14b294bd70f16f93e29922ff59d086633b7aa";

#[test]
fn xrdp_logon_screen_decodes_to_the_announced_desktop() {
    let (w, h, bpp) = demand_active_desktop("xrdp-rdp-none-33895-demand-active.bin");
    assert_eq!((w, h, bpp), (800, 600, 16));
    let mut fb = Framebuffer::new(w, h).unwrap();
    let bodies = bodies();
    assert_eq!(bodies.len(), 37);
    let mut rects = 0;
    for b in &bodies {
        let u = BitmapUpdate::decode(b).unwrap();
        for r in &u.rectangles {
            // What xrdp sends by default: 16 bpp Interleaved RLE without TS_CD_HEADER.
            assert_eq!((r.bits_per_pixel, r.flags.0, r.compressed_header), (16, 0x401, None));
        }
        rects += u.rectangles.len();
        let out = fb.apply_bitmap_update(&u);
        assert!(out.failures.is_empty(), "{:?}", out.failures);
    }
    assert_eq!(fb.rectangles(), rects as u64);
    assert!(fb.fully_painted(), "covered {}", fb.covered_pixels());
    let png = fb.to_png().unwrap();
    let path = std::env::temp_dir().join("rdp-probe-xrdp-logon.png");
    std::fs::write(&path, &png).unwrap();
    let digest = crate::wire::codec::hex(&sha2::Sha256::digest(fb.rgb()));
    println!("{} {} {digest}", path.display(), png.len());
    assert_eq!(digest, LOGON_RGB_SHA256);
    // Pixels checked on the PNG by eye: teal background in both corners, the pure blue title
    // bar of "Login to vm", the light grey window body, its white top-left border.
    assert_eq!(fb.pixel(0, 0), Some([0, 158, 181]));
    assert_eq!(fb.pixel(799, 599), Some([0, 158, 181]));
    assert_eq!(fb.pixel(400, 136), Some([0, 0, 255]));
    assert_eq!(fb.pixel(300, 400), Some([222, 223, 222]));
    assert_eq!(fb.pixel(226, 130), Some([255, 255, 255]));
}

/// The single-update vectors decode on their own: three large RLE strips, a 4x15 glyph cell,
/// thirteen desktop-wide background strips (125 rows, 8 bytes each).
#[test]
fn single_update_vectors() {
    let mut fb = Framebuffer::new(800, 600).unwrap();
    for (name, rects, pixels) in [
        ("xrdp-rdp-none-33895-bitmap-update-frame18.bin", 3, 240 * 90),
        ("xrdp-rdp-none-33895-bitmap-update-frame24.bin", 1, 15),
        ("xrdp-rdp-none-33895-bitmap-update-frame49.bin", 13, 800 * 125),
    ] {
        let out = fb.apply_update_body(&vector(name)).unwrap();
        assert_eq!((out.rectangles, out.painted_pixels, out.failures.len()), (rects, pixels, 0), "{name}");
    }
    // The 8-byte fills paint the teal background.
    assert_eq!(fb.pixel(10, 100), Some([0, 158, 181]));
}

/// Every prefix of every captured body, and byte corruptions of the largest, never panic;
/// corrupted RLE data fails as a typed error or paints something, never more than the bitmap.
#[test]
fn truncated_and_corrupted_vectors_never_panic() {
    let mut fb = Framebuffer::new(800, 600).unwrap();
    for b in bodies().iter().filter(|b| b.len() < 2000) {
        for n in 0..b.len() {
            let _ = fb.apply_update_body(&b[..n]);
        }
    }
    let big = vector("xrdp-rdp-none-33895-bitmap-update-frame18.bin");
    for n in 0..big.len() {
        assert!(BitmapUpdate::decode(&big[..n]).is_err());
    }
    let u = BitmapUpdate::decode(&big).unwrap();
    let r = &u.rectangles[0];
    for at in (0..r.data.len()).step_by(13) {
        for x in [0x00, 0x0f, 0x7f, 0xf0, 0xf3, 0xf8, 0xff] {
            let mut data = r.data.to_vec();
            data[at] = x;
            let rect = BitmapData { data: &data, ..r.clone() };
            if let Ok(b) = decode_bitmap(&rect, &Palette::default()) {
                assert_eq!(b.rgb.len(), 240 * 34 * 3);
            }
            let _ = decode_bitmap(&BitmapData { data: &data[..at], ..r.clone() }, &Palette::default());
        }
    }
}

/// Lying sizes: a rectangle claiming a huge bitmap over a few bytes of data fails before the
/// codec allocates; within the caps the codec fails on the data; every depth and flag mix.
#[test]
fn hostile_sizes_depths_and_random_bodies() {
    let big = vector("xrdp-rdp-none-33895-bitmap-update-frame18.bin");
    let u = BitmapUpdate::decode(&big).unwrap();
    let r = &u.rectangles[1];
    for (w, h) in [(u16::MAX, u16::MAX), (8192, 8192), (8193, 1), (1, 8193), (8192, 512), (2048, 2048), (1, 1)] {
        for bpp in [0, 1, 8, 15, 16, 24, 32, 33, u16::MAX] {
            for flags in [0, 1, 0x400, 0x401, 0xffff] {
                let rect =
                    BitmapData { width: w, height: h, bits_per_pixel: bpp, flags: BitmapFlags(flags), ..r.clone() };
                let res = decode_bitmap(&rect, &Palette::default());
                if u64::from(w) * u64::from(h) > MAX_BITMAP_PIXELS || w > MAX_BITMAP_DIM || h > MAX_BITMAP_DIM {
                    assert!(matches!(res, Err(GraphicsError::TooLarge { .. })), "{w}x{h}");
                }
            }
        }
    }
    // Random bodies behind a plausible header (xorshift, fixed seed).
    let mut s = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        s
    };
    let mut fb = Framebuffer::new(64, 48).unwrap();
    for _ in 0..3000 {
        let len = (next() % 200) as usize;
        let mut b: Vec<u8> = vec![1, 0, 1, 0];
        for v in [next() % 70, next() % 50, next() % 90, next() % 60, next() % 40, next() % 40] {
            b.extend_from_slice(&(v as u16).to_le_bytes());
        }
        let bpp = [8u16, 15, 16, 24, 32][(next() % 5) as usize];
        b.extend_from_slice(&bpp.to_le_bytes());
        b.extend_from_slice(&[[0, 0], [1, 0], [1, 4]][(next() % 3) as usize]);
        b.extend_from_slice(&(len as u16).to_le_bytes());
        b.extend((0..len).map(|_| next() as u8));
        let _ = fb.apply_update_body(&b);
        let _ = fb.apply_update_body(&b[4..]);
    }
    // A desktop of 100,000 x 100,000 cannot even be asked for (u16), the largest u16 one is refused.
    assert!(Framebuffer::new(u16::MAX, u16::MAX).is_err());
}

/// FreeRDP 2.11 shadow server (/sec:rdp -auth, xfreerdp -gfx -compression, Xvfb 640x480x24):
/// one fast-path bitmap update of 80 RDP 6.0 planar tiles (32 bpp, 64x64 and 64x32, RLE)
/// covering the whole desktop.
#[test]
fn shadow_planar_update_paints_the_desktop() {
    let (w, h, bpp) = demand_active_desktop("shadow-rdp-23394-demand-active.bin");
    assert_eq!((w, h), (640, 480));
    let body = vector("shadow-rdp-23394-bitmap-update-frame23.bin");
    let u = BitmapUpdate::decode(&body).unwrap();
    assert_eq!(u.rectangles.len(), 80);
    for r in &u.rectangles {
        assert_eq!((r.bits_per_pixel, r.flags.0, r.width), (32, 0x401, 64));
        assert_eq!(r.data.first().map(|h| h & 0x10), Some(0x10), "planar RLE");
    }
    let mut fb = Framebuffer::new(w, h).unwrap();
    let out = fb.apply_bitmap_update(&u);
    assert!(out.failures.is_empty(), "{:?}", out.failures);
    assert!(fb.fully_painted());
    let path = std::env::temp_dir().join("rdp-probe-shadow-planar.png");
    std::fs::write(&path, fb.to_png().unwrap()).unwrap();
    assert_eq!(bpp, 32);
    // The display was painted with `xsetroot -bitmap shadow-rdp-23394-root-pattern.xbm -fg
    // '#3366cc' -bg '#ff8800'`: a 16x16 "F" (top bar, left bar, middle bar) tiled from the
    // origin. Every pixel must match: this checks planar colour order and row order.
    let (fg, bg) = ([0x33, 0x66, 0xcc], [0xff, 0x88, 0x00]);
    let mut wrong = 0;
    for y in 0..h {
        for x in 0..w {
            let (tx, ty) = (x % 16, y % 16);
            let want = if ty < 3 || tx < 3 || ((7..9).contains(&ty) && tx < 10) { fg } else { bg };
            wrong += usize::from(fb.pixel(x, y) != Some(want));
        }
    }
    assert_eq!(wrong, 0, "pixels off the pattern; see {}", path.display());
}

/// The container `name` of update bodies (u32le length, body; in arrival order).
fn bodies_of(name: &str) -> Vec<Vec<u8>> {
    let all = vector(name);
    let mut out = Vec::new();
    let mut i = &all[..];
    while !i.is_empty() {
        let n = u32::from_le_bytes(i[..4].try_into().unwrap()) as usize;
        out.push(i[4..4 + n].to_vec());
        i = &i[4 + n..];
    }
    out
}

/// Decodes the whole logon screen captured at `bpp` (palette updates applied as they come).
fn logon_at(bpp: u16) -> (Framebuffer, usize) {
    let prefix = if bpp == 16 { "xrdp-rdp-none-33895".to_string() } else { format!("xrdp-rdp-none-{bpp}bpp") };
    let (w, h, da_bpp) = demand_active_desktop(&format!("{prefix}-demand-active.bin"));
    assert_eq!((w, h, da_bpp), (800, 600, bpp));
    let mut fb = Framebuffer::new(w, h).unwrap();
    let mut palettes = 0;
    for b in bodies_of(&format!("{prefix}-logon-updates.bin")) {
        match UpdateType::of(&b).unwrap() {
            UpdateType::Palette => palettes += 1,
            _ => {
                for r in &BitmapUpdate::decode(&b).unwrap().rectangles {
                    // xrdp with bitmap_compression=true: Interleaved RLE at the session depth.
                    assert_eq!((r.bits_per_pixel, r.flags.0), (bpp, 0x401), "{bpp} bpp");
                }
            }
        }
        let out = fb.apply_update_body(&b).unwrap();
        assert!(out.failures.is_empty(), "{bpp} bpp: {:?}", out.failures);
    }
    assert!(fb.fully_painted(), "{bpp} bpp: covered {}", fb.covered_pixels());
    std::fs::write(std::env::temp_dir().join(format!("rdp-probe-xrdp-logon-{bpp}bpp.png")), fb.to_png().unwrap())
        .unwrap();
    (fb, palettes)
}

/// `c` at `bits` bits (truncated, as xrdp converts) and back to 8 bits by bit replication, as
/// the decoder expands 5-, 6-, 3- and 2-bit channels.
fn quantize(c: u8, bits: u32) -> u8 {
    let v = u32::from(c) >> (8 - bits);
    let mut out = 0u32;
    let mut shift = 8i32 - bits as i32;
    while shift > -(bits as i32) {
        out |= if shift >= 0 { v << shift } else { v >> -shift };
        shift -= bits as i32;
    }
    out as u8
}

/// The same xrdp logon screen captured at 8, 15, 16 and 24 bpp (tests/vectors/graphics/README.md:
/// xrdp honours the client's highColorDepth): every depth decodes to the full 800x600 screen,
/// 24 bpp shows xrdp.ini's colours exactly (R/B order: a pure blue title bar), 15 and 16 bpp are
/// the 24 bpp screen truncated to RGB555 / RGB565 pixel for pixel (the decoder's channel order
/// and expansion), and 8 bpp, drawn through the server's palette update, is the 24 bpp screen
/// in RGB332 everywhere but the logo (xrdp draws xrdp256.bmp instead of xrdp24b.bmp there).
#[test]
fn xrdp_logon_screen_at_every_colour_depth() {
    let (ref24, palettes) = logon_at(24);
    assert_eq!(palettes, 0);
    // xrdp.ini: blue=009cb5 (background), grey=dedede (window body), white border, and the
    // title bar in pure blue: a red one would mean R and B swapped.
    assert_eq!(ref24.pixel(0, 0), Some([0x00, 0x9c, 0xb5]));
    assert_eq!(ref24.pixel(799, 599), Some([0x00, 0x9c, 0xb5]));
    assert_eq!(ref24.pixel(300, 400), Some([0xde, 0xde, 0xde]));
    assert_eq!(ref24.pixel(226, 130), Some([0xff, 0xff, 0xff]));
    assert_eq!(ref24.pixel(400, 136), Some([0x00, 0x00, 0xff]));
    // The logo box at 8 bpp: 240x140 at (288, 175).
    let logo = |x: usize, y: usize| (288..528).contains(&x) && (175..315).contains(&y);
    for (bpp, bits, palettes_sent) in [(8, [3, 3, 2], 1), (15, [5, 5, 5], 0), (16, [5, 6, 5], 0)] {
        let (fb, palettes) = logon_at(bpp);
        assert_eq!(palettes, palettes_sent, "{bpp} bpp");
        let mut off = Vec::new();
        for (i, (got, full)) in fb.rgb().chunks(3).zip(ref24.rgb().chunks(3)).enumerate() {
            let want = [quantize(full[0], bits[0]), quantize(full[1], bits[1]), quantize(full[2], bits[2])];
            let (x, y) = (i % 800, i / 800);
            if got != want && !(bpp == 8 && logo(x, y)) {
                off.push((x, y, got.to_vec(), want));
            }
        }
        assert!(off.is_empty(), "{bpp} bpp: {} pixels off, first {:?}", off.len(), off.first());
    }
    // The 8 bpp logon screen's background is 009cb5 in RGB332: (0, 146, 170).
    let (fb8, _) = logon_at(8);
    assert_eq!(fb8.pixel(0, 0), Some([0, 146, 170]));
}
