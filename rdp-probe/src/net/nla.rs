//! The nla step driver (owned by the nla issue; placeholder until it lands).

use super::Ctx;
use crate::report::Report;
use crate::target::Target;
use std::net::SocketAddr;

/// Runs the nla step when the negotiation answers allow it, filling `report.nla`.
pub(crate) async fn run_step(_ctx: &mut Ctx<'_>, _addr: SocketAddr, _target: &Target, _report: &mut Report) {}
