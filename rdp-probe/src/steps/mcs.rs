//! The MCS Connect step without I/O (MS-RDPBCGR 1.3.1.1, Basic Settings Exchange): the
//! [`Connect`] machine sends the Client MCS Connect Initial (2.2.1.3) for a selected protocol and
//! offered encryption methods and reads the Server MCS Connect Response (2.2.1.4), after its own
//! X.224 exchange on the same stream when asked; the planner of the Standard RDP Security offers
//! (every method, then one connection per method); and the pure functions that turn the typed
//! outcomes into the `mcs` report section. `net/mcs.rs` only opens or reuses connections and
//! drives the machines.

use crate::report::mcs::{EncryptionMethod, MethodAnswer, MethodOutcome, StepError, Transport, METHODS};
use crate::report::{ErrorKind, McsReport, NegotiationReport, NlaRequirement, Phase};
use crate::steps::io::{NetError, NetErrorKind};
use crate::steps::machine::{Action, Framing, Input, Machine, Read};
use crate::steps::negotiation::Exchange;
use crate::wire::codec::DecodeError;
use crate::wire::gcc::{self, ClientBlocks, ConferenceCreateResponse, EncryptionMethods, ServerBlocks};
use crate::wire::mcs::{self, ConnectInitial, ConnectResponse, ServerMcsPdu};
use crate::wire::x224::{self, FailureCode, Protocol, Selection, ServerAnswer};
use std::collections::{BTreeMap, BTreeSet};

/// Why a connection cannot carry the MCS exchange: its X.224 answer (MS-RDPBCGR 2.2.1.2) did not
/// select the protocol the path needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// RDP_NEG_FAILURE with this failureCode (2.2.1.2.2).
    Failure(FailureCode),
    /// RDP_NEG_RSP selecting another protocol.
    Selected(Protocol),
    /// An RDP_NEG_* structure of unknown type.
    UnknownType(u8),
    /// A Connection Confirm without RDP_NEG_RSP where TLS was needed.
    NoNegotiation,
    /// Not a Connection Confirm at all (an X.224 Disconnect Request, an MCS PDU).
    NotConfirm(ServerAnswer),
}

impl Refusal {
    /// Whether `answer` lets MCS follow on the connection for `want`. PROTOCOL_RDP also takes a
    /// Connection Confirm without RDP_NEG_RSP (a pre-negotiation server, 3.3.5.3.2).
    pub(crate) fn check(want: Protocol, answer: &ServerAnswer) -> Result<(), Refusal> {
        match answer.selection(|p| p == want) {
            Selection::Wanted(_) => Ok(()),
            Selection::Other(p) => Err(Refusal::Selected(p)),
            Selection::Failure(code) => Err(Refusal::Failure(code)),
            Selection::UnknownType(ty) => Err(Refusal::UnknownType(ty)),
            Selection::NoNegotiation => Err(Refusal::NoNegotiation),
            Selection::Disconnect { .. } | Selection::Data => Err(Refusal::NotConfirm(answer.clone())),
        }
    }

    /// The refusal as the step reports it: a failure in read_cc; an RDP_NEG_FAILURE is the
    /// server's refusal, anything else an unexpected answer.
    pub(crate) fn error(&self) -> NetError {
        let kind = match self {
            Refusal::Failure(code) => NetErrorKind::NegotiationRefused(format!("negotiation refused: {code}")),
            Refusal::Selected(p) => NetErrorKind::Io(format!("negotiation selected {p}")),
            Refusal::UnknownType(ty) => NetErrorKind::Io(format!("unknown negotiation answer type {ty}")),
            Refusal::NoNegotiation => NetErrorKind::Io("no negotiation answer".into()),
            Refusal::NotConfirm(a) => NetErrorKind::Io(format!("no Connection Confirm: {a:?}")),
        };
        NetError::new(Phase::ReadCc, kind)
    }
}

/// What one Connect Initial brought back.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Outcome {
    /// A Connect Response with rt-successful, its GCC Conference Create Response decoded into
    /// the server data blocks (2.2.1.4).
    Connected {
        /// The MCS Connect Response.
        response: Box<ConnectResponse>,
        /// The server data blocks (undecodable blocks are listed in it, not fatal).
        blocks: Box<ServerBlocks>,
    },
    /// A Connect Response with another T.125 Result.
    Rejected {
        /// The result.
        result: u32,
    },
    /// An MCS Disconnect-Provider-Ultimatum (T.125 10.1) instead of a Connect Response.
    Ultimatum {
        /// The T.125 Reason.
        reason: u8,
    },
    /// An X.224 Disconnect Request (X.224 13.5) instead of a Connect Response.
    X224Disconnect {
        /// The reason octet.
        reason: u8,
    },
    /// The X.224 exchange before MCS did not select the protocol the path needs.
    Refused(Refusal),
}

/// The result of one exchange: an outcome, or the failure of a read or write (close, reset,
/// timeout, undecodable answer) with the phase it happened in.
pub(crate) type Output = Result<Outcome, NetError>;

/// The Connect Initial frame (TPKT + X.224 Data + BER Connect-Initial + GCC Conference Create
/// Request + client data blocks as mstsc sends them) for `selected` offering `methods`.
pub(crate) fn connect_initial_frame(selected: u32, methods: EncryptionMethods) -> Result<Vec<u8>, DecodeError> {
    let blocks = ClientBlocks::mstsc(selected, methods).encode();
    let gcc = gcc::encode_conference_create_request(&blocks)?;
    let ci = ConnectInitial::new(gcc).encode()?;
    x224::encode_data(&ci)
}

/// Reads the server's answer to a Connect Initial: one whole TPKT frame.
pub(crate) fn decode_answer(frame: &[u8]) -> Output {
    let decode_err = |e| NetError::new(Phase::Mcs, NetErrorKind::Decode(e));
    let data = match x224::decode_data(frame) {
        Ok(d) => d,
        Err(e) => {
            return match ServerAnswer::decode(frame) {
                Ok(ServerAnswer::Disconnect { reason, .. }) => Ok(Outcome::X224Disconnect { reason }),
                _ => Err(decode_err(e)),
            }
        }
    };
    match ServerMcsPdu::decode(data).map_err(decode_err)? {
        ServerMcsPdu::DisconnectProviderUltimatum { reason } => Ok(Outcome::Ultimatum { reason }),
        ServerMcsPdu::ConnectResponse(cr) if cr.result != 0 => Ok(Outcome::Rejected { result: cr.result }),
        ServerMcsPdu::ConnectResponse(cr) => {
            let ud = cr.user_data.as_deref().unwrap_or_default();
            let ccr = ConferenceCreateResponse::decode(ud).map_err(decode_err)?;
            let blocks = ServerBlocks::decode(&ccr.user_data);
            Ok(Outcome::Connected { response: Box::new(cr), blocks: Box::new(blocks) })
        }
    }
}

/// One MCS Connect exchange as a machine: optionally the X.224 exchange first (a new
/// connection), then the Connect Initial and one TPKT frame of answer.
#[derive(Debug)]
pub(crate) struct Connect {
    /// The X.224 exchange still to run, and the protocol its answer must select.
    x224: Option<(Exchange, Protocol)>,
    /// The Connect Initial frame.
    initial: Result<Vec<u8>, DecodeError>,
}

impl Connect {
    /// The Connect Initial for `selected` (RDP_NEG_RSP selectedProtocol, echoed in CS_CORE)
    /// offering `methods`, on a connection whose X.224 exchange is done.
    pub(crate) fn new(selected: u32, methods: EncryptionMethods) -> Self {
        Connect { x224: None, initial: connect_initial_frame(selected, methods) }
    }

    /// The same after `x224` on the same stream, whose answer must select `want`.
    pub(crate) fn after_x224(x224: Exchange, want: Protocol, methods: EncryptionMethods) -> Self {
        Connect { x224: Some((x224, want)), ..Connect::new(want.value(), methods) }
    }

    fn send_initial(&mut self) -> Action<Output> {
        match &self.initial {
            Ok(bytes) => Action::Exchange {
                bytes: bytes.clone(),
                write_phase: Phase::Mcs,
                read: Read::new(Framing::Tpkt, Phase::Mcs),
            },
            Err(e) => Action::Done(Err(NetError::new(Phase::Mcs, NetErrorKind::Decode(e.clone())))),
        }
    }

    /// Passes the X.224 machine's action on; its answer decides whether MCS follows.
    fn after(&mut self, a: Action<Result<ServerAnswer, NetError>>) -> Action<Output> {
        match a {
            Action::Exchange { bytes, write_phase, read } => Action::Exchange { bytes, write_phase, read },
            Action::Read(read) => Action::Read(read),
            // The X.224 exchange always expects an answer.
            Action::SendLast { write_phase, .. } => Action::Done(Err(NetError::new(
                write_phase,
                NetErrorKind::Io("X.224 exchange expects no answer".into()),
            ))),
            Action::Done(Err(e)) => Action::Done(Err(e)),
            Action::Done(Ok(answer)) => {
                let want = self.x224.take().map_or(Protocol::Rdp, |(_, w)| w);
                match Refusal::check(want, &answer) {
                    Err(r) => Action::Done(Ok(Outcome::Refused(r))),
                    Ok(()) => self.send_initial(),
                }
            }
        }
    }
}

impl Machine for Connect {
    type Output = Output;

    fn start(&mut self) -> Action<Output> {
        match self.x224.as_mut() {
            Some((x, _)) => {
                let a = x.start();
                self.after(a)
            }
            None => self.send_initial(),
        }
    }

    fn input(&mut self, input: Input<'_>) -> Action<Output> {
        if let Some((x, _)) = self.x224.as_mut() {
            let a = x.input(input);
            return self.after(a);
        }
        Action::Done(match input {
            Input::Frame(frame) => decode_answer(frame),
            Input::Error(e) => Err(e),
        })
    }

    fn sent(&mut self, written: Result<(), NetError>) -> Output {
        written.and(Err(NetError::new(Phase::Mcs, NetErrorKind::Closed { received: 0 })))
    }
}

// ---- The plan ----

/// Which MCS exchange the negotiation answers allow (MS-RDPBCGR 5.3 Standard RDP Security,
/// 5.4 Enhanced RDP Security).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Path {
    /// Standard RDP Security on plain TCP; `legacy`: X.224 without RDP_NEG_REQ (a
    /// pre-negotiation server that did not accept request 0x00 with RDP_NEG_REQ).
    Rdp {
        /// Send the Connection Request without RDP_NEG_REQ.
        legacy: bool,
    },
    /// X.224 selecting SSL, TLS, then MCS inside TLS.
    Tls,
    /// No MCS exchange: the report says why.
    NotReachable(String),
}

impl Path {
    /// The transport the path reports (none when unreachable).
    pub(crate) fn transport(&self) -> Option<Transport> {
        match self {
            Path::Rdp { .. } => Some(Transport::Tcp),
            Path::Tls => Some(Transport::Tls),
            Path::NotReachable(_) => None,
        }
    }
}

/// The path for a negotiation report: Standard RDP Security when it was accepted (or the
/// server predates negotiation), else MCS inside TLS when TLS alone was accepted and NLA is
/// not required, else why MCS is out of reach.
pub(crate) fn path(neg: &NegotiationReport) -> Path {
    let accepted = |p: Protocol| neg.accepted(p);
    let nla_required = neg.nla == Some(NlaRequirement::Required);
    if accepted(Protocol::Rdp) || neg.legacy {
        Path::Rdp { legacy: neg.legacy && !accepted(Protocol::Rdp) }
    } else if accepted(Protocol::Ssl) && !nla_required {
        Path::Tls
    } else if nla_required || accepted(Protocol::Hybrid) || accepted(Protocol::HybridEx) {
        // MCS follows CredSSP only after TSCredentials, which the probe never sends.
        Path::NotReachable(
            "MCS not checked: only CredSSP (NLA) was accepted, and MCS follows CredSSP only after the client delegates its credentials (TSCredentials), which rdp-probe never sends"
                .into(),
        )
    } else {
        let tried: Vec<String> = [Protocol::Rdp, Protocol::Ssl, Protocol::Hybrid]
            .iter()
            .map(|p| format!("{}: {}", p.name(), neg.verdict(*p).map_or_else(|| "not asked".into(), |v| v.name())))
            .collect();
        Path::NotReachable(format!(
            "MCS not reachable: the listener accepted none of Standard RDP Security, TLS and CredSSP ({})",
            tried.join(", ")
        ))
    }
}

/// The first Standard RDP Security offer: every method, as a current mstsc offers (0x1b).
pub(crate) const FIRST_OFFER: EncryptionMethods = EncryptionMethods::ALL;

/// The per-method offers after the first exchange (one connection each, in [`METHODS`] order):
/// when `enabled` and MCS answered the first offer at all (a Connect Response or an Ultimatum;
/// not a refusal, a disconnect, a close or a timeout, which one offer per method would only
/// repeat).
pub(crate) fn method_offers(first: &Output, enabled: bool) -> &'static [EncryptionMethod] {
    let answered =
        matches!(first, Ok(Outcome::Connected { .. } | Outcome::Rejected { .. } | Outcome::Ultimatum { .. }));
    if enabled && answered {
        &METHODS
    } else {
        &[]
    }
}

/// The method the server chose for the all-methods offer, when it is one of the per-method
/// offers other than "none": a server that picks it from every method picks it when it is all
/// it is offered (checked on every captured server), so its per-method answer is the first
/// exchange's, and the probe saves that connection.
pub(crate) fn chosen_method(all: &Output) -> Option<EncryptionMethod> {
    let Ok(Outcome::Connected { blocks, .. }) = all else { return None };
    let chosen = EncryptionMethod::from(blocks.security.as_ref()?.encryption_method);
    (chosen != EncryptionMethod::None && METHODS.contains(&chosen)).then_some(chosen)
}

// ---- The report ----

/// A failure of the step as the report carries it.
pub(crate) fn step_error(e: &NetError) -> StepError {
    StepError { phase: e.phase, detail: e.kind.to_string(), client_limitation: false, kind: Some(e.error_kind()) }
}

fn mcs_error(detail: String) -> StepError {
    StepError { phase: Phase::Mcs, detail, client_limitation: false, kind: Some(ErrorKind::Other) }
}

/// Fills the report from the first exchange (every method offered, or MCS inside TLS).
pub(crate) fn apply(report: &mut McsReport, out: &Output) {
    match out {
        Ok(Outcome::Connected { response, blocks }) => {
            report.mcs_result = Some(mcs::result_name(response.result));
            report.called_connect_id = response.called_connect_id;
            report.domain_parameters = response.domain_parameters;
            report.apply_blocks(blocks);
            // The X.509 chain of SC_SECURITY: summaries, link checks, the leaf as server key.
            let chain = blocks.security.as_ref().and_then(|s| s.server_certificate.as_ref()).and_then(|c| match c {
                Ok(gcc::ServerCertificate { kind: gcc::CertificateKind::X509Chain(certs), .. }) => Some(certs),
                _ => None,
            });
            if let (Some(certs), Some(sc)) = (chain, report.server_certificate.as_mut()) {
                crate::steps::server_chain::fill(sc, certs);
            }
        }
        Ok(Outcome::Rejected { result }) => {
            report.mcs_result = Some(mcs::result_name(*result));
            report.error = Some(mcs_error(format!("Connect-Response result {}", mcs::result_name(*result))));
        }
        Ok(Outcome::Ultimatum { reason }) => {
            report.error = Some(mcs_error(format!(
                "Disconnect-Provider-Ultimatum ({}) instead of a Connect-Response",
                mcs::reason_name(*reason)
            )));
        }
        Ok(Outcome::X224Disconnect { reason }) => {
            report.error =
                Some(mcs_error(format!("X.224 Disconnect Request (reason {reason}) instead of a Connect-Response")));
        }
        Ok(Outcome::Refused(r)) => report.error = Some(step_error(&r.error())),
        Err(e) => report.error = Some(step_error(e)),
    }
}

/// What the server did with an offer of `offered` alone.
pub(crate) fn method_answer(offered: EncryptionMethod, r: &Output) -> MethodAnswer {
    let v = offered.value();
    let error = |e: &NetError| match e.kind {
        // A close in answer to the offer; not when the offer (or the CR before it) was never
        // written: the server did not see it.
        NetErrorKind::Closed { .. } | NetErrorKind::Reset if !e.unsent => {
            MethodAnswer::failed(v, MethodOutcome::Closed, e.kind.to_string())
        }
        _ => MethodAnswer::failed(v, MethodOutcome::Error, format!("{}: {}", e.phase.as_str(), e.kind)),
    };
    match r {
        Ok(Outcome::Connected { blocks, .. }) => MethodAnswer::from_blocks(v, blocks),
        Ok(Outcome::Rejected { result }) => MethodAnswer::failed(v, MethodOutcome::Failed, mcs::result_name(*result)),
        Ok(Outcome::Ultimatum { reason }) => {
            MethodAnswer::failed(v, MethodOutcome::Disconnect, mcs::reason_name(*reason))
        }
        Ok(Outcome::X224Disconnect { reason }) => {
            MethodAnswer::failed(v, MethodOutcome::Disconnect, format!("X.224 Disconnect Request (reason {reason})"))
        }
        Ok(Outcome::Refused(refusal)) => error(&refusal.error()),
        Err(e) => error(e),
    }
}

/// The per-method answers in the order they were planned, up to and including the first cut
/// by the probe deadline (the later ones say nothing about the server).
pub(crate) fn method_answers<I>(results: I) -> BTreeMap<EncryptionMethod, MethodAnswer>
where
    I: IntoIterator<Item = (EncryptionMethod, Output)>,
{
    let mut answers = BTreeMap::new();
    for (offered, r) in results {
        let overall = matches!(&r, Err(e) if e.phase == Phase::Overall);
        answers.insert(offered, method_answer(offered, &r));
        if overall {
            break;
        }
    }
    answers
}

/// Records the per-method answers and derives `encryption_methods` and `method_behaviour`.
pub(crate) fn set_method_answers(report: &mut McsReport, answers: BTreeMap<EncryptionMethod, MethodAnswer>) {
    report.encryption_methods = answers.iter().map(|(k, a)| (*k, a.accepted)).collect();
    report.method_behaviour = method_behaviour(&answers);
    report.method_answers = answers;
}

/// One line on how the server treats offers: the case nmap gets wrong is a server that answers
/// one method whatever is offered (xrdp), which nmap lists as "SUCCESS" for every method.
pub(crate) fn method_behaviour(answers: &BTreeMap<EncryptionMethod, MethodAnswer>) -> Option<String> {
    if answers.is_empty() {
        return None;
    }
    let answered = |a: &&MethodAnswer| a.outcome == MethodOutcome::Answered;
    let chosen_name = |a: &MethodAnswer| a.method.map(|m| m.to_string()).unwrap_or_default();
    let in_order = || METHODS.iter().filter_map(|m| answers.get(m).map(|a| (*m, a)));
    let answered_all: Vec<&MethodAnswer> = answers.values().filter(answered).collect();
    if answered_all.is_empty() {
        return Some("no offer was answered".into());
    }
    let chosen: BTreeSet<Option<u32>> = answered_all.iter().map(|a| a.method_value).collect();
    let not_answered: Vec<String> =
        in_order().filter(|(_, a)| a.outcome != MethodOutcome::Answered).map(|(m, _)| m.to_string()).collect();
    let tail =
        if not_answered.is_empty() { String::new() } else { format!("; no answer to {}", not_answered.join(", ")) };
    if answered_all.len() > 1 && chosen.len() == 1 {
        let m = answered_all.first().map(|a| chosen_name(a)).unwrap_or_default();
        return Some(format!("answers {m} whatever is offered{tail}"));
    }
    let exceptions: Vec<String> = in_order()
        .filter(|(_, a)| answered(a) && !a.accepted)
        .map(|(m, a)| format!("{m} -> {}", chosen_name(a)))
        .collect();
    if exceptions.is_empty() {
        return Some(format!("answers the offered method{tail}"));
    }
    if exceptions.len() < answered_all.len() {
        return Some(format!("answers the offered method except {}{tail}", exceptions.join(", ")));
    }
    let parts: Vec<String> =
        in_order().filter(|(_, a)| answered(a)).map(|(m, a)| format!("{m} -> {}", chosen_name(a))).collect();
    Some(format!("answers {}{tail}", parts.join(", ")))
}

#[cfg(test)]
mod tests {
    //! The machine replayed against captured servers (xrdp at every crypt_level, FreeRDP shadow)
    //! and the MS-RDPBCGR 4.1 Windows dumps, cut at every byte, silent, closed and hostile.

    use super::*;
    use crate::report::mcs::EncryptionLevel;
    use crate::steps::machine::{replay, Event};
    use crate::wire::x224::NegotiationRequest;

    const V: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/mcs");
    /// MS-RDPBCGR 4.1.2: CC, RDP_NEG_RSP selecting PROTOCOL_RDP.
    const WIN_CC: &[u8] = include_bytes!("../../tests/vectors/mcs/windows-spec/rdpbcgr-4.1.2-server-x224-cc.bin");
    /// MS-RDPBCGR 4.1.4: Connect Response, SC_CORE / SC_SECURITY (128-bit, Client Compatible,
    /// 512-bit proprietary certificate) / SC_NET; its GCC connectPDU length byte says 0x2a.
    const WIN_CR: &[u8] =
        include_bytes!("../../tests/vectors/mcs/windows-spec/rdpbcgr-4.1.4-server-mcs-connect-response.bin");
    const XRDP_CC_00: &[u8] = include_bytes!("../../tests/vectors/mcs/xrdp-rdp-high-33891-mcs/x224-cc-req0x00.bin");
    const SHADOW_NLA_CC_00: &[u8] = include_bytes!("../../tests/vectors/x224/shadow-nla-cc-req0x00.bin");
    const XRDP_CC_0B: &[u8] = include_bytes!("../../tests/vectors/x224/xrdp-negotiate-cc-req0x0b.bin");
    const XRDP_CC_LEGACY: &[u8] = include_bytes!("../../tests/vectors/x224/xrdp-negotiate-cc-reqnone.bin");
    /// TPKT, X.224 DT, MCS Disconnect-Provider-Ultimatum rn-user-requested (xrdp's refusal).
    const DPU: &[u8] = &[0x03, 0x00, 0x00, 0x09, 0x02, 0xf0, 0x80, 0x21, 0x80];
    /// TPKT, X.224 Disconnect Request: LI 6, DR, DST-REF 0, SRC-REF 0x1234, reason 0.
    const DR: &[u8] = &[0x03, 0x00, 0x00, 0x0b, 0x06, 0x80, 0x00, 0x00, 0x12, 0x34, 0x00];

    /// Server directory, level, method, certificate key bits.
    const SERVERS: [(&str, EncryptionLevel, EncryptionMethod, Option<u64>); 7] = [
        ("xrdp-rdp-none-33895-mcs", EncryptionLevel::None, EncryptionMethod::None, None),
        ("xrdp-rdp-low-33893-mcs", EncryptionLevel::Low, EncryptionMethod::Bit40, Some(2048)),
        ("xrdp-rdp-medium-33892-mcs", EncryptionLevel::ClientCompatible, EncryptionMethod::Bit40, Some(2048)),
        ("xrdp-rdp-high-33891-mcs", EncryptionLevel::High, EncryptionMethod::Bit128, Some(2048)),
        ("xrdp-rdp-fips-33894-mcs", EncryptionLevel::Fips, EncryptionMethod::Fips, Some(2048)),
        ("xrdp-rdp-rsa512-33896-mcs", EncryptionLevel::High, EncryptionMethod::Bit128, Some(512)),
        // FreeRDP shadow probed from 127.0.0.1: encryption off whatever is offered.
        ("shadow-rdp-33912-mcs", EncryptionLevel::None, EncryptionMethod::None, None),
    ];
    /// Every offer captured: each method alone, then all of them.
    const OFFERS: [u32; 6] = [0x00, 0x01, 0x02, 0x08, 0x10, 0x1b];

    fn vector(dir: &str, file: &str) -> Vec<u8> {
        std::fs::read(format!("{V}/{dir}/{file}")).unwrap()
    }
    fn response(dir: &str, offer: u32) -> Vec<u8> {
        vector(dir, &format!("mcs-connect-response-meth{offer:#04x}.bin"))
    }
    fn run(m: &mut Connect, script: &[Event]) -> (Vec<Vec<u8>>, Output) {
        let r = replay(m, script);
        (r.sent, r.output)
    }
    /// The Connect Initial alone (the X.224 exchange done), offering `offer`.
    fn mcs_only(offer: u32, script: &[Event]) -> Output {
        run(&mut Connect::new(0, EncryptionMethods(offer)), script).1
    }
    /// X.224 with RDP_NEG_REQ for PROTOCOL_RDP (or legacy), then the Connect Initial.
    fn with_x224(legacy: bool, want: Protocol, script: &[Event]) -> (Vec<Vec<u8>>, Output) {
        let neg =
            (!legacy).then_some(NegotiationRequest { flags: Default::default(), requested_protocols: want.as_set() });
        run(&mut Connect::after_x224(Exchange::new(None, neg), want, FIRST_OFFER), script)
    }
    fn bytes(b: &[u8]) -> Event {
        Event::Bytes(b.to_vec())
    }
    fn report_of(out: &Output) -> McsReport {
        let mut r = McsReport::default();
        apply(&mut r, out);
        r
    }

    /// The per-method answer the probe takes from the all-methods offer is, on every captured
    /// server, the one the server gave when offered that method alone.
    #[test]
    fn chosen_method_answers_as_when_offered_alone() {
        let mut inferred = 0;
        for (dir, _, method, _) in SERVERS {
            let all = mcs_only(0x1b, &[bytes(&response(dir, 0x1b))]);
            let Some(chosen) = chosen_method(&all) else {
                assert_eq!(method, EncryptionMethod::None, "{dir}");
                continue;
            };
            assert_eq!(chosen, method, "{dir}");
            let alone = mcs_only(chosen.value(), &[bytes(&response(dir, chosen.value()))]);
            assert_eq!(method_answer(chosen, &all), method_answer(chosen, &alone), "{dir}");
            inferred += 1;
        }
        assert_eq!(inferred, 5);
        assert_eq!(chosen_method(&Err(NetError::new(Phase::Mcs, NetErrorKind::Reset))), None);
    }

    /// CS_SECURITY encryptionMethods (2.2.1.3.3: header 0xc002, length 12) of a Connect Initial.
    fn offered_methods(frame: &[u8]) -> u32 {
        let ci = ConnectInitial::decode(x224::decode_data(frame).unwrap()).unwrap();
        let at = ci.user_data.windows(4).position(|w| w == [0x02, 0xc0, 0x0c, 0x00]).unwrap();
        u32::from_le_bytes(ci.user_data.get(at + 4..at + 8).unwrap().try_into().unwrap())
    }

    #[test]
    fn sends_a_connect_initial_like_the_captured_one_for_every_offer() {
        // The captured Connect Initials come from another client (its own CS_CORE, channels):
        // ours must decode the same way and offer the same methods.
        for offer in OFFERS {
            let (sent, out) = run(
                &mut Connect::new(0, EncryptionMethods(offer)),
                &[bytes(&response("xrdp-rdp-high-33891-mcs", offer))],
            );
            let captured = vector("xrdp-rdp-high-33891-mcs", &format!("mcs-connect-initial-meth{offer:#04x}.bin"));
            let [ours] = sent.as_slice() else { panic!("{sent:?}") };
            assert_eq!((offered_methods(ours), offered_methods(&captured)), (offer, offer));
            let target = |f: &[u8]| ConnectInitial::decode(x224::decode_data(f).unwrap()).unwrap().target;
            assert_eq!(target(ours), target(&captured));
            assert!(matches!(out, Ok(Outcome::Connected { .. })), "offer {offer:#x}: {out:?}");
        }
        // The path inside TLS (selected PROTOCOL_SSL) offers every method as well.
        let (sent, _) = run(&mut Connect::new(1, FIRST_OFFER), &[Event::Close]);
        assert_eq!(offered_methods(sent.first().unwrap()), 0x1b);
    }

    #[test]
    fn every_captured_response_per_server_and_offer() {
        let mut replays = 0;
        for (dir, level, method, bits) in SERVERS {
            for offer in OFFERS {
                let out = mcs_only(offer, &[bytes(&response(dir, offer))]);
                replays += 1;
                let r = report_of(&out);
                assert_eq!(r.error, None, "{dir} {offer:#x}");
                assert_eq!(r.mcs_result.as_deref(), Some("rt_successful"));
                assert_eq!((r.encryption_level, r.selected_method), (Some(level), Some(method)), "{dir} {offer:#x}");
                assert_eq!(r.server_certificate.as_ref().and_then(|c| c.key_bits), bits, "{dir}");
                assert_eq!(r.version_code, Some(0x0008_0004));
                assert!(r.decode_errors.is_empty(), "{dir}: {:?}", r.decode_errors);
                // The same answer to an offer of one method: answered, accepted only if it matches.
                if offer != 0x1b {
                    let a = method_answer(EncryptionMethod::from(offer), &out);
                    assert_eq!(a.outcome, MethodOutcome::Answered);
                    assert_eq!(a.method, Some(method));
                    assert_eq!(a.level, Some(level));
                    assert_eq!(a.accepted, method.value() == offer, "{dir} {offer:#x}");
                }
            }
        }
        assert_eq!(replays, 42);
    }

    #[test]
    fn x224_then_connect_on_one_stream() {
        // xrdp: CC selecting PROTOCOL_RDP, then the Connect Response, as one stream in one-byte pieces.
        let mut stream = XRDP_CC_00.to_vec();
        stream.extend_from_slice(&response("xrdp-rdp-high-33891-mcs", 0x1b));
        let pieces: Vec<Event> = stream.iter().map(|b| Event::Bytes(vec![*b])).collect();
        let (sent, out) = with_x224(false, Protocol::Rdp, &pieces);
        assert_eq!(sent.len(), 2);
        assert_eq!(sent.first().unwrap(), &vec![3, 0, 0, 19, 14, 0xe0, 0, 0, 0, 0, 0, 1, 0, 8, 0, 0, 0, 0, 0]);
        assert_eq!(offered_methods(sent.get(1).unwrap()), 0x1b);
        assert_eq!(report_of(&out).encryption_level, Some(EncryptionLevel::High));
        // FreeRDP shadow's CC (src-ref 0) and answer.
        let (_, out) = with_x224(
            false,
            Protocol::Rdp,
            &[
                bytes(&vector("shadow-rdp-33912-mcs", "x224-cc-req0x00.bin")),
                bytes(&response("shadow-rdp-33912-mcs", 0x1b)),
            ],
        );
        assert_eq!(report_of(&out).blocks, ["sc_core", "sc_net", "sc_security"]);
        // A pre-negotiation server: legacy CR, CC without RDP_NEG_RSP, then MCS.
        let (sent, out) = with_x224(true, Protocol::Rdp, &[bytes(XRDP_CC_LEGACY), bytes(WIN_CR)]);
        assert_eq!(sent.first().unwrap(), &vec![3, 0, 0, 11, 6, 0xe0, 0, 0, 0, 0, 0]);
        assert!(matches!(out, Ok(Outcome::Connected { .. })), "{out:?}");
    }

    #[test]
    fn windows_spec_connect_response_despite_its_per_length() {
        // 4.1.2 CC then 4.1.4 Connect Response: the connectPDU length byte 0x2a is wrong (279
        // bytes follow); it must still decode.
        let (_, out) = with_x224(false, Protocol::Rdp, &[bytes(WIN_CC), bytes(WIN_CR)]);
        let r = report_of(&out);
        assert_eq!(r.error, None);
        assert_eq!(r.encryption_level, Some(EncryptionLevel::ClientCompatible));
        assert_eq!(r.selected_method, Some(EncryptionMethod::Bit128));
        assert_eq!(r.rdp_version.as_deref(), Some("RDP 5.0-8.1"));
        assert!(r.early_capability_flags_value.is_none(), "12-byte SC_CORE");
        assert_eq!(r.server_random_len, Some(32));
        let c = r.server_certificate.unwrap();
        assert_eq!(
            (c.kind.as_str(), c.key_bits, c.exponent, c.signature_valid),
            ("proprietary", Some(512), Some(65537), Some(true))
        );
        assert_eq!(r.io_channel, Some(1003));
        assert_eq!(r.channels.iter().map(|c| c.id).collect::<Vec<_>>(), [1004, 1005, 1006]);
        assert_eq!(r.called_connect_id, Some(0));
        let a = method_answer(EncryptionMethod::Bit128, &out);
        assert!(a.accepted && a.outcome == MethodOutcome::Answered);
    }

    /// Every prefix of every vector, then a close or silence: a typed failure in the right
    /// phase, never a panic or a success.
    #[test]
    fn every_prefix_closes_or_times_out() {
        let mut vectors: Vec<Vec<u8>> = SERVERS
            .iter()
            .map(|(d, ..)| response(d, 0x1b))
            .chain([WIN_CR.to_vec(), DPU.to_vec(), DR.to_vec()])
            .collect();
        vectors.dedup();
        let mut replays = 0;
        for v in &vectors {
            for cut in 0..v.len() {
                let prefix = v.get(..cut).unwrap().to_vec();
                let e = mcs_only(0x1b, &[Event::Bytes(prefix.clone()), Event::Close]).unwrap_err();
                assert_eq!(
                    (e.phase, e.kind.clone()),
                    (Phase::Mcs, NetErrorKind::Closed { received: cut }),
                    "cut {cut}"
                );
                let e = mcs_only(0x1b, &[Event::Bytes(prefix), Event::Silence]).unwrap_err();
                assert_eq!((e.phase, e.kind), (Phase::Mcs, NetErrorKind::Timeout), "cut {cut}");
                replays += 2;
            }
        }
        // With the X.224 exchange first: a cut in the CC fails in read_cc, later ones in mcs.
        let mut stream = WIN_CC.to_vec();
        stream.extend_from_slice(WIN_CR);
        for cut in 0..stream.len() {
            let (sent, out) = with_x224(false, Protocol::Rdp, &[bytes(stream.get(..cut).unwrap()), Event::Close]);
            let e = out.unwrap_err();
            let phase = if cut < WIN_CC.len() { Phase::ReadCc } else { Phase::Mcs };
            assert_eq!(e.phase, phase, "cut {cut}");
            assert!(matches!(e.kind, NetErrorKind::Closed { .. }), "cut {cut}: {e:?}");
            assert_eq!(sent.len(), if cut < WIN_CC.len() { 1 } else { 2 }, "cut {cut}");
            replays += 1;
        }
        assert!(replays > 5000, "{replays}");
    }

    #[test]
    fn ultimatum_and_x224_disconnect() {
        let out = mcs_only(0x1b, &[bytes(DPU)]);
        assert_eq!(out, Ok(Outcome::Ultimatum { reason: 3 }));
        let r = report_of(&out);
        let e = r.error.unwrap();
        assert_eq!(e.detail, "Disconnect-Provider-Ultimatum (rn_user_requested) instead of a Connect-Response");
        assert_eq!((e.phase, e.kind), (Phase::Mcs, Some(ErrorKind::Other)));
        let a = method_answer(EncryptionMethod::Fips, &out);
        assert_eq!((a.outcome, a.detail.as_deref()), (MethodOutcome::Disconnect, Some("rn_user_requested")));
        assert_eq!(method_offers(&out, true), &METHODS, "MCS answered: the per-method offers follow");

        let out = mcs_only(0x1b, &[bytes(DR)]);
        assert_eq!(out, Ok(Outcome::X224Disconnect { reason: 0 }));
        assert_eq!(report_of(&out).error.unwrap().kind, Some(ErrorKind::Other));
        assert_eq!(method_answer(EncryptionMethod::None, &out).outcome, MethodOutcome::Disconnect);
        assert!(method_offers(&out, true).is_empty());
        // After the X.224 exchange on the same stream.
        let (_, out) = with_x224(false, Protocol::Rdp, &[bytes(XRDP_CC_00), bytes(DPU)]);
        assert_eq!(out, Ok(Outcome::Ultimatum { reason: 3 }));
    }

    #[test]
    fn refusals_are_typed() {
        // FreeRDP /sec:nla answers request 0x00 with HYBRID_REQUIRED_BY_SERVER: no Connect Initial.
        let (sent, out) = with_x224(false, Protocol::Rdp, &[bytes(SHADOW_NLA_CC_00)]);
        assert_eq!(sent.len(), 1);
        assert_eq!(out, Ok(Outcome::Refused(Refusal::Failure(FailureCode::HybridRequiredByServer))));
        let r = report_of(&out);
        let e = r.error.unwrap();
        assert_eq!((e.phase, e.kind), (Phase::ReadCc, Some(ErrorKind::ServerRefused)));
        assert_eq!(e.detail, "negotiation refused: HYBRID_REQUIRED_BY_SERVER (5)");
        let a = method_answer(EncryptionMethod::Bit40, &out);
        assert_eq!(a.outcome, MethodOutcome::Error);
        assert_eq!(a.detail.as_deref(), Some("read_cc: negotiation refused: HYBRID_REQUIRED_BY_SERVER (5)"));
        assert!(method_offers(&out, true).is_empty());
        // A CC selecting TLS where PROTOCOL_RDP was needed.
        let (_, out) = with_x224(false, Protocol::Rdp, &[bytes(XRDP_CC_0B)]);
        assert_eq!(out, Ok(Outcome::Refused(Refusal::Selected(Protocol::Ssl))));
        assert_eq!(report_of(&out).error.unwrap().detail, "negotiation selected ssl");
        // No RDP_NEG_RSP is fine for PROTOCOL_RDP, not for TLS.
        let legacy = ServerAnswer::decode(XRDP_CC_LEGACY).unwrap();
        assert_eq!(Refusal::check(Protocol::Rdp, &legacy), Ok(()));
        assert_eq!(Refusal::check(Protocol::Ssl, &legacy), Err(Refusal::NoNegotiation));
        assert_eq!(Refusal::NoNegotiation.error().kind, NetErrorKind::Io("no negotiation answer".into()));
        // An X.224 DR or an MCS PDU answering the CR.
        let (_, out) = with_x224(false, Protocol::Rdp, &[bytes(DR)]);
        let Ok(Outcome::Refused(r @ Refusal::NotConfirm(_))) = out else { panic!("{out:?}") };
        assert!(matches!(r.error().kind, NetErrorKind::Io(t) if t.starts_with("no Connection Confirm: Disconnect")));
        let (_, out) = with_x224(false, Protocol::Rdp, &[bytes(DPU)]);
        assert!(matches!(out, Ok(Outcome::Refused(Refusal::NotConfirm(ServerAnswer::Data { .. })))), "{out:?}");
        // An X.224 failure itself stays an error of its phase.
        let (_, out) = with_x224(false, Protocol::Rdp, &[Event::Silence]);
        assert_eq!(out.unwrap_err(), NetError::new(Phase::ReadCc, NetErrorKind::Timeout));
    }

    /// The spec's Connect Response with one length made a lie (offsets as in the hostile
    /// integration test), a failing result, garbage and foreign bytes: a typed failure or a
    /// report listing what did not decode, never a panic.
    #[test]
    fn hostile_answers() {
        let patch = |off: usize, with: &[u8]| {
            let mut f = WIN_CR.to_vec();
            let end = (off + with.len()).min(f.len());
            f.splice(off..end, with.iter().copied());
            let len = u16::try_from(f.len()).unwrap().to_be_bytes();
            f.splice(2..4, len);
            f
        };
        let lies = [
            patch(9, &[0x82, 0xff, 0xff]),                            // Connect-Response BER length
            patch(0x2f, &[0x82, 0xff, 0xff]),                         // userData OCTET STRING length
            patch(0x47, &[0xbf, 0xff]),                               // GCC ConnectPDU PER length
            patch(0x49, &[0x01, 0x0c, 0xff, 0xff]),                   // SC_CORE header length
            patch(0x49, &[0x01, 0x0c, 0x00, 0x00]),                   // zero-length block
            patch(0x49, &[0x01, 0x0c, 0x02, 0x00]),                   // shorter than its header
            patch(0x07, &[0x7f, 0x66, 0x84, 0xff, 0xff, 0xff, 0xff]), // 4-byte BER length
        ];
        for (i, v) in lies.iter().enumerate() {
            let r = report_of(&mcs_only(0x1b, &[bytes(v)]));
            assert!(r.error.is_some() || !r.decode_errors.is_empty(), "lie {i}: {r:?}");
        }
        // TPKT length below its header, or claiming 65,535 bytes and stopping.
        let e = mcs_only(0x1b, &[bytes(&[3, 0, 0, 2])]).unwrap_err();
        assert!(matches!(e.kind, NetErrorKind::Decode(_)), "{e:?}");
        let e = mcs_only(0x1b, &[bytes(&[3, 0, 0xff, 0xff, 2, 0xf0, 0x80]), Event::Silence]).unwrap_err();
        assert_eq!(e.kind, NetErrorKind::Timeout);
        // A Connect Response with rt-unspecified-failure and nothing else (3.3.5.3.3.1).
        let cr = ConnectResponse { result: 14, called_connect_id: None, domain_parameters: None, user_data: None };
        let frame = x224::encode_data(&cr.encode().unwrap()).unwrap();
        let out = mcs_only(0x1b, &[bytes(&frame)]);
        assert_eq!(out, Ok(Outcome::Rejected { result: 14 }));
        let r = report_of(&out);
        assert_eq!(r.mcs_result.as_deref(), Some("rt_unspecified_failure"));
        assert_eq!(r.error.unwrap().detail, "Connect-Response result rt_unspecified_failure");
        assert_eq!(method_answer(EncryptionMethod::Bit128, &out).outcome, MethodOutcome::Failed);
        // A CC where the Connect Response was due, an unknown MCS PDU, garbage in a DT.
        for f in [WIN_CC.to_vec(), vec![3, 0, 0, 9, 2, 0xf0, 0x80, 0xff, 0], vec![3, 0, 0, 8, 2, 0xf0, 0x80, 0x7f]] {
            let e = mcs_only(0x1b, &[bytes(&f)]).unwrap_err();
            assert!(matches!(e.kind, NetErrorKind::Decode(_)) && e.phase == Phase::Mcs, "{f:?}: {e:?}");
        }
        // Another service: its banner comes up as foreign bytes.
        let e = mcs_only(0x1b, &[bytes(b"SSH-2.0-OpenSSH_9.2\r\n")]).unwrap_err();
        assert!(matches!(e.kind, NetErrorKind::NotTpkt(ref b) if b.starts_with(b"SSH-")), "{e:?}");
        // Reset and close before any byte.
        let e = mcs_only(0x1b, &[Event::Close]).unwrap_err();
        assert_eq!(method_answer(EncryptionMethod::Bit40, &Err(e)).outcome, MethodOutcome::Closed);
        // The Connect Initial never left: the server did not see the offer (an error, not a
        // close in answer to it).
        let e = mcs_only(0x1b, &[Event::WriteFails]).unwrap_err();
        assert_eq!((e.phase, e.unsent), (Phase::Mcs, true));
        let a = method_answer(EncryptionMethod::Bit40, &Err(e));
        assert_eq!((a.outcome, a.detail.as_deref()), (MethodOutcome::Error, Some("mcs: connection reset by peer")));
        // The same when the CR before it failed, or the Connect Initial after the CC.
        let (sent, out) = with_x224(false, Protocol::Rdp, &[Event::WriteFails]);
        assert!(sent.is_empty() && matches!(&out, Err(e) if e.phase == Phase::SendCr && e.unsent), "{out:?}");
        assert_eq!(method_answer(EncryptionMethod::Bit40, &out).outcome, MethodOutcome::Error);
        let (sent, out) = with_x224(false, Protocol::Rdp, &[bytes(XRDP_CC_00), Event::WriteFails]);
        assert_eq!(sent.len(), 1, "the CR only");
        assert_eq!(method_answer(EncryptionMethod::Bit40, &out).outcome, MethodOutcome::Error);
        let (_, out) = with_x224(false, Protocol::Rdp, &[bytes(XRDP_CC_00), Event::Close]);
        assert_eq!(method_answer(EncryptionMethod::Bit40, &out).outcome, MethodOutcome::Closed);
        // Random frames: never a panic.
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for n in 0..2000usize {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let len = 7 + n % 120;
            let mut f: Vec<u8> = (0..len).map(|i| (x.rotate_left(i as u32 % 64) >> 3) as u8).collect();
            f.splice(..7, [3, 0, 0, len as u8, 2, 0xf0, 0x80]);
            let _ = report_of(&mcs_only(0x1b, &[bytes(&f)]));
        }
    }

    #[test]
    fn the_plan() {
        let ok = mcs_only(0x1b, &[bytes(WIN_CR)]);
        assert_eq!(method_offers(&ok, true), &METHODS);
        assert!(method_offers(&ok, false).is_empty());
        assert!(method_offers(&Err(NetError::new(Phase::Mcs, NetErrorKind::Timeout)), true).is_empty());
        assert_eq!(METHODS.map(|m| m.value()), [0, 1, 8, 2, 0x10]);

        use crate::report::NegotiationReport;
        let neg = |verdicts: &[(&str, &str)], legacy: bool, nla: Option<NlaRequirement>| NegotiationReport {
            protocols: verdicts
                .iter()
                .map(|(k, v)| (Protocol::from_name(k).unwrap(), crate::report::ProtocolVerdict::from_name(v).unwrap()))
                .collect(),
            legacy,
            nla,
            ..NegotiationReport::default()
        };
        assert_eq!(path(&neg(&[("rdp", "accepted")], false, None)), Path::Rdp { legacy: false });
        assert_eq!(path(&neg(&[("rdp", "no_negotiation")], true, None)), Path::Rdp { legacy: true });
        assert_eq!(path(&neg(&[("rdp", "accepted")], true, None)), Path::Rdp { legacy: false });
        assert_eq!(path(&neg(&[("ssl", "accepted")], false, None)), Path::Tls);
        assert_eq!(path(&neg(&[("ssl", "accepted")], false, None)).transport(), Some(Transport::Tls));
        let nla = path(&neg(&[("ssl", "accepted")], false, Some(NlaRequirement::Required)));
        assert!(matches!(nla, Path::NotReachable(ref t) if t.starts_with("MCS not checked")), "{nla:?}");
        let none = path(&neg(&[("rdp", "ssl_required_by_server")], false, None));
        assert_eq!(
            none,
            Path::NotReachable("MCS not reachable: the listener accepted none of Standard RDP Security, TLS and CredSSP (rdp: ssl_required_by_server, ssl: not asked, hybrid: not asked)".into())
        );
        assert_eq!(none.transport(), None);
    }

    #[test]
    fn method_answers_stop_at_the_probe_deadline() {
        let ok = || mcs_only(0x1b, &[bytes(&response("xrdp-rdp-high-33891-mcs", 0x02))]);
        let results = vec![
            (EncryptionMethod::None, ok()),
            (EncryptionMethod::Bit40, Err(NetError::new(Phase::Overall, NetErrorKind::Timeout))),
            (EncryptionMethod::Bit56, ok()),
        ];
        let answers = method_answers(results);
        assert_eq!(answers.keys().copied().collect::<Vec<_>>(), [EncryptionMethod::Bit40, EncryptionMethod::None]);
        assert_eq!(answers[&EncryptionMethod::Bit40].detail.as_deref(), Some("overall: timed out"));
    }

    fn ans(offered: EncryptionMethod, got: EncryptionMethod) -> MethodAnswer {
        let mut a = MethodAnswer::failed(offered.value(), MethodOutcome::Answered, String::new());
        a.detail = None;
        a.accepted = offered == got;
        a.method = Some(got);
        a.method_value = Some(got.value());
        a.level = Some(EncryptionLevel::High);
        a
    }

    #[test]
    fn behaviour_lines() {
        let all_128: BTreeMap<EncryptionMethod, MethodAnswer> =
            METHODS.iter().map(|m| (*m, ans(*m, EncryptionMethod::Bit128))).collect();
        assert_eq!(method_behaviour(&all_128).unwrap(), "answers 128bit whatever is offered");
        let mut honest: BTreeMap<EncryptionMethod, MethodAnswer> =
            METHODS.iter().skip(1).map(|m| (*m, ans(*m, *m))).collect();
        honest.insert(EncryptionMethod::None, MethodAnswer::failed(0, MethodOutcome::Closed, "closed".into()));
        assert_eq!(method_behaviour(&honest).unwrap(), "answers the offered method; no answer to none");
        // FreeRDP shadow from 127.0.0.2: the NONE offer gets 128-bit
        honest.insert(EncryptionMethod::None, ans(EncryptionMethod::None, EncryptionMethod::Bit128));
        assert_eq!(method_behaviour(&honest).unwrap(), "answers the offered method except none -> 128bit");
        let odd: BTreeMap<EncryptionMethod, MethodAnswer> = [
            (EncryptionMethod::Bit40, ans(EncryptionMethod::Bit40, EncryptionMethod::Bit128)),
            (EncryptionMethod::Fips, ans(EncryptionMethod::Fips, EncryptionMethod::Other(0x03))),
        ]
        .into_iter()
        .collect();
        assert_eq!(method_behaviour(&odd).unwrap(), "answers 40bit -> 128bit, fips -> 40bit|128bit");
        let mut r = McsReport::default();
        set_method_answers(&mut r, all_128);
        assert_eq!(r.encryption_methods.get(&EncryptionMethod::Bit128), Some(&true));
        assert_eq!(r.encryption_methods.get(&EncryptionMethod::Bit40), Some(&false));
        assert!(method_behaviour(&BTreeMap::new()).is_none());
    }
}
