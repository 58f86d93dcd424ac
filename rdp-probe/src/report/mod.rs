//! What the library returns: plain data, serde-serialisable (feature `serde`, on by default).
//! The JSON field names here are a contract (README "JSON schema"): add fields, never rename.

use std::collections::BTreeMap;

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
pub struct TranscriptEntry {
    /// Which connection of the probe (0-based).
    pub connection: u32,
    /// What the connection was for, e.g. `negotiation 0xb`.
    pub label: String,
    /// Direction.
    pub direction: Direction,
    /// Milliseconds since the connection started.
    pub at_ms: f64,
    /// The bytes (hex; for notes, the text).
    pub data: String,
    /// Decoded summary, when we know what it is.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none", default))]
    pub decoded: Option<String>,
}
