//! Integration tests against real servers on loopback (see the `rdp_probe_tests` harness,
//! tests/src/), and against hostile ones written in hostile.rs.

mod api;
mod diag_cli;
mod diagnosis;
mod exporter;
mod findings;
mod fuzz_regressions;
mod gnome;
mod hostile;
mod mcs;
mod negotiation;
mod nla;
mod proxy;
mod reuse;
mod roundtrip;
mod scan;
mod session;
mod snapshots;
mod tls;
mod tls_limits;
