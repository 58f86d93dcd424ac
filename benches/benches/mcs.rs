//! Server MCS Connect-Response decoding: BER, GCC PER, server blocks and the proprietary
//! certificate (captured from xrdp, crypt_level=high, 2048-bit key).

use criterion::{criterion_group, criterion_main, Criterion};
use rdp_probe::wire::gcc::{ConferenceCreateResponse, ServerBlocks};
use rdp_probe::wire::mcs::ServerMcsPdu;
use std::hint::black_box;

const XRDP_HIGH: &[u8] =
    include_bytes!("../../rdp-probe/tests/vectors/mcs/xrdp-rdp-high-33891-mcs/mcs-connect-response-meth0x1b.bin");

fn decode(frame: &[u8]) -> Option<ServerBlocks> {
    let data = rdp_probe::wire::x224::decode_data(frame).ok()?;
    let ServerMcsPdu::ConnectResponse(cr) = ServerMcsPdu::decode(data).ok()? else { return None };
    let ccr = ConferenceCreateResponse::decode(cr.user_data.as_deref()?).ok()?;
    Some(ServerBlocks::decode(&ccr.user_data))
}

fn bench(c: &mut Criterion) {
    c.bench_function("mcs_connect_response_decode", |b| b.iter(|| decode(black_box(XRDP_HIGH))));
    c.bench_function("mcs_connect_response_report", |b| {
        b.iter(|| decode(black_box(XRDP_HIGH)).map(|blocks| rdp_probe::report::McsReport::from_blocks(&blocks)))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
