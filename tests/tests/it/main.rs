//! Integration tests against real servers on loopback.

mod nla;
mod scan;
