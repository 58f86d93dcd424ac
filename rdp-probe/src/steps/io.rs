//! What the driver tells a step machine when a read or write did not give it a frame: the
//! failure, tagged with the phase it happened in. Plain data (no sockets), so a machine's
//! reaction to a timeout, a close or a foreign protocol is unit-tested like its reaction to bytes.

use crate::report::{ErrorKind, Phase};
use crate::wire::codec::DecodeError;
use std::io;

/// A network-level failure, tagged with the phase it happened in.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{phase:?}: {kind}")]
pub struct NetError {
    /// Where it happened.
    pub phase: Phase,
    /// What happened.
    pub kind: NetErrorKind,
    /// The failure was a write's: the bytes being sent did not (all) leave, so the peer cannot
    /// have answered them. A reset on a write says the connection was gone before our message,
    /// not that the server refused what it never read.
    pub unsent: bool,
}

/// What went wrong on the network.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum NetErrorKind {
    /// The deadline expired.
    #[error("timed out")]
    Timeout,
    /// TCP RST in answer to SYN.
    #[error("connection refused")]
    Refused,
    /// The peer reset an established connection.
    #[error("connection reset by peer")]
    Reset,
    /// The peer closed (EOF) before the expected data; `received` bytes of a partial frame.
    #[error("connection closed by peer after {received} bytes")]
    Closed {
        /// Bytes of the pending frame received before EOF.
        received: usize,
    },
    /// ICMP unreachable or no route.
    #[error("unreachable: {0}")]
    Unreachable(String),
    /// The peer's first bytes are not a TPKT frame: another service answers.
    #[error("not a TPKT frame")]
    NotTpkt(Vec<u8>),
    /// A frame could not be decoded.
    #[error("{0}")]
    Decode(DecodeError),
    /// TLS failure (alert, handshake error).
    #[error("tls: {0}")]
    Tls(String),
    /// The server answered our ClientHello with something that is not TLS (or closed) right
    /// after it selected TLS: `sent` holds the bytes (empty for a plain close).
    #[error("{text}")]
    NotTls {
        /// The bytes the server sent (at most [`crate::wire::tls::not_tls::MAX_KEPT`]).
        sent: Vec<u8>,
        /// What they are and what they mean.
        text: String,
    },
    /// rdp-probe's TLS stack cannot do what the server does (TLS 1.0/1.1 only, nothing in
    /// common): the failure is ours, not the server's. The text starts with "rdp-probe cannot".
    #[error("{text}")]
    ClientLimitation {
        /// The server's TLS versions are older than rustls speaks (else: something else the
        /// server chose that rustls does not support).
        version: bool,
        /// The explanation.
        text: String,
    },
    /// Proxy failure.
    #[error("proxy: {0}")]
    Proxy(String),
    /// The server answered our X.224 request with an RDP_NEG_FAILURE (the text names the code).
    #[error("{0}")]
    NegotiationRefused(String),
    /// Any other I/O error.
    #[error("{0}")]
    Io(String),
}

impl From<&NetErrorKind> for ErrorKind {
    /// The one place that types a driver error for the report.
    fn from(k: &NetErrorKind) -> Self {
        match k {
            NetErrorKind::Timeout => ErrorKind::Timeout,
            NetErrorKind::Refused => ErrorKind::Refused,
            NetErrorKind::Reset => ErrorKind::Reset,
            NetErrorKind::Closed { .. } => ErrorKind::Closed,
            NetErrorKind::Unreachable(_) => ErrorKind::Unreachable,
            NetErrorKind::NotTpkt(_) => ErrorKind::NotTpkt,
            NetErrorKind::Decode(_) => ErrorKind::Decode,
            NetErrorKind::Tls(_) => ErrorKind::Tls,
            NetErrorKind::NotTls { .. } => ErrorKind::NotTls,
            NetErrorKind::ClientLimitation { .. } => ErrorKind::ClientLimitation,
            NetErrorKind::Proxy(_) => ErrorKind::Proxy,
            NetErrorKind::NegotiationRefused(_) => ErrorKind::ServerRefused,
            NetErrorKind::Io(_) => ErrorKind::Io,
        }
    }
}

impl From<&NetError> for ErrorKind {
    /// As the kind alone, except that a failed name resolution (not a timeout) is `dns`.
    fn from(e: &NetError) -> Self {
        match (&e.kind, e.phase) {
            (NetErrorKind::Timeout | NetErrorKind::Proxy(_), _) => ErrorKind::from(&e.kind),
            (_, Phase::Resolve) => ErrorKind::Dns,
            (k, _) => ErrorKind::from(k),
        }
    }
}

impl NetError {
    /// The typed kind of this error, for the report.
    pub(crate) fn error_kind(&self) -> ErrorKind {
        ErrorKind::from(self)
    }
    /// The peer closed the connection (EOF, reset, or a plain close where a TLS answer was
    /// due): on a kept connection, perhaps only because it waited idle, so a step asks again
    /// on a new connection before it reports this.
    pub(crate) fn closed_by_peer(&self) -> bool {
        match &self.kind {
            NetErrorKind::Closed { .. } | NetErrorKind::Reset => true,
            NetErrorKind::NotTls { sent, .. } => sent.is_empty(),
            _ => false,
        }
    }
    pub(crate) fn new(phase: Phase, kind: NetErrorKind) -> Self {
        NetError { phase, kind, unsent: false }
    }
    /// The same failure, marked as a write's (see [`NetError::unsent`]).
    pub(crate) fn unsent(self) -> Self {
        NetError { unsent: true, ..self }
    }
    pub(crate) fn io(phase: Phase, e: &io::Error) -> Self {
        let kind = match e.kind() {
            io::ErrorKind::ConnectionRefused => NetErrorKind::Refused,
            io::ErrorKind::ConnectionReset | io::ErrorKind::ConnectionAborted | io::ErrorKind::BrokenPipe => {
                NetErrorKind::Reset
            }
            io::ErrorKind::UnexpectedEof => NetErrorKind::Closed { received: 0 },
            io::ErrorKind::TimedOut => NetErrorKind::Timeout,
            io::ErrorKind::HostUnreachable | io::ErrorKind::NetworkUnreachable => {
                NetErrorKind::Unreachable(e.to_string())
            }
            _ => NetErrorKind::Io(e.to_string()),
        };
        NetError { phase, kind, unsent: false }
    }
}
