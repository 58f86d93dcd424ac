//! The steps of a probe without I/O: given what the server sent, what it means and what to do
//! next. The async driver in `net/` only moves bytes and keeps deadlines.
//!
//! [`negotiation`] (the X.224 plan and the reading of its answers, MS-RDPBCGR 1.3.1.1 / 3.3.5.3.2),
//! [`tls_cert`] (the X.509 certificate report), [`legacy_rsa`] (handshake signatures of RSA keys
//! rustls refuses).

pub mod legacy_rsa;
pub mod negotiation;
pub mod tls_cert;
