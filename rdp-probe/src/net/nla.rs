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

/// Runs the nla step when the negotiation answers allow it, filling `report.nla`.
pub(crate) async fn run_step(ctx: &mut Ctx<'_>, addr: SocketAddr, target: &Target, report: &mut Report) {
    if !ctx.opts.steps.nla {
        return;
    }
    let Some(neg) = report.negotiation.as_ref() else { return };
    let Some(requested) = credssp::plan(neg) else { return };
    let mut r = credssp::new_report(neg, requested);
    let t = Instant::now();
    let tls_facts = report.tls.clone();
    if let Err(e) = exchange(ctx, addr, target, requested, tls_facts.as_ref(), &mut r).await {
        r.error = Some(e);
    }
    report.timings_ms.insert("nla".into(), super::ms(t.elapsed()));
    report.nla = Some(r);
}

async fn exchange(
    ctx: &mut Ctx<'_>,
    addr: SocketAddr,
    target: &Target,
    requested: SecurityProtocols,
    tls_facts: Option<&crate::report::tls::TlsReport>,
    r: &mut NlaReport,
) -> Result<(), NlaError> {
    let (stream, answer) =
        super::run::open_negotiated(ctx, addr, requested, "nla credssp").await.map_err(|e| credssp::net_error(&e))?;
    let selected = credssp::selected_credssp(&answer)?;
    r.selected = Some(selected);
    if selected == Protocol::HybridEx {
        r.hybrid_ex = true;
    }
    credssp::require_credssp(selected)?;
    let server_name = ctx.opts.server_name.clone().unwrap_or_else(|| target.host.clone());
    let continued = stream.continued();
    let upgraded = match super::tls::upgrade(ctx, stream, &server_name).await {
        // A kept negotiation connection closed while it waited: ask again on a new one.
        Err(e) if continued && e.closed_by_peer() => {
            let (stream, answer) = super::run::open_negotiated(ctx, addr, requested, "nla credssp")
                .await
                .map_err(|e| credssp::net_error(&e))?;
            credssp::require_credssp(credssp::selected_credssp(&answer)?)?;
            super::tls::upgrade(ctx, stream, &server_name).await
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
