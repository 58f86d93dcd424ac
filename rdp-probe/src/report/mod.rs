//! What the library returns: plain data, serde-serialisable (feature `serde`, on by default).
//! The JSON field names here are a contract (README "JSON schema"): add fields, never rename.

use std::collections::BTreeMap;
use std::fmt;

pub mod mcs;
pub mod negotiation;
pub mod nla;
pub mod session;
pub mod tls;

pub use mcs::McsReport;
pub use negotiation::{NegotiationReport, ProtocolVerdict};
pub use nla::NlaReport;
pub use session::SessionReport;
pub use tls::TlsReport;

/// The outcome class of a whole probe, in terms an admin can act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum Status {
    /// An RDP listener answered (X.224 Connection Confirm or an RDP-specific refusal).
    Rdp,
    /// Something else answers on the port (see `service`).
    NotRdp,
    /// TCP connection refused: nothing listens, or the port moved.
    Refused,
    /// A deadline expired (see `error_phase`): filtered, asleep, down, or a silent listener.
    Timeout,
    /// The peer reset or closed the connection before answering (see `error_phase`).
    Reset,
    /// The host name did not resolve.
    DnsError,
    /// Anything else (local errors, undecodable answers): see `error`. The default of a report
    /// built by hand (a probe always sets the status).
    #[default]
    Error,
}

impl Status {
    /// The JSON / CSV spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Rdp => "rdp",
            Status::NotRdp => "not_rdp",
            Status::Refused => "refused",
            Status::Timeout => "timeout",
            Status::Reset => "reset",
            Status::DnsError => "dns_error",
            Status::Error => "error",
        }
    }
}

/// What kind of failure an error is: the typed twin of the error text (`error_kind` next to
/// `error`, `kind` next to a step's `text` / `detail`). Decisions read this, never the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum ErrorKind {
    /// TCP connection refused (RST in answer to SYN).
    Refused,
    /// A deadline expired.
    Timeout,
    /// The peer reset an established connection.
    Reset,
    /// The peer closed the connection (EOF) before the expected data.
    Closed,
    /// The SOCKS5 proxy did not connect us.
    Proxy,
    /// ICMP unreachable or no route to the host.
    Unreachable,
    /// The host name did not resolve.
    Dns,
    /// The peer's first bytes are not a TPKT frame: another service answers.
    NotTpkt,
    /// A frame could not be decoded.
    Decode,
    /// The server answered a ClientHello with something that is not TLS (or closed).
    NotTls,
    /// A TLS failure (alert, handshake error).
    Tls,
    /// Any other I/O error.
    Io,
    /// rdp-probe's own limitation (e.g. its TLS stack cannot speak TLS 1.0/1.1).
    ClientLimitation,
    /// The server refused the request with an RDP_NEG_FAILURE (e.g. `ssl_cert_not_on_server`).
    ServerRefused,
    /// Anything else (an unexpected answer, a protocol-level refusal, a local failure).
    Other,
}

impl ErrorKind {
    /// The JSON spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Refused => "refused",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Reset => "reset",
            ErrorKind::Closed => "closed",
            ErrorKind::Proxy => "proxy",
            ErrorKind::Unreachable => "unreachable",
            ErrorKind::Dns => "dns",
            ErrorKind::NotTpkt => "not_tpkt",
            ErrorKind::Decode => "decode",
            ErrorKind::NotTls => "not_tls",
            ErrorKind::Tls => "tls",
            ErrorKind::Io => "io",
            ErrorKind::ClientLimitation => "client_limitation",
            ErrorKind::ServerRefused => "server_refused",
            ErrorKind::Other => "other",
        }
    }

    /// The peer dropped the connection: closed it, reset it, or let the deadline pass.
    pub fn dropped(self) -> bool {
        matches!(self, ErrorKind::Closed | ErrorKind::Reset | ErrorKind::Timeout)
    }
}

/// The step of a probe in which something happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum Phase {
    /// Name resolution.
    Resolve,
    /// TCP connect (or proxy connect).
    Connect,
    /// Writing the X.224 Connection Request.
    SendCr,
    /// Reading the X.224 Connection Confirm.
    ReadCc,
    /// TLS handshake.
    Tls,
    /// CredSSP / NTLM exchange.
    Nla,
    /// MCS Connect Initial / Response.
    Mcs,
    /// The connection sequence after MCS Connect (`--session`: channels, security exchange,
    /// licensing, capabilities, finalization, graphics).
    Session,
    /// The whole-probe deadline.
    Overall,
}

impl Phase {
    /// The JSON spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Resolve => "resolve",
            Phase::Connect => "connect",
            Phase::SendCr => "send_cr",
            Phase::ReadCc => "read_cc",
            Phase::Tls => "tls",
            Phase::Nla => "nla",
            Phase::Mcs => "mcs",
            Phase::Session => "session",
            Phase::Overall => "overall",
        }
    }
}

/// One probe of one target (host + port).
#[derive(Debug, Clone, PartialEq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Report {
    /// The target as given by the caller.
    pub target: String,
    /// The address probed, `ip:port` (`[v6]:port`); absent when resolution failed.
    pub address: Option<String>,
    /// The outcome class.
    pub status: Status,
    /// Human-readable error when status is not `rdp` (or when a later step failed).
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none", default))]
    pub error: Option<String>,
    /// The phase of the error.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none", default))]
    pub error_phase: Option<Phase>,
    /// The kind of the error (typed; decisions read this, never `error`).
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none", default))]
    pub error_kind: Option<ErrorKind>,
    /// Milliseconds per phase of the first connection (`resolve`, `connect`, `send_cr`,
    /// `read_cc`) and per later step (`negotiation`, `tls`, `nla`, `mcs`, `total`).
    pub timings_ms: BTreeMap<String, f64>,
    /// Security-protocol negotiation (X.224).
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none", default))]
    pub negotiation: Option<NegotiationReport>,
    /// What answered when it was not RDP.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none", default))]
    pub service: Option<ServiceInfo>,
    /// TLS layer (issue 3).
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none", default))]
    pub tls: Option<TlsReport>,
    /// CredSSP / NTLM (issue 4).
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none", default))]
    pub nla: Option<NlaReport>,
    /// MCS / GCC basic settings exchange (issue 5).
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none", default))]
    pub mcs: Option<McsReport>,
    /// The connection sequence after MCS (`--session`, opt-in): absent unless asked.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none", default))]
    pub session: Option<SessionReport>,
    /// With `find_ports`: other ports of the host and what answers there.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Vec::is_empty", default))]
    pub alternative_ports: Vec<AlternativePort>,
    /// Can a stock client get in, and if not, which step stops it (see [`crate::diagnosis::verdict`]).
    /// Set by [`crate::probe()`]; `None` only on reports built by hand.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none", default))]
    pub verdict: Option<crate::diagnosis::verdict::Verdict>,
    /// The local address the probe's first connection came from (`ip:port`): some servers
    /// treat clients at 127.0.0.1 / ::1 differently (FreeRDP turns encryption off).
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none", default))]
    pub source: Option<String>,
    /// Findings: verdicts with severity, evidence and remedy (see [`crate::diagnosis::findings`]).
    pub findings: Vec<crate::diagnosis::findings::Finding>,
    /// Stable server fingerprint string (see README "Fingerprint").
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none", default))]
    pub fingerprint: Option<String>,
    /// Best guess of the server implementation: `xrdp`, `FreeRDP-based server`, `VirtualBox
    /// VRDE`, a Windows release (`Windows Server 2008 R2 / Windows 7 SP1`, `Windows 2000/XP/2003
    /// (no negotiation)`) or `Windows` (see `identification`).
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none", default))]
    pub implementation: Option<String>,
    /// Which server and release, with the evidence, the contradictions, a confidence and the
    /// end of support (see [`crate::diagnosis::identify`]).
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none", default))]
    pub identification: Option<crate::diagnosis::identify::Identification>,
    /// When the probe started, RFC 3339 UTC (dates such as end of support are judged against it).
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none", default))]
    pub probed_at: Option<String>,
    /// Bytes exchanged, both directions, when `raw` was asked for.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Vec::is_empty", default))]
    pub transcript: Vec<TranscriptEntry>,
}

/// The answer to one negotiation request, as the JSON contract spells it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(tag = "kind", rename_all = "snake_case"))]
#[non_exhaustive]
pub enum Answer {
    /// RDP_NEG_RSP.
    Selected {
        /// selectedProtocol (name, or `unknown_0x..`).
        protocol: String,
        /// selectedProtocol raw value.
        protocol_value: u32,
        /// RDP_NEG_RSP flags by name.
        flags: Vec<String>,
        /// RDP_NEG_RSP flags raw value.
        flags_value: u8,
        /// Whether the selected protocol was among those requested (PROTOCOL_RDP always is).
        requested: bool,
    },
    /// RDP_NEG_FAILURE.
    Failure {
        /// failureCode name (lower snake case).
        code: String,
        /// failureCode raw value.
        code_value: u32,
    },
    /// A CC without rdpNegData: a pre-negotiation server (Windows 2000/XP/2003).
    NoNegotiation,
    /// An rdpNegData structure of unknown type, kept raw (hex).
    UnknownNegotiation {
        /// The type octet.
        ty: u8,
        /// The bytes, hex.
        raw_hex: String,
    },
    /// An X.224 Disconnect Request instead of a CC.
    Disconnect {
        /// Reason octet.
        reason: u8,
    },
    /// An MCS PDU instead of a CC (xrdp: Disconnect-Provider-Ultimatum for requests it refuses).
    McsDisconnect {
        /// The MCS bytes, hex.
        raw_hex: String,
    },
    /// The server closed or reset the connection without answering.
    Closed {
        /// What happened, in words.
        detail: String,
    },
    /// Timeout, undecodable answer or local failure.
    Error {
        /// The phase.
        phase: Phase,
        /// What happened.
        detail: String,
    },
}

impl Answer {
    /// The per-protocol JSON value for a probe that asked for exactly `asked`:
    /// `accepted`, `downgraded_to_<name>`, the failure code name, `no_negotiation`, `closed`, `error`.
    pub fn verdict_for(&self, asked: &str) -> String {
        match self {
            Answer::Selected { protocol, .. } if protocol == asked => "accepted".into(),
            Answer::Selected { protocol, .. } => format!("downgraded_to_{protocol}"),
            Answer::Failure { code, .. } => code.clone(),
            Answer::NoNegotiation => "no_negotiation".into(),
            Answer::Disconnect { .. } | Answer::McsDisconnect { .. } | Answer::Closed { .. } => "closed".into(),
            Answer::UnknownNegotiation { .. } | Answer::Error { .. } => "error".into(),
        }
    }
}

/// One connection of the negotiation plan.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct NegotiationAttempt {
    /// requestedProtocols, raw.
    pub requested_value: u32,
    /// requestedProtocols by name (`rdp` for 0).
    pub requested: Vec<String>,
    /// RDP_NEG_REQ flags sent, raw (0 unless a flag probe).
    pub request_flags: u8,
    /// Whether an RDP_NEG_REQ was sent at all (the legacy fallback sends none).
    pub with_neg_req: bool,
    /// The server's answer.
    pub answer: Answer,
    /// X.224 SRC-REF of the CC, if any.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none", default))]
    pub source_ref: Option<u16>,
    /// Milliseconds from connect start to answer.
    pub ms: f64,
}

/// Security Layer setting as Windows names it (RDP-Tcp listener: SecurityLayer 0/1/2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum SecurityLayer {
    /// "RDP Security Layer": Standard RDP Security only.
    Rdp,
    /// "Negotiate": TLS when the client can, else Standard RDP Security.
    Negotiate,
    /// "SSL (TLS 1.0)": TLS (or CredSSP) required.
    Ssl,
    /// Not enough answers to tell.
    Unknown,
}

/// Whether Network Level Authentication (CredSSP) is required, only offered, or absent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum NlaRequirement {
    /// Requests without CredSSP are refused (HYBRID_REQUIRED_BY_SERVER).
    Required,
    /// CredSSP is accepted, but so are TLS-only or Standard RDP Security clients.
    Offered,
    /// CredSSP is never selected.
    NotSupported,
    /// Not enough answers to tell.
    Unknown,
}

/// One port tried by `find_ports`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct AlternativePort {
    /// The port.
    pub port: u16,
    /// What answered: the same status vocabulary as the report.
    pub status: Status,
    /// For `not_rdp`: the kind of service.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none", default))]
    pub service: Option<String>,
}

/// What a non-RDP peer looks like.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ServiceInfo {
    /// `ssh`, `http`, `tls`, `smtp`, `ftp`, `pop3`, `imap`, `vnc`, `telnet`, `x224_other`, `unknown`, `silent`...
    pub kind: String,
    /// Printable excerpt of what the peer sent (non-printables escaped).
    pub banner: String,
    /// First bytes, hex.
    pub raw_hex: String,
}

/// Direction of transcript bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum Direction {
    /// We sent.
    Sent,
    /// We received.
    Received,
    /// A note (connection opened/closed).
    Note,
}

/// One chunk of the `--raw` transcript.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(try_from = "transcript_serde::Entry"))]
pub struct TranscriptEntry {
    /// Which connection of the probe (0-based).
    pub connection: u32,
    /// What the connection was for, e.g. `negotiation 0xb`.
    pub label: String,
    /// Direction.
    pub direction: Direction,
    /// Milliseconds since the connection started.
    pub at_ms: f64,
    /// The bytes, or for notes the text (JSON: the bytes as hex, the text as is).
    pub data: TranscriptData,
    /// Decoded summary, when we know what it is.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none", default))]
    pub decoded: Option<String>,
}

/// What one transcript entry carries: the bytes that moved, kept as bytes, or a note's text.
/// Hex is only their JSON spelling: `data` is the bytes as lower-case hex for `sent` and
/// `received` entries and the text for `note` entries (read back by `direction`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TranscriptData {
    /// Bytes sent or received, as on the wire.
    Bytes(Vec<u8>),
    /// A note: a connection opened, continued or closed.
    Text(String),
}

impl TranscriptData {
    /// The bytes (empty for a note).
    pub fn bytes(&self) -> &[u8] {
        match self {
            TranscriptData::Bytes(b) => b,
            TranscriptData::Text(_) => &[],
        }
    }

    /// The note's text (`None` for bytes).
    pub fn text(&self) -> Option<&str> {
        match self {
            TranscriptData::Bytes(_) => None,
            TranscriptData::Text(t) => Some(t),
        }
    }

    /// Whether this is a note whose text starts with `prefix` (bytes never match one: compare
    /// [`TranscriptData::bytes`] with bytes).
    pub fn starts_with(&self, prefix: &str) -> bool {
        self.text().is_some_and(|t| t.starts_with(prefix))
    }

    /// Whether this is a note whose text contains `needle` (bytes never do).
    pub fn contains(&self, needle: &str) -> bool {
        self.text().is_some_and(|t| t.contains(needle))
    }
}

impl fmt::Display for TranscriptData {
    /// The JSON spelling: hex for bytes, the text for a note.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TranscriptData::Bytes(b) => f.write_str(&crate::wire::codec::hex(b)),
            TranscriptData::Text(t) => f.write_str(t),
        }
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for TranscriptData {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Reading a transcript entry back: `data` is hex unless the entry is a note.
#[cfg(feature = "serde")]
mod transcript_serde {
    use super::{Direction, TranscriptData, TranscriptEntry};

    /// A transcript entry as JSON spells it.
    #[derive(serde::Deserialize)]
    pub(super) struct Entry {
        connection: u32,
        label: String,
        direction: Direction,
        at_ms: f64,
        data: String,
        #[serde(default)]
        decoded: Option<String>,
    }

    /// Hex text that is not whole bytes.
    #[derive(Debug, thiserror::Error)]
    #[error("transcript data is not hex: {0:?}")]
    pub(super) struct NotHex(String);

    fn unhex(s: &str) -> Option<Vec<u8>> {
        if !s.len().is_multiple_of(2) {
            return None;
        }
        let digit = |c: u8| char::from(c).to_digit(16).and_then(|d| u8::try_from(d).ok());
        s.as_bytes().chunks_exact(2).map(|p| Some(digit(*p.first()?)? << 4 | digit(*p.get(1)?)?)).collect()
    }

    impl TryFrom<Entry> for TranscriptEntry {
        type Error = NotHex;
        fn try_from(e: Entry) -> Result<Self, NotHex> {
            let data = if e.direction == Direction::Note {
                TranscriptData::Text(e.data)
            } else {
                TranscriptData::Bytes(unhex(&e.data).ok_or(NotHex(e.data))?)
            };
            Ok(TranscriptEntry {
                connection: e.connection,
                label: e.label,
                direction: e.direction,
                at_ms: e.at_ms,
                data,
                decoded: e.decoded,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(feature = "serde")]
    fn entry(direction: Direction, data: TranscriptData) -> TranscriptEntry {
        TranscriptEntry { connection: 2, label: "mcs rdp".into(), direction, at_ms: 1.5, data, decoded: None }
    }

    #[test]
    fn transcript_data_reads() {
        let b = TranscriptData::Bytes(vec![3, 0, 0, 0x0b]);
        assert_eq!((b.bytes(), b.text(), b.to_string()), (&[3u8, 0, 0, 0x0b][..], None, "0300000b".to_string()));
        // A note is text; byte chunks never match a text prefix, even their hex.
        let n = TranscriptData::Text("continue on 0.0.0.0:0".into());
        assert!(n.starts_with("continue on") && n.contains("0.0.0.0") && n.bytes().is_empty());
        assert!(!b.starts_with("0300") && !b.contains("0b"));
    }

    /// The JSON spelling is the one the hex string had: lower-case hex for bytes, the text for a
    /// note; both read back (the note even when its text looks like hex).
    #[cfg(feature = "serde")]
    #[test]
    fn transcript_json_spelling() {
        let sent = entry(Direction::Sent, TranscriptData::Bytes(vec![0x03, 0x00, 0xab, 0xff]));
        let j = serde_json::to_string(&sent).unwrap();
        assert_eq!(j, r#"{"connection":2,"label":"mcs rdp","direction":"sent","at_ms":1.5,"data":"0300abff"}"#);
        assert_eq!(serde_json::from_str::<TranscriptEntry>(&j).unwrap(), sent);
        let note = entry(Direction::Note, TranscriptData::Text("beef".into()));
        let j = serde_json::to_string(&note).unwrap();
        assert!(j.contains(r#""direction":"note","at_ms":1.5,"data":"beef""#), "{j}");
        assert_eq!(serde_json::from_str::<TranscriptEntry>(&j).unwrap(), note);
        let empty = entry(Direction::Received, TranscriptData::Bytes(Vec::new()));
        assert_eq!(serde_json::from_str::<TranscriptEntry>(&serde_json::to_string(&empty).unwrap()).unwrap(), empty);
        for bad in ["030", "0g", "é0"] {
            let j = format!(r#"{{"connection":0,"label":"x","direction":"received","at_ms":0.0,"data":"{bad}"}}"#);
            assert!(serde_json::from_str::<TranscriptEntry>(&j).is_err(), "{bad}");
        }
        let upper = r#"{"connection":0,"label":"x","direction":"received","at_ms":0.0,"data":"0A0b"}"#;
        assert_eq!(serde_json::from_str::<TranscriptEntry>(upper).unwrap().data.bytes(), &[0x0a, 0x0b]);
    }
}
