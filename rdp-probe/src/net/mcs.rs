//! The MCS step driver: opens or reuses connections and drives the `steps::mcs` machines on
//! them: Connect Initial / Connect Response over whatever the negotiation allows (plain TCP with
//! Standard RDP Security, or inside TLS), then one connection per encryption method under
//! Standard RDP Security. Stops after the Connect Response: no Erect Domain, no logon, no
//! licensing. Every decision and the report section come from `steps::mcs`.

use super::drive::drive;
use super::{Ctx, NetError, Stream};
use crate::report::mcs::{EncryptionMethod, StepError};
use crate::report::{McsReport, Phase, Report};
use crate::scan::target::Target;
use crate::steps::mcs::{self as step, Connect, Outcome, Output, Path, Refusal};
use crate::steps::negotiation::Exchange;
use crate::wire::gcc::EncryptionMethods;
use crate::wire::x224::{NegotiationRequest, Protocol, SecurityProtocols};
use std::net::SocketAddr;
use std::time::Instant;

/// The error of the MCS-over-TLS path: a failed TLS upgrade is judged with the TLS step's
/// facts (rdp-probe's own limitation, or what the server sent instead of TLS).
fn tls_path_error(e: &NetError, tls: Option<&crate::report::tls::TlsReport>) -> StepError {
    if e.phase != Phase::Tls {
        return step::step_error(e);
    }
    let (client_limitation, detail) = super::tls::judge_upgrade_failure(e, tls);
    let kind = if client_limitation { crate::report::ErrorKind::ClientLimitation } else { e.error_kind() };
    StepError { phase: e.phase, detail, client_limitation, kind: Some(kind) }
}

/// One Standard RDP Security exchange offering `methods`: on `kept` (a negotiation connection,
/// its X.224 answer read first) when given, else (or when the kept one closed while it waited)
/// on a new connection that runs the X.224 exchange first.
async fn rdp_attempt(
    ctx: &Ctx<'_>,
    addr: SocketAddr,
    legacy: bool,
    methods: EncryptionMethods,
    label: &str,
    kept: Option<(Stream, crate::wire::x224::ServerAnswer)>,
) -> Output {
    if let Some((mut s, answer)) = kept {
        if let Err(r) = Refusal::check(Protocol::Rdp, &answer) {
            return Ok(Outcome::Refused(r));
        }
        match drive(ctx, &mut s, &mut Connect::new(0, methods), &mut Default::default()).await {
            // A kept connection closed while it waited: ask again on a new one.
            Err(e) if e.closed_by_peer() => {}
            out => return out,
        }
    }
    let mut s = ctx.open(addr, label).await?;
    let neg = (!legacy).then_some(NegotiationRequest {
        flags: Default::default(),
        requested_protocols: SecurityProtocols(Protocol::Rdp.value()),
    });
    let mut m = Connect::after_x224(Exchange::new(ctx.opts.cookie.clone(), neg), Protocol::Rdp, methods);
    drive(ctx, &mut s, &mut m, &mut Default::default()).await
}

/// The Standard RDP Security exchanges: the Connect Initial offering every method, then
/// (when it got an answer and the methods step is on) one connection per method.
pub(crate) struct RdpProbes {
    all: Output,
    methods: Option<Vec<(EncryptionMethod, Output)>>,
}

/// Whether a kept negotiation connection can carry a per-method offer: its request (with
/// RDP_NEG_REQ) got PROTOCOL_RDP, asked for or as a downgrade; the server then waits for an
/// MCS Connect Initial, whatever the request asked.
fn rdp_spare(k: &super::Kept) -> bool {
    use crate::wire::x224::{NegotiationResponse, ServerAnswer};
    k.with_neg_req
        && matches!(
            &k.answer,
            ServerAnswer::Confirm(c) if matches!(
                &c.negotiation,
                Some(NegotiationResponse::Response { selected_protocol: Protocol::Rdp, .. })
            )
        )
}

/// One per-method offer on a spare kept connection (see [`rdp_spare`]), else on a new one.
async fn method_once(ctx: &Ctx<'_>, addr: SocketAddr, legacy: bool, m: EncryptionMethod) -> Output {
    let methods = m.as_set();
    let label = format!("mcs rdp methods {:#x}", methods.0);
    let spare = if legacy { None } else { ctx.take_kept_where(rdp_spare, &label) };
    rdp_attempt(ctx, addr, legacy, methods, &label, spare).await
}

/// Runs the Standard RDP Security exchanges (`legacy`: X.224 without RDP_NEG_REQ). While the
/// first offer runs, new connections for the per-method offers that no spare kept connection
/// will carry are opened and negotiated, so they are ready when its answer comes; the
/// per-method offers then run side by side.
pub(crate) async fn rdp_probes(ctx: &Ctx<'_>, addr: SocketAddr, legacy: bool) -> RdpProbes {
    // The first offer takes its kept connection before any other exchange can.
    let label = format!("mcs rdp methods {:#x}", step::FIRST_OFFER.0);
    let first = ctx.take_kept(0, !legacy, &label);
    let spares = if legacy { 0 } else { ctx.count_kept(rdp_spare) };
    let ready = if ctx.opts.steps.mcs_methods && !legacy {
        crate::report::mcs::METHODS.len().saturating_sub(1).saturating_sub(spares)
    } else {
        0
    };
    let all = rdp_attempt(ctx, addr, legacy, step::FIRST_OFFER, &label, first);
    let prepare = futures_util::future::join_all((0..ready).map(|_| async {
        let neg = NegotiationRequest { flags: Default::default(), requested_protocols: Protocol::Rdp.as_set() };
        if let Ok((s, answer)) = super::run::open_fresh(ctx, addr, neg, "mcs rdp methods").await {
            let kept = super::Kept { requested: 0, with_neg_req: true, stream: s, answer };
            if rdp_spare(&kept) {
                ctx.keep(kept);
            }
        }
    }));
    let (all, _) = futures_util::future::join(all, prepare).await;
    let offers = step::method_offers(&all, ctx.opts.steps.mcs_methods);
    let methods = if offers.is_empty() {
        None
    } else {
        let chosen = step::chosen_method(&all);
        let answers = futures_util::future::join_all(offers.iter().map(|m| {
            let all = &all;
            async move {
                if Some(*m) == chosen {
                    (*m, all.clone())
                } else {
                    (*m, method_once(ctx, addr, legacy, *m).await)
                }
            }
        }))
        .await;
        Some(answers)
    };
    RdpProbes { all, methods }
}

/// Runs the mcs step when the negotiation answers allow it, filling `report.mcs`. `early`:
/// the Standard RDP Security exchanges already run during the negotiation plan, after the
/// server accepted PROTOCOL_RDP (request 0x00).
pub(crate) async fn run_step(
    ctx: &mut Ctx<'_>,
    addr: SocketAddr,
    target: &Target,
    report: &mut Report,
    early: Option<RdpProbes>,
    early_tls: Option<Output>,
    session: Option<super::tls::TlsSession>,
) {
    if !ctx.opts.steps.mcs {
        return;
    }
    let Some(neg) = &report.negotiation else { return };
    let path = step::path(neg);
    let started = Instant::now();
    let mut out = McsReport { transport: path.transport(), ..McsReport::default() };
    match path {
        Path::Rdp { legacy } => {
            let probes = match early {
                Some(e) if !legacy => e,
                _ => rdp_probes(ctx, addr, legacy).await,
            };
            step::apply(&mut out, &probes.all);
            if let Some(results) = probes.methods {
                step::set_method_answers(&mut out, step::method_answers(results));
            }
        }
        Path::Tls => {
            let tls_facts = report.tls.clone();
            let result = match early_tls {
                Some(out) => out,
                None => tls_once(ctx, addr, target, session).await,
            };
            match result {
                Err(e) if e.phase == Phase::Tls => out.error = Some(tls_path_error(&e, tls_facts.as_ref())),
                r => step::apply(&mut out, &r),
            }
        }
        Path::NotReachable(why) => out.not_reachable = Some(why),
    }
    report.timings_ms.insert("mcs".into(), super::ms(started.elapsed()));
    report.mcs = Some(out);
}

/// Opens a connection whose X.224 negotiation selected SSL (the kept one of request 0x01, else
/// a new one); a refusal comes back as the outcome.
async fn open_ssl(ctx: &Ctx<'_>, addr: SocketAddr, label: &str) -> Result<Result<Stream, Outcome>, NetError> {
    let (s, answer) = super::run::open_negotiated(ctx, addr, Protocol::Ssl.as_set(), label).await?;
    Ok(match Refusal::check(Protocol::Ssl, &answer) {
        Ok(()) => Ok(s),
        Err(r) => Err(Outcome::Refused(r)),
    })
}

/// MCS inside TLS on a completed TLS session after request 0x01 (Enhanced RDP Security:
/// level None); `None` when the kept session closed while it waited.
pub(crate) async fn on_session(ctx: &Ctx<'_>, session: &mut super::tls::TlsSession) -> Option<Output> {
    ctx.relabel(session.stream.get_mut().0, "mcs tls");
    let mut m = Connect::new(SecurityProtocols::SSL.0, EncryptionMethods::ALL);
    match drive(ctx, &mut session.stream, &mut m, &mut Default::default()).await {
        Err(e) if e.closed_by_peer() => None,
        out => Some(out),
    }
}

/// X.224 selecting SSL, TLS, then MCS inside TLS (Enhanced RDP Security: level None): on the
/// TLS step's session after request 0x01 when it is given, else on a new connection.
async fn tls_once(
    ctx: &mut Ctx<'_>,
    addr: SocketAddr,
    target: &Target,
    session: Option<super::tls::TlsSession>,
) -> Output {
    if let Some(mut session) = session {
        if let Some(out) = on_session(ctx, &mut session).await {
            return out;
        }
    }
    let s = match open_ssl(ctx, addr, "mcs tls").await? {
        Ok(s) => s,
        Err(refused) => return Ok(refused),
    };
    let name = ctx.opts.server_name.clone().unwrap_or_else(|| target.host.clone());
    let continued = s.continued();
    let mut tls = match super::tls::upgrade(ctx, s, &name).await {
        // A kept negotiation connection closed while it waited: ask again on a new one.
        Err(e) if continued && e.closed_by_peer() => {
            let s = match open_ssl(ctx, addr, "mcs tls").await? {
                Ok(s) => s,
                Err(refused) => return Ok(refused),
            };
            super::tls::upgrade(ctx, s, &name).await?
        }
        r => r?,
    };
    let mut m = Connect::new(SecurityProtocols::SSL.0, EncryptionMethods::ALL);
    drive(ctx, &mut tls.stream, &mut m, &mut Default::default()).await
}
