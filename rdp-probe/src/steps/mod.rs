//! The steps of a probe without I/O: given what the server sent, what it means and what to do
//! next. The async driver in `net/` only moves bytes and keeps deadlines.
//!
//! Each step that talks to a server is a machine (`machine.rs`: bytes in, bytes or a typed
//! result out), unit-tested by replaying captured server bytes.
//!
//! [`negotiation`] (the X.224 plan and the reading of its answers, MS-RDPBCGR 1.3.1.1 / 3.3.5.3.2),
//! `tls` (the raw ClientHello machine, the version and cipher plans, the judging of the TLS
//! step), [`tls_cert`] (the X.509 certificate report), [`legacy_rsa`] (handshake signatures of RSA
//! keys rustls refuses), [`server_chain`] (the X.509 chain of SC_SECURITY: Windows licensing
//! certificates, their links and the server key).

pub(crate) mod credssp;
pub(crate) mod io;
pub mod legacy_rsa;
pub(crate) mod machine;
pub(crate) mod mcs;
pub mod negotiation;
pub mod server_chain;
pub(crate) mod session;
pub(crate) mod tls;
pub mod tls_cert;
