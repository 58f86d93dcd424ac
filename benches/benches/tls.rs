//! TLS record/flight parser and certificate report throughput on a captured xrdp flight.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use rdp_probe::steps::tls_cert::{certificate_report, chain_report};
use rdp_probe::wire::tls::{ClientHello, OfferedVersion, ServerFlight};
use std::hint::black_box;

const LEGACY: &[u8] = include_bytes!("../../rdp-probe/tests/vectors/tls/xrdp-tls-legacy-33900-server-flight.bin");

fn leaf() -> Vec<u8> {
    let mut f = ServerFlight::new();
    f.feed(LEGACY).expect("vector parses");
    f.certificates.into_iter().next().expect("certificate")
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("tls");
    g.throughput(Throughput::Bytes(LEGACY.len() as u64));
    g.bench_function("server_flight", |b| {
        b.iter(|| {
            let mut f = ServerFlight::new();
            f.feed(black_box(LEGACY)).expect("parses");
            f
        })
    });
    let der = leaf();
    g.throughput(Throughput::Bytes(der.len() as u64));
    g.bench_function("certificate_report", |b| {
        b.iter(|| certificate_report(black_box(&der), 1_800_000_000, Some("rdp-target.test")))
    });
    g.bench_function("chain_report", |b| {
        b.iter(|| chain_report(black_box(std::slice::from_ref(&der)), 1_800_000_000, None))
    });
    g.bench_function("client_hello_encode", |b| {
        let all = rdp_probe::wire::tls::suites::legacy_suites();
        b.iter(|| ClientHello::new(OfferedVersion::Tls12, black_box(all.clone()), Some("host.example")).encode())
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
