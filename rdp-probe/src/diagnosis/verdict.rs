//! The verdict: can a stock client (current mstsc or FreeRDP) get in, and if not, which step
//! stops it. Computed from the typed facts of a finished report (negotiation answers, TLS
//! handshake, CredSSP, MCS) and its findings; never from error text alone.
//!
//! A stock client sends one X.224 Connection Request asking for SSL|HYBRID(|HYBRID_EX)
//! (MS-RDPBCGR 1.3.1.1, 5.4.5) and follows the protocol the server selects; on
//! SSL_NOT_ALLOWED_BY_SERVER (MS-RDPBCGR 2.2.1.2.2) it retries with Standard RDP Security.
//! It does not fall back from a failed TLS handshake to Standard RDP Security: a listener whose
//! selected protocol cannot complete is unusable for it, even when a client forced to another
//! protocol would get in (the summary then names that client).

use crate::diagnosis::findings::Severity;
use crate::report::mcs::Transport;
use crate::report::tls::TlsVersion;
use crate::report::{Answer, ErrorKind, Phase, Report, Status};
use crate::wire::x224::Protocol;

/// What a stock client can do with this listener.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum VerdictState {
    /// A stock client completes every step we observed; no finding worse than informational.
    Usable,
    /// A stock client gets in, but there are warnings or critical findings (weak crypto, an
    /// expired certificate, clients of some kinds locked out...).
    UsableWithWarnings,
    /// An RDP listener answers, but no stock client can complete the connection.
    Unusable,
    /// Something other than RDP answers on the port.
    NotRdp,
    /// No TCP connection (refused, timed out, name not resolved, proxy failed).
    Unreachable,
}

impl VerdictState {
    /// The JSON / CSV spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            VerdictState::Usable => "usable",
            VerdictState::UsableWithWarnings => "usable_with_warnings",
            VerdictState::Unusable => "unusable",
            VerdictState::NotRdp => "not_rdp",
            VerdictState::Unreachable => "unreachable",
        }
    }

    /// Whether a stock client can connect (`usable` or `usable_with_warnings`).
    pub fn is_usable(self) -> bool {
        matches!(self, VerdictState::Usable | VerdictState::UsableWithWarnings)
    }
}

impl std::fmt::Display for VerdictState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The step of a connection that stops a client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum BlockingStep {
    /// Name resolution.
    Dns,
    /// The SOCKS5 proxy in front of the target.
    Proxy,
    /// TCP connect.
    Tcp,
    /// X.224 Connection Request / Confirm and security-protocol negotiation.
    X224,
    /// The TLS handshake after the negotiation selected TLS or CredSSP.
    Tls,
    /// CredSSP / NTLM (NLA), including the logon with `--user`.
    Nla,
    /// MCS Connect Initial / Response (GCC basic settings).
    Mcs,
    /// The connection sequence after MCS, seen only with `--session`: the server refuses the
    /// client with a Set Error Info PDU, a licensing error, a Disconnect Provider Ultimatum, or
    /// closes the connection before the capability exchange.
    Session,
}

impl BlockingStep {
    /// The JSON / CSV spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            BlockingStep::Dns => "dns",
            BlockingStep::Proxy => "proxy",
            BlockingStep::Tcp => "tcp",
            BlockingStep::X224 => "x224",
            BlockingStep::Tls => "tls",
            BlockingStep::Nla => "nla",
            BlockingStep::Mcs => "mcs",
            BlockingStep::Session => "session",
        }
    }
}

impl std::fmt::Display for BlockingStep {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The answer to "can a client get in, and if not, which step stops it".
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Verdict {
    /// The outcome for a stock client.
    pub state: VerdictState,
    /// The step that stops a stock client; set when the state is neither `usable` nor
    /// `usable_with_warnings`.
    pub blocking_step: Option<BlockingStep>,
    /// One line in the admin's words.
    pub summary: String,
    /// Which clients can connect where that differs between kinds of client (NLA-only,
    /// TLS-1.3-only, Standard-RDP-Security-only listeners, or a listener only a client forced
    /// to another protocol gets through).
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none", default))]
    pub clients: Option<String>,
}

/// The security protocols a stock client can end up with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Path {
    /// Standard RDP Security (MS-RDPBCGR 5.3).
    Rdp,
    /// TLS (Enhanced RDP Security, MS-RDPBCGR 5.4.5.1).
    Tls,
    /// CredSSP (NLA, MS-CSSP) inside TLS.
    Nla,
}

impl Path {
    fn name(self) -> &'static str {
        match self {
            Path::Rdp => "Standard RDP Security",
            Path::Tls => "TLS",
            Path::Nla => "CredSSP (NLA)",
        }
    }
}

/// Where a path stops, and why.
struct Block {
    step: BlockingStep,
    why: String,
    /// The listener works; only the account given with `--user` fails its NLA logon.
    account_only: bool,
}

/// Whether a TLS handshake completed (`Some(true)`: rustls finished, or the raw probes got a
/// ServerHello, as on a TLS 1.0/1.1-only server mstsc still reaches), was tried and failed
/// (`Some(false)`), or was not tried (`None`).
pub fn tls_handshake(t: Option<&crate::report::TlsReport>) -> Option<bool> {
    let t = t?;
    if t.rustls_handshake || t.versions.values().any(|v| *v) || (t.version.is_some() && t.certificate.is_some()) {
        return Some(true);
    }
    // Step ran but saw nothing: a failure only if it says so.
    if t.error.is_some() || !t.version_attempts.is_empty() {
        return Some(false);
    }
    None
}

/// The cause of a failed TLS handshake, in the server's terms.
fn tls_cause(r: &Report) -> String {
    let Some(t) = r.tls.as_ref() else { return "no TLS handshake completed".into() };
    match &t.error {
        Some(e) => e.text.clone(),
        None => "no ServerHello for any TLS version".into(),
    }
}

/// Whether the MCS exchange on `transport` got a Connect Response.
fn mcs_answered(r: &Report) -> bool {
    r.mcs.as_ref().is_some_and(|m| m.encryption_level.is_some() || m.rdp_version.is_some() || m.mcs_result.is_some())
}

/// What stops `path` (None: it works, or the later steps were not checked).
fn blocked(r: &Report, path: Path) -> Option<Block> {
    if matches!(path, Path::Tls | Path::Nla) && tls_handshake(r.tls.as_ref()) == Some(false) {
        return Some(Block {
            step: BlockingStep::Tls,
            why: format!("selects {} but the TLS handshake fails: {}", path.name(), tls_cause(r)),
            account_only: false,
        });
    }
    if path == Path::Nla {
        if let Some(n) = &r.nla {
            if let Some(e) = n.error.as_ref().filter(|_| n.auth.is_none()) {
                if !e.client_limitation {
                    return Some(Block {
                        step: if e.phase == crate::report::Phase::Tls { BlockingStep::Tls } else { BlockingStep::Nla },
                        why: format!(
                            "selects CredSSP (NLA) but the exchange fails in {}: {}",
                            e.phase.as_str(),
                            e.text
                        ),
                        account_only: false,
                    });
                }
            }
            if let Some(a) =
                n.auth.as_ref().filter(|a| !a.accepted && a.status != crate::report::nla::AuthStatus::NotTested)
            {
                return Some(Block {
                    step: BlockingStep::Nla,
                    why: format!(
                        "the listener works, but the NLA logon of {} fails ({}): this account cannot connect",
                        a.user,
                        a.status_text()
                    ),
                    account_only: true,
                });
            }
        }
    }
    if let Some(b) = session_block(r, path) {
        return Some(b);
    }
    let transport = match path {
        Path::Rdp => Transport::Tcp,
        Path::Tls => Transport::Tls,
        Path::Nla => return None, // MCS follows CredSSP; not reached without delegation.
    };
    let m = r.mcs.as_ref().filter(|m| m.transport == Some(transport))?;
    let e = m.error.as_ref()?;
    if mcs_answered(r) || e.client_limitation {
        return None;
    }
    Some(Block {
        step: BlockingStep::Mcs,
        why: format!("accepts {} but drops the MCS Connect Initial: {}", path.name(), e.detail),
        account_only: false,
    })
}

/// The path the `--session` connection took.
fn session_path(s: &crate::report::SessionReport) -> Option<Path> {
    use crate::report::session::SessionSecurity;
    Some(match s.security? {
        SessionSecurity::Standard => Path::Rdp,
        SessionSecurity::Tls => Path::Tls,
        SessionSecurity::Nla => Path::Nla,
    })
}

/// What the `--session` connection says about `path`, when it took that path: a refusal after
/// MCS (Set Error Info, a licensing error with ST_TOTAL_ABORT, a Disconnect Provider
/// Ultimatum, or a close before the capability exchange, which every client goes through)
/// means users are refused after the handshake. A stop that is ours (a Platform Challenge we could
/// not answer, a timeout, an undecodable PDU) or a close after the capability exchange (e.g. a
/// server checking the Client Info's empty credentials) blocks nothing.
fn session_block(r: &Report, path: Path) -> Option<Block> {
    use crate::report::session::{SessionPhase, StopReason};
    let s = r.session.as_ref()?;
    if session_path(s)? != path || s.reached == Some(SessionPhase::Graphics) {
        return None;
    }
    let st = s.stopped.as_ref()?;
    let what = match st.reason {
        StopReason::ErrorInfo => match s.error_info {
            Some(e) => format!("sends Set Error Info {} ({:#x})", e.name(), e.value()),
            None => "sends Set Error Info".into(),
        },
        StopReason::LicensingError => format!(
            "answers licensing with {}",
            s.licensing.map_or_else(|| "an error".to_string(), |l| l.name().to_uppercase())
        ),
        StopReason::Ultimatum => "sends a Disconnect Provider Ultimatum".into(),
        StopReason::Closed | StopReason::Reset
            if st.phase >= SessionPhase::Channels && s.reached < Some(SessionPhase::Capabilities) =>
        {
            "closes the connection".into()
        }
        _ => return None,
    };
    Some(Block {
        step: BlockingStep::Session,
        why: format!("accepts {} but refuses users after the handshake: during {} it {what}", path.name(), st.phase),
        account_only: false,
    })
}

/// What the `--session` connection adds to a usable verdict: the first screen reached, or a
/// stop of ours.
fn session_note(r: &Report) -> String {
    use crate::report::session::{SessionPhase, StopReason};
    let Some(s) = r.session.as_ref() else { return String::new() };
    let over = session_path(s).map(|p| format!(" over {}", p.name())).unwrap_or_default();
    if s.reached == Some(SessionPhase::Graphics) {
        return format!("; a full session reached the first screen{over}");
    }
    match &s.stopped {
        Some(st) if st.reason == StopReason::LicensingUnsupported => {
            format!("; the session{over} stopped at a licensing Platform Challenge it could not answer")
        }
        Some(st) => format!("; the session{over} did not reach the first screen ({} during {})", st.reason, st.phase),
        None => String::new(),
    }
}

/// The answer to the full request (SSL|HYBRID|HYBRID_EX), the one a stock client sends.
fn full_answer(r: &Report) -> Option<&Answer> {
    let n = r.negotiation.as_ref()?;
    n.attempts
        .iter()
        .find(|a| {
            a.with_neg_req && a.requested_value == crate::steps::negotiation::FULL_REQUEST && a.request_flags == 0
        })
        .map(|a| &a.answer)
}

/// Protocols (JSON names) the server accepted when asked for alone.
fn accepted_alone(r: &Report) -> Vec<Path> {
    let Some(n) = r.negotiation.as_ref() else { return Vec::new() };
    let ok = |p: Protocol| n.accepted(p);
    let mut v = Vec::new();
    if ok(Protocol::Rdp) || n.legacy {
        v.push(Path::Rdp);
    }
    if ok(Protocol::Ssl) {
        v.push(Path::Tls);
    }
    if ok(Protocol::Hybrid)
        || ok(Protocol::HybridEx)
        || matches!(n.selected, Some(Protocol::Hybrid | Protocol::HybridEx))
    {
        v.push(Path::Nla);
    }
    v
}

/// The path a client able to do everything would end up with among those that work.
fn best(usable: &[Path]) -> Path {
    [Path::Nla, Path::Tls, Path::Rdp].into_iter().find(|p| usable.contains(p)).unwrap_or(Path::Rdp)
}

fn path_of_protocol(value: u32) -> Path {
    match value {
        0 => Path::Rdp,
        2 | 8 => Path::Nla,
        _ => Path::Tls,
    }
}

/// A refusal of every request: which codes, to which requests.
fn refusal_summary(r: &Report) -> String {
    let Some(n) = r.negotiation.as_ref() else { return "listener gave no answer to any request".into() };
    if n.attempts.is_empty() {
        return "listener gave no answer to any request".into();
    }
    let mut codes: Vec<String> = Vec::new();
    let mut closes = 0;
    // Requests a stock client could send (up to SSL|HYBRID|HYBRID_EX), and refusals of the
    // rarer ones: xrdp answers RDSAAD with a disconnect whatever its configuration.
    let considered = |a: &&crate::report::NegotiationAttempt| {
        a.requested_value <= crate::steps::negotiation::FULL_REQUEST || matches!(a.answer, Answer::Failure { .. })
    };
    for a in n.attempts.iter().filter(|a| considered(a)) {
        match &a.answer {
            Answer::Failure { code, .. } => {
                let c = code.to_uppercase();
                if !codes.contains(&c) {
                    codes.push(c);
                }
            }
            Answer::Disconnect { .. } | Answer::McsDisconnect { .. } | Answer::Closed { .. } => closes += 1,
            _ => {}
        }
    }
    let all = n.attempts.iter().filter(|a| considered(a)).count();
    match (codes.as_slice(), closes) {
        ([one], 0) if one == "SSL_CERT_NOT_ON_SERVER" => {
            "listener refuses every request with SSL_CERT_NOT_ON_SERVER (it cannot load its TLS certificate or key)"
                .into()
        }
        ([one], 0) => format!("listener refuses every security protocol ({one} to all {all} requests, TLS included)"),
        ([], _) => "listener answers every X.224 Connection Request with a disconnect or closes the connection".into(),
        (many, 0) => format!("listener refuses every security protocol ({})", many.join(", ")),
        (many, c) => format!(
            "listener refuses every security protocol ({}; {c} request(s) answered with a disconnect)",
            many.join(", ")
        ),
    }
}

/// Notes on which kinds of client can connect, where that differs.
/// The second value tells whether some current stock client (Windows 10/11 mstsc, FreeRDP 2/3)
/// is among those locked out.
fn client_note(r: &Report, usable: &[Path], stock: Option<Path>) -> (Option<String>, bool) {
    let tls_versions: Vec<TlsVersion> =
        r.tls.as_ref().map(|t| t.versions.iter().filter(|(_, on)| **on).map(|(k, _)| *k).collect()).unwrap_or_default();
    // A stock client that got TLS or CredSSP selected does not fall back when its TLS fails.
    let tls_used = matches!(stock, Some(Path::Tls) | Some(Path::Nla));
    let mut current_locked_out = false;
    let mut notes = Vec::new();
    if usable == [Path::Nla] {
        notes.push("only clients with NLA (CredSSP) connect: current mstsc and FreeRDP do; rdesktop, pre-Vista and many thin clients do not".to_string());
    } else if usable == [Path::Rdp] {
        notes.push("only clients that allow Standard RDP Security connect: mstsc and FreeRDP do by default; clients set to require TLS or NLA do not".to_string());
    }
    if tls_used && !tls_versions.is_empty() {
        if tls_versions == [TlsVersion::Tls13] {
            current_locked_out = true;
            notes.push("only clients with TLS 1.3 connect: Windows 11 mstsc and FreeRDP with OpenSSL 1.1.1+ do; Windows 10 / Server 2019 mstsc and older clients do not".into());
        } else if tls_versions.iter().all(|v| v.is_legacy_tls()) {
            current_locked_out = true;
            notes.push(format!(
                "only clients that still enable TLS {} connect: Windows 7-10 mstsc do; Windows 11 mstsc and FreeRDP with OpenSSL 3 defaults do not",
                tls_versions.iter().map(ToString::to_string).collect::<Vec<_>>().join("/")
            ));
        }
    }
    ((!notes.is_empty()).then(|| notes.join("; ")), current_locked_out)
}

/// How the usable path went, for the summary.
fn path_story(r: &Report, p: Path) -> String {
    let mut s = format!("{} selected", p.name());
    if p != Path::Rdp {
        match r.tls.as_ref().and_then(|t| t.version) {
            Some(v) => s.push_str(&format!(", TLS {v} handshake completes")),
            None => s.push_str(", TLS not checked"),
        }
    }
    if p == Path::Nla {
        match r.nla.as_ref() {
            Some(n) if n.auth.as_ref().is_some_and(|a| a.accepted) => s.push_str(", NLA logon accepted"),
            Some(n) if n.ntlm.is_some() => s.push_str(", NTLM challenge received"),
            Some(n) if n.credssp_version.is_some() => s.push_str(", CredSSP answered"),
            _ => s.push_str(", CredSSP not checked"),
        }
    } else {
        let transport = if p == Path::Rdp { Transport::Tcp } else { Transport::Tls };
        match r.mcs.as_ref().filter(|m| m.transport == Some(transport)) {
            Some(m) if mcs_answered(r) => s.push_str(&format!(
                ", MCS Connect Response received{}",
                m.encryption_level.map(|l| format!(" (encryption level {l})")).unwrap_or_default()
            )),
            Some(m) if m.error.as_ref().is_some_and(|e| e.client_limitation) => {
                s.push_str(", MCS not checked (rdp-probe limitation)")
            }
            _ => match r.mcs.as_ref().filter(|_| mcs_answered(r)) {
                Some(m) => s.push_str(&format!(
                    ", MCS checked over {} (encryption level {})",
                    if transport == Transport::Tcp { "TLS" } else { "Standard RDP Security" },
                    m.encryption_level.map_or_else(|| "?".to_string(), |l| l.to_string())
                )),
                None => s.push_str(", MCS not checked"),
            },
        }
    }
    s
}

/// The verdict of a finished report (findings already derived).
pub fn assess(r: &Report) -> Verdict {
    let addr = r.address.as_deref().unwrap_or(&r.target);
    let err = r.error.as_deref().unwrap_or("");
    let v = |state, step, summary: String| Verdict { state, blocking_step: step, summary, clients: None };
    let moved =
        r.alternative_ports.iter().filter(|p| p.status == Status::Rdp).map(|p| p.port.to_string()).collect::<Vec<_>>();
    let moved = if moved.is_empty() { String::new() } else { format!("; RDP answers on port {}", moved.join(", ")) };
    match r.status {
        Status::DnsError => v(
            VerdictState::Unreachable,
            Some(BlockingStep::Dns),
            format!("{} does not resolve ({err}): no client can find the server", r.target),
        ),
        Status::Refused => v(
            VerdictState::Unreachable,
            Some(BlockingStep::Tcp),
            format!("TCP connection to {addr} refused: nothing listens on this port (Remote Desktop off, service stopped, or the port moved){moved}"),
        ),
        Status::Timeout if matches!(r.error_phase, Some(Phase::Connect) | Some(Phase::Resolve)) => v(
            VerdictState::Unreachable,
            Some(if r.error_phase == Some(Phase::Resolve) { BlockingStep::Dns } else { BlockingStep::Tcp }),
            format!("no answer to the TCP connection attempt to {addr}: filtered by a firewall, or the host is asleep or down{moved}"),
        ),
        Status::Timeout => v(
            VerdictState::Unusable,
            Some(BlockingStep::X224),
            format!("{addr} accepts TCP but never answers the X.224 Connection Request: the RDP service is hung or busy, or a device in the path swallows the connection"),
        ),
        Status::Reset => v(
            VerdictState::Unusable,
            Some(BlockingStep::X224),
            format!("{addr} closes the connection without answering the X.224 Connection Request (connection limit, restricted or broken listener)"),
        ),
        Status::NotRdp => {
            let kind = r.service.as_ref().map_or("unknown", |s| s.kind.as_str());
            v(
                VerdictState::NotRdp,
                Some(BlockingStep::X224),
                format!(
                    "{} answers on {addr}, not an RDP listener ({kind}): a port conflict or the wrong port{moved}",
                    crate::steps::negotiation::service_description(kind)
                ),
            )
        }
        Status::Error if r.error_kind == Some(ErrorKind::Proxy) => v(
            VerdictState::Unreachable,
            Some(BlockingStep::Proxy),
            format!("the SOCKS5 proxy did not connect us to {addr}: {err}"),
        ),
        Status::Error if r.error_kind == Some(ErrorKind::Unreachable) => {
            v(VerdictState::Unreachable, Some(BlockingStep::Tcp), format!("{addr}: {err}"))
        }
        Status::Error => v(
            VerdictState::Unusable,
            Some(BlockingStep::X224),
            format!("the answer on {addr} is not valid RDP: {}", if err.is_empty() { "no report" } else { err }),
        ),
        Status::Rdp => rdp_verdict(r),
    }
}

fn rdp_verdict(r: &Report) -> Verdict {
    let alone = accepted_alone(r);
    let usable: Vec<Path> = alone.iter().copied().filter(|p| blocked(r, *p).is_none()).collect();
    // The path a stock client takes: the protocol selected for its full request, or Standard
    // RDP Security after SSL_NOT_ALLOWED_BY_SERVER.
    let stock: Result<Path, String> = match full_answer(r) {
        // A protocol the client did not ask for (PROTOCOL_RDP always counts as asked): clients
        // abort the connection (MS-RDPBCGR 3.2.5.3.2).
        Some(Answer::Selected { requested: false, protocol, protocol_value, .. }) if *protocol_value != 0 => Err(
            format!("selects {protocol} ({protocol_value:#x}) for a request that did not ask for it, so clients abort"),
        ),
        Some(Answer::Selected { protocol_value, .. }) => Ok(path_of_protocol(*protocol_value)),
        Some(Answer::NoNegotiation) => Ok(Path::Rdp),
        // A timeout or an undecodable answer to that one request says nothing sure about the
        // listener: judge by the requests that were answered.
        Some(Answer::Error { .. }) | None if !usable.is_empty() => Ok(best(&usable)),
        Some(Answer::Failure { code_value: 2, .. }) if alone.contains(&Path::Rdp) => Ok(Path::Rdp),
        Some(Answer::Failure { code, .. }) => {
            Err(format!("refuses the request a stock client sends ({})", code.to_uppercase()))
        }
        Some(other) => Err(format!("answers the request a stock client sends with {}", answer_words(other))),
        None => Err("gave no answer to the request a stock client sends".into()),
    };
    let (clients, locked_out) = client_note(r, &usable, stock.as_ref().ok().copied());
    let worst = crate::diagnosis::findings::worst(&r.findings);
    let good = |p: Path| {
        let state = if worst.is_some_and(|s| s >= Severity::Warning) {
            VerdictState::UsableWithWarnings
        } else {
            VerdictState::Usable
        };
        Verdict {
            state,
            blocking_step: None,
            summary: if locked_out {
                format!(
                    "some current clients can connect, not all (see clients): {}{}",
                    path_story(r, p),
                    session_note(r)
                )
            } else {
                format!("a current mstsc or FreeRDP client can connect: {}{}", path_story(r, p), session_note(r))
            },
            clients: clients.clone(),
        }
    };
    let others = |except: Option<Path>| -> Option<String> {
        let rest: Vec<&str> = usable.iter().filter(|p| Some(**p) != except).map(|p| p.name()).collect();
        (!rest.is_empty()).then(|| {
            format!(
                "only a client forced to {} gets in (e.g. xfreerdp /sec:{})",
                rest.join(" or "),
                match usable.iter().find(|p| Some(**p) != except) {
                    Some(Path::Rdp) => "rdp",
                    Some(Path::Tls) => "tls",
                    _ => "nla",
                }
            )
        })
    };
    let bad = |step: BlockingStep, why: String, except: Option<Path>| {
        let other = others(except);
        Verdict {
            state: VerdictState::Unusable,
            blocking_step: Some(step),
            summary: match &other {
                Some(o) => format!("{why}; stock clients cannot connect, {o}"),
                None => format!("{why}; no client can connect"),
            },
            clients: other.or_else(|| clients.clone()),
        }
    };
    match stock {
        Ok(p) => match blocked(r, p) {
            None => good(p),
            Some(b) if b.account_only => Verdict {
                state: VerdictState::Unusable,
                blocking_step: Some(b.step),
                summary: b.why,
                clients: clients.clone(),
            },
            Some(b) => bad(b.step, format!("listener {}", b.why), Some(p)),
        },
        Err(_)
            if alone.is_empty()
                && !r.negotiation.as_ref().is_some_and(|n| {
                    n.legacy || n.attempts.iter().any(|a| matches!(a.answer, Answer::Selected { .. }))
                }) =>
        {
            bad(BlockingStep::X224, refusal_summary(r), None)
        }
        Err(why) => bad(BlockingStep::X224, format!("listener {why}"), None),
    }
}

fn answer_words(a: &Answer) -> String {
    match a {
        Answer::Disconnect { reason } => format!("an X.224 Disconnect Request (reason {reason:#x})"),
        Answer::McsDisconnect { .. } => "an MCS Disconnect-Provider-Ultimatum".into(),
        Answer::Closed { detail } => format!("a closed connection ({detail})"),
        Answer::Error { phase, detail } => format!("an error in {}: {detail}", phase.as_str()),
        Answer::UnknownNegotiation { ty, .. } => format!("unknown negotiation data (type {ty:#x})"),
        Answer::Selected { protocol, .. } => format!("{protocol} selected"),
        Answer::Failure { code, .. } => code.to_uppercase(),
        Answer::NoNegotiation => "a Connection Confirm without negotiation data".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::mcs::EncryptionLevel;
    use crate::report::{McsReport, NegotiationAttempt, NlaReport, TlsReport};
    use crate::steps::negotiation::tests::{att, fail, sel};

    /// A report of an RDP listener with the plan's answers and findings derived.
    fn rdp(attempts: Vec<NegotiationAttempt>) -> Report {
        Report {
            target: "h".into(),
            address: Some("127.0.0.1:3389".into()),
            status: Status::Rdp,
            negotiation: Some(crate::steps::negotiation::assess(attempts)),
            ..Report::default()
        }
    }
    fn verdict(mut r: Report) -> Verdict {
        r.findings = crate::diagnosis::findings::analyze(&r);
        assess(&r)
    }
    fn tls_ok(versions: &[(&str, bool)]) -> TlsReport {
        TlsReport {
            rustls_handshake: true,
            version: Some("1.3".parse().unwrap()),
            versions: versions.iter().map(|(k, v)| (k.parse().unwrap(), *v)).collect(),
            ..TlsReport::default()
        }
    }
    fn tls_failed(text: &str) -> TlsReport {
        TlsReport {
            error: Some(crate::report::tls::TlsError {
                phase: Phase::Tls,
                text: text.into(),
                attempt: "rustls".into(),
                client_limitation: false,
                server_sent: None,
                kind: ErrorKind::Tls,
            }),
            versions: [("1.2", false), ("1.3", false)].iter().map(|(k, v)| (k.parse().unwrap(), *v)).collect(),
            ..TlsReport::default()
        }
    }
    fn mcs_answered(transport: Transport, level: EncryptionLevel) -> McsReport {
        McsReport {
            transport: Some(transport),
            encryption_level: Some(level),
            rdp_version: Some("RDP 10.7".into()),
            ..McsReport::default()
        }
    }

    #[test]
    fn unreachable_and_silent() {
        let r = Report { status: Status::Refused, ..Report::default() };
        let v = assess(&r);
        assert_eq!((v.state, v.blocking_step), (VerdictState::Unreachable, Some(BlockingStep::Tcp)));
        let r = Report { status: Status::Timeout, error_phase: Some(Phase::ReadCc), ..Report::default() };
        let v = assess(&r);
        assert_eq!((v.state, v.blocking_step), (VerdictState::Unusable, Some(BlockingStep::X224)));
        assert!(v.summary.contains("never answers"), "{}", v.summary);
        let r = Report {
            status: Status::Error,
            error: Some("proxy: refused".into()),
            error_kind: Some(ErrorKind::Proxy),
            ..Report::default()
        };
        assert_eq!(assess(&r).blocking_step, Some(BlockingStep::Proxy));
    }

    /// FreeRDP /sec:ext: SSL_REQUIRED_BY_SERVER to every request, TLS included.
    #[test]
    fn refuses_everything() {
        let r = rdp([0xb, 0, 1, 2, 4, 8, 0x10].iter().map(|v| att(*v, fail(1))).collect());
        let v = verdict(r);
        assert_eq!((v.state, v.blocking_step), (VerdictState::Unusable, Some(BlockingStep::X224)));
        assert!(v.summary.contains("SSL_REQUIRED_BY_SERVER to all 7 requests"), "{}", v.summary);
        assert!(v.summary.contains("no client can connect"), "{}", v.summary);
    }

    /// xrdp tls with a broken key: TLS selected, no handshake completes.
    #[test]
    fn tls_selected_but_handshake_fails() {
        let mut r = rdp(vec![att(0xb, sel(1, 0xb)), att(0, fail(1)), att(1, sel(1, 1))]);
        r.tls = Some(tls_failed("the server sent an MCS Disconnect-Provider-Ultimatum"));
        let v = verdict(r);
        assert_eq!((v.state, v.blocking_step), (VerdictState::Unusable, Some(BlockingStep::Tls)));
        assert!(v.summary.contains("Disconnect-Provider-Ultimatum"), "{}", v.summary);
        assert!(v.summary.ends_with("no client can connect"), "{}", v.summary);
    }

    /// Negotiate mode with a broken key: stock clients fail at TLS; a client forced to Standard
    /// RDP Security gets in, and the verdict says so.
    #[test]
    fn broken_tls_with_rdp_fallback_names_the_forced_client() {
        let mut r = rdp(vec![att(0xb, sel(1, 0xb)), att(0, sel(0, 0)), att(1, sel(1, 1))]);
        r.tls = Some(tls_failed("handshake failed"));
        r.mcs = Some(mcs_answered(Transport::Tcp, EncryptionLevel::High));
        let v = verdict(r);
        assert_eq!((v.state, v.blocking_step), (VerdictState::Unusable, Some(BlockingStep::Tls)));
        assert!(v.summary.contains("forced to Standard RDP Security"), "{}", v.summary);
        assert!(v.clients.is_some_and(|c| c.contains("/sec:rdp")));
    }

    /// FreeRDP /sec:rdp: SSL_NOT_ALLOWED_BY_SERVER to the full request, so a stock client retries
    /// with Standard RDP Security and gets in.
    #[test]
    fn ssl_not_allowed_falls_back_to_rdp() {
        let mut r = rdp(vec![att(0xb, fail(2)), att(0, sel(0, 0)), att(1, fail(2))]);
        r.mcs = Some(mcs_answered(Transport::Tcp, EncryptionLevel::ClientCompatible));
        let v = verdict(r);
        assert!(v.state.is_usable(), "{v:?}");
        assert_eq!(v.blocking_step, None);
        assert!(v.summary.contains("Standard RDP Security selected"), "{}", v.summary);
        assert!(v.clients.is_some_and(|c| c.contains("allow Standard RDP Security")));
    }

    /// An xrdp-like listener selecting TLS, with the given `--session` result.
    fn with_session(s: crate::report::SessionReport) -> Verdict {
        let mut r = rdp(vec![att(0xb, sel(1, 0xb)), att(0, fail(1)), att(1, sel(1, 1))]);
        r.tls = Some(tls_ok(&[("1.2", true), ("1.3", true)]));
        r.mcs = Some(mcs_answered(Transport::Tls, EncryptionLevel::None));
        r.session = Some(s);
        verdict(r)
    }

    fn stopped(
        phase: crate::report::session::SessionPhase,
        reason: crate::report::session::StopReason,
    ) -> Option<crate::report::session::Stopped> {
        Some(crate::report::session::Stopped { phase, reason, detail: "d".into() })
    }

    /// Refusals after the handshake (Set Error Info, licensing, the Ultimatum, an early close)
    /// block at `session` with the phase and the code.
    #[test]
    fn session_refusals_block_at_session() {
        use crate::report::session::{
            LicensingAnswer, SessionPhase as P, SessionReport, SessionSecurity, StopReason as R,
        };
        use crate::wire::rdp::errinfo::ErrorInfo;
        use crate::wire::rdp::licensing::LicenseErrorCode;
        let base = SessionReport { security: Some(SessionSecurity::Tls), ..SessionReport::default() };
        for (s, says) in [
            (
                SessionReport {
                    reached: Some(P::Capabilities),
                    stopped: stopped(P::Finalization, R::ErrorInfo),
                    error_info: Some(ErrorInfo::ServerDeniedConnection),
                    ..base.clone()
                },
                "during finalization it sends Set Error Info server_denied_connection",
            ),
            (
                SessionReport {
                    reached: Some(P::ClientInfo),
                    stopped: stopped(P::Licensing, R::LicensingError),
                    licensing: Some(LicensingAnswer::Error(LicenseErrorCode::NoLicenseServer)),
                    ..base.clone()
                },
                "during licensing it answers licensing with NO_LICENSE_SERVER",
            ),
            (
                SessionReport { reached: Some(P::Mcs), stopped: stopped(P::Channels, R::Ultimatum), ..base.clone() },
                "during channels it sends a Disconnect Provider Ultimatum",
            ),
            (
                SessionReport {
                    reached: Some(P::ClientInfo),
                    stopped: stopped(P::Licensing, R::Closed),
                    ..base.clone()
                },
                "during licensing it closes the connection",
            ),
        ] {
            let v = with_session(s);
            assert_eq!((v.state, v.blocking_step), (VerdictState::Unusable, Some(BlockingStep::Session)), "{v:?}");
            assert!(v.summary.contains("refuses users after the handshake"), "{}", v.summary);
            assert!(v.summary.contains(says), "{}", v.summary);
        }
    }

    /// The first screen confirms usability; our own stops (a Platform Challenge we could not answer, timeout) and a
    /// close after the capability exchange block nothing; a session on another path is not
    /// this path's.
    #[test]
    fn session_confirms_or_stays_out_of_the_way() {
        use crate::report::session::{
            LicensingAnswer, SessionPhase as P, SessionReport, SessionSecurity, StopReason as R,
        };
        let base = SessionReport { security: Some(SessionSecurity::Tls), ..SessionReport::default() };
        let v = with_session(SessionReport { reached: Some(P::Graphics), ..base.clone() });
        assert!(v.state.is_usable(), "{v:?}");
        assert!(v.summary.ends_with("a full session reached the first screen over TLS"), "{}", v.summary);
        let v = with_session(SessionReport {
            reached: Some(P::ClientInfo),
            stopped: stopped(P::Licensing, R::LicensingUnsupported),
            licensing: Some(LicensingAnswer::PlatformChallenge),
            ..base.clone()
        });
        assert!(v.state.is_usable(), "{v:?}");
        assert!(v.summary.contains("Platform Challenge it could not answer"), "{}", v.summary);
        for s in [
            SessionReport { reached: Some(P::Finalization), stopped: stopped(P::Graphics, R::Closed), ..base.clone() },
            SessionReport { reached: Some(P::Finalization), stopped: stopped(P::Graphics, R::Timeout), ..base.clone() },
            SessionReport {
                security: Some(SessionSecurity::Standard),
                reached: Some(P::ClientInfo),
                stopped: stopped(P::Licensing, R::Ultimatum),
                ..SessionReport::default()
            },
        ] {
            let v = with_session(s.clone());
            assert!(v.state.is_usable(), "{s:?}: {v:?}");
        }
    }

    #[test]
    fn mcs_dropped_blocks_at_mcs() {
        let mut r = rdp(vec![att(0xb, sel(0, 0xb)), att(0, sel(0, 0)), att(1, sel(0, 1))]);
        r.mcs = Some(McsReport {
            transport: Some(Transport::Tcp),
            error: Some(crate::report::mcs::StepError {
                phase: Phase::Mcs,
                detail: "connection closed by peer".into(),
                client_limitation: false,
                kind: Some(ErrorKind::Closed),
            }),
            ..McsReport::default()
        });
        let v = verdict(r);
        assert_eq!((v.state, v.blocking_step), (VerdictState::Unusable, Some(BlockingStep::Mcs)));
    }

    #[test]
    fn nla_required_usable_and_logon_failure() {
        let attempts = || vec![att(0xb, sel(2, 0xb)), att(0, fail(5)), att(1, fail(5)), att(2, sel(2, 2))];
        let mut r = rdp(attempts());
        r.tls = Some(tls_ok(&[("1.2", true), ("1.3", true)]));
        r.nla = Some(NlaReport { credssp_version: Some(6), ..NlaReport::default() });
        let v = verdict(r.clone());
        assert_eq!(v.state, VerdictState::Usable, "{v:?}");
        assert!(v.clients.as_deref().is_some_and(|c| c.contains("NLA")), "{v:?}");
        r.nla = Some(NlaReport {
            credssp_version: Some(6),
            auth: Some(crate::report::nla::AuthReport {
                accepted: false,
                status: crate::report::nla::AuthStatus::ServerClosed,
                user: "LAB\\lab".into(),
                ..Default::default()
            }),
            ..NlaReport::default()
        });
        let v = verdict(r.clone());
        assert_eq!((v.state, v.blocking_step), (VerdictState::Unusable, Some(BlockingStep::Nla)));
        assert!(v.summary.starts_with("the listener works"), "{}", v.summary);
        // Not tested is not a failure.
        if let Some(a) = r.nla.as_mut().and_then(|n| n.auth.as_mut()) {
            a.status = crate::report::nla::AuthStatus::NotTested;
        }
        assert!(verdict(r).state.is_usable());
    }

    #[test]
    fn tls13_only_names_the_clients() {
        let mut r = rdp(vec![att(0xb, sel(1, 0xb)), att(0, fail(1)), att(1, sel(1, 1))]);
        r.tls = Some(tls_ok(&[("1.0", false), ("1.1", false), ("1.2", false), ("1.3", true)]));
        r.mcs = Some(mcs_answered(Transport::Tls, EncryptionLevel::None));
        let v = verdict(r);
        assert_eq!(v.state, VerdictState::UsableWithWarnings, "{v:?}");
        assert!(v.clients.as_deref().is_some_and(|c| c.contains("TLS 1.3") && c.contains("Windows 10")), "{v:?}");
    }

    /// A TLS-1.0-only server: our rustls cannot follow, which is not the server's fault.
    #[test]
    fn our_limits_do_not_block() {
        let mut r = rdp(vec![att(0xb, sel(1, 0xb)), att(0, fail(1)), att(1, sel(1, 1))]);
        r.tls = Some(TlsReport {
            version: Some("1.0".parse().unwrap()),
            versions: [("1.0", true), ("1.2", false)].iter().map(|(k, v)| (k.parse().unwrap(), *v)).collect(),
            ..TlsReport::default()
        });
        r.mcs = Some(McsReport {
            transport: Some(Transport::Tls),
            error: Some(crate::report::mcs::StepError {
                phase: Phase::Tls,
                detail: "rdp-probe cannot complete a TLS 1.0 handshake".into(),
                client_limitation: true,
                kind: Some(ErrorKind::ClientLimitation),
            }),
            ..McsReport::default()
        });
        let v = verdict(r);
        assert!(v.state.is_usable(), "{v:?}");
        assert!(v.summary.contains("rdp-probe limitation"), "{}", v.summary);
        assert!(v.clients.as_deref().is_some_and(|c| c.contains("TLS 1.0")), "{v:?}");
    }

    /// A selection the client did not ask for: clients abort.
    #[test]
    fn unrequested_selection_blocks_at_x224() {
        let r = rdp(vec![att(0xb, sel(0x10, 0xb)), att(0, fail(1)), att(1, fail(1))]);
        let v = verdict(r);
        assert_eq!((v.state, v.blocking_step), (VerdictState::Unusable, Some(BlockingStep::X224)), "{v:?}");
        assert!(v.summary.contains("did not ask for it"), "{}", v.summary);
    }

    /// The full request timed out once, the others were answered: judged by the answers.
    #[test]
    fn one_lost_answer_does_not_condemn_the_listener() {
        let lost = Answer::Error { phase: Phase::ReadCc, detail: "timed out".into() };
        let mut r = rdp(vec![att(0xb, lost), att(0, sel(0, 0)), att(1, sel(1, 1))]);
        r.tls = Some(tls_ok(&[("1.2", true), ("1.3", true)]));
        r.mcs = Some(mcs_answered(Transport::Tcp, EncryptionLevel::High));
        let v = verdict(r);
        assert!(v.state.is_usable(), "{v:?}");
        assert!(v.summary.contains("TLS selected"), "{}", v.summary);
    }

    #[test]
    fn nla_not_supported_needs_an_accepted_request() {
        let r = rdp([0xb, 0, 1, 2].iter().map(|v| att(*v, fail(1))).collect());
        let n = r.negotiation.as_ref().map(|n| (n.nla, n.security_layer));
        assert_eq!(
            n,
            Some((Some(crate::report::NlaRequirement::Unknown), Some(crate::report::SecurityLayer::Unknown)))
        );
    }
}
