//! Integration tests against real servers on loopback (see the `rdp_probe_tests` harness,
//! tests/src/).

mod diag_cli;
mod findings;
mod mcs;
mod negotiation;
mod nla;
mod scan;
mod snapshots;
mod tls;
