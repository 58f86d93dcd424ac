//! The MCS step driver: Connect-Initial / Connect-Response over whatever the negotiation allows
//! (plain TCP with Standard RDP Security, or inside TLS), then one connection per encryption
//! method under Standard RDP Security. Stops after the Connect-Response: no Erect Domain, no
//! logon, no licensing.

use super::{Ctx, NetError, NetErrorKind, Stream};
use crate::report::mcs::{MethodAnswer, StepError, METHODS};
use crate::report::{McsReport, NlaRequirement, Phase, Report};
use crate::scan::target::Target;
use crate::wire::gcc::{self, ClientBlocks, ConferenceCreateResponse, EncryptionMethods, ServerBlocks};
use crate::wire::mcs::{self, ConnectInitial, ServerMcsPdu};
use crate::wire::x224::{
    self, ConnectionConfirm, ConnectionRequest, NegotiationResponse, Protocol, SecurityProtocols, ServerAnswer,
};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Instant;
use tokio::io::{AsyncRead, AsyncWrite};

/// What one Connect-Initial brought back.
pub(crate) enum Outcome {
    /// A Connect-Response with rt-successful and server data.
    Blocks(Box<mcs::ConnectResponse>, Box<ServerBlocks>),
    /// A Connect-Response with another result.
    Failed(u32),
    /// A Disconnect-Provider-Ultimatum.
    Disconnect(u8),
}

fn decode_err(e: crate::wire::codec::DecodeError) -> NetError {
    NetError::new(Phase::Mcs, NetErrorKind::Decode(e))
}

/// The Connect-Initial frame (TPKT + X.224 DT + BER) offering `methods`.
fn connect_initial_frame(selected: u32, methods: EncryptionMethods) -> Result<Vec<u8>, NetError> {
    let blocks = ClientBlocks::mstsc(selected, methods).encode();
    let gcc = gcc::encode_conference_create_request(&blocks).map_err(decode_err)?;
    let ci = ConnectInitial::new(gcc).encode().map_err(decode_err)?;
    x224::encode_data(&ci).map_err(decode_err)
}

/// Sends the Connect-Initial and reads the answer.
async fn exchange<S: AsyncRead + AsyncWrite + Unpin>(
    ctx: &Ctx<'_>,
    s: &mut S,
    selected: u32,
    methods: EncryptionMethods,
) -> Result<Outcome, NetError> {
    let frame = connect_initial_frame(selected, methods)?;
    ctx.write(s, Phase::Mcs, &frame).await?;
    let answer = ctx.read_tpkt(s, Phase::Mcs).await?;
    let data = x224::decode_data(&answer).map_err(decode_err)?;
    match ServerMcsPdu::decode(data).map_err(decode_err)? {
        ServerMcsPdu::DisconnectProviderUltimatum { reason } => Ok(Outcome::Disconnect(reason)),
        ServerMcsPdu::ConnectResponse(cr) => {
            if cr.result != 0 {
                return Ok(Outcome::Failed(cr.result));
            }
            let ud = cr.user_data.as_deref().unwrap_or_default();
            let ccr = ConferenceCreateResponse::decode(ud).map_err(decode_err)?;
            let blocks = ServerBlocks::decode(&ccr.user_data);
            Ok(Outcome::Blocks(Box::new(cr), Box::new(blocks)))
        }
    }
}

/// Opens a connection whose X.224 negotiation selected `want` (PROTOCOL_RDP or SSL); `legacy`
/// sends a CR without RDP_NEG_REQ.
async fn open(ctx: &Ctx<'_>, addr: SocketAddr, want: Protocol, legacy: bool, label: &str) -> Result<Stream, NetError> {
    if legacy {
        if let Some((s, answer)) = ctx.take_kept(0, false, label) {
            return match answer {
                ServerAnswer::Confirm(cc) => match cc.negotiation {
                    None | Some(NegotiationResponse::Response { selected_protocol: Protocol::Rdp, .. }) => Ok(s),
                    other => Err(refused(other.as_ref())),
                },
                other => {
                    Err(NetError::new(Phase::ReadCc, NetErrorKind::Io(format!("no Connection Confirm: {other:?}"))))
                }
            };
        }
        let cr = ConnectionRequest { cookie: ctx.opts.cookie.clone(), negotiation: None, correlation: None };
        let bytes = cr.encode().map_err(|e| NetError::new(Phase::SendCr, NetErrorKind::Decode(e)))?;
        let mut s = ctx.open(addr, label).await?;
        ctx.write(&mut s, Phase::SendCr, &bytes).await?;
        let frame = ctx.read_tpkt(&mut s, Phase::ReadCc).await?;
        let cc =
            ConnectionConfirm::decode(&frame).map_err(|e| NetError::new(Phase::ReadCc, NetErrorKind::Decode(e)))?;
        return match cc.negotiation {
            None | Some(NegotiationResponse::Response { selected_protocol: Protocol::Rdp, .. }) => Ok(s),
            other => Err(refused(other.as_ref())),
        };
    }
    let (s, answer) = super::run::open_negotiated(ctx, addr, want.as_set(), label).await?;
    match answer {
        ServerAnswer::Confirm(ConnectionConfirm {
            negotiation: Some(NegotiationResponse::Response { selected_protocol, .. }),
            ..
        }) if selected_protocol == want => Ok(s),
        ServerAnswer::Confirm(ConnectionConfirm { negotiation: None, .. }) if want == Protocol::Rdp => Ok(s),
        ServerAnswer::Confirm(cc) => Err(refused(cc.negotiation.as_ref())),
        other => Err(NetError::new(Phase::ReadCc, NetErrorKind::Io(format!("no Connection Confirm: {other:?}")))),
    }
}

fn refused(n: Option<&NegotiationResponse>) -> NetError {
    let text = match n {
        Some(NegotiationResponse::Response { selected_protocol, .. }) => {
            format!("negotiation selected {selected_protocol}")
        }
        Some(NegotiationResponse::Failure { code, .. }) => {
            return NetError::new(
                Phase::ReadCc,
                NetErrorKind::NegotiationRefused(format!("negotiation refused: {code}")),
            )
        }
        Some(NegotiationResponse::Unknown { ty, .. }) => format!("unknown negotiation answer type {ty}"),
        None => "no negotiation answer".into(),
    };
    NetError::new(Phase::ReadCc, NetErrorKind::Io(text))
}

fn step_error(e: &NetError) -> StepError {
    StepError { phase: e.phase, detail: e.kind.to_string(), client_limitation: false, kind: Some(e.error_kind()) }
}

/// The error of the MCS-over-TLS path: a failed TLS upgrade is judged with the TLS step's
/// facts (rdp-probe's own limitation, or what the server sent instead of TLS).
fn tls_path_error(e: &NetError, tls: Option<&crate::report::tls::TlsReport>) -> StepError {
    if e.phase != Phase::Tls {
        return step_error(e);
    }
    let (client_limitation, detail) = super::tls::judge_upgrade_failure(e, tls);
    let kind = if client_limitation { crate::report::ErrorKind::ClientLimitation } else { e.error_kind() };
    StepError { phase: e.phase, detail, client_limitation, kind: Some(kind) }
}

/// Fills the report from the first (all-methods) exchange.
fn apply(report: &mut McsReport, outcome: &Outcome) {
    match outcome {
        Outcome::Blocks(cr, blocks) => {
            report.mcs_result = Some(mcs::result_name(cr.result));
            report.called_connect_id = cr.called_connect_id;
            report.domain_parameters = cr.domain_parameters;
            report.apply_blocks(blocks);
        }
        Outcome::Failed(r) => {
            report.mcs_result = Some(mcs::result_name(*r));
            report.error = Some(StepError {
                phase: Phase::Mcs,
                detail: format!("Connect-Response result {}", mcs::result_name(*r)),
                client_limitation: false,
                kind: Some(crate::report::ErrorKind::Other),
            });
        }
        Outcome::Disconnect(reason) => {
            report.error = Some(StepError {
                phase: Phase::Mcs,
                detail: format!(
                    "Disconnect-Provider-Ultimatum ({}) instead of a Connect-Response",
                    mcs::reason_name(*reason)
                ),
                client_limitation: false,
                kind: Some(crate::report::ErrorKind::Other),
            });
        }
    }
}

fn method_answer(offered: u32, r: &Result<Outcome, NetError>) -> MethodAnswer {
    match r {
        Ok(Outcome::Blocks(_, b)) => MethodAnswer::from_blocks(offered, b),
        Ok(Outcome::Failed(res)) => MethodAnswer::failed(offered, "failed", mcs::result_name(*res)),
        Ok(Outcome::Disconnect(reason)) => MethodAnswer::failed(offered, "disconnect", mcs::reason_name(*reason)),
        Err(e) => match e.kind {
            NetErrorKind::Closed { .. } | NetErrorKind::Reset => {
                MethodAnswer::failed(offered, "closed", e.kind.to_string())
            }
            _ => MethodAnswer::failed(offered, "error", format!("{}: {}", e.phase.as_str(), e.kind)),
        },
    }
}

/// One connection under Standard RDP Security offering `methods`.
async fn rdp_once(
    ctx: &Ctx<'_>,
    addr: SocketAddr,
    legacy: bool,
    methods: EncryptionMethods,
) -> Result<Outcome, NetError> {
    let label = format!("mcs rdp methods {:#x}", methods.0);
    let mut s = open(ctx, addr, Protocol::Rdp, legacy, &label).await?;
    let continued = s.continued();
    match exchange(ctx, &mut s, 0, methods).await {
        // A kept negotiation connection closed while it waited: ask again on a new one.
        Err(e) if continued && e.closed_by_peer() => {
            let mut s = open(ctx, addr, Protocol::Rdp, legacy, &label).await?;
            exchange(ctx, &mut s, 0, methods).await
        }
        r => r,
    }
}

/// The Standard RDP Security exchanges: the Connect-Initial offering every method, then
/// (when it got an answer and the methods step is on) one connection per method.
pub(crate) struct RdpProbes {
    all: Result<Outcome, NetError>,
    methods: Option<Vec<MethodProbe>>,
}

/// One per-method offer: its name, its encryptionMethods value, what came back.
type MethodProbe = (&'static str, u32, Result<Outcome, NetError>);

/// Runs the Standard RDP Security exchanges (`legacy`: X.224 without RDP_NEG_REQ); the
/// per-method offers run up to `parallel_connections` at once (xrdp's backlog is 2).
pub(crate) async fn rdp_probes(ctx: &Ctx<'_>, addr: SocketAddr, legacy: bool) -> RdpProbes {
    let all = rdp_once(ctx, addr, legacy, EncryptionMethods::ALL).await;
    let methods = if ctx.opts.steps.mcs_methods && all.is_ok() {
        Some(
            futures_util::future::join_all(METHODS.iter().map(|(name, value)| async move {
                (*name, *value, rdp_once(ctx, addr, legacy, EncryptionMethods(*value)).await)
            }))
            .await,
        )
    } else {
        None
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
) {
    if !ctx.opts.steps.mcs {
        return;
    }
    let Some(neg) = &report.negotiation else { return };
    let rdp = neg.accepted(Protocol::Rdp) || neg.legacy;
    let legacy = neg.legacy && !neg.accepted(Protocol::Rdp);
    let ssl = neg.accepted(Protocol::Ssl);
    let nla_required = neg.nla == Some(NlaRequirement::Required);
    let started = Instant::now();
    let mut out = McsReport::default();

    if rdp {
        out.transport = Some("tcp".into());
        let probes = match early {
            Some(e) if !legacy => e,
            _ => rdp_probes(ctx, addr, legacy).await,
        };
        match &probes.all {
            Ok(o) => apply(&mut out, o),
            Err(e) => out.error = Some(step_error(e)),
        }
        if let Some(results) = probes.methods {
            let mut answers = BTreeMap::new();
            for (name, value, r) in results {
                let overall = matches!(&r, Err(e) if e.phase == Phase::Overall);
                answers.insert(name.to_string(), method_answer(value, &r));
                if overall {
                    break;
                }
            }
            out.set_method_answers(answers);
        }
    } else if ssl && !nla_required {
        out.transport = Some("tls".into());
        let tls_facts = report.tls.clone();
        match tls_once(ctx, addr, target).await {
            Ok(o) => apply(&mut out, &o),
            Err(e) => out.error = Some(tls_path_error(&e, tls_facts.as_ref())),
        }
    } else if nla_required || neg.accepted(Protocol::Hybrid) || neg.accepted(Protocol::HybridEx) {
        // MCS follows CredSSP only after TSCredentials, which the probe never sends.
        out.not_reachable = Some(
            "MCS not checked: only CredSSP (NLA) was accepted, and MCS follows CredSSP only after the client delegates its credentials (TSCredentials), which rdp-probe never sends"
                .into(),
        );
    } else {
        let tried: Vec<String> = [Protocol::Rdp, Protocol::Ssl, Protocol::Hybrid]
            .iter()
            .map(|p| format!("{}: {}", p.name(), neg.verdict(*p).map_or_else(|| "not asked".into(), |v| v.name())))
            .collect();
        out.not_reachable = Some(format!(
            "MCS not reachable: the listener accepted none of Standard RDP Security, TLS and CredSSP ({})",
            tried.join(", ")
        ));
    }
    report.timings_ms.insert("mcs".into(), super::ms(started.elapsed()));
    report.mcs = Some(out);
}

/// X.224 selecting SSL, TLS, then MCS inside TLS (Enhanced RDP Security: level None).
async fn tls_once(ctx: &mut Ctx<'_>, addr: SocketAddr, target: &Target) -> Result<Outcome, NetError> {
    let s = open(ctx, addr, Protocol::Ssl, false, "mcs tls").await?;
    let name = ctx.opts.server_name.clone().unwrap_or_else(|| target.host.clone());
    let continued = s.continued();
    let mut tls = match super::tls::upgrade(ctx, s, &name).await {
        // A kept negotiation connection closed while it waited: ask again on a new one.
        Err(e) if continued && e.closed_by_peer() => {
            let s = open(ctx, addr, Protocol::Ssl, false, "mcs tls").await?;
            super::tls::upgrade(ctx, s, &name).await?
        }
        r => r?,
    };
    exchange(ctx, &mut tls.stream, SecurityProtocols::SSL.0, EncryptionMethods::ALL).await
}
