//! The session step's I/O (`--session`): one more connection that goes the whole way a client
//! goes. X.224 (the request `steps::session::plan` picks), TLS when selected, CredSSP with
//! TSCredentials when the caller allowed delegation (and the Early User Authorization Result
//! after HYBRID_EX), MCS Connect, then the `steps::session` machine until the first screen
//! settles. Every decision and the report section come from `steps::session`.

use super::drive::{self, read_frame_until};
use super::{Ctx, NetError, NetErrorKind};
use crate::report::session::{SessionPhase, SessionReport, StopReason};
use crate::report::{Phase, Report};
use crate::scan::target::Target;
use crate::steps::credssp::{Credssp, Logon, Secrets};
use crate::steps::machine::{Action, Framing, Input, Machine, Read};
use crate::steps::mcs::{Connect, Outcome as McsOutcome};
use crate::steps::negotiation::Exchange;
use crate::steps::session::machine::Session;
use crate::steps::session::{self as step, Plan, Randoms, Setup};
use crate::wire::gcc::EncryptionMethods;
use crate::wire::rdp::client_info::ClientInfo;
use crate::wire::x224::{NegotiationRequest, NegotiationResponse, Protocol, SecurityProtocols, ServerAnswer};
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncWrite};

/// Quiet time after the last graphics update that counts as a settled screen.
const SETTLE: Duration = Duration::from_millis(600);

/// Runs the session step when asked, filling `report.session`.
pub(crate) async fn run_step(ctx: &mut Ctx<'_>, addr: SocketAddr, target: &Target, report: &mut Report) {
    if !ctx.opts.steps.session {
        return;
    }
    let Some(neg) = report.negotiation.as_ref() else { return };
    let t = Instant::now();
    let opts = ctx.opts;
    let plan = step::plan(neg, opts.credentials.is_some(), opts.delegate_credentials);
    let r = match plan {
        Plan::Stop(reason, why) => step::stopped(SessionPhase::Negotiation, reason, why),
        Plan::Connect { requested, legacy } => session(ctx, addr, target, requested, legacy).await,
    };
    report.timings_ms.insert("session".into(), super::ms(t.elapsed()));
    report.session = Some(r);
}

fn net_stop(phase: SessionPhase, e: &NetError) -> SessionReport {
    let reason = match e.kind {
        NetErrorKind::Closed { .. } => StopReason::Closed,
        NetErrorKind::Reset => StopReason::Reset,
        NetErrorKind::Timeout => StopReason::Timeout,
        NetErrorKind::Decode(_) | NetErrorKind::NotTpkt(_) => StopReason::Decode,
        _ => StopReason::Error,
    };
    step::stopped(phase, reason, format!("{} during {}", e.kind, e.phase.as_str()))
}

/// The protocol the X.224 answer selected, or the stop it means.
fn selected(answer: &ServerAnswer, legacy: bool) -> Result<Protocol, Box<SessionReport>> {
    let refused = |d: String| Box::new(step::stopped(SessionPhase::Negotiation, StopReason::NegotiationRefused, d));
    match answer {
        ServerAnswer::Confirm(cc) => match &cc.negotiation {
            Some(NegotiationResponse::Response { selected_protocol, .. }) => Ok(*selected_protocol),
            Some(NegotiationResponse::Failure { code, .. }) => Err(refused(format!("negotiation refused: {code}"))),
            None if legacy => Ok(Protocol::Rdp),
            _ => Err(refused("no negotiation answer".into())),
        },
        other => Err(refused(format!("no Connection Confirm: {other:?}"))),
    }
}

async fn session(
    ctx: &mut Ctx<'_>,
    addr: SocketAddr,
    target: &Target,
    requested: SecurityProtocols,
    legacy: bool,
) -> SessionReport {
    let t0 = Instant::now();
    let mut s = match ctx.open(addr, "session").await {
        Ok(s) => s,
        Err(e) => return net_stop(SessionPhase::Connect, &e),
    };
    let neg = (!legacy).then_some(NegotiationRequest { flags: Default::default(), requested_protocols: requested });
    let answer = match drive::drive(
        ctx,
        &mut s,
        &mut Exchange::new(ctx.opts.cookie.clone(), neg),
        &mut Default::default(),
    )
    .await
    {
        Ok(a) => a,
        Err(e) => return net_stop(SessionPhase::Negotiation, &e),
    };
    let selected = match selected(&answer, legacy) {
        Ok(p) => p,
        Err(r) => return *r,
    };
    let security = step::security_of(selected);
    let gfx = match &answer {
        ServerAnswer::Confirm(cc) => match &cc.negotiation {
            Some(NegotiationResponse::Response { flags, .. }) => {
                Some(flags.contains(crate::wire::x224::NegRspFlags::DYNVC_GFX_PROTOCOL_SUPPORTED))
            }
            _ => None,
        },
        _ => None,
    };
    let mut r = match selected {
        Protocol::Rdp => after_x224(ctx, s, selected, t0).await,
        Protocol::Ssl | Protocol::Hybrid | Protocol::HybridEx => {
            let name = ctx.opts.server_name.clone().unwrap_or_else(|| target.host.clone());
            let mut tls = match super::tls::upgrade(ctx, s, &name).await {
                Ok(t) => t,
                Err(e) => return net_stop(SessionPhase::Tls, &e),
            };
            if selected != Protocol::Ssl {
                if let Err(r) = nla(ctx, &mut tls, selected).await {
                    return *r;
                }
            }
            after_x224(ctx, tls.stream, selected, t0).await
        }
        other => step::stopped(
            SessionPhase::Negotiation,
            StopReason::NegotiationRefused,
            format!("the server selected {other}, which rdp-probe cannot continue"),
        ),
    };
    r.security = Some(security);
    if let Some(c) = r.server_capabilities.as_mut() {
        c.gfx = gfx;
    }
    r
}

/// CredSSP with delegated credentials, then (HYBRID_EX) the Early User Authorization Result.
async fn nla(ctx: &Ctx<'_>, tls: &mut super::tls::TlsSession, selected: Protocol) -> Result<(), Box<SessionReport>> {
    let fail = |d: String| Box::new(step::stopped(SessionPhase::Nla, StopReason::NlaFailed, d));
    let Some(credentials) = ctx.opts.credentials.clone() else {
        return Err(Box::new(step::stopped(SessionPhase::Nla, StopReason::NlaNeedsDelegation, "no credentials")));
    };
    let logon = Logon {
        credentials,
        server_key: tls.peer_certs.first().and_then(|c| crate::wire::credssp::subject_public_key(c)),
        secrets: Secrets::generate(),
        delegate: true,
    };
    let now =
        || std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs_f64()).unwrap_or(0.0);
    let mut m = Credssp::new(Some(logon), Box::new(now));
    let out = drive::drive(ctx, &mut tls.stream, &mut m, &mut Default::default()).await;
    if !out.delegated {
        let mut nla = crate::report::NlaReport::default();
        crate::steps::credssp::report(&out, false, &mut nla);
        let why = match (nla.auth, nla.error) {
            (_, Some(e)) => e.text,
            (Some(a), None) => format!("logon {}", a.status),
            (None, None) => "the CredSSP logon did not complete".into(),
        };
        return Err(fail(format!("credentials not delegated: {why}")));
    }
    if selected == Protocol::HybridEx {
        // Early User Authorization Result (MS-RDPBCGR 2.2.10.2): 4 bytes, AUTHZ_SUCCESS = 0.
        let read = Read::new(Framing::Exact(4), Phase::Nla);
        let dl = ctx.deadline_in(ctx.opts.read_timeout);
        let b = read_frame_until(&mut tls.stream, read, dl, ctx.deadline)
            .await
            .map_err(|e| Box::new(net_stop(SessionPhase::Nla, &e)))?;
        let code = b.get(..4).and_then(|b| <[u8; 4]>::try_from(b).ok()).map_or(u32::MAX, u32::from_le_bytes);
        if code != 0 {
            let name = if code == 5 { "AUTHZ_ACCESS_DENIED".to_string() } else { format!("{code:#x}") };
            return Err(fail(format!("Early User Authorization Result: {name}")));
        }
    }
    Ok(())
}

/// MCS Connect on the negotiated stream, then the session machine.
async fn after_x224<S>(ctx: &Ctx<'_>, mut s: S, selected: Protocol, t0: Instant) -> SessionReport
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut connect = Connect::new(selected.value(), EncryptionMethods::ALL);
    let blocks = match drive::drive(ctx, &mut s, &mut connect, &mut Default::default()).await {
        Ok(McsOutcome::Connected { blocks, .. }) => blocks,
        Ok(other) => {
            return step::stopped(SessionPhase::Mcs, StopReason::McsRefused, format!("MCS Connect: {other:?}"));
        }
        Err(e) => return net_stop(SessionPhase::Mcs, &e),
    };
    let randoms = match Randoms::generate() {
        Ok(r) => r,
        Err(e) => return step::stopped(SessionPhase::Mcs, StopReason::Error, e),
    };
    let opts = ctx.opts;
    let local = ctx.first_local.get().map(|a| a.ip().to_string()).unwrap_or_else(|| "0.0.0.0".into());
    let mut client_info = ClientInfo::logon_screen(&local);
    let mut license_user = "rdp-probe".to_string();
    if selected != Protocol::Rdp && selected != Protocol::Ssl {
        // After NLA the Client Info names the user (never the password), as mstsc does.
        if let Some(c) = &opts.credentials {
            client_info = client_info.with_credentials(&c.domain, &c.user, "");
            license_user = c.user.clone();
        }
    }
    let setup = Setup {
        client_info,
        randoms,
        license_user,
        settle_ms: super::ms(SETTLE),
        deadline_ms: super::ms(opts.session_timeout),
    };
    let enhanced = selected != Protocol::Rdp;
    let cfg = match step::config(&blocks, enhanced, setup) {
        Ok(c) => c,
        Err(e) => return step::stopped(SessionPhase::SecurityExchange, StopReason::Error, e),
    };
    let screen: Option<crate::steps::session::screen::Factory> =
        if opts.screenshot { crate::steps::session::screen::factory() } else { None };
    let mut m = Session::new(cfg, screen);
    let out = drive_session(ctx, &mut s, &mut m, t0).await;
    step::report(out, step::security_of(selected), None, opts.screenshot)
}

/// The driver loop of the session machine: as `drive`, with the machine's clock set before
/// each input and reads cut at the machine's wait (graphics settle and session deadline).
async fn drive_session<S>(ctx: &Ctx<'_>, s: &mut S, m: &mut Session, t0: Instant) -> <Session as Machine>::Output
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let clock = |m: &mut Session| m.set_clock(super::ms(t0.elapsed()));
    clock(m);
    let mut action = m.start();
    loop {
        let read = match action {
            Action::Done(out) => return out,
            Action::SendLast { bytes, write_phase } => {
                let w = ctx.write(s, write_phase, &bytes).await;
                clock(m);
                return m.sent(w);
            }
            Action::Exchange { bytes, write_phase, read } => {
                if let Err(e) = ctx.write(s, write_phase, &bytes).await {
                    clock(m);
                    action = m.input(Input::Error(e));
                    continue;
                }
                read
            }
            Action::Read(read) => read,
        };
        let mut dl = ctx.deadline_in(ctx.opts.read_timeout);
        if let Some(w) = m.wait_ms() {
            dl = dl.min(Instant::now() + Duration::from_secs_f64(w / 1000.0));
        }
        let frame = read_frame_until(s, read, dl, ctx.deadline).await;
        clock(m);
        action = match frame {
            Ok(f) => m.input(Input::Frame(&f)),
            Err(e) => m.input(Input::Error(e)),
        };
    }
}
