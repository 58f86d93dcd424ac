//! Integration tests against real servers on loopback (see the `rdp_probe_tests` harness,
//! tests/src/).

mod negotiation;
mod nla;
mod tls;
