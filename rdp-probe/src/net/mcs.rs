//! The mcs step driver (owned by the mcs issue; placeholder until it lands).

use super::Ctx;
use crate::report::Report;
use crate::target::Target;
use std::net::SocketAddr;

/// Runs the mcs step when the negotiation answers allow it, filling `report.mcs`.
pub(crate) async fn run_step(_ctx: &mut Ctx<'_>, _addr: SocketAddr, _target: &Target, _report: &mut Report) {}
