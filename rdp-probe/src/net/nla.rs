//! The nla step's I/O: one connection X.224 (CredSSP requested) + TLS, then the CredSSP/NTLM
//! machine (`steps/credssp.rs`) driven over the TLS stream. Without credentials it stops after
//! the server's CHALLENGE (identity, version, clock); with credentials it sends the NTLMv2
//! AUTHENTICATE and pubKeyAuth (MS-CSSP 3.1.5) and reads the verdict, then stops before
//! TSCredentials: the password never leaves us.

use super::Ctx;
use crate::report::nla::{NlaError, NlaReport};
use crate::report::{ErrorKind, Report};
use crate::scan::target::Target;
use crate::steps::credssp::{self, Credssp, Logon, Secrets};
use crate::wire::x224::{Protocol, SecurityProtocols};
use std::net::SocketAddr;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

fn now_unix() -> f64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs_f64()).unwrap_or(0.0)
}

/// The CredSSP exchange run during the negotiation plan, once the full request's answer
/// (CredSSP selected) settled the request the nla step uses.
pub(crate) struct NlaEarly {
    /// The X.224 request before TLS.
    pub requested: SecurityProtocols,
    /// What the exchange filled in (the negotiation's fields are set by the step).
    pub report: NlaReport,
    /// Its time in ms.
    pub ms: f64,
}

/// Runs the CredSSP exchange after X.224 `requested`, on `kept` (the negotiation connection
/// that asked it) when given. A failed TLS upgrade is judged later, with the TLS step's facts.
pub(crate) async fn early(
    ctx: &Ctx<'_>,
    addr: SocketAddr,
    server_name: &str,
    requested: SecurityProtocols,
    kept: Option<(super::Stream, crate::wire::x224::ServerAnswer)>,
) -> NlaEarly {
    let t = Instant::now();
    let mut report = NlaReport::default();
    if let Err(e) = exchange(ctx, addr, server_name, requested, None, kept, &mut report).await {
        report.error = Some(e);
    }
    NlaEarly { requested, report, ms: super::ms(t.elapsed()) }
}

/// Runs the nla step when the negotiation answers allow it, filling `report.nla`. `early`:
/// the exchange run during the plan, used when it asked the same and its TLS upgrade did not
/// fail (a failure is judged with the TLS step's facts, so it runs again).
pub(crate) async fn run_step(
    ctx: &mut Ctx<'_>,
    addr: SocketAddr,
    target: &Target,
    report: &mut Report,
    early: Option<NlaEarly>,
) {
    if !ctx.opts.steps.nla {
        return;
    }
    let Some(neg) = report.negotiation.as_ref() else { return };
    let Some(requested) = credssp::plan(neg) else { return };
    let base = credssp::new_report(neg, requested);
    let usable = |e: &NlaEarly| {
        e.requested == requested && e.report.error.as_ref().is_none_or(|x| x.phase != crate::report::Phase::Tls)
    };
    let (mut r, took) = match early {
        Some(e) if usable(&e) => (e.report, e.ms),
        _ => {
            let t = Instant::now();
            let tls_facts = report.tls.clone();
            let mut r = NlaReport::default();
            let name = ctx.opts.server_name.clone().unwrap_or_else(|| target.host.clone());
            if let Err(e) = exchange(ctx, addr, &name, requested, tls_facts.as_ref(), None, &mut r).await {
                r.error = Some(e);
            }
            (r, super::ms(t.elapsed()))
        }
    };
    r.requirement = base.requirement;
    r.requested = base.requested;
    r.hybrid_ex |= base.hybrid_ex;
    report.timings_ms.insert("nla".into(), took);
    report.nla = Some(r);
}

async fn exchange(
    ctx: &Ctx<'_>,
    addr: SocketAddr,
    server_name: &str,
    requested: SecurityProtocols,
    tls_facts: Option<&crate::report::tls::TlsReport>,
    kept: Option<(super::Stream, crate::wire::x224::ServerAnswer)>,
    r: &mut NlaReport,
) -> Result<(), NlaError> {
    let (stream, answer) = match kept {
        Some(k) => k,
        None => super::run::open_negotiated(ctx, addr, requested, "nla credssp")
            .await
            .map_err(|e| credssp::net_error(&e))?,
    };
    let selected = credssp::selected_credssp(&answer)?;
    r.selected = Some(selected);
    if selected == Protocol::HybridEx {
        r.hybrid_ex = true;
    }
    credssp::require_credssp(selected)?;
    let continued = stream.continued();
    let upgraded = match super::tls::upgrade(ctx, stream, server_name).await {
        // A kept negotiation connection closed while it waited: ask again on a new one.
        Err(e) if continued && e.closed_by_peer() => {
            let (stream, answer) = super::run::open_negotiated(ctx, addr, requested, "nla credssp")
                .await
                .map_err(|e| credssp::net_error(&e))?;
            credssp::require_credssp(credssp::selected_credssp(&answer)?)?;
            super::tls::upgrade(ctx, stream, server_name).await
        }
        u => u,
    };
    let mut tls = upgraded.map_err(|e| {
        // Judged with the TLS step's facts: our own limitation, or what the server sent.
        let (client_limitation, text) = super::tls::judge_upgrade_failure(&e, tls_facts);
        let kind = if client_limitation { ErrorKind::ClientLimitation } else { e.error_kind() };
        NlaError { client_limitation, ..NlaError::new(e.phase, kind, text) }
    })?;
    r.tls_version = tls.version;
    r.tls_cipher_suite = tls.cipher_suite.clone();

    // The CredSSP exchange inside the TLS session: NEGOTIATE, CHALLENGE, and with credentials
    // AUTHENTICATE and pubKeyAuth.
    let logon = ctx.opts.credentials.clone().map(|credentials| Logon {
        credentials,
        server_key: tls.peer_certs.first().and_then(|c| crate::wire::credssp::subject_public_key(c)),
        secrets: Secrets::generate(),
        delegate: false,
    });
    let mut machine = Credssp::new(logon, Box::new(now_unix));
    let out = super::drive::drive(ctx, &mut tls.stream, &mut machine, &mut super::drive::Times::default()).await;
    credssp::report(&out, ctx.opts.authz, r);
    Ok(())
}
