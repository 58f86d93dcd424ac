//! Integration tests against real servers on loopback.

mod mcs;
mod nla;
