//! The probe plan and its sans-IO logic: which negotiation requests to send, how to read each
//! answer, what the answers together say about the server's settings, and what a non-RDP peer
//! is. No sockets, no clock: net/run.rs drives it.

use crate::report::{
    Answer, NegotiationAttempt, NegotiationReport, NlaRequirement, Phase, ProtocolVerdict, SecurityLayer, ServiceInfo,
};
use crate::steps::io::{NetError, NetErrorKind};
use crate::steps::machine::{Action, Framing, Input, Machine, Read};
use crate::wire::x224::{
    ConnectionConfirm, NegReqFlags, NegotiationResponse, Protocol, SecurityProtocols, ServerAnswer,
};

/// One connection of the negotiation plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlanStep {
    /// requestedProtocols.
    pub requested: SecurityProtocols,
    /// RDP_NEG_REQ flags.
    pub flags: NegReqFlags,
    /// `false` sends a legacy CR without RDP_NEG_REQ.
    pub with_neg_req: bool,
}

impl PlanStep {
    /// A request for `requested` with no flags.
    pub const fn ask(requested: u32) -> PlanStep {
        PlanStep { requested: SecurityProtocols(requested), flags: NegReqFlags(0), with_neg_req: true }
    }
    /// Short label for transcripts: `negotiation 0xb`.
    pub fn label(&self) -> String {
        if self.with_neg_req {
            format!("negotiation {:#x}", self.requested.0)
        } else {
            "negotiation legacy".into()
        }
    }
}

/// One negotiation exchange as a machine (MS-RDPBCGR 1.3.1.1, 2.2.1.1-2): send the X.224
/// Connection Request, read one TPKT frame, decode the server's answer. A COTP answer that is not
/// RDP's (no RDP_NEG_*, a generic CC) is another service, reported as foreign bytes.
#[derive(Debug)]
pub(crate) struct Exchange {
    cr: Result<Vec<u8>, crate::wire::codec::DecodeError>,
}

impl Exchange {
    /// The exchange for `requested` (`None`: a legacy CR without RDP_NEG_REQ) with `cookie`.
    pub(crate) fn new(
        cookie: Option<crate::wire::x224::Cookie>,
        negotiation: Option<crate::wire::x224::NegotiationRequest>,
    ) -> Self {
        let cr = crate::wire::x224::ConnectionRequest { cookie, negotiation, correlation: None };
        Exchange { cr: cr.encode() }
    }

    /// The exchange for one step of the plan.
    pub(crate) fn for_step(cookie: Option<crate::wire::x224::Cookie>, step: &PlanStep) -> Self {
        let neg = step.with_neg_req.then_some(crate::wire::x224::NegotiationRequest {
            flags: step.flags,
            requested_protocols: step.requested,
        });
        Exchange::new(cookie, neg)
    }
}

impl Machine for Exchange {
    type Output = Result<ServerAnswer, NetError>;

    fn start(&mut self) -> Action<Self::Output> {
        match &self.cr {
            Ok(bytes) => Action::Exchange {
                bytes: bytes.clone(),
                write_phase: Phase::SendCr,
                read: Read::new(Framing::Tpkt, Phase::ReadCc),
            },
            Err(e) => Action::Done(Err(NetError::new(Phase::SendCr, NetErrorKind::Decode(e.clone())))),
        }
    }

    fn input(&mut self, input: Input<'_>) -> Action<Self::Output> {
        Action::Done(match input {
            Input::Error(e) => Err(e),
            Input::Frame(frame) => match ServerAnswer::decode(frame) {
                Err(e) => Err(NetError::new(Phase::ReadCc, NetErrorKind::Decode(e))),
                Ok(a) if is_generic_cotp(&a) => {
                    Err(NetError::new(Phase::ReadCc, NetErrorKind::NotTpkt(frame.to_vec())))
                }
                Ok(a) => Ok(a),
            },
        })
    }

    fn sent(&mut self, written: Result<(), NetError>) -> Self::Output {
        written.and(Err(NetError::new(Phase::ReadCc, NetErrorKind::Closed { received: 0 })))
    }
}

/// The full request a modern client sends: SSL | HYBRID | HYBRID_EX.
pub const FULL_REQUEST: u32 = 0x0B;

/// The deterministic plan: the full request first (is it RDP at all? what does it pick?), then
/// Standard RDP Security (0x00), TLS alone (0x01), and with `extended` each of HYBRID, RDSTLS,
/// HYBRID_EX and RDSAAD alone. Each answer is compared with what was asked.
pub fn negotiation_plan(extended: bool) -> Vec<PlanStep> {
    let mut v = vec![PlanStep::ask(FULL_REQUEST), PlanStep::ask(0x00), PlanStep::ask(0x01)];
    if extended {
        v.extend([PlanStep::ask(0x02), PlanStep::ask(0x04), PlanStep::ask(0x08), PlanStep::ask(0x10)]);
    }
    v
}

impl NegotiationAttempt {
    /// The report entry for one request of the plan and the server's answer to it.
    pub fn from_step(step: &PlanStep, answer: Answer, source_ref: Option<u16>, ms: f64) -> NegotiationAttempt {
        NegotiationAttempt {
            requested_value: step.requested.0,
            requested: step.requested.display_names(),
            request_flags: step.flags.0,
            with_neg_req: step.with_neg_req,
            answer,
            source_ref,
            ms,
        }
    }
}

/// Reads a server's X.224 answer into a report [`Answer`].
pub fn answer_from(step: &PlanStep, a: &ServerAnswer) -> (Answer, Option<u16>) {
    match a {
        ServerAnswer::Confirm(ConnectionConfirm { header, negotiation }) => {
            let ans = match negotiation {
                None => Answer::NoNegotiation,
                Some(NegotiationResponse::Response { flags, selected_protocol }) => {
                    let sel = selected_protocol.value();
                    let requested = if sel == 0 { step.requested.0 == 0 } else { step.requested.0 & sel == sel };
                    Answer::Selected {
                        protocol: selected_protocol.name(),
                        protocol_value: sel,
                        flags: flags.names(),
                        flags_value: flags.0,
                        requested,
                    }
                }
                Some(NegotiationResponse::Failure { code, .. }) => {
                    Answer::Failure { code: code.name(), code_value: code.value() }
                }
                Some(NegotiationResponse::Unknown { ty, raw }) => {
                    Answer::UnknownNegotiation { ty: *ty, raw_hex: crate::wire::codec::hex(raw) }
                }
            };
            (ans, Some(header.src_ref))
        }
        ServerAnswer::Disconnect { reason, .. } => (Answer::Disconnect { reason: *reason }, None),
        ServerAnswer::Data { user_data } => {
            (Answer::McsDisconnect { raw_hex: crate::wire::codec::hex(user_data) }, None)
        }
    }
}

fn selected(a: &Answer) -> Option<u32> {
    match a {
        Answer::Selected { protocol_value, .. } => Some(*protocol_value),
        _ => None,
    }
}

fn failure(a: &Answer) -> Option<u32> {
    match a {
        Answer::Failure { code_value, .. } => Some(*code_value),
        _ => None,
    }
}

/// Combines the plan's answers into the negotiation report: per-protocol verdicts, the full
/// request's selection and flags, mismatches, and the inferred Security Layer and NLA setting.
///
/// Inference (observed on Windows, PROTOCOL-NOTES fact 9): SecurityLayer RDP refuses TLS with
/// SSL_NOT_ALLOWED_BY_SERVER (xrdp instead "downgrades" to PROTOCOL_RDP); SecurityLayer SSL
/// refuses 0x00 with SSL_REQUIRED_BY_SERVER; NLA required refuses anything without CredSSP with
/// HYBRID_REQUIRED_BY_SERVER.
pub fn assess(attempts: Vec<NegotiationAttempt>) -> NegotiationReport {
    let mut r = NegotiationReport::default();
    let find = |v: u32| attempts.iter().find(|a| a.with_neg_req && a.requested_value == v && a.request_flags == 0);
    let full = find(FULL_REQUEST);
    if let Some(f) = full {
        r.source_ref = f.source_ref;
        if let Answer::Selected { protocol_value, flags, flags_value, .. } = &f.answer {
            r.selected = Some(Protocol::from(*protocol_value));
            r.flags = flags.clone();
            r.flags_value = Some(*flags_value);
        }
    }
    if r.source_ref.is_none() {
        r.source_ref = attempts.iter().find_map(|a| a.source_ref);
    }
    for p in Protocol::ALL {
        if let Some(a) = find(p.value()) {
            r.protocols.insert(p, ProtocolVerdict::from_answer(&a.answer, p));
        }
    }
    r.legacy = attempts.iter().any(|a| a.answer == Answer::NoNegotiation);
    for a in &attempts {
        if let Answer::Selected { requested: false, protocol, .. } = &a.answer {
            r.mismatches.push(format!(
                "asked {} ({:#x}), server selected {}",
                SecurityProtocols(a.requested_value).display_names().join("|"),
                a.requested_value,
                protocol
            ));
        }
    }

    // What each request alone tells.
    let ans = |v: u32| find(v).map(|a| &a.answer);
    let exact = |v: u32| ans(v).and_then(selected) == Some(v);
    let rdp_ok = exact(0) || ans(0).is_some_and(|a| *a == Answer::NoNegotiation);
    let ssl_ok = exact(1);
    let full_sel = full.and_then(|f| selected(&f.answer));
    let hybrid_ok = exact(2) || exact(8) || matches!(full_sel, Some(2) | Some(8));
    let refused_code = |v: u32| ans(v).and_then(failure);
    let any_answered = attempts
        .iter()
        .any(|a| matches!(a.answer, Answer::Selected { .. } | Answer::Failure { .. } | Answer::NoNegotiation));

    r.nla = Some(if !any_answered {
        NlaRequirement::Unknown
    } else if r.legacy && !hybrid_ok {
        NlaRequirement::NotSupported
    } else if hybrid_ok && !ssl_ok && !rdp_ok {
        NlaRequirement::Required
    } else if hybrid_ok {
        NlaRequirement::Offered
    } else if refused_code(0) == Some(5) || refused_code(1) == Some(5) {
        // Requires CredSSP but never selected it for us: still "required".
        NlaRequirement::Required
    } else if rdp_ok || ssl_ok {
        // "Not supported" needs a request without CredSSP that was answered: a listener that
        // refuses everything says nothing about NLA.
        NlaRequirement::NotSupported
    } else {
        NlaRequirement::Unknown
    });

    r.security_layer = Some(if !any_answered {
        SecurityLayer::Unknown
    } else if rdp_ok && !ssl_ok && !hybrid_ok {
        SecurityLayer::Rdp
    } else if rdp_ok {
        SecurityLayer::Negotiate
    } else if ssl_ok || hybrid_ok {
        SecurityLayer::Ssl
    } else {
        SecurityLayer::Unknown
    });

    r.attempts = attempts;
    r.summary = summarize(&r, None);
    r
}

/// The plain-language summary of a negotiation report. `tls_handshake` is what the TLS step
/// saw (`Some(false)`: selected but no handshake completed), so the summary never claims that
/// TLS is accepted when no handshake completes.
pub fn summarize(r: &NegotiationReport, tls_handshake: Option<bool>) -> String {
    let ok = |p: Protocol| r.accepted(p);
    let rdp_ok = ok(Protocol::Rdp) || r.legacy;
    let ssl_ok = ok(Protocol::Ssl);
    let hybrid_ok = ok(Protocol::Hybrid)
        || ok(Protocol::HybridEx)
        || matches!(r.selected, Some(Protocol::Hybrid | Protocol::HybridEx));
    let tls_fails = tls_handshake == Some(false);
    let mut parts = Vec::new();
    parts.push(match r.security_layer {
        Some(SecurityLayer::Rdp) => "Security Layer = RDP (Standard RDP Security only)".to_string(),
        Some(SecurityLayer::Negotiate) => "Security Layer = Negotiate".to_string(),
        Some(SecurityLayer::Ssl) if r.nla == Some(NlaRequirement::Required) => {
            "Security Layer = SSL (TLS; with NLA required, Negotiate answers the same)".to_string()
        }
        Some(SecurityLayer::Ssl) => "Security Layer = SSL (TLS)".to_string(),
        _ if !rdp_ok && !ssl_ok && !hybrid_ok => "Security Layer unknown (no request accepted)".to_string(),
        _ => "Security Layer unknown".to_string(),
    });
    parts.push(match r.nla {
        Some(NlaRequirement::Required) => "NLA required".into(),
        Some(NlaRequirement::Offered) => "NLA offered but not required".into(),
        Some(NlaRequirement::NotSupported) => "NLA not supported".into(),
        _ => "NLA unknown".into(),
    });
    let mut acc = Vec::new();
    if rdp_ok {
        acc.push("Standard RDP Security");
    }
    let mut broken = Vec::new();
    if ssl_ok {
        if tls_fails {
            broken.push("TLS")
        } else {
            acc.push("TLS")
        }
    }
    if hybrid_ok {
        if tls_fails {
            broken.push("CredSSP")
        } else {
            acc.push("CredSSP")
        }
    }
    if r.accepted(Protocol::Rdstls) {
        acc.push("RDSTLS");
    }
    if r.accepted(Protocol::Rdsaad) {
        acc.push("RDSAAD");
    }
    if !acc.is_empty() {
        parts.push(format!("accepts {}", acc.join(", ")));
    }
    if !broken.is_empty() {
        parts.push(format!("selects {}, but the TLS handshake fails", broken.join(" and ")));
    }
    if acc.is_empty() && broken.is_empty() {
        parts.push("accepts no security protocol".into());
    }
    if r.legacy {
        parts.push("pre-negotiation server (no RDP_NEG_RSP: Windows 2000/XP/2003 era)".into());
    }
    if !r.mismatches.is_empty() {
        parts.push(format!("{} answer(s) selected a protocol that was not requested", r.mismatches.len()));
    }
    parts.join("; ")
}

/// A Connection Confirm carrying X.224 parameters (TPDU size, TSAP ids) instead of RDP
/// negotiation data: a generic ISO transport (COTP) service, not an RDP listener.
pub fn is_generic_cotp(a: &ServerAnswer) -> bool {
    matches!(a, ServerAnswer::Confirm(ConnectionConfirm { negotiation: Some(NegotiationResponse::Unknown { ty, .. }), .. }) if *ty >= 0x80)
}

/// Names what answered when the first bytes are not a TPKT frame (or are a TPKT frame of a
/// COTP service that is not RDP).
pub fn identify_service(first: &[u8]) -> ServiceInfo {
    let starts = |p: &[u8]| first.len() >= p.len() && first.get(..p.len()).is_some_and(|h| h.eq_ignore_ascii_case(p));
    let text = String::from_utf8_lossy(first);
    let kind = if first.is_empty() {
        "silent"
    } else if first.starts_with(&[3, 0]) && first.get(5).is_some_and(|c| c & 0xF0 == 0xD0) {
        "x224_other"
    } else if starts(b"SSH-") {
        "ssh"
    } else if starts(b"HTTP/") || text.contains("<html") || text.contains("<HTML") {
        "http"
    } else if matches!(first.first(), Some(0x14..=0x17)) && matches!(first.get(1), Some(0x03))
        || matches!(first.first(), Some(0x16)) && matches!(first.get(1), Some(0x02) | Some(0x00))
    {
        "tls"
    } else if starts(b"RFB ") {
        "vnc"
    } else if starts(b"+OK") {
        "pop3"
    } else if starts(b"* OK") || starts(b"* PREAUTH") {
        "imap"
    } else if starts(b"220") && (text.to_ascii_lowercase().contains("ftp")) {
        "ftp"
    } else if starts(b"220")
        && (text.contains("SMTP") || text.contains("ESMTP") || text.to_ascii_lowercase().contains("mail"))
    {
        "smtp"
    } else if starts(b"220") || starts(b"421") {
        "ftp_or_smtp"
    } else if matches!(first.first(), Some(0xFF)) && matches!(first.get(1), Some(0xFB..=0xFE)) {
        "telnet"
    } else if first.len() > 4 && first.get(4..).is_some_and(|t| t.windows(5).any(|w| w.eq_ignore_ascii_case(b"mysql")))
    {
        "mysql"
    } else if starts(b"-ERR") || starts(b"+PONG") || starts(b"-NOAUTH") {
        "redis"
    } else {
        "unknown"
    };
    ServiceInfo {
        kind: kind.into(),
        banner: printable(first, 160),
        raw_hex: crate::wire::codec::hex(first.get(..64).unwrap_or(first)),
    }
}

/// A printable excerpt: ASCII kept, CR/LF shown as `\r` `\n`, other bytes as `\xNN`.
pub fn printable(b: &[u8], max: usize) -> String {
    let mut s = String::new();
    for &c in b.iter().take(max) {
        match c {
            b'\r' => s.push_str("\\r"),
            b'\n' => s.push_str("\\n"),
            0x20..=0x7e => s.push(c as char),
            _ => s.push_str(&format!("\\x{c:02x}")),
        }
    }
    if b.len() > max {
        s.push('…');
    }
    s
}

/// Human description of a service kind.
pub fn service_description(kind: &str) -> &'static str {
    match kind {
        "ssh" => "an SSH server",
        "http" => "an HTTP server",
        "tls" => "a TLS-first service (HTTPS or similar, not RDP's X.224 negotiation)",
        "vnc" => "a VNC server",
        "pop3" => "a POP3 server",
        "imap" => "an IMAP server",
        "ftp" => "an FTP server",
        "smtp" => "an SMTP server",
        "ftp_or_smtp" => "an FTP or SMTP server",
        "telnet" => "a Telnet server",
        "mysql" => "a MySQL server",
        "redis" => "a Redis server",
        "x224_other" => "an ISO transport (X.224/COTP) service that is not RDP (e.g. ISO-TSAP, a Siemens S7 PLC)",
        "silent" => "nothing (the peer sent no bytes)",
        _ => "an unknown service",
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    // ---- The exchange machine, replayed against captured answers (no socket). ----

    use crate::steps::machine::{replay, Event};
    use crate::wire::x224::FailureCode;

    const XRDP_CC_0B: &[u8] = include_bytes!("../../tests/vectors/x224/xrdp-negotiate-cc-req0x0b.bin");
    const XRDP_CC_LEGACY: &[u8] = include_bytes!("../../tests/vectors/x224/xrdp-negotiate-cc-reqnone.bin");
    const SHADOW_NLA_CC_00: &[u8] = include_bytes!("../../tests/vectors/x224/shadow-nla-cc-req0x00.bin");
    const SHADOW_NLA_CC_0B: &[u8] = include_bytes!("../../tests/vectors/x224/shadow-nla-cc-req0x0b.bin");

    fn run(step: PlanStep, script: &[Event]) -> (Vec<Vec<u8>>, Result<ServerAnswer, NetError>) {
        let r = replay(&mut Exchange::for_step(None, &step), script);
        (r.sent, r.output)
    }

    fn selected_of(a: &ServerAnswer) -> Option<Protocol> {
        match a {
            ServerAnswer::Confirm(cc) => match &cc.negotiation {
                Some(NegotiationResponse::Response { selected_protocol, .. }) => Some(*selected_protocol),
                _ => None,
            },
            _ => None,
        }
    }

    #[test]
    fn exchange_sends_the_plan_steps_request() {
        let (sent, _) = run(PlanStep::ask(0x0b), &[Event::Bytes(XRDP_CC_0B.to_vec())]);
        // TPKT, X.224 CR (no cookie), RDP_NEG_REQ type 1, flags 0, length 8, requestedProtocols 0x0b.
        assert_eq!(sent, vec![vec![3, 0, 0, 19, 14, 0xe0, 0, 0, 0, 0, 0, 1, 0, 8, 0, 0x0b, 0, 0, 0]]);
        let legacy = PlanStep { with_neg_req: false, ..PlanStep::ask(0) };
        let (sent, out) = run(legacy, &[Event::Bytes(XRDP_CC_LEGACY.to_vec())]);
        assert_eq!(sent, vec![vec![3, 0, 0, 11, 6, 0xe0, 0, 0, 0, 0, 0]]);
        assert!(matches!(out, Ok(ServerAnswer::Confirm(ref cc)) if cc.negotiation.is_none()));
    }

    #[test]
    fn exchange_reads_captured_answers() {
        let (_, out) = run(PlanStep::ask(0x0b), &[Event::Bytes(XRDP_CC_0B.to_vec())]);
        assert_eq!(selected_of(&out.unwrap()), Some(Protocol::Ssl)); // xrdp negotiate: TLS
        let (_, out) = run(PlanStep::ask(0x0b), &[Event::Bytes(SHADOW_NLA_CC_0B.to_vec())]);
        assert_eq!(selected_of(&out.unwrap()), Some(Protocol::Hybrid)); // FreeRDP /sec:nla
        let (_, out) = run(PlanStep::ask(0x00), &[Event::Bytes(SHADOW_NLA_CC_00.to_vec())]);
        let ServerAnswer::Confirm(cc) = out.unwrap() else { panic!("not a CC") };
        assert!(matches!(
            cc.negotiation,
            Some(NegotiationResponse::Failure { code: FailureCode::HybridRequiredByServer, .. })
        ));
    }

    #[test]
    fn exchange_frames_any_cut_of_the_stream() {
        // The answer in one-byte pieces, and followed by bytes of a next frame: one frame is read.
        let pieces: Vec<Event> = XRDP_CC_0B.iter().map(|b| Event::Bytes(vec![*b])).collect();
        let (_, out) = run(PlanStep::ask(0x0b), &pieces);
        assert_eq!(selected_of(&out.unwrap()), Some(Protocol::Ssl));
        let mut more = XRDP_CC_0B.to_vec();
        more.extend_from_slice(&[0x16, 3, 1]);
        let (_, out) = run(PlanStep::ask(0x0b), &[Event::Bytes(more)]);
        assert!(out.is_ok());
    }

    #[test]
    fn exchange_hostile_and_truncated_answers() {
        // Every prefix: a clean close error, never a panic or a wrong success.
        for cut in 0..XRDP_CC_0B.len() {
            let (_, out) = run(PlanStep::ask(0x0b), &[Event::Bytes(XRDP_CC_0B[..cut].to_vec()), Event::Close]);
            let e = out.unwrap_err();
            assert!(matches!(e.kind, NetErrorKind::Closed { .. } | NetErrorKind::NotTpkt(_)), "cut {cut}: {e:?}");
            assert_eq!(e.phase, Phase::ReadCc);
        }
        // Silence after a partial frame: a timeout in read_cc.
        let (_, out) = run(PlanStep::ask(0x0b), &[Event::Bytes(XRDP_CC_0B[..6].to_vec()), Event::Silence]);
        assert_eq!(out.unwrap_err().kind, NetErrorKind::Timeout);
        // Another service: its banner comes up as foreign bytes for identification.
        let (_, out) = run(PlanStep::ask(0x0b), &[Event::Bytes(b"SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n".to_vec())]);
        assert!(matches!(out.unwrap_err().kind, NetErrorKind::NotTpkt(b) if b.starts_with(b"SSH-2.0")));
        // A TPKT length below its header and a garbled X.224 TPDU: decode errors, not panics.
        let (_, out) = run(PlanStep::ask(0x0b), &[Event::Bytes(vec![3, 0, 0, 2])]);
        assert!(matches!(out.unwrap_err().kind, NetErrorKind::Decode(_)));
        let (_, out) = run(PlanStep::ask(0x0b), &[Event::Bytes(vec![3, 0, 0, 7, 0x20, 0xd0, 0])]);
        assert!(out.is_err());
        // A generic COTP CC (no RDP_NEG_*, class 0 with options): not RDP.
        let generic = [3, 0, 0, 22, 17, 0xd0, 0, 0, 0x12, 0x34, 0, 0xc0, 1, 0x0a, 0xc1, 2, 1, 0, 0xc2, 2, 1, 0];
        let (_, out) = run(PlanStep::ask(0x0b), &[Event::Bytes(generic.to_vec())]);
        if let Err(e) = out {
            assert!(matches!(e.kind, NetErrorKind::NotTpkt(_) | NetErrorKind::Decode(_)), "{e:?}");
        }
    }

    /// One attempt of the plan asking for `req` (shared with the verdict tests).
    pub(crate) fn att(req: u32, answer: Answer) -> NegotiationAttempt {
        NegotiationAttempt {
            requested_value: req,
            requested: SecurityProtocols(req).display_names(),
            request_flags: 0,
            with_neg_req: true,
            answer,
            source_ref: Some(0),
            ms: 1.0,
        }
    }
    /// RDP_NEG_RSP selecting `p` for a request of `req`.
    pub(crate) fn sel(p: u32, req: u32) -> Answer {
        let requested = if p == 0 { req == 0 } else { req & p == p };
        Answer::Selected {
            protocol: Protocol::from(p).name(),
            protocol_value: p,
            flags: vec![],
            flags_value: 0,
            requested,
        }
    }
    /// RDP_NEG_FAILURE with code `c`.
    pub(crate) fn fail(c: u32) -> Answer {
        Answer::Failure { code: crate::wire::x224::FailureCode::from(c).name(), code_value: c }
    }

    #[test]
    fn xrdp_rdp_mode_downgrades_everything() {
        let r = assess(vec![att(0xb, sel(0, 0xb)), att(0, sel(0, 0)), att(1, sel(0, 1))]);
        assert_eq!(r.security_layer, Some(SecurityLayer::Rdp));
        assert_eq!(r.nla, Some(NlaRequirement::NotSupported));
        assert_eq!(r.protocols[&Protocol::Ssl].name(), "downgraded_to_rdp");
        assert_eq!(r.protocols[&Protocol::Rdp].name(), "accepted");
        assert_eq!(r.mismatches.len(), 2);
    }

    #[test]
    fn windows_nla_required() {
        let r = assess(vec![att(0xb, sel(2, 0xb)), att(0, fail(5)), att(1, fail(5)), att(2, sel(2, 2))]);
        assert_eq!(r.nla, Some(NlaRequirement::Required));
        assert_eq!(r.security_layer, Some(SecurityLayer::Ssl));
        assert_eq!(r.protocols[&Protocol::Rdp].name(), "hybrid_required_by_server");
        assert!(r.mismatches.is_empty());
    }

    #[test]
    fn negotiate_with_nla_offered() {
        let r = assess(vec![att(0xb, sel(2, 0xb)), att(0, sel(0, 0)), att(1, sel(1, 1))]);
        assert_eq!(r.nla, Some(NlaRequirement::Offered));
        assert_eq!(r.security_layer, Some(SecurityLayer::Negotiate));
    }

    #[test]
    fn tls_required_no_nla() {
        let r = assess(vec![att(0xb, sel(1, 0xb)), att(0, fail(1)), att(1, sel(1, 1))]);
        assert_eq!(r.nla, Some(NlaRequirement::NotSupported));
        assert_eq!(r.security_layer, Some(SecurityLayer::Ssl));
    }

    #[test]
    fn legacy() {
        let r =
            assess(vec![att(0xb, Answer::NoNegotiation), att(0, Answer::NoNegotiation), att(1, Answer::NoNegotiation)]);
        assert!(r.legacy);
        assert_eq!(r.security_layer, Some(SecurityLayer::Rdp));
        assert_eq!(r.protocols[&Protocol::Ssl].name(), "no_negotiation");
    }

    #[test]
    fn services() {
        assert_eq!(identify_service(b"SSH-2.0-OpenSSH_9.2\r\n").kind, "ssh");
        assert_eq!(identify_service(b"HTTP/1.1 400 Bad Request\r\n").kind, "http");
        assert_eq!(identify_service(&[0x15, 0x03, 0x01, 0x00, 0x02, 0x02, 0x0a]).kind, "tls");
        assert_eq!(identify_service(b"220 mail.example ESMTP Postfix\r\n").kind, "smtp");
        assert_eq!(identify_service(b"220 (vsFTPd 3.0.3)\r\n").kind, "ftp");
        assert_eq!(identify_service(b"\x01\x02garbage").kind, "unknown");
        assert_eq!(identify_service(b"SSH-2.0-x\r\n").banner, "SSH-2.0-x\\r\\n");
        // COTP CC with TPDU-size / TSAP parameters (what an S7 PLC answers on port 102).
        let s7 = [3, 0, 0, 0x16, 0x11, 0xd0, 0, 1, 0, 1, 0, 0xc0, 1, 0x0a, 0xc1, 2, 1, 0, 0xc2, 2, 1, 2];
        assert_eq!(identify_service(&s7).kind, "x224_other");
        let a = ServerAnswer::decode(&s7).unwrap();
        assert!(is_generic_cotp(&a));
    }
}
