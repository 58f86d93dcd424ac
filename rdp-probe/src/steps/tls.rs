//! The TLS step without I/O (MS-RDPBCGR 5.4.5.1: TLS after the X.224 exchange; 5.4.2.2: the
//! Direct Approach): the raw ClientHello machine ([`RawAttempt`]), the plan of the version
//! probes and of the cipher-suite enumeration ([`CipherEnumeration`]: offer a list, remove
//! the suite the server chose, repeat), and the pure functions that judge the answers and
//! build the `tls` section of the report ([`TlsBuild`]).
//!
//! The rustls handshake itself runs in the driver (`net/tls.rs`, tokio-rustls; rustls is its
//! own sans-IO machine); its failure is judged here ([`handshake_error`],
//! [`judge_rustls_failure`], [`judge_upgrade_failure`]).

use crate::report::tls::{CipherGrade, CipherSuiteInfo, TlsAttempt, TlsError, TlsReport, TlsSource, TlsVersion};
use crate::report::{Answer, ErrorKind, NegotiationAttempt, NegotiationReport, Phase};
use crate::steps::io::{NetError, NetErrorKind};
use crate::steps::machine::{Action, Framing, Input, Machine, Read};
use crate::wire::codec::DecodeError;
use crate::wire::tls::{not_tls, suites, ClientHello, ServerFlight, ServerHello};
use crate::wire::x224::{FailureCode, Protocol, Selection, ServerAnswer};
use std::fmt;

/// A version we can offer in a ClientHello (one of the four).
pub(crate) use crate::wire::tls::OfferedVersion as Offer;

// ---------------------------------------------------------------------------------------------
// The raw ClientHello machine.
// ---------------------------------------------------------------------------------------------

/// Why reading a raw attempt's answer stopped before the flight was finished.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum RawEnd {
    /// The server closed the connection (EOF), at a record boundary or inside one.
    Closed,
    /// The read failed otherwise: timeout, reset, I/O error.
    Net(NetErrorKind),
    /// Our ClientHello was never written (the connection was gone): the server saw no offer.
    Unsent(NetErrorKind),
    /// The records could not be decoded (an oversized length, a lying handshake length...).
    Decode(DecodeError),
}

impl fmt::Display for RawEnd {
    /// The text the report shows in `detail`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RawEnd::Closed => f.write_str("connection closed"),
            RawEnd::Net(k) => write!(f, "{k}"),
            RawEnd::Unsent(k) => write!(f, "ClientHello not sent: {k}"),
            RawEnd::Decode(e) => write!(f, "{e}"),
        }
    }
}

/// What a raw ClientHello got back.
#[derive(Debug, Clone)]
pub(crate) struct RawOutcome {
    /// The server's first flight as far as it came.
    pub flight: ServerFlight,
    /// Why reading stopped before the flight was finished.
    pub end: Option<RawEnd>,
    /// The server's first bytes (at most [`not_tls::MAX_KEPT`]) when they are not TLS.
    pub not_tls: Option<Vec<u8>>,
    /// Milliseconds from connect to answer (set by the driver).
    pub ms: f64,
}

impl RawOutcome {
    /// Whether the server closed (or reset) the connection without sending a byte: on a kept
    /// negotiation connection, possibly a close while it waited rather than an answer.
    pub(crate) fn closed_before_answer(&self) -> bool {
        self.flight.record_versions.is_empty()
            && self.not_tls.is_none()
            && matches!(
                &self.end,
                Some(RawEnd::Closed | RawEnd::Net(NetErrorKind::Reset | NetErrorKind::Closed { .. }))
            )
    }
}

/// One raw attempt on a connection that is ready for TLS (after the X.224 exchange, or a
/// fresh one for the Direct Approach): send our ClientHello, read TLS records into a
/// [`ServerFlight`] until it is finished (ServerHelloDone, an alert, encrypted records, a
/// HelloRetryRequest), the server closes, or a non-TLS answer arrives (a TPKT frame is read
/// whole, so xrdp's clear-text MCS Disconnect-Provider-Ultimatum is seen complete).
///
/// The driver bounds the whole flight with one read timeout and, when it expires, hands the
/// timeout to [`Machine::input`] (the machine then reports what came so far).
#[derive(Debug)]
pub(crate) struct RawAttempt {
    hello: Vec<u8>,
    flight: ServerFlight,
    /// The first bytes received ([`not_tls::MAX_KEPT`] at most), for a non-TLS answer.
    seen: Vec<u8>,
    /// The result, once given (a later input gets it again).
    result: Option<RawOutcome>,
}

impl RawAttempt {
    /// The attempt that sends `hello`.
    pub(crate) fn new(hello: &ClientHello) -> Self {
        RawAttempt { hello: hello.encode(), flight: ServerFlight::new(), seen: Vec::new(), result: None }
    }

    fn read() -> Read {
        Read::new(Framing::TlsRecord, Phase::Tls)
    }

    fn outcome(&mut self, end: Option<RawEnd>) -> RawOutcome {
        if let Some(r) = &self.result {
            return r.clone();
        }
        let not_tls = self.flight.not_tls.is_some().then(|| self.seen.clone());
        let r = RawOutcome { flight: self.flight.clone(), end, not_tls, ms: 0.0 };
        self.result = Some(r.clone());
        r
    }
}

impl Machine for RawAttempt {
    type Output = RawOutcome;

    fn start(&mut self) -> Action<RawOutcome> {
        Action::Exchange { bytes: self.hello.clone(), write_phase: Phase::Tls, read: Self::read() }
    }

    fn input(&mut self, input: Input<'_>) -> Action<RawOutcome> {
        if self.result.is_some() {
            // Asked again after the result (a timeout racing the last frame): nothing new.
            return Action::Done(self.outcome(None));
        }
        match input {
            Input::Error(e) => {
                let end = match e.kind {
                    k if e.unsent => RawEnd::Unsent(k),
                    NetErrorKind::Closed { .. } => RawEnd::Closed,
                    NetErrorKind::Decode(d) => RawEnd::Decode(d),
                    k => RawEnd::Net(k),
                };
                Action::Done(self.outcome(Some(end)))
            }
            Input::Frame(frame) => {
                let room = not_tls::MAX_KEPT.saturating_sub(self.seen.len());
                self.seen.extend(frame.iter().take(room));
                if let Err(e) = self.flight.feed(frame) {
                    return Action::Done(self.outcome(Some(RawEnd::Decode(e))));
                }
                if self.flight.finished() {
                    return Action::Done(self.outcome(None));
                }
                Action::Read(Self::read())
            }
        }
    }

    fn sent(&mut self, written: Result<(), NetError>) -> RawOutcome {
        let end = match written {
            Err(e) if e.unsent => RawEnd::Unsent(e.kind),
            Err(e) => RawEnd::Net(e.kind),
            Ok(()) => RawEnd::Closed,
        };
        self.outcome(Some(end))
    }
}

// ---------------------------------------------------------------------------------------------
// The X.224 answer before TLS, and the step's errors.
// ---------------------------------------------------------------------------------------------

/// The report error of a failed connection or handshake of attempt `attempt`.
pub(crate) fn tls_error(attempt: &str, e: &NetError) -> TlsError {
    let (client_limitation, server_sent) = match &e.kind {
        NetErrorKind::ClientLimitation { .. } => (true, None),
        NetErrorKind::NotTls { sent, .. } => (false, (!sent.is_empty()).then(|| crate::wire::codec::hex(sent))),
        _ => (false, None),
    };
    TlsError {
        phase: e.phase,
        text: e.kind.to_string(),
        attempt: attempt.into(),
        client_limitation,
        server_sent,
        kind: e.error_kind(),
    }
}

/// A TLS step failure that is not a [`NetError`].
pub(crate) fn step_fail(phase: Phase, kind: ErrorKind, text: String, attempt: &str) -> TlsError {
    TlsError { phase, text, attempt: attempt.into(), client_limitation: false, server_sent: None, kind }
}

/// Whether the X.224 answer lets TLS start (a TLS-based protocol selected, MS-RDPBCGR
/// 3.3.5.3.2); else the step's error for attempt `label`.
pub(crate) fn tls_selected(answer: &ServerAnswer, label: &str) -> Result<(), TlsError> {
    let refused = |text: String| step_fail(Phase::ReadCc, ErrorKind::Other, text, label);
    match answer.selection(Protocol::is_tls_based) {
        Selection::Wanted(_) => Ok(()),
        Selection::Other(_) => Err(refused("the server selected Standard RDP Security".into())),
        Selection::Failure(code) => Err(step_fail(Phase::ReadCc, ErrorKind::ServerRefused, code.name(), label)),
        Selection::UnknownType(ty) => Err(refused(format!("unknown negotiation type {ty}"))),
        Selection::NoNegotiation => Err(refused("no negotiation response (legacy server)".into())),
        Selection::Disconnect { reason } => Err(refused(format!("X.224 Disconnect Request, reason {reason}"))),
        Selection::Data => Err(refused("MCS Disconnect Provider Ultimatum instead of a CC".into())),
    }
}

/// The order of a request for the TLS step when the server answered it by selecting a
/// TLS-based protocol: SSL-selected before CredSSP-selected, then by requested value.
fn tls_key(a: &NegotiationAttempt) -> Option<(bool, u32)> {
    match &a.answer {
        Answer::Selected { protocol_value, .. }
            if [Protocol::Ssl, Protocol::Hybrid, Protocol::HybridEx].iter().any(|p| p.value() == *protocol_value) =>
        {
            Some((*protocol_value != Protocol::Ssl.value(), a.requested_value))
        }
        _ => None,
    }
}

/// X.224 requests that the server answered by selecting a TLS-based protocol, best first
/// (SSL-selected before CredSSP-selected, then by requested value).
pub(crate) fn tls_requests(neg: &NegotiationReport) -> Vec<u32> {
    let mut v: Vec<(bool, u32)> = neg.attempts.iter().filter_map(tls_key).collect();
    v.sort_unstable();
    let mut out: Vec<u32> = Vec::new();
    for (_, r) in v {
        if !out.contains(&r) {
            out.push(r);
        }
    }
    out
}

/// The request the TLS step will most likely use, from the answers so far: the best
/// request answered with a TLS-based selection once every request that could come before it
/// (`pending`: unanswered values) is answered. Certain when it selected SSL; when it
/// selected CredSSP, a larger request answered later with SSL would still come first (the
/// TLS step then repeats its version probes with that request). `None`: not yet known.
pub(crate) fn settled_request(answered: &[&NegotiationAttempt], pending: &[u32]) -> Option<u32> {
    let best = answered.iter().filter_map(|a| tls_key(a)).min()?;
    pending.iter().all(|p| *p > best.1).then_some(best.1)
}

/// The TLS section when no request selected TLS: SSL_CERT_NOT_ON_SERVER is the TLS layer's
/// failure and is reported here; otherwise there is no section.
pub(crate) fn no_tls_path(neg: &NegotiationReport) -> Option<TlsReport> {
    let no_cert = neg.attempts.iter().any(
        |a| matches!(&a.answer, Answer::Failure { code_value, .. } if *code_value == FailureCode::SslCertNotOnServer.value()),
    );
    no_cert.then(|| TlsReport {
        error: Some(step_fail(
            Phase::ReadCc,
            ErrorKind::ServerRefused,
            "ssl_cert_not_on_server: the listener has no usable TLS certificate".into(),
            "negotiation",
        )),
        ..TlsReport::default()
    })
}

// ---------------------------------------------------------------------------------------------
// Judging failures.
// ---------------------------------------------------------------------------------------------

/// The typed reason of a failed rustls handshake: what the server sent instead of TLS, a
/// limitation of our TLS stack, or the plain TLS / I/O error. `sent` is what the server sent
/// on this connection after our ClientHello (a whole TPKT frame when it fits).
pub(crate) fn handshake_error(e: &std::io::Error, sent: &[u8]) -> NetError {
    use rustls::{AlertDescription, PeerIncompatible};
    if let Some(nt) = not_tls::classify(sent) {
        return NetError::new(Phase::Tls, NetErrorKind::NotTls { sent: sent.to_vec(), text: nt.after_selecting_tls() });
    }
    let closed = matches!(
        e.kind(),
        std::io::ErrorKind::UnexpectedEof | std::io::ErrorKind::ConnectionReset | std::io::ErrorKind::ConnectionAborted
    );
    if sent.is_empty() && closed {
        let text = not_tls::CLOSED_AFTER_SELECTING_TLS.to_string();
        return NetError::new(Phase::Tls, NetErrorKind::NotTls { sent: Vec::new(), text });
    }
    let rustls_err = e.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>());
    match rustls_err {
        Some(
            r @ (rustls::Error::AlertReceived(AlertDescription::ProtocolVersion)
            | rustls::Error::PeerIncompatible(
                PeerIncompatible::ServerDoesNotSupportTls12Or13
                | PeerIncompatible::ServerTlsVersionIsDisabledByOurConfig,
            )),
        ) => NetError::new(
            Phase::Tls,
            NetErrorKind::ClientLimitation {
                version: true,
                text: format!(
                    "rdp-probe cannot complete a TLS handshake below version 1.2 (its TLS stack speaks TLS 1.2 and \
                     1.3 only) and the server refused both (rustls: {r})"
                ),
            },
        ),
        Some(r @ rustls::Error::PeerIncompatible(_)) => NetError::new(
            Phase::Tls,
            NetErrorKind::ClientLimitation {
                version: false,
                text: format!(
                    "rdp-probe cannot complete this TLS handshake: its TLS stack (rustls) does not support what the \
                     server requires (rustls: {r})"
                ),
            },
        ),
        _ => match e.kind() {
            std::io::ErrorKind::InvalidData | std::io::ErrorKind::Other => {
                NetError::new(Phase::Tls, NetErrorKind::Tls(e.to_string()))
            }
            _ => NetError::io(Phase::Tls, e),
        },
    }
}

/// The highest TLS version the raw engine found accepted when every accepted version is
/// below 1.2 (what rustls cannot speak); from the negotiated raw version when the
/// enumeration did not run.
pub(crate) fn legacy_only_version(tls: &TlsReport) -> Option<TlsVersion> {
    let accepted: Vec<TlsVersion> = tls.versions.iter().filter(|(_, ok)| **ok).map(|(v, _)| *v).collect();
    if !accepted.is_empty() {
        return accepted.iter().all(|v| v.is_legacy_tls()).then(|| accepted.iter().max().copied()).flatten();
    }
    match (tls.source, tls.version) {
        (Some(TlsSource::Raw), Some(v)) if v.is_legacy_tls() => Some(v),
        _ => None,
    }
}

/// The text of the TLS 1.0/1.1 limitation; `where_facts` names where the raw facts are.
pub(crate) fn legacy_version_text(version: TlsVersion, where_facts: &str) -> String {
    format!(
        "rdp-probe cannot complete a TLS {version} handshake (its TLS stack speaks TLS 1.2 and 1.3 only); the \
         certificate and versions {where_facts} come from raw ClientHellos"
    )
}

/// Whether `e` is a failed handshake (not a failure to connect) that rdp-probe's TLS stack
/// may be the cause of: everything but a non-TLS answer the server actually sent.
fn ours_possible(e: &NetError) -> bool {
    let handshake = e.phase == Phase::Tls
        && matches!(
            e.kind,
            NetErrorKind::Tls(_)
                | NetErrorKind::ClientLimitation { .. }
                | NetErrorKind::Closed { .. }
                | NetErrorKind::Reset
                | NetErrorKind::NotTls { .. }
        );
    handshake && !matches!(&e.kind, NetErrorKind::NotTls { sent, .. } if !sent.is_empty())
}

/// Judges a failed TLS upgrade for a step after the TLS step (MCS over TLS, CredSSP):
/// `(client_limitation, text)`. The failure is ours when rustls says so by its error kind,
/// or when the TLS step's raw enumeration shows only TLS 1.0/1.1 and the handshake failed.
pub(crate) fn judge_upgrade_failure(e: &NetError, tls: Option<&TlsReport>) -> (bool, String) {
    if ours_possible(e) {
        if let Some(v) = tls.and_then(legacy_only_version) {
            return (true, legacy_version_text(v, "in the tls section"));
        }
    }
    match &e.kind {
        NetErrorKind::ClientLimitation { text, .. } => (true, text.clone()),
        NetErrorKind::NotTls { sent, text } if !sent.is_empty() => {
            (false, format!("{text} (server sent {})", crate::wire::codec::hex(sent)))
        }
        k => (false, k.to_string()),
    }
}

/// Whether rustls implements `suite` (so a TLS 1.2 failure with it is not about the suite).
fn rustls_has_suite(suite: u16) -> bool {
    rustls::crypto::ring::default_provider().cipher_suites.iter().any(|s| u16::from(s.suite()) == suite)
}

/// The rustls failure of the TLS step judged with the raw facts gathered after it: ours when
/// every version the server accepts is below 1.2, or when at TLS 1.2 the server chose a suite
/// rustls does not implement. `None`: keep the error as it is.
pub(crate) fn judge_rustls_failure(e: &NetError, tls: &TlsReport, raw_hello: Option<&ServerHello>) -> Option<TlsError> {
    if !ours_possible(e) {
        return None;
    }
    let limitation = |text: String| TlsError {
        client_limitation: true,
        ..step_fail(Phase::Tls, ErrorKind::ClientLimitation, text, "rustls")
    };
    if let Some(v) = legacy_only_version(tls) {
        return Some(limitation(legacy_version_text(v, "above")));
    }
    let sh = raw_hello?;
    if sh.version() == Offer::Tls12.wire() && !rustls_has_suite(sh.cipher_suite) {
        return Some(limitation(format!(
            "rdp-probe cannot complete a TLS 1.2 handshake with {}, the suite the server chose (its TLS stack \
             implements only ECDHE suites with AES-GCM or ChaCha20-Poly1305); the certificate above comes from a raw \
             ClientHello",
            suites::suite_display(sh.cipher_suite)
        )));
    }
    None
}

// ---------------------------------------------------------------------------------------------
// Reading raw attempts, planning probes.
// ---------------------------------------------------------------------------------------------

/// The report of one raw attempt that offered `offered`; `want`: the version a ServerHello
/// must carry to count as accepted (`None`: any); `after_x224` when the X.224 exchange
/// selected TLS first (every attempt but the Direct Approach).
pub(crate) fn attempt_report(
    offered: Offer,
    want: Option<u16>,
    after_x224: bool,
    out: &Result<RawOutcome, TlsError>,
) -> TlsAttempt {
    let mut a = TlsAttempt {
        offered: offered.into(),
        accepted: false,
        server_version: None,
        cipher_suite: None,
        hello_retry_request: false,
        alert: None,
        detail: None,
        ms: 0.0,
    };
    match out {
        Err(e) => a.detail = Some(format!("{}: {}", e.phase.as_str(), e.text)),
        Ok(o) => {
            a.ms = o.ms;
            if let Some(sh) = &o.flight.server_hello {
                a.server_version = Some(TlsVersion::from_wire(sh.version()));
                a.cipher_suite = Some(suites::suite_display(sh.cipher_suite));
                a.hello_retry_request = sh.is_hello_retry_request();
                a.accepted = !matches!(want, Some(w) if sh.version() != w);
            }
            if let Some(al) = &o.flight.alert {
                a.alert = Some(format!("{} {}", al.level_name(), al.description_name()));
            }
            if let Some(b) = o.not_tls.as_ref().or(o.flight.not_tls.as_ref()) {
                let what = not_tls::classify(b).map(|nt| {
                    if after_x224 {
                        nt.after_selecting_tls()
                    } else {
                        format!("{} (the listener does not take TLS without X.224 first)", nt.name())
                    }
                });
                a.detail = Some(match what {
                    Some(w) => format!("not TLS: {}: {w}", crate::wire::codec::hex(b)),
                    None => format!("not TLS: {}", crate::wire::codec::hex(b)),
                });
            } else if o.flight.server_hello.is_none() {
                a.detail = o.end.as_ref().map(ToString::to_string);
            }
        }
    }
    a
}

/// The suites offered at `v`: the TLS 1.3 suites, or every suite of TLS 1.2 and below.
pub(crate) fn suites_for(v: Offer) -> Vec<u16> {
    if v == Offer::Tls13 {
        suites::tls13_suites()
    } else {
        suites::legacy_suites()
    }
}

/// The version probe's ClientHello for `v` (only `v`, every suite of it).
pub(crate) fn version_hello(v: Offer, name: &str) -> ClientHello {
    ClientHello::new(v, suites_for(v), Some(name))
}

/// The version of the Direct Approach probe: the best version below 1.3 the version probes
/// found accepted (TLS 1.2 when none was).
pub(crate) fn direct_approach_version(versions: &[(Offer, Result<RawOutcome, TlsError>)]) -> Offer {
    versions
        .iter()
        .filter(|(v, out)| *v != Offer::Tls13 && attempt_report(*v, Some(v.wire()), true, out).accepted)
        .map(|(v, _)| *v)
        .max()
        .unwrap_or(Offer::Tls12)
}

/// The answers of the version probes: per version offered, the raw attempt's outcome (or
/// why the connection failed).
pub(crate) type VersionOutcomes = Vec<(Offer, Result<RawOutcome, TlsError>)>;

/// The most connections one version's cipher enumeration may use.
pub(crate) const MAX_CIPHER_ATTEMPTS: usize = 128;

/// The cipher-suite enumeration of one version as a plan: [`CipherEnumeration::next_offer`]
/// says which suites the next ClientHello offers, [`CipherEnumeration::record`] takes the
/// answer. A ServerHello of that version with an offered suite removes the suite and the
/// enumeration goes on; an alert or a close ends it normally (the server refuses the rest);
/// anything else, or [`MAX_CIPHER_ATTEMPTS`], ends it incomplete.
#[derive(Debug, Clone)]
pub(crate) struct CipherEnumeration {
    version: Offer,
    offered: Vec<u16>,
    found: Vec<CipherSuiteInfo>,
    attempts: usize,
    complete: Option<bool>,
    errors: Vec<TlsError>,
}

/// The result of one version's cipher enumeration.
#[derive(Debug, Clone)]
pub(crate) struct CipherResult {
    /// The version enumerated.
    pub version: Offer,
    /// Accepted suites in the order the server chose them.
    pub found: Vec<CipherSuiteInfo>,
    /// The enumeration ended normally.
    pub complete: bool,
    /// Failures on the way.
    pub errors: Vec<TlsError>,
}

impl CipherEnumeration {
    /// The enumeration of `version`, starting with every suite of it.
    pub(crate) fn new(version: Offer) -> Self {
        Self::with_suites(version, suites_for(version))
    }

    /// The enumeration of `version` starting with `suites`.
    pub(crate) fn with_suites(version: Offer, suites: Vec<u16>) -> Self {
        CipherEnumeration {
            version,
            offered: suites,
            found: Vec::new(),
            attempts: 0,
            complete: None,
            errors: Vec::new(),
        }
    }

    /// The suites the next ClientHello offers, or `None` when the enumeration is over.
    pub(crate) fn next_offer(&mut self) -> Option<Vec<u16>> {
        if self.complete.is_some() {
            return None;
        }
        if self.attempts >= MAX_CIPHER_ATTEMPTS {
            self.complete = Some(false);
            return None;
        }
        if self.offered.is_empty() {
            self.complete = Some(true);
            return None;
        }
        self.attempts += 1;
        Some(self.offered.clone())
    }

    /// The next ClientHello, or `None` when the enumeration is over.
    pub(crate) fn next_hello(&mut self, name: &str) -> Option<ClientHello> {
        let suites = self.next_offer()?;
        Some(ClientHello::new(self.version, suites, Some(name)))
    }

    /// Takes the answer to the last offer.
    pub(crate) fn record(&mut self, out: &Result<RawOutcome, TlsError>) {
        let v = self.version;
        let o = match out {
            Ok(o) => o,
            Err(e) => {
                self.errors.push(e.clone());
                self.complete = Some(false);
                return;
            }
        };
        match &o.flight.server_hello {
            Some(sh) if sh.version() == v.wire() && self.offered.contains(&sh.cipher_suite) => {
                self.offered.retain(|c| *c != sh.cipher_suite);
                self.found.push(suite_info(sh, v));
            }
            Some(sh) => {
                self.errors.push(step_fail(
                    Phase::Tls,
                    ErrorKind::Tls,
                    format!(
                        "server answered version {} suite {} outside the offer",
                        TlsVersion::from_wire(sh.version()),
                        suites::suite_display(sh.cipher_suite)
                    ),
                    &format!("ciphers {}", v.label()),
                ));
                self.complete = Some(false);
            }
            // An alert (handshake_failure) or a close: no more suites at this version.
            None => self.complete = Some(o.flight.alert.is_some() || o.end == Some(RawEnd::Closed)),
        }
    }

    /// The result (incomplete when it did not end by itself).
    pub(crate) fn finish(self) -> CipherResult {
        CipherResult {
            version: self.version,
            found: self.found,
            complete: self.complete.unwrap_or(false),
            errors: self.errors,
        }
    }
}

/// The grade of `suite` at wire version `version` (the table in `wire::tls::suites`).
pub(crate) fn grade(suite: u16, version: u16) -> CipherGrade {
    match suites::grade(suite, version) {
        "weak" => CipherGrade::Weak,
        "strong" => CipherGrade::Strong,
        _ => CipherGrade::Acceptable,
    }
}

fn suite_info(sh: &ServerHello, v: Offer) -> CipherSuiteInfo {
    CipherSuiteInfo {
        name: suites::suite_display(sh.cipher_suite),
        id: sh.cipher_suite,
        grade: grade(sh.cipher_suite, v.wire()),
        weaknesses: suites::weaknesses(sh.cipher_suite, v.wire()).into_iter().map(str::to_string).collect(),
        group: sh.key_share_group().map(crate::wire::tls::hello::group_name),
    }
}

// ---------------------------------------------------------------------------------------------
// Building the report.
// ---------------------------------------------------------------------------------------------

/// What a completed rustls handshake showed.
#[derive(Debug, Clone, Default)]
pub(crate) struct HandshakeFacts {
    /// DER of the peer's chain, leaf first.
    pub peer_certs: Vec<Vec<u8>>,
    /// Negotiated version.
    pub version: Option<TlsVersion>,
    /// Negotiated suite, IANA name.
    pub cipher_suite: Option<String>,
    /// Key-exchange group, e.g. "x25519".
    pub kx_group: Option<String>,
    /// ALPN protocol, if the server chose one.
    pub alpn: Option<String>,
}

/// The `tls` section being built from the step's outcomes, in the order the driver gets
/// them: the rustls handshake, the raw certificate attempt (when rustls failed), the version
/// probes, the cipher enumerations; [`TlsBuild::finish`] adds the certificate report and
/// judges the rustls failure with the raw facts.
#[derive(Debug, Default)]
pub(crate) struct TlsBuild {
    tls: TlsReport,
    certs: Vec<Vec<u8>>,
    /// Index in `tls.errors` and error of a failed rustls handshake (judged at the end).
    rustls_failure: Option<(usize, NetError)>,
    raw_hello: Option<ServerHello>,
}

impl TlsBuild {
    /// A request could not be opened for TLS.
    pub(crate) fn open_failed(&mut self, e: TlsError) {
        self.tls.errors.push(e);
    }

    /// The rustls handshake after X.224 request `requested`, and its time.
    pub(crate) fn rustls(&mut self, requested: u32, result: Result<HandshakeFacts, NetError>, ms: f64) {
        self.tls.requested_protocols = Some(requested);
        match result {
            Ok(f) => {
                self.tls.handshake_ms = Some(ms);
                self.tls.rustls_handshake = true;
                self.tls.source = Some(TlsSource::Rustls);
                self.tls.version = f.version;
                self.tls.cipher_suite = f.cipher_suite;
                self.tls.key_exchange_group = f.kx_group;
                self.tls.alpn = f.alpn;
                self.certs = f.peer_certs;
            }
            Err(e) => {
                self.tls.errors.push(tls_error("rustls", &e));
                self.rustls_failure = Some((self.tls.errors.len() - 1, e));
            }
        }
    }

    /// The request the attempts use, once the rustls handshake ran.
    pub(crate) fn requested(&self) -> Option<u32> {
        self.tls.requested_protocols
    }

    /// Whether rustls completed a handshake.
    pub(crate) fn rustls_ok(&self) -> bool {
        self.tls.rustls_handshake
    }

    /// The section when no request could be opened for TLS: the first failure is the error.
    pub(crate) fn no_connection(mut self) -> TlsReport {
        self.tls.error = self.tls.errors.first().cloned();
        self.tls
    }

    /// The raw ClientHello (TLS 1.2 with every suite) sent when rustls failed: it still reads
    /// version, suite and the clear-text certificate of TLS <= 1.2.
    pub(crate) fn raw_certificate(&mut self, out: Result<RawOutcome, TlsError>) {
        let o = match out {
            Ok(o) => o,
            Err(e) => return self.tls.errors.push(e),
        };
        if let Some(sh) = &o.flight.server_hello {
            self.tls.source = Some(TlsSource::Raw);
            self.tls.version = Some(TlsVersion::from_wire(sh.version()));
            self.tls.cipher_suite = Some(suites::suite_display(sh.cipher_suite));
            self.certs = o.flight.certificates.clone();
            self.raw_hello = Some(sh.clone());
        } else if let Some((b, nt)) = o.not_tls.as_ref().and_then(|b| not_tls::classify(b).map(|nt| (b, nt))) {
            self.tls.errors.push(TlsError {
                server_sent: Some(crate::wire::codec::hex(b)),
                ..step_fail(Phase::Tls, ErrorKind::NotTls, nt.after_selecting_tls(), "raw certificate")
            });
        } else {
            let a = attempt_report(Offer::Tls12, None, true, &Ok(o));
            let text = a.alert.map(|al| format!("alert {al}")).or(a.detail).unwrap_or_default();
            self.tls.errors.push(step_fail(Phase::Tls, ErrorKind::Tls, text, "raw certificate"));
        }
    }

    /// The version probes (one raw ClientHello per version) and the Direct Approach; returns
    /// the versions accepted.
    pub(crate) fn versions(&mut self, versions: VersionOutcomes, direct_approach: TlsAttempt) -> Vec<Offer> {
        let mut accepted = Vec::new();
        for (v, out) in versions {
            let a = attempt_report(v, Some(v.wire()), true, &out);
            if a.accepted {
                accepted.push(v);
            }
            if self.certs.is_empty() {
                if let Ok(o) = &out {
                    if a.accepted && !o.flight.certificates.is_empty() {
                        self.certs = o.flight.certificates.clone();
                    }
                }
            }
            // A ClientHello that never left says nothing of the version: the attempt is listed
            // (its detail says so), the version stays out of `versions`.
            let unsent = matches!(&out, Ok(RawOutcome { end: Some(RawEnd::Unsent(_)), .. }));
            if !unsent {
                self.tls.versions.insert(v.into(), a.accepted);
            }
            self.tls.version_attempts.push(a);
        }
        self.tls.direct_approach = Some(direct_approach);
        accepted
    }

    /// The versions whose suites to enumerate when the version probes did not run: the
    /// negotiated one, when it is one we can offer.
    pub(crate) fn negotiated_offerable(&self) -> Vec<Offer> {
        self.tls.version.and_then(|v| Offer::from_wire(v.wire())).into_iter().collect()
    }

    /// One version's cipher enumeration.
    pub(crate) fn ciphers(&mut self, r: CipherResult) {
        self.tls.errors.extend(r.errors);
        self.tls.cipher_enumeration_complete.insert(r.version.into(), r.complete);
        self.tls.ciphers.insert(r.version.into(), r.found);
    }

    /// The section: the certificate report (at `now`, unix seconds, checked against `name`),
    /// the rustls failure judged with the raw facts, and the step's error when no version
    /// was learnt.
    pub(crate) fn finish(self, now: i64, name: &str) -> TlsReport {
        let TlsBuild { mut tls, certs, rustls_failure, raw_hello } = self;
        if !certs.is_empty() {
            tls.chain = crate::steps::tls_cert::chain_report(&certs, now, Some(name));
            tls.certificate = tls.chain.first().cloned();
        }
        if let Some((i, e)) = &rustls_failure {
            if let (Some(judged), Some(slot)) =
                (judge_rustls_failure(e, &tls, raw_hello.as_ref()), tls.errors.get_mut(*i))
            {
                *slot = judged;
            }
        }
        if tls.version.is_none() {
            tls.error = tls.errors.first().cloned().or(Some(step_fail(
                Phase::Tls,
                ErrorKind::Tls,
                "no TLS handshake succeeded".into(),
                "rustls",
            )));
        }
        tls
    }
}

#[cfg(test)]
mod tests;
