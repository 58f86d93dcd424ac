//! Benchmark helpers for rdp-probe: [`delay_proxy`] (emulated round trip time on loopback),
//! used by the `latency` bench binary and usable by tests; [`report`] (what the bench binaries
//! share to summarise runs).

pub mod delay_proxy;
pub mod report;
