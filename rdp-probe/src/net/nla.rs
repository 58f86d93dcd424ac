//! The nla step: one connection X.224 (CredSSP requested) + TLS + CredSSP/NTLM. Without
//! credentials it stops after the server's CHALLENGE (identity, version, clock); with
//! credentials it sends the NTLMv2 AUTHENTICATE and pubKeyAuth (MS-CSSP 3.1.5) and reads the
//! verdict, then stops before TSCredentials: the password never leaves us.

use super::{Ctx, NetError, NetErrorKind};
use crate::report::nla::{AuthReport, NlaError, NlaReport, NtlmInfo};
use crate::report::{ErrorKind, NegotiationReport, Phase, Report};
use crate::scan::target::Target;
use crate::steps::machine::{Framing, Read};
use crate::wire::credssp::{self, TsRequest};
use crate::wire::ntlm::{self, ChallengeMessage, NegotiateMessage, SealingState};
use crate::wire::x224::{NegotiationResponse, Protocol, SecurityProtocols, ServerAnswer};
use std::net::SocketAddr;
use std::time::{Instant, SystemTime, UNIX_EPOCH};
use tokio::io::AsyncRead;

/// What to request for the CredSSP connection, from the negotiation answers; `None` when the
/// server never accepted CredSSP.
pub(crate) fn plan(neg: &NegotiationReport) -> Option<SecurityProtocols> {
    let accepted = |p: &str| neg.protocols.get(p).map(String::as_str) == Some("accepted");
    let selected = neg.selected.as_deref();
    if matches!(selected, Some("hybrid") | Some("hybrid_ex")) {
        // The full request got CredSSP: repeat it (SSL|HYBRID|HYBRID_EX).
        Some(SecurityProtocols(crate::steps::negotiation::FULL_REQUEST))
    } else if accepted("hybrid") {
        Some(SecurityProtocols(SecurityProtocols::SSL.0 | SecurityProtocols::HYBRID.0))
    } else if accepted("hybrid_ex") {
        Some(SecurityProtocols(SecurityProtocols::SSL.0 | SecurityProtocols::HYBRID.0 | SecurityProtocols::HYBRID_EX.0))
    } else {
        None
    }
}

fn now_unix() -> f64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs_f64()).unwrap_or(0.0)
}

fn fail(phase: Phase, kind: ErrorKind, text: impl Into<String>) -> NlaError {
    NlaError { phase, text: text.into(), client_limitation: false, kind: Some(kind) }
}

fn net_fail(e: &NetError) -> NlaError {
    fail(e.phase, e.error_kind(), e.kind.to_string())
}

/// Runs the nla step when the negotiation answers allow it, filling `report.nla`.
pub(crate) async fn run_step(ctx: &mut Ctx<'_>, addr: SocketAddr, target: &Target, report: &mut Report) {
    if !ctx.opts.steps.nla {
        return;
    }
    let Some(neg) = report.negotiation.as_ref() else { return };
    let Some(requested) = plan(neg) else { return };
    let accepted = |p: &str| neg.protocols.get(p).map(String::as_str) == Some("accepted");
    let mut r = NlaReport {
        requirement: neg.nla,
        hybrid_ex: accepted("hybrid_ex") || neg.selected.as_deref() == Some("hybrid_ex"),
        requested: requested.display_names(),
        ..NlaReport::default()
    };
    let t = Instant::now();
    let tls_facts = report.tls.clone();
    if let Err(e) = exchange(ctx, addr, target, requested, tls_facts.as_ref(), &mut r).await {
        r.error = Some(e);
    }
    report.timings_ms.insert("nla".into(), super::ms(t.elapsed()));
    report.nla = Some(r);
}

/// Reads one complete DER TLV (a TSRequest, MS-CSSP 2.2.1) from the stream.
pub(crate) async fn read_ts_request<S: AsyncRead + Unpin>(ctx: &Ctx<'_>, s: &mut S) -> Result<Vec<u8>, NetError> {
    super::drive::read_frame(ctx, s, Read::new(Framing::Der, Phase::Nla)).await
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
        super::run::open_negotiated(ctx, addr, requested, "nla credssp").await.map_err(|e| net_fail(&e))?;
    let selected = selected_credssp(&answer)?;
    r.selected = Some(selected.name());
    if selected == Protocol::HybridEx {
        r.hybrid_ex = true;
    }
    if !matches!(selected, Protocol::Hybrid | Protocol::HybridEx) {
        return Err(fail(
            Phase::ReadCc,
            ErrorKind::Other,
            format!("server selected {} instead of CredSSP", selected.name()),
        ));
    }
    let server_name = ctx.opts.server_name.clone().unwrap_or_else(|| target.host.clone());
    let continued = stream.continued();
    let upgraded = match super::tls::upgrade(ctx, stream, &server_name).await {
        // A kept negotiation connection closed while it waited: ask again on a new one.
        Err(e) if continued && e.closed_by_peer() => {
            let (stream, answer) =
                super::run::open_negotiated(ctx, addr, requested, "nla credssp").await.map_err(|e| net_fail(&e))?;
            let again = selected_credssp(&answer)?;
            if !matches!(again, Protocol::Hybrid | Protocol::HybridEx) {
                return Err(fail(
                    Phase::ReadCc,
                    ErrorKind::Other,
                    format!("server selected {} instead of CredSSP", again.name()),
                ));
            }
            super::tls::upgrade(ctx, stream, &server_name).await
        }
        u => u,
    };
    let mut tls = upgraded.map_err(|e| {
        // Judged with the TLS step's facts: our own limitation, or what the server sent.
        let (client_limitation, text) = super::tls::judge_upgrade_failure(&e, tls_facts);
        let kind = if client_limitation { ErrorKind::ClientLimitation } else { e.error_kind() };
        NlaError { client_limitation, ..fail(e.phase, kind, text) }
    })?;
    continue_exchange(ctx, &mut tls, r).await
}

/// The protocol the server selected for the CredSSP request, or why there is none.
fn selected_credssp(answer: &ServerAnswer) -> Result<Protocol, NlaError> {
    match answer {
        ServerAnswer::Confirm(cc) => match &cc.negotiation {
            Some(NegotiationResponse::Response { selected_protocol, .. }) => Ok(*selected_protocol),
            Some(NegotiationResponse::Failure { code, .. }) => {
                Err(fail(Phase::ReadCc, ErrorKind::ServerRefused, format!("server refused CredSSP: {}", code.name())))
            }
            _ => Err(fail(Phase::ReadCc, ErrorKind::Other, "server answered without selecting a protocol")),
        },
        _ => Err(fail(Phase::ReadCc, ErrorKind::Other, "server did not confirm the connection")),
    }
}

/// The CredSSP exchange inside the TLS session: NEGOTIATE, CHALLENGE, and with credentials
/// AUTHENTICATE and pubKeyAuth.
async fn continue_exchange(
    ctx: &mut Ctx<'_>,
    tls: &mut super::tls::TlsSession,
    r: &mut NlaReport,
) -> Result<(), NlaError> {
    r.tls_version = tls.version.map(|v| v.to_string());
    r.tls_cipher_suite = tls.cipher_suite.clone();

    // TSRequest 1: NTLM NEGOTIATE.
    let negotiate = NegotiateMessage::default().encode();
    let req =
        TsRequest { version: credssp::CLIENT_VERSION, nego_tokens: vec![negotiate.clone()], ..Default::default() };
    ctx.write(&mut tls.stream, Phase::Nla, &req.encode()).await.map_err(|e| net_fail(&e))?;

    // TSRequest 2: the server's CHALLENGE (or an errorCode).
    let bytes = read_ts_request(ctx, &mut tls.stream).await.map_err(|e| net_fail(&e))?;
    let received_at = now_unix();
    let ts = TsRequest::decode(&bytes).map_err(|e| fail(Phase::Nla, ErrorKind::Decode, e.to_string()))?;
    r.credssp_version = Some(ts.version);
    r.cve_2018_0886_fixed = Some(ts.version >= 5);
    if let Some(code) = ts.error_code {
        r.error_code = Some(code);
        r.ntstatus = Some(credssp::ntstatus_name(code));
    }
    let Some(challenge_bytes) = ts.nego_tokens.first() else {
        return Err(fail(
            Phase::Nla,
            ErrorKind::Other,
            "the server's TSRequest carries no negoToken (no NTLM CHALLENGE)",
        ));
    };
    let challenge =
        ChallengeMessage::decode(challenge_bytes).map_err(|e| fail(Phase::Nla, ErrorKind::Decode, e.to_string()))?;
    r.ntlm = Some(NtlmInfo::from_challenge(&challenge, received_at));

    // Never send AUTHENTICATE without credentials.
    let Some(creds) = ctx.opts.credentials.clone() else { return Ok(()) };
    let user = if creds.domain.is_empty() { creds.user.clone() } else { format!("{}\\{}", creds.domain, creds.user) };
    let mut auth = AuthReport { user, ..AuthReport::default() };
    let res = check_credentials(ctx, tls, &negotiate, challenge_bytes, &challenge, ts.version, &creds, &mut auth).await;
    if let Err(e) = res {
        auth.accepted = false;
        if auth.status.is_empty() {
            auth.status = "error".into();
        }
        r.error = Some(e);
    }
    r.auth = Some(auth);
    Ok(())
}

#[allow(clippy::too_many_arguments)]
async fn check_credentials(
    ctx: &Ctx<'_>,
    tls: &mut super::tls::TlsSession,
    negotiate: &[u8],
    challenge_bytes: &[u8],
    challenge: &ChallengeMessage,
    server_version: u32,
    creds: &crate::options::Credentials,
    auth: &mut AuthReport,
) -> Result<(), NlaError> {
    let version = server_version.clamp(2, credssp::CLIENT_VERSION);
    auth.credssp_version = version;
    let key = tls
        .peer_certs
        .first()
        .and_then(|c| credssp::subject_public_key(c))
        .ok_or_else(|| fail(Phase::Tls, ErrorKind::Other, "cannot read the server certificate's public key"))?;
    let random = ntlm::AuthRandom::generate().map_err(|e| fail(Phase::Nla, ErrorKind::Other, e))?;
    let mut nonce = [0u8; 32];
    getrandom::fill(&mut nonce).map_err(|e| fail(Phase::Nla, ErrorKind::Other, format!("random: {e}")))?;
    let now = ntlm::unix_to_filetime(now_unix());
    let a = ntlm::authenticate(
        negotiate,
        challenge_bytes,
        challenge,
        &creds.user,
        &creds.domain,
        &creds.password,
        "",
        &random,
        now,
    );
    let mut client = SealingState::new(&a.exported_session_key, a.flags, true);
    let mut server = SealingState::new(&a.exported_session_key, a.flags, false);
    let (sig, sealed) = client.seal(&credssp::client_pub_key_auth(version, &nonce, &key));
    let mut pub_key_auth = sig.to_vec();
    pub_key_auth.extend_from_slice(&sealed);
    let req = TsRequest {
        version: credssp::CLIENT_VERSION,
        nego_tokens: vec![a.message],
        pub_key_auth: Some(pub_key_auth),
        client_nonce: (version >= 5).then(|| nonce.to_vec()),
        ..Default::default()
    };
    ctx.write(&mut tls.stream, Phase::Nla, &req.encode()).await.map_err(|e| net_fail(&e))?;
    let bytes = match read_ts_request(ctx, &mut tls.stream).await {
        Ok(b) => b,
        Err(e) if matches!(e.kind, NetErrorKind::Closed { .. } | NetErrorKind::Reset) => {
            auth.status = "rejected (server closed the connection)".into();
            auth.remedy = Some(
                "the server closed the connection after our AUTHENTICATE without an NTSTATUS: \
                 wrong user name or password (FreeRDP and older servers answer this way)"
                    .into(),
            );
            return Ok(());
        }
        Err(e) => return Err(net_fail(&e)),
    };
    let ts = TsRequest::decode(&bytes).map_err(|e| fail(Phase::Nla, ErrorKind::Decode, e.to_string()))?;
    if let Some(code) = ts.error_code.filter(|c| *c != 0) {
        auth.error_code = Some(code);
        auth.ntstatus = Some(credssp::ntstatus_name(code));
        match credssp::ntstatus(code) {
            Some(info) => {
                auth.status = info.status.into();
                auth.remedy = Some(info.remedy.into());
            }
            None => auth.status = format!("refused ({code:#010x})"),
        }
        return Ok(());
    }
    let Some(pka) = ts.pub_key_auth else {
        auth.status = "error".into();
        return Err(fail(Phase::Nla, ErrorKind::Other, "the server's answer has neither pubKeyAuth nor errorCode"));
    };
    let (sig, sealed) = (pka.get(..16).unwrap_or_default(), pka.get(16..).unwrap_or_default());
    let expected = credssp::expected_server_pub_key_auth(version, &nonce, &key);
    match server.unseal(sig, sealed) {
        Some(plain) if plain == expected => {
            auth.accepted = true;
            auth.status = "accepted".into();
            auth.server_key_verified = true;
            if ctx.opts.authz {
                // TODO(authz): send TSCredentials (sealed with seq 1) on HYBRID_EX and read the
                // Early User Authorization Result (MS-RDPBCGR 2.2.10.2). Not implemented: we
                // never delegate the password.
                auth.authorization = Some("not checked: --authz is not implemented yet".into());
            }
        }
        Some(_) => {
            // Credentials were accepted (the server sealed with our session key) but the bound
            // key differs: a TLS-intercepting middlebox or a server binding another key.
            auth.accepted = true;
            auth.status = "accepted (server pubKeyAuth does not match the TLS key)".into();
            auth.remedy = Some(
                "the server's pubKeyAuth does not bind the TLS certificate key: check for a TLS-intercepting proxy"
                    .into(),
            );
        }
        None => {
            auth.status = "error".into();
            return Err(fail(Phase::Nla, ErrorKind::Other, "the server's pubKeyAuth signature does not verify"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plan_from_answers() {
        let mut n = NegotiationReport::default();
        assert_eq!(plan(&n), None);
        n.protocols.insert("hybrid".into(), "accepted".into());
        assert_eq!(plan(&n), Some(SecurityProtocols(3)));
        n.selected = Some("hybrid_ex".into());
        assert_eq!(plan(&n), Some(SecurityProtocols(0x0B)));
        let mut n = NegotiationReport::default();
        n.protocols.insert("hybrid".into(), "hybrid_required_by_server".into());
        n.selected = Some("ssl".into());
        assert_eq!(plan(&n), None);
    }
}
