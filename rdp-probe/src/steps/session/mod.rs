//! The session step without I/O (`--session`, issue 13): which connection a full client path
//! takes from the negotiation answers ([`plan`]), the machine's configuration from the MCS
//! Connect Response ([`config`]), the machine itself ([`machine::Session`]: MS-RDPBCGR 1.3.1.1
//! from Erect Domain to the first screen), and the pure function that turns what it saw into
//! the `session` report section ([`report`]). `net/session.rs` only opens the connection
//! (X.224, TLS, CredSSP, MCS) and drives the machines.

pub(crate) mod machine;
pub(crate) mod screen;
pub(crate) mod security;
#[cfg(test)]
mod tests;

use crate::report::session::{
    Desktop, ServerCapabilities, SessionPhase, SessionReport, SessionSecurity, StopReason, Stopped,
};
use crate::report::{NegotiationReport, NlaRequirement};
use crate::wire::gcc::{CertificateKind, ServerBlocks, ServerCertificate};
use crate::wire::rdp::capabilities::{os_major_type_name, os_minor_type_name, Capability};
use crate::wire::rdp::client_info::ClientInfo;
use crate::wire::rdp::crypto::Method;
use crate::wire::x224::{Protocol, SecurityProtocols};
use machine::{Config, Outcome, Standard};

/// The connection the session opens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Plan {
    /// X.224 asking `requested` (without RDP_NEG_REQ when `legacy`), then whatever the server
    /// selects: Standard RDP Security, TLS, or CredSSP (only asked with delegation allowed).
    Connect {
        /// requestedProtocols.
        requested: SecurityProtocols,
        /// A pre-negotiation server: no RDP_NEG_REQ.
        legacy: bool,
    },
    /// Nothing is sent.
    Stop(StopReason, String),
}

/// The connection a stock client would take, from the negotiation answers: TLS when the
/// server accepts it without NLA, else Standard RDP Security; CredSSP only when `delegate`
/// (credentials given and delegation allowed). `credentials`: whether `--user` was given.
pub(crate) fn plan(neg: &NegotiationReport, credentials: bool, delegate: bool) -> Plan {
    let nla_required = neg.nla == Some(NlaRequirement::Required);
    let hybrid = neg.accepted(Protocol::Hybrid)
        || neg.accepted(Protocol::HybridEx)
        || matches!(neg.selected, Some(Protocol::Hybrid | Protocol::HybridEx));
    if delegate && credentials && hybrid {
        return Plan::Connect { requested: SecurityProtocols(crate::steps::negotiation::FULL_REQUEST), legacy: false };
    }
    if neg.accepted(Protocol::Ssl) && !nla_required {
        return Plan::Connect { requested: SecurityProtocols::SSL, legacy: false };
    }
    if neg.accepted(Protocol::Rdp) || neg.legacy {
        return Plan::Connect { requested: SecurityProtocols(0), legacy: neg.legacy && !neg.accepted(Protocol::Rdp) };
    }
    if nla_required || hybrid {
        let why = match (credentials, delegate) {
            (true, true) => unreachable_text(neg),
            (false, _) => "the server requires NLA: a session needs --user and --delegate-credentials (which sends the password to the server, as mstsc does); nothing was sent beyond the default probe".to_string(),
            (true, false) => "the server requires NLA: continuing after the CredSSP logon means sending the password to the server in TSCredentials, which needs --delegate-credentials; nothing was sent beyond the default probe".to_string(),
        };
        return Plan::Stop(StopReason::NlaNeedsDelegation, why);
    }
    Plan::Stop(StopReason::NotReachable, unreachable_text(neg))
}

fn unreachable_text(neg: &NegotiationReport) -> String {
    let tried: Vec<String> = [Protocol::Rdp, Protocol::Ssl, Protocol::Hybrid]
        .iter()
        .map(|p| format!("{}: {}", p.name(), neg.verdict(*p).map_or_else(|| "not asked".into(), |v| v.name())))
        .collect();
    format!("no security layer a client can use was accepted ({})", tried.join(", "))
}

/// The RSA key of a server certificate as Standard RDP Security uses it: modulus
/// little-endian and the public exponent (proprietary, or the last certificate of an X.509
/// chain, whatever its key algorithm OID says: 2.2.1.4.3.1, 5.3.3.2).
pub(crate) fn public_key(cert: &ServerCertificate) -> Option<(Vec<u8>, u32)> {
    match &cert.kind {
        CertificateKind::Proprietary(p) => p.public_key.as_ref().ok().map(|k| (k.modulus.clone(), k.pub_exp)),
        CertificateKind::X509Chain(chain) => {
            let der = chain.last()?;
            let (_, c) = x509_parser::parse_x509_certificate(der).ok()?;
            rsa_public_key_der(&c.public_key().subject_public_key.data)
        }
        CertificateKind::Unknown(_) => None,
    }
}

/// RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER } (RFC 8017 A.1.1),
/// modulus returned little-endian.
fn rsa_public_key_der(b: &[u8]) -> Option<(Vec<u8>, u32)> {
    fn tlv(b: &[u8], tag: u8) -> Option<(&[u8], &[u8])> {
        if *b.first()? != tag {
            return None;
        }
        let l0 = *b.get(1)?;
        let (len, hdr) = if l0 < 0x80 {
            (usize::from(l0), 2)
        } else {
            let n = usize::from(l0 & 0x7f);
            if n == 0 || n > 3 {
                return None;
            }
            let mut len = 0usize;
            for k in 0..n {
                len = (len << 8) | usize::from(*b.get(2 + k)?);
            }
            (len, 2 + n)
        };
        let v = b.get(hdr..hdr.checked_add(len)?)?;
        Some((v, b.get(hdr + len..)?))
    }
    let (seq, _) = tlv(b, 0x30)?;
    let (n, rest) = tlv(seq, 0x02)?;
    let (e, _) = tlv(rest, 0x02)?;
    let mut n: Vec<u8> = n.iter().skip_while(|b| **b == 0).copied().collect();
    n.reverse();
    let e =
        e.iter().skip_while(|b| **b == 0).try_fold(0u32, |acc, b| acc.checked_mul(256).map(|a| a | u32::from(*b)))?;
    (!n.is_empty() && e != 0).then_some((n, e))
}

/// Injected randomness of one session.
#[derive(Clone)]
pub(crate) struct Randoms {
    /// The Security Exchange client random (secret: it is sent RSA-encrypted only).
    pub client_random: [u8; 32],
    /// The licensing ClientRandom (MS-RDPELE 2.2.2.2), sent in clear: never the one above.
    pub license_client_random: [u8; 32],
    /// The licensing premaster secret.
    pub license_premaster: [u8; 48],
}

impl Randoms {
    /// Fresh values from the OS.
    pub(crate) fn generate() -> Result<Randoms, String> {
        let mut r = Randoms { client_random: [0; 32], license_client_random: [0; 32], license_premaster: [0; 48] };
        getrandom::fill(&mut r.client_random).map_err(|e| format!("random: {e}"))?;
        getrandom::fill(&mut r.license_client_random).map_err(|e| format!("random: {e}"))?;
        getrandom::fill(&mut r.license_premaster).map_err(|e| format!("random: {e}"))?;
        Ok(r)
    }
}

/// What the caller decides besides the server's blocks.
#[derive(Clone)]
pub(crate) struct Setup {
    /// The Client Info to send.
    pub client_info: ClientInfo,
    /// Randomness.
    pub randoms: Randoms,
    /// User name for the New License Request.
    pub license_user: String,
    /// Quiet time that means "settled" (ms).
    pub settle_ms: f64,
    /// The clock value (ms) at which graphics collection ends.
    pub deadline_ms: f64,
}

/// The machine's configuration from the MCS Connect Response's blocks; `enhanced`: TLS or
/// CredSSP carries the connection (no Standard RDP Security, whatever SC_SECURITY says).
pub(crate) fn config(blocks: &ServerBlocks, enhanced: bool, setup: Setup) -> Result<Config, String> {
    let mut standard = None;
    if !enhanced {
        if let Some(sec) = blocks.security.as_ref().filter(|s| s.encryption_method != 0 && s.encryption_level != 0) {
            let method = Method::from_value(sec.encryption_method)
                .ok_or_else(|| format!("unknown encryption method {:#x}", sec.encryption_method))?;
            let cert = match &sec.server_certificate {
                Some(Ok(c)) => c,
                Some(Err(e)) => return Err(format!("the server certificate does not decode: {e}")),
                None => return Err("no server certificate for the Security Exchange".into()),
            };
            let (modulus_le, exponent) =
                public_key(cert).ok_or("the server certificate has no usable RSA key".to_string())?;
            if sec.server_random.len() != 32 {
                return Err(format!("server random of {} bytes", sec.server_random.len()));
            }
            standard = Some(Standard { method, server_random: sec.server_random.clone(), modulus_le, exponent });
        }
    }
    let net = blocks.network.as_ref();
    Ok(Config {
        standard,
        io_channel: net.map_or(crate::wire::rdp::mcs_domain::MCS_GLOBAL_CHANNEL_ID, |n| n.io_channel),
        message_channel: blocks.message_channel.filter(|c| *c != 0),
        static_channels: net.map(|n| n.channel_ids.clone()).unwrap_or_default(),
        client_info: setup.client_info,
        client_random: setup.randoms.client_random,
        license_client_random: setup.randoms.license_client_random,
        license_premaster: setup.randoms.license_premaster,
        license_names: (setup.license_user, "rdp-probe".into()),
        settle_ms: setup.settle_ms,
        deadline_ms: setup.deadline_ms,
        max_frames: machine::MAX_FRAMES,
    })
}

/// The `server_capabilities` of a Demand Active.
pub(crate) fn capabilities(da: &crate::wire::rdp::activation::DemandActive, gfx: Option<bool>) -> ServerCapabilities {
    let mut c = ServerCapabilities {
        sets: da.capability_sets.iter().map(|s| s.cap_type.name()).collect(),
        gfx,
        ..Default::default()
    };
    for p in da.parsed() {
        match p {
            Capability::General(g) => {
                c.os_major_type = Some(os_major_type_name(g.os_major_type));
                c.os_minor_type = Some(os_minor_type_name(g.os_minor_type));
                c.general_flags = g.extra_flags.names();
                c.refresh_rect = Some(g.refresh_rect_support != 0);
                c.suppress_output = Some(g.suppress_output_support != 0);
            }
            Capability::BitmapCodecs(codecs) => c.bitmap_codecs = codecs.iter().map(|k| k.name()).collect(),
            Capability::SurfaceCommands { cmd_flags } => c.surface_commands = Some(cmd_flags),
            Capability::MultifragmentUpdate { max_request_size } => c.max_request_size = Some(max_request_size),
            Capability::VirtualChannel { chunk_size, .. } => c.vc_chunk_size = chunk_size,
            _ => {}
        }
    }
    c
}

/// The report section from what the machine saw (`first_frame_ms` is already relative to the
/// session's connect).
pub(crate) fn report(out: Outcome, security: SessionSecurity, gfx: Option<bool>, keep_png: bool) -> SessionReport {
    let desktop =
        out.demand_active.as_ref().and_then(|d| d.desktop()).map(|(width, height, bpp)| Desktop { width, height, bpp });
    let png = if keep_png && out.reached == Some(SessionPhase::Graphics) {
        out.screen.as_ref().and_then(|s| s.png())
    } else {
        None
    };
    let screenshot_skipped = if keep_png && png.is_none() { screenshot_skipped(&out, desktop.as_ref()) } else { None };
    SessionReport {
        reached: out.reached,
        stopped: out.stopped.map(|(phase, reason, detail)| Stopped { phase, reason, detail }),
        security: Some(security),
        licensing: out.licensing.map(|(a, _)| a),
        licensing_state_transition: out.licensing.and_then(|(a, t)| {
            if a == crate::report::session::LicensingAnswer::ValidClient {
                None
            } else {
                t
            }
        }),
        error_info: out.error_info,
        desktop,
        server_capabilities: out.demand_active.as_ref().map(|d| capabilities(d, gfx)),
        channels_joined: out.channels_joined,
        first_frame_ms: out.first_frame_ms,
        updates: (out.updates > 0).then_some(out.updates),
        screenshot: None,
        screenshot_skipped,
        png,
    }
}

/// Why a screenshot that was asked for is absent: the desktop is over the graphics caps (the
/// screen factory made no framebuffer), or the screen of a session that reached graphics could
/// not be encoded. `None` for a session that stopped earlier (its `stopped` says why).
fn screenshot_skipped(out: &Outcome, desktop: Option<&Desktop>) -> Option<String> {
    if let Some(d) = desktop {
        let caps = crate::graphics::check_size(
            "desktop",
            d.width.into(),
            d.height.into(),
            crate::graphics::MAX_DESKTOP_DIM,
            crate::graphics::MAX_DESKTOP_PIXELS,
        );
        if let Err(e) = caps {
            return Some(format!("{e}: over the screenshot cap"));
        }
    }
    // A session that stopped earlier says why in `stopped`.
    match (out.reached, out.screen.is_some()) {
        (Some(SessionPhase::Graphics), true) => Some("the screen could not be encoded as PNG".into()),
        (Some(SessionPhase::Graphics), false) => Some("no screen was made for this desktop".into()),
        _ => None,
    }
}

/// A session that stopped before its machine ran (plan, connect, negotiation, TLS, CredSSP,
/// MCS).
pub(crate) fn stopped(phase: SessionPhase, reason: StopReason, detail: impl Into<String>) -> SessionReport {
    SessionReport { stopped: Some(Stopped { phase, reason, detail: detail.into() }), ..SessionReport::default() }
}

/// The `security` of a session from the protocol its connection selected.
pub(crate) fn security_of(selected: Protocol) -> SessionSecurity {
    match selected {
        Protocol::Rdp => SessionSecurity::Standard,
        Protocol::Hybrid | Protocol::HybridEx => SessionSecurity::Nla,
        _ => SessionSecurity::Tls,
    }
}
