//! First-screen decoding (issue 13): the captured xrdp logon screen (37 bitmap updates, 16 bpp
//! Interleaved RLE, 800x600) painted on a fresh framebuffer, its largest update alone, the
//! FreeRDP shadow server's full-screen planar update (640x480), and the PNG of the result.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use rdp_probe::graphics::Framebuffer;
use std::hint::black_box;

const LOGON: &[u8] = include_bytes!("../../rdp-probe/tests/vectors/graphics/xrdp-rdp-none-33895-logon-updates.bin");
/// FreeRDP shadow: one fast-path update of 80 RDP 6.0 planar tiles (RLE, 32 bpp), 640x480.
const SHADOW: &[u8] =
    include_bytes!("../../rdp-probe/tests/vectors/graphics/shadow-rdp-23394-bitmap-update-frame23.bin");
const FRAME18: &[u8] =
    include_bytes!("../../rdp-probe/tests/vectors/graphics/xrdp-rdp-none-33895-bitmap-update-frame18.bin");

/// The update bodies of the container file (u32le length, body).
fn bodies() -> Vec<&'static [u8]> {
    let mut out = Vec::new();
    let mut i = LOGON;
    while let Some((len, rest)) = i.split_first_chunk::<4>() {
        let n = u32::from_le_bytes(*len) as usize;
        let Some((body, rest)) = rest.split_at_checked(n) else { break };
        out.push(body);
        i = rest;
    }
    out
}

fn paint(bodies: &[&[u8]]) -> Framebuffer {
    let mut fb = Framebuffer::new(800, 600).expect("desktop");
    for b in bodies {
        let _ = fb.apply_update_body(b);
    }
    fb
}

fn bench(c: &mut Criterion) {
    let all = bodies();
    let pixels: u64 = 800 * 600;
    let mut g = c.benchmark_group("graphics");
    g.throughput(Throughput::Elements(pixels));
    g.bench_function("xrdp_logon_screen_rle16_800x600", |b| b.iter(|| paint(black_box(&all))));
    g.throughput(Throughput::Bytes(FRAME18.len() as u64));
    g.bench_function("xrdp_update_3_rects_rle16", |b| b.iter(|| paint(&[black_box(FRAME18)])));
    g.throughput(Throughput::Elements(640 * 480));
    g.bench_function("shadow_screen_planar32_640x480", |b| {
        b.iter(|| {
            let mut fb = Framebuffer::new(640, 480).expect("desktop");
            fb.apply_update_body(black_box(SHADOW)).map(|o| o.painted_pixels)
        })
    });
    let fb = paint(&all);
    g.throughput(Throughput::Elements(pixels));
    g.bench_function("png_800x600", |b| b.iter(|| black_box(&fb).to_png()));
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
