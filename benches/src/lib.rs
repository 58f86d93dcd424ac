//! Benchmark helpers for rdp-probe: [`delay_proxy`] (emulated round trip time on loopback),
//! used by the `latency` bench binary and usable by tests.

pub mod delay_proxy;
